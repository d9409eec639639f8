"""Helpers for handler tests: markup validation, messages, services and an in-memory ChoiceMemory."""

from __future__ import annotations

import re

from bot.app.core import build_directives, build_dossiers
from bot.config import CentreConfig, Config
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.routing import Dispatcher
from bot.services import Services
from bot.services.conversations import ConversationMemory
from bot.services.guide import ConsentService
from bot.services.procedures import ProcedureService
from bot.services.unanswered import UnansweredService
from bot.storage import SessionFactory
from handlers import build_router, fallback
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure

_TAG_OR_ENTITY = re.compile(r"<(/?)(b|i|code|a)(?: href=\"[^\"<>]*\")?>|&(?:[a-z]+|#\d+|#x[0-9a-f]+);", re.I)

CENTRE = CentreConfig(
    name="Trung tâm Phục vụ hành chính công xã Tân Phú",
    phone="0271 3 888 999",
    address="12 Lê Lợi, xã Tân Phú",
    portal_url="https://dichvucong.example.vn",
)
CONFIG = Config(centre=CENTRE)


def markup_problem(text: str) -> str | None:
    """Why ``text`` is not valid reply markup (stray ``<``/``&``, unknown or unbalanced tag), or None."""
    stack: list[str] = []
    position = 0
    for match in _TAG_OR_ENTITY.finditer(text):
        between = text[position : match.start()]
        if "<" in between or ">" in between or "&" in between:
            return f"unescaped character near {between[-40:]!r}"
        position = match.end()
        if match.group(0).startswith("&"):
            continue
        closing, tag = match.group(1), match.group(2)
        if not closing:
            if stack and tag in stack:
                return f"nested <{tag}>"
            stack.append(tag)
        elif not stack or stack.pop() != tag:
            return f"unbalanced </{tag}>"
    rest = text[position:]
    if "<" in rest or ">" in rest or "&" in rest:
        return f"unescaped character near {rest[:40]!r}"
    return f"unclosed {stack}" if stack else None


def lines_balanced(text: str) -> bool:
    """True when every line is valid markup by itself (what lets the splitter cut at any line)."""
    return all(markup_problem(line) is None for line in text.split("\n"))


def incoming(
    text: str = "", payload: str | None = None, chat: str = "42", addressed: bool = True
) -> Incoming:
    """A message from one resident in a private chat."""
    return Incoming(
        chat=ChatRef(Platform.TELEGRAM, chat),
        user_id="7",
        text=text,
        payload=payload,
        addressed=addressed,
    )


def services(
    procedures: list[Procedure] | ProcedureIndex, sessions: SessionFactory, config: Config = CONFIG
) -> Services:
    """Real services over a list of procedures or a ready index, on a migrated database."""
    index = procedures if isinstance(procedures, ProcedureIndex) else ProcedureIndex(procedures)
    dossiers, subscriptions = build_dossiers(config, sessions)
    people, directives = build_directives(config, sessions)
    return Services(
        config=config,
        procedures=ProcedureService(index),
        conversations=ConversationMemory(sessions),
        dossiers=dossiers,
        subscriptions=subscriptions,
        people=people,
        directives=directives,
        unanswered=UnansweredService(sessions),
        guide=ConsentService(sessions, config.guide),
    )


class MemoryChoices:
    """The ChoiceMemory protocol kept in a dict (the database-backed one belongs to the services)."""

    def __init__(self) -> None:
        self.shown: dict[str, list[str]] = {}

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown (an empty list forgets)."""
        self.shown[chat_key] = list(payloads)

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown."""
        return self.shown.get(chat_key, [])


def dispatcher(svc: Services) -> Dispatcher[Services]:
    """The real router and fallback behind a dispatcher with in-memory choices."""
    return Dispatcher(build_router(), svc, MemoryChoices(), fallback)


def texts_of(replies: list[Reply]) -> str:
    """All reply texts joined, for substring assertions."""
    return "\n".join(reply.text for reply in replies)
