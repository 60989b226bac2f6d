"""The lists leaders ask for (docs/lights-and-reports.md): `report keyprojects|leaders|visits` in every format
(docx read back with python-docx, xlsx with openpyxl), the narrative notes (stored and drafted), the site-visit
criteria, long tables on the terminal, and the consolidated supervision letters (docs/supervision.md): one per
unit and per leader, the overdue wording, the addressee form and reprinting."""

from __future__ import annotations

import json as _json

import pytest

from tests.test_progress import _to_construction
from tests.test_supervision import DATED, problem, verify_ok

AS_OF = "2026-06-30"


def _key_project(cli, name: str, unit: str = "XH") -> str:
    return cli("project", "add", "--name", name, "--investor", f"{name}公司", "--industry", "mining",
               "--investment", "2亿", "--unit", unit, "--key", "--on", "2026-01-05", "--allow-duplicate",
               json=True, ok=True).json["code"]


@pytest.fixture
def county(cli):
    """Two key projects under construction led by 王县长, one with a year plan, investment, a follow-up
    promising a next step and an escalated problem."""
    a = _key_project(cli, "东安金矿")
    b = _key_project(cli, "翠峰光伏", unit="FGW")
    for code in (a, b):
        cli.admin("reassign", code, "lead_leader", "wang", "--reason", "分工", "--on", "2026-01-05", ok=True)
        _to_construction(cli, code, "2026-02-01")
    cli("project", "edit", a, "--year-plan", "2026=1000万", "--on", "2026-02-01", ok=True)
    cli("investment", "add", a, "300万", "--on", "2026-06-01", ok=True)
    cli("followup", "add", a, "现场调度，主体完工", "--next-step", "设备安装", "--next-on", "2026-07-10",
        "--on", "2026-06-20", ok=True)
    cli("followup", "add", b, "协调用地", "--on", "2026-06-25", ok=True)
    pid = problem(cli, a, "用地指标未落实", due="2026-06-01", on="2026-05-01")  # 29 days overdue: level 4
    return {"a": a, "b": b, "problem": pid}


# --- report keyprojects ----------------------------------------------------------------------------------


def test_keyprojects_counts_the_years_investment_of_a_project_without_a_year_plan(cli, county):
    """本年完成 is the investment completed from 1 January to the as-of date, with a year plan or
    without one; the 序时进度 light and rate stay those of a plan alone."""
    b = county["b"]
    cli("investment", "add", b, "120万", "--on", "2026-05-01", ok=True)
    cli("investment", "add", b, "80万", "--on", "2026-07-15", ok=True)  # after the as-of date
    doc = cli("report", "keyprojects", "--as-of", AS_OF, json=True, ok=True).json
    row = {p["code"]: p for p in doc["projects"]}[b]
    assert row["year_plan"]["amount_minor"] == 0 and row["year_done"]["amount_minor"] == 120 * 10_000 * 100
    assert row["plan_rate"] is None and row["progress_light"] is None
    assert doc["totals"]["year_done"]["amount_minor"] == (300 + 120) * 10_000 * 100


