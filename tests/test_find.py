"""Finding projects (docs/usage.md): search, sort, paging, forgiving codes, filters naming what is unknown."""

from __future__ import annotations

import json as jsonlib

import pytest

from workflow.codes import normalize_code
from workflow.text import fold


def add(cli, name, investor, investment="5600万", unit="XH") -> str:
    return cli("project", "add", "--name", name, "--investor", investor, "--industry", "energy",
               "--investment", investment, "--unit", unit, json=True, ok=True).json["code"]


@pytest.fixture
def county(cli):
    add(cli, "东安镇风电场项目", "华能新能源有限公司", "3亿")
    add(cli, "盛典蓝莓科技开发", "ＡＢＣ Foods Ltd", "5600万", unit="FGW")
    add(cli, "风 电 储能示范", "大唐集团", "1.2亿")
    return cli


@pytest.mark.parametrize("typed", ["P-0001", "p-1", "P-00001", "p1", "1", "Ｐ－０００１", " p-0001 "])
def test_code_forms_normalise(typed):
    assert normalize_code(typed) == "P-0001"


def test_fold_is_case_width_and_space_insensitive():
    assert fold("ＡＢＣ Foods") == fold("abcfoods")
    assert "风电" in fold("风 电 储能")


def test_search_by_name_investor_and_code(county):
    cli = county
    codes = lambda *a: [p["code"] for p in cli("project", "list", *a, json=True, ok=True).json["projects"]]  # noqa: E731
    assert codes("--search", "风电") == ["P-0001", "P-0003"]  # "风 电" matches too
    assert codes("--search", "abc foods") == ["P-0002"]  # full-width investor, any case, spaces ignored
    assert codes("--search", "p-0002") == ["P-0002"]
    assert codes("--search", "nothing-like-this") == []


def test_sort_limit_offset(county):
    cli = county
    doc = cli("project", "list", "--sort", "-investment", json=True, ok=True).json
    assert [p["code"] for p in doc["projects"]] == ["P-0001", "P-0003", "P-0002"]
    assert doc["total"] == 3
    doc = cli("project", "list", "--sort", "-investment", "--limit", "1", "--offset", "1", json=True, ok=True).json
    assert [p["code"] for p in doc["projects"]] == ["P-0003"] and doc["total"] == 3
    assert [p["code"] for p in cli("project", "list", "--sort", "-code", json=True).json["projects"]] == [
        "P-0003", "P-0002", "P-0001"]
    res = cli("project", "list", "--sort", "colour", json=True)
    assert res.code == 2


def test_table_says_which_page(county):
    res = county("project", "list", "--limit", "2", ok=True)
    assert "P-0001" in res.out and "P-0002" in res.out and "P-0003" not in res.out
    assert "1–2 of 3" in res.err


def test_json_is_one_document_streamed(county):
    res = county("project", "list", json=True, ok=True)
    doc = jsonlib.loads(res.out)
    assert len(doc["projects"]) == 3 and doc["offset"] == 0 and doc["limit"] is None
    empty = jsonlib.loads(county("project", "list", "--search", "zzz", json=True, ok=True).out)
    assert empty["projects"] == [] and empty["total"] == 0


@pytest.mark.parametrize("typed", ["p-1", "P-00001", "1"])
def test_codes_accepted_everywhere(county, typed):
    cli = county
    assert cli("project", "show", typed, json=True, ok=True).json["code"] == "P-0001"
    assert cli("history", typed, json=True, ok=True).json["code"] == "P-0001"
    res = cli("followup", "add", typed, "visited", json=True, ok=True)
    assert res.json["code"] == "P-0001"


def test_not_found_suggests_by_code_and_name(county):
    res = county("project", "show", "P-0004", json=True)
    assert res.code == 4
    err = res.json["error"]
    assert "P-0003" in err["message"]
    assert [s["code"] for s in err["details"][0]["suggestions"]][:1] == ["P-0003"]
    res = county("project", "show", "风电场", json=True)
    assert res.code == 4 and "P-0001" in res.json["error"]["message"]


def test_filters_accept_names_and_refuse_unknowns_with_exit_4(county):
    cli = county
    assert [p["code"] for p in cli("project", "list", "--unit", "发改局", json=True, ok=True).json["projects"]] == [
        "P-0002"]
    assert [p["code"] for p in cli("project", "list", "--unit", "xh", json=True, ok=True).json["projects"]] == [
        "P-0001", "P-0003"]
    assert cli("project", "list", "--stage", "意向在谈", json=True, ok=True).json["total"] == 3
    assert cli("project", "list", "--leader", "王县长", json=True, ok=True).json["total"] == 0
    for opt, value in (("--leader", "王志强"), ("--leader", "nobody"), ("--unit", "柳河镇"), ("--stage", "在建")):
        res = cli("project", "list", opt, value, json=True)
        assert res.code == 4, (opt, value, res.out)
        assert value in res.json["error"]["message"]
    res = cli("project", "list", "--light", "purple", json=True)
    assert res.code == 2


def test_light_filter_in_chinese(county):
    assert county("project", "list", "--light", "绿", json=True, ok=True).json["total"] == county(
        "project", "list", "--light", "green", json=True, ok=True).json["total"]


def test_warnings_search_sort_and_page(county):
    cli = county
    cli("advance", "P-0002", "submit", ok=True)  # nothing essential: every project gets a light either way
    full = cli("warnings", "--as-of", "2099-01-01", json=True, ok=True).json
    assert full["total"] == len(full["projects"]) >= 2
    found = cli("warnings", "--as-of", "2099-01-01", "--search", "风电", json=True, ok=True).json
    assert {p["code"] for p in found["projects"]} <= {"P-0001", "P-0003"} and found["projects"]
    paged = cli("warnings", "--as-of", "2099-01-01", "--sort", "code", "--limit", "1", "--offset", "1",
                json=True, ok=True).json
    ordered = sorted(p["code"] for p in full["projects"])
    assert [p["code"] for p in paged["projects"]] == ordered[1:2] and paged["total"] == full["total"]
    assert cli("warnings", "--sort", "bogus", json=True).code == 2


def test_warnings_unit_by_name(county):
    by_code = county("warnings", "--as-of", "2099-01-01", "--unit", "XH", json=True, ok=True).json
    by_name = county("warnings", "--as-of", "2099-01-01", "--unit", "新华镇", json=True, ok=True).json
    assert [p["code"] for p in by_name["projects"]] == [p["code"] for p in by_code["projects"]]
    assert county("warnings", "--unit", "柳河镇", json=True).code == 4
