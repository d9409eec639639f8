"""Figures for leaders: the question log with answer ratings, the report's sections and the digest."""