def test_keyprojects_json_and_every_format(cli, county, tmp_path):
    import docx
    import openpyxl
    from docx.enum.section import WD_ORIENT

    a, b = county["a"], county["b"]
    doc = cli("report", "keyprojects", "--as-of", AS_OF, json=True, ok=True).json
    assert doc["period"] == "2026" and doc["as_of"] == AS_OF
    rows = {p["code"]: p for p in doc["projects"]}
    assert set(rows) == {a, b}
    pa = rows[a]
    assert pa["lead_leader"]["name"] == "王县长" and pa["unit"] == "XH"
    wan = 10_000 * 100
    assert pa["year_plan"]["amount_minor"] == 1000 * wan and pa["year_done"]["amount_minor"] == 300 * wan
    assert pa["plan_rate"] == 0.3 and pa["progress_light"] == "yellow"  # 30% against 50%: 20 points behind
    assert pa["latest_followup"] == {"on": "2026-06-20", "note": "现场调度，主体完工"}
    assert pa["next_step"] == {"on": "2026-07-10", "text": "设备安装"}
    assert [p["id"] for p in pa["problems"]] == [county["problem"]] and pa["problems"][0]["overdue_days"] == 29
    assert rows[b]["year_plan"]["amount_minor"] == 0 and rows[b]["progress_light"] is None
    assert rows[b]["latest_followup"]["note"] == "协调用地" and rows[b]["next_step"] is None
    assert doc["totals"]["projects"] == 2
    # the terminal (piped: plain text) in Chinese
    text = cli("report", "keyprojects", "--as-of", AS_OF, lang="zh", ok=True).out
    for word in ("重点项目推进表", "最新进展", "下步计划", "序时进度", "现场调度", "设备安装", "用地指标未落实",
                 "王县长"):
        assert word in text, word
    # csv and md
    csv = cli("report", "keyprojects", "--as-of", AS_OF, "--format", "csv", ok=True).out
    assert "Latest progress" in csv.splitlines()[0] and "2026-06-20 现场调度，主体完工" in csv
    assert "设备安装" in cli("report", "keyprojects", "--as-of", AS_OF, "--format", "md", ok=True).out
    # xlsx
    path = tmp_path / "k.xlsx"
    cli("report", "keyprojects", "--as-of", AS_OF, "--format", "xlsx", "--output", path, lang="zh", ok=True)
    ws = openpyxl.load_workbook(path)["重点项目推进表"]
    header = [c.value for c in ws[1]]
    assert "最新进展" in header and "下步计划" in header and "年度计划投资（万元）" in header
    values = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    first = next(r for r in values if r[2] == a)
    assert first[header.index("年度计划投资（万元）")] == 1000.0
    assert first[header.index("年度完成投资（万元）")] == 300.0
    # docx: the title, the table on a landscape section
    path = tmp_path / "k.docx"
    cli("report", "keyprojects", "--as-of", AS_OF, "--format", "docx", "--output", path, lang="zh", ok=True)
    d = docx.Document(str(path))
    paragraphs = [p.text for p in d.paragraphs]
    assert "重点项目推进表" in paragraphs and any("全县共有重点项目2个" in p for p in paragraphs)
    assert any(s.orientation == WD_ORIENT.LANDSCAPE for s in d.sections)
    cells = [c.text for r in d.tables[0].rows for c in r.cells]
    assert "最新进展" in cells and "2026-06-20 现场调度，主体完工" in cells and a in cells
    # html
    html = cli("report", "keyprojects", "--as-of", AS_OF, "--format", "html", lang="zh", ok=True).out
    assert "<h1>重点项目推进表</h1>" in html and "设备安装" in html and 'class="wide"' in html
    en = cli("report", "keyprojects", "--as-of", AS_OF, "--format", "html", ok=True).out
    assert "<h1>Key project progress</h1>" in en and "On 30 June 2026 the county had 2 key projects." in en


