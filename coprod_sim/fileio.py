"""Writing files safely: a failed write never leaves half a file behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write(path: str | os.PathLike, data: str | bytes,
                 writer: Any = None) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically.

    The data goes to a temporary file in the same folder, which then replaces
    ``path`` in one step (``os.replace``); on any error the temporary file is
    removed and ``path`` is left as it was.

    Args:
        path: The file to write; its folder is created if missing.
        data: Text or bytes; ignored when ``writer`` is given.
        writer: Optional function ``writer(temporary_path)`` that writes the
            file itself (for libraries that write to a path, such as Parquet).

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if writer is not None:
            os.close(fd)
            writer(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
