"""Attached files (a document's scan): stored content-addressed by SHA-256, checked, given back
(docs/audit.md, "Attachments").

``doc add CODE KIND NUMBER --file scan.pdf`` records the file's hash, name and size in the document
event (so history fixes them) and stores its bytes once per hash: on SQLite in a folder beside the
database file (``<database file>-files/ab/abcdef…``), on PostgreSQL in the ``attachment_blob`` table.
``audit verify --files`` reads every stored file back and checks it against its hash;
``doc export`` gives it back, into a new file only (exclusive create, never through a symlink).
"""

from __future__ import annotations

import base64
import hashlib
import os
import pathlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from workflow import clock, words
from workflow.catalogue import Message
from workflow.definition import get_definition
from workflow.errors import BadInput, IntegrityFailure, NotFound, os_reason
from workflow.find import project_row
from workflow.tables import attachment_blob as AB
from workflow.tables import document as D
from workflow.tables import project as P
from workflow.values import required

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024  # the size cap of one attached file: 20 MiB
NAME_LIMIT = 255
FOLDER_SUFFIX = "-files"  # SQLite: the attachments' folder is the database file's name + this


@dataclass(frozen=True)
class Attachment:
    """A file read for attaching: its bytes, SHA-256 (hex), name (without its folder) and size."""

    data: bytes
    sha256: str
    name: str
    size: int


def read(path: Any, what: str = "--file") -> Attachment:
    """The file at ``path`` read whole: a regular file of at most ``MAX_ATTACHMENT_BYTES``; BadInput
    (exit 2) naming it otherwise."""
    p = pathlib.Path(str(path))
    name = required(p.name, what, NAME_LIMIT)
    try:
        if not p.is_file():
            raise BadInput("attach_not_a_file", path=str(p), what=what)
        size = p.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise BadInput("attach_too_large", path=str(p), size=size, limit=MAX_ATTACHMENT_BYTES)
        data = p.read_bytes()
    except OSError as exc:
        raise BadInput("attach_unreadable", path=str(p), reason=os_reason(exc)) from None
    if len(data) > MAX_ATTACHMENT_BYTES:  # grown since stat
        raise BadInput("attach_too_large", path=str(p), size=len(data), limit=MAX_ATTACHMENT_BYTES)
    return Attachment(data, hashlib.sha256(data).hexdigest(), name, len(data))


def folder(conn: Connection) -> pathlib.Path:
    """SQLite: the attachments' folder beside the database file; BadInput for a database in memory."""
    files = {name: file for _, name, file in conn.exec_driver_sql("PRAGMA database_list").fetchall()}
    database = files.get("main")  # the file SQLite itself opened (whatever form the URL gave)
    if not database:
        raise BadInput("attach_needs_database_file")
    return pathlib.Path(database).with_name(pathlib.Path(database).name + FOLDER_SUFFIX)


def _path(base: pathlib.Path, sha: str) -> pathlib.Path:
    return base / sha[:2] / sha


