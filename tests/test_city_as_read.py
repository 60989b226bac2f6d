"""The city's reports as the city bureau reads them (docs/city.md, "City reports"): amounts say their
unit, every label is in the report's language, every output carries each county's as-of date and
bundle digest, and the documents keep a number on its line."""

from __future__ import annotations

import csv
import io
import re
import shutil
import sqlite3
import zipfile

import pytest

from tests.conftest import invoke
from tests.test_city import _county_db


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> dict:
    """A city database holding one county (``JX``, 甲县), loaded from its signed bundle."""
    tmp = tmp_path_factory.mktemp("city_as_read")
    county = _county_db(tmp)
    city = str(tmp / "city.db")
    assert invoke(["city", "init"], db=city).code == 0
    assert invoke(["city", "trust", "add", "JX", "--key", county["public"], "--reason", "r"], db=city).code == 0
    assert invoke(["city", "load", county["bundle"]], db=city).code == 0
    return {**county, "city": city, "year": county["doc"]["as_of"][:4]}


@pytest.fixture
def city(loaded, tmp_path) -> dict:
    """A copy of the loaded city this test may change."""
    path = str(tmp_path / "city.db")
    shutil.copy(loaded["city"], path)
    return {**loaded, "city": path}


def _run(loaded: dict, *args: str, lang: str = "en"):
    res = invoke(list(args), db=loaded["city"], lang=lang)
    assert res.code == 0, res.err
    return res


def _commands(loaded: dict) -> list[list[str]]:
    year = loaded["year"]
    return [["city", "report", "ranking", "--period", year], ["city", "report", "bulletin", "--period", f"{year}-B6"],
            ["city", "board"], ["city", "show", "JX"]]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_amounts_say_they_are_in_ten_thousands(loaded, lang):
    """The amounts are shown in 万 (docs/money.md): a header saying only "(CNY)" over 130,000.00 reads as
    CNY 130 000, not 13亿.  Every amount column says 10k / 万."""
    for args in [a for a in _commands(loaded) if a[1] != "board"]:  # the board shows no amount
        header = _run(loaded, *args, "--format", "csv", lang=lang).out.splitlines()[0]
        if lang == "zh":
            assert "人民币" not in header and "（美元）" not in header, header
            money = [h for h in header.split(",") if "元" in h]
            assert money and all("（万元）" in h or "（万美元）" in h for h in money), header
        else:
            assert not re.search(r"\((CNY|USD)\)", header), header
            money = [h for h in header.split(",") if "CNY" in h or "USD" in h]
            assert money and all("(10k CNY)" in h or "(10k USD)" in h for h in money), header


def test_labels_are_in_the_reports_language(loaded):
    """Under --lang zh the ranking's figure (``--by``) and a project's stage are in Chinese."""
    from workflow.definition import default_definition

    for args in (["city", "report", "ranking", "--period", loaded["year"]],
                 ["city", "report", "bulletin", "--period", f"{loaded['year']}-B6"]):
        for by, zh in (("capital", "到位资金"), ("signed", "签约"), ("investment", "完成投资"), ("key", "重点项目")):
            md = _run(loaded, *args, "--by", by, "--format", "md", lang="zh").out
            line = next(ln for ln in md.splitlines() if ln.startswith("排名依据"))
            assert zh in line and by not in line, line
    stages = {p["stage"] for p in invoke(["city", "show", "JX", "--json"], db=loaded["city"]).json["projects"]}
    md = _run(loaded, "city", "show", "JX", "--format", "md", lang="zh").out
    rows = [ln.split(" | ")[4] for ln in md.splitlines() if ln.startswith("| P-")]
    assert set(rows) == {default_definition().stage_label(s, "zh") for s in stages} and not set(rows) & stages


