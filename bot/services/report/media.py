"""Images the bot serves by address (Zalo's sendPhoto takes a URL): stored once by content, read by token."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, select

from bot.storage import MediaFile, SessionFactory
from bot.storage.bulk import insert_new
from bot.storage.columns import utcnow

PNG = "image/png"
TOKEN = re.compile(r"[0-9a-f]{64}")
KEEP = timedelta(days=60)
_TABLE = cast(Table, MediaFile.__table__)


class MediaStore:
    """Store an image under the SHA-256 of its bytes; read it back by that token."""

    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def put(self, data: bytes, content_type: str = PNG) -> str:
        """Store ``data`` (once, however often it is put) and return its token."""
        token = hashlib.sha256(data).hexdigest()
        row = {"token": token, "content_type": content_type, "data": data, "created_at": self._clock()}
        async with self._sessions.begin() as session:
            await insert_new(await session.connection(), _TABLE, "token", [row])
        return token

    async def get(self, token: str) -> tuple[str, bytes] | None:
        """The content type and bytes stored under ``token``, or None."""
        if not TOKEN.fullmatch(token):
            return None
        async with self._sessions() as session:
            found = (
                await session.execute(
                    select(MediaFile.content_type, MediaFile.data).where(MediaFile.token == token)
                )
            ).first()
        return (str(found[0]), bytes(found[1])) if found is not None else None

    async def prune(self) -> int:
        """Forget images older than :data:`KEEP` (Zalo has fetched them long before)."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(MediaFile).where(MediaFile.created_at < self._clock() - KEEP)
            )
        return int(getattr(result, "rowcount", 0) or 0)
