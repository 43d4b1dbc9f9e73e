"""The virtual card's key commands: VERIFY (``20``, with data or as a counter query),
CHANGE REFERENCE DATA (``24``) and JICSAP CHANGE KEY (``80 32``).

:class:`KeyCommands` is the part of :class:`jpki.emulator.card.VirtualCard` that answers
them, on the keys of :mod:`jpki.profile` and the counters and values of the card's
state. Behaviour follows ``docs/card.md``; emulator only (no public source shows what
a real card answers):

- VERIFY/CHANGE naming by SFI a key that the current application lacks (or with
  no application): ``6A88``. VERIFY with data of any length is compared as is: a
  value of the wrong length is a wrong attempt. A wrong attempt clears the key's
  verified flag.
- CHANGE with the other instruction than the key's (``24`` on ③, ``80 32`` on
  ①②④, either on the 照合番号 keys): ``6985``. CHANGE REFERENCE DATA P1 must be
  ``01`` (new value only), JICSAP CHANGE KEY P1 ``00``; else ``6A86``.
- The query quirks of the state (``answer_override``, ``short_query_9000``,
  ``blocked_query_6984``, ``verified_query_9000``) and ``change_not_kept`` apply here.
"""

from __future__ import annotations

from collections.abc import Callable

from apdu import SW, CommandAPDU, ResponseAPDU

from .. import profile
from ..keyformats import Change
from ..profile import Application, DataFile, PinSlot
from .state import CardState


def _r(sw: int, data: bytes = b"") -> ResponseAPDU:
    return ResponseAPDU(data, sw)


class KeyCommands:
    """VERIFY and the two CHANGE commands; :class:`jpki.emulator.card.VirtualCard` is
    one, and gives them its state, security state and file system."""

    state: CardState
    #: Times a command changed ``state``.
    changes: int
    _app: Application | None
    _verified: set[str]
    #: The key or file ``fid`` of ``app``.
    _node: Callable[[Application | None, int], PinSlot | DataFile | None]
    #: The current EF.
    _current: Callable[[], PinSlot | DataFile | None]

    def _key_for(self, cmd: CommandAPDU, p1: int) -> PinSlot | SW:
        """The key P2 names (``80``: the current EF; ``80|FID``: by SFI), or a status word
        (``6A86`` too when P1 is not ``p1``)."""
        if cmd.p1 != p1:
            return SW.INCORRECT_P1P2
        if cmd.p2 == 0x80:
            node = self._current()
            if node is None:
                return SW.NO_CURRENT_EF
            return node if isinstance(node, PinSlot) else SW.INCOMPATIBLE_FILE_STRUCTURE
        if 0x81 <= cmd.p2 <= 0x9E:
            if self.state.quirks.no_sfi:
                return SW.INCORRECT_P1P2
            node = self._node(self._app, cmd.p2 & 0x1F)
            return node if isinstance(node, PinSlot) else SW.REFERENCE_DATA_NOT_FOUND
        return SW.INCORRECT_P1P2

    def _no_reference_data(self, key: PinSlot) -> bool:
        """Face-auth card's ② and a card without sign certificate's ① (emulator only)."""
        s = self.state
        return (key is profile.AUTH_SLOT and s.face_auth) or (
            key is profile.SIGN_SLOT and not s.sign_certificate
        )

    def _verify(self, cmd: CommandAPDU) -> ResponseAPDU:
        key = self._key_for(cmd, 0x00)
        if isinstance(key, SW):
            return _r(key)
        slot = self.state.slot(key)
        quirks = self.state.quirks
        override = quirks.answer_override.get(key.id)
        if not cmd.data and override is not None:
            return _r(int(override, 16))
        if not cmd.data and quirks.short_query_9000 and cmd.p2 != 0x80:
            return _r(SW.OK)
        if self._no_reference_data(key):
            return _r(SW.REFERENCE_DATA_NOT_FOUND)
        if slot.blocked and (cmd.data or quirks.blocked_query_6984):
            return _r(SW.REFERENCE_DATA_NOT_USABLE)
        if not cmd.data:  # the query (blocked: 63C0)
            verified = key.id in self._verified and not slot.blocked
            if verified and quirks.verified_query_9000:
                return _r(SW.OK)
            return _r(SW.VERIFY_FAILED | slot.remaining)
        if cmd.data == slot.value.encode("utf-8"):
            if slot.remaining != slot.max:
                slot.remaining = slot.max
                self.changes += 1
            self._verified.add(key.id)
            return _r(SW.OK)
        slot.remaining -= 1
        self.changes += 1
        self._verified.discard(key.id)
        return _r(SW.VERIFY_FAILED | slot.remaining)

    def _change(self, cmd: CommandAPDU, command: Change) -> ResponseAPDU:
        key = self._key_for(cmd, command.p1)
        if isinstance(key, SW):
            return _r(key)
        if not cmd.data:
            return _r(SW.WRONG_LENGTH)
        if self._no_reference_data(key):
            return _r(SW.REFERENCE_DATA_NOT_FOUND)
        if key.change is not command:
            return _r(SW.CONDITIONS_NOT_SATISFIED)
        slot = self.state.slot(key)
        if slot.blocked:
            return _r(SW.REFERENCE_DATA_NOT_USABLE)
        if key.id not in self._verified:
            return _r(SW.SECURITY_STATUS_NOT_SATISFIED)
        text = cmd.data.decode("latin-1")
        if not text.isascii() or not key.format.valid(text) or key.format.normalise(text) != text:
            return _r(SW.INCORRECT_DATA)
        if not self.state.quirks.change_not_kept and slot.value != text:
            slot.value = text
            self.changes += 1
        return _r(SW.OK)
