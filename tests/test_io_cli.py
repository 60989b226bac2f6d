"""`pipeline import` and `pipeline export` through the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from workflow import clock

ZH = ("项目名称,投资方,投资方来源,行业,类别,计划总投资,责任单位,重点项目,计划签约日期,计划到资日期,"
      "计划开工日期,计划投产日期\n")
GOOD = [
    "翠宏山铁多金属矿,黑龙江翠宏山矿业有限公司,哈尔滨,采矿业,工业,12亿,XH,,2026-12-31,,,\n",
    "盛典蓝莓深加工项目,盛典蓝莓科技开发有限公司,北京,农产品加工,工业,8000万元,新华镇,是,,,,\n",
    "申逊北药种植加工基地,申逊北药有限公司,吉林,中医药,农业,\"60,000,000\",FGW,否,,,,\n",
    "宾馆建设项目,利源达公司,大连,文化旅游,服务业,4.5e7,FGW,,,,,2028-06-30\n",
]


def write(tmp_path, text: str, name: str = "ledger.csv", encoding: str = "utf-8") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def projects(cli) -> list[dict]:
    return cli("project", "list", json=True, ok=True).json["projects"]


def test_import_a_chinese_gbk_ledger(cli, tmp_path):
    path = write(tmp_path, ZH + "".join(GOOD), encoding="gb18030")
    res = cli("import", path, json=True, ok=True)
    assert res.json["imported"] == 4 and res.json["first"] == "P-0001" and res.json["last"] == "P-0004"
    assert res.json["encoding"] == "gb18030"
    listed = {p["code"]: p for p in projects(cli)}
    assert listed["P-0001"]["name"] == "翠宏山铁多金属矿"
    assert listed["P-0001"]["planned_investment"] == {"amount_minor": 12 * 10**8 * 100, "currency": "CNY"}
    assert listed["P-0001"]["key"] is True and listed["P-0002"]["key"] is True and listed["P-0003"]["key"] is False
    assert listed["P-0002"]["unit"] == "XH"
    show = cli("project", "show", "P-0004", json=True, ok=True).json
    assert show["plan"]["commission"] == "2028-06-30" and show["origin"] == "大连" and show["stage"] == "lead"
    assert cli.admin("audit", "verify", json=True, ok=True).json["ok"]


def test_import_english_keys_with_bom_text_output(cli, tmp_path):
    path = write(tmp_path, "name,investor,industry,investment,unit,key\nA,I,X,5600万,XH,yes\n", encoding="utf-8-sig")
    res = cli("import", path, ok=True)
    assert "imported 1 project from ledger.csv" in res.err and "P-0001" in res.err
    assert res.out == ""


def test_an_import_prints_the_first_warnings_and_counts_the_rest(cli, tmp_path):
    """Key projects no rule gave a lead leader: the first 20 warned of one by one, the rest counted
    (only those are built, docs/performance.md); --json lists every one."""
    rows = "".join(f"K{i},I{i},X,5600万,XH,yes\n" for i in range(23))
    path = write(tmp_path, "name,investor,industry,investment,unit,key\n" + rows)
    res = cli("import", path, ok=True)
    assert res.err.count("warning: ") == 20 and "P-0020 is a key project" in res.err
    assert "P-0021 is a key project" not in res.err and "and 3 more key project(s)" in res.err
    path = write(tmp_path, "name,investor,industry,investment,unit,key\n" + rows.replace("K", "L"), name="b.csv")
    doc = cli("import", path, json=True, ok=True).json
    assert [w["project"] for w in doc["warnings"]] == [f"P-{i:04d}" for i in range(24, 47)]


def test_one_bad_row_refuses_the_file_and_names_every_problem(cli, tmp_path):
    bad = GOOD[:2] + ["坏行,,山东,采矿业,工业,很多钱,无此镇,也许,2026-02-30,,,\n"] + GOOD[2:] + [
        "另一坏行,某公司,山东,采矿业,工业,4179万美元,XH,,,,,\n"]
    path = write(tmp_path, ZH + "".join(bad))
    res = cli("import", path, json=True)
    assert res.code == 2
    err = res.json["error"]
    assert err["code"] == "problem_in_of_rows" and "nothing was imported" in err["message"]
    got = [(d["line"], d["column"], d["field"]) for d in err["details"]]
    assert got == [(4, "B", "投资方"), (4, "F", "计划总投资"), (4, "G", "责任单位"), (4, "H", "重点项目"),
                   (4, "I", "计划签约日期"), (7, "F", "计划总投资")]
    assert projects(cli) == []  # all or nothing
    text = cli("import", path)
    assert text.code == 2 and "line 4, 计划总投资" in text.err and "line 7" in text.err


def test_dry_run_reports_and_writes_nothing(cli, tmp_path):
    path = write(tmp_path, ZH + "".join(GOOD))
    res = cli("import", path, "--dry-run", json=True, ok=True)
    assert res.json["dry_run"] is True and res.json["imported"] == 0 and res.json["would_import"] == 4
    assert (res.json["first"], res.json["last"]) == ("P-0001", "P-0004")
    assert projects(cli) == []
    text = cli("import", path, "--dry-run", ok=True)
    assert "翠宏山铁多金属矿" in text.out and "dry run" in text.err
    assert cli("import", path, ok=True).code == 0 and len(projects(cli)) == 4


def test_rules_are_applied_to_each_imported_project(cli, tmp_path):
    cli.admin("people", "add", "li", "--name", "李镇长", "--level", "township", "--unit", "XH", ok=True)
    cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", "1", "--key", ok=True)
    cli.admin("rules", "add", "--role", "first_responsible", "--person", "li", "--priority", "2", "--unit", "XH",
              ok=True)
    res = cli("import", write(tmp_path, ZH + "".join(GOOD)), json=True, ok=True)
    assert res.json["assignments"] == 4  # two key projects led, two XH projects with a first responsible
    leaders = {p["code"]: sorted((x["role"], x["login"]) for x in p["leaders"]) for p in projects(cli)}
    assert leaders == {"P-0001": [("first_responsible", "li"), ("lead_leader", "wang")],
                       "P-0002": [("first_responsible", "li"), ("lead_leader", "wang")],
                       "P-0003": [], "P-0004": []}


def test_duplicates_are_refused_unless_allowed(cli, tmp_path):
    path = write(tmp_path, ZH + GOOD[0])
    cli("import", path, ok=True)
    again = cli("import", path, json=True)
    assert again.code == 2 and "P-0001" in again.json["error"]["details"][0]["message"]
    assert cli("import", path, "--allow-duplicates", json=True, ok=True).json["imported"] == 1


def test_duplicates_far_apart_and_an_import_of_several_batches(cli, tmp_path):
    """A row repeating one thousands of lines earlier is found (pass 1 keeps a digest per row); allowed,
    the rows are written in several batches of one transaction."""
    lines = [f"项目{i},投资方{i % 7},采矿业,{i + 1}万,{'XH' if i % 2 else 'FGW'}\n" for i in range(4_500)]
    lines.append(lines[0])
    path = write(tmp_path, "name,investor,industry,investment,unit\n" + "".join(lines))
    res = cli("import", path, json=True)
    assert res.code == 2 and projects(cli) == []
    assert [(d["line"], d["column"]) for d in res.json["error"]["details"]] == [(4_502, "A")]
    assert "repeats line 2" in res.json["error"]["details"][0]["message"]
    dry = cli("import", path, "--allow-duplicates", "--dry-run", ok=True)  # the first rows, read back
    assert "项目19" in dry.out and "项目20" not in dry.out and "4,481 more rows" in dry.err
    doc = cli("import", path, "--allow-duplicates", json=True, ok=True).json
    assert (doc["imported"], doc["rows"], doc["first"], doc["last"]) == (4_501, 4_501, "P-0001", "P-4501")
    assert cli("project", "show", "P-4501", json=True, ok=True).json["name"] == "项目0"
    assert cli.admin("audit", "verify", json=True, ok=True).json["events"] == 4_501


def test_roles_registration_dates_and_empty_files(cli, tmp_path):
    cli.admin("users", "add", "aud", "--role", "auditor", ok=True)
    path = write(tmp_path, ZH + GOOD[0])
    assert cli("import", path, actor="aud", json=True).code == 6
    old = (clock.today() - timedelta(days=200)).isoformat()
    dated = write(tmp_path, f"name,investor,industry,investment,unit,registered_on\nA,I,X,1,XH,{old}\n", "d.csv")
    cli("import", dated, ok=True)
    assert cli("project", "show", "P-0001", json=True).json["registered_on"] == old
    assert cli("import", write(tmp_path, ZH, "empty.csv"), json=True).code == 2
    assert cli("import", str(tmp_path / "missing.csv"), json=True).code == 2


@pytest.mark.parametrize("lang, suffix", [("zh", ".csv"), ("en", ".csv"), ("zh", ".xlsx"), ("en", ".xlsx")])
def test_an_export_imports_back_unchanged(tmp_path, lang, suffix):
    """Export a ledger, import the export into a fresh database, export again: the same file."""
    from tests.conftest import Cli, populate

    first, second = populate(Cli(str(tmp_path / "a.db"))), populate(Cli(str(tmp_path / "b.db")))
    rows = [*GOOD, "登记项目,某公司,,行业,,1234.56,XH,,,,,\n"]
    first("import", write(tmp_path, ZH + "".join(rows)), ok=True)
    first("advance", "P-0001", "submit", ok=True)  # the stage comes along for the reader, not back
    one, two = str(tmp_path / f"one{suffix}"), str(tmp_path / f"two{suffix}")
    first("export", one, lang=lang, ok=True)
    second("import", one, lang=lang, ok=True)
    second("advance", "P-0001", "submit", ok=True)
    second("export", two, lang=lang, ok=True)
    if suffix == ".csv":
        assert open(one, "rb").read() == open(two, "rb").read()
    else:
        from workflow import io as wio

        a, b = wio.read_table(one), wio.read_table(two)
        assert (a.headers, list(a.rows())) == (b.headers, list(b.rows()))
    # and the projects themselves agree, field by field
    strip = ("version", "light", "light_reasons", "light_reasons_zh", "leaders", "stage_since")
    views = [[{k: v for k, v in p.items() if k not in strip} for p in c("project", "list", json=True).json["projects"]]
             for c in (first, second)]
    assert views[0] == views[1]  # registration dates round-trip too: the export carries 登记日期


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_formula_like_and_apostrophe_texts_round_trip(tmp_path, suffix):
    """A CSV cell loses only the apostrophe the CSV export added; a workbook's text is read as
    written (docs/text-and-errors.md): both bring every name and investor back unchanged."""
    from tests.conftest import Cli, populate

    first, second = populate(Cli(str(tmp_path / "a.db"))), populate(Cli(str(tmp_path / "b.db")))
    texts = ["'=x", "''y", "=SUM(A1)", "-3", "@x", "'"]
    for i, text in enumerate(texts):
        first("project", "add", "--name", text, "--investor", texts[-1 - i], "--industry", "z",
              "--investment", "1", "--unit", "XH", ok=True)
    path = str(tmp_path / f"ledger{suffix}")
    first("export", path, ok=True)
    second("import", path, ok=True)
    shown = [[c("project", "show", p["code"], json=True, ok=True).json for p in projects(c)] for c in (first, second)]
    back = [(p["name"], p["investor"]) for p in shown[1]]
    assert back == [(p["name"], p["investor"]) for p in shown[0]]
    assert sorted(back) == sorted(zip(texts, reversed(texts), strict=True))


def test_export_filters_formats_and_headers(cli, tmp_path):
    cli("import", write(tmp_path, ZH + "".join(GOOD)), ok=True)
    cli("advance", "P-0002", "submit", ok=True)
    res = cli("export", str(tmp_path / "s.csv"), "--stage", "screening", json=True, ok=True)
    assert res.json["exported"] == 1
    text = (tmp_path / "s.csv").read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("code,name,investor") and text[1].startswith("P-0002,盛典蓝莓深加工项目")
    assert len(text) == 2
    cli("export", str(tmp_path / "u.csv"), "--unit", "FGW", "--encoding", "gb18030", lang="zh", ok=True)
    zh = (tmp_path / "u.csv").read_bytes().decode("gb18030").splitlines()
    assert zh[0].startswith("编号,项目名称,投资方") and "计划总投资（万元）" in zh[0] and len(zh) == 3
    assert "6000" in zh[1] and "意向在谈" in zh[1]
    out = cli("export", "-", ok=True)
    assert out.out.startswith("code,name") and len(out.out.splitlines()) == 5
    assert cli("export", str(tmp_path / "x.txt"), json=True).code == 2
    assert cli("export", str(tmp_path / "x.csv"), "--stage", "nowhere", json=True).code == 2
    assert cli("export", str(tmp_path / "x.csv"), "--unit", "NOPE", json=True).code == 4


@pytest.mark.slow
def test_a_50000_row_import(cli, tmp_path):
    lines = [f"示范项目{i},投资方{i % 997},采矿业,{(i % 5000) + 1}万,{'XH' if i % 2 else 'FGW'}\n"
             for i in range(50_000)]
    path = write(tmp_path, "name,investor,industry,investment,unit\n" + "".join(lines))
    res = cli("import", path, json=True, ok=True)
    assert res.json["imported"] == 50_000 and res.json["last"] == "P-50000"
    assert cli("project", "show", "P-50000", json=True, ok=True).json["name"] == "示范项目49999"
    doc = cli.admin("audit", "verify", json=True, ok=True).json
    assert doc["ok"] and doc["projects"] == 50_000 and doc["events"] == 50_000
