"""The version of every JSON document jpkitool prints and every library ``to_dict()``
of a whole result (docs/json.md; CHANGELOG.md records each change). Standard
library only: any module may use it without cost."""

from __future__ import annotations

from typing import Any

#: Bumped when a field is removed, renamed or changes its meaning; a new field
#: does not bump it (docs/json.md).
SCHEMA_VERSION = 1


def document(fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` as a document: ``schema_version`` first, then the fields."""
    return {"schema_version": SCHEMA_VERSION, **fields}


def error_document(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The error document: ``{"schema_version", "error": {"code", "message", ...}}``."""
    return document({"error": {"code": code, "message": message, **extra}})


def nested(doc: dict[str, Any]) -> dict[str, Any]:
    """A document's fields without ``schema_version``: a document inside another."""
    return {name: value for name, value in doc.items() if name != "schema_version"}
