"""Opt-in: change a PIN on a real card to a temporary value and back. SPENDS NO TRY
when the PIN you give is right, but it changes your card: read docs/testing.md
("On a real card") first.

Runs only for a kind whose current PIN you put in its variable, e.g.
``JPKITOOL_HW_PIN_AUTH=....`` (``_SIGN``, ``_AUTH``, ``_JUKI``, ``_CARDINFO``), and
only when that PIN's counter is full, so a mistake can cost at most one try of
several. If changing back fails, the temporary value is printed so that you can
change it back with ``jpkitool change-pin``. ③ is changed with ``experimental=True``:
its command (JICSAP CHANGE KEY) has one public source and was never seen run on a
card, so giving ``JPKITOOL_HW_PIN_JUKI`` is asking to try it.
"""

from __future__ import annotations

import secrets

import pytest

import jpki
from conftest import pin_to_risk
from jpki import profile
from jpki.pinpolicy import check_new_pin
from jpki.retries import read_retries

KINDS = [p.id for p in profile.USER_PINS]


def temporary_value(pin: profile.Pin) -> str:
    """A random value of the PIN's format that the policy accepts."""
    alphabet = "0123456789" if pin.format.max_len == 4 else "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    length = 4 if pin.format.max_len == 4 else 8
    while True:
        value = "".join(secrets.choice(alphabet) for _ in range(length))
        check = check_new_pin(pin, value)
        if check.valid and check.weakness is None and not check.date_like:
            return value


@pytest.mark.parametrize("kind", KINDS)
def test_change_and_change_back(hw_reader: str, kind: str) -> None:
    current = pin_to_risk(hw_reader, kind, "change this PIN on a real card")
    pin = profile.PINS_BY_ID[kind]
    temp = temporary_value(pin)
    experimental = pin.experimental_change
    with jpki.open_card(hw_reader) as card:
        result = jpki.change_pin(card, kind, current, temp, experimental=experimental)
    assert [p.id for p in result.done] == [kind]
    print(f"{kind}: change-pin took {result.apdus} APDUs")
    try:
        with jpki.open_card(hw_reader) as card:
            jpki.verify_pin(card, kind, temp)
        with jpki.open_card(hw_reader) as card:
            back = jpki.change_pin(
                card, kind, temp, current, allow_weak=True, experimental=experimental
            )
        assert [p.id for p in back.done] == [kind]
    except Exception:
        flag = " --experimental" if experimental else ""
        print(f"\n!!! {kind} is now the temporary value {temp}: change it back with "
              f"'jpkitool change-pin {pin.no}{flag}' !!!")  # fmt: skip
        raise
    with jpki.open_card(hw_reader) as card:
        after = read_retries(card).pin(kind)
    assert after.remaining == pin.max_tries
