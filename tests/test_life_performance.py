"""履约评价 (docs/lights-and-reports.md, "履约"): hand-worked commitments and actuals give the documented
statuses, lights and report figures; the threshold and the deadline are ledgered settings; both new
tables are rebuilt by the replay (a tampered row fails `audit verify`) — on SQLite and PostgreSQL."""

from __future__ import annotations

from tests.stages import to_signed
from tests.test_verify_replay import tamper

WAN = 10_000 * 100  # minor units of 1万元


def project(cli, name: str, unit: str = "XH") -> str:
    return cli("project", "add", "--name", name, "--investor", f"{name}公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", unit, "--no-key", "--on", "2026-01-05", json=True,
               ok=True).json["code"]


def to_production(cli, code: str) -> None:
    to_signed(cli, code)
    cli("capital", "add", code, "1000万", ok=True)  # fires fund
    for kind in ("planning_permit", "land_use", "eia", "safety_assessment"):
        cli("doc", "add", code, kind, f"{kind}-{code}", ok=True)
    cli("advance", code, "break_ground", ok=True)
    cli("doc", "add", code, "completion_acceptance", f"验收-{code}", ok=True)
    cli("advance", code, "commission", ok=True)


def county(cli) -> tuple[str, str]:
    """A producing project A (XH) and a signed one B (FGW), with commitments from 2025 and actuals of 2025
    reported on 2026-02-15:

    A: tax 300万 a year (actual 240万: 80.0%, met at 80%), jobs 120 (actual 90: 75.0%, below),
       output value 1亿 (no actual: due by 2026-03-31, then no report);
    B: tax 100万 (actual 10万: below) — not producing, so no 履约 light."""
    a, b = project(cli, "甲"), project(cli, "乙", "FGW")
    to_production(cli, a)
    to_signed(cli, b)
    on = ("--on", "2026-02-01")
    cli("commitment", "add", a, "--kind", "tax", "--per-year", "300万", "--from", "2025", *on, ok=True)
    cli("commitment", "add", a, "--kind", "就业", "--per-year", "120", "--from", "2025", "--to", "2030", *on, ok=True)
    cli("commitment", "add", a, "--kind", "output_value", "--per-year", "1亿", "--from", "2025", *on, ok=True)
    cli("commitment", "add", b, "--kind", "税收", "--per-year", "100万", "--from", "2025", *on, ok=True)
    on = ("--on", "2026-02-15")
    cli("performance", "add", a, "--year", "2025", "--kind", "tax", "240万", *on, ok=True)
    cli("performance", "add", a, "--year", "2025", "--kind", "jobs", "90", *on, ok=True)
    cli("performance", "add", b, "--year", "2025", "--kind", "tax", "10万", *on, ok=True)
    return a, b


