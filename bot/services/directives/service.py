"""The directive service: one object per concept, sharing one set of settings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, time

from bot.services.directives.acks import Acknowledgements
from bot.services.directives.publishing import Publishing
from bot.services.directives.recurring import NextFire, no_cron
from bot.services.directives.reminders import Reminders
from bot.services.directives.render import DirectiveRenderer, EscalationRenderer, ReminderRenderer
from bot.services.directives.reports import Reports
from bot.services.directives.settings import Reminding, Settings
from bot.services.directives.writing import Writing
from bot.services.schedule import zone
from bot.storage import SessionFactory
from bot.storage.columns import utcnow


class DirectiveService:
    """Directives to staff, by concept; delivery goes through the outbox.

    - ``writing``: check, create, submit (create and publish at once), change;
    - ``publishing``: publish, recurring runs, settle, cancel;
    - ``acks`` and ``reminders``: who acknowledged, reminders and escalation;
    - ``reports``: read one, the newest, and the report.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        render: DirectiveRenderer,
        render_reminder: ReminderRenderer,
        render_escalation: EscalationRenderer,
        clock: Callable[[], datetime] = utcnow,
        timezone: str = "Asia/Ho_Chi_Minh",
        quiet_start: time = time(21, 0),
        quiet_end: time = time(6, 30),
        next_fire: NextFire = no_cron,
        reminder_minutes: Sequence[int] = (60, 240),
        escalate_after: int = 2,
        ack_deadline_hours: int = 24,
    ) -> None:
        """The renderers decide what staff read; the rest defaults to the configuration's defaults.

        ``ack_deadline_hours``: the deadline of an acknowledgement a one-off draft names none for
        (0: none). ``reminder_minutes`` and ``escalate_after`` apply to directives naming none.
        """
        self.settings = Settings(
            clock=clock,
            zone=zone(timezone),
            quiet=(quiet_start, quiet_end),
            next_fire=next_fire,
            render=render,
            render_reminder=render_reminder,
            render_escalation=render_escalation,
            reminding=Reminding.of(tuple(reminder_minutes), escalate_after),
            ack_deadline_hours=ack_deadline_hours,
        )
        self.writing = Writing(sessions, self.settings)
        self.publishing = Publishing(sessions, self.settings)
        self.acks = Acknowledgements(sessions, self.settings)
        self.reminders = Reminders(sessions, self.settings)
        self.reports = Reports(sessions)
