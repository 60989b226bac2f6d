"""workflow/io/: reading ledgers in every encoding and header form, checking every cell."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from workflow import io as wio
from workflow.catalogue import text as shown
from workflow.errors import BadInput
from workflow.io import reading as wio_reading

TODAY = date(2026, 6, 30)
UNITS = [{"code": "XH", "name": "新华镇"}, {"code": "FGW", "name": "发改局"}]
ZH_HEADER = ("项目名称,投资方,投资方来源,行业,类别,计划总投资,责任单位,重点项目,"
             "计划签约日期,计划到资日期,计划开工日期,计划投产日期")
EN_HEADER = ("name,investor,origin,industry,category,investment,unit,key,"
             "plan_sign,plan_fund,plan_break_ground,plan_commission")
ROW = "东安金矿,东安金业有限公司,山东,采矿业,工业,6.6亿,XH,是,2026-09-30,2026-10-31,2027-03-01,2028-06-30"


def check(text: str | bytes, encoding: str = "utf-8", **kw) -> wio.Checked:
    data = text.encode(encoding) if isinstance(text, str) else text
    table = wio.read_csv_bytes(data, source="t.csv")
    return wio.check_rows(table, units=UNITS, today=TODAY, **kw)


def rows(checked: wio.Checked) -> list[dict]:
    return list(checked.rows())


def only_row(checked: wio.Checked) -> dict:
    assert checked.problems == []
    assert checked.count == 1
    (row,) = rows(checked)
    return row


EXPECTED = {"name": "东安金矿", "investor": "东安金业有限公司", "origin": "山东", "industry": "采矿业",
            "category": "工业", "investment_minor": 66_000_000_000, "unit": "XH", "key": None,
            "plan": {"sign": date(2026, 9, 30), "fund": date(2026, 10, 31), "break_ground": date(2027, 3, 1),
                     "commission": date(2028, 6, 30)}, "on": None}


@pytest.mark.parametrize("header", [ZH_HEADER, EN_HEADER], ids=["chinese", "english"])
def test_each_header_form_reads_the_same_row(header):
    assert only_row(check(f"{header}\n{ROW}\n")) == EXPECTED


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_each_encoding(encoding):
    table = wio.read_csv_bytes(f"{ZH_HEADER}\r\n{ROW}\r\n".encode(encoding))
    assert table.encoding == {"gbk": "gb18030"}.get(encoding, encoding)
    assert only_row(wio.check_rows(table, units=UNITS, today=TODAY)) == EXPECTED


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_each_encoding_from_a_file_read_in_small_chunks(tmp_path, monkeypatch, encoding):
    """The encoding is found a chunk at a time (chunks here split characters) and the rows are read
    through a text stream: the same rows as the whole file decoded at once."""
    monkeypatch.setattr(wio_reading, "_CHUNK", 7)
    path = tmp_path / "ledger.csv"
    text = f"示范县项目台账\r\n{ZH_HEADER}\r\n" + "".join(ROW.replace("东安金矿", f"东安金矿{i}") + "\r\n"
                                                       for i in range(50))
    path.write_bytes(text.encode(encoding))
    table = wio.read_table(path)
    assert (table.encoding, table.header_line, table.skipped_lines) == (encoding, 2, [1])
    checked = wio.check_rows(table, units=UNITS, today=TODAY)
    assert checked.problems == [] and checked.count == 50
    assert [(line, row["name"]) for line, row in checked.numbered()][-1] == (52, "东安金矿49")
    assert rows(checked)[0] == {**EXPECTED, "name": "东安金矿0"}


def test_a_bad_byte_is_named_by_its_offset_in_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(wio_reading, "_CHUNK", 5)
    good = f"{ZH_HEADER}\n{ROW}\n".encode()
    path = tmp_path / "x.csv"
    path.write_bytes(b"\xef\xbb\xbf" + good + "项目".encode("gb18030"))
    with pytest.raises(BadInput, match=f"UTF-8 byte-order mark.*offset {3 + len(good)}"):
        wio.read_table(path)
    ascii_rows = f"{EN_HEADER}\na,b,c,d,e,1,XH,,,,,\n".encode()
    path.write_bytes(ascii_rows + b"\x80\xff")  # neither UTF-8 nor GB18030
    with pytest.raises(BadInput, match=f"neither UTF-8 nor GB18030.*offset {len(ascii_rows)}"):
        wio.read_table(path)


def test_a_large_ledger_is_checked_without_holding_its_rows(tmp_path):
    """Pass 1 keeps the problems, a digest per row (for duplicates) and the converted rows on a spool
    (a temporary file once past 1 MiB): no list of rows, and memory far below a row's size per row."""
    import tracemalloc

    def checked_peak(n: int) -> tuple[wio.Checked, int]:
        path = tmp_path / f"ledger-{n}.csv"
        with open(path, "w", encoding="utf-8", newline="") as f:
            f.write(EN_HEADER + "\n")
            for i in range(n):
                f.write(f"示范项目{i}号,投资方{i % 97}有限公司,山东,采矿业,工业,{i + 1}万,XH,,2026-09-30,,,\n")
        tracemalloc.start()
        checked = wio.check_rows(wio.read_table(path), units=UNITS, today=TODAY)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return checked, peak

    small, small_peak = checked_peak(2_000)
    big, big_peak = checked_peak(40_000)
    assert big.problems == [] and big.count == 40_000
    assert not [k for k, v in vars(big).items() if isinstance(v, list | tuple) and len(v) > 100]
    per_row = (big_peak - small_peak) / 38_000
    assert per_row < 400, f"{per_row:.0f} bytes a row"  # a held row (cells, a dict) takes some 3,000
    got = list(big.numbered())
    assert len(got) == 40_000 and got[-1][0] == 40_001 and got[-1][1]["investment_minor"] == 40_000 * 10**6
    assert big.lines_of([1, 40_000]) == {1: 2, 40_000: 40_001}
    big.close()
    small.close()


