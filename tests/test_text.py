"""Any text in, the same text out (docs/text-and-errors.md): arbitrary text through every text field of the command
line, every read command in every output format; text never read as markup, controls never emitted."""

from __future__ import annotations

import csv
import io
import itertools
import re

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import Cli, populate
from tests.stages import to_signed
from workflow.text import (
    LINE_MARK,
    csv_cell,
    neutralise_formula,
    restore_formula,
    unsafe_char,
    visible,
)

NASTY = ["[red]x[/]", "[/esg]", "[link=file:///etc/passwd]a[/link]", "风电 [phase 1]", "\x1b[2J",
         "\x1b]8;;http://x\x1b\\", "\u202e", "\u2066", "[", "]", "🚀", "项目", '=HYPERLINK("http://x","y")',
         "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\n", "\r\n", "\t", "\x00", "\x85", "\x7f", "\x9b",
         "<b>&amp;</b>", "| * _ ` #", ":smile:", "\\", "'", "%s", "{0}", "\u200b"]
pieces = st.one_of(st.sampled_from(NASTY), st.text(max_size=4))
nasty_text = st.lists(pieces, min_size=1, max_size=3).map("".join)


def _plain_safe(text: str) -> None:
    """Plain output never holds a control, escape or bidi character (line breaks aside)."""
    bad = unsafe_char(text, multiline=True)
    assert bad is None, f"emitted {bad!r}"


def _squash(text: str) -> str:
    return "".join(text.split())


# --- the one display function ---------------------------------------------------------------------


def test_visible_shows_controls_and_keeps_printable_text():
    assert visible("[red]x[/] 风电 [phase 1] 🚀") == "[red]x[/] 风电 [phase 1] 🚀"
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("a\u202eb\u2066c") == "a\\u202eb\\u2066c"
    assert visible("a\x00\x7f\x9b") == "a\\x00\\x7f\\x9b"
    assert visible("one\ntwo") == f"one{LINE_MARK}two"
    assert visible("one\r\ntwo", multiline=True) == "one\ntwo"
    assert visible("tab\there", multiline=True) == "tab\\x09here"
    assert visible(None) == ""
    assert visible(visible("a\x1b\n")) == visible("a\x1b\n")  # idempotent


def test_csv_cells_are_neutralised_and_restored():
    for text in ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "'quoted", "\nx"]:
        cell = csv_cell(text)
        assert isinstance(cell, str) and cell.startswith("'")
        assert restore_formula(cell) == text
    assert csv_cell("\tx") == "\\x09x"  # a tab is shown, never written
    assert csv_cell("-12.5") == "-12.5" and csv_cell(-3) == -3 and csv_cell("1,234") == "1,234"
    assert neutralise_formula("plain") == "plain" and restore_formula("'plain") == "'plain"


def test_csv_signed_numbers_stay_numbers():
    """A plain signed number (a report's Change row) is no formula: it is written as it is, while a
    text that merely starts with a sign is still neutralised (docs/text-and-errors.md)."""
    for text in ["+5546.00", "+3", "-3", "+8.3%", "-1,234.50"]:
        assert csv_cell(text) == text
    for text in ["+3+4", "-3 apples", "+", "-", "+.5", "+1e3", "@3"]:
        assert csv_cell(text) == "'" + text


# --- the command line: every text field, every read command, every format -------------------------

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def text_cli(tmp_path_factory) -> Cli:
    c = populate(Cli(str(tmp_path_factory.mktemp("text") / "pipeline.db")))
    return c


