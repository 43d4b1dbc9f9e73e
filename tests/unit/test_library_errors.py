"""Everything open_card and the operations inside it raise is a jpki.JpkiError; the
errors from below the card stay instances of their apdu classes too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import apdu
import jpki
from apdu import FunctionTransport
from apdu.replay import ReplayTransport
from jpki.cli.failures import Exit, classify
from jpki.errors import as_jpki_error


def test_an_error_below_the_card_is_a_jpki_error_and_still_its_own_kind() -> None:
    def removed(command: bytes) -> bytes:
        raise apdu.CardRemovedError("the card was removed")

    with pytest.raises(jpki.JpkiError) as err, jpki.open_transport(FunctionTransport(removed)) as c:
        jpki.read_retries(c)
    e = err.value
    assert isinstance(e, jpki.ReaderError) and isinstance(e, apdu.CardRemovedError)
    assert str(e) == "the card was removed" and isinstance(e.__cause__, apdu.CardRemovedError)
    assert classify(e).exit == Exit.NO_CARD and classify(e).code == "card-removed"


def test_fields_survive_the_wrapping() -> None:
    e = as_jpki_error(apdu.AmbiguousReaderError("pcd", ["A", "B"]))
    assert isinstance(e, apdu.AmbiguousReaderError) and (e.spec, e.matches) == ("pcd", ["A", "B"])
    assert as_jpki_error(e) is e  # already a jpki error
    assert type(as_jpki_error(apdu.NoCardError("x"))) is type(as_jpki_error(apdu.NoCardError("y")))


def test_a_replay_that_does_not_fit_is_a_jpki_error() -> None:
    session = Path(__file__).resolve().parents[1] / "fixtures" / "sessions" / "retries-fresh.jsonl"
    with pytest.raises(jpki.JpkiError) as err, jpki.open_transport(ReplayTransport(session)) as c:
        jpki.read_info(c)  # retries was recorded: info differs at exchange 2
    assert isinstance(err.value, apdu.ReplayMismatchError) and err.value.index == 2


def test_open_card_without_pcscd_raises_a_jpki_error(tmp_path: Path) -> None:
    code = (
        "import jpki, apdu\n"
        "try:\n"
        "    with jpki.open_card():\n"
        "        pass\n"
        "except jpki.JpkiError as e:\n"
        "    print(type(e).__name__, isinstance(e, apdu.ServiceUnavailableError))\n"
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=60)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == "True", out.stdout