def test_gb18030_is_chosen_only_when_utf8_fails():
    text = f"{ZH_HEADER}\n{ROW}\n"
    assert wio.decode(text.encode("utf-8"))[1] == "utf-8"
    assert wio.decode(text.encode("gb18030"))[1] == "gb18030"
    with pytest.raises(BadInput, match="UTF-8"):
        wio.decode(b"\xef\xbb\xbf" + "项目".encode("gb18030"))  # a UTF-8 mark on GBK bytes


@pytest.mark.parametrize("sep", [",", "\t", ";"])
def test_separators(sep):
    assert only_row(check(f"{ZH_HEADER.replace(',', sep)}\n{ROW.replace(',', sep)}\n")) == EXPECTED
    titled = f"示范县项目台账\n{ZH_HEADER.replace(',', sep)}\n{ROW.replace(',', sep)}\n"
    assert only_row(check(titled)) == EXPECTED


def test_title_row_and_blank_rows_are_passed_over_and_lines_count_from_the_file():
    text = f"示范县招商引资项目台账,,,\n\n{ZH_HEADER}\n{ROW}\n,,,,\n{ROW.replace('6.6亿', 'abc')}\n"
    checked = check(text)
    assert checked.count == 1 and checked.rows_seen == 2
    assert [p["line"] for p in checked.problems] == [6]
    assert checked.problems[0]["column"] == "F"
    good = check(text.rsplit(",,,,", 1)[0])
    assert [(line, row["name"]) for line, row in good.numbered()] == [(4, "东安金矿")]


def test_optional_columns_may_be_left_out_and_unknown_columns_are_reported_as_ignored():
    checked = check("序号,项目名称,投资方,行业,计划总投资,责任单位,备注说明\n"
                    "1,宾馆建设项目,利源达公司,文化旅游,4500万元,新华镇,x\n")
    row = only_row(checked)
    assert row["unit"] == "XH"  # the unit by its name
    assert row["investment_minor"] == 45_000_000 * 100
    assert row["origin"] is None and row["plan"] == {} and row["key"] is None
    assert checked.ignored == ["备注说明"]  # 序号 is a known column to pass over


