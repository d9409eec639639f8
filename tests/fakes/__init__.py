"""Loopback fakes of the platform APIs the bot talks to; they speak the real wire formats."""