def test_leaders_and_visits_every_format(cli, county, tmp_path):
    import docx
    import openpyxl

    doc = cli("report", "leaders", "--as-of", AS_OF, json=True, ok=True).json
    assert [x["name"] for x in doc["leaders"]] == ["王县长"]
    wang = doc["leaders"][0]
    assert sorted(p["code"] for p in wang["projects"]) == sorted([county["a"], county["b"]])
    assert wang["red"] == 1  # the escalated problem makes its project red
    assert wang["projects"][0]["code"] == county["a"] and wang["projects"][0]["light"] == "red"
    out = cli("report", "leaders", "--as-of", AS_OF, lang="zh", ok=True).out
    assert "包保领导一览表" in out and "副县长" in out and "红灯" in out
    path = tmp_path / "l.xlsx"
    cli("report", "leaders", "--as-of", AS_OF, "--format", "xlsx", "--output", path, ok=True)
    book = openpyxl.load_workbook(path)
    assert book["leaders"]["A2"].value == "王县长" and book["leaders"]["C2"].value == 2
    path = tmp_path / "l.docx"
    cli("report", "leaders", "--as-of", AS_OF, "--format", "docx", "--output", path, lang="zh", ok=True)
    assert "包保领导一览表" in [p.text for p in docx.Document(str(path)).paragraphs]
    assert "王县长" in cli("report", "leaders", "--as-of", AS_OF, "--format", "html", ok=True).out
    # visits: the projects that broke ground in the half, with the scoring sheet of the criteria in force
    v = cli("report", "visits", "--period", "2026-H1", json=True, ok=True).json
    assert sorted(p["code"] for p in v["projects"]) == sorted([county["a"], county["b"]])
    assert sum(c["weight"] for c in v["criteria"]) == 100 and v["criteria"][0] == {"name": "建设进度", "weight": 30}
    assert cli("report", "visits", "--period", "2026-H2", "--as-of", "2026-07-01", json=True,
               ok=True).json["projects"] == []
    stored = cli.admin("report", "criteria", "进度=60", "效益=40", *DATED, json=True, ok=True).json
    assert stored == {"criteria": [{"name": "进度", "weight": 60}, {"name": "效益", "weight": 40}]}
    assert cli.admin("report", "criteria", "进度=60", "效益=30", *DATED).code == 2  # not 100
    assert cli.admin("report", "criteria", "进度", *DATED).code == 2
    assert cli("report", "criteria", "进度=100", *DATED).code == 6  # admin only
    v = cli("report", "visits", "--period", "2026-H1", json=True, ok=True).json
    assert v["criteria"] == [{"name": "进度", "weight": 60}, {"name": "效益", "weight": 40}]
    path = tmp_path / "v.xlsx"
    cli("report", "visits", "--period", "2026-H1", "--format", "xlsx", "--output", path, lang="zh", ok=True)
    sheet = openpyxl.load_workbook(path)["评分表"]
    assert [c.value for c in sheet[1]] == ["编号", "项目名称", "进度（60分）", "效益（40分）", "总分"]
    assert sheet.max_row == 3
    path = tmp_path / "v.docx"
    cli("report", "visits", "--period", "2026-H1", "--format", "docx", "--output", path, lang="zh", ok=True)
    d = docx.Document(str(path))
    assert "项目观摩评分表" in [p.text for p in d.paragraphs]
    assert "进度（60分）" in [c.text for t in d.tables for c in t.rows[0].cells]
    html = cli("report", "visits", "--period", "2026-H1", "--format", "html", lang="zh", ok=True).out
    assert "效益（40分）" in html
    verify_ok(cli)


# --- narrative notes --------------------------------------------------------------------------------------


