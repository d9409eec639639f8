"""The neutral vocabulary shared by adapters, the router and handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Platform(StrEnum):
    """A channel the bot is reachable on."""

    TELEGRAM = "telegram"
    ZALO = "zalo"
    CONSOLE = "console"
    WEB = "web"


@dataclass(frozen=True, slots=True)
class ChatRef:
    """One conversation on one platform (a private chat or a group)."""

    platform: Platform
    chat_id: str
    is_group: bool = False

    @property
    def key(self) -> str:
        """Return a stable string key, e.g. ``telegram:12345``."""
        return f"{self.platform.value}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message or button press from a user, stripped of platform details.

    ``text`` is what the user typed; ``payload`` is the opaque data of a pressed button
    (Telegram callback data, or a numbered choice resolved by the router).
    """

    chat: ChatRef
    user_id: str
    text: str = ""
    payload: str | None = None
    event_id: str = ""
    user_name: str = ""
    addressed: bool = True
    """False in a group when the bot was neither mentioned nor commanded."""


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the user; ``payload`` comes back when it is chosen."""

    label: str
    payload: str


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send.

    ``text`` uses the small markup of :mod:`bot.markup` (``<b>``, ``<i>``, ``<a href>``,
    ``<code>``); every piece of user or catalogue text in it is escaped with
    :func:`bot.markup.esc`. Adapters turn it into HTML, plain text or numbered choices.
    """

    text: str
    buttons: tuple[Button, ...] = field(default=())
    image: bytes | None = None
    question: str = ""
    """With search choices: the folded question they answer, never sent. The dispatcher remembers it
    with the buttons, so a list the next message does not pick from is counted as unanswered."""
