"""Shared fixtures: a fresh database per test and an in-process command-line runner.

``cli(...)`` runs ``pipeline`` in this process (fast) and returns its exit code, stdout, stderr and
parsed JSON; ``run_pipeline(...)`` runs the installed console script in a subprocess (for start-up,
multi-process and crash tests).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ADMIN = "admin"
COORD = "coord"


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self):
        return json.loads(self.out)


def invoke(args: list[str], *, db: str | None = None, actor: str | None = ADMIN, lang: str = "en") -> Result:
    from cli.app import main

    argv = []
    if db is not None:
        argv += ["--db", db]
    if actor is not None:
        argv += ["--as", actor]
    argv += ["--lang", lang, *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return Result(code, out.getvalue(), err.getvalue())


class Cli:
    """Runs commands against one database; ``cli("project", "show", "P-0001", json=True)``."""

    engine_kind = "sqlite"

    def __init__(self, db: str):
        self.db = db

    def url_for(self, actor: str | None = COORD) -> str:
        """The SQLAlchemy URL ``actor`` uses (on PostgreSQL the login is in the URL)."""
        return f"sqlite:///{self.db}"

    def __call__(self, *args, actor: str | None = COORD, lang: str = "en", json: bool = False,
                 ok: bool = False) -> Result:
        argv = [str(a) for a in args] + (["--json"] if json else [])
        res = invoke(argv, db=self.db, actor=actor, lang=lang)
        if ok:
            assert res.code == 0, f"{argv} exited {res.code}\nstdout: {res.out}\nstderr: {res.err}"
        return res

    def admin(self, *args, **kw) -> Result:
        return self(*args, actor=ADMIN, **kw)


@pytest.fixture
def db_path(tmp_path) -> str:
    return str(tmp_path / "pipeline.db")


@pytest.fixture
def cli(cli_engine, db_path, request) -> Cli:
    """An initialised database with an admin, a coordinator, two units and a county leader — on
    SQLite and on PostgreSQL in turn (``cli_engine``, see ``pytest_generate_tests`` below)."""
    if cli_engine == "postgres":
        return populate(PgCli(request.getfixturevalue("pg_cluster"), request.getfixturevalue("pg_database")))
    return populated_copy(request.getfixturevalue("_sqlite_county"), db_path)


@pytest.fixture
def service(cli):
    """The engine for the ``cli`` database, acting as the coordinator."""
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(cli.url_for(COORD))
    yield Service(engine, COORD)
    engine.dispose()


def pipeline_exe() -> str:
    exe = Path(sys.executable).with_name("pipeline")
    return str(exe) if exe.exists() else "pipeline"


def run_pipeline(args: list[str], *, db: str, actor: str = COORD, env: dict | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess:
    if db.startswith("postgresql"):  # the actor is the database login (tests/pg.py)
        from tests.pg import with_user

        db = with_user(db, actor)
    full_env = {**os.environ, "PIPELINE_DB": db, "PIPELINE_USER": actor, "PIPELINE_LANG": "en",
                **(env or {})}
    return subprocess.run([pipeline_exe(), *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)


# --- PostgreSQL: a throwaway cluster per test session (tests/pg.py) --------------------------------

ENGINES = ("sqlite", "postgres")
ENGINE_PARAMS = [pytest.param("sqlite", id="sqlite"),
                 pytest.param("postgres", id="postgres", marks=pytest.mark.postgres)]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def pg_cluster():
    """The session's PostgreSQL cluster.  Under ``CI=true`` a cluster that cannot start FAILS the
    test; elsewhere the test is skipped with the reason."""
    from tests import pg

    try:
        cluster = pg.cluster()
    except pg.PgUnavailable as exc:
        if in_ci():
            pytest.fail(f"PostgreSQL test cluster did not start (CI=true, so this fails): {exc}")
        pytest.skip(f"PostgreSQL test cluster not available: {exc}")
    yield cluster
    pg.shutdown()


@pytest.fixture
def pg_database(pg_cluster):
    """A fresh database (schema at head) in the session cluster; dropped afterwards."""
    name = pg_cluster.new_database()
    yield name
    pg_cluster.drop_database(name)


@pytest.fixture
def pg_url(pg_cluster, pg_database) -> str:
    """A fresh migrated database, as the coordinator's URL."""
    return pg_cluster.url(pg_database, COORD)


