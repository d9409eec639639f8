"""What the staff console reads beyond the chat's services: logins, aliases and the report's figures."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from bot.services.aliases import AliasService
from bot.services.people import PeopleService
from bot.services.report.build import Report, build_report
from bot.services.report.period import period_for
from bot.services.web_login import WebLoginService
from bot.storage import SessionFactory
from bot.storage.columns import utcnow


class Figures:
    """The report's sections for one period and agency, as the CLI's ``motcua report`` computes them."""

    def __init__(
        self, sessions: SessionFactory, timezone: str, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._timezone = timezone
        self._clock = clock

    async def report(
        self,
        kind: Literal["week", "month"] = "week",
        *,
        first: date | None = None,
        last: date | None = None,
        agency: str = "",
    ) -> Report:
        """The figures of the last ``kind`` (or ``first``..``last``); ValueError when reversed."""
        now = self._clock()
        period = period_for(kind, now, self._timezone, first=first, last=last)
        return await build_report(self._sessions, period, agency=agency, now=now)


@dataclass(frozen=True, slots=True)
class ConsoleServices:
    """The console's own services."""

    logins: WebLoginService
    aliases: AliasService
    figures: Figures


def build_console(sessions: SessionFactory, people: PeopleService, timezone: str) -> ConsoleServices:
    """The console's services over ``sessions``."""
    return ConsoleServices(
        WebLoginService(sessions, people), AliasService(sessions), Figures(sessions, timezone)
    )
