"""The official format of the office's documents (GB/T 9704-2012, 党政机关公文格式): the page, the
fonts the format names, the sizes, the red of the issuer mark, and the python-docx helpers that write
them, shared by the reports' documents (cli/documents.py) and the supervision letters
(workflow/letters.py).  See docs/lights-and-reports.md, "Documents as the office sends them".

python-docx is imported inside the helpers only (a document format asked for).
"""

from __future__ import annotations

import unicodedata

from workflow.lang import is_zh

# Fonts the format names, declared always (the reader's Word substitutes what it lacks); HTML gives each
# a stack ending in common CJK fonts and a generic family.
TITLE_FONT = "方正小标宋简体"  # FZXiaoBiaoSong-B05S: the issuer mark and the title
BODY_FONT = "仿宋_GB2312"  # FangSong: the body
HEADING_FONT = "黑体"  # SimHei: first-level headings
PAGE_FONT = "宋体"  # SimSun: the page numbers
LATIN_FONT = "Times New Roman"
RED = "FF0000"
PAGE = {"width": 210, "height": 297, "top": 37, "bottom": 35, "left": 28, "right": 26}  # mm
TEXT_WIDTH = PAGE["width"] - PAGE["left"] - PAGE["right"]  # 156 mm
WIDE_TEXT_WIDTH = PAGE["height"] - PAGE["left"] - PAGE["right"]  # 243 mm, landscape
MARK_TOP = 35  # mm from the type area's top to the issuer mark's top
WIDE_COLUMNS = 7  # a table of more columns goes on a landscape page
MIN_CHARS = 4  # no column narrower than 4 CJK characters
TABLE_PT = (10.5, 9.0, 8.0, 7.5)  # table font sizes tried, largest first
CELL_PAD_MM = 4.4  # a cell's left and right padding together (Word: 1.9 mm a side) and its borders
PT_MM = 25.4 / 72
BODY_PT, TITLE_PT, PAGE_PT, LINE_PT = 16, 22, 14, 28.95  # 3号, 2号, 4号; 22 lines on the type area
CSS_FONTS = {
    "title": '"方正小标宋简体", "FZXiaoBiaoSong-B05S", "方正小标宋_GBK", "Source Han Serif SC", "Noto Serif CJK SC", '
             '"Songti SC", "SimSun", serif',
    "body": '"仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "STFangsong", "Noto Serif CJK SC", '
            '"Source Han Serif SC", "SimSun", serif',
    "heading": '"黑体", "SimHei", "Heiti SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", '
               '"Microsoft YaHei", sans-serif',
    "page": '"宋体", "SimSun", "Noto Serif CJK SC", "Source Han Serif SC", serif',
}
CN_NUMBERS = "一二三四五六七八九十"


def heading_number(i: int, lang: str) -> str:
    """First-level heading numbers: 一、二、… (Chinese), 1. 2. … (English)."""
    if not is_zh(lang):
        return f"{i}. "
    if i <= 10:
        return CN_NUMBERS[i - 1] + "、"
    tens, ones = divmod(i, 10)
    return (CN_NUMBERS[tens - 1] if tens > 1 else "") + "十" + (CN_NUMBERS[ones - 1] if ones else "") + "、"


def mark_size(mark: str) -> float:
    """The issuer mark's size in points: 小初 (36 pt) when it fits the type area's width, smaller when not."""
    width_pt = TEXT_WIDTH / PT_MM
    return float(min(36, int(width_pt / max(ems(mark), 1))))


def ems(text: str) -> float:
    """Text width in CJK characters (ems): a wide character 1, a narrow one about half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.55 for c in text)


def run_font(run, east: str, size: float | None = None, *, bold: bool | None = None,
             color: str | None = None) -> None:
    """A run's fonts: ``east`` for Chinese through ``w:eastAsia`` of ``rFonts`` (python-docx's
    ``font.name`` sets the Latin font only), Times New Roman for Latin letters and digits."""
    from docx.oxml.ns import qn
    from docx.shared import Pt, RGBColor

    run.font.name = LATIN_FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if color is not None:
        run.font.color.rgb = RGBColor.from_string(color)


_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


def border(paragraph, **edges: tuple[int, str, int]) -> None:
    """Paragraph borders: ``bottom=(size in eighths of a point, colour, space in points)``."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    for edge in ("top", "bottom"):  # the schema's order
        if edge in edges:
            size, color, space = edges[edge]
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), str(space))
            el.set(qn("w:color"), color)
            bdr.append(el)
    ppr.insert_element_before(bdr, *_AFTER_PBDR)  # Word refuses a paragraph's properties out of order


def page_number(footer, odd: bool) -> None:
    """The footer's page number: 4号 半角 "— 1 —", a PAGE field, on the outer side (odd pages right,
    even pages left, one character in)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
    if odd:
        p.paragraph_format.right_indent = Pt(PAGE_PT)
    else:
        p.paragraph_format.left_indent = Pt(PAGE_PT)
    run_font(p.add_run("— "), PAGE_FONT, PAGE_PT)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = p.add_run()
        run_font(run, PAGE_FONT, PAGE_PT)
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)
    run_font(p.add_run(" —"), PAGE_FONT, PAGE_PT)


def page_setup(section, landscape: bool) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm

    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    w, h = (PAGE["height"], PAGE["width"]) if landscape else (PAGE["width"], PAGE["height"])
    section.page_width, section.page_height = Mm(w), Mm(h)
    section.top_margin, section.bottom_margin = Mm(PAGE["top"]), Mm(PAGE["bottom"])
    section.left_margin, section.right_margin = Mm(PAGE["left"]), Mm(PAGE["right"])
    section.footer_distance = Mm(PAGE["bottom"] - 7 - 5)  # the number's top 7 mm below the type area
    section.header_distance = Mm(15)


def properties(document, title: str, author: str) -> None:
    """A document's properties (Word's File > Info): its title, and the issuing office as its author and
    last editor; never the ``python-docx`` / ``generated by python-docx`` of python-docx's template."""
    props = document.core_properties
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.comments = ""