class PgUrl(str):
    """``cli.db`` of a PostgreSQL ``cli``: a URL, usable as ``--db``/``PIPELINE_DB``; formatting it
    into an SQLite URL (``f"sqlite:///{cli.db}"``) fails with a pointer to the fix."""

    def __format__(self, spec):
        raise TypeError(
            "cli.db is a PostgreSQL URL in this [postgres] run; use cli.url_for(actor) for an engine URL, "
            "or mark a test of the SQLite file itself @pytest.mark.sqlite_only")


class PgCli(Cli):
    """``Cli`` on PostgreSQL: each actor connects as its own database login (``user=<actor>``)."""

    engine_kind = "postgres"

    def __init__(self, cluster, database: str):
        self.cluster = cluster
        self.database = database
        super().__init__(PgUrl(cluster.url(database, COORD)))

    def url_for(self, actor: str | None = COORD) -> str:
        from tests.pg import SUPERUSER

        return self.cluster.url(self.database, actor or SUPERUSER)

    def login(self, actor: str) -> str:
        """Make sure ``actor`` is a login role of the cluster; returns its URL."""
        self.cluster.ensure_login(actor, self.database)
        return self.url_for(actor)

    def __call__(self, *args, actor: str | None = COORD, lang: str = "en", json: bool = False,
                 ok: bool = False) -> Result:
        argv = [str(a) for a in args] + (["--json"] if json else [])
        if actor is not None:
            self.cluster.ensure_login(actor, self.database)
        res = invoke(argv, db=self.url_for(actor), actor=actor, lang=lang)
        if ok:
            assert res.code == 0, f"{argv} as {actor} exited {res.code}\nstdout: {res.out}\nstderr: {res.err}"
        return res


def populate(c: Cli) -> Cli:
    """The standard test county: admin, coordinator, two units, a county leader."""
    if c.engine_kind == "postgres":
        c("init", "--admin", ADMIN, actor=None, ok=True)  # the database owner bootstraps the admin
    else:
        c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", ok=True)
    c.admin("units", "add", "FGW", "--name", "发改局", "--kind", "department", ok=True)
    c.admin("people", "add", "wang", "--name", "王县长", "--level", "county", "--title", "副县长", ok=True)
    return c


@pytest.fixture(scope="session")
def _sqlite_county(tmp_path_factory) -> Path:
    """The standard test county (``populate``) on SQLite, made once per test process: the ``cli`` and
    ``any_cli`` fixtures start from a copy of its file (some 0.15 s a test saved).  Its write-ahead
    log is folded into the file, so the one file is the whole database."""
    path = tmp_path_factory.mktemp("county") / "pipeline.db"
    populate(Cli(str(path)))
    con = sqlite3.connect(path)
    try:
        busy, _, _ = con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        con.close()
    assert not busy, "the test county's database is still in use"
    return path


def populated_copy(template: Path, db_path: str) -> Cli:
    """A ``Cli`` on a copy of the standard test county's SQLite file (``_sqlite_county``)."""
    shutil.copyfile(template, db_path)
    return Cli(db_path)


def make_cli(kind: str, request, tmp_path) -> Cli:
    if kind == "postgres":
        cluster = request.getfixturevalue("pg_cluster")
        return PgCli(cluster, request.getfixturevalue("pg_database"))
    return Cli(str(tmp_path / "pipeline.db"))


@pytest.fixture
def engine_kind(cli_engine) -> str:
    """``"sqlite"`` and ``"postgres"``: a test using it runs once on each engine."""
    return cli_engine


