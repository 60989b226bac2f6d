"""A county bundle: one SQLite file with the county's whole history, signed (docs/city.md, "The bundle").

Tables of the file (every value as the county stores it, dates as ``YYYY-MM-DD`` and times as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``, the forms history hashes)::

    bundle(key, value)    format, signed (the signed document, canonical JSON), signature, public_key
    event(...)            every event row as stored (its hashed fields) with its project's code, by id
    ledger(...)           every set-up ledger entry as stored, by seq
    directory(tbl, row)   the units, people, users, rules, targets and settings the reports and the
                          replay read (one canonical JSON object per row)

The signed document names the county, the as-of date, the checkpoint digest of the history at its
head (:func:`workflow.audit.checkpoint`), the counts, and the SHA-256 of the directory rows; the
signature is Ed25519 over its canonical bytes.  :func:`checked` rebuilds a scratch county database
from a bundle (reading the events where the bundle's file holds them), replays every project
(:func:`workflow.replay.replay_project`), recomputes every hash, link and the digest: the same checks on
export (a county cannot sign a broken history) and in the city.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
import re
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from itertools import chain, groupby
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import BigInteger, Date, create_mock_engine, event, func, insert, select
from sqlalchemy.exc import StatementError

from workflow import audit, clock, county
from workflow.catalogue import Message, json_value
from workflow.day_rules import DayRules
from workflow.db import SCHEMA_HEAD, make_engine
from workflow.encoding import canonical, event_bytes, format_utc
from workflow.errors import BadInput, IntegrityFailure, os_reason
from workflow.history_db import COPIED_TABLES
from workflow.recorders import recorder
from workflow.recorders.base import sql_names
from workflow.recorders.sqlite import stored_forms
from workflow.replay import DERIVED_COLUMNS, Definitions, replay_project
from workflow.rows import COLUMN_VALUES
from workflow.snapshot import snapshot_connection, wait_for_clean_prefix
from workflow.store import COLUMNS, insert_many
from workflow.tables import UTCDateTime, metadata
from workflow.tables import city_event as CE
from workflow.tables import event as E
from workflow.tables import ledger as L
from workflow.tables import project as P

FORMAT = "pipeline-county-bundle/1"
EVENT_COLUMNS = ("id", "project_id", "project_code", "seq", "kind", "trigger", "from_stage", "to_stage",
                 "effective_on", "recorded_at", "actor", "reason", "payload", "prev_hash", "hash")
LEDGER_COLUMNS = ("seq", "kind", "target", "payload", "reason", "actor", "recorded_at", "prev_hash", "hash",
                  "after_event")
_SCRATCH_EVENT = tuple(c for c in EVENT_COLUMNS if c != "project_code")  # the scratch copy's event columns
_SCRATCH_ROW = operator.itemgetter(*map(EVENT_COLUMNS.index, _SCRATCH_EVENT))  # a bundle's event as the copy holds it
_PROJECT, _PROJECT_SEQ = operator.itemgetter(1), operator.itemgetter(1, 3)  # of a bundle's event: its project (, seq)
_CHUNK = 2000  # events converted and inserted at a time (memory)
_COPY_CHUNK = 1 << 18  # bytes of a replica compressed or restored at a time (memory)
# The scratch copy's own indexes, for the look-ups of the state at a month's end the city's figures
# make (``workflow.reports.state``: a project's stage and last follow-up on a date, read from the
# index alone): the figures of 32 month-ends read them for every project.  The first is of the copy's
# events, made where they are (:func:`_events_file`).
_EVENTS_INDEX = "CREATE INDEX scratch_event_stage ON event (project_id, seq, to_stage, effective_on)"
_SCRATCH_INDEXES = ("CREATE INDEX scratch_followup_on ON followup (project_id, effective_on)",)
# The side tables whose replayed rows the scratch copy leaves out: no check over the copy and no
# monthly figure of the city reads them (``tests/test_city.py`` shows the figures' statements name
# none of them).  The replay checks their events as every other's, but does not gather their rows
# (``replay_project``'s ``leave_out``: some 6,000 dicts of a county of 1,000 projects); writing them
# cost some 15 to 25 ms a county.  What a copy holds changes with this: raise REPLICA_FORMAT with it.
_UNREAD = frozenset({"document", "screening_check"})
# the schema name the scratch copy's events are attached under, and their file (:func:`scratch_engine`)
_EVENTS, _EVENTS_FILE = "bundle_events", "events.db"
_SCRATCH_PAGE = 8192  # the scratch copy's page size, in bytes (:func:`_scratch`)
_DDL = (
    "CREATE TABLE bundle (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE event (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL, project_code TEXT NOT NULL, "
    "seq INTEGER NOT NULL, kind TEXT NOT NULL, \"trigger\" TEXT, from_stage TEXT, to_stage TEXT, "
    "effective_on TEXT NOT NULL, recorded_at TEXT NOT NULL, actor TEXT NOT NULL, reason TEXT, "
    "payload TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE TABLE ledger (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, target TEXT NOT NULL, payload TEXT NOT NULL, "
    "reason TEXT, actor TEXT NOT NULL, recorded_at TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, "
    "after_event INTEGER)",
    "CREATE TABLE directory (tbl TEXT NOT NULL, row TEXT NOT NULL)",
)


def _text(value: Any) -> Any:
    """A stored value in the bundle's form (the form history hashes)."""
    if isinstance(value, datetime):
        return format_utc(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass
class Bundle:
    """A bundle's content as read from its file (rows in the bundle's text forms)."""

    signed: dict
    signed_text: str
    signature: str
    public_key: str
    events: list[tuple] = field(default_factory=list)  # EVENT_COLUMNS, by id
    ledger: list[tuple] = field(default_factory=list)  # LEDGER_COLUMNS, by seq
    directory: list[tuple[str, str]] = field(default_factory=list)
    sha256: str = ""  # of the file's bytes the content was read from ("" for a bundle built in memory)
    path: str | None = None  # the file (None for a bundle built in memory)
    image: bytes | None = None  # the file's bytes, for a bundle read without its events (:func:`read`)
    stored: int = 0  # the events in the file

    @property
    def county(self) -> str:
        return str(self.signed["county"]["code"])

    @property
    def name(self) -> str:
        return str(self.signed["county"]["name"])

    @property
    def digest(self) -> str:
        return str(self.signed["digest"])

    @property
    def as_of(self) -> date:
        return date.fromisoformat(self.signed["as_of"])


def directory_digest(rows: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for tbl, row in sorted(rows):
        h.update(tbl.encode("utf-8") + b"\n" + row.encode("utf-8") + b"\n")
    return h.hexdigest()


def signed_bytes(doc: dict) -> bytes:
    return bytes(canonical(doc))


# --- export ------------------------------------------------------------------------------------------


def _read_county(engine: Any) -> tuple[list[tuple], list[tuple], list[tuple[str, str]]]:
    """Events, ledger entries and directory rows, from one snapshot of the county's database."""
    with snapshot_connection(engine) as conn:
        wait_for_clean_prefix(conn)
        codes = dict(conn.execute(select(P.c.id, P.c.code)).all())
        events = []
        for r in conn.execute(select(E).order_by(E.c.id)).mappings():
            events.append(tuple(_text(codes.get(r["project_id"], "")) if c == "project_code" else _text(r[c])
                                for c in EVENT_COLUMNS))
        ledger = [tuple(_text(r[c]) for c in LEDGER_COLUMNS)
                  for r in conn.execute(select(L).order_by(L.c.seq)).mappings()]
        directory = []
        for name in COPIED_TABLES:
            for r in conn.execute(select(metadata.tables[name])).mappings():
                row = {k: _text(v) for k, v in r.items()}
                directory.append((name, canonical(row).decode("utf-8")))
        conn.rollback()
    return events, ledger, directory


def _write_file(path: Path, events: list[tuple], ledger: list[tuple], directory: list[tuple[str, str]],
                meta: dict[str, str]) -> None:
    db = sqlite3.connect(path)
    try:
        for ddl in _DDL:
            db.execute(ddl)
        db.executemany(f"INSERT INTO event VALUES ({', '.join('?' * len(EVENT_COLUMNS))})", events)
        db.executemany(f"INSERT INTO ledger VALUES ({', '.join('?' * len(LEDGER_COLUMNS))})", ledger)
        db.executemany("INSERT INTO directory VALUES (?, ?)", directory)
        db.executemany("INSERT INTO bundle VALUES (?, ?)", sorted(meta.items()))
        db.commit()
    finally:
        db.close()


def _place(tmp: Path, output: Path, force: bool) -> None:
    """Copy the finished file to ``output``, created exclusively and never through a symlink."""
    if output.is_symlink():
        raise BadInput("output_is_symbolic_link", output=output)
    if output.is_dir() or not output.name:  # "" is read as ".": a folder too, even with --force
        raise BadInput("bundle_output_is_folder", output=output)
    if output.exists():
        if not force:
            raise BadInput("output_exists_give_force", [{"file": str(output)}], output=output)
        if not output.is_file():
            raise BadInput("output_is_not_file", output=output)
        output.unlink()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(output, flags, 0o644)
    except OSError as exc:
        raise BadInput("output_cannot_create", output=output, strerror=os_reason(exc)) from None
    with os.fdopen(fd, "wb") as dst, open(tmp, "rb") as src:
        while chunk := src.read(1 << 20):
            dst.write(chunk)


def export(engine: Any, output: str | Path, *, actor: str, as_of: date | None = None, key_file: Any = None,
           force: bool = False) -> dict:
    """Write the county's bundle to ``output``; returns the signed document, the file and the public key.
    Refuses a history that fails its checks (IntegrityFailure): what the county signs is what the city
    will verify."""
    output = Path(output)
    if output.is_symlink() or output.is_dir() or not output.name or (output.exists() and not force):
        _place(Path(os.devnull), output, force)  # raises the refusal, before any work
    ident = county.identity(engine)
    county.load_key(key_file)  # no key: refuse before reading the history
    as_of = as_of or clock.today()
    if as_of > clock.today():
        raise BadInput("as_of_lies_in_future", as_of=as_of)
    events, ledger, directory = _read_county(engine)
    doc = {"format": FORMAT, "county": ident, "as_of": as_of.isoformat(),
           "exported_at": _text(clock.utcnow()), "digest": "",
           "counts": {"events": len(events), "projects": len({e[1] for e in events}), "ledger": len(ledger)},
           "directory": directory_digest(directory)}
    staged = Bundle(doc, "", "", "", events, ledger, directory)
    with checked(staged, actor=actor) as result:
        doc["digest"] = result.digest
    text = signed_bytes(doc)
    signature, public = county.sign(text, key_file)
    with tempfile.TemporaryDirectory(prefix="pipeline-bundle-") as tmpdir:
        tmp = Path(tmpdir) / "bundle.db"
        _write_file(tmp, events, ledger, directory,
                    {"format": FORMAT, "signed": text.decode("utf-8"), "signature": signature, "public_key": public})
        _place(tmp, output, force)
    return {"file": str(output), **doc, "signature": signature, "public_key": public}


# --- reading -----------------------------------------------------------------------------------------


def read(path: str | Path, *, events: bool = True) -> Bundle:
    """A bundle from its file; BadInput (exit 2) for anything that is not a well-formed bundle.  The
    content is parsed from the very bytes hashed (``sha256``).  Without ``events`` the events are
    not read as rows (``stored`` of them) and the bytes are kept as ``image``: for storing a bundle
    already checked (:func:`insert_events`) without holding every event as a row (memory)."""
    db, sha, data = _deserialized(path)
    if events:
        del data  # one copy of the file in memory while its events are read as rows (memory)
    try:
        b = _contents(db, path, sha, events=events)
        b.stored = len(b.events) if events else int(db.execute("SELECT count(*) FROM event").fetchone()[0])
    except sqlite3.Error as exc:
        raise _not_bundle(path, exc) from None
    finally:
        db.close()
    b.path = str(path)
    if not events:
        b.image = data
    return b


def insert_events(conn: Any, table: Any, b: Bundle, columns: tuple[str, ...], *, after: int = 0,
                  const: dict[str, Any] | None = None) -> int:
    """Insert into ``table`` the events of bundle ``b`` as its file holds them, by id, leaving out the
    first ``after``: their ``columns`` (``EVENT_COLUMNS`` named as in ``table``), with ``const``'s
    values in the columns it names; returns how many.  The file's bytes are ``b``'s ``image`` (taken:
    it is None afterwards: the bytes :func:`read` hashed), or are read again and copied only if their
    SHA-256 is ``b``'s (else IntegrityFailure, exit 7: the file changed since it was read and checked).  The
    engine's recorder's way (:meth:`workflow.recorders.Recorder.insert_from_image`): on SQLite, one
    ``INSERT … SELECT`` from the bytes attached as a database; elsewhere a chunk of rows at a time,
    typed by :func:`typed_rows`."""

    return recorder(conn).insert_from_image(conn, table, lambda: _bytes_read(b), "event", columns,
                                            lambda rows: typed_rows(table, rows, columns),
                                            order="id", after=after, const=const)


def _bytes_read(b: Bundle) -> bytes:
    """The bytes of ``b``'s file :func:`read` hashed: its ``image`` (taken: handed over once, no
    reference kept, freed once used: memory), or the file read again and used only if their SHA-256
    is still ``b``'s (else IntegrityFailure, exit 7: the file changed since it was read and checked)."""
    data, b.image = b.image, None
    if data is None:
        data = _bundle_file(b.path or "").read_bytes()
        if hashlib.sha256(data).hexdigest() != b.sha256:
            raise IntegrityFailure("cityload_file_changed", [{"county": b.county}], county=b.county, path=b.path)
    return data


_QUOTED_EVENT_COLUMNS = sql_names(EVENT_COLUMNS)


def _bundle_file(path: str | Path) -> Path:
    """``path`` as a file to read a bundle from; BadInput when there is none, or it is a folder."""
    p = Path(path)
    if p.is_dir():
        raise BadInput("bundle_file_is_folder", path=path)
    if not p.is_file():
        raise BadInput("bundle_file_not_regular" if p.exists() else "no_such_bundle_file", path=path)
    return p


def _deserialized(path: str | Path) -> tuple[sqlite3.Connection, str, bytes]:
    """The bundle file's bytes as an SQLite database in memory, their SHA-256, and the bytes: the
    content is parsed from the very bytes hashed, never from a second read of the file."""
    p = _bundle_file(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise BadInput("not_county_bundle", path=path, exc=os_reason(exc)) from None
    if not data:
        raise BadInput("bundle_file_is_empty", path=path)
    sha = hashlib.sha256(data).hexdigest()
    db = sqlite3.connect(":memory:")
    try:
        db.deserialize(data)
    except sqlite3.Error as exc:
        db.close()
        raise _not_bundle(path, exc) from None
    return db, sha, data


# The columns of each table of the format (``_DDL``), as the reading selects them.
TABLE_COLUMNS = {"bundle": ("key", "value"), "event": EVENT_COLUMNS, "ledger": LEDGER_COLUMNS,
                 "directory": ("tbl", "row")}


def _has_columns(db: sqlite3.Connection, path: str | Path, tables: tuple[str, ...] = tuple(TABLE_COLUMNS)) -> None:
    """Refuse (BadInput) a file lacking one of ``tables`` of the format, or a column of one: checked
    before any row is read, for SQLite reads a double-quoted name of no column as a string (an event
    of kind 'kind').  Each must be a plain table of stored values: a view, a virtual table or a
    computed column could give other rows each time it is read (``random()``, ``total_changes()``),
    and the checks, the figures and the city each read the file's rows (docs/city.md, "The bundle")."""
    for table in tables:
        columns = db.execute(f"PRAGMA table_xinfo({table})").fetchall()
        if not columns:
            raise BadInput("not_county_bundle", path=path, exc=Message("bundle_table_missing", table=table))
        made = db.execute("SELECT type, sql FROM sqlite_master WHERE name = ? COLLATE NOCASE", (table,)).fetchone()
        if made is None or made[0] != "table" or not _PLAIN_TABLE.match(str(made[1])):
            raise BadInput("not_county_bundle", path=path, exc=Message("bundle_table_not_plain", table=table))
        computed = [str(c[1]) for c in columns if c[6] and str(c[1]).lower() in TABLE_COLUMNS[table]]  # generated
        if computed:
            raise BadInput("not_county_bundle", path=path,
                           exc=Message("bundle_columns_computed", table=table, columns=computed))
        held = {str(c[1]).lower() for c in columns}
        lacking = [c for c in TABLE_COLUMNS[table] if c not in held]
        if lacking:
            raise BadInput("not_county_bundle", path=path,
                           exc=Message("bundle_table_lacks_columns", table=table, columns=lacking))


_PLAIN_TABLE = re.compile(r"\s*CREATE\s+TABLE\b", re.IGNORECASE)  # not CREATE VIRTUAL TABLE


_NO_SUCH_TABLE = re.compile(r"no such table: (?:main\.)?(\w+)")


def _not_bundle(path: str | Path, exc: sqlite3.Error) -> BadInput:
    """The refusal of a file SQLite cannot read as a bundle (``not_county_bundle``): SQLite's own words
    for a file that is no database, a damaged one, or a missing table said in the run's language; any
    other error of SQLite as it says it."""
    said = str(exc)
    if said.startswith("file is not a database"):
        return BadInput("not_county_bundle", path=path, exc=Message("bundle_sqlite_not_database"))
    if said.startswith("database disk image is malformed"):
        return BadInput("not_county_bundle", path=path, exc=Message("bundle_sqlite_malformed"))
    if found := _NO_SUCH_TABLE.fullmatch(said):
        return BadInput("not_county_bundle", path=path, exc=Message("bundle_table_missing", table=found[1]))
    return BadInput("not_county_bundle", path=path, exc=exc)


def _contents(db: sqlite3.Connection, path: str | Path, sha: str, *, events: bool) -> Bundle:
    try:
        _has_columns(db, path)
        meta = dict(db.execute("SELECT key, value FROM bundle").fetchall())
        rows = db.execute(f"SELECT {_QUOTED_EVENT_COLUMNS} FROM event ORDER BY id").fetchall() if events else []
        ledger = db.execute(f"SELECT {', '.join(LEDGER_COLUMNS)} FROM ledger ORDER BY seq").fetchall()
        directory = db.execute("SELECT tbl, row FROM directory").fetchall()
    except sqlite3.Error as exc:
        raise _not_bundle(path, exc) from None
    head = _head(path, meta)
    head.events, head.ledger = rows, ledger  # sqlite3's rows are tuples (no row factory is set)
    _well_formed(path, head, [tuple(r) for r in directory])
    head.directory, head.sha256 = [(str(t), str(r)) for t, r in directory], sha
    return head


def _column_kinds(table: Any, columns: tuple[str, ...]) -> list[tuple[str, type, bool, Any, int | None]]:
    """(name, Python type, nullable, checker of its text form or None, longest text or largest
    integer or None) of ``columns`` of ``table`` (the city's ``city_event``, or the set-up ledger), as
    the bundle holds them: dates and times as text in the hashed forms, text no longer and integers
    no larger than the column holds (the county's own tables hold none, and a PostgreSQL city's could
    not store it)."""
    out: list[tuple[str, type, bool, Any, int | None]] = []
    for name in columns:
        c = table.c[name]
        if isinstance(c.type, UTCDateTime):
            out.append((name, str, bool(c.nullable), _wrong_times, None))
        elif isinstance(c.type, Date):
            out.append((name, str, bool(c.nullable), _wrong_days, None))
        elif c.type.python_type is int:
            largest = 2 ** 63 - 1 if isinstance(c.type, BigInteger) else 2 ** 31 - 1
            out.append((name, int, bool(c.nullable), None, largest))
        else:
            out.append((name, str, bool(c.nullable), None, getattr(c.type, "length", None)))
    return out


def _present(column: tuple, nullable: bool) -> Sequence[Any]:
    """The values of a column of one type (the types checked) but its NULLs."""
    return [v for v in column if v is not None] if nullable else column


def _wrong_days(values: set[str]) -> set[str]:
    """The values that are not a date in its hashed form (``YYYY-MM-DD``)."""
    wrong = set()
    for v in values:
        try:
            if _day(v).isoformat() != v:
                wrong.add(v)
        except ValueError:
            wrong.add(v)
    return wrong


_TIME_FORM = re.compile(r"\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{6}Z", re.ASCII)  # 0-9 alone


def _wrong_times(values: set[str]) -> set[str]:
    """The values that are not a UTC time in its hashed form (``YYYY-MM-DDTHH:MM:SS.ffffffZ``): the
    form by pattern, each distinct day by :func:`_wrong_days` (a history's times are many, its days few)."""
    form = _TIME_FORM.fullmatch
    wrong = {v for v in values if not form(v)}
    days = _wrong_days({v[:10] for v in values if v not in wrong})  # each day a value of the form has
    return wrong | {v for v in values if v[:10] in days} if days else wrong


def _first_malformed(rows: list[tuple], kinds: list[tuple[str, type, bool, Any, int | None]]
                     ) -> tuple[int, Message] | None:
    """(row index, problem) of the first row of ``rows`` whose values are not of the table's types
    (:func:`_column_kinds`), or whose first column (the id, or the ledger's seq) does not rise; None
    when every row is well formed.  A column at a time: the distinct types, then the distinct texts."""
    if not rows:
        return None
    bad: list[tuple[int, Message]] = []
    columns = list(zip(*rows, strict=True))  # rows are as long (SQL's): a tuple of each column's values
    for (name, kind, nullable, parse, longest), column in zip(kinds, columns, strict=True):
        allowed = {kind, type(None)} if nullable else {kind}
        if not set(map(type, column)) <= allowed or (not nullable and kind is str and "" in column):
            i = next(i for i, v in enumerate(column) if type(v) not in allowed or (v == "" and not nullable))
            bad.append((i, Message("bundle_value_wrong_type", column=name, value=_quoted(column[i]))))
        elif kind is int and longest and not (-longest - 1 <= min(present := _present(column, nullable), default=0)
                                              and max(present, default=0) <= longest):
            i = next(i for i, v in enumerate(column) if v is not None and not -longest - 1 <= v <= longest)
            bad.append((i, Message("bundle_value_beyond_integers", column=name, value=column[i],
                                        bits=longest.bit_length() + 1)))
        elif kind is str and longest is not None and max(map(len, filter(None, column) if nullable else column),
                                                         default=0) > longest:
            i = next(i for i, v in enumerate(column) if v is not None and len(v) > longest)
            bad.append((i, Message("bundle_value_too_long", column=name, value=_quoted(column[i]), longest=longest)))
        elif parse is not None and (wrong := parse(set(column) - {None})):
            i = next(i for i, v in enumerate(column) if v in wrong)
            bad.append((i, Message("bundle_value_not_in_form", column=name, value=_quoted(column[i]))))
    if not bad and columns[0] and type(columns[0][0]) is int:
        ids = columns[0]
        if not all(map(operator.lt, ids, ids[1:])):  # rows come by id: a repeated id is the next one's
            i = next(i for i in range(1, len(ids)) if ids[i] <= ids[i - 1])
            bad.append((i, Message("bundle_value_repeated", column=kinds[0][0], value=ids[i])))
    return min(bad, key=operator.itemgetter(0)) if bad else None  # a row's first bad column, in order


def _well_formed(path: str | Path, b: Bundle, directory: list[tuple]) -> None:
    """Refuse (BadInput, naming the county and the first malformed row) a bundle whose rows are not of
    the types its format gives (docs/city.md, "The bundle"): every event and ledger column of its
    table's type, nullable only where the county's table is, dates and times in the hashed forms,
    ids and ledger seqs unique; every directory row a JSON object of one of the directory's tables.
    A signed bundle is a county's word, not its county's database: nothing downstream may meet a
    value its checks cannot compare."""
    found = _first_malformed(b.events, _column_kinds(CE, EVENT_COLUMNS))
    if found is not None:
        e = b.events[found[0]]
        raise BadInput("bundle_row_malformed", path=path, county=b.county,
                       what=Message("bundle_malformed_event", code=_quoted(e[2], str), seq=_quoted(e[3], str),
                                    id=_quoted(e[0])),
                       problem=found[1])
    found = _first_malformed(b.ledger, _column_kinds(L, LEDGER_COLUMNS))
    if found is not None:
        raise BadInput("bundle_row_malformed", path=path, county=b.county,
                       what=Message("bundle_malformed_ledger_entry", seq=_quoted(b.ledger[found[0]][0])),
                       problem=found[1])
    for tbl, row in directory:
        problem: Message | None = None
        if tbl not in COPIED_TABLES:
            problem = Message("bundle_directory_table_unknown", table=_quoted(tbl), tables=list(COPIED_TABLES))
        else:
            try:
                value = json.loads(row) if isinstance(row, str) else None
            except ValueError:
                value = None
            if not isinstance(value, dict):
                problem = Message("bundle_directory_row_not_object")
            elif not set(value) <= set(metadata.tables[tbl].c.keys()):
                problem = Message("bundle_directory_no_such_columns",
                                  columns=str(sorted(set(value) - set(metadata.tables[tbl].c.keys()))))
        if problem is not None:
            raise BadInput("bundle_row_malformed", path=path, county=b.county,
                           what=Message("bundle_malformed_directory_row", row=_quoted(row)), problem=problem)


def _quoted(value: Any, form: Any = repr, limit: int = 40) -> str:
    """A value of a bundle as a refusal quotes it: at most ``limit`` characters (a county may send
    anything, of any length)."""
    text = form(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _head(path: str | Path, meta: dict) -> Bundle:
    """The signed document of a bundle from its ``bundle`` table's rows, without its content.  Every
    value of the table is text (a county writes no other): nothing downstream meets bytes."""
    if any(type(v) is not str for k, v in meta.items() if k in ("format", "signed", "signature", "public_key")):
        raise BadInput("bundle_signed_document_is", path=path)
    if meta.get("format") != FORMAT:
        found = meta.get("format")
        raise BadInput("not_county_bundle_of", path=path, format=FORMAT,
                       meta=found if found is None else _quoted(found, str, 80))
    try:
        signed = json.loads(meta["signed"])
        assert isinstance(signed, dict) and signed.get("format") == FORMAT
        signed_bytes(signed)  # what the signature covers: canonical JSON of it can be written
        identity = (signed["county"]["code"], signed["county"]["name"])
        assert county.checked_identity(*identity) == identity  # as `county set` records one
        assert clock.FIRST_DAY <= date.fromisoformat(signed["as_of"]) <= clock.LAST_DAY
        assert isinstance(signed["digest"], str) and isinstance(signed["counts"], dict)
        assert re.fullmatch("[0-9a-f]{64}", signed["digest"])  # a checkpoint digest: the history it signs
        signature, public = meta["signature"], meta["public_key"]
        county.parse_public_key(public)  # a key (the city quotes it when it does not trust it)
    except (KeyError, TypeError, ValueError, AssertionError, RecursionError, BadInput):
        # RecursionError: JSON nested too deep to read; ValueError: also a number canonical JSON
        # cannot hold; BadInput: a county code or name `county set` would refuse
        raise BadInput("bundle_signed_document_is", path=path) from None
    head = Bundle(signed, meta["signed"], signature, public)
    # as the export refuses it: no county reports as of a day to come (a day's grace: a county's today
    # may be the city's tomorrow, in a time zone ahead of the city's)
    if head.as_of > clock.today() + timedelta(days=1):
        raise BadInput("bundle_as_of_in_future", path=path, county=head.county, as_of=head.as_of,
                       today=clock.today())
    return head


def read_head(path: str | Path) -> Bundle:
    """A bundle's signed document, signature and key alone (no events: cheap); BadInput as :func:`read`.
    For deciding where a bundle is checked; nothing is kept on the strength of it."""
    p = _bundle_file(path)
    try:
        db = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _not_bundle(path, exc) from None
    try:
        _has_columns(db, path, ("bundle",))
        meta = dict(db.execute("SELECT key, value FROM bundle").fetchall())
    except sqlite3.Error as exc:
        raise _not_bundle(path, exc) from None
    finally:
        db.close()
    return _head(path, meta)



# --- checks ------------------------------------------------------------------------------------------


def _refuse(b: Bundle, text: Message | str, details: list[dict] | None = None) -> IntegrityFailure:
    """The refusal of ``b`` saying why (a `Message`: rendered in the run's language)."""
    return IntegrityFailure("county_bundle_refused_nothing", details, county=b.county, text=text)


def not_extending(b: Bundle, extends: tuple[str, int]) -> IntegrityFailure:
    """The refusal of a bundle whose history does not pass through the held bundle's digest after its
    events (``checked``'s ``extends``), though its events do (the city's prefix check): its set-up
    ledger is not the held bundle's."""
    return _refuse(b, Message("bundle_not_extending", events=extends[1], digest=extends[0]))


def _bad_event(b: Bundle, code: Any, seq: Any, problem: Message | str,
               details: list[dict] | None = None) -> IntegrityFailure:
    """The refusal naming the first bad event (or the first problem of ``code`` where no event is
    named) and what is wrong with it (a replay's problem: a `Message`, rendered in the run's language)."""
    if seq is not None:
        return _refuse(b, Message("bundle_first_bad_event", code=code, seq=seq, problem=problem), details)
    return _refuse(b, Message("bundle_first_problem_in", code=code, problem=problem), details)


@lru_cache(maxsize=8192)
def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@lru_cache(maxsize=8192)
def _day(text: str) -> date:
    return date.fromisoformat(text)


@cache
def _converters(table: Any) -> tuple[tuple[str, Any], ...]:
    """(column, parser) of ``table``'s date and time columns."""
    return tuple((c.name, _utc if isinstance(c.type, UTCDateTime) else _day) for c in table.columns
                 if isinstance(c.type, UTCDateTime | Date))


def _typed_row(table: Any, row: dict) -> dict:
    """A row in the bundle's text forms with its dates and times as Python values (for the scratch
    database's typed columns).  The parsers are cached: a history repeats its dates and batch times."""
    out = dict(row)
    for k, parse in _converters(table):
        v = out.get(k)
        if isinstance(v, str):
            out[k] = parse(v)
    return out


def _parsed(parse: Any, values: tuple) -> list:
    """``values`` (a column of text dates or times) parsed; anything that is not text is left as it is."""
    try:
        return list(map(parse, values))
    except (TypeError, ValueError, AttributeError):  # a value that is not well-formed text: one at a time
        return [parse(v) if isinstance(v, str) else v for v in values]


def typed_events(table: Any, events: list[tuple], keys: tuple[str, ...]) -> list[tuple]:
    """The bundle's event rows (``EVENT_COLUMNS``) as tuples of the columns ``keys`` of ``table``, its
    dates and times as Python values (:func:`typed_rows`: for :func:`workflow.store.insert_many` with
    ``keys``)."""
    if not events:
        return []
    columns = list(zip(*events, strict=True))
    return typed_rows(table, list(zip(*(columns[EVENT_COLUMNS.index(k)] for k in keys), strict=True)), keys)


def typed_rows(table: Any, rows: Sequence[tuple], columns: tuple[str, ...]) -> list[tuple]:
    """Rows of ``columns`` of ``table`` in the bundle's text forms with their dates and times as Python
    values (:func:`_typed_row`, a column at a time)."""
    if not rows:
        return []
    parsers = dict(_converters(table))
    values = [column if (parse := parsers.get(k)) is None else _parsed(parse, column)
              for k, column in zip(columns, zip(*rows, strict=True), strict=True)]
    return list(zip(*values, strict=True))


def scratch_engine(path: str | Path, events: Path) -> Any:
    """An engine on the scratch SQLite file ``path`` (:func:`_scratch`), its rollback journal in memory:
    the copy is removed after the checks and nothing in it need survive a crash, and a write-ahead log
    would write each page twice (into the log, then into the file at the commit's checkpoint).

    Its events are the bundle's, where the file ``events`` (of the bundle's format:
    :func:`_events_file`) holds them: each connection attaches it and reads the county's ``event``
    table from it, as a temporary view of the table's columns in their stored forms
    (``workflow.recorders.sqlite.stored_forms``), which the connection finds before the copy's own
    table (SQLite looks a name up in the temporary schema first).  That table stays empty: the events
    are neither copied into the copy nor deleted from it before it is kept (:meth:`Checked.write_replica`).
    A check takes this process's engine instead (:class:`_ScratchEngine`), made the same way."""
    return _scratch_engine(f"sqlite:///{path}", lambda: Path(events))


def _scratch_engine(url: str, events: Callable[[], Path], opens: Callable[[], str] | None = None) -> Any:
    """:func:`scratch_engine`'s engine: on ``url``'s file (or the one ``opens`` gives when a
    connection is made), the events' file ``events()`` attached to each connection."""
    engine = make_engine(url, journal="MEMORY", opens=opens)
    forms = stored_forms(engine.dialect, E, _SCRATCH_EVENT)
    assert forms is not None  # the scratch copy is SQLite's, whose stored forms SQL gives
    view = f"CREATE TEMP VIEW event AS SELECT {', '.join(forms)} FROM {_EVENTS}.event"

    def attach(dbapi_connection: Any, _record: Any) -> None:
        _scratch(dbapi_connection, _record)
        dbapi_connection.execute(f"ATTACH DATABASE ? AS {_EVENTS}", (str(events()),))
        dbapi_connection.execute(view)

    event.listen(engine, "connect", attach)
    return engine


class _ScratchEngine:
    """This process's one engine over the scratch copies of its checks, each check's files in turn
    (:meth:`take`; its connections open the files of the check that holds it).  SQLAlchemy keeps the
    statements it has compiled per engine (an engine's dialect is part of its compiled cache's key):
    with a new engine each check, every statement of the checks and of the figures was compiled again
    for every county (docs/city.md, "The load path").  Between two checks its connections are closed
    (``dispose``: one returned late goes back to the pool it came from, never to the next check's); a
    check made while another holds the engine (a check within a check, or in another thread) gets an
    engine of its own."""

    def __init__(self) -> None:
        self.files: tuple[Path, Path] | None = None  # the scratch copy and events' file of the check holding it
        self.engine: Any = None
        self.lock = threading.Lock()  # checks in two threads: one takes it, the other gets its own

    def take(self, path: Path, events: Path) -> Any:
        with self.lock:
            if self.files is not None:
                return scratch_engine(path, events)
            if self.engine is None:
                self.engine = _scratch_engine(f"sqlite:///{path.name}", lambda: self._held()[1],
                                              opens=lambda: str(self._held()[0]))
            self.engine.dispose()
            self.files = (path, events)
            return self.engine

    def give_back(self, engine: Any) -> None:
        engine.dispose()
        if engine is self.engine:
            with self.lock:
                self.files = None

    def _held(self) -> tuple[Path, Path]:
        if self.files is None:
            raise RuntimeError("a scratch copy's engine used after its check")
        return self.files


_SCRATCH_ENGINE = _ScratchEngine()


def _events_file(b: Bundle, path: Path) -> None:
    """Write ``b``'s events to ``path`` for a scratch copy to read them from (:func:`scratch_engine`),
    with the copy's own index of them (``_EVENTS_INDEX``), which the look-ups by project the checks
    and figures make read (the county's other indexes of its events serve look-ups they do not make:
    by actor, or by date alone, which the figures read in one pass).
    Read from its file, the bundle is the very bytes its rows were read from (:func:`_bytes_read`);
    else (a county's history being exported) a file of the bundle's format is written of its rows.
    No unique index of a project's seqs: a bundle that repeats one is refused by the checks, naming
    the event (:func:`workflow.chains.check_event`), not by SQLite."""
    if b.path is not None:
        path.write_bytes(_bytes_read(b))
    else:
        _write_file(path, b.events, [], [], {})
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode = MEMORY")  # a throwaway file, as the copy's own
        db.execute("PRAGMA synchronous = OFF")
        db.execute(_EVENTS_INDEX)
    finally:
        db.close()


@cache
def _schema() -> tuple[str, ...]:
    """The statements ``metadata.create_all`` runs on an empty SQLite database, compiled once from the
    metadata (SQLAlchemy's mock engine, as its FAQ gives the DDL as text): a scratch copy is made of
    them without create_all looking each table up first (``tests/test_city.py`` shows the schema is
    the one create_all makes).  Each index is made in the copy's own schema, ``main`` (its connections
    find ``event`` among the bundle's events first: :func:`scratch_engine`); SQLite keeps the
    statement without the schema's name."""
    made: list[str] = []

    def keep(ddl: Any, *_multiparams: Any, **_params: Any) -> None:
        text = str(ddl.compile(dialect=mock.dialect)).strip()
        made.append(f"CREATE INDEX main.{text[13:]}" if text.startswith("CREATE INDEX ") else text)

    mock = create_mock_engine("sqlite://", keep)
    metadata.create_all(mock, checkfirst=False)
    return tuple(made)


def _scratch(dbapi_connection: Any, _record: Any) -> None:
    """The scratch copy is removed after the checks: no write of it need reach the disk (run after the
    engine's own connect settings, :mod:`workflow.db`).  Its pages are of 8 KiB (SQLite's default is
    4 KiB): a county's copy of some 7 MB is filled, read and compressed faster in fewer, larger pages
    (16 KiB is a little faster still, but a load of many counties then takes more memory than its
    200 MiB, docs/performance.md).
    The size is taken when the copy's first table is made; on a copy restored from a replica (or a
    second connection) the pragma changes nothing."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")
    dbapi_connection.execute(f"PRAGMA page_size={_SCRATCH_PAGE}")


@dataclass
class Checked:
    """What the checks of a bundle found: its digest, and the scratch county database (an engine)."""

    digest: str
    engine: Any
    projects: int  # the replayed projects
    replayed: int  # the projects replayed now (all of them, unless the checks began from a replica)
    path: Path  # the scratch database's file
    events: Sequence[tuple]  # the events the copy holds (the bundle's, ``EVENT_COLUMNS`` rows)
    extends_at: int | None = None  # after how many events the history gave the held digest (``checked``)

    def write_replica(self, out: BinaryIO) -> str:
        """Write the scratch database to ``out`` zlib-compressed (a :class:`Replica` a later
        :func:`checked` may begin from), a chunk at a time from its file once every connection is
        closed (the engine is disposed: use it no more); returns the SHA-256 of what was written.
        The copy holds every row but the events', which it reads from the bundle's file
        (:func:`scratch_engine`): the city holds them, and a newer bundle brings them again; of them it
        keeps their number and the digest of their ids, projects and hashes (``replica_events``,
        :func:`_events_digest`).  Some 0.02 s and 0.4 MB for 1 000 projects."""
        self.engine.dispose()
        db = sqlite3.connect(self.path, isolation_level=None)
        try:
            for pragma in ("journal_mode = MEMORY", "synchronous = OFF"):
                db.execute(f"PRAGMA {pragma}")  # a throwaway file, as the checks' own connections take it
            db.execute("BEGIN")
            db.execute("CREATE TABLE replica_events (events INTEGER NOT NULL, digest TEXT NOT NULL)")
            db.execute("INSERT INTO replica_events VALUES (?, ?)", (len(self.events), _events_digest(self.events)))
            db.execute("COMMIT")
            # every page in the file itself, none left in a write-ahead log
            whole = db.serialize() if db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] else None
        finally:
            db.close()
        packer, digest = zlib.compressobj(1), hashlib.sha256()

        def put(piece: bytes) -> None:
            digest.update(piece)
            out.write(piece)

        if whole is not None:  # the log could not be folded in (busy): the database as SQLite reads it
            put(packer.compress(whole))
        else:
            with open(self.path, "rb") as f:
                while chunk := f.read(_COPY_CHUNK):
                    put(packer.compress(chunk))
        put(packer.flush())
        return digest.hexdigest()


def _events_digest(events: Sequence[tuple]) -> str:
    """The SHA-256 of the ids, project ids and hashes of ``events`` (``EVENT_COLUMNS`` rows), in order:
    what a replica keeps of the events it was made of (:meth:`Checked.write_replica`)."""
    digest = hashlib.sha256()
    for k in range(0, len(events), _CHUNK):  # a chunk at a time (memory: at the worker's peak)
        digest.update("".join([f"{e[0]},{e[1]},{e[14]};" for e in events[k:k + _CHUNK]]).encode("utf-8"))
    return digest.hexdigest()


# What a replica was made by: the schema, and the format of its content, raised whenever a version of
# the program rebuilds a scratch copy's rows otherwise (the replay, the side tables, the indexes).  A
# replica made by another is not used: its county's next bundle is replayed whole (docs/city.md).
# 2: without the event rows (their digest in ``replica_events``); 3: never held them; 4: nor ``_UNREAD``'s
REPLICA_FORMAT = 4
REPLICA_MADE_BY = f"{SCHEMA_HEAD}/{REPLICA_FORMAT}"


@dataclass
class Replica:
    """A scratch database an earlier :func:`checked` made of a prefix of the same county's history
    (:meth:`Checked.write_replica`): its first ``events`` events (by id) are the bundle's, as
    the caller found by their chain heads (``workflow.city``, the prefix check).  A replica whose
    events are not the bundle's first ones is never used: the checks then rebuild the county from the
    bundle alone."""

    content: bytes
    events: int

    def restore(self, path: Path) -> bool:
        """Write the database to ``path`` a chunk at a time; False when ``content`` is not whole."""
        unpacker = zlib.decompressobj()
        view = memoryview(self.content)
        try:
            with open(path, "wb") as f:
                for k in range(0, len(view), _COPY_CHUNK):
                    f.write(unpacker.decompress(view[k:k + _COPY_CHUNK]))
                f.write(unpacker.flush())
        except zlib.error:
            return False
        return unpacker.eof and not unpacker.unused_data


class checked:
    """Check a bundle and give its scratch county database (a context manager yielding ``Checked``):
    every project replayed (legal moves, actors, dates), every hash and link and the digest recomputed
    by the checkpoint code over the scratch copy, the counts and the directory's digest compared with
    the signed ones.  Raises IntegrityFailure naming the county and the first bad event.

    With ``base`` (a :class:`Replica` of the county's held history, same directory and set-up
    ledger), the scratch copy begins from it: the bundle's first events are checked to be the ones
    the replica was made of (every one's own hash recomputed from its fields, and the same ids,
    projects and hashes, :func:`_holds_first`), it reads the bundle's events, and only the
    projects with newer events are replayed and replaced; the checkpoint then checks the whole copy
    as above.  Where the bundle does not extend the replica
    that way, the copy is rebuilt from the bundle alone, so what is refused, and why, never depends
    on the replica.

    With ``extends`` (the digest of the county's held bundle, and its number of events), the result's
    ``extends_at`` says after how many events the running digest of the bundle's history was that
    digest (None: never): the held number when its first events and set-up ledger entries are the
    held bundle's (:func:`not_extending` is the refusal otherwise)."""

    def __init__(self, b: Bundle, *, actor: str, base: Replica | None = None,
                 extends: tuple[str, int] | None = None):
        self.b = b
        self.actor = actor
        self.base = base
        self.extends = extends
        self.dir: Any = None
        self.engine: Any = None

    def __enter__(self) -> Checked:
        try:
            return self._check()
        except BaseException:
            self.__exit__()
            raise

    def __exit__(self, *exc: Any) -> None:
        self._drop_engine()
        if self.dir is not None:
            self.dir.cleanup()
            self.dir = None

    def _drop_engine(self) -> None:
        if self.engine is not None:
            _SCRATCH_ENGINE.give_back(self.engine)
            self.engine = None

    def _check(self) -> Checked:
        b = self.b
        counts = b.signed.get("counts", {})
        if b.signed.get("directory") != directory_digest(b.directory):
            raise _refuse(b, Message("bundle_directory_differs"))
        self.dir = tempfile.TemporaryDirectory(prefix="pipeline-city-")
        path = Path(self.dir.name) / "county.db"
        directory: dict[str, list[dict]] = {}
        for tbl, text in b.directory:
            if tbl not in metadata.tables:
                raise _refuse(b, Message("bundle_unknown_directory_table", table=tbl))
            try:
                directory.setdefault(tbl, []).append(_typed_row(metadata.tables[tbl], json.loads(text)))
            except (TypeError, ValueError) as exc:  # a date or time that is not one
                raise _refuse(b, Message("bundle_directory_not_county", table=tbl,
                                         why=_quoted(str(exc), str, 80))) from None
        try:
            roles = {u["login"]: u["role"] for u in directory.get("app_user", [])}
        except KeyError as exc:
            raise _refuse(b, Message("bundle_user_lacks_column", column=str(exc))) from None
        _one_code_a_project(b)
        replayed = self._from_replica(path, roles) if self.base is not None else None
        if replayed is None:
            replayed = self._rebuild(path, roles, directory)
        rows = None
        if b.path is not None:  # the copy's events are the bytes b.events was read from
            rows = map(_SCRATCH_ROW, b.events)  # its event table's rows
        try:
            # the scratch file is this process's own, made a moment ago: its history is what is checked
            doc = audit.checkpoint(self.engine, self.actor, store=False, check_container=False,
                                   extends=self.extends[0] if self.extends else None, events=rows)
        except IntegrityFailure as exc:
            items = [i for i in exc.details if isinstance(i, dict)]
            if not items:
                raise _refuse(b, exc.message_obj if exc.message_obj is not None else exc.message) from None
            by_key = _event_ids(b)
            bad = min(items, key=lambda p: by_key.get((p.get("code"), p.get("seq")), 1 << 62))
            problem = bad.get("problem")
            raise _bad_event(b, bad.get("code"), bad.get("seq"),
                             problem if isinstance(problem, Message) else str(problem), items[:100]) from None
        with self.engine.connect() as conn:
            n_projects = conn.execute(select(func.count()).select_from(P)).scalar_one()
            history = county.identity_in(conn)  # of the set-up ledger the checkpoint has just checked
        found = {"events": len(b.events), "projects": n_projects, "ledger": len(b.ledger)}
        if history != b.signed.get("county"):  # the code and name the city shows are the history's
            raise _refuse(b, Message("bundle_county_not_ledgers", signed=_quoted(b.signed.get("county"), limit=80),
                                     history=_quoted(history, limit=80)))
        if b.digest and doc["digest"] != b.digest:
            raise _refuse(b, Message("bundle_digest_not_signed", digest=doc["digest"], signed=b.digest,
                                     counts=_Counts(counts), found=_Counts(found)))
        if b.digest and counts != found:
            raise _refuse(b, Message("bundle_counts_differ", counts=_Counts(counts), found=_Counts(found)))
        return Checked(doc["digest"], self.engine, n_projects, replayed, path, b.events, doc.get("extends_at"))

    def _rebuild(self, path: Path, roles: dict[str, str], directory: dict[str, list[dict]]) -> int:
        """The scratch copy from the bundle alone: every project replayed; returns how many."""
        b = self.b
        if path.exists():
            path.unlink()
        _events_file(b, path.with_name(_EVENTS_FILE))
        self.engine = _SCRATCH_ENGINE.take(path, path.with_name(_EVENTS_FILE))
        with self.engine.begin() as conn:
            raw = conn.connection.driver_connection
            later = []  # the county's plain indexes, built once filled (the same schema, as _SCRATCH_INDEXES)
            for ddl in _schema():  # the county's schema, in the transaction that fills it
                if ddl.startswith("CREATE INDEX "):
                    later.append(ddl)
                else:
                    raw.execute(ddl)
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")  # a side table's rows may come before their keys'
            projects, derived = self._replay(roles, None)
            for name in ("unit", "person", "app_user", "rule", "target", "setting"):
                if directory.get(name):
                    try:
                        conn.execute(insert(metadata.tables[name]), directory[name])
                    except StatementError as exc:  # a row a county's table cannot hold (a missing or repeated key)
                        why = str(exc.orig or exc).splitlines()[0].split(" (Background on this error")[0]
                        raise _refuse(b, Message("bundle_directory_not_county", table=name, why=why)) from None
            self._fill(conn, projects, derived)
            for ddl in (*later, *_SCRATCH_INDEXES):  # built once filled: cheaper than kept up row by row
                conn.exec_driver_sql(ddl)
        return len(projects)

    def _from_replica(self, path: Path, roles: dict[str, str]) -> int | None:
        """The scratch copy from the replica, reading the bundle's events (a replica holds none:
        :meth:`Checked.write_replica`), the projects with newer events replayed and replaced in it;
        returns how many were replayed, or None (the copy dropped) when the bundle's first events
        are not the ones the replica was made of: then :meth:`_rebuild` decides."""
        b, base = self.b, self.base
        assert base is not None
        held = base.events
        if held > len(b.events) or not _own_hashes_hold(b.events[:held]) or not base.restore(path):
            return None
        _events_file(b, path.with_name(_EVENTS_FILE))
        self.engine = _SCRATCH_ENGINE.take(path, path.with_name(_EVENTS_FILE))
        if not _holds_first(self.engine, b.events[:held]):
            self._drop_engine()
            return None
        new = b.events[held:]
        changed = {e[1] for e in new}
        ids = sorted(changed)
        with self.engine.begin() as conn:
            # the bundle's own set-up ledger replaces the copy's, for the checkpoint to check (the
            # caller found it as long as the held one; its entries' hashes are in the digest)
            conn.execute(L.delete())
            # rows of a project go, then come back, a side table's rows maybe before their keys'
            conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            projects, derived = self._replay(roles, changed) if changed else ([], {})
            for k in range(0, len(ids), 500):
                chunk = ids[k:k + 500]
                for name in DERIVED_COLUMNS:
                    if name not in _UNREAD:
                        table = metadata.tables[name]
                        conn.execute(table.delete().where(table.c.project_id.in_(chunk)))
                conn.execute(P.delete().where(P.c.id.in_(chunk)))
            self._fill(conn, projects, derived)
        return len(projects)

    def _fill(self, conn: Any, projects: list[Any], derived: dict[str, list[dict]]) -> None:
        """Insert replayed projects and their side-table rows (the replay gathers none of ``_UNREAD``'s:
        :meth:`_replay`), and the bundle's ledger."""
        if projects:
            insert_many(conn, P, [COLUMN_VALUES(r) for r in projects], keys=COLUMNS)
        for name, values in derived.items():
            insert_many(conn, metadata.tables[name], values)
        insert_many(conn, L, [_typed_row(L, dict(zip(LEDGER_COLUMNS, r, strict=True))) for r in self.b.ledger])

    def _replay(self, roles: dict[str, str], only: set[int] | None) -> tuple[list[Any], dict[str, list[dict]]]:
        """Replay every project of the bundle (or those of ``only``) from its events alone; raises
        naming the first bad event."""
        b = self.b
        defs = Definitions()
        day = DayRules.constant(roles)  # the directory's roles throughout: one for every project
        now = datetime.now(UTC)
        projects: list[Any] = []
        derived: dict[str, list[dict]] = {t: [] for t in DERIVED_COLUMNS}
        problems: list[dict] = []
        events = b.events if only is None else [e for e in b.events if e[1] in only]
        for pid, of_project in groupby(sorted(events, key=_PROJECT_SEQ), key=_PROJECT):
            first = next(of_project)
            code = first[2]
            rows = map(_SCRATCH_ROW, chain((first,), of_project))  # noqa: B031 (its first event, then the rest)
            rep = replay_project(pid, code, rows, day, defs, leave_out=_UNREAD)
            problems.extend(rep.problems)
            if rep.row is None:
                if not rep.problems:
                    problems.append({"code": code, "seq": first[3], "problem": Message("bundle_no_registration")})
                continue
            rep.row.created_at = now
            rep.row.version = max(1, rep.row.head_seq)
            projects.append(rep.row)
            for table, by_seq in rep.rows.items():
                derived[table].extend(by_seq.values())
        if problems:
            by_key = _event_ids(b)
            bad = min(problems, key=lambda p: by_key.get((p["code"], p["seq"]), 1 << 62))
            raise _bad_event(b, bad["code"], bad["seq"], bad["problem"], problems[:100])
        return projects, derived


class _Counts(Message):
    """A bundle's counts (as signed, or as found) in a refusal: each by its words in the run's language
    (``bundle_counts``); in --json the counts themselves, a JSON object."""

    __slots__ = ("counts",)

    def __init__(self, counts: dict) -> None:
        shown = _counts_shown(counts)
        super().__init__(shown.code, **shown.fields)
        self.counts = counts

    def json(self) -> Any:
        return json_value(self.counts)


def _counts_shown(counts: dict) -> Message:
    """The counts as words: events, projects and ledger entries first, then any other a county
    signed (quoted, as it signed them)."""
    order = {"events": 0, "projects": 1, "ledger": 2}
    items = []
    for k, v in sorted(counts.items(), key=lambda kv: (order.get(kv[0], 3), str(kv[0]))):
        if type(v) is not int or k not in order:
            items.append(Message("bundle_count_other", name=_quoted(k, str), value=_quoted(v)))
        elif k == "events":
            items.append(Message("bundle_count_events", n=v))
        elif k == "projects":
            items.append(Message("bundle_count_projects", n=v))
        else:
            items.append(Message("bundle_count_ledger", n=v))
    return Message("bundle_counts", counts=items) if items else Message("bundle_counts_none")


def _event_ids(b: Bundle) -> dict[tuple, int]:
    """(code, seq) -> id of ``b``'s events: the first bad event of a refusal is the first written."""
    return {(e[2], e[3]): e[0] for e in b.events}


def _one_code_a_project(b: Bundle) -> None:
    """Refuse, naming the first event that breaks it, a bundle in which a project id has events under
    two codes, or a code under two project ids: the replay rebuilds a project from the events of its
    id under its first event's code, and the city keeps each event's code as the bundle gives it."""
    code_of: dict[Any, Any] = {}
    id_of: dict[Any, Any] = {}
    for e in b.events:
        if code_of.setdefault(e[1], e[2]) != e[2]:
            raise _bad_event(b, e[2], e[3], Message("bundle_project_has_other_code", id=e[1], other=code_of[e[1]]))
        if id_of.setdefault(e[2], e[1]) != e[1]:
            raise _bad_event(b, e[2], e[3], Message("bundle_code_has_other_id", code=e[2], id=id_of[e[2]], other=e[1]))


def _holds_first(engine: Any, events: list[tuple]) -> bool:
    """Whether the scratch copy on ``engine`` was made of ``events`` (by id: the same ids, projects and
    hashes, as its ``replica_events`` row keeps them: :meth:`Checked.write_replica`) and holds no
    event row; that row is removed, for the copy to be of the county's schema alone.  False also for
    a file that is not such a copy of this schema."""
    try:
        with engine.begin() as conn:
            kept = [tuple(r) for r in conn.exec_driver_sql("SELECT events, digest FROM replica_events")]
            conn.exec_driver_sql("DROP TABLE replica_events")
            empty = conn.exec_driver_sql("SELECT 1 FROM main.event LIMIT 1").first() is None  # the copy's own
    except Exception:  # not a scratch copy of this schema: rebuild
        return False
    return empty and kept == [(len(events), _events_digest(events))]


def _own_hashes_hold(events: list[tuple]) -> bool:
    """Whether each event's stored hash (``EVENT_COLUMNS``) is the hash of its own fields."""
    sha = hashlib.sha256
    try:
        for e in events:
            raw = event_bytes(e[2], e[3], e[4], e[5], e[6], e[7], e[8], e[9], e[10], e[11], e[12], e[13])
            if sha(raw).hexdigest() != e[14]:
                return False
    except (TypeError, ValueError):
        return False
    return True


def iter_months(first: date, last: date) -> Iterator[tuple[str, date, date]]:
    """(YYYY-MM, first day, last day) of every month from ``first``'s to ``last``'s."""
    import calendar

    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        end = date(y, m, calendar.monthrange(y, m)[1])
        yield f"{y:04d}-{m:02d}", date(y, m, 1), end
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