def _refused_or_ok(res, field: str, value: str) -> bool:
    """True when accepted; a refusal must be exit 2 naming ``field`` (and only for unsafe text)."""
    if unsafe_char(value) is None and value:
        assert res.code == 0, (field, repr(value), res.out, res.err)
        return True
    assert res.code == 2, (field, repr(value), res.code, res.out, res.err)
    assert field in res.err + res.out, res.err
    return False


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          phases=(Phase.explicit, Phase.reuse, Phase.generate))  # no shrinking: each example runs ~40 commands
@given(name=nasty_text, other=nasty_text, note=nasty_text)
def test_any_text_through_every_field_and_every_view(text_cli, tmp_path, name, other, note):
    cli = text_cli
    n = next(_seq)
    v_name, v_note = name.strip(), note.strip()
    v_other = other.strip()  # optional one-line fields are stripped as the name is (and as import does)

    # one-line fields refuse control characters naming the field; printable text of any kind is kept
    unit = f"U{n}"
    unit_ok = _refused_or_ok(cli.admin("units", "add", unit, "--name", name), "--name", v_name)
    person_ok = _refused_or_ok(cli.admin("people", "add", f"p{n}", "--name", name, "--level", "county",
                                         "--title", "t"), "--name", v_name)
    res = cli("project", "add", "--name", name, "--investor", "inv", "--industry", "ind", "--investment", "1e8",
              "--unit", "XH", "--allow-duplicate", json=True)
    project_ok = _refused_or_ok(res, "--name", v_name)
    res = cli("project", "add", "--name", "ok", "--investor", other, "--industry", other, "--origin", other,
              "--category", other, "--investment", "2e8", "--unit", "XH", "--allow-duplicate", json=True)
    other_ok = unsafe_char(v_other) is None
    assert res.code == (0 if other_ok else 2), (repr(other), res.out)
    if not other_ok:
        assert "--investor" in res.out
        res = cli("project", "add", "--name", "ok", "--investor", "i", "--industry", "x", "--investment", "2e8",
                  "--unit", "XH", "--allow-duplicate", ok=True)
    code = cli("project", "list", json=True, ok=True).json["projects"][-1]["code"]
    res = cli("doc", "add", code, "contract", "--", other)
    # a good number is checked first, then refused at `lead` by the workflow's recording rule (exit 3)
    assert (res.code == 3) == (bool(other.strip()) and unsafe_char(other.strip()) is None), res.err
    res = cli("capital", "add", code, "100", "--source", other)
    assert res.code == (3 if other_ok else 2), res.err
    # free texts take line breaks, and nothing else of the kind
    note_ok = bool(v_note) and unsafe_char(v_note, multiline=True) is None
    res = cli("followup", "add", code, "--", note)
    assert (res.code == 0) == note_ok, (repr(note), res.err)
    if not note_ok:
        assert res.code == 2 and "NOTE" in res.err
    res = cli("check", code, "industrial_policy", "pass", "--note", note)
    assert res.code in (2, 3)  # a bad note, or checks are recorded in screening only
    reason_ok = unsafe_char(v_note, multiline=True) is None  # stripped first, as every reason (and a note)
    res = cli("advance", code, "submit", "--reason", note)
    advanced = res.code == 0
    assert res.code in ((0, 3) if reason_ok else (2,)), (repr(note), res.err)  # 3: an empty investor's guard
    res = cli.admin("rules", "add", "--role", "team_member", "--person", "wang", "--priority", str(n),
                    "--name", name, "--industry", other)
    assert res.code in (0, 2) and "Traceback" not in res.err, res.err
    if unsafe_char(name.strip()) is not None:
        assert res.code == 2

    # JSON keeps the exact stored text (controls, bidi and C1 as \\u escapes: the same value)
    for args in (("project", "list"), ("history", code), ("audit", "log"), ("project", "show", code)):
        _plain_safe(cli(*args, json=True, ok=True).out)
    projects = cli("project", "list", json=True, ok=True).json["projects"]
    names = [p["name"] for p in projects]
    if project_ok:
        assert v_name in names
    shown = cli("project", "show", code, json=True, ok=True).json
    if other_ok:
        assert shown["investor"] == (v_other or None) and shown["industry"] == (v_other or None)
    events = cli("history", code, json=True, ok=True).json["events"]
    if note_ok:
        assert any(e["payload"].get("note") == v_note for e in events if e["kind"] == "followup")
    if unit_ok:
        assert v_name in _values(cli("units", "list", json=True, ok=True).json)
    if person_ok:
        assert v_name in _values(cli("people", "list", json=True, ok=True).json)

    # terminals and plain output: exit 0, the text in its visible form, no control emitted
    plain = {
        "list": cli("project", "list", ok=True), "show": cli("project", "show", code, ok=True),
        "history": cli("history", code, ok=True), "board": cli("board", ok=True),
        "warnings": cli("warnings", ok=True), "people": cli("people", "list", ok=True),
        "units": cli("units", "list", ok=True), "log": cli("audit", "log", ok=True),
        "next": cli("next", code, ok=True), "explain": cli("rules", "explain", code, ok=True),
        "bulletin": cli("report", "bulletin", "--period", "2026", ok=True),
        "rules": cli("rules", "list", ok=True), "dispatch": cli("report", "dispatch", "--period", "2026", ok=True),
        "review": cli("report", "review", "--period", "2026", ok=True),
        "evaluation": cli("report", "evaluation", "--period", "2026", ok=True),
    }
    for what, r in plain.items():
        _plain_safe(r.out)
        _plain_safe(r.err)
        assert "Traceback" not in r.err, what
    if project_ok:
        assert _squash(visible(v_name)) in _squash(plain["list"].out)
        log = cli("audit", "log", "--format", "csv", ok=True).out
        assert any(visible(v_name) in restore_formula(c) for row in csv.reader(io.StringIO(log)) for c in row)
    if other_ok:
        assert _squash(visible(v_other)) in _squash(plain["show"].out)
    if note_ok:  # (a long cell may be cropped in a piped table: the CSV has it whole)
        cells = {restore_formula(c) for row in csv.reader(io.StringIO(cli("history", code, "--format", "csv",
                                                                          ok=True).out)) for c in row}
        assert visible(v_note, multiline=True) in cells
    if advanced and note.strip():
        assert any(e["reason"] == v_note for e in cli("history", code, json=True, ok=True).json["events"])  # stripped
    if person_ok:
        assert _squash(visible(v_name)) in _squash(plain["people"].out)

    # every file format
    for fmt in ("csv", "md", "html"):
        for args in (("history", code), ("audit", "log")):
            r = cli(*args, "--format", fmt, ok=True)
            _plain_safe(r.out)
            if fmt == "html" and other_ok and "<" in v_other:
                assert v_other not in r.out  # markup escaped
            if fmt == "md":
                assert re.search(r"(?<!\\)\[", r.out) is None, r.out  # brackets escaped: never a Markdown link
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(r.out)))
                assert all(not c or c[0] not in "=+-@\t\r" or c.lstrip("-").replace(",", "").isdigit()
                           for row in rows for c in row), rows
    for fmt in ("csv", "md"):
        for args in (("report", "bulletin", "--period", "2026"), ("warnings",),
                     ("report", "dispatch", "--period", "2026")):
            r = cli(*args, "--format", fmt, ok=True)
            _plain_safe(r.out)
    r = cli("export", "-", ok=True)
    _plain_safe(r.out)
    rows = list(csv.DictReader(io.StringIO(r.out)))
    exported = {restore_formula(row["name"]) for row in rows}
    if project_ok:
        assert v_name in exported
    if other_ok:
        assert v_other in {restore_formula(row["investor"]) for row in rows}
    out = tmp_path / f"b{n}.xlsx"
    cli("report", "bulletin", "--period", "2026", "--format", "xlsx", "--output", out, ok=True)
    _no_formulas(out)


