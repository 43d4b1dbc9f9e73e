"""The transport interface and the APDU channel on top of it.

A transport (:class:`BaseTransport`) has one job: send the bytes of a command APDU,
return the bytes of the response. :class:`ApduChannel` adds ISO 7816-4 conveniences on top:
``61xx`` is answered with GET RESPONSE and ``6Cxx`` resends with the right Le,
transparently to callers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Self

from .command import SHORT_MAX, CommandAPDU
from .errors import EncodingError, TransportError
from .response import ResponseAPDU


class BaseTransport:
    """A transport: :meth:`transmit`, :meth:`transaction`, :meth:`power_cycle` and
    :meth:`close`, and what identifies the card (:attr:`name`, :attr:`atr`). How a
    session ends, and which responses are personal, the caller says."""

    _name: str = ""
    _atr: bytes = b""

    @property
    def name(self) -> str:
        """Human-readable name of what this transport talks to (a reader name, a file)."""
        return self._name

    @property
    def atr(self) -> bytes:
        """Answer-to-reset of the card, when known."""
        return self._atr

    def transmit(
        self, apdu: bytes, *, secret: bool = False, personal: bool = False
    ) -> bytes:  # pragma: no cover
        """The response to ``apdu``. ``secret``: its data field is a secret (a PIN);
        ``personal``: the response's data is personal (a certificate with a name and
        an address): recordings and traces keep only its length and status word."""
        raise NotImplementedError

    def close(self, *, unpower: bool = False) -> None:
        """Release the card, removing its power with ``unpower`` (else it is left as it
        is, for other programs); a second call does nothing."""

    def power_cycle(self, *, warm: bool = False) -> None:
        """Remove the card's power and restore it (a cold reset), inside the current
        transaction: the reset that clears a card's security state (a warm reset need
        not: myna-card measured that it does not on a My Number card). Raises
        :class:`TransportError` where the card's power cannot be cycled.

        ``warm``: reset the card keeping it powered (``SCARD_RESET_CARD``) instead, only
        to measure what a warm reset does (a parameter, so that every wrapper records,
        traces and replays either reset alike)."""
        raise TransportError(f"{type(self).__name__} cannot reset the card")

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive access around several exchanges (a no-op where meaningless)."""
        return contextlib.nullcontext()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class TransportWrapper(BaseTransport):
    """A transport that forwards to another one (recording, tracing, ...)."""

    def __init__(self, inner: BaseTransport) -> None:
        self.inner = inner

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def atr(self) -> bytes:
        return self.inner.atr

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self.inner.transmit(apdu, secret=secret, personal=personal)

    def close(self, *, unpower: bool = False) -> None:
        self.inner.close(unpower=unpower)

    def power_cycle(self, *, warm: bool = False) -> None:
        self.inner.power_cycle(warm=warm)

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        return self.inner.transaction()


class FunctionTransport(BaseTransport):
    """A transport around a function ``bytes -> bytes`` (scripted cards in tests)."""

    def __init__(self, func: Callable[[bytes], bytes], name: str = "function") -> None:
        self._func = func
        self._name = name

    def transmit(self, apdu: bytes, *, secret: bool = False, personal: bool = False) -> bytes:
        return self._func(bytes(apdu))


#: Upper bound on GET RESPONSE rounds, so a broken card cannot loop forever.
MAX_GET_RESPONSE = 256


class ApduChannel:
    """Exchanges :class:`CommandAPDU` objects over a transport.

    ``extended`` says whether extended-length APDUs may be sent; callers read it
    to decide how to chunk reads.
    """

    def __init__(self, transport: BaseTransport, *, extended: bool = True) -> None:
        self.transport = transport
        self.extended = extended
        #: Number of APDUs sent to the transport (GET RESPONSE and resends included).
        self.count = 0

    def _raw(self, command: CommandAPDU, personal: bool) -> ResponseAPDU:
        if command.is_extended and not self.extended:
            raise EncodingError("extended-length APDU while extended length is disabled")
        self.count += 1
        raw = self.transport.transmit(command.to_bytes(), secret=command.secret, personal=personal)
        return ResponseAPDU.parse(raw)

    def send(self, command: CommandAPDU, *, personal: bool = False) -> ResponseAPDU:
        """Send ``command``; follow ``61xx`` and ``6Cxx`` until the answer is complete.
        ``personal``: the answer's data is personal (:meth:`BaseTransport.transmit`)."""
        response = self._raw(command, personal)
        if response.correct_le is not None and command.le is not None:
            response = self._raw(command.with_le(response.correct_le), personal)
        data = bytearray(response.data)
        rounds = 0
        while response.more_available is not None and rounds < MAX_GET_RESPONSE:
            rounds += 1
            want = min(response.more_available, SHORT_MAX)
            get = CommandAPDU(command.cla & 0x03, 0xC0, 0x00, 0x00, le=want)
            response = self._raw(get, personal)
            if response.correct_le is not None:
                response = self._raw(get.with_le(response.correct_le), personal)
            data += response.data
        return ResponseAPDU(bytes(data), response.sw)


#: The seconds a transport may be given for one call (``timeout`` of a PC/SC
#: connection): below 0.1 no card answers, above an hour is a mistake.
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 3600.0
#: Seconds one call on a card connection (an exchange, a transaction, a reset) may
#: take before it is given up. pcsc-lite's client waits for pcscd without a limit,
#: and so does vpcd for its card (seen with pcsc-lite 1.9.9, vsmartcard-vpcd 3.3: a
#: card that answers after 100 s makes SCardTransmit return after 100 s); a reader
#: driver's own limit (CCID: the card's waiting time) may come first. A command
#: usually takes well under a second on a card.
DEFAULT_TIMEOUT = 20.0


def valid_timeout(value: object) -> bool:
    """Whether ``value`` is an int or float (not a bool) of seconds from
    :data:`MIN_TIMEOUT` to :data:`MAX_TIMEOUT` (NaN is not: it compares false)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return MIN_TIMEOUT <= value <= MAX_TIMEOUT


def check_timeout(value: float | None) -> None:
    """Raise :class:`ValueError` unless ``value`` is None or :func:`valid_timeout`."""
    if value is not None and not valid_timeout(value):
        raise ValueError(
            f"timeout must be seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, not {value!r}"
        )
