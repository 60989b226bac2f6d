"""A throwaway PostgreSQL cluster for the tests, and a command-line runner that logs in per actor.

The server binaries (``initdb``, ``pg_ctl``, ``postgres``) refuse to run as root, so when the tests
run as root the cluster is created and started as the ``postgres`` OS user (``runuser``) in a
temporary directory owned by that user.  The cluster listens on a free loopback port only, trusts
logins from 127.0.0.1, and is stopped and removed at the end of the test session.

Test speed: the cluster runs with ``fsync=off`` and ``synchronous_commit=off``.  The crash tests
kill *clients*, not the server, so server durability is not what they prove.

Each test gets a fresh database copied (``CREATE DATABASE … TEMPLATE``) from a template that has
the migrations applied once per session.  On PostgreSQL the actor is the database login
(``session_user``), so ``PgCli`` connects as ``user=<actor>``: every actor is a login role in the
cluster.  A login that ``users add`` has not granted a group role of the database yet is made a
member of its auditor group (``pipeline_auditor_<database>``) by ``ensure_login`` so it can read
(an unknown user may read, not write:
docs/usage.md, "Users and roles").

Under ``CI=true`` a cluster that cannot start fails the tests that need it; elsewhere they skip.
"""

from __future__ import annotations

import atexit
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

SUPERUSER = "postgres"
TEMPLATE = "pipeline_template"
_ids = itertools.count(1)