@pytest.fixture
def any_cli(engine_kind, request, tmp_path) -> Cli:
    """The ``cli`` fixture's database, on each engine in turn."""
    if engine_kind == "sqlite":
        return populated_copy(request.getfixturevalue("_sqlite_county"), str(tmp_path / "pipeline.db"))
    return populate(make_cli(engine_kind, request, tmp_path))


@pytest.fixture
def any_service(any_cli):
    """A ``Service`` as the coordinator on the ``any_cli`` database."""
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(any_cli.url_for(COORD))
    yield Service(engine, COORD)
    engine.dispose()


# --- every ``cli`` / ``service`` test on both engines ----------------------------------------------
#
# A test that uses ``cli`` (or ``service``) runs once on SQLite and once on PostgreSQL, as
# ``test_x[sqlite]`` and ``test_x[postgres]``.  Tests of the SQLite file itself (raw ``sqlite3``,
# pragmas, tampering with the file) are marked ``@pytest.mark.sqlite_only`` — or listed below for
# tests written before the marker.  ``PIPELINE_TEST_ENGINES=sqlite`` (or ``postgres``) runs one.

SQLITE_ONLY = (  # tests that read or tamper with the SQLite file directly
    "tests/test_store.py::",
    "tests/test_demo.py::test_the_demo_refuses_a_database_with_other_data_unless_forced",
    "tests/test_audit_cli.py::test_audit_log_filters",
    "tests/test_audit_cli.py::test_audit_log_formats",
    "tests/test_audit_cli.py::test_audit_log_refuses_unknown_filters",
    "tests/test_audit_cli.py::test_audit_log_streams",
    "tests/test_audit_cli.py::test_auditor_reads_everything_and_writes_nothing",
    "tests/test_audit_cli.py::test_checkpoint_by_admin_is_stored_by_auditor_is_not",
    "tests/test_audit_cli.py::test_history_and_audit_open_sqlite_read_only",
    "tests/test_audit_cli.py::test_unknown_actor_may_read_audit",
    "tests/test_audit_cli.py::test_verify_text_output",
    "tests/test_audit_cli.py::test_correct_a_wrong_rejection",
    "tests/test_audit_cli.py::test_correct_capital_reverses_the_amount",
    "tests/test_audit_cli.py::test_correct_hold_and_resume_restore_held_from",
    "tests/test_audit_cli.py::test_history_timeline_on_terminal_and_broken_chain_warning",
    "tests/test_rules.py::test_deactivated_person_is_skipped_and_reported",
    "tests/test_rules.py::test_explain_matched_unmatched_and_over_cap",
    "tests/test_rules.py::test_final_stage_frees_the_cap",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: a cli/service test of the SQLite file itself (not run on "
                                       "PostgreSQL)")


def _test_engines() -> list[str]:
    wanted = [e.strip() for e in os.environ.get("PIPELINE_TEST_ENGINES", ",".join(ENGINES)).split(",") if e.strip()]
    unknown = set(wanted) - set(ENGINES)
    if unknown or not wanted:
        raise pytest.UsageError(f"PIPELINE_TEST_ENGINES: use {', '.join(ENGINES)} (comma-separated)")
    return wanted


def pytest_generate_tests(metafunc):
    if "cli_engine" not in metafunc.fixturenames:
        return
    kinds = _test_engines()
    nodeid = metafunc.definition.nodeid
    if metafunc.definition.get_closest_marker("sqlite_only") or nodeid.startswith(SQLITE_ONLY):
        kinds = ["sqlite"]
    params = [p for p in ENGINE_PARAMS if p.values[0] in kinds]
    metafunc.parametrize("cli_engine", params)


@pytest.fixture(autouse=True)
def _no_deployed_lookup_of_another_test():
    """The deployed-versions lookup follows the database last attached in the process
    (workflow/deployed.py); each test starts without one."""
    from workflow.definition import use_deployed

    yield
    use_deployed(None)