def test_export_only_columns_are_passed_over():
    checked = check("编号,name,investor,industry,investment,unit,stage\nP-0007,a,b,c,100,XH,signed\n")
    assert only_row(checked)["name"] == "a"
    assert checked.ignored == []


def test_amount_header_may_carry_its_unit():
    row = only_row(check("项目名称,投资方,行业,计划总投资（万元）,责任单位\na,b,c,5600,XH\n"))
    assert row["investment_minor"] == 56_000_000 * 100
    row = only_row(check("项目名称,投资方,行业,计划总投资(亿元),责任单位\na,b,c,1.5,XH\n"))
    assert row["investment_minor"] == 150_000_000 * 100
    row = only_row(check("项目名称,投资方,行业,计划总投资（万元）,责任单位\na,b,c,3亿,XH\n"))
    assert row["investment_minor"] == 300_000_000 * 100  # a cell's own unit wins


@pytest.mark.parametrize("text, minor", [
    ("120000000", 120_000_000_00), ("1.2e8", 120_000_000_00), ("5600万", 56_000_000_00),
    ("5600万元", 56_000_000_00), ("6.6亿", 660_000_000_00), ("6.6亿元", 660_000_000_00),
    ("\"12,000,000\"", 12_000_000_00), ("１２００万", 12_000_000_00),
])
def test_every_amount_form(text, minor):
    assert only_row(check(f"name,investor,industry,investment,unit\na,b,c,{text},XH\n"))["investment_minor"] == minor


@pytest.mark.parametrize("text, value", [
    ("是", True), ("否", False), ("yes", True), ("No", False), ("TRUE", True), ("false", False), ("1", True),
    ("0", False), ("", None),
])
def test_yes_no_forms(text, value):
    # 5000万 is under the threshold: yes is a hand designation, no agrees with the threshold
    row = only_row(check(f"name,investor,industry,investment,unit,key\na,b,c,5000万,XH,{text}\n"))
    assert row["key"] == (True if value else None)
    big = only_row(check(f"name,investor,industry,investment,unit,key\na,b,c,2亿,XH,{text}\n"))
    assert big["key"] == (False if value is False else None)


@pytest.mark.parametrize("text", ["2026-09-30", "2026/9/30", "2026.9.30", "2026年9月30日"])
def test_date_forms(text):
    row = only_row(check(f"name,investor,industry,investment,unit,plan_sign\na,b,c,1,XH,{text}\n"))
    assert row["plan"] == {"sign": date(2026, 9, 30)}


def test_every_kind_of_bad_cell_is_reported_with_line_and_column():
    text = (f"{EN_HEADER},registered_on\n"
            ",b,o,,d,abc,XX,maybe,2026-13-01,tomorrow,2026-02-30,31/12/2026,2027-01-01\n"
            "ok,b,o,c,d,4179万美元,XH,yes,,,,,\n"
            f"{'长' * 301},b,o,c,d,-5,XH,,,,,,\n"
            "ok2,b,o,c,d,1,XH,,,,,,,extra\n")
    checked = check(text)
    assert rows(checked) == []
    got = {(p["line"], p["column"], p["field"]) for p in checked.problems}
    assert got == {
        (2, "A", "name"), (2, "D", "industry"), (2, "F", "investment"), (2, "G", "unit"), (2, "H", "key"),
        (2, "I", "plan_sign"), (2, "J", "plan_fund"), (2, "K", "plan_break_ground"), (2, "L", "plan_commission"),
        (2, "M", "registered_on"),
        (3, "F", "investment"),
        (4, "A", "name"), (4, "F", "investment"),
        (5, "N", ""),
    }
    msg = {(p["line"], p["column"]): shown(p["message"]) for p in checked.problems}
    assert "must not be empty" in msg[(2, "A")]
    assert "accepted forms" in msg[(2, "F")]
    assert "no unit 'XX'" in msg[(2, "G")] and "XH" in msg[(2, "G")]
    assert "yes or no" in msg[(2, "H")]
    assert "YYYY-MM-DD" in msg[(2, "I")]
    assert "future" in msg[(2, "M")]
    assert "CNY" in msg[(3, "F")]
    assert "300" in msg[(4, "A")]
    assert "negative" in msg[(4, "F")]


