"""The chat's reply markup (:mod:`bot.markup`) as HTML for a page, rebuilt rather than trusted.

Text between tags is unescaped and escaped again, so nothing but the few tags named here can reach
the page; links keep only http(s) addresses; tags are balanced per line (the chat's never span lines).
Paragraphs become ``<p>``, runs of "•"/"◦" lines become lists.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_TAG = re.compile(r"<(/?)(b|i|code|pre|a)(?:\s+href=\"([^\"]*)\")?>")
_HTML_TAGS = {"b": "strong", "i": "em", "code": "code", "pre": "code", "a": "a"}
_BULLET = re.compile(r"^\s*([•◦])\s*")


def esc(text: str) -> str:
    """Escape text for an HTML page."""
    return html.escape(text, quote=True)


def safe_url(url: str) -> bool:
    """True for an absolute http(s) address (no ``javascript:`` or other schemes)."""
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def inline(line: str) -> str:
    """One line of reply markup as HTML: allowed tags rebuilt, everything else escaped text."""
    out: list[str] = []
    stack: list[tuple[str, bool]] = []
    pos = 0
    for match in _TAG.finditer(line):
        out.append(esc(html.unescape(line[pos : match.start()])))
        pos = match.end()
        closing, tag, href = match.group(1), match.group(2), match.group(3)
        if closing:
            if any(open_tag == tag for open_tag, _ in stack):
                while stack:
                    open_tag, shown = stack.pop()
                    if shown:
                        out.append(f"</{_HTML_TAGS[open_tag]}>")
                    if open_tag == tag:
                        break
            continue
        if tag == "a":
            url = html.unescape(href or "")
            shown = safe_url(url)
            if shown:
                out.append(f'<a href="{esc(url)}" rel="noopener noreferrer">')
            stack.append((tag, shown))
            continue
        out.append(f"<{_HTML_TAGS[tag]}>")
        stack.append((tag, True))
    out.append(esc(html.unescape(line[pos:])))
    out.extend(f"</{_HTML_TAGS[tag]}>" for tag, shown in reversed(stack) if shown)
    return "".join(out)


def to_html(markup: str) -> str:
    """Reply markup as HTML blocks: paragraphs, and lists for bulleted lines."""
    blocks: list[str] = []
    for block in re.split(r"\n\s*\n", markup.strip()):
        # Runs of plain lines and of bulleted lines, in order: ("p", lines) or ("ul", items).
        runs: list[tuple[str, list[str]]] = []
        for line in block.split("\n"):
            if not line.strip():
                continue
            bullet = _BULLET.match(line)
            kind = "ul" if bullet else "p"
            if bullet:
                sub = ' class="sub"' if bullet.group(1) == "◦" else ""
                piece = f"<li{sub}>{inline(line[bullet.end() :])}</li>"
            else:
                piece = inline(line)
            if runs and runs[-1][0] == kind:
                runs[-1][1].append(piece)
            else:
                runs.append((kind, [piece]))
        for kind, pieces in runs:
            blocks.append(
                "<ul>" + "".join(pieces) + "</ul>" if kind == "ul" else "<p>" + "<br>".join(pieces) + "</p>"
            )
    return "\n".join(blocks)
