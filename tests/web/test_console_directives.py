"""Directives in the console over HTTP: compose with a recipient count, the list, report, CSV and cancel."""

from __future__ import annotations

import csv
import io

from tests.web.conftest import Site
from tests.web.console_helpers import LEADER, STAFF, csrf_of, logged_in, seed_team


async def test_a_leader_previews_sends_reads_exports_and_cancels(site: Site) -> None:
    team = await seed_team(site.core.services.people)
    async with logged_in(site.url, site.core.services, LEADER) as http:
        new = f"{site.url}/console/directives/new"
        token = await csrf_of(http, new)
        fields = {"csrf": token, "title": "<script>x()</script> Họp giao ban", "body": "Lúc 8 giờ."}
        fields |= {"units": str(team.unit_id), "ack": "on", "schedule": "now", "urgency": "khan"}
        async with http.post(new, data={**fields, "action": "preview"}) as preview:
            text = await preview.text()
            assert preview.status == 200
            assert "Sẽ gửi tới 4 cuộc trò chuyện: 4 người" in text
        async with http.post(new, data={"title": "x", "action": "send"}) as forged:
            assert forged.status == 403
        async with http.post(new, data={**fields, "title": "", "action": "send"}) as empty:
            assert empty.status == 400
            assert "Tiêu đề: trống hoặc quá dài" in await empty.text()
        async with http.post(new, data={**fields, "action": "send"}, allow_redirects=False) as sent:
            assert sent.status == 303
            address = f"{site.url}{sent.headers['Location']}"
        async with http.get(f"{site.url}/console/directives") as listing:
            body = await listing.text()
            assert "&lt;script&gt;x()&lt;/script&gt; Họp giao ban" in body and "<script>x()" not in body
        async with http.get(address) as report:
            body = await report.text()
            assert "Chỉ đạo #" in body and "Trưởng Bộ Phận" in body and "chưa nhận" in body
        async with http.get(f"{address}/csv") as exported:
            assert exported.headers["Content-Type"].startswith("text/csv")
            raw = await exported.text()
            assert raw.startswith("\ufeff")  # Excel reads it as UTF-8
            rows = list(csv.DictReader(io.StringIO(raw.removeprefix("\ufeff"))))
            assert {r["kind"] for r in rows} == {"chat", "person"}
            assert any(r["name"] == "Trưởng Bộ Phận" and r["status"] == "pending" for r in rows)
        token = await csrf_of(http, address)
        async with http.post(f"{address}/cancel", data={"csrf": token}) as cancelled:
            assert cancelled.status == 200
            assert "đã hủy" in await cancelled.text()
    async with (
        logged_in(site.url, site.core.services, STAFF) as http,
        http.get(f"{site.url}/console/directives") as no,
    ):
        assert no.status == 403


async def test_a_forged_compose_form_gets_an_answer_not_a_crash(site: Site) -> None:
    await seed_team(site.core.services.people)
    async with logged_in(site.url, site.core.services, LEADER) as http:
        new = f"{site.url}/console/directives/new"
        token = await csrf_of(http, new)
        hostile = {"csrf": token, "title": "a\x00b", "body": "x", "units": "9" * 40, "people": "-3"}
        async with http.post(new, data={**hostile, "action": "preview"}) as nobody:
            assert nobody.status == 200 and "Chưa chọn người nhận nào." in await nobody.text()
        form = {**hostile, "units": "999999", "schedule": "at", "at": "ngày mai", "action": "send"}
        async with http.post(new, data=form) as refused:
            assert refused.status == 400
        async with http.post(new, data={**form, "schedule": "now"}) as outside:
            assert outside.status == 400 and "đơn vị mình phụ trách" in await outside.text()
        far = {**form, "units": "", "at": "9999-12-31T23:59"}
        async with http.post(new, data=far) as too_far:
            assert too_far.status == 400 and "Content-Security-Policy" in too_far.headers
        async with http.get(f"{site.url}/console/directives/{'9' * 30}") as missing:
            assert missing.status == 404
