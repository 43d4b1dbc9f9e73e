"""The virtual card's memory: PIN values and counters, holder, dates, quirks.

A :class:`CardState` is what the virtual card remembers between sessions; its file
format (JSON, :func:`load_state`, :func:`save_state`, :func:`build_state`) is
:mod:`jpki.emulator.statefile`. The fields of the file are those of the dataclasses
here, in their order.

PIN values are kept in clear: the state is the virtual card's own memory. Nothing
here is secret and every default is fictitious. ``repr`` never shows PIN values
or the My Number.

Uncertain, emulator only: a key whose maximum is unknown on real cards
(``max_tries`` None in :mod:`jpki.profile`) gets :data:`UNKNOWN_MAX` = 10. The
check numbers (照合番号A/B, birth-date key) are independent fields: the emulator
does not check that they agree with ``my_number``, the holder or the expiry.

Seen on: emulator only (the defaults follow the formats of docs/card.md §1, §3).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .. import profile
from ..profile import Token

#: Maximum tries the emulator uses when the profile does not know it (emulator only).
UNKNOWN_MAX = 10
#: Largest counter a ``63Cx`` answer can carry.
COUNTER_LIMIT = 15

#: Tokens a state may name (``unknown`` is what a reader concludes, not a token).
TOKENS = (Token.CARD, Token.ANDROID, Token.IPHONE, Token.JUKI_CARD)

#: A contact ATR seen on real cards (docs/card.md §2, opensc issues #3021, #3169).
DEFAULT_ATR = "3BE000FF8131FE4514"

#: Fictitious My Number (its check digit is valid).
DEFAULT_MY_NUMBER = "123456789011"
#: 照合番号B: 昭和60年04月10日 (600410) + expiry year 2034 + security code 5678.
DEFAULT_CHECK_B = "60041020345678"
#: 券面事項確認AP birth-date key: 昭和60年04月10日.
DEFAULT_BIRTH_KEY = "600410"

#: Certificate EFs a state may give (``certificates`` keys): auth, auth CA, sign, sign CA.
CERT_NAMES = tuple(profile.CERTIFICATES)
#: Largest ``cert_filler``: the last offset READ BINARY P1-P2 can name is 7FFF.
MAX_CERT_FILLER = 0x7FFF

#: Default value of every key (profile key id -> value), all fictitious.
DEFAULT_VALUES: dict[str, str] = {
    profile.SIGN_SLOT.id: "ABC123",
    profile.AUTH_SLOT.id: "1234",
    profile.JUKI_SLOT.id: "1234",
    profile.COMMON_SLOT.id: "1234",
    profile.CARDINFO_SLOT.id: "1234",
    profile.CARDINFO_A_SLOT.id: DEFAULT_MY_NUMBER,
    profile.CARDINFO_B_SLOT.id: DEFAULT_CHECK_B,
    profile.CARDINFO_BLOCKED_SLOT.id: "0000",
    profile.SURFACE_A_SLOT.id: DEFAULT_MY_NUMBER,
    profile.SURFACE_B_SLOT.id: DEFAULT_CHECK_B,
    profile.SURFACE_BIRTH_SLOT.id: DEFAULT_BIRTH_KEY,
}
#: Keys blocked on a fresh card: ``cardinfo-0012`` is blocked on every card examined (myna-card).
DEFAULT_BLOCKED = frozenset({profile.CARDINFO_BLOCKED_SLOT.id})


@dataclass
class SlotState:
    """One key's reference data and counter. ``repr`` hides the value."""

    value: str = field(repr=False)
    remaining: int
    max: int

    @property
    def blocked(self) -> bool:
        return self.remaining == 0


def default_slot(key: profile.PinSlot) -> SlotState:
    """The fresh-card slot of ``key`` (see :data:`DEFAULT_VALUES`, :data:`DEFAULT_BLOCKED`)."""
    top = key.max_tries or UNKNOWN_MAX
    return SlotState(DEFAULT_VALUES[key.id], 0 if key.id in DEFAULT_BLOCKED else top, top)


def default_pins() -> dict[str, SlotState]:
    return {k.id: default_slot(k) for k in profile.PIN_SLOTS}


