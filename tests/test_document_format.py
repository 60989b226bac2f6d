"""Documents as the office sends them (docs/lights-and-reports.md): the official format (GB/T
9704-2012) read back from the DOCX with python-docx and from the HTML; the document settings
(`pipeline documents set|show`); the charts' Chinese font found by path, units by name, and the
notice on stderr; column widths of wide tables; the supervision letters under the same issuer."""

from __future__ import annotations

import re

import pytest

from tests.test_reports import county, engine  # noqa: F401  (module fixtures: the hand-worked county)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
SETTINGS = ("issuer=新华县招商局", "county=新华县", "prefix.bulletin=X招通", "cc=县委办公室，县政府办公室")


def _east(run_or_style) -> str | None:
    rpr = (run_or_style.element if hasattr(run_or_style, "base_style") else run_or_style._element).rPr
    fonts = rpr.rFonts if rpr is not None else None
    return fonts.get(f"{W}eastAsia") if fonts is not None else None


def _border(paragraph, edge: str) -> dict | None:
    el = paragraph._p.find(f"{W}pPr/{W}pBdr/{W}{edge}")
    return None if el is None else {k.replace(W, ""): v for k, v in el.attrib.items()}


def _configured(cli, since: str = "2025-01-01"):
    cli.admin("documents", "set", *SETTINGS, "--reason", "公文格式", "--from", since, ok=True)


def test_docx_in_the_official_format(cli, tmp_path):
    import docx
    from docx.enum.section import WD_ORIENT

    from cli.documents import date_words
    from workflow import clock

    _configured(cli)
    year = 2025
    draft = tmp_path / "draft.docx"
    cli("report", "bulletin", "--period", f"{year}-B2", "--format", "docx", "--output", draft, lang="zh", ok=True)
    assert [p.text for p in docx.Document(str(draft)).paragraphs][1] == "征求意见稿"  # not closed yet
    cli.admin("report", "close", "--period", f"{year}-B2", "--reason", "两月一通报", ok=True)
    out = tmp_path / "bulletin.docx"
    r = cli("report", "bulletin", "--period", f"{year}-B2", "--format", "docx", "--output", out, lang="zh", ok=True)
    d = docx.Document(str(out))
    # A4 and the margins of the format
    first = d.sections[0]
    assert (round(first.page_width.mm), round(first.page_height.mm)) == (210, 297)
    assert [round(m.mm) for m in (first.top_margin, first.bottom_margin, first.left_margin, first.right_margin)] == \
        [37, 35, 28, 26]
    ps = d.paragraphs
    # the red issuer mark, the 文号 over the red line, the title in 小标宋 2号
    mark, number, title = ps[0], ps[1], ps[2]
    assert mark.text == "新华县招商局文件"
    assert str(mark.runs[0].font.color.rgb) == "FF0000" and _east(mark.runs[0]) == "方正小标宋简体"
    assert re.fullmatch(rf"X招通〔{year}〕[1-9][0-9]*号", number.text) and number.text == f"X招通〔{year}〕1号"
    assert _border(number, "bottom")["color"] == "FF0000"
    assert title.text == "全县招商引资项目推进情况通报"
    assert title.runs[0].font.size.pt == 22 and _east(title.runs[0]) == "方正小标宋简体"
    # the body in 仿宋_GB2312 3号, first-level headings in 黑体
    normal = d.styles["Normal"]
    assert normal.font.size.pt == 16 and _east(normal) == "仿宋_GB2312"
    heading = next(p for p in ps if p.text.startswith("一、"))
    assert _east(heading.runs[0]) == "黑体"
    # a wide table on a landscape page, no column narrower than 4 characters of its font
    wide = [s for s in d.sections if s.orientation == WD_ORIENT.LANDSCAPE]
    assert wide and all(s.page_width > s.page_height for s in wide)
    assert round(wide[0].page_width.mm) == 297
    table = max(d.tables, key=lambda t: len(t.columns))
    assert len(table.columns) > 7
    size = table.rows[1].cells[0].paragraphs[0].runs[0].font.size.pt
    assert min(c.width.mm for c in table.columns) >= 4 * size * 25.4 / 72
    # every cell's paragraph in the table-text style of that size: single spacing, no indent
    styles = {p.style.name for row in table.rows for c in row.cells for p in c.paragraphs}
    assert styles == {f"Table Text {size:g}"}
    style = d.styles[f"Table Text {size:g}"]
    assert style.font.size.pt == size and style.paragraph_format.first_line_indent == 0
    # page numbers: a PAGE field, "— N —", odd pages right and even pages left
    footer = first.footer.paragraphs[0]
    assert "PAGE" in "".join(x.text for x in footer._p.iter(f"{W}instrText"))
    assert footer.text.startswith("— ") and footer.text.endswith(" —") and footer.runs[0].font.size.pt == 14
    assert d.settings.odd_and_even_pages_header_footer
    assert first.even_page_footer.paragraphs[0].alignment != footer.alignment
    # the 版记: 抄送, then 印发机关 and 印发日期, between lines
    today = date_words(clock.today(), "zh")
    cc = next(p for p in ps if p.text.startswith("抄送："))
    assert cc.text == "抄送：县委办公室，县政府办公室。" and _border(cc, "top") and _border(cc, "bottom")
    assert ps[-1].text == f"新华县招商局\t{today}印发" and _border(ps[-1], "bottom")
    assert "新华县招商局" in [p.text for p in ps[-6:]]  # the signature
    assert "图表" in r.err  # which font the charts used, or that there is none


