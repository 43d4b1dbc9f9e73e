"""Writing a file whole or not at all: a temporary file beside it, then a rename."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def write_whole(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: readers see the old file or the new one.

    A new file is readable by its owner only (``mkstemp``): what jpkitool writes can
    hold personal data (a sign certificate) or a virtual card's PINs. A file that is
    replaced keeps its permission bits. An :class:`OSError` names ``path``, never the
    temporary file.
    """
    target = Path(path)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _naming(exc, target) from exc
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _naming(exc, target) from exc
        raise


def _naming(exc: OSError, target: Path) -> OSError:
    """``exc`` again (the same subclass, by errno), naming ``target`` only."""
    return OSError(exc.errno, exc.strerror or str(exc), str(target))