def test_notes_stored_and_drafted_in_every_format(cli, county, tmp_path):
    import docx
    import openpyxl

    period = ["--period", "2026-B3", "--as-of", AS_OF]
    # no note: 存在问题 drafted from the escalated problem, 下步工作 from the follow-up promised for July
    text = cli("report", "bulletin", *period, lang="zh", ok=True).out
    assert "存在问题（草拟）" in text and "用地指标未落实" in text and "已逾期29天" in text
    assert "下步工作（草拟）" in text and "7月10日" in text and "设备安装" in text and "主要做法" not in text
    # stored notes (admin; reason optional), printed instead of the draft
    assert cli("report", "note", "--period", "2026-B3", "--section", "practices", "x").code == 6
    cli.admin("report", "note", "--period", "2026-B3", "--section", "practices", "一是强化调度。\n二是优化服务。",
              ok=True)
    stored = cli.admin("report", "note", "--period", "2026-B3", "--section", "problems", "要素保障不足。", "--reason",
                       "会议", json=True, ok=True).json
    assert {k: stored[k] for k in ("period", "section", "text")} == {"period": "2026-B3", "section": "problems",
                                                                    "text": "要素保障不足。"}
    assert cli.admin("report", "note", "--period", "2026-B3", "--section", "other", "x").code == 2
    assert cli.admin("report", "note", "--period", "2026-B9", "--section", "next", "x").code == 2
    assert cli.admin("report", "note", "--period", "2026-B3", "--section", "next", "a\x1bb").code == 2
    text = cli("report", "bulletin", *period, lang="zh", ok=True).out
    assert "主要做法" in text and "二是优化服务。" in text and "要素保障不足。" in text
    assert "存在问题（草拟）" not in text and "下步工作（草拟）" in text
    md = cli("report", "bulletin", *period, "--format", "md", lang="zh", ok=True).out
    assert "## 文字说明" in md and "一是强化调度。" in md
    path = tmp_path / "b.xlsx"
    cli("report", "bulletin", *period, "--format", "xlsx", "--output", path, lang="zh", ok=True)
    notes = [[c.value for c in r] for r in openpyxl.load_workbook(path)["文字说明"].iter_rows(min_row=2)]
    assert ["主要做法", "一是强化调度。"] in notes and ["存在问题", "要素保障不足。"] in notes
    path = tmp_path / "b.docx"
    cli("report", "bulletin", *period, "--format", "docx", "--output", path, lang="zh", ok=True)
    paragraphs = [p.text for p in docx.Document(str(path)).paragraphs]
    heading = next(i for i, p in enumerate(paragraphs) if p.endswith("、主要做法"))
    assert paragraphs[heading + 1:heading + 3] == ["一是强化调度。", "二是优化服务。"]
    assert any(p.endswith("、下步工作（草拟）") for p in paragraphs)
    html = cli("report", "dispatch", "--period", "2026-Q2", "--as-of", AS_OF, "--format", "html", lang="zh",
               ok=True).out
    assert "主要做法" not in html and "存在问题（草拟）" in html  # notes belong to their period
    english = cli("report", "dispatch", "--period", "2026-Q2", "--as-of", AS_OF, ok=True).out
    assert "Problems (drafted)" in english and "29 days overdue" in english
    # an empty text removes the note: drafted again
    cli.admin("report", "note", "--period", "2026-B3", "--section", "problems", "", ok=True)
    assert "存在问题（草拟）" in cli("report", "bulletin", *period, lang="zh", ok=True).out
    # each note is a set-up ledger entry
    entries = cli.admin("audit", "log", "--setup", json=True, ok=True).json["entries"]
    assert "reports.note.2026-B3.practices" in _json.dumps(entries, ensure_ascii=False)
    verify_ok(cli)


# --- long tables on the terminal --------------------------------------------------------------------------


def test_long_table_shows_the_first_rows_unless_all(cli, county, monkeypatch, tmp_path):
    import openpyxl

    monkeypatch.setattr("cli.options.TERMINAL_ROWS", 1)
    cut = cli("report", "keyprojects", "--as-of", AS_OF, ok=True).out
    # by unit: 发改局's project (FGW) first, 新华镇's (XH) left out
    assert "… 1 more (--all or --output)" in cut and "发改局" in cut and "新华镇" not in cut
    assert "Total" in cut  # the totals row is kept
    zh = cli("report", "keyprojects", "--as-of", AS_OF, lang="zh", ok=True).out
    assert "……另有1行" in zh
    full = cli("report", "keyprojects", "--as-of", AS_OF, "--all", ok=True).out
    assert "新华镇" in full and "more" not in full
    warned = cli("warnings", "--as-of", AS_OF, ok=True).out  # one red project: nothing left out
    assert "more (--all or --output)" not in warned
    # files and --json are never cut
    assert len(cli("report", "keyprojects", "--as-of", AS_OF, json=True, ok=True).json["projects"]) == 2
    assert county["a"] in cli("report", "keyprojects", "--as-of", AS_OF, "--format", "csv", ok=True).out
    path = tmp_path / "k.xlsx"
    cli("report", "keyprojects", "--as-of", AS_OF, "--format", "xlsx", "--output", path, ok=True)
    assert openpyxl.load_workbook(path)["keyprojects"].max_row == 4  # header, two projects, total


# --- consolidated letters ---------------------------------------------------------------------------------


