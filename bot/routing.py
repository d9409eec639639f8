"""Route a neutral message to the handler that serves it.

Order, for one message: a button payload (or a number picking one of the choices last shown) goes
to its payload handler; a command goes to its command handler and ends the chat's active flow
first, so any command (``/huy`` included) is a way out and never an answer to a flow's question;
other text, when the bot is addressed and the chat has an unexpired flow, goes to that flow's
handler; everything else goes to the free-text handler. An expired flow is simply absent, so the
message is routed as if there never was one.

Search choices carry their question (:attr:`bot.messages.Reply.question`); the next message the bot
answers in that chat settles it: a pick of one of the live choices, or else the question is handed to
the dispatcher's ``unpicked`` hook (which records it as unanswered).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar, runtime_checkable

from bot.messages import Incoming, Reply
from bot.services.conversations import ChatState, Flow, StaleFlow

log = logging.getLogger(__name__)

Svc = TypeVar("Svc")
S_contra = TypeVar("S_contra", contravariant=True)


class Handler(Protocol[S_contra]):
    """An async function answering one message with replies."""

    def __call__(self, msg: Incoming, svc: S_contra, /) -> Awaitable[list[Reply]]: ...


class FlowHandler(Protocol[S_contra]):
    """An async function answering free text within a flow; it moves the flow on through the services.

    It must advance or end the flow before any other side effect: when it loses a race to another
    message of the same chat, the store raises StaleFlow and the dispatcher runs it again.
    """

    def __call__(self, msg: Incoming, svc: S_contra, flow: Flow, /) -> Awaitable[list[Reply]]: ...


class ChoiceMemory(Protocol):
    """Remembers the numbered choices last shown in a chat, so "2" can pick the second."""

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown (an empty list forgets)."""

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown, or [] if none or expired."""


class FlowMemory(Protocol):
    """Reads a chat's active flow and ends it (handlers start and advance flows through the services)."""

    async def flow(self, chat_key: str) -> Flow | None:
        """Return the chat's active flow, or None if it has none or it expired."""

    async def end_flow(self, target: str) -> bool:
        """End the chat's flow; True if it had one."""


