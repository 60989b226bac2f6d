"""`report <kind> --format docx|html`: the bulletin document read back (python-docx, html.parser) with
its title, issue number, summary figures and a chart image; English with --lang en; user text never
markup; the numbering rule."""

from __future__ import annotations

from datetime import date, timedelta
from html.parser import HTMLParser

import pytest

from tests.test_reports import county, engine  # noqa: F401  (module fixtures: the hand-worked county)
from workflow import clock
from workflow.numbering import issue_text

PNG = b"\x89PNG\r\n\x1a\n"


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):
        self.text.append(data)


def test_issue_text():
    assert issue_text(2026, 5, "zh") == "〔2026〕第5期" and issue_text(2026, 5, "en") == "No. 5 (2026)"
    assert issue_text(2026, None) is None


def test_docx_bulletin_reads_back(county, tmp_path):  # noqa: F811
    import docx

    out = tmp_path / "bulletin.docx"
    r = county("report", "bulletin", "--period", "2026-B2", "--format", "docx", "--output", out, lang="zh")
    assert r.code == 0, r.err
    d = docx.Document(str(out))
    paragraphs = [p.text for p in d.paragraphs]
    assert paragraphs[:3] == ["县招商引资工作领导小组办公室文件", "征求意见稿", "全县招商引资项目推进情况通报"]
    text = "\n".join(paragraphs)
    # the year to date first: Jan–Apr signed 3 (P1 2亿 + P2 8000万 + P3 1.5亿 = 4.3亿 agreed); capital
    # 3000万 + 1000万 CNY, USD 700万 apart (not "of which"); investment 5000万; no 2025 figures, no 同比
    assert ("2026年1—4月累计，全县新签约项目3个；协议总投资4.3亿元；到位资金4000万元；利用外资700万美元；"
            "完成投资5000万元。") in text
    # then B2 (Mar–Apr): signed 2 (P2 8000万 + P3 1.5亿 = 2.3亿 agreed), 环比 on B1's 1; capital 1000万
    # CNY against B1's 3000万 (-66.7%); USD 700万 (B1: none, no rate); investment 5000万 (B1: none)
    assert ("其中2026年3—4月，新签约项目2个，环比增长100%；协议总投资2.3亿元；到位资金1000万元，环比下降66.7%；"
            "利用外资700万美元；完成投资5000万元。") in text
    assert "其中利用外资" not in text
    assert "重点项目2个" in text and "红灯项目1个、黄灯项目1个" in text
    assert any(p.endswith("、红灯项目") for p in paragraphs) and any(p.endswith("、黄灯项目") for p in paragraphs)
    assert any("P-0004" in p for p in paragraphs)  # the red list names the project
    # tables: the figures by unit, the ranking; charts: two PNG images
    assert len(d.tables) >= 3
    assert d.tables[0].rows[0].cells[0].text == "单位" or d.tables[0].rows[0].cells[0].text
    images = [rel.target_part.blob for rel in d.part.rels.values() if "image" in rel.reltype]
    assert len(images) == 2 and all(b.startswith(PNG) for b in images)
    sec = d.sections[0]
    assert round(sec.page_width.mm) == 210 and round(sec.page_height.mm) == 297


def test_html_bulletin_reads_back_in_english(county, tmp_path):  # noqa: F811
    out = tmp_path / "bulletin.html"
    county("report", "bulletin", "--period", "2026-B2", "--format", "html", "--output", out, lang="en", ok=True)
    html = out.read_text(encoding="utf-8")
    p = Collect()
    p.feed(html)
    text = " ".join(p.text)
    assert "County Investment Promotion Bulletin" in text
    assert "In January–April 2026 (year to date), the county had 3 new projects signed" in text
    assert "Of these, in March–April 2026: 2 new projects signed, up 100% on the previous period" in text
    assert "foreign capital USD 7 million" in text
    assert len(p.images) == 2 and all(src.startswith("data:image/png;base64,") for src in p.images)
    import base64

    assert base64.b64decode(p.images[0].split(",", 1)[1]).startswith(PNG)
    assert "size: A4" in html and "table" in p.tags


def test_html_to_stdout_and_other_kinds(county):  # noqa: F811
    r = county("report", "dispatch", "--period", "2026-Q2", "--as-of", "2026-04-30", "--format", "html", lang="zh",
               ok=True)
    assert r.out.startswith("<!DOCTYPE html>") and "全县招商引资项目推进情况调度" in r.out and "（2026年4月）" in r.out
    r = county("report", "evaluation", "--period", "2026", "--format", "html", ok=True)
    assert "Ranking" in r.out