def test_city_show_carries_the_as_of_date_and_digest_in_every_format(loaded, tmp_path):
    """Each report prints each county's as-of date and bundle digest: ``city show`` too, in its
    documents and its CSV (a document or CSV without them cannot be checked against the county)."""
    import docx as python_docx

    as_of, digest = loaded["doc"]["as_of"], loaded["doc"]["digest"]
    for lang in ("en", "zh"):
        for fmt in ("csv", "md", "html"):
            out = _run(loaded, "city", "show", "JX", "--format", fmt, lang=lang).out
            assert as_of in out and digest in out, (fmt, lang)
        path = tmp_path / f"show-{lang}.docx"
        _run(loaded, "city", "show", "JX", "--format", "docx", "--output", str(path), lang=lang)
        d = python_docx.Document(str(path))
        text = "\n".join([p.text for p in d.paragraphs] + [c.text for t in d.tables for r in t.rows for c in r.cells])
        assert as_of in text and digest in text


def test_a_county_name_with_control_characters_is_written_visibly_in_every_format(city, tmp_path):
    """A name the city holds is shown as text in every output, never as an escape, and never fails a
    document (a Word document's properties refuse control characters)."""
    db = sqlite3.connect(city["city"])
    db.execute("UPDATE city_county SET name = ? WHERE code = 'JX'", ("甲\x1b[31m县\x07",))
    db.commit()
    db.close()
    for args in _commands(city):
        for fmt in ("docx", "xlsx", "html", "md", "csv"):
            path = tmp_path / f"out.{fmt}"
            res = invoke([*args, "--format", fmt, "--output", str(path)], db=city["city"])
            assert res.code == 0, (args, fmt, res.err)
            data = path.read_bytes()
            if fmt in ("docx", "xlsx"):
                with zipfile.ZipFile(path) as z:
                    data = b"".join(z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels")))
            assert b"\x1b" not in data and b"\x07" not in data, (args, fmt)


WIDE = ["Rank", "County", "Name", "Signed in period", "Capital in period (10k CNY)", "Signed, year to date",
        "Capital, year to date (10k CNY)", "Capital, year to date (10k USD)", "Investment, year to date (10k CNY)",
        "Capital, same span last year (10k CNY)", "Signed growth", "Capital, change on last year",
        "Investment, change on last year", "As of"]
ROW = ["1", "NJ", "五大连池市", "0", "32,500.00", "13", "273,471.00", "900.00", "46,544.00", "370,500.00", "-100.0%",
       "-25.0%", "-100.0%", "2026-12-06"]


def test_a_number_or_date_in_a_wide_table_keeps_its_line():
    """In a table too wide for its page the text columns wrap, never a number or a date: a column of
    them is at least as wide as its longest cell ("130,000.0" over "0" reads as another figure)."""
    from cli.documents import column_widths
    from workflow.docformat import CELL_PAD_MM, PT_MM, WIDE_TEXT_WIDTH, ems

    whole = [c[0].isdigit() or c[0] == "-" for c in ROW]
    whole[1] = whole[2] = False
    widths, pt = column_widths(WIDE, [ROW], WIDE_TEXT_WIDTH, whole)
    assert sum(widths) <= WIDE_TEXT_WIDTH + 1e-6
    for w, cell, keep in zip(widths, ROW, whole, strict=True):
        if keep:
            assert w >= ems(cell) * pt * PT_MM + CELL_PAD_MM - 1e-6, (cell, w, pt)


def test_the_city_bulletin_document_keeps_its_figures_on_their_lines(loaded):
    """The city bulletin (14 columns) as HTML: every numeric or date column at least as wide as its
    longest cell, at the table's own font size."""
    from workflow.docformat import CELL_PAD_MM, PT_MM, ems

    html = _run(loaded, "city", "report", "bulletin", "--period", f"{loaded['year']}-B6", "--format", "html").out
    table = html[html.index("<table"):html.index("</table>")]
    pt = float(re.search(r"font-size: ([\d.]+)pt", table).group(1))
    widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)mm">', table)]
    rows = [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table)[1:]]
    for i, w in enumerate(widths):
        cells = [r[i] for r in rows]
        if all(re.fullmatch(r"[-+\d.,%]*", c) for c in cells):
            assert w >= max(ems(c) for c in cells) * pt * PT_MM + CELL_PAD_MM - 0.1, (i, cells, w)


