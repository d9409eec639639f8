"""Route a neutral message to the handler that serves it."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar

from bot.messages import Incoming, Reply

Svc = TypeVar("Svc")
S_contra = TypeVar("S_contra", contravariant=True)


class Handler(Protocol[S_contra]):
    """An async function answering one message with replies."""

    def __call__(self, msg: Incoming, svc: S_contra, /) -> Awaitable[list[Reply]]: ...


class ChoiceMemory(Protocol):
    """Remembers the numbered choices last shown in a chat, so "2" can pick the second."""

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown (an empty list forgets)."""

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown, or [] if none or expired."""


_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*[.)]?\s*$")


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed ``/command args`` message."""

    name: str
    args: str


def parse_command(text: str) -> Command | None:
    """Parse ``/tim abc`` or ``/tim@MotcuaBot abc``; None if the text is not a command."""
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    return Command(name=match.group(1).lower(), args=(match.group(2) or "").strip())


class Router(Generic[Svc]):
    """Commands, button payloads by prefix, and one free-text fallback."""

    def __init__(self) -> None:
        self._commands: dict[str, Handler[Svc]] = {}
        self._payloads: dict[str, Handler[Svc]] = {}
        self._text: Handler[Svc] | None = None

    def command(self, *names: str) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register a handler for ``/name``."""

        def register(handler: Handler[Svc]) -> Handler[Svc]:
            for name in names:
                self._commands[name.lower()] = handler
            return handler

        return register

    def payload(self, prefix: str) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register a handler for button payloads starting with ``prefix:``."""

        def register(handler: Handler[Svc]) -> Handler[Svc]:
            self._payloads[prefix] = handler
            return handler

        return register

    def text(self) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register the handler for free text."""

        def register(handler: Handler[Svc]) -> Handler[Svc]:
            self._text = handler
            return handler

        return register

    def include(self, other: Router[Svc]) -> None:
        """Merge another feature's router into this one."""
        self._commands.update(other._commands)
        self._payloads.update(other._payloads)
        if other._text is not None:
            self._text = other._text

    @property
    def commands(self) -> list[str]:
        """Names of every registered command."""
        return sorted(self._commands)

    def resolve(self, msg: Incoming) -> Handler[Svc] | None:
        """Pick the handler for a message, or None if nothing serves it."""
        if msg.payload is not None:
            prefix = msg.payload.split(":", 1)[0]
            return self._payloads.get(prefix)
        command = parse_command(msg.text)
        if command is not None:
            return self._commands.get(command.name)
        return self._text if msg.text.strip() else None


class Dispatcher(Generic[Svc]):
    """Turns numbered answers into button presses, runs the handler and remembers new choices."""

    def __init__(
        self,
        router: Router[Svc],
        services: Svc,
        memory: ChoiceMemory,
        fallback: Callable[[Incoming], list[Reply]],
    ) -> None:
        self._router = router
        self._services = services
        self._memory = memory
        self._fallback = fallback

    async def dispatch(self, msg: Incoming) -> list[Reply]:
        """Answer one message; never raises for bad input (handlers' bugs do propagate)."""
        msg = await self._resolve_number(msg)
        handler = self._router.resolve(msg)
        replies = self._fallback(msg) if handler is None else await handler(msg, self._services)
        shown = [b.payload for r in replies for b in r.buttons]
        # Silence (e.g. group chatter not meant for the bot) must not wipe a list someone is answering.
        if replies and (shown or msg.payload is None):
            await self._memory.remember(msg.chat.key, shown)
        return replies

    async def _resolve_number(self, msg: Incoming) -> Incoming:
        if msg.payload is not None:
            return msg
        match = _NUMBER.match(msg.text)
        if match is None:
            return msg
        choices = await self._memory.recall(msg.chat.key)
        index = int(match.group(1)) - 1
        if 0 <= index < len(choices):
            return replace(msg, payload=choices[index])
        return msg
