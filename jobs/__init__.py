"""Scheduled work (outbox delivery, directive schedules, reminders, dossier sync)."""
