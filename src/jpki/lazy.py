"""Names of a package imported on first use (PEP 562): ``import jpki`` stays light."""

from __future__ import annotations

import sys

# Not ``typing.TYPE_CHECKING``: importing typing would cost ``jpkitool --version``
# about 8 ms of its 16 ms (2026-12-07); every other command imports typing anyway.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any


def lazy_names(
    package: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: a name of ``table`` is imported
    from its submodule when first asked for, then kept in the package."""

    def getattr_(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        import importlib

        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    def dir_() -> list[str]:
        return sorted({*vars(sys.modules[package]), *table})

    return getattr_, dir_
