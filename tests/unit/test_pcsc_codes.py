"""PC/SC codes come from pyscard; wait_for_card's logic against a scripted PC/SC (no pcscd)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apdu import (
    CardRemovedError,
    NoCardError,
    PcscLibraryError,
    ServiceUnavailableError,
    TransportError,
)

try:
    from apdu import pcsc
except PcscLibraryError as exc:  # no pyscard / libpcsclite here
    pytest.skip(f"pyscard cannot be loaded: {exc}", allow_module_level=True)

sc = pcsc.sc
U32 = 0xFFFFFFFF

#: pyscard's return codes: SCARD_S_*, SCARD_E_*, SCARD_W_*, SCARD_F_*, SCARD_P_*.
PYSCARD_CODES = {
    int(value) & U32: name
    for name, value in vars(sc).items()
    if name.startswith(("SCARD_S_", "SCARD_E_", "SCARD_W_", "SCARD_F_", "SCARD_P_"))
    and isinstance(value, int)
}


def test_every_code_of_the_table_is_pyscards() -> None:
    missing = [f"0x{code:08X}" for code in pcsc._ERRORS if code not in PYSCARD_CODES]
    assert missing == []
    assert len(pcsc._ERRORS) >= 16


def test_only_what_pyscard_lacks_is_defined_locally() -> None:
    declared = sorted(
        name for name, value in vars(pcsc).items() if name.isupper() and type(value) in (int, str)
    )
    assert declared == sorted(pcsc.LOCAL_CONSTANTS)  # nothing else re-declared
    for name in pcsc.LOCAL_CONSTANTS:
        assert not hasattr(sc, name), f"pyscard now has {name}: use sc.{name}"
    assert pcsc.SCARD_PRESENT == 0x0004  # pcsc-lite pcsclite.h, SCardStatus state bits
    assert pcsc.PNP_NOTIFICATION == r"\\?PnP?\Notification"


def test_pyscard_codes_are_compared_unsigned() -> None:
    # pcsc-lite: positive LONG; Windows: negative 32-bit LONG. Both are one code.
    signed = (sc.SCARD_W_REMOVED_CARD & U32) - (1 << 32)
    for rv in (sc.SCARD_W_REMOVED_CARD, signed):
        err = pcsc.error_for(rv, "exchanging with the card", "R")
        assert isinstance(err, CardRemovedError)
        assert err.code == 0x80100069  # type: ignore[attr-defined]
        assert str(err) == "exchanging with the card (R): the card was removed [0x80100069]"


def test_unknown_code_is_explained_by_pyscard() -> None:
    rv = sc.SCARD_E_INVALID_PARAMETER
    assert rv & U32 not in pcsc._ERRORS
    text = str(sc.SCardGetErrorMessage(rv)).rstrip(".")
    assert text and "0x" not in text  # pcsc-lite: "Invalid parameter given."
    err = pcsc.error_for(rv, "doing it", "R")
    assert type(err) is TransportError
    assert str(err) == f"doing it (R): {text} [0x80100004]"
    assert err.code == 0x80100004  # type: ignore[attr-defined]
    # the signed (Windows) form gives the same text
    assert str(pcsc.error_for(rv - (1 << 32), "doing it", "R")) == str(err)


def test_code_unknown_to_pyscard_too_keeps_the_code() -> None:
    err = pcsc.error_for(0x80100064, "doing it")
    assert type(err) is TransportError
    assert str(err).endswith("[0x80100064]")
    assert str(sc.SCardGetErrorMessage(0x80100064)).rstrip(".") in str(err)


# -- wait_for_card against a scripted PC/SC -------------------------------------------

PNP = pcsc.PNP_NOTIFICATION
PRESENT = sc.SCARD_STATE_PRESENT | sc.SCARD_STATE_CHANGED
EMPTY = sc.SCARD_STATE_EMPTY


class ScriptedPcsc:
    """The few ``sc`` calls ``wait_for_card`` makes; ``on_wait`` scripts each blocking call."""

    def __init__(
        self, readers: list[str], on_wait: Callable[[ScriptedPcsc, list[Any], int], Any]
    ) -> None:
        self.readers = readers
        self.cards: set[str] = set()
        self.on_wait = on_wait
        self.contexts = 0
        self.released = 0
        self.queries: list[tuple[int, list[tuple[str, int]]]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(sc, "SCardEstablishContext", self.establish)
        monkeypatch.setattr(sc, "SCardReleaseContext", self.release)
        monkeypatch.setattr(sc, "SCardListReaders", self.list)
        monkeypatch.setattr(sc, "SCardGetStatusChange", self.status_change)

    def establish(self, scope: int) -> tuple[int, int]:
        self.contexts += 1
        return sc.SCARD_S_SUCCESS, 1234

    def release(self, ctx: int) -> int:
        self.released += 1
        return sc.SCARD_S_SUCCESS

    def list(self, ctx: int, groups: list[str]) -> tuple[int, list[str]]:
        if not self.readers:
            return sc.SCARD_E_NO_READERS_AVAILABLE, []
        return sc.SCARD_S_SUCCESS, list(self.readers)

    def state(self, name: str) -> int:
        return PRESENT if name in self.cards else EMPTY

    def status_change(self, ctx: int, ms: int, query: list[tuple[str, int]]) -> Any:
        self.queries.append((ms, list(query)))
        unaware = [n for n, s in query if n != PNP and s == sc.SCARD_STATE_UNAWARE]
        if unaware:  # like pcsc-lite: return at once with every state
            return sc.SCARD_S_SUCCESS, [
                (n, 0 if n == PNP else self.state(n) | sc.SCARD_STATE_CHANGED, [])
                for n, _s in query
            ]
        return self.on_wait(self, query, ms)


def test_a_reader_plugged_in_during_the_wait_is_seen(monkeypatch: pytest.MonkeyPatch) -> None:
    def plug(fake: ScriptedPcsc, query: list[Any], ms: int) -> Any:
        assert query == [(PNP, 0)] and 0 < ms <= 1000  # blocks, bounded
        fake.readers = ["Reader 0"]
        fake.cards = {"Reader 0"}
        return sc.SCARD_S_SUCCESS, [(PNP, sc.SCARD_STATE_CHANGED, [])]

    fake = ScriptedPcsc([], plug)
    fake.install(monkeypatch)
    told: list[bool] = []
    assert pcsc.wait_for_card(None, 5, lambda: told.append(True)) == "Reader 0"
    assert told == [True]
    assert (fake.contexts, fake.released) == (1, 1)
    assert fake.queries[-1][1] == [("Reader 0", 0), (PNP, 0)]


def test_the_known_state_is_given_back_so_the_call_blocks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def insert_on_third(fake: ScriptedPcsc, query: list[Any], ms: int) -> Any:
        assert ("R", EMPTY) in query  # the last state, CHANGED cleared
        if len(fake.queries) < 3:
            return sc.SCARD_E_TIMEOUT, [(n, s, []) for n, s in query]
        fake.cards = {"R"}
        return sc.SCARD_S_SUCCESS, [(n, fake.state(n) if n != PNP else 0, []) for n, _ in query]

    fake = ScriptedPcsc(["R", "Other"], insert_on_third)
    fake.install(monkeypatch)
    assert pcsc.wait_for_card("R", 5) == "R"
    assert all(n != "Other" for _ms, q in fake.queries for n, _s in q)


def test_without_pnp_support_the_list_is_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pnp(fake: ScriptedPcsc, query: list[Any], ms: int) -> Any:
        if any(n == PNP for n, _s in query):
            return sc.SCARD_E_UNKNOWN_READER, []
        if len(fake.queries) >= 4:
            fake.readers = ["A", "B"]
            fake.cards = {"B"}
        return sc.SCARD_E_TIMEOUT, [(n, s, []) for n, s in query]

    fake = ScriptedPcsc(["A"], no_pnp)
    fake.install(monkeypatch)
    assert pcsc.wait_for_card(None, 5) == "B"
    after = fake.queries[2:]
    assert after and all(n != PNP for _ms, q in after for n, _s in q)
    assert fake.contexts == 1


def test_a_reader_leaving_before_the_call_keeps_pnp(monkeypatch: pytest.MonkeyPatch) -> None:
    def unplug_then_insert(fake: ScriptedPcsc, query: list[Any], ms: int) -> Any:
        if fake.readers == ["A", "B"]:
            fake.readers = ["A"]
            return sc.SCARD_E_UNKNOWN_READER, []
        assert (PNP, 0) in query and all(n != "B" for n, _s in query)
        fake.cards = {"A"}
        return sc.SCARD_S_SUCCESS, [(n, fake.state(n) if n != PNP else 0, []) for n, _ in query]

    fake = ScriptedPcsc(["A", "B"], unplug_then_insert)
    fake.install(monkeypatch)
    assert pcsc.wait_for_card(None, 5) == "A"


@pytest.mark.parametrize("rv", [sc.SCARD_F_COMM_ERROR, sc.SCARD_E_NO_SERVICE])
def test_the_service_going_away_is_service_unavailable(
    monkeypatch: pytest.MonkeyPatch, rv: int
) -> None:
    fake = ScriptedPcsc(["R"], lambda fake, query, ms: (rv, []))
    fake.install(monkeypatch)
    with pytest.raises(ServiceUnavailableError) as info:
        pcsc.wait_for_card(None, 5)
    assert info.value.code == rv & U32  # type: ignore[attr-defined]
    assert fake.released == 1


def test_timeout_zero_looks_once_without_on_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = ScriptedPcsc(["R"], lambda fake, query, ms: pytest.fail("must not block"))
    fake.install(monkeypatch)
    with pytest.raises(NoCardError, match="within 0 s"):
        pcsc.wait_for_card(None, 0, lambda: pytest.fail("on_wait with no wait"))
    assert len(fake.queries) == 1
