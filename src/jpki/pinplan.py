"""Planning a PIN command: the PINs, keys and values of :func:`jpki.pinops.verify_pin`
and :func:`jpki.pinops.change_pin` checked before the card is touched.

Step 1 of the sequence in :mod:`jpki.pinops`: the PINs named (``sign|auth|juki|cardinfo``,
``1``-``4``, ``①``-``④``), the keys acted on (③'s two), each value against its PIN's
format (and a new value against :mod:`jpki.pinpolicy`), and a change of ③ refused unless
asked for as experimental (:func:`check_experimental`). The result is a
:class:`PinPlan`, which :func:`jpki.pinops.run_plan` carries out on the card; nothing
here touches a card or spends a try.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from . import profile
from .errors import PinFormatError, PinRequestError, WeakPinError
from .pinpolicy import check_new_pin
from .profile import Pin, PinSlot
from .retries import named_pins


def resolve_pins(names: Iterable[str | Pin]) -> tuple[Pin, ...]:
    """The PINs named (``sign|auth|juki|cardinfo``, ``1``-``4`` or ``①``-``④``), once
    each, in order ①-④; anything else raises :class:`PinRequestError`."""
    return named_pins(list(names), among=profile.USER_PINS)


def resolve_keys(
    pins: Sequence[Pin], key_ids: Sequence[str] | None
) -> dict[str, tuple[PinSlot, ...]]:
    """The keys to act on per PIN: all of them, or for ③ alone the ones ``key_ids`` name."""
    if not key_ids:
        return {p.id: p.slots for p in pins}
    if [p.id for p in pins] != [profile.JUKI_PIN.id]:
        raise PinRequestError("key-needs-juki")
    by_id = {k.id: k for k in profile.JUKI_PIN.slots}
    unknown = [k for k in key_ids if k not in by_id]
    if unknown:
        raise PinRequestError("unknown-key", unknown[0])
    return {profile.JUKI_PIN.id: tuple(k for k in profile.JUKI_PIN.slots if k.id in key_ids)}


def check_experimental(keys: Mapping[str, tuple[PinSlot, ...]], experimental: bool) -> None:
    """Refuse a change by a command that rests on one public source never seen run on a
    card (:attr:`jpki.keyformats.Change.experimental`: ③'s JICSAP CHANGE KEY) unless
    ``experimental``: :class:`PinRequestError` ``experimental``, before the card."""
    if experimental:
        return
    for pin_id, pin_keys in keys.items():
        if any(k.change.experimental for k in pin_keys):
            raise PinRequestError("experimental", pin_id)


#: A PIN value as the library takes it: text, or bytes read as ASCII.
PinValue = str | bytes


def pin_text(pin: Pin, value: object) -> str:
    """``value`` as text: a ``str`` as it is, ``bytes`` read as ASCII (other bytes:
    :class:`PinFormatError`, as a ``str`` that is no PIN); anything else raises
    :class:`PinRequestError` ``pin-type``. The value is never kept in the error."""
    if isinstance(value, bytes):
        if not value.isascii():
            raise PinFormatError(pin.id, pin.format.id)
        return value.decode("ascii")
    if not isinstance(value, str):
        raise PinRequestError("pin-type", type(value).__name__)
    return value


def encode_value(pin: Pin, value: object) -> bytes:
    """The value as sent (ASCII; ① upper-cased), or :class:`PinFormatError` (value not
    kept); a value neither ``str`` nor ``bytes``: :class:`PinRequestError`."""
    text = pin_text(pin, value)
    if not pin.format.valid(text):
        raise PinFormatError(pin.id, pin.format.id)
    return pin.format.normalise(text).encode("ascii")


def check_one_format(pins: Sequence[Pin]) -> None:
    """One new value for several PINs needs one format: ① (6-16 characters) goes alone."""
    if len({p.format.id for p in pins}) > 1:
        raise PinRequestError("mixed-formats")


def check_new_value(
    pins: Sequence[Pin], new: PinValue, allow_weak: bool
) -> tuple[bytes, tuple[str, ...]]:
    """The new value encoded, and warnings; one value for all ``pins`` (same format)."""
    check_one_format(pins)
    pin = pins[0]
    encoded = encode_value(pin, new)
    check = check_new_pin(pin, pin_text(pin, new))
    if check.weakness is not None and not allow_weak:
        raise WeakPinError(pin.id, check.weakness.value)
    return encoded, ("date-like",) if check.date_like else ()


def check_again(pin: Pin, new: str, again: str) -> None:
    """The new value asked twice: the two entries must be the same (① typed in lower
    case once and upper case once is the same), else :class:`PinRequestError`
    ``mismatch`` (values not kept)."""
    same = pin.format.normalise
    if same(new) != same(again):
        raise PinRequestError("mismatch")


def _currents(pins: Sequence[Pin], current: PinValue | Mapping[str, PinValue]) -> dict[str, bytes]:
    if isinstance(current, str | bytes):
        return {p.id: encode_value(p, current) for p in pins}
    if not isinstance(current, Mapping):
        raise PinRequestError("pin-type", type(current).__name__)
    missing = [p.id for p in pins if p.id not in current]
    if missing:
        raise PinRequestError("missing-current", missing[0])
    return {p.id: encode_value(p, current[p.id]) for p in pins}


@dataclass(frozen=True)
class PinPlan:
    """What a PIN command will send, checked before the card is touched.

    The values are held encoded and never shown by ``repr``.
    """

    operation: str  # "change" or "verify"
    pins: tuple[Pin, ...]
    keys: dict[str, tuple[PinSlot, ...]]
    currents: dict[str, bytes] = field(repr=False)
    new: bytes | None = field(default=None, repr=False)
    warnings: tuple[str, ...] = ()

    def __repr__(self) -> str:
        keys = {pin: [k.id for k in keys] for pin, keys in self.keys.items()}
        return (
            f"PinPlan(operation={self.operation!r}, pins={[p.id for p in self.pins]}, "
            f"keys={keys}, warnings={self.warnings})"
        )


def plan_change(
    pins: str | Pin | Sequence[str | Pin],
    current: PinValue | Mapping[str, PinValue],
    new: PinValue,
    *,
    allow_weak: bool = False,
    keys: Sequence[str] | None = None,
    experimental: bool = False,
) -> PinPlan:
    """Check a change before the card is touched (see :func:`change_pin`)."""
    targets = resolve_pins([pins] if isinstance(pins, str | Pin) else pins)
    chosen = resolve_keys(targets, keys)
    check_experimental(chosen, experimental)
    encoded_new, warnings = check_new_value(targets, new, allow_weak)
    currents = _currents(targets, current)
    if all(currents[p.id] == encoded_new for p in targets):
        raise PinRequestError("same-value")  # nothing to change: no try risked for it
    return PinPlan("change", targets, chosen, currents, encoded_new, warnings)


def plan_verify(pin: str | Pin, value: PinValue, *, keys: Sequence[str] | None = None) -> PinPlan:
    """Check a verification before the card is touched (see :func:`verify_pin`)."""
    targets = resolve_pins([pin])
    return PinPlan("verify", targets, resolve_keys(targets, keys), _currents(targets, value))
