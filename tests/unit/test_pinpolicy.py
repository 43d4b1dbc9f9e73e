"""The new-PIN policy: validity, each weakness rule, precedence and date-likeness."""

from __future__ import annotations

import calendar
import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jpki import keyformats, profile
from jpki.pinpolicy import COMMON_WORDS, NewPinCheck, Weakness, check_new_pin

SIGN = profile.SIGN
AUTH = profile.AUTH
FOUR_DIGIT_PINS = (profile.AUTH, profile.JUKI_PIN, profile.CARDINFO_PIN)
#: (month, last day) in a leap year.
MONTH_LENGTHS = [(m, calendar.monthrange(2000, m)[1]) for m in range(1, 13)]


def weakness(pin: profile.Pin, value: str) -> Weakness | None:
    result = check_new_pin(pin, value)
    assert result.valid, value
    return result.weakness


def date_like(pin: profile.Pin, value: str) -> bool:
    result = check_new_pin(pin, value)
    assert result.valid, value
    return result.date_like


# --- validity ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["12a4", "12345", "123", "", " 1234", "1234 ", "12 34", "１２３４", "12.4", "-123"]
)
def test_four_digit_invalid(value: str) -> None:
    assert check_new_pin(AUTH, value) == NewPinCheck(False, None, False)


@pytest.mark.parametrize(
    "value",
    [
        "abcdef",
        "123456",
        "A1234",
        "A" * 8 + "1" * 9,
        "ABC 123",
        "ABC-123",
        " K7Q2M9",
        "K7Q2M9\n",
        "ＡＢＣ１２３",
    ],
)
def test_sign_invalid(value: str) -> None:
    assert check_new_pin(SIGN, value) == NewPinCheck(False, None, False)


def test_invalid_dates_are_not_date_like() -> None:
    # 19850412 would be date-like if valid; invalid values report nothing.
    assert check_new_pin(SIGN, "19850412") == NewPinCheck(False, None, False)
    assert check_new_pin(AUTH, "01011") == NewPinCheck(False, None, False)


def test_sign_length_bounds() -> None:
    assert check_new_pin(SIGN, "K7Q2M9").valid
    assert check_new_pin(SIGN, "K7Q2MX").valid
    assert check_new_pin(SIGN, "X7K2TR9WQ4ZM3PL8").valid
    assert not check_new_pin(SIGN, "X7K2TR9WQ4ZM3PL8A").valid
    assert not check_new_pin(SIGN, "K7Q2M").valid


def test_other_formats_are_refused() -> None:
    with pytest.raises(ValueError, match="digits12"):
        check_new_pin(profile.CARDINFO_A, "123456789012")


# --- ②③④ -------------------------------------------------------------------------


@pytest.mark.parametrize("pin", FOUR_DIGIT_PINS, ids=lambda p: p.id)
def test_four_digit_acceptance(pin: profile.Pin) -> None:
    assert check_new_pin(pin, "12a4").valid is False
    assert check_new_pin(pin, "12345").valid is False
    assert weakness(pin, "1111") is Weakness.REPEATED
    assert weakness(pin, "1234") is Weakness.SEQUENCE
    for value in ("9876", "0123", "7890"):
        assert weakness(pin, value) is not None, value
    assert check_new_pin(pin, "5039") == NewPinCheck(True, None, False)


@pytest.mark.parametrize("digit", "0123456789")
def test_four_digit_repeated(digit: str) -> None:
    assert weakness(AUTH, digit * 4) is Weakness.REPEATED


@pytest.mark.parametrize("start", range(10))
def test_four_digit_sequences_wrap(start: int) -> None:
    up = "".join(str((start + i) % 10) for i in range(4))
    down = "".join(str((start - i) % 10) for i in range(4))
    assert weakness(AUTH, up) is Weakness.SEQUENCE, up
    assert weakness(AUTH, down) is Weakness.SEQUENCE, down


@pytest.mark.parametrize("value", ["8901", "9012", "0987", "1098", "3210", "0123", "7890"])
def test_four_digit_named_sequences(value: str) -> None:
    assert weakness(AUTH, value) is Weakness.SEQUENCE


@pytest.mark.parametrize("value", ["1212", "0101", "2020", "9090", "3737"])
def test_four_digit_pattern(value: str) -> None:
    assert weakness(AUTH, value) is Weakness.PATTERN


