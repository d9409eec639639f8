"""A small demo knowledge base (simplified, not authoritative): see README.md in this folder."""

from __future__ import annotations

from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
"""The folder holding the demo records; pass it to :func:`knowledge.importers.load_paths`."""
