"""``make bench`` writes its results into docs/performance.md: only the generated section between the
markers, and only after a full run of every benchmark (never a smoke or partial run)."""

from __future__ import annotations

import pytest

from bench import __main__ as bench_main
from bench import page

ROWS = [
    {"benchmark": "`pipeline --help`", "ours": 0.158, "baseline": 0.134, "unit": "s", "ratio": 1.18,
     "goal": "≤ 1.5×", "met": True, "equal": True, "old_baseline": 0.316, "old_ratio": 0.5},
    {"benchmark": "audit verify | 1,000,000 events", "ours": 182_985, "baseline": 248_938, "unit": "events/s",
     "ratio": 0.735, "goal": "≥ 0.5", "met": True},
    {"benchmark": "reference", "ours": 34_037, "baseline": 275_074, "unit": "events/s", "ratio": None,
     "goal": "–", "met": None},
]
FACTS = {"cores": 2, "cpu": "Test CPU", "python": "3.11.9", "system": "Linux 6.1", "date": "2026-11-30"}

PAGE = f"""# Performance

Hand-written intro.

{page.START}
old table
{page.END}

## How to profile

Hand-written tail.
"""


def test_writer_replaces_only_the_marked_section(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text(PAGE, encoding="utf-8")
    page.write_page(ROWS, path, facts=FACTS)
    text = path.read_text(encoding="utf-8")
    head, rest = text.split(page.START)
    body, tail = rest.split(page.END)
    assert head == PAGE.split(page.START)[0]
    assert tail == PAGE.split(page.END)[1]
    assert "old table" not in body
    assert ("| benchmark | ours | baseline | ratio | old baseline (ratio) | goal | met | same results |"
            in body)
    # a replaced baseline's old figure, measured in the same run, stands beside the new one
    assert "| `pipeline --help` | 158.0 ms | 134.0 ms | 1.18 | 316.0 ms (0.50) | ≤ 1.5× | yes | yes |" in body
    assert "audit verify \\| 1,000,000 events" in body  # a pipe in a name does not break the table
    assert "| reference | 34,037 events/s | 275,074 events/s | - | - | – | - | - |" in body
    assert "2026-11-30, 2 cores (Test CPU), Python 3.11.9, Linux 6.1; size `full`." in body
    # a second run replaces the section again, it does not add one
    page.write_page(ROWS[:1], path, facts={**FACTS, "date": "2026-12-01"})
    again = path.read_text(encoding="utf-8")
    assert again.count(page.START) == 1 and again.count(page.END) == 1
    assert "2026-12-01" in again and "2026-11-30" not in again and "reference" not in again
    assert again.startswith(head) and again.endswith(tail)


def test_the_load_average_is_shown_when_known():
    assert "; load average 3.2 when it began." in page.render(ROWS, {**FACTS, "load": 3.24})
    assert page.machine_facts(1.5)["load"] == 1.5 and page.machine_facts()["cores"] >= 1


def test_writer_appends_a_section_to_a_page_without_markers(tmp_path):
    path = tmp_path / "performance.md"
    path.write_text("# Performance\n\nNo table yet.\n", encoding="utf-8")
    page.write_page(ROWS, path, facts=FACTS)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Performance\n\nNo table yet.\n")
    assert text.index(page.START) < text.index("| benchmark |") < text.index(page.END)


@pytest.mark.parametrize("text", [f"{page.END}\n{page.START}\n", f"{page.START}\n{page.START}\n{page.END}\n",
                                  f"{page.START}\nno end\n"])
def test_writer_refuses_broken_markers(tmp_path, text):
    path = tmp_path / "performance.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError):
        page.write_page(ROWS, path, facts=FACTS)
    assert path.read_text(encoding="utf-8") == text


def test_only_a_full_run_of_every_benchmark_writes_the_page():
    assert page.page_wanted("full", [])
    assert not page.page_wanted("full", ["startup"])
    assert not page.page_wanted("small", [])
    assert not page.page_wanted("tiny", [])


class _Fake:
    NAME = "fake"

    @staticmethod
    def run(size, workdir):
        return [dict(ROWS[0], benchmark=f"fake at {size}")]


@pytest.mark.parametrize("argv, written", [
    (["--size", "full"], True),
    (["--size", "full", "--no-page"], False),
    (["--size", "full", "fake"], False),
    (["--size", "small"], False),
    (["--size", "tiny"], False),
])
def test_bench_main_writes_the_page_only_on_a_full_run(tmp_path, monkeypatch, capsys, argv, written):
    path = tmp_path / "performance.md"
    path.write_text(PAGE, encoding="utf-8")
    monkeypatch.setattr(page, "PAGE", path)
    monkeypatch.setattr(bench_main, "discover", lambda: {"fake": _Fake})
    monkeypatch.setattr(bench_main, "compile_sources", lambda: None)
    assert bench_main.main(argv) == 0
    text = path.read_text(encoding="utf-8")
    assert (text != PAGE) is written
    if written:
        assert "fake at full" in text and "Hand-written tail." in text
    assert "| fake at" in capsys.readouterr().out


@pytest.mark.slow
def test_a_real_smoke_run_does_not_touch_the_page(tmp_path, monkeypatch):
    """The CI smoke size runs a real benchmark end to end and leaves docs/performance.md alone."""
    path = tmp_path / "performance.md"
    path.write_text(PAGE, encoding="utf-8")
    monkeypatch.setattr(page, "PAGE", path)
    assert bench_main.main(["--size", "tiny", "startup"]) == 0
    assert path.read_text(encoding="utf-8") == PAGE


def test_the_province_figures_go_into_the_city_page_from_the_deep_rows(tmp_path):
    """docs/city.md's province figures are written from the city benchmark's county at a province's
    depth (130 of its first loads over the cores, 130 of its month's bundles spread over the workers as
    the month of several counties measures, one load per process in memory); the rest of the page is
    left as it is, and without those rows nothing is written."""
    deep = [
        {"benchmark": "city load of one county at a province's depth (10,000 projects)", "ours": 7.5,
         "baseline": 0.8, "unit": "s", "ratio": 9.4, "goal": "no goal", "met": None, "deep": "first"},
        {"benchmark": "month", "ours": 4.4, "baseline": 7.5, "unit": "s", "ratio": 0.59, "goal": "", "met": None,
         "deep": "month"},
        {"benchmark": "memory", "ours": 320.0, "baseline": 310.0, "unit": "MiB", "ratio": 1.03, "goal": "",
         "met": None, "deep": "memory"},
        {"benchmark": "months", "ours": 6.0, "baseline": 10.0, "unit": "s", "ratio": 0.6, "goal": "", "met": None,
         "deep": "months"},
    ]
    perf, city = tmp_path / "performance.md", tmp_path / "city.md"
    perf.write_text(PAGE, encoding="utf-8")
    city_text = f"# City\n\nbefore\n\n{page.PROVINCE_START}\nold\n{page.PROVINCE_END}\n\nafter\n"
    city.write_text(city_text, encoding="utf-8")
    page.write_page(ROWS, perf, facts=FACTS, city_path=city)
    assert city.read_text(encoding="utf-8") == city_text  # no deep rows: left alone
    page.write_page(ROWS + deep, perf, facts=FACTS, city_path=city)
    text = city.read_text(encoding="utf-8")
    assert text.startswith("# City\n\nbefore\n\n") and text.endswith("\n\nafter\n") and "old" not in text
    assert "| first load | 7.5 s | about 8 min (`--workers 2`) |" in text
    assert "| a month's bundle | 4.4 s | about 6 min (`--workers 2`: 1.7× one by one) |" in text
    assert "about 930 MiB (main process and 2 workers)" in text
    assert "(10,000 projects)" in text
