"""The engine's own refusals: a caller of the Python API gets exactly the command line's refusals
(validation lives in the engine), and reads never need write grants."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.conftest import ADMIN, COORD
from workflow import clock
from workflow.errors import PipelineError


def _project(cli, **extra) -> str:
    args = ["project", "add", "--name", "翠宏山铁多金属矿", "--investor", "翠宏山矿业", "--industry", "mining",
            "--investment", "8000万", "--unit", "XH"]
    for k, v in extra.items():
        args += [f"--{k}", v]
    return cli(*args, json=True, ok=True).json["code"]


def test_an_auditor_reads_next_without_write_grants(any_cli):
    """``next`` reads the project and its guard facts without ``SELECT … FOR UPDATE``: on PostgreSQL an
    auditor's login (no UPDATE grant) used to get "permission denied" (exit 6)."""
    code = _project(any_cli)
    any_cli.admin("users", "add", "shen", "--role", "auditor", ok=True)
    res = any_cli("next", code, json=True, actor="shen")
    assert res.code == 0, res.out + res.err
    doc = res.json
    assert doc["code"] == code and doc["stage"] == "lead"
    assert [t["trigger"] for t in doc["transitions"]] == ["submit", "hold", "withdraw"]
    assert doc["transitions"][0]["allowed"] is True
    # and the auditor still cannot write
    assert any_cli("advance", code, "submit", json=True, actor="shen").code == 6


TODAY = clock.today()
FUTURE = TODAY + timedelta(days=1)


def _cases(code: str):
    """(what, the command line's arguments, the same through the API) for bad values the command line
    refuses.  The API receives what a careless caller would pass (floats, wrong types, bad codes)."""
    return [
        ("fractional minor units", ("capital", "add", code, "1.5分"),
         lambda s: s.add_capital(code, 1.5, "CNY")),
        ("unknown currency", ("capital", "add", code, "100 XYZ"),
         lambda s: s.add_capital(code, 100, "XYZ")),
        ("float and unknown currency (the reported case)", ("capital", "add", code, "1.5XYZ"),
         lambda s: s.add_capital(code, 1.5, "XYZ")),
        ("zero", ("capital", "add", code, "0"), lambda s: s.add_capital(code, 0, "CNY")),
        ("negative", ("capital", "add", code, "-5"), lambda s: s.add_capital(code, -5, "CNY")),
        ("a boolean amount", ("investment", "add", code, "true"), lambda s: s.add_investment(code, True)),
        ("text amount", ("investment", "add", code, "很多"), lambda s: s.add_investment(code, "很多")),
        ("over the limit", ("investment", "add", code, "99999999999999999"),
         lambda s: s.add_investment(code, 10**19)),
        ("date in the future", ("followup", "add", code, "电话", "--on", FUTURE.isoformat()),
         lambda s: s.add_followup(code, "电话", on=FUTURE)),
        ("a malformed date", ("followup", "add", code, "电话", "--on", "2026-13-01"),
         lambda s: s.add_followup(code, "电话", on="2026-13-01")),
        ("a date and time", ("followup", "add", code, "电话", "--on", "2026-01-02T03:04"),
         lambda s: s.add_followup(code, "电话", on=datetime(2026, 1, 2, 3, 4))),
        ("empty note", ("followup", "add", code, " "), lambda s: s.add_followup(code, " ")),
        ("unknown check item", ("check", code, "noise", "pass"), lambda s: s.record_check(code, "noise", "pass")),
        ("unknown check result", ("check", code, "energy", "maybe"),
         lambda s: s.record_check(code, "energy", "maybe")),
        ("unknown document kind", ("doc", "add", code, "permit", "X-1"),
         lambda s: s.add_document(code, "permit", "X-1")),
        ("empty document number", ("doc", "add", code, "contract", " "),
         lambda s: s.add_document(code, "contract", " ")),
        ("unknown stage", ("advance", code, "nowhere"), lambda s: s.advance(code, "nowhere")),
        ("empty project name", ("project", "add", "--name", " ", "--investment", "1万"),
         lambda s: s.add_project(name=" ", investor=None, industry=None, investment_minor=1_000_000, unit=None)),
        ("fractional planned investment", ("project", "add", "--name", "甲", "--investment", "0.5分"),
         lambda s: s.add_project(name="甲", investor=None, industry=None, investment_minor=0.5, unit=None)),
        ("unknown milestone", ("project", "add", "--name", "甲", "--investment", "1万", "--plan", "open=2026-01-01"),
         lambda s: s.add_project(name="甲", investor=None, industry=None, investment_minor=1_000_000, unit=None,
                                 plan={"open": date(2026, 1, 1)})),
        ("malformed plan date", ("project", "edit", code, "--plan", "sign=2026-02-30"),
         lambda s: s.edit_project(code, {"plan": {"sign": "2026-02-30"}})),
        ("nothing to change", ("project", "edit", code, "--name", "翠宏山铁多金属矿"),
         lambda s: s.edit_project(code, {"name": "翠宏山铁多金属矿"})),
    ]


@pytest.mark.parametrize("index", range(len(_cases("P-0001"))))
def test_the_api_refuses_what_the_command_line_refuses(any_cli, any_service, index):
    code = _project(any_cli)
    what, argv, call = _cases(code)[index]
    before = any_cli("history", code, json=True, ok=True).json["events"]
    res = any_cli(*argv, json=True)
    assert res.code in (2, 3, 4), (what, res.code, res.out)
    with pytest.raises(PipelineError) as exc:
        call(any_service)
    assert exc.value.exit_code == res.code, (what, exc.value.exit_code, res.code, exc.value.message)
    assert any_cli("history", code, json=True, ok=True).json["events"] == before, what
    assert len(any_cli("project", "list", json=True, ok=True).json["projects"]) == 1


def test_admin_only_commands_refuse_a_coordinator_through_the_api(any_cli, any_service):
    code = _project(any_cli)
    with pytest.raises(PipelineError) as exc:
        any_service.reassign(code, "lead_leader", "wang", reason="x")
    assert exc.value.exit_code == 6
    with pytest.raises(PipelineError) as exc:
        any_service.correct(code, 1, "x")
    assert exc.value.exit_code == 6
    assert ADMIN != COORD
