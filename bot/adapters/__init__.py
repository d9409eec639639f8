"""Platform adapters: the only modules that import chat platform libraries or the HTTP server.

One package per platform (:mod:`bot.adapters.telegram`, :mod:`bot.adapters.zalo`), each with its channel
and its outbox sender; :mod:`~bot.adapters.chats` is the per-chat serializer both channels share;
:mod:`~bot.adapters.console` is the terminal; :mod:`~bot.adapters.http_server` serves webhooks and
:mod:`~bot.adapters.dossier_api` the dossier push API on it; :mod:`~bot.adapters.dossier_pull` fetches
the dossier pull feed. Adapters translate and send; they never import the scheduled jobs.
"""


class ChannelError(RuntimeError):
    """A channel could not start (bad token, unreachable API...); the message never holds secrets."""
