"""``/web``: a one-time link to the staff console, sent only in a private chat to staff, leaders and admins.

The link carries a random token (stored only as its hash by :mod:`bot.services.web_login`); it is
never logged and works once, for ten minutes.
"""

from __future__ import annotations

from bot.messages import Incoming, Reply
from bot.routing import Command, Router
from bot.services import Services
from bot.services.web_login import LinkRefusal
from bot.texts import web_console as say

router: Router[Services] = Router()
"""/web."""


@router.command("web")
async def web_link(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Send the console login link, in private only, to people whose role may use the console."""
    if msg.chat.is_group:
        return [Reply(text=say.LINK_IN_PRIVATE)]
    base = svc.config.http.public_url.rstrip("/")
    if svc.console is None or not base:
        return [Reply(text=say.LINK_NO_ADDRESS)]
    token = await svc.console.logins.issue(msg.chat.platform, msg.user_id)
    if isinstance(token, LinkRefusal):
        return [Reply(text=say.LINK_NOT_STAFF)]
    return [Reply(text=say.login_link(f"{base}/console/login/{token}"))]
