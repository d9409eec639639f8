"""Reading JSON that comes from outside (webhooks, the push API, platform answers) without ever crashing.

``json.loads`` raises ``RecursionError`` on deeply nested input (100,000 ``[`` is enough), which is not a
``ValueError``: every reader of untrusted JSON goes through :func:`read_json` so such a body is simply
malformed.
"""

from __future__ import annotations

import json
from typing import Any


class MalformedJSONError(ValueError):
    """The bytes are not JSON this process can read: a syntax error, bad UTF-8, or nesting too deep."""


def read_json(raw: bytes | str) -> Any:
    """Decode ``raw``; raise :class:`MalformedJSONError` whatever is wrong with it."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedJSONError(type(exc).__name__) from None
