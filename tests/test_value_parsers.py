"""One parser per kind of enumerated value (workflow/words.py, docs/usage.md "Values in English or
Chinese"): every form the program prints for a value — its key, its English and Chinese labels, the
Chinese short forms of help texts — is accepted back by every command taking it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from workflow.definition import default_definition


@pytest.fixture
def proj(cli):
    return cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "新能源",
               "--investment", "3亿", "--unit", "XH", json=True, ok=True).json["code"]


def _to_funding(cli, code):
    """``code`` moved to the funding stage, where planning, land-use, EIA and safety documents go."""
    cli("advance", code, "submit", ok=True)
    cli("doc", "add", code, "committee_decision", "WYH-1", ok=True)
    for item in ("industrial_policy", "environment", "energy", "land_use"):
        cli("check", code, item, "pass", ok=True)
    cli("advance", code, "approve", ok=True)
    cli("doc", "add", code, "contract", "HT-1", ok=True)
    cli.admin("reassign", code, "lead_leader", "wang", "--reason", "分工", ok=True)
    cli("advance", code, "sign", ok=True)
    cli("capital", "add", code, "1000万", ok=True)


# --- the cases that were refused -------------------------------------------------------------------------

def test_document_short_forms_of_the_help(cli, proj):
    _to_funding(cli, proj)
    assert cli("project", "show", proj, json=True).json["stage"] == "funding"
    land = cli("doc", "add", proj, "用地", "YD-1", json=True, ok=True).json
    assert land["event"]["payload"]["document"] == "land_use"
    safety = cli("doc", "add", proj, "安全评价", "AP-1", json=True, ok=True).json
    assert safety["event"]["payload"]["document"] == "safety_assessment"


def test_check_short_form_of_the_help(cli, proj):
    cli("advance", proj, "submit", ok=True)
    res = cli("check", proj, "环保", "通过", json=True, ok=True).json
    assert res["event"]["payload"]["item"] == "environment"


def test_advance_by_the_beginning_of_a_chinese_label(cli, proj):
    res = cli("advance", proj, "提交", json=True, ok=True).json
    assert cli("project", "show", proj, json=True).json["stage"] == "screening", res


def test_problem_kind_label_and_unit_name(cli, proj):
    due = date.today().replace(year=date.today().year + 1).isoformat()
    res = cli("problem", "add", proj, "环评未批", "--kind", "环评审批", "--owner", "新华镇", "--person", "王县长",
              "--source", "会议", "--due", due, json=True, ok=True).json
    shown = cli("problem", "list", "--unit", "新华镇", json=True, ok=True).json
    text = repr(res) + repr(shown)
    assert "environment" in text and "'XH'" in text and "'wang'" in text and "meeting" in text


def test_rule_role_label_and_person_name(cli):
    res = cli.admin("rules", "add", "--role", "包保县级领导", "--person", "王县长", "--priority", "1", "--key",
                    "--unit", "新华镇", json=True, ok=True).json
    assert "lead_leader" in repr(res) and "'wang'" in repr(res) and "'XH'" in repr(res)
    assert "新华镇" not in repr(res["rule"].get("conditions", res["rule"]))


def test_unit_names_in_reports_export_board_targets(cli, proj, tmp_path):
    year = date.today().year
    cli.admin("targets", "set", "新华镇", str(year), "--signed", "3", "--reason", "年度目标", ok=True)
    assert cli("targets", "list", json=True, ok=True).json
    cli("board", "--unit", "新华镇", json=True, ok=True)
    cli("report", "bulletin", "--period", f"{year}-B1", "--unit", "新华镇", json=True, ok=True)
    out = tmp_path / "x.csv"
    cli("export", str(out), "--unit", "新华镇", ok=True)
    assert "风电场" in out.read_text(encoding="utf-8-sig")


def test_todo_for_a_person_by_name(cli, proj):
    cli.admin("users", "add", "wang", "--role", "leader", ok=True)
    by_name = cli("todo", "--for", "王县长", json=True, ok=True).json
    assert by_name == cli("todo", "--for", "wang", json=True, ok=True).json


def test_an_ambiguous_person_name_lists_the_candidates(cli):
    cli.admin("people", "add", "wang2", "--name", "王县长", "--level", "county", ok=True)
    res = cli.admin("rules", "add", "--role", "lead_leader", "--person", "王县长", "--priority", "1")
    assert res.code == 4 and "wang" in res.err and "wang2" in res.err
    assert cli.admin("rules", "add", "--role", "lead_leader", "--person", "wang2", "--priority", "1").code == 0


def test_refusals_list_the_accepted_values_in_the_users_language(cli, proj):
    cli("advance", proj, "submit", ok=True)
    en = cli("check", proj, "环境", "pass")
    assert en.code == 2 and "environment (Environmental red line)" in en.err
    zh = cli("check", proj, "环境", "pass", lang="zh")
    assert zh.code == 2 and "environment（环保红线）" in zh.err and "Environmental" not in zh.err
    res = cli("problem", "add", proj, "x", "--kind", "地", "--owner", "XH", "--due", "2099-01-01", lang="zh")
    assert res.code == 2 and "land（用地指标）" in res.err
    assert cli("problem", "add", proj, "x", "--kind", "land", "--owner", "无此镇", "--due", "2099-01-01").code == 4


def test_unknown_values_keep_their_exit_codes(cli, proj):
    assert cli.admin("users", "add", "u1", "--role", "boss").code == 2
    assert cli.admin("units", "add", "U1", "--name", "x", "--kind", "city").code == 2
    assert cli.admin("people", "add", "p1", "--name", "x", "--level", "nation").code == 2
    assert cli("project", "list", "--light", "blue").code == 2
    assert cli.admin("rules", "add", "--role", "lead_leader", "--person", "nobody", "--priority", "1").code == 4
    assert cli("todo", "--for", "nobody").code == 4
    assert cli("board", "--unit", "nowhere").code == 4


def test_the_parser_folds_case_width_and_spaces():
    from workflow import words

    assert words.documents(default_definition()).parse("Safety  Assessment", "KIND") == "safety_assessment"
    assert words.documents(default_definition()).parse("ＥＩＡ", "KIND") == "eia"
    assert words.lights().parse("红", "--light") == "red"
    assert words.user_roles().parse("协调员", "--role") == "coordinator"
    assert words.currencies().parse("美元", "currency") == "USD"
    assert words.report_kinds().parse("两月一通报", "--report") == "bulletin"
    with pytest.raises(Exception, match="is not one of"):
        words.stages(default_definition()).parse("已", "--stage")  # one character is never a beginning


# --- every enumerated option of every command accepts back what the program prints for it -----------------

def _vocabularies():
    from workflow import words

    defn = default_definition()
    return {
        "stage": words.stages(defn), "trigger": words.triggers(defn), "document": words.documents(defn),
        "check": words.checks(defn), "problem_kind": words.problem_kinds(), "problem_source": words.problem_sources(),
        "user_role": words.user_roles(), "assignment_role": words.assignment_roles(),
        "report": words.report_kinds(), "light": words.lights(), "level": words.levels(),
        "unit_kind": words.unit_kinds(), "result": words.results(), "event": words.event_kinds(),
        "performance_kind": words.performance_kinds(), "note_section": words.note_sections(),
    }


# Which kind of value each enumerated parameter takes, by "command path  parameter".
ENUMERATED = {
    "doc add kind": "document", "check item": "check", "check result": "result",
    "problem add --kind": "problem_kind", "problem add --source": "problem_source",
    "users add --role": "user_role", "users edit --role": "user_role",
    "rules add --role": "assignment_role", "rules edit --role": "assignment_role", "reassign role": "assignment_role",
    "report diff --report": "report",
    "project list --light": "light", "project list --stage": "stage", "export --stage": "stage",
    "audit log --stage": "stage", "audit log --kind": "event",
    "people add --level": "level", "people edit --level": "level",
    "units add --kind": "unit_kind", "units edit --kind": "unit_kind",
    "commitment add --kind": "performance_kind", "performance add --kind": "performance_kind",
    "report note --section": "note_section",
}


def _walk(cmd, path=""):
    for p in getattr(cmd, "params", []):
        yield path, p
    for name, sub in sorted(getattr(cmd, "commands", {}).items()):
        yield from _walk(sub, f"{path} {name}".strip())


def _printed_choices(path, param, keys):
    """The values the program prints for ``param`` (whose values have ``keys``): a ``a|b|c`` metavar,
    ``a/b/c`` lists, and each ``key（中文）``, ``key (English)`` or ``key 中文`` of its help in both
    languages."""
    from workflow.i18n import option_help_zh

    found: set[str] = set()
    metavar = getattr(param, "metavar", None) or ""
    if re.fullmatch(r"[a-z_]+(\|[a-z_]+)+", metavar):
        found.update(metavar.split("|"))
    for text in (getattr(param, "_help_en", None) or getattr(param, "help", None) or "",
                 option_help_zh(path, param)[0] or ""):
        for key, label in re.findall(r"([a-z_]+)\s?[（(]([^）)]+)[）)]", text):
            if key in keys:
                found.update((key, label))
        for key, label in re.findall(r"([a-z_]+) ([\u4e00-\u9fff]{2,})", text):
            if key in keys:
                found.update((key, label))
        for listed in re.findall(r"[a-z_\u4e00-\u9fff]+(?:/[a-z_\u4e00-\u9fff]+)+", text):
            found.update(listed.split("/"))
    return found


def test_every_enumerated_option_accepts_what_the_program_prints():
    import typer.main

    from cli.app import app
    from workflow.i18n import param_key

    vocab = _vocabularies()
    root = typer.main.get_command(app)
    seen, refused = set(), []
    for path, param in _walk(root):
        name = f"{path} {param_key(param)}"
        kind = ENUMERATED.get(name)
        if kind is None:
            continue
        seen.add(name)
        v = vocab[kind]
        printed = _printed_choices(path, param, v.keys)
        for key in v.keys:  # every label in both languages
            printed.update(v.forms(key))
        for word in printed:
            if v.find(word) is None:
                refused.append((name, word))
    assert seen == set(ENUMERATED), set(ENUMERATED) - seen
    assert refused == []


def test_every_metavar_choice_list_is_an_enumerated_parameter():
    """A parameter whose help offers a ``a|b|c`` choice of words is in ENUMERATED (or a format, an
    encoding or the like that is not a translated value) — so a new one is not forgotten."""
    import typer.main

    from cli.app import app
    from workflow.i18n import param_key

    not_values = {"--format", "--encoding", "--lang", "--scenario", "--sort", "--by"}
    missing = []
    for path, param in _walk(typer.main.get_command(app)):
        metavar = getattr(param, "metavar", None) or ""
        if param_key(param) in not_values or not re.fullmatch(r"[a-z_]+(\|[a-z_]+)+", metavar):
            continue
        if f"{path} {param_key(param)}" not in ENUMERATED:
            missing.append(f"{path} {param_key(param)}")
    assert missing == []


def test_advance_accepts_every_stage_and_trigger_form():
    """``advance``'s TARGET: each trigger and stage by key, label or short form, and what its help prints."""
    from workflow import words
    from workflow.definition import default_definition
    from workflow.i18n import OPTION_HELP_ZH
    from workflow.machine import lookup_word

    defn = default_definition()
    for vocab, slot in ((words.triggers(defn), 0), (words.stages(defn), 1)):
        for key in vocab.keys:
            for form in vocab.forms(key):
                assert lookup_word(defn, form)[slot] == key, form
    for key, label in re.findall(r"([a-z_]+) ([\u4e00-\u9fff]{2,})", OPTION_HELP_ZH["target"]):
        assert lookup_word(defn, label) == lookup_word(defn, key) != (None, None), label