def test_docx_needs_output_and_warnings_refuse_documents(county):  # noqa: F811
    r = county("report", "bulletin", "--period", "2026-B2", "--format", "docx", json=False)
    assert r.code == 2 and "--output" in r.err
    r = county("warnings", "--format", "html")
    assert r.code == 2


def test_user_text_is_never_markup(county, tmp_path):  # noqa: F811
    from cli import documents
    from cli.sections import Report, Section

    sec = Section("projects", [("name", "text")])
    sec.add(["<script>alert(1)</script>\x1b[31m\u202e"])
    doc = documents.Document(lang="en", title="T", subtitle=None, number=issue_text(2026, 5, "zh"),
                             dated="1 May 2026", issuer="X", summary=["<b>s</b>"], sections=[sec])
    html = documents.html_text(doc)
    assert "<script>" not in html and "&lt;script&gt;" in html and "\x1b" not in html and "\u202e" not in html
    assert "\\x1b" in html and "&lt;U+202E&gt;" in html and "〔2026〕第5期" in html
    out = tmp_path / "x.docx"
    documents.write_docx(doc, out)
    import docx

    d = docx.Document(str(out))
    assert "〔2026〕第5期" in [p.text for p in d.paragraphs]
    assert d.tables[0].rows[1].cells[0].text == "<script>alert(1)</script>\\x1b[31m<U+202E>"
    _ = Report  # the document takes a report's sections as they are


def test_number_printed_when_the_period_is_closed(county, engine, monkeypatch):  # noqa: F811
    from cli import documents
    from cli.report_cmds import bulletin_report, evaluation_report
    from workflow import reports

    b = reports.bulletin(engine, "2026-B2", problems=True)
    e = reports.evaluation(engine, "2026-B2")
    number = 2
    doc = documents.build("bulletin", bulletin_report(b, "zh"), b, e, "zh", number=number, today=date(2026, 5, 6),
                          charts=False, ranking=evaluation_report(e, "zh").sections[0])
    assert doc.number == "县招通〔2026〕2号" and doc.dated == "2026年5月6日"
    assert "县招通〔2026〕2号" in documents.html_text(doc)
    assert doc.sections[-1].key == "ranking"


@pytest.mark.parametrize(("start", "end", "zh", "en"), [
    ("2026-01-01", "2026-10-31", "2026年1—10月", "January–October 2026"),
    ("2022-01-01", "2025-12-31", "2022—2025年", "2022–2025"),
    ("2026-01-01", "2026-12-31", "2026年", "2026"),
    ("2026-03-01", "2026-03-31", "2026年3月", "March 2026"),
])
def test_period_words(start, end, zh, en):
    from cli.documents import period_words

    s, e = date.fromisoformat(start), date.fromisoformat(end)
    assert period_words(s, e, "zh") == zh and period_words(s, e, "en") == en


def test_lists_show_the_worst_and_say_how_many_more():
    from cli import documents

    items = [{"light": "red", "code": f"P-{i:04d}", "name": f"项目{i}", "unit": "XH", "unit_name": "新华镇",
              "lead_leader": None, "reasons_detail": [{"zh": "原因", "en": "why"}]}
             for i in range(1, documents.LIST_LIMIT + 2)]
    lines = documents._problem_lines(items, "red", 100, "zh")
    assert len(lines) == documents.LIST_LIMIT + 1
    assert lines[0] == "1. P-0001 项目1（新华镇）：原因"
    assert lines[-1] == f"……另有{100 - documents.LIST_LIMIT}个，见 pipeline report dispatch"
    assert documents._problem_lines(items[:2], "red", 2, "en")[-1] == "2. P-0002 项目2 (新华镇): why"