def _values(doc) -> set:
    """Every text value of a JSON document."""
    if isinstance(doc, dict):
        return set().union(*(_values(v) for v in doc.values())) if doc else set()
    if isinstance(doc, list):
        return set().union(*(_values(v) for v in doc)) if doc else set()
    return {doc} if isinstance(doc, str) else set()


def _no_formulas(path) -> list:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    values = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)
                values.append(c.value)
    return values


# --- stored text that predates the checks is still shown safely -----------------------------------


def test_stored_control_text_is_shown_visibly(tmp_path):
    cli = populate(Cli(str(tmp_path / "p.db")))
    cli("project", "add", "--name", "plain", "--investor", "i", "--industry", "x", "--investment", "1e8",
        "--unit", "XH", ok=True)
    from sqlalchemy import create_engine, update

    from workflow.tables import project

    evil = "ESG [/esg] \x1b[2J\x1b]8;;file:///etc/passwd\x07a\u202eb\nforged line"
    engine = create_engine(cli.url_for("admin"))
    with engine.begin() as conn:
        conn.execute(update(project).values(name=evil, investor="[red]x[/]"))
    engine.dispose()
    for args in (("project", "list"), ("project", "show", "P-0001"), ("board",), ("warnings",)):
        r = cli(*args, ok=True)
        _plain_safe(r.out)
        assert "\\x1b[2J" in r.out, (args, r.out)
    r = cli("project", "list", ok=True)
    assert f"ESG [/esg] \\x1b[2J\\x1b]8;;file:///etc/passwd\\x07a\\u202eb{LINE_MARK}forged line" in r.out
    assert not any(line.lstrip().startswith("forged") for line in r.out.splitlines())  # no extra line
    r = cli("project", "show", "P-0001", ok=True)
    assert "[red]x[/]" in r.out
    assert cli("project", "show", "P-0001", json=True, ok=True).json["name"] == evil
    for fmt in ("md",):
        r = cli("history", "P-0001", "--format", fmt, ok=True)
        _plain_safe(r.out)


