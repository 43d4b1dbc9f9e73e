"""Fenced code blocks of the README and the docs pages, for the tests that run them."""

from __future__ import annotations

import re

FENCE = re.compile(r"^```(\w*)\s*$")


def fenced_blocks(text: str, name: str) -> list[tuple[str, int, list[str]]]:
    """``(language, first line number, lines)`` of every fenced block, in order."""
    blocks: list[tuple[str, int, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = FENCE.match(lines[i])
        if match is None:
            i += 1
            continue
        end = i + 1
        while end < len(lines) and lines[end].rstrip() != "```":
            end += 1
        if end == len(lines):
            raise AssertionError(f"{name}:{i + 1}: code block never closed")
        blocks.append((match.group(1).lower(), i + 2, lines[i + 1 : end]))
        i = end + 1
    return blocks