def test_html_in_the_official_format(cli):
    _configured(cli)
    html = cli("report", "bulletin", "--period", "2025-B1", "--format", "html", lang="zh", ok=True).out
    assert '<p class="mark" style="font-size: ' in html and "新华县招商局文件" in html
    assert '<p class="number">征求意见稿</p>' in html and "<h1>全县招商引资项目推进情况通报</h1>" in html
    assert "size: A4 portrait; margin: 37mm 26mm 35mm 28mm;" in html
    assert "@page wide { size: A4 landscape; }" in html and ".wide { page: wide; }" in html
    assert '<section class="wide">' in html and 'counter(page) " —"' in html
    assert '"仿宋_GB2312"' in html and '"Noto Serif CJK SC"' in html and '"黑体"' in html
    assert re.search(r"font-family: [^;]*\"方正小标宋简体\"[^;]*serif;", html)
    assert "抄送：县委办公室，县政府办公室。" in html and "印发</span>" in html
    cols = [float(w) for w in re.findall(r'<col style="width: ([0-9.]+)mm">', html)]
    assert cols and min(cols) >= 4 * 7.5 * 25.4 / 72
    english = cli("report", "dispatch", "--period", "2025-Q1", "--format", "html", lang="en", ok=True).out
    assert "County Investment Promotion Dispatch" in english and "Draft for comments" in english


def test_document_settings_set_show_reset(cli):
    shown = {x["key"]: x for x in cli("documents", "show", json=True, ok=True).json["settings"]}
    assert shown["issuer"]["value"] == "县招商引资工作领导小组办公室" and shown["issuer"]["source"] == "default"
    assert shown["title.dispatch"]["value"] == "全县招商引资项目推进情况调度"
    assert shown["prefix.bulletin"]["value"] == "县招通"
    assert cli("documents", "set", "issuer=X", "--reason", "r").code == 6  # admin only
    assert cli.admin("documents", "set", "issuer=X").code == 2  # --reason
    assert cli.admin("documents", "set", "colour=red", "--reason", "r").code == 2
    assert cli.admin("documents", "set", "issuer", "--reason", "r").code == 2
    assert cli.admin("documents", "set", "issuer=a\x1bb", "--reason", "r").code == 2
    assert cli("documents", "show", json=True, ok=True).json["settings"][0]["source"] == "default"  # nothing stored
    _configured(cli)
    shown = {x["key"]: x for x in cli("documents", "show", json=True, ok=True).json["settings"]}
    assert shown["issuer"]["value"] == "新华县招商局" and shown["issuer"]["source"] == "configured"
    assert shown["mark"]["value"] == "新华县招商局文件" and shown["printer"]["value"] == "新华县招商局"
    assert shown["cc"]["value"] == ["县委办公室", "县政府办公室"]
    assert shown["prefix.dispatch"]["value"] == "新招调"  # follows the county's name
    cli.admin("documents", "set", "issuer=", "--reason", "还原", ok=True)
    shown = {x["key"]: x for x in cli("documents", "show", json=True, ok=True).json["settings"]}
    assert shown["issuer"]["value"] == "新华县招商引资工作领导小组办公室" and shown["issuer"]["source"] == "default"
    assert cli.admin("audit", "verify").code == 0  # the settings are the ledger's


