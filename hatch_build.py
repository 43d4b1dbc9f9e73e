"""Build hook: compile the message catalogues (``.po``) to ``.mo`` with Babel.

Runs for the wheel and for an editable install, so both find their ``.mo`` files
with no manual step. ``python hatch_build.py`` does the same by hand, after editing
a ``.po`` file in a checkout that is already installed.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

LOCALE = Path(__file__).resolve().parent / "src" / "jpki" / "locale"


def compiled(po: Path) -> bytes:
    """The ``.mo`` bytes of one ``.po`` file (Babel; untranslated entries left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, domain=po.stem)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def compile_all(locale: Path = LOCALE) -> list[Path]:
    """Write every ``<lang>/LC_MESSAGES/<domain>.mo`` beside its ``.po``; return them."""
    written = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        mo = po.with_suffix(".mo")
        data = compiled(po)
        if not mo.exists() or mo.read_bytes() != data:
            mo.write_bytes(data)
        written.append(mo)
    return written


try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # run as a script, without hatchling
    pass
else:

    class CatalogueHook(BuildHookInterface):  # type: ignore[type-arg]
        PLUGIN_NAME = "custom"

        def initialize(self, version: str, build_data: dict[str, Any]) -> None:
            if self.target_name in ("wheel", "editable"):
                compile_all(Path(self.root) / "src" / "jpki" / "locale")


if __name__ == "__main__":
    for path in compile_all():
        print(path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path)
