"""The console's figures, unanswered questions and feedback pages over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.web.console.figures import rows
from bot.messages import ChatRef, Platform
from bot.services.feedback.model import Subject
from bot.services.report.period import local_today
from bot.services.report.sections import Line, Section
from bot.texts import report as words
from tests.web.conftest import Site
from tests.web.console_helpers import ADMIN, STAFF, csrf_of, logged_in, seed_team


async def test_figures_per_period_and_agency_with_bars(site: Site) -> None:
    await seed_team(site.core.services.people)
    questions = site.core.services.questions
    assert questions is not None
    for outcome in ("confident", "confident", "none"):
        await questions.record("web", outcome, agency="Sở Tư pháp")
    today = local_today(datetime.now(UTC), site.core.config.timezone).isoformat()
    async with logged_in(site.url, site.core.services, STAFF) as http:
        query = {"from": today, "to": today, "agency": "Tư pháp"}
        async with http.get(f"{site.url}/console/figures", params=query) as shown:
            body = await shown.text()
            assert shown.status == 200
            assert "Số câu hỏi</th><td>3</td>" in body and "<svg" in body and "Tiếp nhận" in body
            # What a unit filter does not narrow says so, as in the CLI's report.
            assert f"({words.ALL_UNITS})" in body
        query = {"from": today, "to": today, "agency": "<script>"}
        async with http.get(f"{site.url}/console/figures", params=query) as other:
            body = await other.text()
            assert "Số câu hỏi</th><td>0</td>" in body and 'value="&lt;script&gt;"' in body
        reversed_days = {"from": "2026-12-05", "to": "2026-12-01"}
        async with http.get(f"{site.url}/console/figures", params=reversed_days) as wrong:
            assert wrong.status == 200 and "Ngày kết thúc đứng trước ngày bắt đầu" in await wrong.text()
            assert f"({words.ALL_UNITS})" not in await wrong.text()


def test_figure_rows_read_as_the_cli_report_does() -> None:
    section = Section(
        "guides",
        (
            Line("guide.1", 5, "residents", name="Nguyễn Văn A"),
            Line("guide.1.other", 2, "cards", level=1),
            Line("guide_cards", None),
        ),
    )
    assert [(row.label, row.shown) for row in rows(section)] == [
        ("Nguyễn Văn A", f"5 {words.COUNTED['residents']}"),
        (words.LABELS["other"], f"2 {words.COUNTED['cards']}"),
        (words.LABELS["guide_cards"], words.NOT_AVAILABLE),
    ]


async def test_an_admin_attaches_an_unanswered_question_as_an_alias(site: Site) -> None:
    await seed_team(site.core.services.people)
    unanswered = site.core.services.unanswered
    await unanswered.record("<b>giay to cho be moi sinh</b>", "none")
    await unanswered.record("xin cap ban sao trich luc", "none")
    questions = f"{site.url}/console/questions"
    async with logged_in(site.url, site.core.services, STAFF) as http:
        async with http.get(questions) as listing:
            body = await listing.text()
            assert "&lt;b&gt;giay to cho be moi sinh&lt;/b&gt;" in body and "<b>giay" not in body
            assert "/console/questions/alias" not in body
        token = await csrf_of(http, questions)
        form = {"csrf": token, "phrase": "xin cap ban sao trich luc", "code": "1.001193"}
        async with http.post(f"{questions}/alias", data=form) as refused:
            assert refused.status == 403
    async with logged_in(site.url, site.core.services, ADMIN) as http:
        token = await csrf_of(http, questions)
        form = {"csrf": token, "phrase": "xin cap ban sao trich luc", "code": "9.999999"}
        async with http.post(f"{questions}/alias", data=form) as unknown:
            assert unknown.status == 400 and "Không có thủ tục mã 9.999999" in await unknown.text()
        async with http.post(f"{questions}/alias", data={**form, "code": "1.001193"}) as attached:
            body = await attached.text()
            assert attached.status == 200
            assert "Đã gắn “xin cap ban sao trich luc” làm cách gọi khác của thủ tục 1.001193" in body
    assert [row.text for row in await unanswered.rows()] == ["<b>giay to cho be moi sinh</b>"]


async def test_the_feedback_inbox_answers_through_the_feedback_service(site: Site) -> None:
    await seed_team(site.core.services.people)
    feedback = site.core.services.feedback
    assert feedback is not None
    chat = ChatRef(Platform.TELEGRAM, "777")
    item = await feedback.file(chat, "777", Subject.general(), "<img src=x> Chờ lâu quá")
    inbox = f"{site.url}/console/feedback"
    async with logged_in(site.url, site.core.services, ADMIN) as http:
        async with http.get(inbox) as listing:
            body = await listing.text()
            assert (
                item.number in body and "&lt;img src=x&gt; Chờ lâu quá" in body and "<img src=x>" not in body
            )
        token = await csrf_of(http, inbox)
        address = f"{inbox}/{item.id}/answer"
        async with http.post(address, data={"csrf": token, "answer": " "}) as empty:
            assert empty.status == 400
        async with http.post(address, data={"csrf": token, "answer": "Xin lỗi, đã nhắc cán bộ."}) as sent:
            assert sent.status == 200 and f"Đã gửi trả lời góp ý {item.number}" in await sent.text()
        async with http.post(address, data={"csrf": token, "answer": "Lần nữa"}) as again:
            assert again.status == 409
    answered = await feedback.get(item.id)
    assert answered is not None and answered.answer == "Xin lỗi, đã nhắc cán bộ."


async def test_staff_download_posters_and_a_qr_code_from_the_console(site: Site) -> None:
    import io

    from pypdf import PdfReader

    await seed_team(site.core.services.people)
    posters = f"{site.url}/console/posters"
    async with logged_in(site.url, site.core.services, STAFF) as http:
        async with http.get(posters) as form:
            assert form.status == 200 and "Mã QR và áp phích" in await form.text()
        token = await csrf_of(http, posters)
        async with http.post(
            posters, data={"csrf": token, "codes": "1.001193, 1.000894", "format": "pdf"}
        ) as pdf:
            assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
            reader = PdfReader(io.BytesIO(await pdf.read()))
        assert len(reader.pages) == 2
        assert "Thủ tục đăng ký khai sinh" in reader.pages[0].extract_text()
        async with http.post(posters, data={"csrf": token, "codes": "1.001193", "format": "png"}) as png:
            assert png.status == 200 and (await png.read()).startswith(b"\x89PNG")
        async with http.post(posters, data={"csrf": token, "codes": "9.999999 <b>", "format": "pdf"}) as bad:
            body = await bad.text()
            assert bad.status == 400 and "<b>" not in body
        async with http.post(posters, data={"csrf": token, "codes": "9.999999", "format": "pdf"}) as unknown:
            assert unknown.status == 400 and "Không có thủ tục mã 9.999999" in await unknown.text()
        async with http.post(posters, data={"codes": "1.001193", "format": "pdf"}) as forged:
            assert forged.status == 403