def test_reassign_takes_a_person_by_name(cli, proj):
    res = cli.admin("reassign", proj, "包保县级领导", "王县长", "--reason", "分工", json=True, ok=True)
    view = cli("project", "show", proj, json=True).json
    assert any(x["role"] == "lead_leader" and x["login"] == "wang" for x in view["leaders"]), res.out
    assert cli.admin("reassign", proj, "lead_leader", "无此人", "--reason", "分工").code == 4


def test_a_unit_name_two_units_share_is_refused_listing_them(cli, proj):
    cli.admin("units", "add", "XH2", "--name", "新华镇", ok=True)
    res = cli("board", "--unit", "新华镇")
    assert res.code == 4 and "XH" in res.err and "XH2" in res.err
    assert cli("board", "--unit", "xh2", json=True).code == 0


# --- whole numbers: every one bounded (cli/params.py) ------------------------------------------------------

def test_every_whole_number_parameter_declares_its_bounds():
    """Each ``int`` option and argument of every command has a ``min`` and a ``max`` no column is too
    small for, so a number too large for the database is refused as bad input, never reaching a query."""
    import typer.main

    from cli.app import app
    from cli.params import ID_MAX

    unbounded, seen = [], 0
    for path, param in _walk(typer.main.get_command(app)):
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is None or descriptor.annotation is not int:
            continue
        seen += 1
        info = descriptor.parameter_info
        if info.min is None or info.max is None or not -ID_MAX - 1 <= info.min <= info.max <= ID_MAX:
            unbounded.append(f"{path} {param.name}")
    assert seen > 40 and unbounded == []


