"""The web chat in a real browser: a question answered with the card, choices clicked, nothing injected."""

from __future__ import annotations

from aiohttp import web
from playwright.async_api import Dialog, Page, expect

from bot.texts import web_chat as say
from tests.adapters.test_telegram_runner import free_port
from tests.web.conftest import Site, screenshot

TYPED_ATTACK = '"><svg onload=alert(1)>'


async def test_the_chat_answers_with_the_card_choices_click_and_user_text_never_runs(
    site: Site, page: Page
) -> None:
    dialogs: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    await page.goto(f"{site.url}/chat")
    await expect(page.locator("body.online")).to_have_count(1)
    field = page.get_by_label(say.INPUT_LABEL)
    log = page.locator("#log")

    # Typed markup comes back as text (the bot quotes it), and nothing of it runs.
    await field.fill(TYPED_ATTACK)
    await field.press("Enter")
    await expect(log.locator(".msg.me")).to_have_text([TYPED_ATTACK])
    await expect(log.locator(".msg.bot").filter(has_text=TYPED_ATTACK)).to_have_count(1)
    assert await log.locator("svg, img, script").count() == 0

    await field.fill("lam khai sinh cho be")
    await field.press("Enter")
    card = log.locator(".msg.bot").filter(has_text="1.001193")
    await expect(card).to_have_count(1)
    await expect(card.locator("b").first).to_be_visible()
    await screenshot(page, "chat-card")

    await field.fill("đăng ký kết hôn")
    await page.get_by_role("button", name=say.SEND_BUTTON).click()
    await page.get_by_role("button", name="Đăng ký lại kết hôn (Cấp xã)").click()
    await expect(log.locator(".msg.bot").filter(has_text="1.004746")).to_have_count(1)
    await expect(log.locator(".msg.me").last).to_have_text("Đăng ký lại kết hôn (Cấp xã)")
    await screenshot(page, "chat-choices")

    assert dialogs == []


async def test_one_script_tag_adds_the_widget_that_opens_the_chat(site: Site, page: Page) -> None:
    # The commune's site: another origin (its own server on localhost) with one script tag.
    tag = f'<script src="{site.url}/widget.js"></script>'
    html = f'<!doctype html><meta charset="utf-8"><title>Xã</title><p>Trang của xã</p>{tag}'

    async def commune(request: web.Request) -> web.Response:
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", commune)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        await page.goto(f"http://localhost:{port}/")
        await page.get_by_role("button", name=say.WIDGET_OPEN).click()
        chat = page.frame_locator("iframe[data-motcua-widget=frame]")
        await expect(chat.locator("body.embed.online")).to_have_count(1)
        await chat.get_by_label(say.INPUT_LABEL).fill("lam khai sinh cho be")
        await chat.get_by_label(say.INPUT_LABEL).press("Enter")
        await expect(chat.locator(".msg.bot").filter(has_text="1.001193")).to_have_count(1)
        await screenshot(page, "chat-widget")
        await page.get_by_role("button", name=say.WIDGET_CLOSE).click()
        await expect(page.locator("iframe[data-motcua-widget=frame]")).to_be_hidden()
    finally:
        await runner.cleanup()
