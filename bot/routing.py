"""Route a neutral message to the handler that serves it.

Order, for one message: a button payload (or a number picking one of the choices last shown) goes
to its payload handler; a command, parsed once here, goes to its command handler with the parsed
:class:`Command` and ends the chat's active flow first, so any command (``/huy`` included) is a way out
and never an answer to a flow's question; other text, when the bot is addressed and the chat has an
unexpired flow, goes to that flow's handler; a number typed alone that picks nothing (out of range, or no
list at all) goes to the stray-number handler, and the list it missed is kept; everything else goes to
the first passive matcher (by priority) whose pattern accepts the text. An expired flow is simply
absent, so the message is routed as if there never was one.

In a group, a message not addressed to the bot reaches only what is registered ``unaddressed``: a
passive matcher (the acknowledgement keyword) or a payload a typed number picks (its "Đã nhận").

Search choices carry their question (:attr:`bot.messages.Reply.question`); the next message the bot
answers in that chat settles it: a pick of one of the live choices, or else the question is handed to
the dispatcher's ``unpicked`` hook (which records it as unanswered).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable, Container
from dataclasses import dataclass, replace
from typing import Generic, Protocol, TypeVar, runtime_checkable

from bot import texts
from bot.messages import Incoming, Reply
from bot.services.conversations import ChatState, Flow, StaleFlow

log = logging.getLogger(__name__)

Svc = TypeVar("Svc")
S_contra = TypeVar("S_contra", contravariant=True)
_T = TypeVar("_T")


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


_COMMAND = re.compile(r"^/(\S{1,64})(?:\s+(.*))?$", re.DOTALL)
_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
# Any number typed alone ("2", "số 2", "-1", "100"): a try at picking from a list, never a search question.
_NUMBER = re.compile(r"^\s*(?:số\s*|#\s*)?([-+−]?)\s*([0-9]{1,12})\s*[.)]?\s*$", re.IGNORECASE)
# The order in which free text is read, in one place: the lowest priority is tried first.
ACK_KEYWORDS = 10
""" "đã nhận" typed alone acknowledges a directive, before any other reading of the text."""
RECEIPT_CODES = 20
"""A receipt code anywhere in a message shows its dossier, before the text is taken as a question."""
SEARCH = 1000
"""Anything else is a procedure question: the catch-all passive matcher (:meth:`Router.text`)."""


@dataclass(frozen=True, slots=True)
class Command:
    """A parsed ``/command args`` message."""

    name: str
    args: str


def _fold_name(word: str) -> str:
    """A command word as registered: lower case, without Vietnamese marks (phones add them: "/tìm")."""
    decomposed = unicodedata.normalize("NFD", word.lower().replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def parse_command(text: str, known: Container[str] = ()) -> Command | None:
    """Parse ``/tim abc``, ``/tim@MotcuaBot abc`` or ``/tìm abc``; None if the text is not a command.

    A command name typed as two words ("/thủ tục", "/tìm kiếm") is joined when the joined name is
    one of ``known``.
    """
    match = _COMMAND.match(text.strip())
    if match is None:
        return None
    name = _fold_name(match.group(1).partition("@")[0])
    if not _NAME.match(name):
        return None
    args = (match.group(2) or "").strip()
    second, _, rest = args.partition(" ")
    if second and name + _fold_name(second) in known:
        name, args = name + _fold_name(second), rest.strip()
    return Command(name=name, args=args)


@dataclass(frozen=True, slots=True)
class StrayNumber:
    """A number typed alone that picks nothing: how many choices the chat's list holds (0: no list)."""

    text: str
    choices: int


class StrayNumberHandler(Protocol[S_contra]):
    """An async function answering a number that picks nothing (out of range, or no list at all)."""

    def __call__(self, msg: Incoming, svc: S_contra, number: StrayNumber, /) -> Awaitable[list[Reply]]: ...


class CommandHandler(Protocol[S_contra]):
    """An async function answering a command, given the command as parsed."""

    def __call__(self, msg: Incoming, svc: S_contra, command: Command, /) -> Awaitable[list[Reply]]: ...


Pattern = re.Pattern[str] | Callable[[str], bool]
"""What a passive matcher accepts: a regular expression found in the text, or a test of the text."""


@dataclass(frozen=True, slots=True)
class Passive(Generic[Svc]):
    """A free-text matcher: its handler answers text its pattern accepts; lower priorities go first."""

    pattern: Pattern
    priority: int
    handler: Handler[Svc]
    unaddressed: bool = False
    """Also for group messages not addressed to the bot (the handler then stays silent unless it acts)."""

    def accepts(self, msg: Incoming) -> bool:
        """True when this matcher answers ``msg``."""
        if not (msg.addressed or self.unaddressed):
            return False
        if isinstance(self.pattern, re.Pattern):
            return self.pattern.search(msg.text) is not None
        return self.pattern(msg.text)


def any_text(text: str) -> bool:
    """The catch-all pattern: any text that is not blank."""
    return bool(text.strip())