def store(conn: Connection, att: Attachment) -> None:
    """Keep ``att``'s bytes under its hash, once (in the caller's transaction on PostgreSQL; a file
    written whole, then renamed into place, on SQLite — a rolled-back entry leaves an unreferenced
    file, never a wrong one)."""
    if conn.dialect.name == "sqlite":
        target = _path(folder(conn), att.sha256)
        if target.is_file() and not target.is_symlink() and target.stat().st_size == att.size and \
                hashlib.sha256(target.read_bytes()).hexdigest() == att.sha256:
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f"{att.sha256}.{os.getpid()}.tmp")
        with open(tmp, "wb") as f:
            f.write(att.data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        return
    if conn.execute(select(AB.c.sha256).where(AB.c.sha256 == att.sha256)).first() is None:
        conn.execute(AB.insert().values(sha256=att.sha256, size=att.size, stored_at=clock.utcnow(),
                                        content=base64.b64encode(att.data).decode("ascii")))


def load(conn: Connection, sha: str) -> tuple[bytes | None, str]:
    """The stored bytes of ``sha`` (None when missing) and where they are kept (a path or a table)."""
    if conn.dialect.name == "sqlite":
        path = _path(folder(conn), sha)
        try:
            if path.is_symlink():
                return None, str(path)
            return path.read_bytes(), str(path)
        except OSError:
            return None, str(path)
    row = conn.execute(select(AB.c.content).where(AB.c.sha256 == sha)).first()
    where = f"attachment_blob {sha}"
    if row is None:
        return None, where
    try:
        return base64.b64decode(row[0], validate=True), where
    except ValueError:
        return b"", where


def attached(conn: Connection) -> list[dict]:
    """Every document row with a file: project code, kind, number, the file's hash, name and size, the
    event seq; in project and seq order."""
    q = (select(P.c.code, D.c.kind, D.c.number, D.c.file_sha256, D.c.file_name, D.c.file_size, D.c.event_seq)
         .join(P, P.c.id == D.c.project_id).where(D.c.file_sha256.is_not(None)).order_by(P.c.id, D.c.event_seq))
    return [dict(r) for r in conn.execute(q).mappings()]


def check(conn: Connection) -> list[dict]:
    """Every attached file read back against its hash and size: ``{"code", "seq", "problem", "field",
    "expected", "found"}`` per file missing or changed; empty when every file is intact."""
    out: list[dict] = []
    for row in attached(conn):
        data, where = load(conn, row["file_sha256"])
        base = {"code": row["code"], "seq": row["event_seq"], "field": "file"}
        fields = {"code": row["code"], "kind": row["kind"], "number": row["number"], "name": row["file_name"],
                  "where": where}
        if data is None:
            out.append({**base, "problem": Message("attach_file_missing", **fields), "expected": row["file_sha256"],
                        "found": None})
            continue
        found = hashlib.sha256(data).hexdigest()
        if found != row["file_sha256"] or len(data) != row["file_size"]:
            out.append({**base, "problem": Message("attach_file_changed", **fields), "expected": row["file_sha256"],
                        "found": found})
    return out


def export(engine: Engine, code: str, kind: str, number: str | None, output: Any) -> dict:
    """Write the file attached to ``code``'s document ``kind`` (``number``: which one, when the project
    has several files of that kind) to ``output``, a new file (exclusive create; an existing path or a
    symlink is refused, exit 2).  A stored file that no longer matches its hash is refused (exit 7)."""
    with engine.connect() as conn:
        proj = project_row(conn, code, P.c.code, P.c.workflow_name, P.c.workflow_version)
        code = proj["code"]
        kind = words.documents(get_definition(proj["workflow_name"], proj["workflow_version"])).parse(kind, "KIND")
        rows = [r for r in attached(conn) if r["code"] == code and r["kind"] == kind]
        if number is not None:
            rows = [r for r in rows if r["number"] == number]
        if not rows:
            raise NotFound("attach_none", code=code, kind=kind, number=number or "-")
        if len({r["number"] for r in rows}) > 1:
            numbers = sorted({r["number"] for r in rows})
            raise BadInput("attach_which_number", [{"numbers": numbers}], code=code, kind=kind, numbers=numbers)
        row = rows[-1]  # the latest file of that document number
        data, where = load(conn, row["file_sha256"])
    fields = {"code": code, "kind": kind, "number": row["number"], "name": row["file_name"], "where": where}
    if data is None:
        raise IntegrityFailure("attach_file_missing", **fields)
    if hashlib.sha256(data).hexdigest() != row["file_sha256"]:
        raise IntegrityFailure("attach_file_changed", **fields)
    target = str(output)
    if pathlib.Path(target).is_symlink():
        raise BadInput("output_is_symbolic_link", output=target)
    # as a county bundle is written (workflow/bundle.py): created exclusively, never through a symlink
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(target, flags, 0o644)
    except FileExistsError:
        raise BadInput("attach_output_exists", [{"file": target}], path=target) from None
    except OSError as exc:
        raise BadInput("output_cannot_create", output=target, strerror=os_reason(exc)) from None
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return {"code": code, "kind": kind, "number": row["number"], "file": row["file_name"],
            "sha256": row["file_sha256"], "size": row["file_size"], "output": target}
