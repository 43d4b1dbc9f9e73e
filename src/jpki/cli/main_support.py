"""Helpers shared by commands and the top-level handler."""

from __future__ import annotations


class ExitWith(Exception):
    """Leave with a given exit status after the command printed its result."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def finish(status: int) -> None:
    """End the command with ``status`` (0 returns normally)."""
    if status:
        raise ExitWith(status)
    return None
