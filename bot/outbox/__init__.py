"""The durable outbox (DESIGN §5): messages the bot sends on its own, written with their cause.

- :mod:`~bot.outbox.queue`: :func:`enqueue_many`, the one way in, in the caller's transaction.
- :mod:`~bot.outbox.core`: the :class:`Outbox`, which wakes the worker after a commit that queued
  messages and runs the recipient hooks each feature registers (a chat blocked the bot, a group moved).
- :mod:`~bot.outbox.errors`: the :class:`Sender` protocol the platform adapters implement, and the
  delivery errors they raise.
- :mod:`~bot.outbox.store`: the worker's storage side (claim with a lease, mark the outcome).
- :mod:`~bot.outbox.worker` and :mod:`~bot.outbox.ratelimit`: delivery within the platforms' limits.
- :mod:`~bot.outbox.stats`: counts by status for reports, and the backlog (depth, oldest due) for metrics.
- :mod:`~bot.outbox.lookups`: what a feature may ask of, or do to, the messages it queued (their
  delivery states, "already queued?", cancelling those not yet sent). Only this package touches the
  outbox table (a test enforces it).

It sits below the services (which enqueue) and above storage; it knows no chat platform library.
"""

from bot.outbox.core import Outbox, RecipientChange, RecipientHook
from bot.outbox.errors import (
    ChatMovedError,
    DeliveryError,
    EditUnsupportedError,
    PermanentDeliveryError,
    RateLimitedError,
    RecipientGoneError,
    RetryLaterError,
    Sender,
)
from bot.outbox.lookups import Delivery, cancel_pending, deliveries, queued_for, sent_since, waiting
from bot.outbox.queue import (
    EDITABLE_PLATFORMS,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    Outgoing,
    enqueue,
    enqueue_edit,
    enqueue_many,
    payload_to_reply,
    reply_to_payload,
)
from bot.outbox.stats import Backlog, OutboxStats, backlog, outbox_stats
from bot.outbox.store import Claimed, OutboxStore

__all__ = [
    "EDITABLE_PLATFORMS",
    "FAILED",
    "PENDING",
    "SENDING",
    "SENT",
    "Backlog",
    "ChatMovedError",
    "Claimed",
    "Delivery",
    "DeliveryError",
    "EditUnsupportedError",
    "Outbox",
    "OutboxStats",
    "OutboxStore",
    "Outgoing",
    "PermanentDeliveryError",
    "RateLimitedError",
    "RecipientChange",
    "RecipientGoneError",
    "RecipientHook",
    "RetryLaterError",
    "Sender",
    "backlog",
    "cancel_pending",
    "deliveries",
    "enqueue",
    "enqueue_edit",
    "enqueue_many",
    "outbox_stats",
    "payload_to_reply",
    "queued_for",
    "reply_to_payload",
    "sent_since",
    "waiting",
]
