"""The README and the pages of docs/ say what the tool does, and link where they say.

- Every ```console block of README.md and docs/*.md is a transcript: each
  ``$ jpkitool ...`` line runs in process, on the virtual card, and prints exactly
  the lines shown under it (stdout, then stderr); ``$ echo $?`` gives the exit status
  of the command before it. "Now" is fixed (the hidden ``--now``), so days left do
  not drift with the calendar. A command that could reach a real reader is refused.
- Every relative link of those pages points at a file that exists and, with
  ``#anchor``, at a heading of it.
- Every ```json block parses; docs/json.md's ``retries --json``, ``verify-pin --json``
  and error examples have the fields the command prints, and each of its documents
  starts with ``schema_version``.
- The README stays short, its "Read more" links every docs page, and each page
  starts with a one-line purpose.

The ```python blocks run against pcscd in tests/e2e/test_readme_examples.py.
In-process, no pcscd.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cli_runner import jpkitool_inprocess
from docblocks import fenced_blocks
from jpki.schema import SCHEMA_VERSION

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS]

#: The day the transcripts were taken (JST 09:00): their days left are from it.
NOW = "2026-12-07T00:00:00Z"
#: Files a transcript relies on, each also quoted in the page that uses it.
FILES = {"card.json": '{"pins": {"auth": {"remaining": 1}, "cardinfo": {"remaining": 0}}}'}

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@dataclass
class Step:
    """One ``$ jpkitool ...`` line, the output shown under it, its status if shown."""

    where: str
    args: list[str]
    output: list[str]
    status: int | None = None


def transcript(where: str, lines: list[str]) -> list[Step]:
    steps: list[Step] = []
    for line in lines:
        if line.startswith("$ "):
            words = shlex.split(line[2:], comments=True)
            if words == ["echo", "$?"]:
                steps.append(Step(where, ["echo $?"], []))
                continue
            assert words and words[0] == "jpkitool", f"{where}: not a jpkitool command: {line}"
            steps.append(Step(where, words[1:], []))
        else:
            assert steps, f"{where}: output before any command"
            steps[-1].output.append(line)
    # ``$ echo $?`` and its one line are the status of the command before.
    merged: list[Step] = []
    for step in steps:
        if step.args == ["echo $?"]:
            assert merged and len(step.output) == 1, f"{where}: echo $? without a command"
            merged[-1].status = int(step.output[0])
        else:
            merged.append(step)
    return merged


def console_steps(pages: list[Path] = PAGES) -> list[Step]:
    steps: list[Step] = []
    for page in pages:
        name = page.relative_to(ROOT).as_posix()
        for lang, line, lines in fenced_blocks(page.read_text(encoding="utf-8"), name):
            if lang == "console":
                steps += transcript(f"{name}:{line}", lines)
    return steps


STEPS = console_steps()


def never_a_real_reader(args: list[str]) -> bool:
    """The transcripts run on the virtual card, or touch no card at all."""
    return "--emulator" in args or args[:2] == ["emulator", "init-state"]


def run_step(step: Step, folder: Path) -> list[str]:
    """What is wrong with ``step`` run in ``folder`` (empty: nothing)."""
    assert never_a_real_reader(step.args), f"{step.where}: would use a real reader"
    run = jpkitool_inprocess("--now", NOW, *step.args)
    got = (run.out + run.err).splitlines()
    problems = []
    if got != step.output:
        shown = "\n".join(step.output)
        problems.append(
            f"{step.where}: output differs:\n--- shown\n{shown}\n--- got\n{run.out}{run.err}"
        )
    expected_status = 0 if step.status is None else step.status
    if run.code != expected_status:
        problems.append(f"{step.where}: exit status {run.code}, shown {expected_status}")
    return problems


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in ("COLUMNS", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", "JPKITOOL_CARD_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    for name, content in FILES.items():
        (tmp_path / name).write_text(content + "\n", encoding="utf-8")
    return tmp_path


def test_the_readme_has_a_transcript_of_every_command() -> None:
    readme = [step for step in STEPS if step.where.startswith("README.md:")]
    shown = {_command(step.args) for step in readme}
    for command in ("retries", "info", "expiry", "cert", "readers", "doctor", "emulator"):
        assert command in shown, f"README has no console example of {command}"


def _command(args: list[str]) -> str:
    """The command word of ``args`` (after the global options)."""
    takes_value = {
        "--emulator-state",
        "--lang",
        "-r",
        "--reader",
        "--record",
        "--replay",
        "--wait",
        "--timeout",
    }
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in takes_value else 1
    return args[i]


def test_every_file_a_transcript_uses_is_quoted_where_it_is_used() -> None:
    for step in STEPS:
        page = (ROOT / step.where.split(":")[0]).read_text(encoding="utf-8")
        for name, content in FILES.items():
            if name in step.args:
                assert content in page, f"{step.where}: {name}'s content is not shown"


@pytest.mark.parametrize(
    "step", STEPS, ids=[step.where + " " + " ".join(step.args) for step in STEPS]
)
def test_console_example_prints_what_is_shown(step: Step, quiet_env: Path) -> None:
    assert run_step(step, quiet_env) == []


def test_a_wrong_transcript_fails(quiet_env: Path) -> None:
    lines = ["$ jpkitool --emulator readers", "nothing like this", "$ echo $?", "3"]
    (step,) = transcript("test", lines)
    assert step.status == 3 and step.output == ["nothing like this"]
    problems = run_step(step, quiet_env)
    assert len(problems) == 2 and "output differs" in problems[0] and "exit status 0" in problems[1]
    with pytest.raises(AssertionError, match="real reader"):
        run_step(Step("test", ["retries"], []), quiet_env)


def test_the_fence_parser() -> None:
    text = "a\n```console\n$ jpkitool x\nout\n```\n```\nplain\n```\n"
    assert fenced_blocks(text, "t") == [("console", 3, ["$ jpkitool x", "out"]), ("", 7, ["plain"])]
    with pytest.raises(AssertionError, match="never closed"):
        fenced_blocks("```sh\nx\n", "t")


# --- links ----------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to ``-``."""
    text = re.sub(r"[`*_]", "", heading.strip()).lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    fenced = {
        n
        for _, start, lines in fenced_blocks(text, path.name)
        for n in range(start - 1, start + len(lines) + 1)
    }
    found: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if number not in fenced and line.startswith("#"):
            found.add(slug(line.lstrip("#")))
    return found


