"""Moved to :mod:`jpki.testing.pytest_plugin`; re-exported here for old imports.

The ``pytest11`` entry point ``jpkitool`` names :mod:`jpki.testing.pytest_plugin`;
loading this module as well (``-p``, ``pytest_plugins``) registers the same fixtures
again, which is harmless but not needed.
"""

from jpki.testing.pytest_plugin import (
    ServeCard,
    ServeVirtualCard,
    jpki_pcscd,
    serve_card,
    serve_virtual_card,
    virtual_card_reader,
)

__all__ = [
    "ServeCard",
    "ServeVirtualCard",
    "jpki_pcscd",
    "serve_card",
    "serve_virtual_card",
    "virtual_card_reader",
]