class Router(Generic[Svc]):
    """Commands, button payloads by prefix, flows by name, and passive matchers by priority.

    Registering anything twice (in one router, or through :meth:`include`) raises ValueError, so no
    registration silently wins over another.
    """

    def __init__(self) -> None:
        self._commands: dict[str, CommandHandler[Svc]] = {}
        self._payloads: dict[str, Handler[Svc]] = {}
        self._unaddressed_payloads: set[str] = set()
        self._flows: dict[str, FlowHandler[Svc]] = {}
        self._passives: list[Passive[Svc]] = []
        self._stray_number: StrayNumberHandler[Svc] | None = None

    def stray_number(self) -> Callable[[StrayNumberHandler[Svc]], StrayNumberHandler[Svc]]:
        """Register the handler for a number typed alone that picks none of the chat's choices."""

        def register(handler: StrayNumberHandler[Svc]) -> StrayNumberHandler[Svc]:
            if self._stray_number is not None:
                raise ValueError("the stray-number handler is registered twice")
            self._stray_number = handler
            return handler

        return register

    def command(self, *names: str) -> Callable[[CommandHandler[Svc]], CommandHandler[Svc]]:
        """Register a handler for ``/name`` (names are lower case without marks)."""

        def register(handler: CommandHandler[Svc]) -> CommandHandler[Svc]:
            for name in names:
                self._add(self._commands, name.lower(), handler, "command /")
            return handler

        return register

    def payload(self, prefix: str, *, unaddressed: bool = False) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register a handler for button payloads starting with ``prefix:``.

        ``unaddressed``: a number typed in a group without naming the bot may pick such a payload.
        """

        def register(handler: Handler[Svc]) -> Handler[Svc]:
            self._add(self._payloads, prefix, handler, "payload ")
            if unaddressed:
                self._unaddressed_payloads.add(prefix)
            return handler

        return register

    def passive(
        self, pattern: Pattern, *, priority: int, unaddressed: bool = False
    ) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register a handler for free text ``pattern`` accepts, tried in ``priority`` order."""

        def register(handler: Handler[Svc]) -> Handler[Svc]:
            self._add_passive(Passive(pattern, priority, handler, unaddressed))
            return handler

        return register

    def text(self) -> Callable[[Handler[Svc]], Handler[Svc]]:
        """Register the handler for any other text (the passive matcher tried last)."""
        return self.passive(any_text, priority=SEARCH)

    def flow(self, name: str) -> Callable[[FlowHandler[Svc]], FlowHandler[Svc]]:
        """Register the handler for free text while the chat's active flow is ``name``."""

        def register(handler: FlowHandler[Svc]) -> FlowHandler[Svc]:
            self._add(self._flows, name, handler, "flow ")
            return handler

        return register

    def include(self, other: Router[Svc]) -> None:
        """Merge another feature's router into this one; ValueError on anything registered twice."""
        for name, command in other._commands.items():
            self._add(self._commands, name, command, "command /")
        for prefix, handler in other._payloads.items():
            self._add(self._payloads, prefix, handler, "payload ")
        self._unaddressed_payloads |= other._unaddressed_payloads
        for name, flow in other._flows.items():
            self._add(self._flows, name, flow, "flow ")
        for passive in other._passives:
            self._add_passive(passive)
        if other._stray_number is not None:
            self.stray_number()(other._stray_number)

    @staticmethod
    def _add(table: dict[str, _T], key: str, value: _T, what: str) -> None:
        if key in table:
            raise ValueError(f"{what}{key} is registered twice")
        table[key] = value

    def _add_passive(self, passive: Passive[Svc]) -> None:
        if any(p.priority == passive.priority for p in self._passives):
            raise ValueError(f"two passive matchers with priority {passive.priority}")
        self._passives = sorted([*self._passives, passive], key=lambda p: p.priority)

    @property
    def commands(self) -> list[str]:
        """Names of every registered command."""
        return sorted(self._commands)

    @property
    def flows(self) -> list[str]:
        """Names of every registered flow."""
        return sorted(self._flows)

    @property
    def passives(self) -> list[Passive[Svc]]:
        """The passive matchers, in the order they are tried."""
        return list(self._passives)

    def parse(self, msg: Incoming) -> Command | None:
        """The message's command (names typed as two words joined when registered so), or None."""
        return None if msg.payload is not None else parse_command(msg.text, self._commands)

    def flow_handler(self, name: str) -> FlowHandler[Svc] | None:
        """The handler of flow ``name``, or None."""
        return self._flows.get(name)

    def command_handler(self, name: str) -> CommandHandler[Svc] | None:
        """The handler of command ``name``, or None."""
        return self._commands.get(name)

    def payload_handler(self, payload: str) -> Handler[Svc] | None:
        """The handler of a button payload, or None."""
        return self._payloads.get(payload.split(":", 1)[0])

    def unaddressed_payload(self, payload: str) -> bool:
        """True when a number typed without naming the bot may pick this payload."""
        return payload.split(":", 1)[0] in self._unaddressed_payloads

    def stray_number_handler(self) -> StrayNumberHandler[Svc] | None:
        """The handler of numbers that pick nothing, or None."""
        return self._stray_number

    def match(self, msg: Incoming) -> Handler[Svc] | None:
        """The handler of the first passive matcher accepting the text, or None."""
        return next((p.handler for p in self._passives if p.accepts(msg)), None)