def test_hand_worked_statuses_lights_and_figures(cli):
    a, b = county(cli)
    doc = cli("report", "performance", "--year", "2025", json=True, ok=True).json
    assert (doc["met_pct"], doc["deadline"]) == (80, "2026-03-31")
    by_code = {p["code"]: p for p in doc["projects"]}
    items = {i["kind"]: i for i in by_code[a]["items"]}
    assert [i["kind"] for i in by_code[a]["items"]] == ["output_value", "tax", "jobs"]  # kind order
    assert items["tax"] == {"kind": "tax", "committed": {"amount_minor": 300 * WAN, "currency": "CNY"},
                            "actual": {"amount_minor": 240 * WAN, "currency": "CNY"}, "rate_pct": 80.0,
                            "status": "met"}
    assert (items["jobs"]["committed"], items["jobs"]["actual"], items["jobs"]["rate_pct"],
            items["jobs"]["status"]) == (120, 90, 75.0, "below")
    assert (items["output_value"]["actual"], items["output_value"]["status"]) == (None, "no_report")
    assert by_code[a]["status"] == "below" and by_code[a]["producing"] and by_code[a]["light"] == "red"
    assert by_code[b]["status"] == "below" and not by_code[b]["producing"]
    assert doc["totals"] == {"projects": 2, "below": 2, "no_report": 0, "due": 0, "met": 0}
    assert {u["unit"]: u["below"] for u in doc["units"]} == {"FGW": 1, "XH": 1}
    # the light: red for the jobs, yellow for the missing output value; B has no 履约 reason
    shown = cli("project", "show", a, json=True, ok=True).json
    assert shown["light"] == "red"
    assert "jobs 2025: 90 people of 120 people committed (75.0%, below 80%)" in shown["light_reasons"]
    assert "output value 2025: no actual reported by 2026-03-31" in shown["light_reasons"]
    assert any("就业人数" in r and "75.0%" in r for r in shown["light_reasons_zh"])
    warned = {p["code"]: p for p in cli("warnings", json=True, ok=True).json["projects"]}
    assert {d["code"] for d in warned[a]["reasons_detail"]} == {"performance_below", "performance_no_report"}
    assert not any(d["code"].startswith("performance") for d in warned.get(b, {}).get("reasons_detail", []))
    # before the deadline the missing actual is not yet due
    early = cli("report", "performance", "--year", "2025", "--as-of", "2026-03-31", json=True, ok=True).json
    items = {i["kind"]: i["status"] for p in early["projects"] if p["code"] == a for i in p["items"]}
    assert items == {"output_value": "due", "tax": "met", "jobs": "below"}
    # a later actual replaces the earlier one: jobs 96 of 120 is 80.0%, met; output 8000万 is 80%, met
    cli("performance", "add", a, "--year", "2025", "--kind", "jobs", "96", ok=True)
    cli("performance", "add", a, "--year", "2025", "--kind", "产值", "8000万", ok=True)
    again = {p["code"]: p for p in cli("report", "performance", "--year", "2025", json=True, ok=True).json["projects"]}
    assert again[a]["status"] == "met"
    assert not any(r.startswith(("jobs", "output value", "tax")) for r in
                   cli("project", "show", a, json=True, ok=True).json["light_reasons"])
    # the threshold is a ledgered setting in force from its date: at 90% tax (80%) and jobs are below
    cli.admin("performance", "settings", "met_pct=90", "--reason", "考核从严", "--from", "2026-06-01", ok=True)
    strict = {p["code"]: p for p in cli("report", "performance", "--year", "2025", json=True, ok=True).json["projects"]}
    assert {i["kind"]: i["status"] for i in strict[a]["items"]} == {"output_value": "below", "tax": "below",
                                                                     "jobs": "below"}
    assert cli("report", "performance", "--year", "2025", "--as-of", "2026-05-31", json=True,
               ok=True).json["met_pct"] == 80
    assert cli.admin("audit", "verify", json=True).code == 0


def test_bad_input_is_refused_and_changes_nothing(cli):
    a = project(cli, "甲")
    version = cli("project", "show", a, json=True, ok=True).json["version"]
    bad = [
        ("commitment", "add", a, "--kind", "profit", "--per-year", "1万", "--from", "2025"),
        ("commitment", "add", a, "--kind", "tax", "--per-year", "12abc", "--from", "2025"),
        ("commitment", "add", a, "--kind", "tax", "--per-year", "100万美元", "--from", "2025"),
        ("commitment", "add", a, "--kind", "jobs", "--per-year", "1.5", "--from", "2025"),
        ("commitment", "add", a, "--kind", "tax", "--per-year", "1万", "--from", "2027", "--to", "2026"),
        ("commitment", "add", a, "--kind", "tax", "--per-year", "1万", "--from", "1900"),
        ("performance", "add", a, "--year", "2027", "--kind", "tax", "1万"),  # a year not begun
        ("performance", "add", a, "--year", "2025", "--kind", "tax", "-1万"),
    ]
    for args in bad:
        res = cli(*args)
        assert res.code == 2 and "Traceback" not in res.err, (args, res.err)
    assert cli("performance", "settings", "met_pct=70", "--reason", "x").code == 6  # admin only
    assert cli.admin("performance", "settings", "met_pct=0", "--reason", "x").code == 2
    assert cli.admin("performance", "settings", "speed=3").code == 2
    assert cli("report", "performance", "--year", "2099").code == 2
    assert cli("project", "show", a, json=True, ok=True).json["version"] == version
    assert cli("performance", "add", a, "--year", "2025", "--kind", "jobs", "0", json=True, ok=True).json["event"][
        "payload"] == {"year": 2025, "kind": "jobs", "value": 0}  # an actual may be nothing


