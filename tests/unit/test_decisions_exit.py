"""The exit status a script or cron job relies on, command by command, from the card's state.

One table: a virtual card state, a command, what standard input answers to the
prompts, and the status the README's table gives. In-process, no pcscd.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki.cli.commands.info import STATE_EXIT, status_of
from jpki.cli.failures import Exit
from jpki.expiry import ExpiryState
from jpki.info import CardInfo
from jpki.profile import Token

UTC = dt.UTC


def with_state(tmp_path: Path, state: dict[str, Any]) -> list[str]:
    path = tmp_path / "card.json"
    path.write_text(json.dumps(state), "utf-8")
    return ["--lang", "en", "--emulator", "--emulator-state", str(path)]


def pins(**remaining: int) -> dict[str, Any]:
    return {"pins": {k.replace("_", "-"): {"remaining": v} for k, v in remaining.items()}}


UNTRUSTED_AUTH = {"quirks": {"answer_override": {"auth": "9000"}}}


@pytest.mark.parametrize(
    ("state", "args", "stdin", "status"),
    [
        # retries: 4 only when one of ①-④ is locked
        ({}, ["retries"], "", Exit.OK),
        (pins(auth=1), ["retries"], "", Exit.OK),
        (pins(sign=0), ["retries"], "", Exit.LOCKED),
        (pins(juki=0), ["retries"], "", Exit.LOCKED),
        (pins(juki_common=0), ["retries"], "", Exit.LOCKED),
        (pins(cardinfo=0), ["retries"], "", Exit.LOCKED),
        (pins(cardinfo_b=0), ["retries"], "", Exit.OK),
        # verify-pin: 0 right, 3 wrong with tries left, 4 locked (before or by this try),
        # 8 the last try without --force, an untrusted count without --accept-unknown-count
        # (each flag lifts its own refusal only), 2 bad format, 1 absent
        ({}, ["verify-pin", "auth"], "1234\n", Exit.OK),
        ({}, ["verify-pin", "auth"], "9999\n", Exit.WRONG_PIN),
        (pins(auth=0), ["verify-pin", "auth"], "1234\n", Exit.LOCKED),
        (pins(auth=1), ["verify-pin", "auth"], "1234\n", Exit.REFUSED),
        (pins(auth=1), ["verify-pin", "auth", "--force"], "9999\n", Exit.LOCKED),
        (pins(auth=1), ["verify-pin", "auth", "--force"], "1234\n", Exit.OK),
        ({"quirks": {"answer_override": {"auth": "9000"}}}, ["verify-pin", "2"], "1234\n", 8),
        ({"quirks": {"answer_override": {"auth": "6300"}}}, ["verify-pin", "2"], "1234\n", 8),
        (UNTRUSTED_AUTH, ["verify-pin", "2", "--force"], "1234\n", Exit.REFUSED),
        (UNTRUSTED_AUTH, ["verify-pin", "2", "--accept-unknown-count"], "1234\n", Exit.OK),
        (pins(auth=1), ["verify-pin", "2", "--accept-unknown-count"], "1234\n", Exit.REFUSED),
        ({}, ["verify-pin", "auth"], "12345\n", Exit.USAGE),
        ({"sign_certificate": False}, ["verify-pin", "sign"], "ABC123\n", Exit.ERROR),
        ({"token": "android"}, ["verify-pin", "auth"], "1234\n", Exit.ERROR),
        # change-pin: a weak or mismatched new value is refused before the card (2)
        ({}, ["change-pin", "auth"], "1234\n5039\n5039\n", Exit.OK),
        ({}, ["change-pin", "auth"], "1234\n1111\n1111\n", Exit.USAGE),
        ({}, ["change-pin", "auth"], "1234\n5039\n5093\n", Exit.USAGE),
        ({}, ["change-pin", "auth"], "4321\n5039\n5039\n", Exit.WRONG_PIN),
        # not a My Number card: 5
        ({"applications": []}, ["retries"], "", Exit.NO_CARD),
    ],
)
def test_exit_status(
    tmp_path: Path, state: dict[str, Any], args: list[str], stdin: str, status: int
) -> None:
    r = run(*with_state(tmp_path, state), *args, input=stdin)
    assert r.code == status, r.err


# -- expiry: 6 within the window, 7 expired; unknown never decides ---------------------------


def test_expiry_states_map_to_their_statuses() -> None:
    assert STATE_EXIT == {
        ExpiryState.OK: Exit.OK,
        ExpiryState.UNKNOWN: Exit.OK,
        ExpiryState.EXPIRING: Exit.EXPIRING,
        ExpiryState.EXPIRED: Exit.EXPIRED,
    }


NOW = dt.datetime(2030, 1, 1, 3, 0, tzinfo=UTC)
FAR = dt.date(2040, 1, 1)
SOON = dt.date(2030, 2, 1)
PAST = dt.date(2029, 12, 31)


def info(card: dt.date | None, auth: dt.date | None) -> CardInfo:
    from jpki.card import CardRecord
    from jpki.expiry import end_of_day_jst

    record = None if card is None else CardRecord("s", "m", card, b"")
    auth_end = None if auth is None else end_of_day_jst(auth)
    return CardInfo("r", b"", Token.CARD, (), True, record, auth_end)


@pytest.mark.parametrize(
    ("card", "auth", "status"),
    [
        (FAR, FAR, Exit.OK),
        (FAR, SOON, Exit.EXPIRING),
        (SOON, FAR, Exit.EXPIRING),
        (PAST, FAR, Exit.EXPIRED),
        (FAR, PAST, Exit.EXPIRED),
        (SOON, PAST, Exit.EXPIRED),
        (PAST, SOON, Exit.EXPIRED),
        (None, FAR, Exit.OK),
        (FAR, None, Exit.OK),
        (None, SOON, Exit.EXPIRING),
        (None, None, Exit.OK),
    ],
)
def test_info_exits_on_the_worse_of_card_and_auth(
    card: dt.date | None, auth: dt.date | None, status: Exit
) -> None:
    assert status_of(info(card, auth), NOW, 90) is status