class PgUnavailable(RuntimeError):
    """The cluster could not be started (no binaries, no postgres user, …)."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise PgUnavailable("running as root and `runuser` is not available to start PostgreSQL")
        return ["runuser", "-u", SUPERUSER, "--", *cmd]
    return cmd


class PgCluster:
    """One PostgreSQL server in a temporary directory."""

    def __init__(self, *, durable: bool = False) -> None:
        self.durable = durable  # fsync and synchronous commit on (benchmarks); off for the tests
        self.base: Path | None = None
        self.port: int | None = None
        self.running = False
        self._logins: set[tuple[str, str | None]] = set()  # known to exist with LOGIN, per database

    @property
    def data(self) -> Path:
        assert self.base is not None
        return self.base / "data"

    def start(self) -> PgCluster:
        for tool in ("initdb", "pg_ctl"):
            if shutil.which(tool) is None:
                raise PgUnavailable(f"`{tool}` is not on PATH")
        self.base = Path(tempfile.mkdtemp(prefix="pipeline-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.base, user=SUPERUSER)
        self._run(["initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                   "--locale=C", "--no-instructions"], "initdb")
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as f:
            f.write("\n# throwaway cluster\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n"
                    "max_connections = 300\nshared_buffers = 64MB\nlog_min_messages = warning\n")
            if not self.durable:
                f.write("fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        (self.data / "pg_hba.conf").write_text("host all all 127.0.0.1/32 trust\n", encoding="utf-8")
        last = ""
        for _ in range(5):  # a free port can be taken between choosing and binding it: try again
            self.port = _free_port()
            proc = subprocess.run(
                _as_server_user(["pg_ctl", "-D", str(self.data), "-l", str(self.base / "server.log"), "-w",
                                 "-t", "60", "-o", f"-p {self.port}", "start"]),
                capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if proc.returncode == 0:
                self.running = True
                atexit.register(self.stop)
                return self
            last = proc.stdout + proc.stderr + self.log_tail()
        raise PgUnavailable(f"pg_ctl start failed: {last.strip()[-2000:]}")

    def log_tail(self) -> str:
        log = self.base / "server.log" if self.base else None
        try:
            return log.read_text(errors="replace")[-2000:] if log else ""
        except OSError:
            return ""

    def _run(self, cmd: list[str], what: str) -> None:
        proc = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              cwd=self.base)
        if proc.returncode != 0:
            raise PgUnavailable(f"{what} failed ({proc.returncode}): {(proc.stdout + proc.stderr).strip()[-2000:]}")

    def stop(self) -> None:
        if self.running:
            subprocess.run(_as_server_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                           capture_output=True, stdin=subprocess.DEVNULL)
            self.running = False
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    # --- URLs and SQL -------------------------------------------------------------------------------

    def url(self, database: str = "postgres", user: str = SUPERUSER) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", user: str = SUPERUSER):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, dbname=database, user=user, autocommit=True)

    def execute(self, sql: str, params=None, *, database: str = "postgres", user: str = SUPERUSER):
        with self.connect(database, user) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else None

    # --- databases --------------------------------------------------------------------------------

    def make_template(self) -> None:
        """A database with the migrations applied, copied for every test."""
        from sqlalchemy import create_engine

        from workflow import db as dbm

        self.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        self.execute(f"CREATE DATABASE {TEMPLATE}")
        engine = create_engine(self.url(TEMPLATE))
        try:
            dbm.upgrade(engine)
        finally:
            engine.dispose()

    def new_database(self, prefix: str = "t") -> str:
        """A new database with the migrations applied (a copy of the session's template)."""
        return self.new_database_from(TEMPLATE, prefix)

    def new_database_from(self, template: str, prefix: str = "t") -> str:
        """A copy of ``template`` (which must have no open connections)."""
        name = f"{prefix}_{os.getpid()}_{next(_ids)}"
        for attempt in range(20):
            try:
                self.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
                return name
            except Exception as exc:  # the template is busy for a moment after a test used it
                if "being accessed by other users" not in str(exc) or attempt == 19:
                    raise
                time.sleep(0.1)
        raise AssertionError("unreachable")

    def drop_database(self, name: str) -> None:
        self.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def ensure_login(self, login: str, database: str | None = None) -> None:
        """Make ``login`` a login role; in ``database`` (once its group roles exist) a login that is in
        none of its groups can read (its auditor group) until granted a role."""
        if (login, database) in self._logins:
            return
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,62}", login):
            raise ValueError(f"unusable test login {login!r}")
        from workflow.pgroles import group_names

        with self.connect() as conn:
            row = conn.execute("SELECT rolcanlogin FROM pg_roles WHERE rolname = %s", (login,)).fetchone()
            quoted = '"' + login + '"'
            if row is None:
                conn.execute(f"CREATE ROLE {quoted} LOGIN")
            elif not row[0]:
                conn.execute(f"ALTER ROLE {quoted} LOGIN")
            if database is None:
                self._logins.add((login, database))
                return
            names = list(group_names(database).values())
            have = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", (names,)).fetchone()[0]
            if have < len(names):
                return  # not initialised yet: ask again after `init`
            member = conn.execute(
                "SELECT count(*) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u "
                "ON u.oid = m.member WHERE u.rolname = %s AND g.rolname = ANY(%s)", (login, names)).fetchone()[0]
            if not member:
                conn.execute(f'GRANT "{group_names(database)["auditor"]}" TO {quoted}')
        self._logins.add((login, database))


_cluster: PgCluster | None = None
_failure: str | None = None


def cluster() -> PgCluster:
    """The session's cluster, started on first use (raises ``PgUnavailable`` with the reason)."""
    global _cluster, _failure
    if _cluster is not None:
        return _cluster
    if _failure is not None:
        raise PgUnavailable(_failure)
    c = PgCluster()
    try:
        c.start()
        c.make_template()
    except Exception as exc:
        c.stop()
        _failure = str(exc) if isinstance(exc, PgUnavailable) else f"{type(exc).__name__}: {exc}"
        raise PgUnavailable(_failure) from exc
    _cluster = c
    return c


def shutdown() -> None:
    global _cluster
    if _cluster is not None:
        _cluster.stop()
        _cluster = None


def with_user(url: str, user: str) -> str:
    """``url`` with its login replaced by ``user`` (PostgreSQL URLs; anything else unchanged)."""
    if not url.startswith("postgresql"):
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).set(username=user).render_as_string(hide_password=False)
