"""Reading and writing files safely.

* :func:`atomic_write`: a failed write never leaves half a file behind; the
  new file gets the permissions a normal write would (the umask, or the mode
  of the file it replaces); errors name the target file, never the temporary one.
* :func:`read_text_capped`: reads only regular files (a FIFO, a device such as
  ``/dev/zero`` or a folder is refused before anything is read) and at most a
  given size; a UTF-8 byte-order mark is accepted.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

#: Largest text file read by :func:`read_text_capped` by default (bytes).
MAX_TEXT_BYTES = 4 * 1024 * 1024


class FileProblem(OSError):
    """A file that cannot be used; ``str()`` is one plain line naming it."""

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def current_umask() -> int:
    """The process umask, read without changing it where the system allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting it, then put it back
    os.umask(mask)
    return mask


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def atomic_write(path: str | os.PathLike, data: str | bytes,
                 writer: Any = None) -> Path:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically.

    The data goes to a temporary file in the same folder, which then replaces
    ``path`` in one step (``os.replace``); on any error the temporary file is
    removed and ``path`` is left as it was. The file is given the mode of the
    file it replaces, or for a new file ``0666`` less the umask (as ``open``
    would), not the temporary file's private ``0600``.

    Args:
        path: The file to write; its folder is created if missing.
        data: Text or bytes; ignored when ``writer`` is given.
        writer: Optional function ``writer(temporary_path)`` that writes the
            file itself (for libraries that write to a path, such as Parquet).

    Returns:
        The path written.

    Raises:
        OSError: naming ``path`` (not the temporary file) and the reason.
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = _mode_for(path)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        if writer is not None:
            os.close(fd)
            writer(tmp)
        else:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as err:
        _remove(tmp)
        code = err.errno or errno.EIO
        raise OSError(code, err.strerror or os.strerror(code) or str(err), str(path)) from err
    except BaseException:
        _remove(tmp)
        raise
    return path


def _remove(tmp: str | None) -> None:
    if tmp and os.path.exists(tmp):
        try:
            os.unlink(tmp)
        except OSError:
            pass


def read_bytes_capped(path: str | os.PathLike, limit: int = MAX_TEXT_BYTES) -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    Raises:
        FileProblem: if the file is missing or unreadable, is not a regular file
            (a folder, FIFO or device), or is larger than ``limit``.
    """
    path = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise FileProblem(err.errno, f"cannot be read ({err.strerror})", str(path)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileProblem(errno.EINVAL, "is not a regular file (a folder, pipe or "
                              "device); give a file", str(path))
        if info.st_size > limit:
            raise FileProblem(errno.EFBIG, f"is {info.st_size:,} bytes; allowed: at most "
                              f"{limit:,} bytes", str(path))
        chunks, total = [], 0
        while total <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - total))
            if not block:
                break
            chunks.append(block)
            total += len(block)
        if total > limit:
            raise FileProblem(errno.EFBIG, f"is larger than {limit:,} bytes", str(path))
        return b"".join(chunks)
    except FileProblem:
        raise
    except OSError as err:
        raise FileProblem(err.errno, f"cannot be read ({err.strerror})", str(path)) from None
    finally:
        os.close(fd)


def read_text_capped(path: str | os.PathLike, limit: int = MAX_TEXT_BYTES) -> str:
    """Read a regular UTF-8 text file (a byte-order mark is dropped) of at most ``limit`` bytes.

    Raises:
        FileProblem: as :func:`read_bytes_capped`, or if the file is not UTF-8 text.
    """
    raw = read_bytes_capped(path, limit)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem(errno.EINVAL, "is not a text file in UTF-8", str(path)) from None
