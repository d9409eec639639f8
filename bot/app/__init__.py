"""The composition root: everything a process runs is built here, once, and passed down by constructor.

- :mod:`~bot.app.core`: :func:`build_core` opens the database and builds the outbox, the services and
  the dispatcher that every command and channel shares.
- :mod:`~bot.app.serving`: :class:`~bot.app.serving.Serving` builds, from the core, what a serving
  process runs: the channels, the HTTP server, the outbox worker and the scheduled jobs (imported on
  its own: it pulls in the platform libraries, which the database and knowledge commands never need).

``bot.runner`` runs a serving process (signals, logging, exit codes); ``motcua chat`` serves the same
channels next to the terminal.
"""

from bot.app.core import Core, build_core, build_directives, build_dossiers, build_outbox

__all__ = ["Core", "build_core", "build_directives", "build_dossiers", "build_outbox"]