def test_column_widths_fit_and_never_go_below_four_characters():
    from cli.documents import column_widths

    widths, pt = column_widths(["单位", "名称"], [["XH", "新华镇"]], 156)
    assert round(sum(widths), 6) == 156 and pt == 10.5
    many = [f"列{i}" for i in range(16)]
    widths, pt = column_widths(many, [["经济开发区管理委员会招商服务中心" * 2] * 16], 243)
    assert pt < 10.5 and min(widths) >= 4 * pt * 25.4 / 72 and round(sum(widths), 6) <= 243


def _figures(engine, lang, font):  # noqa: F811
    from cli import documents
    from workflow import reports

    b = reports.bulletin(engine, "2026-B2", problems=True)
    e = reports.evaluation(engine, "2026-B2")
    return documents.chart_figures(b, e, lang, font)


TARGETS = {"units": [  # an evaluation with targets: completion by unit, a series per metric with a target
    {"unit": "XH", "unit_name": "新华镇", "targets": [{"metric": "signed", "rate": 0.5},
                                                    {"metric": "capital", "rate": 1.2}]},
    {"unit": "KFQ", "unit_name": "经济开发区管理委员会", "targets": [{"metric": "signed", "rate": 1}]},
    {"unit": "LS", "unit_name": "林业局", "targets": []}]}
STAGES = {"totals": {"projects_by_stage": {"signed": 3, "lead": 5}}}


def test_charts_name_units_and_axes(engine):  # noqa: F811
    from cli.documents import chart_figures

    font = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # its path: never opened here
    capital, stages = _figures(engine, "zh", font)  # no targets in the county: capital in place by unit
    assert "新华镇" in capital.categories and "XH" not in capital.categories  # units by name
    assert (capital.value_title, capital.category_title) == ("到位资金（万元）", "单位")
    assert capital.caption == "图1 各单位累计到位资金（万元；本年度未设目标）" and capital.reference is None
    assert capital.series[0][1][capital.categories.index("新华镇")] == 4000.0  # 10k CNY, the year to date
    assert (stages.value_title, stages.category_title) == ("项目数（个）", "项目阶段")
    assert stages.caption == "图2 项目阶段分布（个）"
    assert stages.categories[:2] == ["意向在谈", "审核中"] and stages.series[0][1][0] == 1  # in the workflow's order
    bare_capital, bare_stages = _figures(engine, "zh", None)  # no CJK font: English labels, a Chinese name by code
    assert "XH" in bare_capital.categories and "新华镇" not in bare_capital.categories
    assert (bare_capital.value_title, bare_capital.category_title) == ("Capital in place (10k CNY)", "Unit")
    assert bare_capital.caption.startswith("图1") and bare_stages.caption.startswith("图2")  # the document's language
    assert bare_stages.categories[:2] == ["Lead", "Under committee review"] and bare_stages.value_title == "Projects"

    completion, _ = chart_figures(STAGES, TARGETS, "zh", font)
    assert completion.categories == ["新华镇", "经济开发区管理委员会"]  # units without targets are not ranked
    assert completion.series == [("签约项目数", [50.0, 100.0]), ("到位资金", [120.0, None])]  # no target: no bar
    assert (completion.value_title, completion.reference, completion.suffix) == ("完成率（%）", 100.0, "%")
    assert completion.caption == "图1 各单位目标完成情况（完成率，%）"
    english, stages = chart_figures(STAGES, TARGETS, "en", None)
    assert english.categories == ["XH", "KFQ"] and english.series[0][0] == "Projects signed"
    assert english.caption == "Figure 1. Completion against target by unit (%)" and english.value_title == \
        "Completion rate (%)"
    assert stages.categories == ["Lead", "Contract signed"] and stages.series == [("", [5.0, 3.0])]


