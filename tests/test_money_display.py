"""One display of amounts (workflow/money.py): the terminal, md, csv, xlsx, html and docx give the same
amount the same text, rounded half-up (四舍五入) — 12.345万 is 12.35 everywhere (docs/money.md)."""

from __future__ import annotations

import csv
import io
from html.parser import HTMLParser

import pytest

from tests.stages import to_signed
from workflow import clock

pytestmark = pytest.mark.sqlite_only

USD_WAN = "12.35"  # 12.345万美元 = 12,345,000 cents, half-up (half-even would give 12.34)
CNY_YI = "1.23"  # 1.225亿元, half-up (half-even would give 1.22)
CNY_WAN = "12,250.00"  # 1.225亿元 in 万


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


@pytest.fixture
def funded(cli):
    code = cli("project", "add", "--name", "四舍五入项目", "--investor", "某公司", "--industry", "hotel",
               "--investment", "3000万", "--unit", "XH", json=True, ok=True).json["code"]
    to_signed(cli, code)
    shown = cli("capital", "add", code, "12.345万美元", lang="zh", ok=True)
    cli("capital", "add", code, "1.225亿", "--confirm", ok=True)  # above the plan: display is the point
    return cli, str(clock.today().year), shown


def test_terminal_shows_half_up(funded):
    _, _, shown = funded
    assert f"{USD_WAN} 万美元" in shown.out + shown.err


def test_every_report_format_gives_the_same_text(funded, tmp_path):
    import docx
    from openpyxl import load_workbook

    cli, period, _ = funded
    run = ("report", "bulletin", "--period", period)
    table = cli(*run, lang="zh", ok=True).out
    assert USD_WAN in table and CNY_WAN in table and "12.34" not in table
    md = cli(*run, "--format", "md", ok=True).out
    assert f"| {CNY_WAN} | {USD_WAN} |" in md
    rows = list(csv.reader(io.StringIO(cli(*run, "--format", "csv", ok=True).out)))
    xh = dict(zip(rows[0], next(r for r in rows[1:] if r[0] == "XH"), strict=True))
    assert (xh["Capital in place (10k CNY)"], xh["Foreign capital (10k USD)"]) == ("12250.00", USD_WAN)
    book = tmp_path / "b.xlsx"
    cli(*run, "--format", "xlsx", "--output", str(book), ok=True)
    ws = load_workbook(book)["figures"]
    header = [c.value for c in ws[1]]
    cells = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}["XH"]
    assert f"{cells[header.index('Foreign capital (10k USD)')]:.2f}" == USD_WAN
    assert f"{cells[header.index('Capital in place (10k CNY)')]:,.2f}" == CNY_WAN
    # the prose states each currency apart, never one "of which" the other (docs/lights-and-reports.md)
    said = (f"到位资金{CNY_YI}亿元", f"利用外资{USD_WAN}万美元")
    html = _Text()
    html.feed(cli(*run, "--format", "html", lang="zh", ok=True).out)
    text = "".join(html.parts)
    assert all(s in text for s in said) and "其中利用外资" not in text
    out = tmp_path / "b.docx"
    cli(*run, "--format", "docx", "--output", str(out), lang="zh", ok=True)
    document = docx.Document(str(out))
    text = "\n".join(p.text for p in document.paragraphs)
    assert all(s in text for s in said) and "其中利用外资" not in text
    figures = [[c.text for c in r.cells] for r in document.tables[0].rows]
    assert any(USD_WAN in row and CNY_WAN in row for row in figures)
