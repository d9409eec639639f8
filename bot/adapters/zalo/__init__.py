"""Zalo, through the Zalo Bot API over aiohttp: everything the bot does with Zalo lives here.

- :mod:`~bot.adapters.zalo.channel`: the channel (long polling or webhook), the mapping of events to
  neutral messages, and replies rendered as plain text with numbered choices.
- :mod:`~bot.adapters.zalo.client`: the Bot API client (every reply checked for ``ok``).
- :mod:`~bot.adapters.zalo.sender`: the outbox sender and its error mapping.
"""