@pytest.mark.parametrize(
    "value",
    [
        "5039",
        "1256",
        "1357",
        "2580",
        "2468",
        "1235",  # two +1 steps, then +2
        "1232",  # +1, +1, -1: mixed directions
        "3234",  # -1, +1, +1
        "1243",
        "1112",  # not all one digit
        "2111",
        "1122",
        "1221",  # mirror, not a repeated unit
        "1213",
        "1312",
        "9753",
        "4071",
    ],
)
def test_four_digit_not_weak(value: str) -> None:
    assert weakness(AUTH, value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0229", True),  # MMDD, leap day
        ("0101", True),
        ("1231", True),
        ("0430", True),
        ("0431", False),  # April 31
        ("0230", False),  # Feb 30; 30 is no month for YYMM
        ("0015", False),  # month 00
        ("1315", False),  # month 13
        ("1985", True),  # YYYY
        ("1900", True),
        ("2099", True),
        ("2000", True),
        ("1899", False),
        ("2100", False),
        ("1301", True),  # YYMM only
        ("5001", True),
        ("9912", True),
        ("5012", True),
        ("5000", False),
        ("5013", False),
        ("5039", False),
        ("1256", False),
        ("2580", False),
    ],
)
def test_four_digit_date_like(value: str, expected: bool) -> None:
    assert date_like(AUTH, value) is expected


@pytest.mark.parametrize(
    ("month", "last_day"),
    MONTH_LENGTHS,
)
def test_four_digit_month_lengths(month: int, last_day: int) -> None:
    assert date_like(AUTH, f"{month:02}{last_day:02}")
    assert date_like(AUTH, f"{month:02}01")
    assert not date_like(AUTH, f"{month:02}{last_day + 1:02}")
    assert not date_like(AUTH, f"{month:02}00")


def test_date_like_and_weak_are_independent() -> None:
    assert check_new_pin(AUTH, "1212") == NewPinCheck(True, Weakness.PATTERN, True)
    assert check_new_pin(AUTH, "2020") == NewPinCheck(True, Weakness.PATTERN, True)
    assert check_new_pin(AUTH, "1985") == NewPinCheck(True, None, True)
    assert check_new_pin(AUTH, "1234") == NewPinCheck(True, Weakness.SEQUENCE, False)


def _oracle_date_like(value: str) -> bool:
    """MMDD in a leap year, YYYY in 1900-2099, or YYMM, by ``datetime``."""
    try:
        datetime.date(2000, int(value[:2]), int(value[2:]))
    except ValueError:
        mmdd = False
    else:
        mmdd = True
    return mmdd or 1900 <= int(value) <= 2099 or 1 <= int(value[2:]) <= 12


def test_four_digit_exhaustive() -> None:
    counts: dict[Weakness | None, int] = {}
    for n in range(10000):
        value = f"{n:04}"
        result = check_new_pin(AUTH, value)
        assert result.valid
        assert result.date_like is _oracle_date_like(value), value
        counts[result.weakness] = counts.get(result.weakness, 0) + 1
    # 10 repeated digits, 10 runs up and 10 down, 90 two-digit units.
    expected = {Weakness.REPEATED: 10, Weakness.SEQUENCE: 20, Weakness.PATTERN: 90, None: 9880}
    assert counts == expected


# --- ① ---------------------------------------------------------------------------


def test_sign_acceptance() -> None:
    assert check_new_pin(SIGN, "abcdef").valid is False
    assert weakness(SIGN, "ABC123") is Weakness.SEQUENCE
    assert weakness(SIGN, "abc123") is Weakness.SEQUENCE
    assert weakness(SIGN, "A12345") is Weakness.SEQUENCE
    assert weakness(SIGN, "AAAAA1") is Weakness.REPEATED
    assert weakness(SIGN, "QWERTY1") is Weakness.KEYBOARD
    assert check_new_pin(SIGN, "K7Q2M9") == NewPinCheck(True, None, False)
    assert check_new_pin(SIGN, "TOKYO2024X") == NewPinCheck(True, None, False)


@pytest.mark.parametrize(
    "value",
    ["K7Q2M9", "TOKYO2024X", "A1B2C3", "ABC1DE", "1ABC23", "PASSWORDX1", "X9K2TR7W"],
)
def test_sign_not_weak(value: str) -> None:
    assert weakness(SIGN, value) is None


@pytest.mark.parametrize("value", ["AAAAA1", "111111A", "AAA1AA", "1A1111", "ZZZZZZZZZZZZZZZ9"])
def test_sign_repeated(value: str) -> None:
    assert weakness(SIGN, value) is Weakness.REPEATED


def test_sign_repeated_needs_all_but_one() -> None:
    # Four of six the same: not REPEATED, then classified by later rules.
    assert weakness(SIGN, "AAAA11") is Weakness.SEQUENCE
    assert weakness(SIGN, "AA1AA1") is Weakness.PATTERN
    assert weakness(SIGN, "A1A2AA") is None


