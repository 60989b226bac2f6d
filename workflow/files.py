"""Writing the files the product makes (exports, reports ``--output``, documents, supervision letters):
the one way every writer creates its file (docs/text-and-errors.md, "Files written").

A file is written to a new file created exclusively (``O_CREAT | O_EXCL | O_NOFOLLOW``) beside the
target and renamed over the target only when complete, so that

- a symbolic link at the target is refused (BadInput, exit 2) and nothing is ever written through
  one: a link planted after the check is replaced by the rename, its target untouched;
- a reader never sees half a file, and a failed write leaves the old file as it was.

A character device or a pipe at the target (``/dev/null``, a FIFO) is written in place, opened with
``O_NOFOLLOW``, as a stream that cannot seek (``/dev/null`` says it is at position 0 whatever was
written, which a zip writer — a workbook, a Word document — would otherwise trust).  An ``OSError`` (no
such folder, no permission) reaches the caller, which names the option it came from.  Standard library
only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from workflow.errors import BadInput

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


def check_target(path: str | Path) -> os.stat_result | None:
    """``path``'s own status (a link is not followed), None when nothing is there; a symbolic link is
    refused."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        raise BadInput("files_output_is_link", output=str(path))
    return st


@contextlib.contextmanager
def created(path: str | Path, mode: str = "wb", *, encoding: str | None = None,
            newline: str | None = None) -> Iterator[IO[Any]]:
    """A file object to write ``path`` with (``mode`` "w" or "wb"): see the module docstring."""
    path = Path(path)
    if not path.name:  # "" (read as "."), "/": a folder, with no name to write a file beside
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    st = check_target(path)
    if st is not None and (stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode)):
        fd = os.open(path, os.O_WRONLY | _NOFOLLOW | _BINARY)
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield cast(IO[Any], _Forward(fh))  # the writes a writer makes, nothing else
        return
    tmp = path.with_name(f".pipeline-{os.urandom(8).hex()}.part")  # (no `secrets`: start-up)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o666)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class _Forward:
    """A device or a pipe written in place: written forward only (no ``tell``, no ``seek``)."""

    def __init__(self, fh: IO[Any]):
        self._fh = fh

    def write(self, data: Any) -> int:
        return self._fh.write(data)

    def flush(self) -> None:
        self._fh.flush()

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("a device or a pipe is written forward only")

    def seek(self, *_args: Any) -> int:
        raise OSError("a device or a pipe is written forward only")


def write_bytes(path: str | Path, data: bytes) -> None:
    with created(path) as fh:
        fh.write(data)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    with created(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)


def save(path: str | Path, document: Any) -> None:
    """Save an openpyxl workbook or a python-docx document (anything with ``save(stream)``) to ``path``."""
    with created(path) as fh:
        document.save(fh)
