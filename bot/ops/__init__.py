"""Operations: readiness (/readyz), Prometheus metrics (/metrics) and ``motcua doctor``'s checks.

- :mod:`~bot.ops.readiness`: whether this process should get traffic (database, schema, channels).
- :mod:`~bot.ops.metrics`: the counters, histogram and gauges, in a registry of their own per app.
- :mod:`~bot.ops.doctor`: the checks ``motcua doctor`` runs and prints.
"""
