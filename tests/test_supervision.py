"""督办 (docs/supervision.md): problems, the escalation ladder day by day, extension, reopen, letters numbered
without gaps and idempotent (HTML and a real DOCX), the red light and its reason, the promised
follow-up light, the dispatch and evaluation columns on a hand-worked county, the to-do order —
on SQLite and PostgreSQL — and ``audit verify`` over all of it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import ADMIN

D = date.fromisoformat
# settings changes say why, and are in force from before the dates these tests look at
DATED = ("--reason", "test", "--from", "2026-01-01")


def project(cli, name: str = "蓝莓深加工", on: str = "2026-01-05", unit: str = "XH") -> str:
    return cli("project", "add", "--name", name, "--investor", f"{name}有限公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", unit, "--on", on, json=True, ok=True).json["code"]


def problem(cli, code: str, text: str, *, due: str, on: str, owner: str = "FGW", kind: str = "land",
            person: str | None = None) -> int:
    args = ["problem", "add", code, text, "--kind", kind, "--owner", owner, "--due", due, "--on", on]
    if person:
        args += ["--person", person]
    return cli(*args, json=True, ok=True).json["id"]


def levels(cli, as_of: str, **filters) -> dict[int, int | None]:
    args = ["problem", "list", "--all", "--as-of", as_of]
    for k, v in filters.items():
        args += [f"--{k}", v]
    return {p["id"]: p["level"] for p in cli(*args, json=True, ok=True).json["problems"]}


def verify_ok(cli) -> None:
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 0, res.out + res.err


# --- the ladder --------------------------------------------------------------------------------------


def expected_level(due: date, day: date, remind=3, head=7, leader=15, top=30) -> int:
    late = (day - due).days
    return 5 if late > top else 4 if late > leader else 3 if late > head else 2 if late > 0 else \
        1 if -late <= remind else 0


def test_ladder_boundaries_day_by_day(cli, service):
    from workflow import supervision
    from workflow.settings import ladder

    code = project(cli)
    pid = problem(cli, code, "用地指标未落实", due="2026-03-01", on="2026-02-01", person="wang")
    # each level's first and last day, through the command line
    first_last = {"2026-02-25": 0, "2026-02-26": 1, "2026-03-01": 1, "2026-03-02": 2, "2026-03-08": 2,
                  "2026-03-09": 3, "2026-03-16": 3, "2026-03-17": 4, "2026-03-31": 4, "2026-04-01": 5}
    for day, level in first_last.items():
        assert levels(cli, day) == {pid: level}, day
    assert levels(cli, "2026-01-31") == {}  # not yet opened
    # every day from a month before to two months after, from history
    with service.engine.connect() as conn:
        lad = ladder(conn)
        day = D("2026-02-01")
        while day <= D("2026-05-01"):
            (p,) = supervision.problem_states(conn, day, lad)
            assert p["level"] == expected_level(D("2026-03-01"), day), day
            assert p["overdue_days"] == max(0, (day - D("2026-03-01")).days)
            day += timedelta(days=1)
    # every figure is a setting: moving the unit head's threshold moves level 3's first day
    assert cli("supervision", "ladder", "set", *DATED, "unit_head_days=10").code == 6  # admin only
    cli.admin("supervision", "ladder", "set", *DATED, "unit_head_days=10", ok=True)
    assert levels(cli, "2026-03-11") == {pid: 2} and levels(cli, "2026-03-12") == {pid: 3}
    shown = cli("supervision", "ladder", "show", json=True, ok=True).json
    assert shown["ladder"]["unit_head_days"] == 10 and shown["stored"] == {"unit_head_days": 10}
    assert cli.admin("supervision", "ladder", "set", *DATED, "unit_head_days=40").code == 2  # above county_leader_days
    assert cli.admin("supervision", "ladder", "set", *DATED, "remind_days=-1").code == 2
    assert cli.admin("supervision", "ladder", "set", *DATED, "no_such=1").code == 2
    assert cli("supervision", "ladder", "show", json=True, ok=True).json["ladder"]["unit_head_days"] == 10


def test_ladder_figures_are_bounded_and_letters_are_written_with_the_largest(cli, tmp_path):
    """Days up to 3650, points as the 履约 check's (0..100), levels up to 5: anything else is bad input
    that stores nothing, and ``supervision letters`` writes its letters with the largest figures."""
    code = project(cli)
    problem(cli, code, "用地指标未落实", due="2026-03-01", on="2026-02-01")
    for item in ("reply_days=5000000", "remind_days=3651", "deduct_points=101", "deduct_points=99999999999999999999999",
                 "red_level=6"):
        res = cli.admin("supervision", "ladder", "set", *DATED, item, json=True)
        assert res.code == 2, item
    res = cli.admin("supervision", "ladder", "set", *DATED, "reply_days=5000000", json=True)
    assert "from 0 to 3650" in res.json["error"]["message"] and "5000000" in res.json["error"]["message"]
    res = cli.admin("supervision", "ladder", "set", *DATED, "deduct_points=101", json=True)
    assert "from 0 to 100" in res.json["error"]["message"]
    assert cli("supervision", "ladder", "show", json=True, ok=True).json["stored"] == {}
    cli.admin("supervision", "ladder", "set", *DATED, "reply_days=3650", "deduct_points=100",
              "top_leader_days=3650", ok=True)
    out = tmp_path / "letters"
    (letter,) = cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), json=True,
                    ok=True).json["letters"]
    html = (out / letter["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert "请于3月7日前" in html  # 2026-03-10 + 3650 days: 2036-03-07


def test_ladder_set_checks_against_the_figures_in_force(cli):
    """Whether the days rise is checked with the figures in force from --from (and on every later date),
    not with the defaults, and the refusal quotes the figures that would be in force."""
    cli.admin("supervision", "ladder", "set", *DATED, "top_leader_days=100", ok=True)
    cli.admin("supervision", "ladder", "set", *DATED, "county_leader_days=50", ok=True)  # 7 ≤ 50 ≤ 100
    res = cli.admin("supervision", "ladder", "set", *DATED, "county_leader_days=150", json=True)
    assert res.code == 2 and "(got 7, 150, 100)" in res.json["error"]["message"]
    # a later change of the top leader's days is checked against the county leader's days in force
    res = cli.admin("supervision", "ladder", "set", "--reason", "test", "--from", "2026-06-01", "top_leader_days=40",
                    json=True)
    assert res.code == 2 and "(got 7, 50, 40)" in res.json["error"]["message"]
    shown = cli("supervision", "ladder", "show", "--as-of", "2026-07-01", json=True, ok=True).json
    assert shown["stored"] == {"top_leader_days": 100, "county_leader_days": 50}


def test_a_refused_letters_run_makes_no_directory(cli, tmp_path):
    """The output directory is made only when there are letters to write: not for a run refused (not
    allowed, a bad option), nor for one that issues nothing."""
    code = project(cli)
    problem(cli, code, "用地指标未落实", due="2026-03-01", on="2026-02-01")
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    refused = {"not_allowed": (tmp_path / "a", ["--as-of", "2026-03-10"], "aud", 6),
               "bad_level": (tmp_path / "b", ["--as-of", "2026-03-10", "--min-level", "7"], None, 2),
               "reprint_alone": (tmp_path / "c", ["--reprint", "x", "--min-level", "2"], None, 2),
               "nothing_due": (tmp_path / "d" / "e", ["--as-of", "2026-02-02"], None, 0)}
    for name, (out, args, actor, exit_code) in refused.items():
        kw = {"actor": actor} if actor else {}
        assert cli("supervision", "letters", *args, "--output", str(out), **kw).code == exit_code, name
        assert not out.exists(), name
    out = tmp_path / "made" / "here"
    cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), ok=True)
    assert [p.suffix for p in out.iterdir()] == [".html"]


def test_ladder_level_is_pure():
    from workflow.settings import Ladder

    lad = Ladder()
    due = D("2026-06-30")
    assert [lad.level(due, due + timedelta(days=n)) for n in (-4, -3, 0, 1, 7, 8, 15, 16, 30, 31)] == \
        [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]


# --- problems: shapes, ordering, extension, reopen -------------------------------------------------------


def test_problem_list_shape_order_and_filters(cli):
    a, b = project(cli, "甲"), project(cli, "乙", unit="FGW")
    p1 = problem(cli, a, "环评", kind="environment", due="2026-04-01", on="2026-02-01", owner="XH")
    p2 = problem(cli, b, "供电", kind="power", due="2026-03-01", on="2026-02-01", person="wang")
    p3 = problem(cli, a, "道路", kind="road", due="2026-03-20", on="2026-02-02")
    doc = cli("problem", "list", "--as-of", "2026-03-21", json=True, ok=True).json
    assert [p["id"] for p in doc["problems"]] == [p2, p3, p1]  # level 4, then 2, then 0
    assert doc["problems"][0] == {"id": p2, "project": b, "kind": "power", "text": "供电", "owner_unit": "FGW",
                                  "owner_person": "wang", "due": "2026-03-01", "status": "open", "level": 4,
                                  "overdue_days": 20}
    assert [p["id"] for p in cli("problem", "list", "--as-of", "2026-03-21", "--overdue", json=True,
                                 ok=True).json["problems"]] == [p2, p3]
    assert [p["id"] for p in cli("problem", "list", "--as-of", "2026-03-21", "--unit", "XH", json=True,
                                 ok=True).json["problems"]] == [p1]
    assert [p["id"] for p in cli("problem", "list", "--as-of", "2026-03-21", "--project", a, json=True,
                                 ok=True).json["problems"]] == [p3, p1]
    # bad input changes nothing and names the field; unknown things are exit 4
    before = cli("history", a, json=True, ok=True).json["events"]
    assert cli("problem", "add", a, "x", "--kind", "magic", "--owner", "XH", "--due", "2027-05-01").code == 2
    assert cli("problem", "add", a, "x", "--kind", "land", "--owner", "NOPE", "--due", "2027-05-01").code == 4
    assert cli("problem", "add", a, "x", "--kind", "land", "--owner", "XH", "--person", "ghost",
               "--due", "2027-05-01").code == 4
    assert cli("problem", "add", a, "x", "--kind", "land", "--owner", "XH", "--due", "2026-01-01",
               "--on", "2026-02-01").code == 2  # due before it is opened
    assert cli("problem", "add", a, " ", "--kind", "land", "--owner", "XH", "--due", "2027-05-01").code == 2
    assert cli("problem", "add", a, "x", "--kind", "land", "--owner", "XH", "--due", "2027-05-01",
               "--source", "rumour").code == 2
    assert cli("problem", "show", "999", json=True).code == 4
    assert cli("problem", "update", "999", "x").code == 4
    assert cli("problem", "add", a, "x", "--kind", "land", "--owner", "XH", "--due", "2027-05-01",
               actor="nobody").code == 6
    assert cli("history", a, json=True, ok=True).json["events"] == before
    verify_ok(cli)


def test_extension_only_before_the_due_date(cli):
    code = project(cli)
    pid = problem(cli, code, "能耗指标", kind="energy", due="2026-03-01", on="2026-02-01")
    ext = cli("problem", "extend", str(pid), "--to", "2026-03-20", "--reason", "省厅审批中", "--on", "2026-03-01",
              json=True, ok=True).json
    assert ext["event"]["kind"] == "problem_extend" and ext["event"]["payload"]["due"] == "2026-03-20"
    # the extension moves the due date for the ladder, from the day it was granted
    assert levels(cli, "2026-03-05") == {pid: 0}
    assert levels(cli, "2026-02-28") == {pid: 1}  # before the extension: the first due date
    before = cli("history", code, json=True, ok=True).json["events"]
    res = cli("problem", "extend", str(pid), "--to", "2026-04-30", "--reason", "再延", "--on", "2026-03-21", json=True)
    assert res.code == 3 and "2026-03-20" in res.json["error"]["message"]
    assert cli("problem", "extend", str(pid), "--to", "2026-03-10", "--reason", "earlier",
               "--on", "2026-03-05").code == 2  # not later than the due date
    assert cli("history", code, json=True, ok=True).json["events"] == before
    assert levels(cli, "2026-03-21") == {pid: 2}
    verify_ok(cli)


def test_close_and_reopen_keep_the_due_date(cli):
    code = project(cli)
    pid = problem(cli, code, "资金缺口", kind="funding", due="2026-03-01", on="2026-02-01")
    cli("problem", "update", str(pid), "已对接银行", "--on", "2026-02-15", ok=True)
    cli("problem", "close", str(pid), "--resolution", "贷款到位", "--on", "2026-02-20", ok=True)
    assert cli("problem", "close", str(pid), "--resolution", "again", "--on", "2026-02-21").code == 3
    assert cli("problem", "update", str(pid), "late news", "--on", "2026-02-21").code == 3
    assert cli("problem", "extend", str(pid), "--to", "2026-05-01", "--reason", "x", "--on", "2026-02-21").code == 3
    assert cli("problem", "list", "--as-of", "2026-03-10", json=True, ok=True).json["problems"] == []
    closed = cli("problem", "list", "--all", "--as-of", "2026-03-10", json=True, ok=True).json["problems"]
    assert closed[0]["status"] == "closed" and closed[0]["level"] is None and closed[0]["overdue_days"] is None
    res = cli("problem", "reopen", str(pid), "--reason", "贷款未放款", "--on", "2026-03-10", json=True, ok=True)
    assert res.json["event"]["kind"] == "problem_reopen"
    assert cli("problem", "reopen", str(pid), "--reason", "again", "--on", "2026-03-10").code == 3
    # back open, still against the first due date: 9 days overdue is level 3
    assert levels(cli, "2026-03-10") == {pid: 3}
    # reproducible: before the close it was open, between close and reopen closed
    assert levels(cli, "2026-02-19") == {pid: 0} and levels(cli, "2026-03-01") == {pid: None}
    assert cli("problem", "update", str(pid), "backdated", "--on", "2026-03-01").code == 2  # before the last entry
    shown = cli("problem", "show", str(pid), "--as-of", "2026-03-10", json=True, ok=True).json
    assert [a["action"] for a in shown["actions"]] == ["update", "close", "reopen"]
    assert shown["first_due"] == shown["due"] == "2026-03-01" and shown["addressee"]["zh"] == "发改局主要负责人"
    verify_ok(cli)


# --- letters -------------------------------------------------------------------------------------------


def cells_of(document, table: int = 0) -> dict[str, str]:
    return {r.cells[0].text: r.cells[1].text for r in document.tables[table].rows}


def test_letters_numbered_without_gaps_idempotent_and_in_docx(cli, tmp_path):
    import docx

    code = project(cli)
    cli.admin("reassign", code, "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-10", ok=True)
    other = project(cli, "乙", unit="FGW")
    p1 = problem(cli, code, "用地<b>指标</b>未落实", due="2026-03-01", on="2026-02-01", person="wang")
    p2 = problem(cli, other, "=HYPERLINK(\"x\")", kind="permit", due="2026-03-05", on="2026-02-01", owner="XH")
    problem(cli, other, "供水", kind="water", due="2026-06-01", on="2026-02-01", owner="XH")  # level 0: none
    out = tmp_path / "letters"
    first = cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), json=True, ok=True).json
    assert [(x["number"], x["problem"], x["level"]) for x in first["letters"]] == \
        [("〔2026〕1号", p1, 3), ("〔2026〕2号", p2, 2)]
    html = (out / first["letters"][0]["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert "&lt;b&gt;指标&lt;/b&gt;" in html and "<b>指标" not in html and "size: A4" in html
    for field in ("〔2026〕1号", "督办事项", "承办单位", "发改局", "责任人", "王县长", "办理时限", "2026年3月1日",
                  "反馈要求", "督办等级", "3级", "发改局主要负责人"):
        assert field in html, field
    # the same date again issues nothing; nor does a date where nobody climbed
    assert cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), json=True,
               ok=True).json == {"letters": []}
    assert cli("supervision", "letters", "--as-of", "2026-03-11", "--output", str(out), json=True,
               ok=True).json == {"letters": []}
    # p1 reaches level 4 (the project's lead leader), p2 level 3: the numbers go on, as DOCX
    later = cli("supervision", "letters", "--as-of", "2026-03-17", "--output", str(out), "--format", "docx",
                json=True, ok=True).json["letters"]
    assert [(x["number"], x["problem"], x["level"]) for x in later] == [("〔2026〕3号", p1, 4), ("〔2026〕4号", p2, 3)]
    assert later[0]["addressee"] == "王县长（包保县领导）"
    document = docx.Document(later[0]["file"])
    text = "\n".join(p.text for p in document.paragraphs)
    cells = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    assert "〔2026〕3号" in text and "王县长同志：" in text and "你单位" not in text  # a person: XX同志
    assert cells_of(document)["督办对象"] == "王县长（包保县领导）"
    assert cells["编号"] == "〔2026〕3号" and cells["督办事项"].startswith("用地<b>指标</b>未落实")
    assert cells["承办单位"] == "发改局" and cells["责任人"] == "王县长" and cells["办理时限"] == "2026年3月1日"
    assert cells["督办等级"].startswith("4级") and cells["项目"].startswith(code) and cells["反馈要求"]
    # --min-level, bad input
    assert cli("supervision", "letters", "--as-of", "2026-03-17", "--min-level", "9", "--output", str(out)).code == 2
    assert cli("supervision", "letters", "--as-of", "2026-03-17", "--format", "pdf", "--output", str(out)).code == 2
    assert cli("supervision", "letters", "--as-of", "2026-03-17").code == 2  # no --output
    assert cli("supervision", "letters", "--as-of", "2099-01-01", "--output", str(out)).code == 2
    # letters are history events, shown with the problem; verify replays them
    kinds = [e["kind"] for e in cli("history", code, json=True, ok=True).json["events"]]
    assert kinds.count("letter") == 2
    shown = cli("problem", "show", str(p1), "--as-of", "2026-03-17", json=True, ok=True).json
    assert [x["number"] for x in shown["letters"]] == ["〔2026〕1号", "〔2026〕3号"]
    verify_ok(cli)


# --- lights --------------------------------------------------------------------------------------------


def test_problem_at_level_three_turns_the_project_red_naming_it(cli):
    code = project(cli, on="2026-02-01")
    cli("followup", "add", code, "走访", "--on", "2026-03-05", ok=True)
    pid = problem(cli, code, "环评批复未下达", kind="environment", due="2026-03-01", on="2026-02-10")
    level2 = cli("project", "show", code, "--as-of", "2026-03-08", json=True, ok=True).json
    assert level2["light"] == "green" and [p["id"] for p in level2["problems"]] == [pid]
    level3 = cli("project", "show", code, "--as-of", "2026-03-09", json=True, ok=True).json
    assert level3["light"] == "red"
    assert level3["light_reasons"] == [f"problem #{pid} (环评批复未下达) at supervision level 3"]
    assert level3["light_reasons_zh"] == [f"问题#{pid}（环评批复未下达）督办等级3级"]
    warned = cli("warnings", "--as-of", "2026-03-09", json=True, ok=True).json["projects"]
    assert [(w["code"], w["light"]) for w in warned] == [(code, "red")]
    board = cli("board", "--as-of", "2026-03-09", json=True, ok=True).json
    assert [p["id"] for p in board["problems"]] == [pid]
    card = cli("project", "show", code, "--as-of", "2026-03-09", ok=True).out
    assert f"#{pid} 环评批复未下达 (FGW, due 2026-03-01, level 3)" in card
    assert f"#{pid} 环评批复未下达 (FGW, due 2026-03-01, level 3)" in \
        cli("board", "--as-of", "2026-03-09", ok=True).out
    cli("problem", "close", str(pid), "--resolution", "已批复", "--on", "2026-03-10", ok=True)
    assert cli("project", "show", code, "--as-of", "2026-03-10", json=True, ok=True).json["light"] == "green"
    # the red level is a setting
    cli.admin("supervision", "ladder", "set", *DATED, "red_level=2", ok=True)
    assert cli("project", "show", code, "--as-of", "2026-03-02", json=True, ok=True).json["light"] == "red"


def test_promised_followup_light(cli):
    code = project(cli, on="2026-02-01")
    res = cli("followup", "add", code, "约见李总", "--contact", "李总", "--next-step", "送可研报告",
              "--next-on", "2026-03-10", "--on", "2026-03-01", json=True, ok=True).json
    assert res["event"]["payload"] == {"note": "约见李总", "contact": "李总", "next_step": "送可研报告",
                                        "next_on": "2026-03-10"}
    plain = cli("followup", "add", code, "电话", "--on", "2026-02-20", json=True, ok=True).json
    assert plain["event"]["payload"] == {"note": "电话"}  # a plain note hashes as it always did

    def show(day):
        return cli("project", "show", code, "--as-of", day, json=True, ok=True).json

    assert show("2026-03-10")["light"] == "green"  # due that day: not missed yet
    missed = show("2026-03-11")
    assert missed["light"] == "yellow" and missed["light_reasons"] == ["promised follow-up on 2026-03-10 not recorded"]
    assert missed["light_reasons_zh"] == ["承诺2026-03-10跟进，尚无记录"]
    due = cli("followup", "list", "--due", json=True, ok=True).json["due"]
    assert [(d["project"], d["next_on"], d["next_step"]) for d in due] == [(code, "2026-03-10", "送可研报告")]
    # a later follow-up keeps the promise (as of its date; before it, the light was yellow)
    cli("followup", "add", code, "已送报告", "--on", "2026-03-12", ok=True)
    assert show("2026-03-13")["light"] == "green" and show("2026-03-11")["light"] == "yellow"
    assert cli("followup", "list", "--due", json=True, ok=True).json["due"] == []
    listed = cli("followup", "list", "--project", code, json=True, ok=True).json["followups"]
    assert [f["note"] for f in listed] == ["已送报告", "约见李总", "电话"]
    assert cli("followup", "add", code, "x", "--next-on", "2026-01-01", "--on", "2026-03-12").code == 2
    assert cli("followup", "add", code, "x", "--next-on", "soon").code == 2
    verify_ok(cli)


# --- reports on a hand-worked county -----------------------------------------------------------------


def test_dispatch_and_evaluation_on_a_hand_worked_county(cli, tmp_path):
    a = project(cli, "甲", on="2026-01-05")
    b = project(cli, "乙", on="2026-01-05", unit="FGW")
    cli.admin("targets", "set", "XH", "2026", "--signed", "2", "--reason", "年度目标", ok=True)
    cli.admin("targets", "set", "FGW", "2026", "--signed", "1", "--reason", "年度目标", ok=True)
    p1 = problem(cli, b, "用地", due="2026-03-01", on="2026-02-01", owner="FGW")  # level 5 on 06-30
    p2 = problem(cli, a, "供电", kind="power", due="2026-06-28", on="2026-04-01", owner="XH")  # level 2
    p3 = problem(cli, a, "=1+1 供水", kind="water", due="2026-07-10", on="2026-04-01", owner="XH")  # level 0
    p4 = problem(cli, b, "道路", kind="road", due="2026-05-30", on="2026-04-02", owner="FGW")
    cli("problem", "close", str(p4), "--resolution", "已通车", "--on", "2026-05-10", ok=True)  # closed in Q2
    p5 = problem(cli, a, "许可", kind="permit", due="2026-03-30", on="2026-02-02", owner="XH")
    cli("problem", "close", str(p5), "--resolution", "已办结", "--on", "2026-03-20", ok=True)  # closed in Q1
    doc = cli("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-06-30", json=True, ok=True).json
    sup = doc["supervision"]
    assert sup["open"] == 3 and sup["closed"] == 1
    assert [(u["unit"], [(p["id"], p["level"]) for p in u["problems"]], u["overdue"]) for u in sup["units"]] == \
        [("FGW", [(p1, 5)], 1), ("XH", [(p2, 2), (p3, 0)], 1)]
    assert [(p["id"], p["closed_on"]) for p in sup["closed_problems"]] == [(p4, "2026-05-10")]
    md = cli("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-06-30", "--format", "md", ok=True).out
    assert "供电" in md and "已通车" not in md and "道路" in md
    import openpyxl

    xlsx = tmp_path / "dispatch.xlsx"
    cli("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-06-30", "--format", "xlsx", "--output",
        str(xlsx), ok=True)
    cells = [c for row in openpyxl.load_workbook(xlsx)["problems_open"].iter_rows() for c in row]
    (formula,) = [c for c in cells if c.value == "=1+1 供水"]
    assert formula.data_type == "s"  # text, never a formula

    def evaluation():
        units = cli("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", json=True, ok=True).json
        return {u["unit"]: (u["problems_escalated"], u["problem_deduction"], u["score"]) for u in units["units"]}

    cli.admin("supervision", "ladder", "set", *DATED, "deduct_points=0", ok=True)
    base = evaluation()
    assert base == {"FGW": (1, 0, 0.0), "XH": (1, 0, 0.0)}
    cli.admin("supervision", "ladder", "set", *DATED, "deduct_points=2", ok=True)
    assert evaluation() == {"FGW": (1, 2, -2.0), "XH": (1, 2, -2.0)}
    cli.admin("supervision", "ladder", "set", *DATED, "deduct_min_level=3", ok=True)  # p2 (level 2) no longer counts
    assert evaluation() == {"FGW": (1, 2, -2.0), "XH": (0, 0, 0.0)}
    md = cli("report", "evaluation", "--period", "2026", "--as-of", "2026-06-30", "--format", "md", ok=True).out
    assert "Problem deduction" in md
    verify_ok(cli)


# --- to-do ---------------------------------------------------------------------------------------------


def test_todo_order(cli):
    code = project(cli, on="2026-01-05")
    cli.admin("reassign", code, "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-06", ok=True)
    cli("followup", "add", code, "走访", "--next-on", "2026-03-08", "--on", "2026-03-01", ok=True)
    p_own = problem(cli, code, "用地", due="2026-03-02", on="2026-02-01", person="wang")  # level 3 on 03-10
    other = project(cli, "乙", on="2026-01-05", unit="FGW")
    p_up = problem(cli, other, "能耗", kind="energy", due="2026-02-10", on="2026-02-01", owner="FGW")  # level 4
    cli.admin("reassign", other, "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-06", ok=True)
    problem(cli, other, "无关", kind="other", due="2026-03-30", on="2026-02-01", owner="XH")  # not wang's
    doc = cli("todo", "--for", "wang", "--as-of", "2026-03-10", json=True, ok=True).json
    items = doc["items"]
    assert doc["login"] == "wang" and doc["as_of"] == "2026-03-10"
    assert [i["urgency"] for i in items] == sorted((i["urgency"] for i in items), reverse=True)
    kinds = [(i["kind"], i["project"]) for i in items]
    # level 4 problem (80) > red reasons (70) > level 3 problem (70, earlier date first) > missed promise (45)
    assert kinds[0] == ("problem", other) and items[0]["urgency"] == 80 and f"#{p_up}" in items[0]["text"]
    assert ("problem", code) in kinds and any(f"#{p_own}" in i["text"] for i in items)
    assert kinds.index(("followup", code)) > kinds.index(("problem", code))
    red = [i for i in items if i["kind"] == "red"]
    assert red and all(i["urgency"] == 70 for i in red)
    assert all(set(i) >= {"kind", "project", "text", "date", "urgency"} for i in items)
    assert not any("无关" in i["text"] for i in items)
    # the acting user by default (the coordinator registered both projects, so their reasons are theirs);
    # someone with nothing to do gets an empty list, and why
    assert ("followup", code) in [(i["kind"], i["project"]) for i in
                                  cli("todo", "--as-of", "2026-03-10", json=True, ok=True).json["items"]]
    assert cli.admin("todo", "--as-of", "2026-03-10", json=True, ok=True).json["items"] == []
    assert cli("todo", "--for", "ghost", json=True).code == 4
    assert cli("todo", "--for", "wang", "--as-of", "2026-03-10", ok=True).out.count("P-000") >= 3


@pytest.mark.parametrize("lang", ["zh"])
def test_chinese_labels(cli, lang):
    code = project(cli)
    problem(cli, code, "用地", due="2026-03-01", on="2026-02-01")
    out = cli("problem", "list", "--as-of", "2026-03-20", lang=lang, ok=True).out
    assert "督办等级" in out and "用地指标" in out
    assert "县主要领导督办" in cli("supervision", "ladder", "show", lang=lang, ok=True).out


def test_top_leader_setting(cli, tmp_path):
    code = project(cli)
    cli.admin("people", "add", "li", "--name", "李书记", "--level", "county", ok=True)
    assert cli.admin("supervision", "ladder", "set", *DATED, "top_leader=ghost").code == 2
    cli.admin("supervision", "ladder", "set", *DATED, "top_leader=li", ok=True)
    pid = problem(cli, code, "用地", due="2026-03-01", on="2026-02-01")
    letters = cli("supervision", "letters", "--as-of", "2026-04-05", "--output", str(tmp_path), json=True,
                  ok=True, actor=ADMIN).json["letters"]
    assert [(x["problem"], x["level"], x["addressee"]) for x in letters] == [(pid, 5, "李书记（县主要领导）")]
    todo = cli("todo", "--for", "li", "--as-of", "2026-04-05", json=True, ok=True).json["items"]
    assert [(i["kind"], i["urgency"]) for i in todo] == [("problem", 90)]


def test_text_that_looks_like_markup_is_listed_as_stored(cli):
    """Problem and follow-up lists print a text as stored: the consoles read no markup, so nothing is
    escaped for them (a backslash before ``[`` would be shown)."""
    code = project(cli)
    problem(cli, code, "[red]x[/]", due="2026-03-01", on="2026-02-01")
    cli("followup", "add", code, "[b]n[/b]", "--contact", "[i]c[/i]", "--next-step", "[u]s[/u]",
        "--next-on", "2026-02-10", "--on", "2026-02-02", ok=True)
    for args, shown in ((("problem", "list", "--all"), ("[red]x[/]",)),
                        (("followup", "list"), ("[b]n[/b]", "[i]c[/i]", "[u]s[/u]")),
                        (("followup", "list", "--due"), ("[u]s[/u]",))):
        out = cli(*args, ok=True).out
        assert all(s in out for s in shown) and "\\[" not in out, (args, out)
