"""Adapter tests: the real platform libraries against loopback fakes of the platform APIs."""
