"""The J-LIS production roots, as facts with their sources (docs/card.md §8).

J-LIS issues three generations of roots for each purpose: ``auth`` (利用者証明用,
"JPKI for user authentication") and ``sign`` (署名用, "JPKI for digital signature").
Every generation of a purpose has the same subject DN (:data:`SUBJECTS`), so a root
is recognised by its SHA-256 fingerprint, never by its name.

Sources of each fact:

- serial numbers and validity dates (as given, in days; Japan time): the roots table
  of docs/card.md §8; for auth gen 1, auth gen 3, sign gen 1 and sign gen 3
  also the certificate files in ``shared/realdata`` (``auth_ca_2015.pem``,
  ``auth_ca_2023.pem``, ``sign_ca_2015.pem``, ``sign_ca_2023.pem``), which agree
  (checked by ``tests/unit/test_chain.py``).
- fingerprints of auth gen 1, auth gen 3, sign gen 1, sign gen 3: docs/card.md
  §6 and the SHA-256 of those four files, which agree (checked by the tests).
- fingerprint of sign gen 2: a single source, nunnun/jpki-local-signer
  ``JPKITrustAnchors.swift`` (quoted in docs/card.md §8), which says it was
  checked against J-LIS's published values. Likely, not certain.
- fingerprint of auth gen 2: no source gives it (``None``). :mod:`jpki.chain`
  recognises that root by subject DN + serial + validity dates, unpinned.
- subject DNs: the four files in ``shared/realdata``; "same subject DN in every
  generation": docs/card.md §8.

Test cards chain to ``O=JPKI-TEST`` roots, which J-LIS does not publish: not here.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

AUTH = "auth"
SIGN = "sign"

#: Subject (and issuer) DN of every J-LIS root of a purpose, in the form of
#: :attr:`jpki.certificate.CertificateInfo.subject` (seen on the four realdata roots).
SUBJECTS = {
    AUTH: "C=JP, O=JPKI, OU=JPKI for user authentication, "
    "OU=Japan Agency for Local Authority Information Systems",
    SIGN: "C=JP, O=JPKI, OU=JPKI for digital signature, "
    "OU=Japan Agency for Local Authority Information Systems",
}


@dataclass(frozen=True)
class JlisRoot:
    """One J-LIS production root (see the module docstring for the sources)."""

    purpose: str
    generation: int
    serial: int
    #: First and last day of validity, as given (Japan time).
    not_before: datetime.date
    not_after: datetime.date
    #: ``4D:CF:...`` as in docs/card.md, or ``None`` when no source gives it (the
    #: source of each: the module docstring).
    sha256: str | None

    @property
    def subject(self) -> str:
        return SUBJECTS[self.purpose]


#: The six J-LIS production roots (docs/card.md §8).
ROOTS: tuple[JlisRoot, ...] = (
    JlisRoot(
        AUTH,
        1,
        0x01,
        datetime.date(2015, 10, 20),
        datetime.date(2025, 10, 19),
        "4D:CF:C4:CA:0A:AF:9F:B2:A3:08:1B:3F:0C:99:1C:32:"
        "0B:3A:CC:00:86:67:A3:41:EE:AE:C5:AF:1D:58:CA:7D",
    ),
    JlisRoot(AUTH, 2, 0x0133C349, datetime.date(2019, 9, 14), datetime.date(2029, 9, 14), None),
    JlisRoot(
        AUTH,
        3,
        0x06D18006,
        datetime.date(2023, 7, 16),
        datetime.date(2033, 7, 15),
        "64:11:4F:29:62:0C:24:ED:26:31:D4:64:76:A0:40:E7:"
        "EE:74:0D:95:60:89:C0:0B:03:6A:6A:81:18:C3:22:B5",
    ),
    JlisRoot(
        SIGN,
        1,
        0x01,
        datetime.date(2015, 10, 20),
        datetime.date(2025, 10, 19),
        "19:64:54:05:A1:FE:14:37:74:34:BD:55:95:76:28:AC:"
        "40:38:55:7C:54:24:03:A2:24:3F:21:C7:06:FC:93:55",
    ),
    JlisRoot(
        SIGN,
        2,
        0x0132C4AB,
        datetime.date(2019, 9, 14),
        datetime.date(2029, 9, 14),
        "79:67:9C:33:E4:CC:93:19:44:0F:1A:D1:20:A5:97:FF:"
        "18:44:E2:EF:21:70:63:AD:B1:76:96:6F:D5:E6:FB:EB",
    ),
    JlisRoot(
        SIGN,
        3,
        0x067C6A21,
        datetime.date(2023, 7, 16),
        datetime.date(2033, 7, 15),
        "D2:27:F6:CD:E1:1D:35:C5:25:21:78:F1:06:F8:43:D2:"
        "46:51:94:49:75:41:3B:53:9F:A2:FB:68:DB:FA:36:5F",
    ),
)