def test_messages_in_chinese():
    checked = check("项目名称,投资方,行业,计划总投资,责任单位\n,b,c,abc,无此单位\n", lang="zh")
    msgs = [shown(p["message"], "zh") for p in checked.problems]  # messages by code, shown in Chinese
    assert any("必填" in m for m in msgs)
    assert any("无法识别的金额" in m for m in msgs)
    assert any("没有责任单位" in m for m in msgs)


def test_missing_and_duplicate_columns_refuse_the_file():
    checked = check("项目名称,name,行业,计划总投资\na,a,c,1\n")
    fields = {p["field"] for p in checked.problems}
    assert {"name", "investor", "unit"} <= fields  # the second name column and two missing ones
    assert any("duplicate column" in shown(p["message"]) for p in checked.problems)
    assert all(p["line"] == 1 for p in checked.problems)
    assert rows(checked) == []


def test_duplicates_of_existing_projects_and_of_earlier_rows():
    projects = [("P-0008", "y", None, "XH"), ("P-0009", "z", "b", "XH"), ("P-0010", "z", "b", "XH")]
    existing = wio.Identities(lambda: iter(projects))
    text = ("name,investor,industry,investment,unit\na,b,c,1,XH\na,b,c,2,XH\nz,b,c,1,XH\n,b,c,1,XH\n"
            "a,b,c,3,XH\nz,b,c,1,XH\n")
    checked = check(text, existing=existing)
    assert [(p["line"], p["column"]) for p in checked.problems] == [(3, "A"), (4, "A"), (5, "A"), (6, "A"), (7, "A")]
    assert [shown(p["message"])[:24] for p in checked.problems] == [
        "repeats line 2 (same nam", "the same project as P-00", "required: name must not ", "repeats line 2 (same nam",
        "the same project as P-00"]
    assert "P-0009" in shown(checked.problems[1]["message"]) and "P-0009" in shown(checked.problems[4]["message"])
    assert len(rows(check(text.replace("\n,b,", "\nw,b,"), existing=existing, allow_duplicates=True))) == 6
    zh = check(text, existing=existing, lang="zh").problems
    assert "与第2行重复" in shown(zh[0]["message"], "zh") and "与已有项目 P-0009 重复" in shown(zh[1]["message"], "zh")


def test_unreadable_files(tmp_path):
    with pytest.raises(BadInput, match="empty"):
        wio.read_csv_bytes(b"\n\n")
    bad = tmp_path / "x.xls"
    bad.write_bytes(b"x")
    with pytest.raises(BadInput, match="xlsx"):
        wio.read_table(bad)
    with pytest.raises(BadInput, match="not a readable"):
        (tmp_path / "y.xlsx").write_bytes(b"not a zip")
        wio.read_table(tmp_path / "y.xlsx")
    with pytest.raises(BadInput, match="does not exist"):
        wio.read_table(tmp_path / "none.csv")


def test_xlsx_with_typed_cells_and_a_title_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["示范县项目台账"])
    ws.append(ZH_HEADER.split(",") + ["登记日期"])
    ws.append(["东安金矿", "东安金业有限公司", "山东", "采矿业", "工业", 660000000, "XH", True,
               datetime(2026, 9, 30), date(2026, 10, 31), "2027-03-01", "2028/6/30", datetime(2026, 1, 5)])
    ws.append([None] * 5)
    ws.append(["b", "i", None, "c", None, 1234.5, "新华镇", 0, None, None, None, None, None])
    path = tmp_path / "ledger.xlsx"
    wb.save(path)
    table = wio.read_table(path)
    assert table.header_line == 2
    checked = wio.check_rows(table, units=UNITS, today=TODAY)
    good = rows(checked)
    assert good[0] == {**EXPECTED, "on": date(2026, 1, 5)}
    assert good[1]["investment_minor"] == 123450 and good[1]["key"] is None
    assert [line for line, _ in checked.numbered()] == [3, 5]
    assert rows(wio.check_rows(table, units=UNITS, today=TODAY)) == good  # the sheet is read again
    ws.append(["c", "i", None, "c", None, "abc", "XH", "maybe", None, None, None, None, None])
    wb.save(path)
    checked = wio.check_rows(wio.read_table(path), units=UNITS, today=TODAY)
    assert [(p["line"], p["column"]) for p in checked.problems] == [(6, "F"), (6, "H")]
    assert checked.count == 2 and rows(checked) == []  # a file with a problem is refused whole


