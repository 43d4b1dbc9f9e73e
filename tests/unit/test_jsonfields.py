"""The field checks the state and session files share (apdu.jsonfields): each gives
the value read, or a FileFault naming the field and the problem. (The state file's
own, ``fields`` and ``text``, are tested with it in tests/emulator.)"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from apdu.jsonfields import choice, in_range, like, typed
from apdu.jsonfile import FileFault


def fault(check: Any, *args: Any) -> tuple[str, str, dict[str, Any]]:
    with pytest.raises(FileFault) as caught:
        check(*args)
    return caught.value.field, caught.value.code, caught.value.params


def test_typed() -> None:
    assert typed({"a": 1}, "x", dict) == {"a": 1}
    assert fault(typed, [], "x", dict) == ("x", "type", {"shape": "{…}"})
    assert fault(typed, 1, "x", bool) == ("x", "type", {"shape": "true/false"})
    assert fault(typed, None, "x", str) == ("x", "type", {"shape": '"…"'})


@pytest.mark.parametrize("value", [4, -1, True, 1.5, "2", None, 10**400])
def test_a_whole_number_in_range(value: Any) -> None:
    check = in_range(0, 3)
    assert check(3, "n") == 3 and check(0, "n") == 0
    assert fault(check, value, "n") == ("n", "whole", {"low": 0, "high": 3})


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -0.5, 61, True, "1"])
def test_a_number_in_range(value: Any) -> None:
    check = in_range(0, 60, whole=False)
    assert check(1, "n") == 1.0 and isinstance(check(1, "n"), float) and check(0.5, "n") == 0.5
    assert fault(check, value, "n") == ("n", "number", {"low": 0, "high": 60})


def test_like_reads_a_pattern() -> None:
    status = like(r"(?:[0-9A-F]{2}){2}", "6A88", hex_=True)
    assert status("6a 88", "s") == "6A88" and status("6A:88", "s") == "6A88"
    assert fault(status, "6A8", "s") == ("s", "like", {"example": "6A88"})
    date = like(r"\d{4}-\d\d-\d\d", "2034-04-10", dt.date.fromisoformat)
    assert date("1985-04-10", "d") == dt.date(1985, 4, 10)
    assert fault(date, "1985-13-01", "d")[1] == "like"  # (the reader's ValueError)
    assert fault(date, 19850410, "d")[1] == "type"


def test_choice() -> None:
    check = choice(["card", "android"])
    assert check("card", "t") == "card"
    assert fault(check, "phone", "t") == ("t", "choice", {"choices": ("card", "android")})
    assert fault(check, ["card"], "t")[1] == "choice"
    assert fault(choice([1]), True, "v")[1] == "choice"
    assert choice([1])(1, "v") == 1


# -- the text of the file (apdu.jsonfile) ------------------------------------------------


def problem(call: Any, *args: Any) -> tuple[str, str, int | None, dict[str, Any]]:
    with pytest.raises(FileFault) as caught:
        call(*args)
    exc = caught.value
    return exc.field, exc.code, exc.line, exc.params


def test_json_problems_name_the_place() -> None:
    from apdu import jsonfile

    assert problem(jsonfile.loads, '{\n  "a": 1,\n  "a": 2}') == ("a", "twice", None, {})
    assert problem(jsonfile.loads, '{\n  "a": 1\n  "b": 2}') == ("", "json", 3, {"column": 3})
    long = '{"n":\n ' + "9" * 5000 + "}"
    assert problem(jsonfile.loads, long) == ("", "json", 2, {"column": 2})
    deep = "[" * 100_000
    assert problem(jsonfile.loads, deep)[1:3] == ("json", 1)
    assert problem(jsonfile.decode, b"\xff\xfe{") == ("", "utf8", 1, {})
    assert problem(jsonfile.decode, b"{\n\n\xff}") == ("", "utf8", 3, {})
    assert jsonfile.decode(b"\xef\xbb\xbf{}") == "{}"
