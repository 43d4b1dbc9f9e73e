"""Expiry decisions (library): expired, expiring, ok, in JST calendar days; and the
card, auth and sign items read from the virtual card at a given time."""

from __future__ import annotations

import datetime as dt

import pytest

from cli_runner import jpkitool_inprocess as run
from jpki import open_emulator
from jpki.cardcerts import read_certificate
from jpki.cli.commands.info import status_of
from jpki.cli.failures import Exit
from jpki.emulator import build_state
from jpki.expiry import ExpiryState, end_of_day_jst, expiry_state, read_expiry
from jpki.info import read_info

UTC = dt.UTC
END = dt.datetime(2024, 5, 2, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST


@pytest.mark.parametrize(
    ("now", "warn", "expected"),
    [
        (END + dt.timedelta(seconds=1), 90, ExpiryState.EXPIRED),
        (END, 90, ExpiryState.EXPIRING),  # the last second is still valid
        (END - dt.timedelta(days=90), 90, ExpiryState.EXPIRING),  # 90 JST days left
        (END - dt.timedelta(days=91), 90, ExpiryState.OK),
        (END - dt.timedelta(days=10), 9, ExpiryState.OK),
        (END - dt.timedelta(days=10), 10, ExpiryState.EXPIRING),
        (END - dt.timedelta(days=1), 0, ExpiryState.OK),
        (END - dt.timedelta(hours=1), 0, ExpiryState.EXPIRING),  # same JST day: 0 left
    ],
)
def test_expiry_state(now: dt.datetime, warn: int, expected: ExpiryState) -> None:
    assert expiry_state(END, now, warn) is expected


def test_unknown_end_is_unknown() -> None:
    assert expiry_state(None, END, 90) is ExpiryState.UNKNOWN


def test_a_card_dated_a_day_ends_at_midnight_in_japan() -> None:
    assert end_of_day_jst(dt.date(2034, 4, 10)) == dt.datetime(2034, 4, 10, 14, 59, 59, tzinfo=UTC)


NOW = dt.datetime(2026, 11, 25, 3, 0, tzinfo=UTC)


def test_read_expiry_on_the_default_card() -> None:
    with open_emulator(build_state()) as card:
        report = read_expiry(card, NOW)
    assert [i.id for i in report.items] == ["card", "auth"]
    card_item, auth = report.items
    assert card_item.not_after == dt.datetime(2034, 4, 10, 14, 59, 59, tzinfo=UTC)
    assert auth.not_after == dt.datetime(2029, 4, 10, 14, 59, 59, tzinfo=UTC)
    assert (card_item.days_left, auth.days_left) == (2693, 867)
    assert report.worst is ExpiryState.OK


def test_the_worst_item_decides() -> None:
    state = build_state(card_expiry="2026-12-20")  # the auth certificate ends with the card
    with open_emulator(state) as card:
        report = read_expiry(card, NOW, 90)
    assert report.item("auth").state is ExpiryState.EXPIRING
    assert report.worst is ExpiryState.EXPIRING
    with open_emulator(state) as card:
        later = read_expiry(card, dt.datetime(2027, 1, 1, tzinfo=UTC), 90)
    assert later.worst is ExpiryState.EXPIRED


def test_without_the_card_record_a_rough_guide_never_decides() -> None:
    state = build_state(applications=["jpki", "cardinfo", "surface", "juki"])
    with open_emulator(state) as card:
        report = read_expiry(card, NOW)
    card_item = report.item("card")
    assert card_item.not_after is None and card_item.state is ExpiryState.UNKNOWN
    assert card_item.estimate == dt.date(2034, 4, 10)  # auth expiry + 5 years
    assert report.worst is ExpiryState.OK


def test_sign_needs_the_pin_and_reports_absent_without_certificate() -> None:
    with open_emulator(build_state()) as card:
        report = read_expiry(card, NOW, sign=True, sign_pin="abc123")
    assert report.item("sign").days_left == 867
    with open_emulator(build_state(sign_certificate=False)) as card:
        absent = read_expiry(card, NOW, sign=True)
    assert absent.item("sign").absent and absent.worst is ExpiryState.OK


def test_reading_the_auth_certificate_needs_no_pin() -> None:
    state = build_state()
    with open_emulator(state) as card:
        cert = read_certificate(card, "auth")
        assert card.permits_issued == 0
    assert cert.info.not_after.year == 2029 and cert.verified is None


@pytest.mark.parametrize(
    ("card_expiry", "now", "status"),
    [
        ("2034-04-10", NOW, Exit.OK),
        ("2027-01-10", NOW, Exit.EXPIRING),  # card and auth certificate within 90 days
        ("2026-11-24", NOW, Exit.EXPIRED),
    ],
)
def test_info_status_is_the_worse_of_card_and_auth(
    card_expiry: str, now: dt.datetime, status: Exit
) -> None:
    with open_emulator(build_state(card_expiry=card_expiry)) as card:
        info = read_info(card)
    assert status_of(info, now, 90) is status


def test_expiry_cli_exit_statuses_with_a_fixed_now() -> None:
    path_args = ["--emulator", "--now", "2026-11-25T03:00:00Z"]
    assert run(*path_args, "expiry").code == Exit.OK
    assert run(*path_args, "expiry", "--warn-days", "900").code == Exit.EXPIRING
    late = run("--emulator", "--now", "2030-01-01", "--json", "expiry")
    assert late.code == Exit.EXPIRED and late.json["state"] == "expired"
    assert late.json["now"] == "2030-01-01T00:00:00Z"
    bad = run("--lang", "en", "--emulator", "--now", "yesterday", "expiry")
    assert bad.code == Exit.USAGE and "ISO 8601" in bad.err


def test_an_auth_certificate_already_read_is_not_read_again() -> None:
    """``read_expiry(..., auth=)``: the same report, with fewer exchanges."""
    now = dt.datetime(2026, 12, 7, tzinfo=dt.UTC)
    with open_emulator() as card:
        before = card.apdu_count
        alone = read_expiry(card, now)
        cost = card.apdu_count - before
        auth = read_certificate(card, "auth")
        before = card.apdu_count
        given = read_expiry(card, now, auth=auth)
        assert card.apdu_count - before < cost
    assert given == alone