def links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    fenced = {
        n
        for _, start, lines in fenced_blocks(text, path.name)
        for n in range(start - 1, start + len(lines) + 1)
    }
    targets: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if number in fenced:
            continue
        line = re.sub(r"`[^`]*`", "", line)
        targets += LINK.findall(line)
    return targets


def test_slug() -> None:
    assert slug(" `retries --json`") == "retries---json"
    assert slug(" 6. Security state after VERIFY") == "6-security-state-after-verify"
    assert slug(" `expiry`, `info` and `cert show`") == "expiry-info-and-cert-show"


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_every_link_points_at_a_file_and_heading_that_exist(page: Path) -> None:
    for target in links(page):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:: not checked here
        file, _, anchor = target.partition("#")
        dest = (page.parent / file).resolve() if file else page
        assert dest.exists(), f"{page.name}: link to {target}: no such file"
        if anchor and dest.suffix == ".md":
            assert anchor in anchors(dest), f"{page.name}: link to {target}: no such heading"


def test_the_readme_is_short_and_links_every_docs_page() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    read_more = text.split("\n## Read more\n", 1)[1]
    linked = {target for target in LINK.findall(read_more)}
    for page in DOCS:
        assert f"docs/{page.name}" in linked, f"README's Read more does not link docs/{page.name}"


