"""The diagnosis of ``doctor`` as data: which fix fits a failure, its exit status,
and the document it prints."""

from __future__ import annotations

import pytest

from jpki.cli.commands.doctor import EXITS
from jpki.cli.failures import Exit
from jpki.diagnosis import Check, Diagnosis, Link, diagnose_transport
from jpki.i18n import set_language
from jpki.words.doctor import detail


@pytest.mark.parametrize(
    ("check", "fix", "exit"),
    [
        (Check(Link.SERVICE, "fail"), "service", Exit.NO_CARD),
        (Check(Link.SERVICE, "denied"), "denied", Exit.NO_CARD),
        (Check(Link.READER, "fail"), "reader", Exit.NO_CARD),
        (Check(Link.JPKI, "busy", ("A",)), "busy", Exit.ERROR),
        (Check(Link.JPKI, "card-error", ("A",), "gone"), "card-error", Exit.ERROR),
        (Check(Link.JPKI, "several", ("A", "B")), "several", Exit.USAGE),
    ],
)
def test_a_failure_names_its_fix_and_status(check: Check, fix: str, exit: Exit) -> None:
    diagnosis = Diagnosis((Check(Link.SERVICE), check))
    assert diagnosis.failed is check and not check.ok
    assert check.fix == fix and EXITS.get(check.code, Exit.NO_CARD) == exit
    doc = diagnosis.to_dict()
    assert (doc["ok"], doc["missing"], doc["fix"]) == (False, check.link.value, fix)
    assert doc["checks"][1] == {
        "link": check.link.value,
        "ok": False,
        "code": check.code,
        "readers": list(check.readers),
        "detail": check.detail,
    }


def test_all_well_has_no_fix() -> None:
    doc = Diagnosis((Check(Link.SERVICE), Check(Link.JPKI, readers=("A",)))).to_dict()
    assert (doc["ok"], doc["missing"], doc["fix"]) == (True, None, None)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_finding_has_its_words(lang: str) -> None:
    set_language(lang)
    for link, code in [
        (Link.SERVICE, "ok"), (Link.SERVICE, "fail"), (Link.SERVICE, "denied"),
        (Link.SERVICE, "no-library"), (Link.READER, "ok"), (Link.READER, "fail"),
        (Link.CARD, "ok"), (Link.CARD, "fail"), (Link.JPKI, "ok"), (Link.JPKI, "fail"),
        (Link.JPKI, "busy"), (Link.JPKI, "card-error"), (Link.JPKI, "several"),
    ]:  # fmt: skip
        text = detail(Check(link, code, ("Reader A",), "why"))
        assert text and not text.startswith("doctor."), (link, code)
        if code in ("busy", "several"):
            assert "Reader A" in text
    set_language("en")


def test_a_card_reached_otherwise_is_checked_by_its_answer() -> None:
    from apdu import FunctionTransport

    no = diagnose_transport(FunctionTransport(lambda apdu: b"\x6a\x82"))
    assert [(c.link, c.code) for c in no.checks] == [(Link.CARD, "ok"), (Link.JPKI, "fail")]


def test_every_failure_has_a_fix_on_every_platform() -> None:
    """A failure's fix is printed for the platform: each must be in both catalogues
    (``no-library`` once named a fix that did not exist)."""
    from jpki.diagnosis import OWN_FIXES
    from jpki.i18n import has

    failures = [Check(link, "fail") for link in Link]
    failures += [Check(Link.SERVICE, code) for code in ("no-library", "denied")]
    failures += [Check(Link.JPKI, code) for code in OWN_FIXES - {"denied"}]
    for check in failures:
        for platform in ("debian", "macos", "windows"):
            assert has(f"doctor.fix.{check.fix}.{platform}"), (check, platform)
    assert Check(Link.SERVICE, "no-library").fix == "service"
