"""Engine factory and schema check.

SQLite (the embedded default): WAL, foreign keys, busy timeout, recursive triggers (so
``INSERT OR REPLACE`` cannot overwrite history), ``synchronous=FULL``, and ``BEGIN IMMEDIATE`` for
every write transaction so two writers serialise at BEGIN instead of failing at COMMIT.
PostgreSQL (a shared deployment): ``postgresql+psycopg://``; rows are locked with ``FOR UPDATE``;
every session waits for a lock at most ``PIPELINE_BUSY_TIMEOUT`` (``postgres_timeouts``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from workflow.errors import BadInput

# The newest migration this code knows, and every one before it, oldest first.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010", "0014",
                              "0015", "0016")
SCHEMA_HEAD = REVISIONS[-1]
BUSY_TIMEOUT_MS = 60_000  # how long a command waits for a database another program holds (PIPELINE_BUSY_TIMEOUT, s)
SCHEMES = ("sqlite:///PATH", "postgresql+psycopg://USER@HOST/DB (or postgresql://)")

# Called once when a command has waited a second for a database another program holds (the command
# line sets it on a terminal to print a notice); None: wait silently.
WAIT_NOTICE: Callable[[], None] | None = None


def busy_timeout_ms() -> int:
    value = os.environ.get("PIPELINE_BUSY_TIMEOUT")
    if not value:
        return BUSY_TIMEOUT_MS
    try:
        seconds = float(value)
    except ValueError:
        raise BadInput("pipeline_busy_timeout_is", value=value) from None
    if not 0 <= seconds <= 86_400:
        raise BadInput("pipeline_busy_timeout_must", value=value)
    return int(seconds * 1000)


class SchemaMismatch(BadInput):
    kind = "schema"


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("pipeline", appauthor=False)) / "pipeline.db"


def resolve_url(db: str | None) -> str:
    """An SQLAlchemy URL from ``--db`` / ``PIPELINE_DB``: a URL, or a path to an SQLite file."""
    db = db or os.environ.get("PIPELINE_DB") or None
    if not db:
        path = default_db_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" in db:
        if db.startswith("postgresql://") or db.startswith("postgres://"):
            db = "postgresql+psycopg://" + db.split("://", 1)[1]
        scheme = db.split("://", 1)[0]
        if scheme not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
            raise BadInput("db_unknown_database_url", scheme=scheme, schemes=list(SCHEMES))
        return db
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def is_sqlite(engine_or_url) -> bool:
    name = engine_or_url if isinstance(engine_or_url, str) else engine_or_url.dialect.name
    return name.startswith("sqlite")


def make_engine(url: str, *, write: bool = True, readonly: bool = False, journal: str = "WAL",
                opens: Callable[[], str] | None = None) -> Engine:
    """An engine for ``url``.  ``write=False`` opens deferred (read) transactions on SQLite;
    ``readonly=True`` opens the SQLite file read-only (auditors); ``journal``: the SQLite file's
    journal mode (a scratch copy removed after use keeps its journal in memory).  ``opens`` (SQLite):
    the file each new connection opens, asked when it is made, for one engine over files that
    follow one another (the scratch copies of county bundles' checks, ``workflow.bundle``); ``url``
    then only names them."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, write=write and not readonly, readonly=readonly, journal=journal, opens=opens)
    return create_engine(url, pool_pre_ping=False, connect_args={"options": postgres_timeouts()})


STATEMENT_GRACE_MS = 600_000  # what one statement may take besides waiting (PostgreSQL's statement_timeout)


def postgres_timeouts() -> str:
    """The session options every PostgreSQL connection starts with: ``lock_timeout`` is
    ``PIPELINE_BUSY_TIMEOUT`` (at least 1 ms: 0 would mean "wait for ever"), so a session holding
    ``LOCK TABLE`` or the ledger's advisory lock makes others exit 5 "busy" instead of freezing
    them; ``statement_timeout`` is that plus ``STATEMENT_GRACE_MS``, so no statement waits longer
    however it is held up (docs/postgresql.md, "Locks and conflicts")."""
    busy = max(busy_timeout_ms(), 1)
    return f"-c lock_timeout={busy} -c statement_timeout={busy + STATEMENT_GRACE_MS}"


def sqlite_file(url: str) -> str | None:
    """The path of the SQLite file an ``sqlite:///PATH`` URL names (None: in memory, or a URI)."""
    if not url.startswith("sqlite") or url in ("sqlite://", "sqlite:///:memory:") or "uri=true" in url \
            or "///" not in url:
        return None
    return url.split("///", 1)[1]


def new_sqlite_file(url: str, page_size: int) -> bool:
    """Make the SQLite file ``url`` names with pages of ``page_size`` bytes, when there is no such
    file yet (or it is empty): SQLite fixes a file's page size when the file is made, and an engine's
    first connection makes it in its default 4 KiB.  True when made; nothing is done for another
    engine, a URI or in-memory database, or a file that exists."""
    import sqlite3

    path = sqlite_file(url)
    if path is None or (os.path.exists(path) and os.path.getsize(path) > 0):
        return False
    try:
        db = sqlite3.connect(path)
    except sqlite3.Error:  # a file that cannot be made here: the engine's connection says why
        return False
    try:
        db.execute(f"PRAGMA page_size = {int(page_size)}")
        db.execute("PRAGMA journal_mode = WAL")  # writes the header: the size is the file's from now on
    except sqlite3.Error:
        return False
    finally:
        db.close()
    return True


def _sqlite_engine(url: str, *, write: bool, readonly: bool, journal: str = "WAL",
                   opens: Callable[[], str] | None = None) -> Engine:
    busy = busy_timeout_ms()
    connect_args: dict = {"timeout": busy / 1000, "check_same_thread": False}
    memory = url in ("sqlite://", "sqlite:///:memory:")
    path = sqlite_file(url) if opens is None else None
    if path is not None and _read_only_copy(path):  # (a URI given with --db keeps its own mode)
        url = f"sqlite:///file:{quote(path, safe='/')}?mode=ro&immutable=1&uri=true"
        readonly = True  # reads work; a write is refused as a write to a read-only database (exit 6)
    elif readonly and path is not None:
        url = f"sqlite:///file:{path}?mode=ro&uri=true"
    if opens is None:
        engine = create_engine(url, connect_args=connect_args)
    else:
        import sqlite3

        engine = create_engine(url, creator=lambda: sqlite3.connect(opens(), **connect_args))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # pragma: no cover - exercised by every test
        # Take BEGIN over from pysqlite: it would otherwise begin lazily and never IMMEDIATE.
        dbapi_connection.isolation_level = None
        import sqlite3

        cur = dbapi_connection.cursor()
        if not readonly and not memory:
            try:
                cur.execute(f"PRAGMA journal_mode={journal}")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc) and "read-only" not in str(exc):
                    raise
                # a file this user may not write: reads still work, a write says why (exit 6)
        cur.execute(f"PRAGMA busy_timeout={busy}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA recursive_triggers=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # pragma: no cover - exercised by every test
        # On the DBAPI connection itself: through SQLAlchemy's execute it cost a tenth of a transition.
        dbapi = conn.connection.dbapi_connection
        notice = WAIT_NOTICE
        if notice is None or not write:
            dbapi.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            return
        timer = threading.Timer(1.0, notice)  # a notice when another program makes us wait
        timer.daemon = True
        timer.start()
        try:
            dbapi.execute("BEGIN IMMEDIATE")
        finally:
            timer.cancel()

    return engine


def _read_only_copy(path: str) -> bool:
    """Whether ``path`` is a database in WAL mode that this user may read but whose folder it may not
    write, so that SQLite cannot create the ``-shm`` file it needs to read (every read would fail as
    a write to a read-only database).  Such a file is opened immutable: no writer can be at work on
    it through this folder without that file (docs/usage.md).  A cheap check first (the folder is
    writable: False), then one read-only probe."""
    import sqlite3

    folder = os.path.dirname(path) or "."
    if not os.path.isfile(path) or os.access(folder, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
        return False
    if os.path.exists(path + "-shm"):
        return False
    try:
        probe = sqlite3.connect(f"file:{quote(path, safe='/')}?mode=ro", uri=True)
    except sqlite3.Error:
        return False
    try:
        probe.execute("PRAGMA schema_version").fetchone()
        return False
    except sqlite3.OperationalError as exc:
        return "readonly" in str(exc) or "read-only" in str(exc) or "unable to open" in str(exc)
    except sqlite3.Error:
        return False
    finally:
        probe.close()


# --- migrations -------------------------------------------------------------------------------


def alembic_config(url: str, connection=None):
    from importlib.resources import files

    from alembic.config import Config

    cfg = Config()
    # The top-level ``migrations`` package (env.py, script.py.mako, versions/), installed with the code.
    cfg.set_main_option("script_location", str(files("migrations")))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic)."""
    from alembic import command

    url = engine.url.render_as_string(hide_password=False)
    if is_sqlite(engine):
        # Migrations run with a plain engine: DDL inside BEGIN IMMEDIATE is fine, but the
        # migration's own foreign-key switch must happen outside a transaction.
        command.upgrade(alembic_config(url), revision)
    else:
        with engine.begin() as conn:
            command.upgrade(alembic_config(url, conn), revision)


def driver_error(exc: BaseException) -> BaseException | None:
    """The database driver's error behind ``exc`` (SQLAlchemy's wrapper, or the driver's own error
    raised where we talk to the driver directly, as ``BEGIN IMMEDIATE`` does), or None."""
    import sqlite3

    if isinstance(exc, DBAPIError):
        return exc.orig
    if isinstance(exc, sqlite3.Error) or type(exc).__module__.startswith("psycopg"):
        return exc
    return None


def current_revision(engine: Engine) -> str | None:
    """The schema's revision; None when the database has no ``alembic_version`` table (never
    initialised).  Every other failure (busy, not a database, no privilege) is raised as it is."""
    with engine.connect() as conn:
        try:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        except DBAPIError as exc:
            message = str(exc.orig)
            if "no such table" in message or ("alembic_version" in message and "does not exist" in message):
                conn.rollback()
                return None
            raise
    return row[0] if row else None


def other_tables(engine: Engine) -> list[str]:
    """The tables of a database that has no pipeline schema (``init`` refuses to add to them)."""
    return sorted(inspect(engine).get_table_names())


def schema_state(revision: str | None) -> str:
    """'missing', 'current', 'behind' or 'ahead' for a database revision."""
    if revision is None:
        return "missing"
    if revision == SCHEMA_HEAD:
        return "current"
    if revision in REVISIONS:
        return "behind"
    return "ahead"


def not_initialised() -> SchemaMismatch:
    """The refusal of a database without the schema (or of an SQLite file that does not exist)."""
    return SchemaMismatch("database_is_not_initialised", [{"revision": None, "expected": SCHEMA_HEAD}])


def check_schema(engine: Engine) -> None:
    """Refuse a database whose schema is missing, behind or ahead of this code."""
    rev = current_revision(engine)
    state = schema_state(rev)
    if state == "current":
        return
    if state == "missing":
        raise not_initialised()
    if state == "behind":
        raise SchemaMismatch(
            "database_schema_is_behind",
            [{"revision": rev, "expected": SCHEMA_HEAD}], rev=rev, schema_head=SCHEMA_HEAD,
        )
    raise SchemaMismatch(
        "database_schema_is_newer",
        [{"revision": rev, "expected": SCHEMA_HEAD}], rev=rev, schema_head=SCHEMA_HEAD,
    )


def session_actor(engine: Engine, requested: str) -> str:
    """The actor recorded on events.  On SQLite it is ``requested`` (``--as`` or the OS user); on
    PostgreSQL it is the database login (``session_user``), which ``--as`` cannot spoof."""
    if is_sqlite(engine):
        return requested
    with engine.connect() as conn:
        return conn.execute(text("SELECT session_user")).scalar_one()