@pytest.mark.parametrize("page", DOCS, ids=[p.name for p in DOCS])
def test_every_docs_page_starts_with_a_one_line_purpose(page: Path) -> None:
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# ") and lines[1] == ""
    assert lines[2].strip() and not lines[2].startswith(("#", "-", "`", "|")), lines[2]
    assert lines[3] == "", f"{page.name}: the purpose is more than one line"


# --- JSON -----------------------------------------------------------------------


def json_blocks() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for page in PAGES:
        name = page.relative_to(ROOT).as_posix()
        for lang, line, lines in fenced_blocks(page.read_text(encoding="utf-8"), name):
            if lang == "json":
                found.append((f"{name}:{line}", "\n".join(lines)))
    return found


def test_every_json_example_parses() -> None:
    blocks = json_blocks()
    assert len(blocks) >= 2
    for where, text in blocks:
        try:
            json.loads(text)
        except ValueError as e:
            raise AssertionError(f"{where}: not JSON: {e}") from e


def test_the_retries_json_example_has_the_fields_the_command_prints(quiet_env: Path) -> None:
    """docs/json.md's ``retries --json`` example: the same keys, pin by pin, as the
    virtual card's real output (values differ: the reader's name, say), the
    ``schema_version`` first."""
    (example,) = [
        json.loads(text)
        for where, text in json_blocks()
        if where.startswith("docs/json.md") and '"guidance"' in text
    ]
    run = jpkitool_inprocess("--emulator", "retries", "--json")
    assert run.code == 0
    real = json.loads(run.out)
    assert set(example) == set(real)
    assert next(iter(example)) == next(iter(real)) == "schema_version"
    assert example["schema_version"] == real["schema_version"] == SCHEMA_VERSION
    pins = {pin["id"]: pin for pin in real["pins"]}
    for pin in example["pins"]:
        assert set(pin) == set(pins[pin["id"]]), pin["id"]
        for key, real_key in zip(pin["keys"], pins[pin["id"]]["keys"], strict=True):
            assert set(key) == set(real_key)


def same_shape(example: Any, real: Any, where: str = "") -> list[str]:
    """Where ``example`` and ``real`` differ in their fields (values aside)."""
    if isinstance(example, dict) and isinstance(real, dict):
        if set(example) != set(real):
            return [f"{where}: {sorted(set(example) ^ set(real))}"]
        return [p for k in example for p in same_shape(example[k], real[k], f"{where}.{k}")]
    if isinstance(example, list) and isinstance(real, list):
        if len(example) != len(real):
            return [f"{where}: {len(example)} items, the command prints {len(real)}"]
        return [p for i, (e, r) in enumerate(zip(example, real, strict=True))
                for p in same_shape(e, r, f"{where}[{i}]")]  # fmt: skip
    return []


def test_the_verify_pin_and_error_examples_have_the_fields_the_command_prints(
    quiet_env: Path,
) -> None:
    examples = {
        where: json.loads(text) for where, text in json_blocks() if where.startswith("docs/json.md")
    }
    (verify,) = [doc for doc in examples.values() if doc.get("operation") == "verify"]
    run = jpkitool_inprocess("--emulator", "--json", "verify-pin", "2", input="1234\n")
    assert run.code == 0, run.err
    assert same_shape(verify, json.loads(run.out)) == []
    (error,) = [doc for doc in examples.values() if "error" in doc]
    usage = jpkitool_inprocess("--json", "retries", "--bogus")
    assert usage.code == 2 and same_shape(error, json.loads(usage.out)) == []
    assert same_shape({"a": [1, 2]}, {"a": [1]}) and same_shape({"a": 1}, {"b": 1})


def test_every_document_in_json_md_shows_the_schema_version() -> None:
    blocks = [(w, json.loads(t)) for w, t in json_blocks() if w.startswith("docs/json.md")]
    assert len(blocks) >= 3
    for where, doc in blocks:
        assert next(iter(doc)) == "schema_version", where
        assert doc["schema_version"] == SCHEMA_VERSION, where
