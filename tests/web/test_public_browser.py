"""In a phone browser: ``/p/1.001193`` shows the card's name and the documents to bring."""

from __future__ import annotations

from playwright.async_api import Page

from bot.texts import web_public as say
from tests.web.conftest import Site, screenshot


async def test_the_card_page_in_a_phone_browser(site: Site, page: Page) -> None:
    await page.goto(f"{site.url}/p/1.001193")
    assert (await page.title()).startswith("Thủ tục đăng ký khai sinh · ")
    assert await page.get_by_role("heading", level=1).inner_text() == "Thủ tục đăng ký khai sinh"
    body = page.locator(".card-body")
    assert await body.get_by_text("Cần mang").is_visible()
    assert await body.get_by_text("Giấy chứng sinh (1 bản chính)").is_visible()
    # A section opens with a tap, no script needed.
    section = page.locator("details#giayto")
    await section.locator("summary").click()
    assert await section.get_by_text("Văn bản ủy quyền có chứng thực", exact=False).first.is_visible()
    path = await screenshot(page, "web-card")
    assert path.stat().st_size > 1000


async def test_the_dossier_form_posts_from_a_real_browser(site: Site, page: Page) -> None:
    # A browser, not a script, decides which Origin a form sends: the same-origin check must accept it.
    await page.goto(f"{site.url}/hoso")
    await page.get_by_label(say.DOSSIER_LABEL).fill("000.00.01.H12-260101-0404")
    async with page.expect_response(f"{site.url}/hoso") as posted:
        await page.get_by_role("button", name=say.DOSSIER_BUTTON).click()
    assert (await posted.value).status == 200
    assert await page.get_by_text("Tôi không tìm thấy hồ sơ có mã").is_visible()
