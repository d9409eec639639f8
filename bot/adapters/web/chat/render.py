"""Replies as the browser draws them: the reply markup parsed on the server into a small, safe tree.

The page never parses HTML: it builds DOM nodes from this tree, text as text nodes, so user or catalogue
text can never become markup. Only ``b``, ``i``, ``code``, ``pre`` and ``a`` (http/https links) survive;
any other tag is dropped and its text kept.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from typing import Any

from bot.messages import Reply

ALLOWED = frozenset({"b", "i", "code", "pre", "a"})
SAFE_HREF = re.compile(r"https?://[^\s\x00-\x1f]+", re.IGNORECASE)
Node = str | dict[str, Any]
_IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def reply_frame(reply: Reply) -> dict[str, Any]:
    """The ``reply`` frame sent to the browser: the text as a tree, buttons, an image as a data URL."""
    frame: dict[str, Any] = {
        "type": "reply",
        "text": markup_tree(reply.text),
        "buttons": [{"label": b.label, "payload": b.payload} for b in reply.buttons],
    }
    image = _data_url(reply.image) if reply.image is not None else None
    if image is not None:
        frame["image"] = image
    return frame


def markup_tree(markup: str) -> list[Node]:
    """Parse reply markup into nodes: a string is text; ``{"t": tag, "c": [...], "href"?}`` an element."""
    parser = _Tree()
    parser.feed(markup)
    parser.close()
    return parser.root


def _data_url(image: bytes) -> str | None:
    for magic, kind in _IMAGE_TYPES:
        if image.startswith(magic):
            return f"data:{kind};base64,{base64.b64encode(image).decode('ascii')}"
    return None


class _Tree(HTMLParser):
    """Whitelisted elements nest; everything else is text (entities already decoded)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Node] = []
        # (tag, the children list it writes to); a tag dropped as unsafe writes to its parent's list.
        self._stack: list[tuple[str, list[Node]]] = [("", self.root)]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        children = self._stack[-1][1]
        if tag not in ALLOWED:
            return
        if tag == "a":
            href = dict(attrs).get("href") or ""
            if not SAFE_HREF.fullmatch(href):
                self._stack.append((tag, children))
                return
            element: dict[str, Any] = {"t": "a", "href": href, "c": []}
        else:
            element = {"t": tag, "c": []}
        children.append(element)
        self._stack.append((tag, element["c"]))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self._stack) - 1, 0, -1):
            if self._stack[depth][0] == tag:
                del self._stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        children = self._stack[-1][1]
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)
