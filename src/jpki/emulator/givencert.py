"""A certificate a virtual card's state gives (``certificates`` of a state file):
DER bytes, a path to a PEM or DER file, or the base64 of the DER."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import re
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from apdu import jsonfile
from apdu.jsonfile import FileFault, type_fault

#: Largest certificate file a state may name.
MAX_CERTIFICATE_BYTES = 1024 * 1024


def _der(raw: bytes, pem: bool = False) -> bytes | None:
    """The DER of the one X.509 certificate ``raw`` is (DER, or with ``pem`` PEM too),
    else None."""
    with contextlib.suppress(ValueError, x509.InvalidVersion):  # (not a ValueError)
        if pem and b"-----BEGIN" in raw:
            return x509.load_pem_x509_certificate(raw).public_bytes(Encoding.DER)
        x509.load_der_x509_certificate(raw)
        return raw
    return None


def given_certificate(value: Any, where: str, base: Path | None) -> bytes:
    """The DER of a given certificate: DER bytes, or text: base64 DER or the path of a
    PEM or DER file (relative to ``base`` if given). A :class:`apdu.jsonfile.FileFault`
    names ``where`` (with the file's path once it is read) when it is none of them."""
    if isinstance(value, bytes | bytearray):
        der = _der(bytes(value))
    else:
        text = os.fspath(value) if isinstance(value, os.PathLike) else value
        if not isinstance(text, str):
            raise type_fault(where, str)
        if not text.strip():
            raise FileFault(where, "empty")
        der = None
        if looks := len(text) >= 64 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", text) is not None:
            with contextlib.suppress(binascii.Error):
                der = _der(base64.b64decode(re.sub(r"\s", "", text), validate=True))
        path = Path(text)
        with contextlib.suppress(RuntimeError):  # ~user of no known user: the name as it is
            path = path.expanduser()
        path = base / path if base is not None and not path.is_absolute() else path
        if der is None and not (looks and not os.path.exists(path)):  # (no Path.exists: long)
            try:
                der = _der(jsonfile.read_regular(path, MAX_CERTIFICATE_BYTES), pem=True)
            except FileFault as exc:
                raise FileFault(f"{where}: {path}", exc.code, **exc.params) from None
            where = f"{where}: {path}"
    if der is None:
        raise FileFault(where, "certificate")
    return der
