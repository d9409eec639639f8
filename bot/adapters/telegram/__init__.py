"""Telegram, through python-telegram-bot: everything the bot does with Telegram lives here.

- :mod:`~bot.adapters.telegram.channel`: the channel (PTB's ``Application``, polling or webhook), the
  mapping of updates to neutral messages, the inline keyboard, and the webhook's secret header and
  de-duplication key.
- :mod:`~bot.adapters.telegram.request`: PTB's HTTP requests over aiohttp.
- :mod:`~bot.adapters.telegram.sender`: the outbox sender and its error mapping.
"""