def test_one_letter_per_unit_overdue_wording_and_reprint(cli, county, tmp_path):
    import docx

    b = county["b"]
    p2 = problem(cli, b, "供电线路未接入", kind="power", due="2026-06-20", on="2026-05-01")  # FGW: 10 days over
    p3 = problem(cli, b, "环评未批复", kind="environment", due="2026-06-25", on="2026-05-01", owner="XH")
    cli.admin("supervision", "ladder", "set", "reply_days=7", *DATED, ok=True)
    out = tmp_path / "letters"
    issued = cli("supervision", "letters", "--as-of", AS_OF, "--output", out, json=True, ok=True).json["letters"]
    by_problem = {x["problem"]: x for x in issued}
    assert set(by_problem) == {county["problem"], p2, p3}
    # level 4 names the lead leader, level 3 the head of FGW (p2, 10 days over), level 2 新华镇 (p3)
    assert by_problem[county["problem"]]["addressee"] == "王县长（包保县领导）"
    files = {x["file"] for x in issued}
    assert len(files) == 3
    unit_letter = (out / by_problem[p3]["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert "新华镇：" in unit_letter and "你单位" in unit_letter and "同志" not in unit_letter
    assert "已逾期5天，请于7月7日前将办理进展和结果书面反馈" in unit_letter  # 2026-06-30 + 7 days
    assert "2026年6月25日" in unit_letter and "2026年6月30日" in unit_letter and "2026-06-25" not in unit_letter
    leader_letter = (out / by_problem[county["problem"]]["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert "王县长同志：" in leader_letter and "已逾期29天，请于7月7日前" in leader_letter
    # two problems of one unit on one day: one consolidated letter listing both
    cli("problem", "add", b, "排水未通", "--kind", "water", "--owner", "XH", "--due", "2026-06-26",
        "--on", "2026-05-03", ok=True)
    cli("problem", "add", b, "燃气未通", "--kind", "other", "--owner", "XH", "--due", "2026-06-27",
        "--on", "2026-05-03", ok=True)
    third = cli("supervision", "letters", "--as-of", "2026-07-02", "--output", out, json=True, ok=True).json["letters"]
    xh = [x for x in third if x["addressee"] == "新华镇"]
    assert len(xh) >= 2 and len({x["file"] for x in xh}) == 1
    merged = (out / xh[0]["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert f"下列{len(xh)}项事项" in merged and "排水未通" in merged and "燃气未通" in merged
    assert merged.count("<table>") == len(xh)
    # any issued letter reprints in any format, the same letter (date, number, wording), issuing nothing
    again = tmp_path / "again"
    number = xh[1]["number"]
    re = cli("supervision", "letters", "--reprint", number, "--format", "docx", "--output", again, json=True,
             ok=True).json["letters"]
    assert [x["number"] for x in re] == [x["number"] for x in xh]
    d = docx.Document(re[0]["file"])
    text = "\n".join(p.text for p in d.paragraphs)
    assert "新华镇：" in text and "2026年7月2日" in text and len(d.tables) == len(xh)
    cells = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    assert cells["反馈要求"].startswith("已逾期") and "7月9日前" in cells["反馈要求"]
    html = cli("supervision", "letters", "--reprint", number, "--output", again, json=True, ok=True).json
    assert (again / html["letters"][0]["file"].split("/")[-1]).read_text(encoding="utf-8").count("<table>") == len(xh)
    # a second run the same day writes its own letter; each reprints as it was issued
    cli("problem", "add", b, "通讯未通", "--kind", "other", "--owner", "XH", "--due", "2026-06-28",
        "--on", "2026-05-03", ok=True)
    fourth = cli("supervision", "letters", "--as-of", "2026-07-02", "--output", out, json=True, ok=True).json["letters"]
    assert len(fourth) == 1 and fourth[0]["file"] not in {x["file"] for x in xh}
    alone = cli("supervision", "letters", "--reprint", fourth[0]["number"], "--output", again, json=True,
                ok=True).json["letters"]
    assert [x["number"] for x in alone] == [fourth[0]["number"]]
    assert (again / alone[0]["file"].split("/")[-1]).read_text(encoding="utf-8").count("<table>") == 1
    first_again = cli("supervision", "letters", "--reprint", number, "--output", again, json=True, ok=True).json
    assert [x["number"] for x in first_again["letters"]] == [x["number"] for x in xh]
    assert cli("supervision", "letters", "--reprint", "〔2026〕99号", "--output", again).code == 4
    assert cli("supervision", "letters", "--reprint", number, "--as-of", AS_OF, "--output", again).code == 2
    history = cli("history", b, json=True, ok=True).json["events"]
    assert sum(1 for e in history if e["kind"] == "letter") == sum(1 for x in issued + third + fourth
                                                                    if x["project"] == b)
    verify_ok(cli)


def test_letter_wording_without_a_database():
    from datetime import date

    from workflow import letters

    base = {"number": "〔2026〕1号", "year": 2026, "serial": 1, "level": 2, "issued_on": date(2026, 3, 10),
            "addressee": {"level": 2, "login": None, "en": "发改局", "zh": "发改局"},
            "problem": {"id": 1, "kind": "land", "text": "用地", "project": "P-0001", "project_name": "甲",
                        "owner_unit": "FGW", "owner_unit_name": "发改局", "due": date(2026, 3, 1),
                        "overdue_days": 9}}
    assert letters.salutation(base) == ("发改局：", "你单位")
    assert letters.feedback(base, "县招商局", 10) == "已逾期9天，请于3月20日前将办理进展和结果书面反馈县招商局。"
    due = {**base, "problem": {**base["problem"], "overdue_days": 0}}
    assert letters.feedback(due, "县招商局").startswith("请于办理时限前")
    person = {**base, "level": 4, "addressee": {"level": 4, "login": "wang", "en": "x", "zh": "王县长（包保县领导）"}}
    assert letters.salutation(person) == ("王县长同志：", "你")
    assert dict(letters.fields(base))["办理时限"] == "2026年3月1日"
    assert _json.dumps(letters.groups([base, person, base])[0][0]["number"], ensure_ascii=False) == '"〔2026〕1号"'
    assert [len(g) for g in letters.groups([base, person, {**base, "number": "〔2026〕3号"}])] == [2, 1]
    # the unit and its head (levels 2 and 3) get one letter; another unit its own
    head = {**base, "level": 3, "addressee": {"level": 3, "login": None, "en": "x", "zh": "发改局主要负责人"}}
    other = {**base, "problem": {**base["problem"], "owner_unit": "XH", "owner_unit_name": "新华镇"}}
    assert [len(g) for g in letters.groups([base, head, other])] == [2, 1]
    assert letters.salutation(head) == ("发改局：", "你单位")


def test_a_closed_periods_notes_stand_as_issued(cli, county):
    """A closed period's documents are issued: a note for it is refused (exit 3) and changes nothing, so
    a reprint prints them as they were; after a reopen the note is taken."""
    cli.admin("report", "close", "--period", "2026-B1", "--reason", "通报已印发", ok=True)
    before = cli.admin("audit", "log", "--setup", json=True, ok=True).json["entries"]
    refused = cli.admin("report", "note", "--period", "2026-B1", "--section", "practices", "后补的做法",
                        lang="zh")
    assert refused.code == 3 and "2026-B1 已关账" in refused.err and "reopen" in refused.err
    assert cli.admin("audit", "log", "--setup", json=True, ok=True).json["entries"] == before
    assert "后补的做法" not in cli("report", "bulletin", "--period", "2026-B1", lang="zh", ok=True).out
    cli.admin("report", "reopen", "--period", "2026-B1", "--reason", "补充说明", ok=True)
    cli.admin("report", "note", "--period", "2026-B1", "--section", "practices", "后补的做法", ok=True)
    assert "后补的做法" in cli("report", "bulletin", "--period", "2026-B1", lang="zh", ok=True).out
