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

    def __init__(self, db: str):
        self.db = db

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
def cli(db_path) -> Cli:
    """An initialised database with an admin, a coordinator, two units and a county leader."""
    c = Cli(db_path)
    c("init", actor=ADMIN, ok=True)
    c.admin("users", "add", COORD, "--role", "coordinator", ok=True)
    c.admin("units", "add", "XH", "--name", "新华镇", ok=True)
    c.admin("units", "add", "FGW", "--name", "发改局", "--kind", "department", ok=True)
    c.admin("people", "add", "wang", "--name", "王县长", "--level", "county", "--title", "副县长", ok=True)
    return c


@pytest.fixture
def service(cli):
    """The engine for the ``cli`` database, acting as the coordinator."""
    from workflow.db import make_engine
    from workflow.service import Service

    engine = make_engine(f"sqlite:///{cli.db}")
    yield Service(engine, COORD)
    engine.dispose()


def pipeline_exe() -> str:
    exe = Path(sys.executable).with_name("pipeline")
    return str(exe) if exe.exists() else "pipeline"


def run_pipeline(args: list[str], *, db: str, actor: str = COORD, env: dict | None = None,
                 timeout: float = 120) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "PIPELINE_DB": db, "PIPELINE_USER": actor, "PIPELINE_LANG": "en",
                **(env or {})}
    return subprocess.run([pipeline_exe(), *args], capture_output=True, text=True, env=full_env,
                          timeout=timeout, stdin=subprocess.DEVNULL)
