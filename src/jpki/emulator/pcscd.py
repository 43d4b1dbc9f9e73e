"""Moved to :mod:`jpki.testing.pcscd` (test support, not the card library); re-exported here."""

from jpki.testing.pcscd import (
    SYSTEM_SOCKET,
    VPCD_DRIVER,
    HarnessError,
    PcscdInstance,
    free_port_pair,
    namespaces_available,
)

__all__ = [
    "SYSTEM_SOCKET",
    "VPCD_DRIVER",
    "HarnessError",
    "PcscdInstance",
    "free_port_pair",
    "namespaces_available",
]