def _drawn(png: bytes):
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    rgb = image.convert("RGB")
    return rgb, {c for _, c in rgb.getcolors(1 << 16)}


@pytest.mark.parametrize("with_font", [False, True])
def test_chart_drawn_as_a_png_at_print_width_not_blank_and_within_its_margins(with_font):
    from cli import documents
    from cli.documents import CHART_MAX_HEIGHT, CHART_WIDTH, Chart, chart_figures, draw_chart

    path = documents.find_cjk_font() if with_font else None
    face = documents.cjk_face(path) if path is not None else None
    if with_font and face is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    font, index = (path, face[0]) if face else (None, 0)
    completion, stages = chart_figures(STAGES, TARGETS, "zh", font)
    image, colours = _drawn(draw_chart(completion, font, index))
    assert image.width == CHART_WIDTH and 300 < image.height <= CHART_MAX_HEIGHT
    # white ground, grey text, the two series' colours, the red 100% line
    assert {(255, 255, 255), (0x44, 0x72, 0xC4), (0xED, 0x7D, 0x31), (0xC0, 0x00, 0x00)} <= colours
    assert len(colours) > 10  # antialiased text
    image, colours = _drawn(draw_chart(stages, font, index))
    assert image.width == CHART_WIDTH and (0x70, 0xAD, 0x47) in colours and (0xC0, 0x00, 0x00) not in colours

    # 1 and 25 units, long names: the chart grows with them, within a page; nothing drawn at the edges
    names = ["经济开发区管理委员会招商服务中心", "Xinhua Economic and Technological Development Zone Administration"]
    heights = []
    for n in (1, 25):
        chart = Chart("图1", "完成率（%）", "单位", [names[i % 2] + str(i) for i in range(n)],
                      [(s, [1000.0 * (i + 1) for i in range(n)]) for s in ("签约项目数", "到位资金", "实际利用外资")],
                      reference=100.0, decimals=1, suffix="%")
        image, _ = _drawn(draw_chart(chart, font, index))
        heights.append(image.height)
        edges = [image.crop(box) for box in ((0, 0, image.width, 8), (0, image.height - 8, image.width, image.height),
                                             (0, 0, 8, image.height), (image.width - 8, 0, image.width, image.height))]
        assert all(edge.getcolors() == [(edge.width * edge.height, (255, 255, 255))] for edge in edges)
    assert heights[0] < heights[1] <= CHART_MAX_HEIGHT


def test_chart_font_found_by_path_or_said_missing(engine, monkeypatch, capsys):  # noqa: F811
    from cli import documents
    from workflow import reports

    b = reports.bulletin(engine, "2026-B2", problems=True)
    e = reports.evaluation(engine, "2026-B2")
    monkeypatch.setattr(documents, "find_cjk_font", lambda *a, **k: None)
    charts = documents.make_charts(b, e, "zh")
    assert len(charts) == 2 and all(png.startswith(b"\x89PNG") for _, png in charts)
    err = capsys.readouterr().err
    assert "no Chinese font found" in err or "未找到中文字体" in err
    monkeypatch.undo()
    path = documents.find_cjk_font()
    if path is None:
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk)")
    documents.make_charts(b, e, "zh")
    err = capsys.readouterr().err
    assert str(path) in err.replace("\n", "")
    if path.name == "NotoSansCJK-Regular.ttc":  # a collection: the Simplified Chinese face, not its first (JP)
        assert "Noto Sans CJK SC" in err and "CJK JP" not in err


