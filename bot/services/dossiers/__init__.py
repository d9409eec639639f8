"""Dossiers: the status of applications at the one-stop centre, from the ways events come in to the chat.

- :mod:`~bot.services.dossiers.events`: the vocabulary, receipt codes, phone numbers, and the parsing
  every way in shares (push API, pull feed, file import).
- :mod:`~bot.services.dossiers.service`: :class:`DossierService` applies events and tells subscribers
  through the outbox; :mod:`~bot.services.dossiers.views` holds what it answers and
  :mod:`~bot.services.dossiers.rows` the statements it runs.
- :mod:`~bot.services.dossiers.subscriptions`: who follows which dossier, ratings, lookup limits, and
  the outbox hook for a chat that is gone or moved.
- :mod:`~bot.services.dossiers.importer`: events from a CSV or JSON Lines file.
- :mod:`~bot.services.dossiers.stats`: figures for leaders.
- :mod:`~bot.services.dossiers.feed`: the pull contract and its saved cursor (the HTTP side is the
  adapter ``bot.adapters.dossier_pull``).
"""

from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import SubscriptionService

__all__ = ["DossierService", "SubscriptionService"]