@pytest.mark.parametrize(
    "value",
    [
        "ABC123",
        "123ABC",
        "A12345",
        "12345A",
        "ZYX987",
        "CBA321",
        "AAAA11",  # 0 steps are continuous
        "ABCBA1",  # ±1 steps in either order
        "890123A",  # digits wrap 9 -> 0 -> ... without a keyboard step
        "A32109",  # digits wrap 0 -> 9
        "A90123",  # without the wrap, 0 to 1 would be a second break
        "ABAB12",
        "ABCDEFGHIJKLMNO1",
        "HIJ789",
    ],
)
def test_sign_sequence(value: str) -> None:
    assert weakness(SIGN, value) is Weakness.SEQUENCE


@pytest.mark.parametrize(
    "value",
    [
        "QWERTY1",
        "ASDF12",
        "ZXCVBNM1",
        "POIUYT1",  # backwards on a row
        "LKJHGF1",
        "1QAZ2WSX",  # keyboard columns, digit to letter inside a column
        "ZAQ123",
        "1QAZXSW2",
        "3EDC4RFV",
        "8IK9OL",
        "0POI12",  # 0-P is a column step
        "XYZAB1",  # Z to A does not wrap: a keyboard column step
    ],
)
def test_sign_keyboard(value: str) -> None:
    assert weakness(SIGN, value) is Weakness.KEYBOARD


KEY_ROWS = ("1234567890", "QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
KEY_COLUMNS = ("1QAZ", "2WSX", "3EDC", "4RFV", "5TGB", "6YHN", "7UJM", "8IK", "9OL", "0P")
KEY_PAIRS = sorted(
    pair
    for line in KEY_ROWS + KEY_COLUMNS
    for a, b in itertools.pairwise(line)
    for pair in ((a, b), (b, a))
)


@pytest.mark.parametrize(("a", "b"), KEY_PAIRS, ids="".join)
def test_sign_every_keyboard_neighbour(a: str, b: str) -> None:
    if a.isdigit() and b.isdigit():
        # Digit-row neighbours are ±1 (mod 10): an alphabet run.
        assert weakness(SIGN, (a + b) * 2 + "ZZ") is Weakness.SEQUENCE
    elif a.isdigit() != b.isdigit():
        assert weakness(SIGN, (a + b) * 3) is Weakness.KEYBOARD  # else PATTERN
    else:
        # A last step that is a break (P-0 would be a column step).
        value = (a + b) * 2 + a + ("9" if a == "P" else "0")
        expected = Weakness.SEQUENCE if abs(ord(a) - ord(b)) == 1 else Weakness.KEYBOARD
        assert weakness(SIGN, value) is expected  # else 4 breaks


@pytest.mark.parametrize(("a", "b"), [("Q", "S"), ("A", "W"), ("Q", "Z"), ("E", "T"), ("L", "Z")])
def test_sign_letters_not_keyboard_neighbours(a: str, b: str) -> None:
    assert weakness(SIGN, (a + b) * 2 + a + "0") is None


@pytest.mark.parametrize(("a", "b"), [("1", "A"), ("1", "W"), ("2", "Q"), ("P", "9")])
def test_sign_letter_digit_not_column_neighbours(a: str, b: str) -> None:
    assert weakness(SIGN, (a + b) * 3) is Weakness.PATTERN


@pytest.mark.parametrize(
    "value",
    [
        "ABC1DE",  # two letter-digit breaks
        "AB12XY",
        "ACE123",  # letters step by 2
        "ABCPQR1",  # C to P is a break, R to 1 another
        "A13579",  # digits step by 2
        "QWE1RT",
        "Q1W2E3",
        "1Q2W3E",
    ],
)
def test_sign_two_breaks_not_sequence(value: str) -> None:
    assert weakness(SIGN, value) not in (Weakness.SEQUENCE, Weakness.KEYBOARD)


def test_sign_letter_digit_change_is_a_break() -> None:
    assert weakness(SIGN, "AB1CD2") is None
    assert weakness(SIGN, "B2C3D4") is None


def test_sign_keyboard_only_when_needed() -> None:
    # F-G, O-P, N-M are row neighbours and alphabet neighbours: SEQUENCE.
    assert weakness(SIGN, "FGH123") is Weakness.SEQUENCE
    assert weakness(SIGN, "NOP123") is Weakness.SEQUENCE
    assert weakness(SIGN, "ONM123") is Weakness.SEQUENCE
    assert weakness(SIGN, "123456789A") is Weakness.SEQUENCE


@pytest.mark.parametrize(
    "value", ["AB12AB12", "A1A1A1", "AB1AB1", "1A1A1A1A", "X7K2X7K2X7K2", "K7Q2M9K7Q2M9"]
)
def test_sign_pattern(value: str) -> None:
    assert weakness(SIGN, value) is Weakness.PATTERN


@pytest.mark.parametrize("value", ["AB12AB1", "AB12AB13", "K7Q2M9K7Q2M", "A1B2C3"])
def test_sign_not_pattern(value: str) -> None:
    assert weakness(SIGN, value) is not Weakness.PATTERN


@pytest.mark.parametrize(
    "value",
    [
        "PASSWORD1",
        "PASSWD1",
        "PASS12",
        "QWERTY2024",
        "MYNUMBER1",
        "MYNA12",
        "JPKI12",
        "ADMIN1",
        "LETMEIN1",
        "WELCOME1",
        "PASS1WORD2",  # letters in order, digits between
        "1PASSWORD",
        "password1",
    ],
)
def test_sign_common_word(value: str) -> None:
    assert weakness(SIGN, value) is Weakness.COMMON_WORD


def test_common_word_list() -> None:
    assert {
        "PASSWORD",
        "PASSWD",
        "PASS",
        "QWERTY",
        "MYNUMBER",
        "MYNA",
        "JPKI",
        "ADMIN",
        "LETMEIN",
        "WELCOME",
    } == COMMON_WORDS


@pytest.mark.parametrize("value", ["PASSWORDX1", "XPASS1", "PASWORD1", "MYNUMBE1", "P4SSW0RD"])
def test_sign_not_common_word(value: str) -> None:
    assert weakness(SIGN, value) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AAAAA1", Weakness.REPEATED),  # also one break
        ("111111A", Weakness.REPEATED),
        ("QQQQQ1", Weakness.REPEATED),  # also no break (Q-1 column)
        ("Q1Q1Q1", Weakness.KEYBOARD),  # also a repeated unit
        ("QWERTY1", Weakness.KEYBOARD),  # letters are QWERTY too
    ],
)
def test_sign_precedence(value: str, expected: Weakness) -> None:
    assert weakness(SIGN, value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("AB850412", True),  # YYMMDD
        ("A1850412", True),  # the second six-digit window
        ("X19850412", True),  # YYYYMMDD
        ("X20240229", True),
        ("AB840229", True),  # Feb 29, any YY
        ("AB850230", False),
        ("AB850431", False),
        ("AB850430", True),
        ("AB851231", True),
        ("AB851232", False),
        ("AB850400", False),
        ("AB850012", False),
        ("AB851312", False),
        ("A1985041", False),
        ("A8504X12", False),  # digits not consecutive
        ("K7Q2M9", False),
        ("TOKYO2024X", False),
        ("X12345", False),
        ("0412AB", False),  # four digits only
        ("850412X", True),
        ("X850412", True),
    ],
)
def test_sign_date_like(value: str, expected: bool) -> None:
    assert date_like(SIGN, value) is expected