def test_chart_font_of_a_collection_is_its_simplified_chinese_face(tmp_path, monkeypatch, capsys):
    from cli import documents

    (tmp_path / "wqy-zenhei.ttc").write_bytes(b"not a font")
    assert documents.cjk_face(tmp_path / "wqy-zenhei.ttc") is None  # unreadable: as if there were none
    monkeypatch.setattr(documents, "find_cjk_font", lambda *a, **k: tmp_path / "wqy-zenhei.ttc")
    charts = documents.make_charts(STAGES, TARGETS, "zh")
    err = capsys.readouterr().err
    assert len(charts) == 2 and ("no Chinese font found" in err or "未找到中文字体" in err)
    monkeypatch.undo()
    path = documents.find_cjk_font()
    if path is None or path.suffix.lower() != ".ttc":
        pytest.skip("no CJK font collection (.ttc) on this machine (apt-get install fonts-noto-cjk)")
    from PIL import ImageFont

    families = []
    while True:
        try:
            families.append(ImageFont.truetype(str(path), 10, index=len(families)).getname()[0])
        except OSError:
            break
    index, name = documents.cjk_face(path)
    assert families[index] == name
    if any(f.endswith((" SC", " CN")) for f in families):
        assert name.endswith((" SC", " CN"))
    else:
        assert index == 0


def test_find_cjk_font_scans_the_directories(tmp_path):
    from cli.documents import find_cjk_font

    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "wqy-zenhei.ttc").write_bytes(b"")
    (tmp_path / "uming.ttc").write_bytes(b"")
    assert find_cjk_font((str(tmp_path),)) == tmp_path / "a" / "b" / "wqy-zenhei.ttc"  # by preference
    assert find_cjk_font((str(tmp_path / "missing"),)) is None


def test_letters_name_the_same_issuer(cli, tmp_path):
    import docx

    from tests.test_supervision import problem, project

    _configured(cli)
    code = project(cli)
    problem(cli, code, "用地指标未落实", due="2026-03-01", on="2026-02-01")
    out = tmp_path / "letters"
    html = cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), json=True, ok=True).json
    text = (out / html["letters"][0]["file"].split("/")[-1]).read_text(encoding="utf-8")
    assert text.count("新华县招商局") >= 3  # the mark, the feedback request, the signature (in force that day)
    assert "县招商引资工作领导小组办公室" not in text
    later = cli("supervision", "letters", "--as-of", "2026-03-17", "--output", str(out), "--format", "docx",
                json=True, ok=True).json["letters"]
    d = docx.Document(later[0]["file"])
    assert d.paragraphs[0].text == "新华县招商局" and str(d.paragraphs[0].runs[0].font.color.rgb) == "FF0000"
    assert round(d.sections[0].top_margin.mm) == 37
    props = d.core_properties  # the issuing office wrote it, not python-docx
    assert (props.author, props.last_modified_by, props.comments) == ("新华县招商局", "新华县招商局", "")


def test_docx_properties_name_the_issuer_not_python_docx(cli, tmp_path):
    """A report document's properties (Word's File > Info): its title, the issuing office as author; no
    "python-docx" and no "generated by python-docx" (workflow/docformat.py, ``properties``)."""
    import docx

    for lang, issuer in (("zh", "县招商引资工作领导小组办公室"), ("en", None)):
        out = tmp_path / f"bulletin-{lang}.docx"
        cli("report", "bulletin", "--period", "2026-B1", "--as-of", "2026-02-28", "--format", "docx",
            "--output", str(out), lang=lang, ok=True)
        props = docx.Document(str(out)).core_properties
        assert "python-docx" not in f"{props.author} {props.comments} {props.last_modified_by}"
        assert props.comments == "" and props.author and props.title
        if issuer:
            assert props.author == issuer
