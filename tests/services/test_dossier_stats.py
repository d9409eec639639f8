"""Dossier figures on a small known data set: per agency, in total, period boundaries in Viet Nam time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.messages import Reply
from bot.services.dossiers.events import LOCAL_TZ, DossierEventIn, DossierNotice, Status
from bot.services.dossiers.importer import import_file
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.stats import AgencyStats, dossier_stats
from bot.storage import DossierRating, SessionFactory

DATA = Path(__file__).resolve().parent.parent / "data" / "dossiers"
NOW = datetime(2025, 7, 10, 12, tzinfo=LOCAL_TZ)
AN_BINH = "UBND xã An Bình"
TAN_LAP = "Công an xã Tân Lập"
JULY_FROM, JULY_TO = date(2025, 7, 1), date(2025, 7, 31)


def render(notice: DossierNotice) -> Reply:
    """A neutral renderer for tests."""
    return Reply(text=notice.kind.value)


async def load_stats_data(sessions: SessionFactory) -> None:
    """Import tests/data/dossiers/stats.jsonl and rate three dossiers (5, 3 and 2)."""
    service = DossierService(sessions, hash_key="k", render_notice=render, clock=lambda: NOW)
    report = await import_file(service, DATA / "stats.jsonl")
    assert report.errors == [] and report.applied == 17
    async with sessions.begin() as session:
        for n, score in ((1, 5), (2, 3), (6, 2)):
            session.add(
                DossierRating(
                    dossier_code=f"000.00.24.H57-250701-{n:04d}",
                    platform="telegram",
                    user_id="u",
                    score=score,
                    comment="",
                    created_at=datetime(2025, 7, 9, tzinfo=UTC),
                )
            )


@pytest.fixture
async def loaded(sessions: SessionFactory) -> SessionFactory:
    await load_stats_data(sessions)
    return sessions


def figures(stats: AgencyStats) -> tuple[int, ...]:
    return (
        stats.received,
        stats.early,
        stats.on_time,
        stats.late,
        stats.open,
        stats.overdue,
        stats.online,
        stats.ratings,
    )


async def test_figures_per_agency_and_total(loaded: SessionFactory) -> None:
    stats = await dossier_stats(loaded, now=NOW, date_from=JULY_FROM, date_to=JULY_TO)
    by_agency = {a.agency: a for a in stats.agencies}
    assert list(by_agency) == sorted([AN_BINH, TAN_LAP])
    assert figures(by_agency[AN_BINH]) == (4, 1, 1, 1, 1, 1, 2, 2)
    assert by_agency[AN_BINH].satisfaction == 4.0
    assert by_agency[AN_BINH].online_share == 0.5
    # No.7 was received on 30 June at 23:30 and No.9 on 1 August at 00:30, Viet Nam time.
    assert figures(by_agency[TAN_LAP]) == (3, 1, 0, 0, 1, 0, 2, 1)
    assert figures(stats.total) == (7, 2, 1, 1, 2, 1, 4, 3)
    assert stats.total.resolved == 4
    assert stats.total.satisfaction == pytest.approx(10 / 3)


async def test_whole_history_and_agency_filter(loaded: SessionFactory) -> None:
    everything = await dossier_stats(loaded, now=NOW)
    assert everything.total.received == 9
    only = await dossier_stats(loaded, now=NOW, agency="An Bình", date_from=JULY_FROM, date_to=JULY_TO)
    assert [a.agency for a in only.agencies] == [AN_BINH]
    assert figures(only.total) == (4, 1, 1, 1, 1, 1, 2, 2)


async def test_empty_period(loaded: SessionFactory) -> None:
    stats = await dossier_stats(loaded, date_from=date(2024, 1, 1), date_to=date(2024, 1, 31), now=NOW)
    assert stats.agencies == ()
    assert stats.total.received == 0
    assert stats.total.online_share is None and stats.total.satisfaction is None


async def test_a_dossier_resolved_by_its_extended_date_counts_as_late(sessions: SessionFactory) -> None:
    service = DossierService(sessions, hash_key="k", render_notice=render, clock=lambda: NOW)
    code = "000.00.24.H57-250703-0099"
    received_at = datetime(2025, 7, 3, 8, 0, tzinfo=LOCAL_TZ)
    due = datetime(2025, 7, 4, 17, 0, tzinfo=LOCAL_TZ)
    events = [
        DossierEventIn("x-r", code, Status.RECEIVED, received_at, agency="UBND xã Gia Hạn", due_at=due),
        DossierEventIn("x-e", code, Status.IN_PROGRESS, due, new_due_at=due + timedelta(days=7)),
        DossierEventIn("x-d", code, Status.READY, due + timedelta(days=3)),
    ]
    await service.apply(events, source="import")
    stats = await dossier_stats(sessions, date_from=JULY_FROM, date_to=JULY_TO, agency="Gia Hạn")
    assert (stats.total.late, stats.total.on_time, stats.total.early) == (1, 0, 0)
