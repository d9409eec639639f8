"""The durable inbox (DESIGN §8): every incoming update is stored before the platform hears 200,
then handled from the table, one at a time per chat, across restarts and processes.

- :mod:`bot.inbox.envelope`: what a channel hands over (platform, update id, chat, raw body);
- :mod:`bot.inbox.store`: keep (unique per platform and update id), claim, mark done, take back, prune;
- :mod:`bot.inbox.worker`: claims what is waiting and hands each update to its channel;
- :mod:`bot.inbox.stats`: depth and the age of the oldest update not done yet.
"""

from bot.inbox.envelope import CLAIMED, DONE, PENDING, Envelope
from bot.inbox.stats import InboxStats, inbox_stats
from bot.inbox.store import Claimed, InboxStore

__all__ = ["CLAIMED", "DONE", "PENDING", "Claimed", "Envelope", "InboxStats", "InboxStore", "inbox_stats"]
