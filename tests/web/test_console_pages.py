"""The console's figures, unanswered questions and feedback pages over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.report.period import local_today
from tests.web.conftest import Site
from tests.web.console_helpers import STAFF, logged_in, seed_team


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
        query = {"from": today, "to": today, "agency": "<script>"}
        async with http.get(f"{site.url}/console/figures", params=query) as other:
            body = await other.text()
            assert "Số câu hỏi</th><td>0</td>" in body and 'value="&lt;script&gt;"' in body
        reversed_days = {"from": "2026-12-05", "to": "2026-12-01"}
        async with http.get(f"{site.url}/console/figures", params=reversed_days) as wrong:
            assert wrong.status == 200 and "Ngày kết thúc đứng trước ngày bắt đầu" in await wrong.text()
