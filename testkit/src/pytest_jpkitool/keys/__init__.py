"""The virtual card's signing keys, for tests (public test keys: see README.txt).

jpkitool makes its virtual card's keys at run time, except for the default state,
whose certificates it ships (made with these keys). :func:`use_emulator_keys` puts
these keys in the virtual card's place, so that every state's certificates are the
same bytes in every run, and a test can sign as the emulator's roots.
"""

from __future__ import annotations

import functools
from importlib import resources

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@functools.cache
def emulator_key(name: str) -> rsa.RSAPrivateKey:
    """``auth-root``, ``sign-root``, ``auth-user`` or ``sign-user``."""
    pem = resources.files(__package__).joinpath(f"{name}.pem").read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):  # pragma: no cover - the files are RSA
        raise TypeError(f"{name}.pem is not an RSA key")
    return key


def use_emulator_keys() -> None:
    """Make this process's virtual cards sign with these keys (before any signs)."""
    from jpki.emulator import certs

    for name in certs.KEY_NAMES:
        certs.PRIVATE_KEYS.setdefault(name, emulator_key(name))
