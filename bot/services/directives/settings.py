"""What every part of the directive service shares: the clock, time zone, quiet hours, cron reader,
renderers, and the configured defaults a directive may override."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.directives.model import Urgency
from bot.services.directives.recurring import NextFire, cron_rule
from bot.services.directives.render import DirectiveRenderer, EscalationRenderer, ReminderRenderer
from bot.services.schedule import after_quiet_hours, zone


@dataclass(frozen=True, slots=True)
class Reminding:
    """When those who have not acknowledged are reminded, and after how many reminders their leader hears."""

    minutes: tuple[int, ...]
    escalate_after: int

    @classmethod
    def of(cls, minutes: tuple[int, ...] | list[int], escalate_after: int) -> Reminding:
        """Minutes sorted without repeats; the escalation within the number of reminders."""
        ordered = tuple(sorted(set(minutes)))
        return cls(ordered, min(max(escalate_after, 0), len(ordered)))

    @property
    def offsets(self) -> list[timedelta]:
        """Each reminder's delay after delivery."""
        return [timedelta(minutes=m) for m in self.minutes]

    @property
    def escalation(self) -> timedelta | None:
        """How long after delivery the leader is told (None: never): the last reminder plus one more gap."""
        n = self.escalate_after
        if n == 0:
            return None
        gap = self.minutes[n - 1] - (self.minutes[n - 2] if n >= 2 else 0)
        return timedelta(minutes=self.minutes[n - 1] + gap)

    @property
    def horizon(self) -> timedelta:
        """How long after delivery a reminder or the escalation may still be due (a day's slack added)."""
        last = self.offsets[-1] if self.minutes else timedelta(0)
        return max(last, self.escalation or last) + timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Settings:
    """The shared parts and defaults (built once by :class:`bot.services.directives.DirectiveService`)."""

    clock: Callable[[], datetime]
    zone: ZoneInfo
    quiet: tuple[time, time]
    next_fire: NextFire
    render: DirectiveRenderer
    render_reminder: ReminderRenderer
    render_escalation: EscalationRenderer
    reminding: Reminding
    """The configured reminders, for directives that name none."""
    ack_deadline_hours: int
    """The deadline of an acknowledgement a one-off draft names none for (0: none)."""

    def release_time(self, due: datetime, urgency: Urgency) -> datetime:
        """When a message due at ``due`` may go: urgent at once, others after the quiet hours."""
        if urgency is Urgency.KHAN:
            return due
        return after_quiet_hours(due, self.zone, *self.quiet)

    def next_run(self, rule: str, after: datetime, timezone: str) -> datetime | None:
        """The next firing of a cron rule (or an everyday Vietnamese one) after ``after``."""
        return self.next_fire(cron_rule(rule), after, zone(timezone))
