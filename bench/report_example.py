"""A realistic week for the leaders' report, and its chart: ``docs/report-week-example.png`` is made by this.

Run: ``.venv/bin/python bench/report_example.py [--output docs/report-week-example.png] [--seed 15]``.

A fresh SQLite file gets the demo knowledge base (knowledge/demo, never the real catalogue) and one week
of made-up activity, drawn from a seeded random source so the same seed gives the same chart: about 430
procedure questions over the week (more on weekday mornings; most confident, some with choices, some not
answered, a fifth of the confident ones rated 👍/👎), 160 dossiers received at the commune's one-stop
desk and resolved early, on time or late against their appointment, their 1-5 ratings, and three
directives to twelve staff with their acknowledgements, about 40 residents' feedback items (most answered
within the 3 working days, some overdue, a half of the answers rated 1-5), and five community digital
team guides sending cards to the residents they sit with. The report is then built and drawn exactly as
``motcua report --period week --format png`` does, for the week Mon 30/11 - Sun 06/12/2026, and its
text is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.reporting.chart import render_png  # noqa: E402
from bot.reporting.text import render_text  # noqa: E402
from bot.services.procedures import import_procedures  # noqa: E402
from bot.services.report.build import Report, build_report  # noqa: E402
from bot.services.report.period import period_for  # noqa: E402
from bot.services.report.questions import QuestionLog  # noqa: E402
from bot.storage import (  # noqa: E402
    Acknowledgement,
    Directive,
    DirectiveRecipient,
    Dossier,
    DossierRating,
    GuideHelp,
    Person,
    SessionFactory,
    Unit,
    create_engine,
    session_factory,
)
from bot.storage.migrate import upgrade_engine  # noqa: E402
from bot.storage.models import FeedbackItem  # noqa: E402
from knowledge.demo import DEMO_DIR  # noqa: E402
from knowledge.importers import load_paths  # noqa: E402
from knowledge.model import Procedure  # noqa: E402

TZ = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(TZ)
MONDAY = datetime(2026, 11, 30, tzinfo=VN)
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=VN).astimezone(UTC)
QUESTIONS = 430
DOSSIERS = 160
STAFF = 12
FEEDBACK = 40
GUIDES = ("Nguyễn Thị Hồng", "Trần Văn Bình", "Lê Minh Châu", "Phạm Thu Dung", "Võ Quốc Khánh")
CHANNELS = (("zalo", 0.58), ("telegram", 0.37), ("console", 0.05))
OUTCOMES = (("confident", 0.66), ("choices", 0.22), ("none", 0.12))
# Residents ask about a few procedures far more than the rest.
POPULAR = ("1.014064", "1.001193", "1.000894", "1.004222", "1.001612")


def office_moment(rng: random.Random) -> datetime:
    """A moment in the week, mostly on weekday office hours."""
    day = rng.choices(range(7), weights=(18, 17, 16, 16, 15, 10, 8))[0]
    hour = rng.choices(range(24), weights=[1] * 6 + [3, 8, 10, 10, 9, 6, 4, 6, 9, 9, 8, 5, 4, 4, 3, 2, 1, 1])[
        0
    ]
    return (MONDAY + timedelta(days=day, hours=hour, minutes=rng.randrange(60))).astimezone(UTC)


def pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    """One of the names, by weight."""
    return rng.choices([n for n, _ in weighted], weights=[w for _, w in weighted])[0]


async def seed_questions(sessions: SessionFactory, procs: list[Procedure], rng: random.Random) -> None:
    """The question log, with a fifth of the confident answers rated."""
    by_code = {p.code: p for p in procs}
    popular = [by_code[c] for c in POPULAR if c in by_code]
    for _ in range(QUESTIONS):
        at = office_moment(rng)
        log = QuestionLog(sessions, clock=lambda at=at: at)  # type: ignore[misc]
        outcome = pick(rng, OUTCOMES)
        proc = (
            (rng.choice(popular) if popular and rng.random() < 0.55 else rng.choice(procs))
            if outcome == "confident"
            else None
        )
        entry = await log.record(
            pick(rng, CHANNELS),
            outcome,
            proc.code if proc else "",
            proc.agency if proc else "",  # type: ignore[arg-type]
        )
        if entry is not None and outcome == "confident" and rng.random() < 0.2:
            await log.rate(entry, rng.random() < 0.82)


async def seed_dossiers(sessions: SessionFactory, procs: list[Procedure], rng: random.Random) -> None:
    """Dossiers received in the week, most resolved, judged against their appointment."""
    async with sessions.begin() as session:
        for n in range(DOSSIERS):
            proc = rng.choice(procs)
            received = office_moment(rng)
            due = received + timedelta(days=rng.choice((1, 2, 3, 5)), hours=2)
            fate = rng.choices(("early", "on_time", "late", "open"), weights=(46, 34, 8, 12))[0]
            resolved = {
                "early": due - timedelta(days=1, hours=rng.randrange(1, 6)),
                "on_time": due - timedelta(hours=rng.randrange(1, 5)),
                "late": due + timedelta(hours=rng.randrange(3, 40)),
            }.get(fate)
            resolved = max(resolved, received + timedelta(hours=1)) if resolved else None
            code = f"000.00.24.H57-{received.astimezone(VN):%y%m%d}-{n + 1:04d}"
            session.add(
                Dossier(
                    code=code,
                    procedure_code=proc.code,
                    procedure_name=proc.name,
                    agency="UBND xã An Phú",
                    received_at=received,
                    due_at=due,
                    first_due_at=due,
                    status="tra_ket_qua" if resolved else "dang_xu_ly",
                    status_at=resolved or received,
                    resolved_at=resolved,
                    online=rng.random() < 0.4,
                    updated_at=NOW,
                )
            )
            if resolved and rng.random() < 0.3:
                score = rng.choices((5, 4, 3, 2, 1), weights=(55, 28, 10, 4, 3))[0]
                await session.flush()
                session.add(
                    DossierRating(
                        dossier_code=code, platform="zalo", user_id=f"u{n}", score=score, created_at=NOW
                    )
                )


async def seed_directives(sessions: SessionFactory, rng: random.Random) -> None:
    """Three directives needing acknowledgement, to twelve staff; most acknowledge within hours."""
    async with sessions.begin() as session:
        session.add_all(
            Person(id=n, name=f"Cán bộ {n}", role="staff", tags=[], created_at=NOW)
            for n in range(1, STAFF + 1)
        )
        await session.flush()
        for directive_id, day in ((1, 0), (2, 2), (3, 4)):
            sent = (MONDAY + timedelta(days=day, hours=8)).astimezone(UTC)
            session.add(
                Directive(
                    id=directive_id,
                    title=f"Chỉ đạo {directive_id}",
                    body="…",
                    urgency="thuong",
                    audience={"people": list(range(1, STAFF + 1))},
                    ack_required=True,
                    schedule_kind="now",
                    timezone=TZ,
                    status="sent",
                    last_occurrence="once",
                    created_at=sent,
                    updated_at=sent,
                )
            )
            await session.flush()
            for person in range(1, STAFF + 1):
                session.add(
                    DirectiveRecipient(
                        directive_id=directive_id,
                        occurrence="once",
                        platform="zalo",
                        chat_id=f"c{person}",
                        person_id=person,
                        status="queued",
                        created_at=sent,
                    )
                )
                if rng.random() < 0.85:
                    wait = timedelta(minutes=rng.choice((5, 12, 20, 35, 50, 75, 110, 180, 300)))
                    session.add(
                        Acknowledgement(
                            directive_id=directive_id,
                            occurrence="once",
                            person_id=person,
                            platform="zalo",
                            chat_id=f"c{person}",
                            at=sent + wait,
                            how="number",
                        )
                    )


async def seed_feedback(sessions: SessionFactory, procs: list[Procedure], rng: random.Random) -> None:
    """Feedback filed over the week (some the week before, due in this one); most answered in time."""
    async with sessions.begin() as session:
        session.add(Unit(id=1, name="Bộ phận một cửa", leader_id=None, tags=[], created_at=NOW))
        await session.flush()
        for n in range(FEEDBACK):
            filed = office_moment(rng) - timedelta(days=7 if n % 5 == 0 else 0)
            due = filed + timedelta(days=3)
            fate = rng.choices(("in_time", "late", "open"), weights=(70, 12, 18))[0]
            answered = {
                "in_time": filed + timedelta(hours=rng.randrange(2, 60)),
                "late": due + timedelta(hours=rng.randrange(2, 30)),
            }.get(fate)
            answered = answered if answered and answered < NOW else None
            rated = answered is not None and rng.random() < 0.5
            proc = rng.choice(procs)
            session.add(
                FeedbackItem(
                    kind="procedure",
                    ref=proc.code,
                    ref_name=proc.name,
                    text="…",
                    platform="zalo",
                    chat_id=f"r{n}",
                    user_id=f"r{n}",
                    unit_id=1,
                    status="answered" if answered else "open",
                    created_at=filed,
                    due_at=due,
                    answer="…" if answered else "",
                    answered_at=answered,
                    rating=rng.choices((5, 4, 3, 2, 1), weights=(45, 30, 12, 8, 5))[0] if rated else None,
                    rated_at=answered + timedelta(minutes=30) if rated and answered else None,
                )
            )


async def seed_guides(sessions: SessionFactory, procs: list[Procedure], rng: random.Random) -> None:
    """Five guides of the community digital team; each helps some residents with one to three cards."""
    by_code = {p.code: p for p in procs}
    popular = [by_code[c] for c in POPULAR if c in by_code] or procs
    async with sessions.begin() as session:
        for n, name in enumerate(GUIDES, start=STAFF + 1):
            session.add(Person(id=n, name=name, role="guide", unit_id=1, tags=[], created_at=NOW))
        await session.flush()
        for n, weight in zip(range(STAFF + 1, STAFF + 1 + len(GUIDES)), (14, 11, 8, 6, 3), strict=True):
            for resident in range(weight + rng.randrange(4)):
                at = office_moment(rng)
                for card in range(rng.choice((1, 1, 2, 3))):
                    proc = rng.choice(popular) if rng.random() < 0.6 else rng.choice(procs)
                    session.add(
                        GuideHelp(
                            guide_id=n,
                            unit_id=1,
                            platform="zalo",
                            resident_id=f"g{n}-{resident}",
                            procedure_code=proc.code,
                            at=at + timedelta(minutes=4 * card),
                        )
                    )


async def week_report(seed: int) -> Report:
    """Seed the week in a temporary database and build its report."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'week.db'}")
        try:
            await upgrade_engine(engine)
            sessions = session_factory(engine)
            procs = sorted(load_paths([DEMO_DIR]).procedures.values(), key=lambda p: p.code)
            await import_procedures(sessions, procs)
            await seed_questions(sessions, procs, rng)
            await seed_dossiers(sessions, procs, rng)
            await seed_directives(sessions, rng)
            await seed_feedback(sessions, procs, rng)
            await seed_guides(sessions, procs, rng)
            return await build_report(sessions, period_for("week", NOW, TZ), now=NOW)
        finally:
            await engine.dispose()


def main(output: Path, seed: int) -> None:
    """Print the seeded week's report and write its chart."""
    report = asyncio.run(week_report(seed))
    print(render_text(report), end="")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(render_png(report))
    print(f"\nwrote {output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report-week-example.png")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    main(args.output, args.seed)
