"""Real processes racing on one SQLite file: one winner, clean losers, exact sums."""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import pipeline_exe
from tests.stages import to_signed

pytestmark = pytest.mark.slow


def _spawn(args, db):
    env = {**os.environ, "PIPELINE_DB": db, "PIPELINE_USER": "coord", "PIPELINE_LANG": "en"}
    return subprocess.Popen([pipeline_exe(), *args, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, text=True)


def _race(argvs, db):
    procs = [_spawn(a, db) for a in argvs]
    with ThreadPoolExecutor(len(procs)) as pool:
        outs = list(pool.map(lambda p: p.communicate(timeout=180), procs))
    return [(p.returncode, o, e) for p, (o, e) in zip(procs, outs, strict=True)]


def test_twelve_processes_advance_the_same_project(cli):
    code = cli("project", "add", "--name", "博士慧风电项目", "--investor", "博士慧风电有限公司", "--industry", "energy",
               "--investment", "8000万", "--unit", "XH", json=True, ok=True).json["code"]
    version = cli("project", "show", code, json=True).json["version"]
    # half race on the trigger alone, half with the version they read
    argvs = [["advance", code, "submit"] + (["--expect-version", str(version)] if i % 2 else []) for i in range(12)]
    results = _race(argvs, cli.db)
    codes = sorted(r[0] for r in results)
    assert codes.count(0) == 1, results
    assert set(codes) - {0} <= {3, 5}, results
    for _rc, _out, err in results:
        assert "locked" not in err and "Traceback" not in err
    events = cli("history", code, json=True).json["events"]
    assert [e["kind"] for e in events] == ["registered", "transition"]
    assert cli("project", "show", code, json=True).json["stage"] == "screening"


def test_ten_processes_add_capital_and_the_sum_is_exact(cli):
    code = cli("project", "add", "--name", "黑龙江诺宝新能源生物质发电", "--investor", "黑龙江诺宝新能源开发有限公司",
               "--industry", "energy", "--investment", "3000万", "--unit", "XH", json=True, ok=True).json["code"]
    to_signed(cli, code)  # capital is recorded from `signed` on; the first arrival fires `fund`
    amounts = [f"{i}万" for i in range(1, 11)]
    results = _race([["capital", "add", code, a] for a in amounts], cli.db)
    assert [r[0] for r in results] == [0] * 10, results
    view = cli("project", "show", code, json=True).json
    assert view["capital_in_place"] == [{"amount_minor": sum(range(1, 11)) * 10_000 * 100, "currency": "CNY"}]
    events = cli("history", code, json=True).json["events"]
    assert [e["seq"] for e in events] == list(range(1, 22))  # registration, 9 to sign, 10 capital, fund
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(events, events[1:], strict=False))