# --- spreadsheets: no live formula, and an export imports back -------------------------------------

FORMULA_NAMES = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "'quoted",
                 "=1+1 [red]x[/] 风电"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_with_formula_like_names_imports_back(tmp_path, suffix):
    src = populate(Cli(str(tmp_path / "src.db")))
    for i, name in enumerate(FORMULA_NAMES):
        src("project", "add", "--name", name, "--investor", FORMULA_NAMES[-1 - i], "--industry", "@x",
            "--origin", "-y", "--investment", f"{i + 1}e7", "--unit", "XH", ok=True)
    out = tmp_path / f"ledger{suffix}"
    src("export", out, ok=True)
    if suffix == ".xlsx":
        values = _no_formulas(out)
        assert set(FORMULA_NAMES) <= set(values)  # text cells hold the names exactly
        assert 10_000_000 in values or 100_000.0 in values or any(isinstance(v, int | float) for v in values)
    else:
        text = out.read_text(encoding="utf-8-sig")
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                assert not cell or cell[0] not in "=+-@\t\r", row
    dst = populate(Cli(str(tmp_path / "dst.db")))
    dst("import", out, ok=True)
    got = {(p["name"], p["investor"], p["industry"], p["origin"], p["planned_investment"]["amount_minor"])
           for p in (dst("project", "show", c["code"], json=True, ok=True).json
                     for c in dst("project", "list", json=True, ok=True).json["projects"])}
    want = {(p["name"], p["investor"], p["industry"], p["origin"], p["planned_investment"]["amount_minor"])
            for p in (src("project", "show", c["code"], json=True, ok=True).json
                      for c in src("project", "list", json=True, ok=True).json["projects"])}
    assert got == want


def test_report_and_warnings_workbooks_hold_no_formula(tmp_path):
    cli = populate(Cli(str(tmp_path / "p.db")))
    for name in FORMULA_NAMES:
        cli("project", "add", "--name", name, "--investor", "i", "--industry", "x", "--investment", "2e8",
            "--unit", "XH", ok=True)
    for args in (("report", "bulletin", "--period", "2026"), ("warnings",), ("report", "dispatch", "--period", "2026")):
        out = tmp_path / f"{args[-1]}.xlsx"
        r = cli(*args, "--format", "xlsx", "--output", out)
        assert r.code == 0, r.err
        _no_formulas(out)
        r = cli(*args, "--format", "csv", ok=True)
        for row in csv.reader(io.StringIO(r.out)):
            for cell in row:  # a cell starting with a sign is a plain signed number (the Change row: +3, -2000.00)
                assert not cell or cell[0] not in "=@\t\r" and (
                    cell[0] not in "+-" or re.fullmatch(r"[+-][0-9][0-9,]*(\.[0-9]+)?%?", cell)), row


