"""Platform adapters: the only modules that import chat platform libraries or the HTTP server."""


class ChannelError(RuntimeError):
    """A channel could not start (bad token, unreachable API...); the message never holds secrets."""
