"""Scheduled work: the APScheduler wiring and the jobs it runs on a clock (directive schedules and
reminders, the dossier late check, knowledge reloads). What a job does is a service's; outbox delivery
and the dossier pull feed live with their concerns (``bot.outbox``, ``bot.services.dossiers.feed``).
"""