@dataclass
class Holder:
    """The fictitious card holder.

    ``sex`` is one JIS X 0303 digit (1 male, 2 female, 9 not applicable), as in the
    sign certificate. ``prefecture_en``/``city_en`` make the ``L=`` parts of the
    sign certificate's subject. ``name_kana`` is not written to any file (no public
    source shows where a card keeps it).
    """

    name: str = "架空 花子"
    name_kana: str = "カクウ ハナコ"
    birth_date: dt.date = dt.date(1985, 4, 10)
    sex: str = "2"
    address: str = "東京都千代田区架空町一丁目２番３号"
    prefecture_en: str = "Tokyo-to"
    city_en: str = "Chiyoda-ku"


@dataclass
class Quirks:
    """Behaviours of some real cards, all off by default.

    - ``verified_query_9000``: after a successful VERIFY the query answers ``9000``
      ("some cards", myna-card) instead of ``63Cx``.
    - ``blocked_query_6984``: the query on a blocked key answers ``6984``, not ``63C0``.
    - ``no_extended``: extended-length APDUs answer ``6700``.
    - ``no_sfi``: the short-EF forms (READ BINARY P1 ``80|SFI``, VERIFY/CHANGE P2
      other than ``80``) answer ``6A86``.
    - ``get_response``: every response with data answers ``61xx`` first; the data
      comes with GET RESPONSE ``00 C0 00 00 xx`` in chunks of at most 256 bytes.
    - ``answer_override``: key id -> status word (4 hex digits) the query returns,
      to simulate a card answering something unexpected.
    - ``power_up_6f00``: the first command after the card's power came back answers
      ``6F00`` (the card myna-card measured, after ``SCARD_UNPOWER_CARD``); only a
      power-up after a session that sent commands arms it (emulator only).
    - ``sticky_verified``: a faulty card: a verified key stays verified through a
      power cycle and the SELECT of another application (a test switch).
    - ``change_not_kept``: a faulty card: CHANGE answers ``9000`` but the key keeps
      its old value (a test switch).
    - ``short_query_9000``: the query by short EF identifier (``00 20 00 (80|FID)``,
      no data) answers ``9000`` on every key, while SELECT EF + ``00 20 00 80`` counts
      as usual: the short form has one source and no card trace (docs/card.md §4), so
      a card may answer it so (emulator only).
    """

    verified_query_9000: bool = False
    blocked_query_6984: bool = False
    no_extended: bool = False
    no_sfi: bool = False
    get_response: bool = False
    answer_override: dict[str, str] = field(default_factory=dict)
    power_up_6f00: bool = False
    sticky_verified: bool = False
    change_not_kept: bool = False
    short_query_9000: bool = False


@dataclass
class CardState:
    """Everything the virtual card remembers. ``CardState()`` is the default card (its
    values: docs/emulator.md); its card expiry is the 10th birthday after issue.

    ``certificates``: EF name (:data:`CERT_NAMES`) -> DER of a given certificate,
    served instead of the generated one; ``repr`` leaves it out (kilobytes).
    ``cert_filler``: filler bytes (``00``, emulator only) after each certificate's
    DER in its EF; None: padded with ``00`` to 2048 bytes (none when longer).

    The fields are in the order of the state file.
    """

    atr: str = DEFAULT_ATR
    token: Token = Token.CARD
    applications: list[str] = field(default_factory=lambda: [a.id for a in profile.APPLICATIONS])
    sign_certificate: bool = True
    face_auth: bool = False
    serial: str = "123456789012345"
    municipality: str = "13101"
    card_expiry: dt.date = dt.date(2034, 4, 10)
    cert_issued: dt.date = dt.date(2024, 6, 1)
    my_number: str = field(default=DEFAULT_MY_NUMBER, repr=False)
    holder: Holder = field(default_factory=Holder)
    pins: dict[str, SlotState] = field(default_factory=default_pins)
    quirks: Quirks = field(default_factory=Quirks)
    latency_ms: float = 0.0
    certificates: dict[str, bytes] = field(default_factory=dict, repr=False)
    cert_filler: int | None = None

    def slot(self, key: profile.PinSlot) -> SlotState:
        """The slot of ``key`` (a fresh default one is added if the dict lacks it)."""
        return self.pins.setdefault(key.id, default_slot(key))
