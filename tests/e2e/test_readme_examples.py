"""Every ```python block of README.md and of docs/*.md runs as written, against the
virtual card.

Each block is written to a file and run by a fresh interpreter (a user pasting it
into a script), talking to the test pcscd, whose first vpcd reader holds a default
virtual card (``jpki.open_card()`` with no reader picks it: the only reader with a
card). A block that raises, or a README or docs page that gains a block that does
not run, fails here. No example may spend a try: every counter is as it was afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from docblocks import fenced_blocks
from jpki.emulator import build_state
from pytest_jpkitool.pcscd import PcscdInstance
from pytest_jpkitool.plugin import ServeVirtualCard

pytestmark = pytest.mark.pcscd

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: Every page the README sends a reader to; python blocks there are examples too.
DOCS = sorted((ROOT / "docs").glob("*.md"))
PYTHON = {"python", "python3", "py"}


def python_blocks(text: str, name: str = "README.md") -> list[tuple[int, str]]:
    """``(first line number, code)`` of every fenced block tagged python, in order."""
    return [
        (line, "\n".join(lines) + "\n")
        for lang, line, lines in fenced_blocks(text, name)
        if lang in PYTHON
    ]


def blocks_of(path: Path) -> list[tuple[str, str]]:
    """``("README.md:12", code)`` or ``("docs/library.md:40", code)`` for each block."""
    name = path.relative_to(ROOT).as_posix()
    text = path.read_text(encoding="utf-8")
    return [(f"{name}:{line}", code) for line, code in python_blocks(text, name)]


README_BLOCKS = blocks_of(README)
BLOCKS = README_BLOCKS + [block for page in DOCS for block in blocks_of(page)]


def test_the_readme_and_the_library_page_have_python_examples() -> None:
    assert len(README_BLOCKS) >= 1
    library = [where for where, _ in BLOCKS if where.startswith("docs/library.md:")]
    assert len(library) >= 3, library
    for where, code in BLOCKS:
        compile(code, where, "exec")


def test_the_fence_parser() -> None:
    text = "a\n```sh\nx\n```\n```python\nprint(1)\n```\n```\nplain\n```\n```py\nprint(2)\n```\n"
    assert python_blocks(text) == [(6, "print(1)\n"), (12, "print(2)\n")]


@pytest.mark.parametrize("code", [code for _, code in BLOCKS], ids=[where for where, _ in BLOCKS])
def test_example_runs_as_written(
    code: str,
    serve_virtual_card: ServeVirtualCard,
    jpki_pcscd: PcscdInstance,
    tmp_path: Path,
) -> None:
    state = build_state()
    serve_virtual_card(state=state)
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    env = {**os.environ, **jpki_pcscd.env, "PYTHONIOENCODING": "utf-8"}
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"the example failed:\n{run.stderr}"
    # The results print short: no profile tables, no certificate bytes.
    assert "Application(" not in run.stdout and "PinSlot(" not in run.stdout
    assert "tries left" not in run.stdout
    fresh = build_state().pins
    spent = {k: s.remaining for k, s in state.pins.items() if s.remaining != fresh[k].remaining}
    assert not spent, f"the example spent tries: {spent}"
