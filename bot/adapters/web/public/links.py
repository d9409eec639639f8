"""The links every public page offers: carry on in Telegram or Zalo."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.public_links import telegram_link


@dataclass(frozen=True, slots=True)
class Onward:
    """Where a resident may carry on: the Telegram deep link and the Zalo account, when configured."""

    telegram: str
    zalo: str


def onward(config: Config, code: str = "") -> Onward:
    """The links for a page (a procedure's card opens in Telegram when ``code`` is given)."""
    bot = config.directives.bot_username
    telegram = telegram_link(bot, code) if code else (f"https://t.me/{bot}" if bot else "")
    return Onward(telegram=telegram, zalo=config.web_public.zalo_url)