def test_each_report_kind_has_its_own_sequence_in_period_order(cli, monkeypatch):
    """县招通〔YEAR〕N号: each kind's documents numbered per year in period order, no gap (B5, then Q3,
    then B6: bulletin 1, dispatch 1, bulletin 2); 征求意见稿 before the close; dated on the issue date."""
    year = 2025
    draft = cli("report", "bulletin", "--period", f"{year}-B5", "--format", "html", lang="zh", ok=True).out
    assert "征求意见稿" in draft
    b5 = cli.admin("report", "close", "--period", f"{year}-B5", "--reason", "两月一通报", json=True, ok=True).json
    assert b5["issue"]["report"] == "bulletin" and b5["issue"]["number"] == 1
    q3 = cli.admin("report", "close", "--period", f"{year}-Q3", "--reason", "一季一调度", json=True, ok=True).json
    assert (q3["issue"]["report"], q3["issue"]["number"]) == ("dispatch", 1)
    refused = cli.admin("report", "close", "--period", f"{year}-B4", lang="zh")  # before the numbered B5
    assert refused.code == 3 and f"{year}-B5" in refused.err
    cli.admin("report", "close", "--period", f"{year}-B6", "--reason", "两月一通报", ok=True)
    issued_on = clock.today()
    later = issued_on + timedelta(days=40)
    monkeypatch.setattr(clock, "today", lambda: later)  # a reprint, weeks later

    def html(kind: str, period: str) -> str:
        return cli("report", kind, "--period", period, "--format", "html", lang="zh", ok=True).out

    on = f"{issued_on.year}年{issued_on.month}月{issued_on.day}日"
    for kind, period, number in (("bulletin", f"{year}-B5", f"县招通〔{year}〕1号"),
                                 ("dispatch", f"{year}-Q3", f"县招调〔{year}〕1号"),
                                 ("bulletin", f"{year}-B6", f"县招通〔{year}〕2号")):
        text = html(kind, period)
        assert number in text and on in text and f"{later.year}年{later.month}月{later.day}日" not in text
    assert "征求意见稿" in html("bulletin", f"{year}-Q3")  # a quarter issues the dispatch, not a bulletin
    # reopening the last frees its number; reopening an earlier one keeps it
    cli.admin("report", "reopen", "--period", f"{year}-B5", "--reason", "核查", ok=True)
    assert "征求意见稿" in html("bulletin", f"{year}-B5")
    assert f"县招通〔{year}〕2号" in html("bulletin", f"{year}-B6")
    cli.admin("report", "close", "--period", f"{year}-B5", ok=True)
    assert f"县招通〔{year}〕1号" in html("bulletin", f"{year}-B5")
    # a gap is refused, naming the period to close first
    cli.admin("report", "close", "--period", f"{year - 1}-B2", ok=True)
    skipped = cli.admin("report", "close", "--period", f"{year - 1}-B4", lang="zh")
    assert skipped.code == 3 and f"请先关账 {year - 1}-B3" in skipped.err
    assert "close 2024-B3 first" in cli.admin("report", "close", "--period", f"{year - 1}-B4").err
    cli.admin("report", "close", "--period", f"{year - 1}-B3", ok=True)
    assert f"县招通〔{year - 1}〕2号" in html("bulletin", f"{year - 1}-B3")


def test_copied_cells_write_what_python_docx_writes(county, engine, tmp_path):  # noqa: F811
    """``write_docx`` copies a table's first cell of each column and kind for the others
    (docs/performance.md, fast paths): the document's XML is byte for byte what making every cell
    through python-docx writes — headers, bold totals, numbers, empty cells, text with spaces at its
    ends, tabs and line breaks, a wide table on a landscape page and a real bulletin's tables."""
    import zipfile

    import docx

    from cli import documents
    from cli.report_cmds import bulletin_report, evaluation_report
    from cli.sections import Section
    from workflow import reports

    odd = Section("projects", [("code", "text"), ("name", "text"), ("projects", "int"), ("rate", "rate")])
    for i in range(6):
        odd.add([f"P-{i}", [" lead and trail ", "a\tb\nc\r\nd", "", None, "plain", "中文 名称"][i], i * 7, i / 9])
    odd.add(["total", None, 99, 0.5], "total")
    odd.add(["after the total", "x", 1, None])
    wide = Section("units", [(f"c{i}", "int") for i in range(12)], title="wide")
    for i in range(3):
        wide.add(list(range(i, i + 12)), "total" if i == 2 else "")
    b = reports.bulletin(engine, "2026-B2", problems=True)
    e = reports.evaluation(engine, "2026-B2")
    doc = documents.build("bulletin", bulletin_report(b, "zh"), b, e, "zh", today=date(2026, 5, 6), charts=False,
                          ranking=evaluation_report(e, "zh").sections[0])
    doc.sections[:0] = [odd, wide]

    def xml(copy: bool) -> bytes:
        out = tmp_path / f"{copy}.docx"
        documents.write_docx(doc, out, copy_cells=copy)
        with zipfile.ZipFile(out) as z:
            return z.read("word/document.xml")

    copied, plain = xml(True), xml(False)
    assert copied == plain
    table = docx.Document(str(tmp_path / "True.docx")).tables[0]
    assert [table.rows[r].cells[1].text for r in (1, 2, 3)] == [" lead and trail ", "a\tb\nc\\x0d\nd", ""]
    assert table.rows[7].cells[0].paragraphs[0].runs[0].bold and not table.rows[8].cells[0].paragraphs[0].runs[0].bold


