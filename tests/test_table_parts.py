"""A report table wider than the screen (docs/usage.md, `PIPELINE_WIDTH`): its text columns give way
first; where that is not enough its columns go on in further tables, each led by the row's label
columns, every number and date kept on its line."""

from __future__ import annotations

from rich.cells import cell_len

from cli.report_cmds import label_columns, table_parts, whole_columns
from cli.sections import Section, text_cell

COLUMNS = [("rank", "int"), ("county", "text"), ("name", "text"),
           *[(f"figure {k}", "wan") for k in range(8)], ("growth", "rate"), ("as_of", "date")]


def _section(rows: int = 5) -> tuple[Section, list[str], list[list[str]]]:
    sec = Section("wide", COLUMNS)
    for r in range(rows):
        sec.add([r + 1, f"C{r:02d}", "五大连池市" if r % 2 else "Northern Frontier County",
                 *[(r + 1) * 123_456_789_00 * (k + 1) for k in range(8)], 0.125 * r, "2026-12-06"])
    sec.add([("text", ""), "Total", "", *[1_000_000_000_00] * 8, None, ""], "total")
    texts = [[text_cell(v, k, st) for v, (_, k) in zip(r, COLUMNS, strict=True)]
             for r, st in zip(sec.rows, sec.styles, strict=True)]
    heads = ["Rank", "County", "Name", *[f"Capital in place {k} (10k CNY)" for k in range(8)], "Growth", "As of"]
    return sec, heads, texts


def _width(part, boxed: bool = True) -> int:
    k = len(part.columns)
    return sum(part.widths[i] for i in part.columns) + (3 * k + 1 if boxed else 2 * k)


def test_a_table_that_fits_is_left_as_it_is():
    sec, heads, texts = _section()
    parts = table_parts(sec, heads, texts, 1000, True)
    assert len(parts) == 1 and parts[0].columns == list(range(len(COLUMNS))) and parts[0].widths == {}


def test_a_table_too_wide_goes_on_in_tables_led_by_its_labels():
    sec, heads, texts = _section()
    assert label_columns(sec) == [0, 1, 2]
    whole = whole_columns(sec)
    for width in (80, 100, 120):
        parts = table_parts(sec, heads, texts, width, True)
        assert len(parts) > 1, width
        rest = []
        for part in parts:
            assert part.columns[:3] == [0, 1, 2], part
            assert _width(part) <= width, (width, part)
            for i in part.columns:
                if whole[i]:  # a number or date column as wide as its longest cell
                    assert part.widths[i] >= max(cell_len(r[i]) for r in texts), (width, i, part)
            rest += part.columns[3:]
        assert rest == list(range(3, len(COLUMNS))), width  # every column once, in order
        # shared out evenly: no table of one column beside one of many
        sizes = [len(p.columns) - 3 for p in parts]
        assert max(sizes) - min(sizes) <= 2, (width, sizes)


def test_a_column_of_numbers_written_cell_by_cell_is_kept_whole():
    """A text column whose every cell is a number of its own kind (a target's value) is a number
    column; one with a word in it is not."""
    sec = Section("t", [("target", "text"), ("value", "text")])
    sec.add(["Projects signed", ("int", 2)])
    sec.add(["Capital in place", ("wan", 200_000_000)])
    sec.add(["Total", ""], "total")
    assert whole_columns(sec) == [False, True]


def test_a_table_without_labels_or_too_narrow_for_them_folds_as_one():
    sec, heads, texts = _section()
    assert len(table_parts(sec, heads, texts, 30, True)) == 1  # the labels and one figure do not fit
    numbers = Section("n", [("a", "int"), ("b", "int"), ("c", "text")])
    assert label_columns(numbers) == []
