"""Tests of scheduled work: the outbox worker, rate limits, the scheduler and the runner wiring."""