HUGE = "99999999999999999999999"


@pytest.mark.parametrize("args", [
    ["problem", "show", HUGE], ["problem", "update", HUGE, "进展"], ["problem", "close", HUGE],
    ["problem", "reopen", HUGE], ["problem", "extend", HUGE, "--to", "2026-12-01", "--reason", "x"],
    ["rules", "edit", HUGE, "--priority", "1", "--reason", "x"], ["rules", "disable", HUGE, "--reason", "x"],
    ["rules", "enable", HUGE, "--reason", "x"], ["rules", "edit", "1", "--priority", HUGE, "--reason", "x"],
    ["rules", "add", "--role", "lead_leader", "--person", "wang", "--priority", HUGE],
    ["people", "add", "li", "--name", "李", "--level", "county", "--cap", HUGE],
    ["people", "edit", "wang", "--cap", HUGE], ["targets", "set", "XH", "2026", "--signed", HUGE, "--reason", "x"],
    ["correct", "P-0001", HUGE, "--reason", "x"], ["project", "list", "--offset", HUGE], ["warnings", "--limit", HUGE],
    ["board", "--top", "9" * 5000],
])
def test_a_number_too_large_is_bad_input_naming_the_option(cli, args):
    res = cli.admin(*args)
    assert res.code == 2, (res.out, res.err)
    assert "Invalid value for" in res.err and "less than or equal to" in res.err


def test_an_id_in_range_that_no_row_has_is_not_found(cli):
    top = str(2**31 - 1)  # the largest PostgreSQL's integer holds
    assert cli("problem", "show", top).code == 4
    assert cli.admin("rules", "disable", top, "--reason", "x").code == 4
    assert cli("problem", "show", "0").code == 2 and cli("problem", "show", str(2**31)).code == 2
    zh = cli("problem", "show", HUGE, lang="zh")
    assert zh.code == 2 and "须不大于 2147483647" in zh.err
