"""`pipeline demo`: a realistic county in the default database, deterministic, careful with real data."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ADMIN, Cli, pipeline_exe
from workflow import clock


def fresh_home_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPELINE_")}
    env.update(HOME=str(home), XDG_DATA_HOME=str(home / ".local" / "share"), PIPELINE_LANG="en")
    return env


def run(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([pipeline_exe(), *args], capture_output=True, text=True, env=env, timeout=300,
                          stdin=subprocess.DEVNULL)


def bimonth(today) -> str:
    return f"{today.year}-B{(today.month + 1) // 2}"


def test_demo_from_a_fresh_home(tmp_path):
    env = fresh_home_env(tmp_path)
    done = run(["demo"], env)
    assert done.returncode == 0, done.stderr
    db = tmp_path / ".local" / "share" / "pipeline" / "pipeline.db"
    assert db.exists()  # the default database, in the user data directory
    assert "demo county built" in done.stderr
    assert "P-00" in done.stdout  # the board (or the project list) on stdout
    listed = json.loads(run(["project", "list", "--json"], env).stdout)["projects"]
    stages = {p["stage"] for p in listed}
    assert len(listed) >= 30 and len(stages) >= 7
    assert {"lead", "screening", "production", "rejected", "withdrawn", "on_hold"} <= stages
    assert {p["light"] for p in listed} >= {"red", "yellow", "green"}
    verify = json.loads(run(["audit", "verify", "--json"], env).stdout)
    assert verify["ok"] and verify["projects"] == len(listed)
    bulletin = run(["report", "bulletin", "--period", bimonth(clock.today()), "--json"], env)
    if "No such command" in bulletin.stderr + bulletin.stdout:  # pragma: no cover - reports not installed
        pytest.skip("`report bulletin` is not available")
    totals = json.loads(bulletin.stdout)["totals"]
    assert totals["signed"] > 0 and totals["key_projects"] > 0 and totals["over_100m"] > 0
    money = {(m["currency"]): m["amount_minor"] for m in totals["capital_in_place"]}
    assert money.get("CNY", 0) > 0 and money.get("USD", 0) > 0
    assert sum(m["amount_minor"] for m in totals["investment_completed"]) > 0
    assert sum(totals["projects_by_stage"].values()) == len(listed)
    # run again: a demo database is rebuilt, not added to
    again = run(["demo", "--no-show", "--json"], env)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["projects"] == len(listed)


def demo(cli: Cli, *args, **kw):
    return cli.admin("demo", "--no-show", *args, **kw)


def test_the_demo_refuses_a_database_with_other_data_unless_forced(cli, tmp_path):
    cli("project", "add", "--name", "真实项目", "--investor", "i", "--industry", "x", "--investment", "1亿",
        "--unit", "XH", ok=True)
    refused = demo(cli, json=True)
    assert refused.code == 2 and "--force" in refused.json["error"]["message"]
    assert cli("project", "show", "P-0001", json=True, ok=True).json["name"] == "真实项目"
    forced = demo(cli, "--force", "--projects", "20", json=True, ok=True).json
    backup = Path(forced["replaced"]["backup"])
    assert backup.exists() and backup.name.startswith("pipeline.db.bak-")
    assert forced["projects"] == 20
    kept = Cli(str(backup))
    assert kept("project", "show", "P-0001", actor=ADMIN, json=True, ok=True).json["name"] == "真实项目"
    assert cli("project", "show", "P-0001", json=True, ok=True).json["name"] == "翠宏山铁多金属矿采选项目"


def content(cli: Cli) -> tuple:
    projects = cli.admin("project", "list", json=True, ok=True).json["projects"]
    summary = [(p["code"], p["name"], p["stage"], p["stage_since"], p["unit"], p["key"],
                p["planned_investment"]["amount_minor"], tuple(sorted((x["role"], x["login"]) for x in p["leaders"])))
               for p in projects]
    histories = []
    for code in ("P-0001", "P-0005", "P-0014", projects[-1]["code"]):
        events = cli.admin("history", code, json=True, ok=True).json["events"]
        histories.append([(e["seq"], e["kind"], e["trigger"], e["effective_on"], e["actor"], e["reason"],
                           json.dumps(e["payload"], sort_keys=True)) for e in events])
    return summary, histories


def test_the_demo_is_deterministic_for_a_seed(tmp_path):
    first = Cli(str(tmp_path / "demo.db"))
    demo(first, "--projects", "40", "--seed", "3", ok=True)
    a = content(first)
    demo(first, "--projects", "40", "--seed", "3", ok=True)  # a demo database is rebuilt
    assert content(first) == a
    demo(first, "--projects", "40", "--seed", "4", ok=True)
    assert content(first) != a


def test_the_demo_story(tmp_path):
    c = Cli(str(tmp_path / "demo.db"))
    summary = demo(c, json=True, ok=True).json
    assert summary["projects"] == 60 and len(summary["stages"]) == 10
    today = clock.today().isoformat()
    events = [e for code in ("P-0001", "P-0002", "P-0005", "P-0007", "P-0009", "P-0010", "P-0014")
              for e in c.admin("history", code, json=True, ok=True).json["events"]]
    kinds = {e["kind"] for e in events}
    assert {"registered", "assignment", "check", "document", "capital", "investment", "followup",
            "transition"} <= kinds
    triggers = {e["trigger"] for e in events if e["kind"] == "transition"}
    assert {"submit", "approve", "sign", "fund", "break_ground", "reject", "withdraw", "hold", "resume"} <= triggers
    assert {e["payload"]["currency"] for e in events if e["kind"] == "capital"} == {"CNY", "USD"}
    assert all(e["effective_on"] <= today for e in events)
    for code in ("P-0001", "P-0005", "P-0014"):  # effective dates in order along each history
        dates = [e["effective_on"] for e in c.admin("history", code, json=True).json["events"]]
        assert dates == sorted(dates)
    rejected = c.admin("project", "show", "P-0009", json=True, ok=True).json
    assert rejected["stage"] == "rejected"
    red = c.admin("project", "show", "P-0015", json=True, ok=True).json  # a key project nobody leads yet
    assert red["light"] == "red" and any("lead leader" in r for r in red["light_reasons"])
    people = c.admin("people", "list", json=True, ok=True).json["people"]
    assert {p["level"] for p in people} == {"county", "township", "department"}
    assert c.admin("audit", "verify", json=True, ok=True).json["ok"]


def test_a_tiny_demo(tmp_path):
    c = Cli(str(tmp_path / "demo.db"))
    summary = demo(c, "--projects", "3", json=True, ok=True).json
    assert summary["projects"] == 3
    out = c.admin("demo", "--projects", "3")  # with the board
    assert out.code == 0 and "active projects" in out.out  # the board
