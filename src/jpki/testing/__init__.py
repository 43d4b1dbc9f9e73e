"""Test support for code that talks to the My Number Card (nothing here is imported by jpki).

- :mod:`jpki.testing.pcscd`: a private pcscd with the vpcd reader driver, in its own
  mount namespace (``unshare``, ``mount --bind``), for tests and recordings.
- :mod:`jpki.testing.pytest_plugin`: the pytest fixtures over it (``jpki_pcscd``,
  ``serve_card``, ``serve_virtual_card``, ``virtual_card_reader``), registered as
  the ``pytest11`` entry point ``jpkitool``.

This package imports nothing at import time, so that a pytest run that loads the
plugin but uses none of its fixtures pays nothing for it.
"""