def test_streamed_rows_write_what_python_docx_writes(tmp_path, monkeypatch):
    """``write_docx`` writes a table of more rows than ``stream_rows`` as XML text from template rows
    (docs/performance.md, fast paths): the document's XML is byte for byte what making every cell
    through python-docx writes — markup-like text, controls and characters XML forbids, spaces at the
    ends, tabs and line breaks, Chinese, empty cells, bold totals (first, between and last), two long
    tables with a short one between, a wide one on a landscape page; the file is written as every
    output is (a symbolic link refused)."""
    import os
    import zipfile

    import docx

    from cli import documents
    from cli.sections import Section
    from workflow.errors import BadInput

    texts = ["<b>bold</b>", "a & b", "x]]>y", "ctl\x01\x1b\x7f\x85end", "bidi\u202eback", "no\ufffechar\uffff",
             " lead and trail ", "\u3000全角空格", "a\tb\nc\r\nd", "", None, "中文 名称", "<!--c-->", "&amp;"]
    long = Section("projects", [("code", "text"), ("name", "text"), ("projects", "int"), ("rate", "rate")])
    long.add(["total first", "合计", 1, 0.25], "total")
    for i, text in enumerate(texts):
        long.add([f"P-{i}", text, i * 7, i / 9])
    long.add(["total", None, 99, 0.5], "total")
    long.add(["after the total", "x", 1, None])
    long.add(["last total", "", 0, 1], "total")
    short = Section("units", [("unit", "text"), ("projects", "int")], title="short")
    short.add(["one", 1])
    wide = Section("wide", [(f"c{i}", "text") for i in range(12)], title="wide")
    for i in range(6):
        wide.add([texts[(i + j) % len(texts)] for j in range(12)], "total" if i == 5 else "")
    doc = documents.Document(lang="zh", title="重点项目清单", subtitle="（2026年）", number=None, dated="2026年5月6日",
                             issuer="县招商局", summary=["截至2026年5月6日，全县共有重点项目18个。"],
                             sections=[long, short, wide], cc=["县委办"])
    calls = []
    write = documents._LongTable.write
    monkeypatch.setattr(documents._LongTable, "write", lambda self, xml, out: calls.append(1) or write(self, xml, out))

    def xml(name: str, **kw) -> bytes:
        documents.write_docx(doc, tmp_path / name, **kw)
        with zipfile.ZipFile(tmp_path / name) as z:
            return z.read("word/document.xml")

    plain = xml("plain.docx", copy_cells=False, stream_rows=None)
    assert calls == []
    streamed = xml("streamed.docx", stream_rows=3)
    assert calls == [1, 1]  # the long table and the wide one; not the short one
    assert streamed == plain
    with zipfile.ZipFile(tmp_path / "plain.docx") as a, zipfile.ZipFile(tmp_path / "streamed.docx") as b:
        assert a.namelist() == b.namelist() and b.testzip() is None
        assert all(a.read(n) == b.read(n) for n in a.namelist() if n != "docProps/core.xml")
    tables = docx.Document(str(tmp_path / "streamed.docx")).tables
    names = [r.cells[1].text for r in tables[0].rows]
    assert names[2:6] == ["<b>bold</b>", "a & b", "x]]>y", "ctl\\x01\\x1b\\x7f\\x85end"]
    assert names[6:10] == ["bidi<U+202E>back", "no<U+FFFE>char<U+FFFF>", " lead and trail ", "\u3000全角空格"]
    assert names[10] == "a\tb\nc\\x0d\nd" and names[11:15] == ["", "", "中文 名称", "<!--c-->"]
    assert tables[0].rows[1].cells[0].paragraphs[0].runs[0].bold
    assert not tables[0].rows[2].cells[0].paragraphs[0].runs[0].bold
    assert len(tables[0].rows) == 1 + len(long.rows) and len(tables[2].rows) == 1 + len(wide.rows)
    os.symlink(tmp_path / "elsewhere.docx", tmp_path / "link.docx")
    with pytest.raises(BadInput):
        documents.write_docx(doc, tmp_path / "link.docx", stream_rows=3)
    assert not (tmp_path / "elsewhere.docx").exists()


def _summary_of(html: str) -> str:
    """The document's first summary paragraph (the one that gives the figures and the key count)."""
    p = Collect()
    p.feed(html)
    return next(t for t in p.text if "重点项目" in t or "key projects" in t)


