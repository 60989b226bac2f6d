"""The city's reports as the city bureau reads them (docs/city.md, "City reports"): amounts say their
unit, every label is in the report's language, every output carries each county's as-of date and
bundle digest."""

from __future__ import annotations

import re
import shutil

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
