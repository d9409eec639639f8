"""Importing dossier events from CSV and JSON Lines: good files, bad rows, broken files, re-import."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.messages import Reply
from bot.services.dossiers.events import LOCAL_TZ, DossierNotice, Status, hash_phone
from bot.services.dossiers.importer import ImportFileError, import_file
from bot.services.dossiers.service import DossierService
from bot.storage import Dossier, DossierEvent, DossierSubscription, OutboxMessage, SessionFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "dossiers"
KEY = "import-test-key"


def render(notice: DossierNotice) -> Reply:
    """A neutral renderer for tests."""
    return Reply(text=f"{notice.kind.value}|{notice.code}")


@pytest.fixture
def service(sessions: SessionFactory) -> DossierService:
    now = datetime(2025, 7, 26, tzinfo=UTC)
    return DossierService(sessions, hash_key=KEY, render_notice=render, clock=lambda: now)


async def count(sessions: SessionFactory, model: type[Dossier] | type[DossierEvent]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_good_csv_with_bom(service: DossierService, sessions: SessionFactory) -> None:
    report = await import_file(service, DATA / "good.csv")
    assert (report.rows, report.applied, report.created, report.errors) == (5, 5, 2, [])
    first = await service.lookup("000.00.24.H57-250722-0001")
    assert first is not None
    assert first.status is Status.READY
    assert first.note == "Nhận tại quầy số 3, mang theo giấy hẹn"
    assert first.agency == "UBND xã An Bình"
    assert first.due_at == datetime(2025, 7, 25, 17, tzinfo=LOCAL_TZ)
    assert first.status_at == datetime(2025, 7, 24, 10, tzinfo=LOCAL_TZ)
    second = await service.lookup("000.00.24.H57-250722-0002")
    assert second is not None
    assert second.due_at == datetime(2025, 8, 1, 23, 59, 59, tzinfo=LOCAL_TZ)  # extended by the 2nd row
    async with sessions() as session:
        rows = {d.code: d for d in await session.scalars(select(Dossier))}
    assert rows["000.00.24.H57-250722-0001"].online is True
    assert rows["000.00.24.H57-250722-0002"].online is False
    assert rows["000.00.24.H57-250722-0002"].phone_hash == hash_phone(KEY, "0987654321")
    assert await service.check_phone("000.00.24.H57-250722-0001", "5678")


async def test_good_jsonl(service: DossierService) -> None:
    report = await import_file(service, DATA / "good.jsonl")
    assert (report.rows, report.applied, report.errors) == (3, 3, [])
    view = await service.lookup("000.01.31.H26-250801-0007")
    assert view is not None
    assert view.status is Status.RETURNED
    assert [h.status for h in view.history] == [
        Status.RETURNED,
        Status.SUPPLEMENT_REQUESTED,
        Status.RECEIVED,
    ]
    assert view.timeliness.value == "early"


@pytest.mark.parametrize("name", ["good.csv", "good.jsonl"])
async def test_reimport_applies_nothing(service: DossierService, sessions: SessionFactory, name: str) -> None:
    first = await import_file(service, DATA / name)
    events = await count(sessions, DossierEvent)
    again = await import_file(service, DATA / name)
    assert again.applied == 0
    assert again.duplicates == first.applied
    assert await count(sessions, DossierEvent) == events


async def test_bad_csv_rows_are_reported_by_line_and_good_rows_kept(service: DossierService) -> None:
    report = await import_file(service, DATA / "broken_rows.csv")
    by_line = {e.line: {f.field for f in e.errors} for e in report.errors}
    assert by_line == {3: {"code"}, 4: {"status", "occurred_at"}, 5: {"phone"}, 6: {""}}
    assert report.applied == 2
    view = await service.lookup("000.00.24.H57-250722-0003")
    assert view is not None
    assert view.status is Status.READY
    assert view.note == "a note\non two lines"
    assert "line 6: 9 cells but 7 columns" in [str(e) for e in report.errors]


async def test_bad_jsonl_rows_are_reported_by_line(service: DossierService) -> None:
    report = await import_file(service, DATA / "broken_rows.jsonl")
    by_line = {e.line: {f.field for f in e.errors} for e in report.errors}
    assert by_line == {2: {""}, 3: {""}, 4: {"event_id", "code", "online"}}
    assert report.applied == 2
    view = await service.lookup("000.00.24.H57-250722-0004")
    assert view is not None and view.status is Status.READY


async def test_format_is_taken_from_the_option_over_the_name(service: DossierService, tmp_path: Path) -> None:
    path = tmp_path / "events.txt"
    shutil.copy(DATA / "good.jsonl", path)
    assert (await import_file(service, path)).applied == 3  # sniffed
    with pytest.raises(ImportFileError, match="missing required columns"):
        await import_file(service, path, "csv")


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (b"code,status,occurred_at\n\xff\xfe broken,ready,2025-07-22\n", "csv", "not UTF-8"),
        ("mã,trạng thái\n1,2\n".encode(), "csv", "missing required columns code, status, occurred_at"),
        (b"", "csv", "empty"),
        (b'code,status,occurred_at\n"open quote,ready,2025\n', "csv", "line 2"),
        (b'code,status,occurred_at\nx,"ready"y,z\n', "csv", "line 2"),
        (b"this is not json\n{}\n", "jsonl", "not JSON Lines"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", None, "not UTF-8"),
    ],
)
async def test_broken_files_write_nothing(
    service: DossierService,
    sessions: SessionFactory,
    tmp_path: Path,
    content: bytes,
    fmt: str | None,
    message: str,
) -> None:
    path = tmp_path / "broken.dat"
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        await import_file(service, path, fmt)  # type: ignore[arg-type]
    assert await count(sessions, DossierEvent) == 0


async def test_missing_columns_file(service: DossierService) -> None:
    with pytest.raises(ImportFileError, match="missing required columns"):
        await import_file(service, DATA / "missing_columns.csv")


async def test_rows_without_event_id_get_a_stable_one(service: DossierService, tmp_path: Path) -> None:
    path = tmp_path / "no_ids.csv"
    lines = ["code,status,occurred_at"] + [
        f"000.00.24.H57-250722-{n:04d},received,2025-07-22T08:00:00" for n in range(1, 26)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    seen: list[int] = []
    first = await import_file(service, path, batch_size=10, progress=lambda r: seen.append(r.applied))
    assert (first.applied, first.created) == (25, 25)
    assert seen == [10, 20]
    second = await import_file(service, path)
    assert (second.applied, second.duplicates) == (0, 25)


async def test_import_notifies_subscribers_of_newer_events(
    service: DossierService, sessions: SessionFactory, tmp_path: Path
) -> None:
    await import_file(service, DATA / "good.jsonl")
    async with sessions.begin() as session:
        session.add(
            DossierSubscription(
                dossier_code="000.01.31.H26-250801-0007",
                platform="zalo",
                chat_id="z9",
                user_id="z9",
                created_at=datetime(2025, 8, 1, tzinfo=UTC),
                active=True,
            )
        )
    later = datetime(2025, 8, 7, 9, tzinfo=LOCAL_TZ) + timedelta(days=1)
    older = datetime(2025, 8, 3, tzinfo=LOCAL_TZ)
    path = tmp_path / "more.jsonl"
    path.write_text(
        f'{{"event_id": "m1", "code": "000.01.31.H26-250801-0007", "status": "in_progress",'
        f' "occurred_at": "{older.isoformat()}"}}\n'
        f'{{"event_id": "m2", "code": "000.01.31.H26-250801-0007", "status": "withdrawn",'
        f' "occurred_at": "{later.isoformat()}"}}\n',
        encoding="utf-8",
    )
    report = await import_file(service, path)
    assert (report.applied, report.stale, report.notices) == (2, 1, 1)
    async with sessions() as session:
        keys = list(await session.scalars(select(OutboxMessage.key)))
    assert keys == ["dossier:m2:zalo:z9"]


async def test_future_dates_and_reused_ids_are_reported_rows_naming_the_id(
    service: DossierService, tmp_path: Path
) -> None:
    code = "000.00.24.H57-250722-0009"
    path = tmp_path / "hostile.csv"
    path.write_text(
        "event_id,code,status,occurred_at\n"
        f"r-1,{code},received,2025-07-22T08:00:00\n"
        f"f-1,{code},rejected,2199-01-01T00:00:00\n"
        f"r-1,{code},ready,2025-07-23T08:00:00\n"
        f"p-1,{code},in_progress,2025-07-22T10:00:00\n"
        f"r-1,{code},received,2025-07-22T08:00:00\n",
        encoding="utf-8",
    )
    report = await import_file(service, path)
    assert [str(e) for e in report.errors] == [
        "line 3: occurred_at: must not be more than a day in the future",
        "line 4: event_id: already used for an event with different content: r-1",
    ]
    assert (report.rows, report.applied, report.duplicates) == (5, 2, 1)
    view = await service.lookup(code)
    assert view is not None and view.status is Status.IN_PROGRESS
    # Across imports too: the recorded event decides what the id means.
    again = tmp_path / "again.jsonl"
    again.write_text(
        f'{{"event_id": "p-1", "code": "{code}", "status": "withdrawn", "occurred_at": "2025-07-24"}}\n',
        encoding="utf-8",
    )
    report = await import_file(service, again)
    assert [str(e) for e in report.errors] == [
        "line 1: event_id: already used for an event with different content: p-1"
    ]
    assert report.applied == 0