def test_the_english_sentence_reads_as_a_sentence_and_the_bulletin_says_what_it_compares(loaded):
    """"In 2026, the city signed …" (the county's documents say "In 2025, the county had …"); the
    bulletin's change of signed projects is on the same span last year (同比), as its other changes."""
    from cli.city_cmds import _summary
    from cli.context import STATE

    total = {"signed": 3, "capital": {"CNY": 0, "USD": 0}, "investment": {"CNY": 0}}
    before, STATE.lang = STATE.lang, "en"
    try:
        assert _summary(total, {"signed": None}, "January–October 2026", 1)[0].startswith(
            "In January–October 2026, the city signed 3 projects")
    finally:
        STATE.lang = before
    year = loaded["year"]
    for lang, label in (("en", "Signed, change on last year"), ("zh", "签约同比")):
        out = _run(loaded, "city", "report", "bulletin", "--period", f"{year}-B6", "--format", "csv", lang=lang).out
        header = next(csv.reader(io.StringIO(out)))
        assert label in header, header


def test_the_trusted_keys_are_listed_under_labels_in_the_users_language(loaded):
    for lang, labels in (("en", ["County", "Public key", "Reason", "Trusted by"]),
                         ("zh", ["县区", "公钥", "原因", "添加人"])):
        header = re.split(r"\s{2,}", _run(loaded, "city", "trust", "list", lang=lang).out.splitlines()[0].strip())
        assert header == labels, header


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_table_too_wide_for_80_columns_goes_on_in_a_second_table_its_numbers_whole(loaded, monkeypatch, lang):
    """The bulletin's 14 columns in 80: its figures go on in tables titled as continued, each led by the
    rank, county and name, every number and date on its line, no line wider than the screen."""
    monkeypatch.setenv("PIPELINE_WIDTH", "80")
    args = ["city", "report", "bulletin", "--period", f"{loaded['year']}-B6"]
    text = _run(loaded, *args, lang=lang).out
    doc = _run(loaded, *args, "--json").json
    assert max(len(line) for line in text.splitlines()) <= 80
    assert ("(continued)" if lang == "en" else "（续）") in text
    row = doc["counties"][0]
    figures = [f"{row['year_to_date']['capital']['CNY'] / 1_000_000:,.2f}",
               f"{row['year_to_date_before']['capital']['CNY'] / 1_000_000:,.2f}", row["as_of"]]
    for figure in figures:
        assert figure in text, (figure, text)
    assert text.count("甲县") >= 2  # the name leads every part


def test_the_documents_say_what_the_counties_are_ranked_by(loaded, tmp_path):
    """A ranking as a document (html, docx) names the figure it ranks by: the table's heading says it
    (the terminal, md and xlsx also say it in their notes)."""
    import docx as python_docx

    year = loaded["year"]
    for lang, words in (("en", {"signed": "ranked by projects signed", "capital": "ranked by capital in place"}),
                        ("zh", {"signed": "按签约项目数排名", "capital": "按到位资金排名"})):
        for by, said in words.items():
            html = _run(loaded, "city", "report", "ranking", "--period", year, "--by", by, "--format", "html",
                        lang=lang).out
            assert said in html, (lang, by)
            bulletin = _run(loaded, "city", "report", "bulletin", "--period", f"{year}-B6", "--by", by,
                            "--format", "html", lang=lang).out
            assert said.replace("按", "按累计") in bulletin if lang == "zh" else said in bulletin, (lang, by)
        path = tmp_path / f"r-{lang}.docx"
        _run(loaded, "city", "report", "ranking", "--period", year, "--by", "signed", "--format", "docx",
             "--output", str(path), lang=lang)
        assert any(words["signed"] in p.text for p in python_docx.Document(str(path)).paragraphs)