def test_a_workbook_that_expands_too_far_is_refused_before_parsing(tmp_path):
    import zipfile

    from workflow.io import reading as wio_reading

    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/sharedStrings.xml", "<sst>" + "A" * (8 * 1024 * 1024) + "</sst>")
    assert bomb.stat().st_size < 100_000
    cli = populate(Cli(str(tmp_path / "p.db")))
    r = cli("import", bomb)
    assert r.code == 2 and "compressed" in r.err and "to 1" in r.err, r.err
    r = cli("import", bomb, json=True)
    assert r.code == 2 and r.json["error"]["code"] == "xlsx_part_too_compressed"
    big = tmp_path / "big.xlsx"
    with zipfile.ZipFile(big, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("xl/a.xml", b"x" * 2048)
    old = wio_reading.XLSX_MAX_UNCOMPRESSED
    wio_reading.XLSX_MAX_UNCOMPRESSED = 1024
    try:
        r = cli("import", big)
    finally:
        wio_reading.XLSX_MAX_UNCOMPRESSED = old
    assert r.code == 2 and "expands to 2,048 bytes" in r.err, r.err


def test_problem_list_is_complete_in_json_and_bounded_when_printed(tmp_path):
    cli = populate(Cli(str(tmp_path / "p.db")))
    ledger = tmp_path / "bad.csv"
    rows = ["name,investor,industry,investment,unit"] + [f"p{i},i,x,not-money,XH" for i in range(60)]
    ledger.write_text("\n".join(rows) + "\n", encoding="utf-8")
    r = cli("import", ledger, json=True)
    assert r.code == 2 and len(r.json["error"]["details"]) == 60
    r = cli("import", ledger)
    assert r.code == 2
    assert r.err.count("line ") <= 21 and "and 40 more (--json lists them all)" in r.err, r.err
    wide = tmp_path / "wide.csv"
    wide.write_text(",".join(f"h{i}" for i in range(5000)) + "\n" + ",".join("v" for _ in range(5000)) + "\n")
    r = cli("import", wide)
    assert r.code == 2 and len(r.err) < 5000, len(r.err)


# --- the Python API refuses what the command line refuses -----------------------------------------


@pytest.mark.parametrize("bad", ["a\x1bb", "a\u202eb", "a\x00b", "a\nb", "a\x85b", "a\udc85b"])
def test_the_api_refuses_control_characters_naming_the_field(service, bad):
    from workflow.errors import BadInput

    with pytest.raises(BadInput, match="--name"):
        service.add_project(name=bad, investor="i", industry="x", investment_minor=100, unit="XH")
    with pytest.raises(BadInput, match="--investor"):
        service.add_project(name="ok", investor=bad, industry="x", investment_minor=100, unit="XH")
    code = service.add_project(name="ok", investor="i", industry="x", investment_minor=100, unit="XH").project.code
    with pytest.raises(BadInput, match="NUMBER"):
        service.add_document(code, "contract", bad)
    if bad != "a\nb":
        with pytest.raises(BadInput, match="NOTE"):
            service.add_followup(code, bad)
    else:
        service.add_followup(code, bad)  # free texts take line breaks


def test_limits_and_dates_are_refused_through_the_api(service):
    from workflow.errors import BadInput

    with pytest.raises(BadInput, match="longer than 300"):
        service.add_project(name="x" * 301, investor="i", industry="x", investment_minor=100, unit="XH")
    with pytest.raises(BadInput, match="1990-01-01"):
        service.add_project(name="x", investor="i", industry="x", investment_minor=100, unit="XH",
                            plan={"sign": "1989-12-31"})
    with pytest.raises(BadInput, match="2100-12-31"):
        service.add_project(name="x", investor="i", industry="x", investment_minor=100, unit="XH",
                            plan={"sign": "9999-12-31"})
    code = service.add_project(name="x", investor="i", industry="x", investment_minor=100, unit="XH").project.code
    with pytest.raises(BadInput, match="longer than 4000"):
        service.add_followup(code, "n" * 4001)


def test_a_total_past_the_limit_is_refused_and_totals_stay_exact(cli):
    from workflow.money import MAX_MINOR

    code = cli("project", "add", "--name", "big", "--investor", "i", "--industry", "x", "--investment", "9000万",
               "--unit", "XH", json=True, ok=True).json["code"]
    to_signed(cli, code)  # capital is recorded from `signed` on
    half = MAX_MINOR // 2
    for _ in range(2):
        cli("capital", "add", code, f"{half // 100}", "--allow-duplicate", "--confirm", ok=True)
    r = cli("capital", "add", code, "100")
    assert r.code == 2 and "past the limit" in r.err
    shown = cli("project", "show", code, json=True, ok=True).json
    assert sum(m["amount_minor"] for m in shown["capital_in_place"]) == 2 * (half // 100 * 100)
    from datetime import date

    assert cli("board", ok=True).code == 0
    bulletin = cli("report", "bulletin", "--period", str(date.today().year), json=True, ok=True).json
    assert bulletin["totals"]["capital_in_place"]


def test_usage_errors_show_user_text_visibly(cli):
    r = cli("project", "list", "--x\x1b[2J")
    assert r.code == 2 and "\x1b" not in r.err and "\\x1b[2J" in r.err


@pytest.mark.parametrize("args, code", [
    (("project", "show", "P-[/x]"), 4), (("check", "P-[/x]", "energy", "pass"), 4),
    (("board", "--unit", "[/esg]"), 4), (("project", "list", "--unit", "[red]x\x1b[/]"), 4),
    (("history", "ESG [/esg] \u202e"), 4),
])
def test_error_paths_with_markup_exit_with_their_code(cli, args, code):
    r = cli(*args)
    assert r.code == code, (r.code, r.err)
    assert "[/" in r.err and "\x1b" not in r.err and "\u202e" not in r.err and "Traceback" not in r.err
    rj = cli(*args, json=True)
    from workflow.catalogue import catalogue

    assert rj.code == code and rj.json["error"]["code"] in catalogue()


def test_every_unsafe_character_is_non_printable():
    """``visible`` and ``unsafe_char`` return printable text at once (``str.isprintable``): that is
    only right while every character the patterns match is one Python calls non-printable."""
    from workflow.text import _UNSAFE, _UNSAFE_MULTI, unsafe_char, visible

    matched = [chr(c) for c in range(0x110000) if _UNSAFE.match(chr(c)) or _UNSAFE_MULTI.match(chr(c))]
    assert len(matched) > 2000
    assert [c for c in matched if c.isprintable()] == []
    assert visible("招商[red]x[/] 100%") == "招商[red]x[/] 100%" and unsafe_char("普通 text") is None
    assert visible("a\u202eb") == "a\\u202eb" and unsafe_char("a\u2028b") == "\u2028"


def test_a_transitions_reason_is_taken_as_every_reason(service):
    """`advance --reason` takes its reason by the one rule of a reason (``workflow.values.reason``,
    docs/text-and-errors.md): stripped first (a tab or line break around it too), then at most 4000
    characters, several lines allowed, no control character inside; blank is no reason."""
    from workflow.errors import BadInput

    code = service.add_project(name="x", investor="i", industry="x", investment_minor=100, unit="XH").project.code
    with pytest.raises(BadInput, match="longer than 4000"):
        service.advance(code, "submit", reason="r" * 4001)
    service.advance(code, "submit", reason="  " + "r" * 3996 + "\nend  ")  # 4000 once stripped
    events = service.history(code)["events"]
    assert events[-1]["kind"] == "transition" and events[-1]["reason"] == "r" * 3996 + "\nend"
    with pytest.raises(BadInput, match="--reason"):  # a control character inside is refused, naming the field
        service.advance(code, "review", reason="a\tb")
    service.advance(code, "hold", reason="\t等待用地指标\r\n")  # around it: white space, stripped, as docs say
    assert service.history(code)["events"][-1]["reason"] == "等待用地指标"


def test_a_checks_note_is_stripped_as_every_free_text(service):
    """`check --note` is free text as a follow-up's note and a reason are (docs/text-and-errors.md):
    stripped of white space around it first (a tab or line break too), then checked; blank is no note."""
    from workflow.errors import BadInput

    code = service.add_project(name="x", investor="i", industry="x", investment_minor=100, unit="XH").project.code
    service.advance(code, "submit")
    service.record_check(code, "industrial_policy", "pass", note="\t符合产业政策\r\n")
    service.record_check(code, "environment", "pass", note=" \n ")
    with pytest.raises(BadInput, match="--note"):
        service.record_check(code, "energy", "pass", note="a\tb")
    checks = [e["payload"] for e in service.history(code)["events"] if e["kind"] == "check"]
    assert [(c["item"], c.get("note")) for c in checks] == [("industrial_policy", "符合产业政策"),
                                                             ("environment", None)]