@runtime_checkable
class ConversationStore(ChoiceMemory, FlowMemory, Protocol):
    """Choices and flow in one store that reads both at once and forgets without writing needlessly."""

    async def remember(self, chat_key: str, payloads: list[str], question: str = "") -> None:
        """Store the payloads shown and the search question they answer (an empty list forgets)."""

    async def settle(self, chat_key: str, question: str) -> bool:
        """Clear the chat's pending question; True for the one caller that cleared it."""

    async def state(self, chat_key: str) -> ChatState:
        """Read the chat's unexpired choices and active flow in one query."""

    async def forget(self, chat_key: str, *, known: ChatState | None = None) -> None:
        """Forget the chat's choices; no write when ``known`` (as read) shows none."""


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
    """Commands, button payloads by prefix, flows by name, and one free-text fallback."""

    def __init__(self) -> None:
        self._commands: dict[str, Handler[Svc]] = {}
        self._payloads: dict[str, Handler[Svc]] = {}
        self._flows: dict[str, FlowHandler[Svc]] = {}
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

    def flow(self, name: str) -> Callable[[FlowHandler[Svc]], FlowHandler[Svc]]:
        """Register the handler for free text while the chat's active flow is ``name``."""

        def register(handler: FlowHandler[Svc]) -> FlowHandler[Svc]:
            self._flows[name] = handler
            return handler

        return register

    def include(self, other: Router[Svc]) -> None:
        """Merge another feature's router into this one."""
        self._commands.update(other._commands)
        self._payloads.update(other._payloads)
        self._flows.update(other._flows)
        if other._text is not None:
            self._text = other._text

    @property
    def commands(self) -> list[str]:
        """Names of every registered command."""
        return sorted(self._commands)

    @property
    def flows(self) -> list[str]:
        """Names of every registered flow."""
        return sorted(self._flows)

    def flow_handler(self, name: str) -> FlowHandler[Svc] | None:
        """The handler of flow ``name``, or None."""
        return self._flows.get(name)

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
    """Turns numbered answers into button presses, runs the handler and remembers new choices.

    With ``flows`` (the conversation store), it also routes a chat's free text to its active flow.
    A handler that loses a compare-and-set race raises :class:`StaleFlow`; the message is then
    answered again from the top against the flow as it now is, as if it had arrived second.
    """

    STALE_ATTEMPTS = 5

    def __init__(
        self,
        router: Router[Svc],
        services: Svc,
        memory: ChoiceMemory,
        fallback: Callable[[Incoming], list[Reply]],
        *,
        flows: FlowMemory | None = None,
        unpicked: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        """``unpicked`` receives the question of choices the next message did not pick from."""
        if router.flows and flows is None:
            raise ValueError(f"the router has flows {router.flows} but the dispatcher has no flow store")
        self._router = router
        self._services = services
        self._memory = memory
        self._fallback = fallback
        self._flows = flows
        # One read per message serves the numbered answer, the flow and the forgetting.
        self._store = memory if isinstance(memory, ConversationStore) and memory is flows else None
        self._unpicked = unpicked

    async def dispatch(self, msg: Incoming) -> list[Reply]:
        """Answer one message; never raises for bad input (handlers' bugs do propagate)."""
        state = await self._state(msg)
        msg = await self._resolve_number(msg, state)
        for attempt in range(1, self.STALE_ATTEMPTS + 1):
            try:
                replies = await self._answer(msg, state)
                break
            except StaleFlow:
                if attempt == self.STALE_ATTEMPTS:
                    raise
                log.info("chat %s: flow changed under message, answering again", msg.chat.key)
                state = await self._state(msg)
        # Silence (e.g. group chatter not meant for the bot) is not the next message: it settles nothing.
        if replies and state is not None and state.question:
            await self._settle(msg, state)
        shown = [b.payload for r in replies for b in r.buttons]
        # Silence must not wipe a list someone is answering either.
        if replies and (shown or msg.payload is None):
            if self._store is None:
                await self._memory.remember(msg.chat.key, shown)
            elif shown:
                question = next((r.question for r in replies if r.buttons and r.question), "")
                await self._store.remember(msg.chat.key, shown, question)
            else:
                await self._store.forget(msg.chat.key, known=state)
        return replies

    async def _state(self, msg: Incoming) -> ChatState | None:
        # A pressed button skips the read unless it may settle a question.
        if self._store is None or (msg.payload is not None and self._unpicked is None):
            return None
        return await self._store.state(msg.chat.key)

    async def _settle(self, msg: Incoming, state: ChatState) -> None:
        """The message after choices: a pick of one of them settles the question, else it went unpicked."""
        assert self._store is not None
        picked = msg.payload is not None and msg.payload in state.choices
        settled = await self._store.settle(msg.chat.key, state.question)
        if settled and not picked and self._unpicked is not None:
            await self._unpicked(state.question)

    async def _answer(self, msg: Incoming, state: ChatState | None) -> list[Reply]:
        if self._flows is not None and msg.payload is None:
            if parse_command(msg.text) is not None:
                if state is None or state.flow_stored:
                    await self._flows.end_flow(msg.chat.key)
            elif msg.addressed and msg.text.strip():
                flow = await self._flows.flow(msg.chat.key) if state is None else state.flow
                if flow is not None:
                    flow_handler = self._router.flow_handler(flow.name)
                    if flow_handler is not None:
                        return await flow_handler(msg, self._services, flow)
                    log.warning("chat %s: no handler for flow %r; routing normally", msg.chat.key, flow.name)
        handler = self._router.resolve(msg)
        return self._fallback(msg) if handler is None else await handler(msg, self._services)

    async def _resolve_number(self, msg: Incoming, state: ChatState | None) -> Incoming:
        if msg.payload is not None:
            return msg
        match = _NUMBER.match(msg.text)
        if match is None:
            return msg
        choices = await self._memory.recall(msg.chat.key) if state is None else state.choices
        index = int(match.group(1)) - 1
        if 0 <= index < len(choices):
            return replace(msg, payload=choices[index])
        return msg