Fallback = Callable[[Incoming, Command | None], list[Reply]]
"""What answers a message nothing serves, given its command when it has one."""


class Dispatcher(Generic[Svc]):
    """Turns numbered answers into button presses, runs the handler and remembers new choices.

    With ``flows`` (the conversation store), it also routes a chat's free text to its active flow.
    A handler that loses a compare-and-set race raises :class:`StaleFlow`; the message is then
    answered again from the top against the flow as it now is, as if it had arrived second. After
    :attr:`STALE_ATTEMPTS` lost races the sender is asked to send the message again.
    """

    STALE_ATTEMPTS = 5

    def __init__(
        self,
        router: Router[Svc],
        services: Svc,
        memory: ChoiceMemory,
        fallback: Fallback,
        *,
        flows: FlowMemory | None = None,
        unpicked: Callable[[str], Awaitable[object]] | None = None,
    ) -> None:
        """``fallback`` answers what nothing serves (an unknown command, a stale button, an image).

        ``unpicked`` receives the question of choices the next message did not pick from.
        """
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
        msg, choices = await self._resolve_number(msg, state)
        for attempt in range(1, self.STALE_ATTEMPTS + 1):
            try:
                replies, stray = await self._answer(msg, state, choices)
                break
            except StaleFlow:
                if attempt == self.STALE_ATTEMPTS:
                    # The chat's other messages kept moving the flow on: ask for this one again, politely.
                    log.warning("chat %s: flow kept changing; asked to send again", msg.chat.key)
                    return [Reply(text=texts.TRY_AGAIN)]
                log.info("chat %s: flow changed under message, answering again", msg.chat.key)
                state = await self._state(msg)
        # A number outside the list keeps the list (and its question) for the right number.
        if stray and choices:
            return replies
        # Silence (e.g. group chatter not meant for the bot) is not the next message: it settles nothing.
        if replies and state is not None and state.question:
            await self._settle(msg, state)
        shown = [b.payload for r in replies for b in r.buttons]
        # Silence must not wipe a list someone is answering either, nor a group member's word not
        # addressed to the bot (an acknowledgement): the others may still pick from that list.
        if replies and (shown or msg.payload is None) and msg.addressed:
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

    async def _answer(self, msg: Incoming, state: ChatState | None, choices: int) -> tuple[list[Reply], bool]:
        """The replies, and whether they answer a number that picked nothing."""
        command = self._router.parse(msg)
        if command is not None:
            if self._flows is not None and (state is None or state.flow_stored):
                await self._flows.end_flow(msg.chat.key)
            command_handler = self._router.command_handler(command.name)
            if command_handler is None:
                return self._fallback(msg, command), False
            return await command_handler(msg, self._services, command), False
        if msg.payload is not None:
            handler = self._router.payload_handler(msg.payload)
            return (
                self._fallback(msg, None) if handler is None else await handler(msg, self._services)
            ), False
        if self._flows is not None and msg.addressed and msg.text.strip():
            flow = await self._flows.flow(msg.chat.key) if state is None else state.flow
            if flow is not None:
                flow_handler = self._router.flow_handler(flow.name)
                if flow_handler is not None:
                    return await flow_handler(msg, self._services, flow), False
                log.warning("chat %s: no handler for flow %r; routing normally", msg.chat.key, flow.name)
        stray = self._router.stray_number_handler()
        if stray is not None and msg.addressed and _NUMBER.match(msg.text):
            return await stray(msg, self._services, StrayNumber(text=msg.text.strip(), choices=choices)), True
        handler = self._router.match(msg)
        if handler is None:
            # Group chatter nothing answers unaddressed is not for the bot: no answer at all.
            return (self._fallback(msg, None) if msg.addressed else []), False
        return await handler(msg, self._services), False

    async def _resolve_number(self, msg: Incoming, state: ChatState | None) -> tuple[Incoming, int]:
        """The message with the payload its number picks, and how many choices the chat's list holds."""
        match = _NUMBER.match(msg.text) if msg.payload is None else None
        if match is None:
            return msg, 0
        choices = await self._memory.recall(msg.chat.key) if state is None else state.choices
        index = int(match.group(2)) - 1 if match.group(1) in ("", "+") else -1
        # Group chatter not naming the bot picks only what may be answered that way ("Đã nhận").
        if 0 <= index < len(choices) and (msg.addressed or self._router.unaddressed_payload(choices[index])):
            return replace(msg, payload=choices[index]), len(choices)
        return msg, len(choices)