def test_every_format_writes(cli, tmp_path):
    county(cli)
    for fmt in ("csv", "md", "xlsx", "docx", "html"):
        out = tmp_path / f"r.{fmt}"
        cli("report", "performance", "--year", "2025", "--format", fmt, "--output", str(out), ok=True)
        assert out.stat().st_size > 0
    assert "甲" in (tmp_path / "r.html").read_text(encoding="utf-8")
    text = cli("report", "performance", "--year", "2025", lang="zh", ok=True).out
    assert "履约评价" in text and "未达标" in text


def test_tampered_commitment_and_actual_rows_fail_the_replay(cli):
    a, _ = county(cli)
    tamper(cli, "UPDATE commitment SET per_year = per_year + 1 WHERE kind = 'tax'")
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7
    assert any(f["table"] == "commitment" and f["field"] == "per_year" and f["code"] == a
               for f in res.json["failures"])


def test_a_tampered_actual_fails_the_replay(cli):
    a, _ = county(cli)
    tamper(cli, "UPDATE performance SET value = 300 * 1000000 WHERE kind = 'tax' AND project_id = 1")
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7
    assert any(f["table"] == "performance" and f["field"] == "value" and f["code"] == a
               for f in res.json["failures"])


def test_every_projects_check_binds_no_parameter_per_project(cli):
    """Checking every project reads the year's actuals whole: a parameter per committed project would
    pass PostgreSQL's 65,535 in a large county.  A chunk of ids still binds its ids."""
    from datetime import date

    from sqlalchemy import event

    from workflow import performance
    from workflow.db import make_engine

    a, b = county(cli)
    engine = make_engine(cli.url_for())
    bound: list[int] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, *rest: bound.append(
                     len(params) if "FROM performance " in statement else 0))
    with engine.connect() as conn:
        every = performance.check(conn, 2025, date(2026, 3, 1))
        ids = list(every)
        assert len(ids) == 2  # both projects have commitments covering 2025
        assert max(bound) <= 3  # the year and the date, whatever the number of projects
        bound.clear()
        assert performance.check(conn, 2025, date(2026, 3, 1), ids) == every  # the same answer by ids
        assert max(bound) >= 2 + len(ids)
    engine.dispose()


def test_recorded_kinds_are_labels_in_chinese(cli):
    """``commitment add`` and ``performance add`` name the kind by its label: 年纳税额, 就业人数 under
    ``--lang zh``, never the key ``tax``/``jobs``."""
    code = project(cli, "丙")
    res = cli("commitment", "add", code, "--kind", "年纳税额", "--per-year", "300万", "--from", "2025",
              "--on", "2026-02-01", lang="zh", ok=True)
    assert "已记录履约承诺年纳税额" in res.err and "tax" not in res.err
    res = cli("performance", "add", code, "--year", "2025", "--kind", "就业", "90", "--on", "2026-02-15",
              lang="zh", ok=True)
    assert "已记录 2025 年就业人数实绩 90" in res.err and "jobs" not in res.err
    res = cli("performance", "add", code, "--year", "2025", "--kind", "tax", "240万", "--on", "2026-02-15", ok=True)
    assert "tax paid 2025 actual 240万 recorded" in res.err


def test_as_of_is_today_by_default_as_the_help_says(cli):
    """``report performance`` checks as of today unless ``--as-of`` is given (docs/lights-and-reports.md),
    and its help says so: no period end is involved."""
    from tests.conftest import invoke
    from workflow.clock import today

    assert cli("report", "performance", "--year", "2025", json=True, ok=True).json["as_of"] == today().isoformat()
    for lang, words in (("en", "default: today"), ("zh", "默认：今天")):
        shown = " ".join(invoke(["report", "performance", "--help"], lang=lang).out.split())
        assert words in shown and "period" not in shown.partition("--as-of")[2].partition("--unit")[0]