def test_a_units_document_names_the_unit_not_the_county(county, tmp_path):  # noqa: F811
    """A unit's document gives the unit's figures under its name, never 全县 / "the county"
    (docs/lights-and-reports.md), in every report kind and in both languages; the county's keeps 全县."""
    args = ("--period", "2026-B2", "--unit", "FGW", "--format", "html")
    for kind in ("bulletin", "dispatch", "review", "evaluation"):
        text = _summary_of(county("report", kind, *args, lang="zh", ok=True).out)
        assert text.startswith("2026年1—4月累计，发改局新签约项目1个")
        assert "截至2026年4月30日，发改局共有重点项目1个" in text
        assert "全县" not in text, (kind, text)
    text = _summary_of(county("report", "bulletin", *args, lang="en", ok=True).out)
    assert text.startswith("In January–April 2026 (year to date), 发改局 had 1 new projects signed")
    assert "On 30 April 2026 发改局 had 1 key projects" in text and "the county" not in text
    county_text = _summary_of(county("report", "bulletin", "--period", "2026-B2", "--format", "html", lang="zh",
                                     ok=True).out)
    assert county_text.startswith("2026年1—4月累计，全县新签约项目3个") and "全县共有重点项目2个" in county_text
    keyprojects = county("report", "keyprojects", "--period", "2026-B2", "--unit", "FGW", "--format", "html",
                         lang="zh", ok=True).out
    assert "截至2026年4月30日，发改局共有重点项目1个。" in keyprojects and "全县共有" not in keyprojects


def test_a_units_document_of_a_closed_period_names_the_unit(tmp_path):
    from tests.conftest import Cli
    from tests.test_reports import build_county

    db = str(tmp_path / "county.db")
    build_county(db)
    c = Cli(db)
    c.admin("report", "close", "--period", "2026-B2", "--reason", "两月一通报", ok=True)
    html = c("report", "bulletin", "--period", "2026-B2", "--unit", "FGW", "--format", "html", lang="zh", ok=True).out
    assert "县招通〔2026〕1号" in html  # the frozen reports
    text = _summary_of(html)
    assert text.startswith("2026年1—4月累计，发改局新签约项目1个") and "全县" not in text


@pytest.mark.parametrize(("stored", "one", "two"), [
    (0.7955, "79.6", "79.55"),  # 46544 / 58512 = 0.79546, stored 0.7955: the tables said 79.5%, the sentence 79.6%
    (4.6255, "462.6", "462.55"),  # a 环比 of 462.552%, stored 4.6255
    (0.0005, "0.1", "0.05"),
    (0.307, "30.7", "30.7"),
    (0.37, "37", "37"),
    (1.0, "100", "100"),
    (-0.0, "0", "0"),
    (-0.0004, "0", "-0.04"),
])
def test_a_rate_has_one_text_in_sentences_and_tables(stored, one, two):
    """A rate stored to 4 places is rounded once, half-up on its decimal value, by one function
    (``format_rate``): a document's sentence (``pct``) and a table's cell give the same percentage
    (docs/lights-and-reports.md, "How a rate is shown")."""
    from cli.documents import pct
    from workflow.amounts import format_rate

    assert pct(stored, 1) == one and pct(stored, 2) == two
    assert format_rate(stored) == f"{float(one):.1f}%"  # the table: one decimal, zeros kept
    assert pct(stored, 1) + "%" == format_rate(stored, 1, trim=True)


def test_summary_and_table_give_one_plan_rate(county, engine):  # noqa: F811
    """The sentence 占年度计划的X% and the table's 完成率 of the same figure agree (they differed on a
    stored 0.7955: 79.6% against 79.5%)."""
    from cli import documents
    from cli.report_cmds import bulletin_report, evaluation_report
    from workflow import reports

    b = reports.bulletin(engine, "2026-B2", problems=True)
    e = reports.evaluation(engine, "2026-B2")
    totals = b["progress"]["totals"]
    totals["year_plan"]["amount_minor"], totals["completed"]["amount_minor"] = 58512 * 10**6, 46544 * 10**6
    totals["plan_rate"] = 0.7955  # round(46544 / 58512, 4), as the report stores it
    doc = documents.build("bulletin", bulletin_report(b, "zh"), b, e, "zh", charts=False,
                          ranking=evaluation_report(e, "zh").sections[0])
    html = documents.html_text(doc)
    assert "占年度计划的79.6%" in html and ">79.6%<" in html and "79.5%" not in html