@pytest.mark.parametrize(
    ("month", "last_day"),
    MONTH_LENGTHS,
)
def test_sign_month_lengths(month: int, last_day: int) -> None:
    assert date_like(SIGN, f"Q77{month:02}{last_day:02}")
    assert not date_like(SIGN, f"Q77{month:02}{last_day + 1:02}")


# --- properties -------------------------------------------------------------------

UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
sign_values = st.text(UPPER_ALNUM, min_size=6, max_size=16).filter(keyformats.SIGN_PASSWORD.valid)
four_digits = st.text("0123456789", min_size=4, max_size=4)


@given(sign_values)
def test_sign_property(value: str) -> None:
    first = check_new_pin(SIGN, value)
    assert first.valid
    assert check_new_pin(SIGN, value) == first
    assert check_new_pin(SIGN, value.lower()) == first
    if first.weakness is not None:
        assert first.weakness in Weakness


@given(four_digits)
def test_four_digit_property(value: str) -> None:
    results = {check_new_pin(pin, value) for pin in FOUR_DIGIT_PINS}
    assert len(results) == 1
    (result,) = results
    assert result.valid
    assert result.weakness not in (Weakness.KEYBOARD, Weakness.COMMON_WORD)


@given(st.text(max_size=20))
def test_any_text_never_raises(value: str) -> None:
    for pin in (SIGN, *FOUR_DIGIT_PINS):
        result = check_new_pin(pin, value)
        assert result.valid == pin.format.valid(value)
        if not result.valid:
            assert result == NewPinCheck(False, None, False)


def test_weakness_codes_are_stable() -> None:
    assert [w.value for w in Weakness] == [
        "repeated",
        "sequence",
        "keyboard",
        "pattern",
        "common-word",
    ]