def test_export_table_round_trips_through_the_reader(tmp_path):
    ledger = [{"code": "P-0001", "name": "a,\"b\"", "investor": "i", "origin": None, "industry": "c", "category": None,
             "key": True, "key_override": True, "planned_investment_minor": 123456789, "planned_currency": "CNY",
             "unit_code": "XH", "plan_sign": date(2026, 1, 2), "plan_fund": None, "plan_break_ground": None,
             "plan_commission": None, "registered_on": date(2025, 12, 1), "stage": "lead",
             "stage_since": date(2025, 12, 1)}]
    for lang in ("en", "zh"):
        headers, cells = wio.ledger_table(ledger, lang)
        path = tmp_path / f"x-{lang}.csv"
        wio.write_csv(path, headers, cells)
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        checked = wio.check_rows(wio.read_table(path), units=UNITS, today=TODAY)
        assert checked.problems == []
        (row,) = rows(checked)
        assert row["investment_minor"] == 123456789
        assert row["name"] == 'a,"b"'
        assert row["key"] is True
        xlsx = tmp_path / f"x-{lang}.xlsx"
        wio.write_xlsx(xlsx, headers, cells, money_columns=[wio.EXPORT_ORDER.index("investment")])
        assert rows(wio.check_rows(wio.read_table(xlsx), units=UNITS, today=TODAY)) == [row]


def test_column_letters():
    assert [wio.column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]


def test_the_fast_amount_path_reads_as_parse_amount():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from workflow.errors import BadInput as Refused
    from workflow.money import ascii_minor, parse_amount

    number = r"([0-9٠-٩]{0,19}|[0-9]{1,3}(,[0-9]{3}){0,5}|[0-9]{0,3},[0-9]{0,4})(\.[0-9]{0,12})?([eE][-+]?[0-9]{1,3})?"

    @settings(max_examples=1000, deadline=None)
    @given(st.from_regex(rf"\A{number}(万元|亿元|万|亿|元|美元| 万|)\Z"), st.sampled_from(["", "万", "亿"]))
    def same(text, factor):
        fast = ascii_minor(text, wio._SCALE[factor])
        unit = "" if any(text.endswith(u) for u in ("万", "亿", "元")) else factor
        try:
            slow = parse_amount(text + unit)
        except Refused:
            assert fast is None, text
            return
        assert fast is None or (slow.currency == "CNY" and slow.amount_minor == fast), text

    same()
    for text, minor in (("12,000,000", 12_000_000_00), ("0.25亿", 25_000_000_00), ("1.2e8", 120_000_000_00),
                        ("1234e4", 12_340_000_00), ("1.5", 150), ("5600万元", 56_000_000_00)):
        assert ascii_minor(text, 1) == minor, text
    assert ascii_minor("1.234", 1) is None and ascii_minor("1,000e3", 1) is None  # parse_amount says why
    assert ascii_minor("1." + "0" * 60 + "万元") == 1_000_000  # 64 characters, unit included: read
    assert ascii_minor("1." + "0" * 61 + "万元") is None  # 65: over parse_amount's limit


def test_the_key_threshold_is_the_services():
    from workflow import service

    assert wio.KEY_THRESHOLD_MINOR == service.KEY_THRESHOLD_MINOR
