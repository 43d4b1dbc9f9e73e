"""The My Number Card's applications, files, keys and PINs: the one table.

Every command and the virtual card read from here; no AID or file id appears
elsewhere. The table is the card's facts, with two siblings: :mod:`jpki.keyformats`
holds the formats its keys' values take and the commands that change them, which
each :class:`PinSlot` here names; :mod:`jpki.certfacts` what the certificates say beyond
X.509 (the holder OIDs, the eras of a birth date). How the 共通カードAP record is laid
out and how an application or a file is selected are here too. Sources are named as
in ``docs/card.md``: facts seen in one source only (myna-card) are likely, not certain.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from apdu import INS, CommandAPDU

from .keyformats import DIGITS4, DIGITS6, DIGITS12, DIGITS14, SIGN_PASSWORD, Change, PinFormat


@dataclass(frozen=True)
class Application:
    """An application selected by DF name (``00 A4 04 0C 0A <AID>``)."""

    id: str
    aid: bytes
    name_ja: str
    name_en: str
    source: str
    #: Every file of it is personal data (the card's face, the photo): responses read
    #: while it is selected are hidden in traces and recordings, whatever the file.
    personal: bool = False


JPKI = Application(
    "jpki", bytes.fromhex("D392F000260100000001"), "公的個人認証AP", "JPKI", "all sources"
)
CARDINFO = Application(
    "cardinfo",
    bytes.fromhex("D3921000310001010408"),
    "券面事項入力補助AP",
    "card-info input support",
    "all sources",
)
SURFACE = Application(
    "surface",
    bytes.fromhex("D3921000310001010402"),
    "券面事項確認AP",
    "card-surface confirmation",
    "myna-rs, jpki-rs, myna-card",
    # Its files (the card face, the photo: docs/card.md §2) are named by no source
    # precisely enough for the table; jpkitool never reads them.
    personal=True,
)
JUKI = Application(
    "juki", bytes.fromhex("D3921000310001010401"), "住基AP", "resident registry", "myna-card"
)
COMMON = Application(
    "common", bytes.fromhex("D3921000310001010100"), "共通カードAP", "common card", "myna-card"
)

#: Applications in the order commands visit them.
APPLICATIONS: tuple[Application, ...] = (JPKI, CARDINFO, SURFACE, JUKI, COMMON)
APPLICATIONS_BY_ID = {a.id: a for a in APPLICATIONS}

#: The GlobalPlatform issuer security domain, selected to leave the application whose
#: key a PIN command verified: selecting a different application clears that
#: application's security state, re-selecting the same one does not (myna-sign
#: selects this on exit, asserted in its card tests; myna-card cites JICSAP 5.1.3;
#: answered ``9000`` in myna-card's examples). Not one of :data:`APPLICATIONS`.
ISD = Application(
    "isd",
    bytes.fromhex("A0000001510000"),
    "カード発行者セキュリティドメイン",
    "issuer security domain",
    "myna-sign, myna-card",
)
#: Sent once after the card's power is cycled, its answer ignored: the first command
#: after power returns was answered ``6F00`` on the card myna-card measured
#: (``transport/pcsc.rs``, which sends these four bytes).
THROWAWAY = bytes.fromhex("00A40000")


def select_app(aid: bytes) -> CommandAPDU:
    """SELECT an application by its DF name, no data in the answer (``00 A4 04 0C``;
    every public program that ran on a card: myna-card, myna-sign, OpenSC)."""
    return CommandAPDU(0x00, INS.SELECT, 0x04, 0x0C, aid)


def select_ef(fid: int) -> CommandAPDU:
    """SELECT a file of the current application by its file id (``00 A4 02 0C``)."""
    return CommandAPDU(0x00, INS.SELECT, 0x02, 0x0C, fid.to_bytes(2, "big"))


@dataclass(frozen=True)
class PersonalBytes:
    """The bytes of a file's content (of record 1 for a record file) that are personal
    data, where the rest is not: those alone are hidden in traces and recordings."""

    #: ``(start, end)`` ranges of the content, ``end`` excluded.
    spans: tuple[tuple[int, int], ...]
    #: What the ranges hold, in a recording's header.
    what: str
    #: The layout the ranges describe begins with these bytes; content that does not
    #: (another layout, a later piece read by offset) is hidden whole.
    prefix: bytes = b""


@dataclass(frozen=True)
class DataFile:
    """An elementary file holding data (``00 A4 02 0C 02 <FID>``)."""

    id: str
    app: Application
    fid: int
    access: str
    description: str
    #: Holds personal data (name, address, ...): kept out of traces and recordings.
    personal: bool = False
    #: Only these bytes of it are personal (the rest is needed, e.g. a date): kept out
    #: of traces and recordings while the rest is shown.
    personal_bytes: PersonalBytes | None = None
    #: Keys (ids) of which one must be verified to read it (myna-card: A opens 0001,
    #: B opens 0002 of the 券面事項入力補助AP).
    guarded_by: tuple[str, ...] = ()
    #: Keys that guard it on a smartphone token only (§3: the auth certificate needs ②).
    guarded_on_phone_by: tuple[str, ...] = ()
    #: Read with READ RECORD, not READ BINARY.
    record: bool = False


AUTH_CERT = DataFile(
    "auth-cert", JPKI, 0x000A, "free", "auth certificate (X.509 DER)", guarded_on_phone_by=("auth",)
)
AUTH_CA_CERT = DataFile("auth-ca-cert", JPKI, 0x000B, "free", "auth CA certificate")
SIGN_CERT = DataFile(
    "sign-cert",
    JPKI,
    0x0001,
    "sign PIN",
    "sign certificate: name, address, birth date, sex",
    personal=True,
    guarded_by=("sign",),
)
SIGN_CA_CERT = DataFile("sign-ca-cert", JPKI, 0x0002, "free", "sign CA certificate")
TOKEN_INFO = DataFile("token-info", JPKI, 0x0006, "free", "token label, 32 bytes space-padded")
CERT_FLAGS = DataFile(
    "cert-flags", JPKI, 0x0008, "free", "3 bytes; first byte 8F when a sign cert exists"
)
#: The 券面事項入力補助AP files are BER-TLV with the card's own tags (jsapdu's My Number
#: profile; no public dump of a card): EF 0001 is ``FF 10`` over the My Number's 12
#: ASCII digits; EF 0002 is ``FF 20`` over ``DF 21`` (2-byte offsets of the TLVs that
#: follow; their meaning is not published), then the holder's fields, UTF-8.
MY_NUMBER_TAG = b"\xff\x10"
ATTRIBUTES_TAG = b"\xff\x20"
ATTRIBUTE_OFFSETS_TAG = b"\xdf\x21"
#: EF 0002's holder fields in their order, by tag (the birth date as ``YYYYMMDD``, the
#: sex one JIS X 0303 digit; jsapdu).
ATTRIBUTE_TAGS = {
    "name": b"\xdf\x22",
    "address": b"\xdf\x23",
    "birth_date": b"\xdf\x24",
    "sex": b"\xdf\x25",
}
#: The 共通カードAP record EF 0001: tag ``01``, its length ``1C``, then ASCII fields
#: of these widths, the expiry as ``YYYYMMDD`` (myna-card, myna-rs; docs/card.md §3).
CARD_RECORD_TAG = 0x01
CARD_RECORD_FIELDS = (("serial", 15), ("municipality", 5), ("expiry", 8))
#: Length of the record with its tag and length bytes.
CARD_RECORD_LEN = 2 + sum(width for _, width in CARD_RECORD_FIELDS)
CARD_RECORD = DataFile(
    "card-record",
    COMMON,
    0x0001,
    "free",
    "record: 01 1C, serial(15), municipality(5), expiry",
    record=True,
    # The serial number and the municipality code are personal; the expiry is what
    # `info` and `expiry` need (docs/card.md §3: myna-card, myna-rs).
    personal_bytes=PersonalBytes(
        ((2, 2 + 15), (2 + 15, 2 + 15 + 5)),
        "the card serial number and the municipality code (the expiry date is kept)",
        prefix=bytes([CARD_RECORD_TAG, CARD_RECORD_LEN - 2]),
    ),
)
CARDINFO_MYNUMBER = DataFile(
    "cardinfo-mynumber",
    CARDINFO,
    0x0001,
    "cardinfo PIN",
    "My Number",
    personal=True,
    guarded_by=("cardinfo", "cardinfo-a"),
)
CARDINFO_ATTRS = DataFile(
    "cardinfo-attrs",
    CARDINFO,
    0x0002,
    "cardinfo PIN",
    "name, address, birth date, sex",
    personal=True,
    guarded_by=("cardinfo", "cardinfo-b"),
)

DATA_FILES: tuple[DataFile, ...] = (
    AUTH_CERT,
    AUTH_CA_CERT,
    SIGN_CERT,
    SIGN_CA_CERT,
    TOKEN_INFO,
    CERT_FLAGS,
    CARD_RECORD,
    CARDINFO_MYNUMBER,
    CARDINFO_ATTRS,
)

#: The certificates by the names commands use; each user certificate's CA beside it.
CERTIFICATES: dict[str, DataFile] = {
    "auth": AUTH_CERT,
    "auth-ca": AUTH_CA_CERT,
    "sign": SIGN_CERT,
    "sign-ca": SIGN_CA_CERT,
}
CA_OF: dict[str, str] = {"auth": "auth-ca", "sign": "sign-ca"}

#: First byte of EF 0008 when the sign certificate exists (myna-card).
CERT_FLAG_PRESENT = 0x8F

#: Length of the token label at the start of EF 0006.
TOKEN_LABEL_LEN = 32


class Token(StrEnum):
    """The token that holds the JPKI application (EF 0006 label)."""

    CARD = "card"
    ANDROID = "android"
    IPHONE = "iphone"
    JUKI_CARD = "juki-card"
    UNKNOWN = "unknown"


#: Labels of EF 0006 (myna-card; the first and last also in opensc).
TOKEN_LABELS: dict[str, Token] = {
    "JPKIAPICCTOKEN2": Token.CARD,
    "JPKIAPGPSETOKEN": Token.ANDROID,
    "JPKIAPIOSTOKEN": Token.IPHONE,
    "JPKIAPICCTOKEN": Token.JUKI_CARD,
}
TOKEN_LABEL_OF = {v: k for k, v in TOKEN_LABELS.items()}


def token_from_label(raw: bytes) -> Token:
    """The token named by the bytes of EF 0006 (label space- or NUL-padded)."""
    label = raw[:TOKEN_LABEL_LEN].rstrip(b" \x00").decode("ascii", "replace")
    return TOKEN_LABELS.get(label, Token.UNKNOWN)


@dataclass(frozen=True)
class PinSlot:
    """One key (a PIN EF) on the card, with its own retry counter."""

    id: str
    app: Application
    fid: int
    max_tries: int | None
    format: PinFormat
    change: Change
    source: str

    @property
    def sfi_p2(self) -> int:
        """P2 of ``00 20 00 P2`` naming this key by short EF identifier."""
        return 0x80 | self.fid


SIGN_SLOT = PinSlot("sign", JPKI, 0x001B, 5, SIGN_PASSWORD, Change.CHANGE_REFERENCE_DATA, "all")
AUTH_SLOT = PinSlot("auth", JPKI, 0x0018, 3, DIGITS4, Change.CHANGE_REFERENCE_DATA, "all")
JUKI_SLOT = PinSlot("juki", JUKI, 0x001C, 3, DIGITS4, Change.JICSAP_CHANGE_KEY, "myna-card")
COMMON_SLOT = PinSlot(
    "juki-common", COMMON, 0x001C, 3, DIGITS4, Change.JICSAP_CHANGE_KEY, "myna-card"
)
CARDINFO_SLOT = PinSlot(
    "cardinfo", CARDINFO, 0x0011, 3, DIGITS4, Change.CHANGE_REFERENCE_DATA, "all"
)
#: Max tries of the 照合番号 keys: B is 10 per myna-card; A is published nowhere.
CARDINFO_A_SLOT = PinSlot("cardinfo-a", CARDINFO, 0x0014, None, DIGITS12, Change.NONE, "myna-card")
CARDINFO_B_SLOT = PinSlot("cardinfo-b", CARDINFO, 0x0015, 10, DIGITS14, Change.NONE, "myna-card")
#: Blocked (63C0) on every card myna-card examined; purpose unknown. Not shown to users.
CARDINFO_BLOCKED_SLOT = PinSlot(
    "cardinfo-0012", CARDINFO, 0x0012, None, DIGITS4, Change.NONE, "myna-card"
)
#: The surface AP numbers A and B the other way round from the text AP (all sources agree).
SURFACE_A_SLOT = PinSlot(
    "surface-a", SURFACE, 0x0013, None, DIGITS12, Change.NONE, "myna-rs, myna-card"
)
SURFACE_B_SLOT = PinSlot(
    "surface-b", SURFACE, 0x0012, None, DIGITS14, Change.NONE, "myna-rs, myna-card"
)
SURFACE_BIRTH_SLOT = PinSlot(
    "surface-birth", SURFACE, 0x0011, None, DIGITS6, Change.NONE, "myna-card"
)

PIN_SLOTS: tuple[PinSlot, ...] = (
    SIGN_SLOT,
    AUTH_SLOT,
    JUKI_SLOT,
    COMMON_SLOT,
    CARDINFO_SLOT,
    CARDINFO_A_SLOT,
    CARDINFO_B_SLOT,
    CARDINFO_BLOCKED_SLOT,
    SURFACE_A_SLOT,
    SURFACE_B_SLOT,
    SURFACE_BIRTH_SLOT,
)
SLOTS_BY_ID = {k.id: k for k in PIN_SLOTS}


@dataclass(frozen=True)
class Pin:
    """A PIN as users know it: ①-④ and the 照合番号. ③ is two slots."""

    id: str
    no: int | None
    slots: tuple[PinSlot, ...]
    name_ja: str
    name_en: str

    @property
    def max_tries(self) -> int | None:
        return self.slots[0].max_tries

    @property
    def format(self) -> PinFormat:
        return self.slots[0].format

    @property
    def experimental_change(self) -> bool:
        """Changing it needs ``experimental`` (:attr:`Change.experimental`: ③)."""
        return any(k.change.experimental for k in self.slots)


SIGN = Pin("sign", 1, (SIGN_SLOT,), "署名用電子証明書の暗証番号", "signature PIN")
AUTH = Pin("auth", 2, (AUTH_SLOT,), "利用者証明用電子証明書の暗証番号", "user-authentication PIN")
#: ③'s keys in the order they are queried, verified and changed: the 共通カードAP's first,
#: the one more sources know (its record is read by myna-card and myna-rs), then the
#: 住基AP's (myna-card only); the first wrong value stops before the second key.
JUKI_PIN = Pin(
    "juki", 3, (COMMON_SLOT, JUKI_SLOT), "住民基本台帳用の暗証番号", "resident-registry PIN"
)
CARDINFO_PIN = Pin(
    "cardinfo", 4, (CARDINFO_SLOT,), "券面事項入力補助用の暗証番号", "card-info input-support PIN"
)
CARDINFO_A = Pin(
    "cardinfo-a",
    None,
    (CARDINFO_A_SLOT,),
    "券面事項入力補助AP 照合番号A",
    "card-info check number A",
)
CARDINFO_B = Pin(
    "cardinfo-b",
    None,
    (CARDINFO_B_SLOT,),
    "券面事項入力補助AP 照合番号B",
    "card-info check number B",
)
SURFACE_A = Pin(
    "surface-a", None, (SURFACE_A_SLOT,), "券面事項確認AP 照合番号A", "card-surface check number A"
)
SURFACE_B = Pin(
    "surface-b", None, (SURFACE_B_SLOT,), "券面事項確認AP 照合番号B", "card-surface check number B"
)

#: The PINs ``retries`` reports, in display order.
PINS = (SIGN, AUTH, JUKI_PIN, CARDINFO_PIN, CARDINFO_A, CARDINFO_B, SURFACE_A, SURFACE_B)
PINS_BY_ID = {p.id: p for p in PINS}
#: The PIN each key belongs to (③'s two keys belong to ``juki``).
PIN_OF_SLOT: dict[str, Pin] = {k.id: p for p in PINS for k in p.slots}

#: The PINs a user can verify and change: ①-④.
USER_PINS: tuple[Pin, ...] = (SIGN, AUTH, JUKI_PIN, CARDINFO_PIN)
#: Circled numbers used by municipal pages.
CIRCLED = {1: "①", 2: "②", 3: "③", 4: "④"}
#: Names of ①-④, the one table the CLI and the library both read: the id, the
#: number or the circled number (``auth``, ``2``, ``②``).
USER_PIN_NAMES: dict[str, Pin] = {
    **{p.id: p for p in USER_PINS},
    **{str(p.no): p for p in USER_PINS if p.no},
    **{CIRCLED[p.no]: p for p in USER_PINS if p.no},
}

#: The file whose first byte, read without a PIN, proves a key no longer verified
#: (``6982`` expected; it is read only when the key is not verified): ① the sign
#: certificate (OpenSC issue #3169, opensc/OpenSC#3: "Security status not satisfied"
#: without ①), ④ the 券面事項入力補助AP's basic four facts (myna-card). ② and ③ have
#: no harmless proof (② would need a signature with the auth key).
PROOF_FILES: dict[str, DataFile] = {"sign": SIGN_CERT, "cardinfo": CARDINFO_ATTRS}
