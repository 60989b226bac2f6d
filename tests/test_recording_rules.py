"""What may be recorded in which stage (the [recording] table of the workflow definition): the
same refusal through the command line, the Python API and a batch (import/demo path)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.stages import to_signed
from workflow.errors import Refused


def new_project(cli, name="东安金矿") -> str:
    return cli("project", "add", "--name", name, "--investor", "利源达公司", "--industry", "mining",
               "--investment", "5600万", "--unit", "XH", json=True, ok=True).json["code"]


def test_capital_and_investment_only_from_signed_on(cli):
    code = new_project(cli)
    for args in (("capital", "add", code, "500万"), ("investment", "add", code, "500万")):
        res = cli(*args, json=True)
        assert res.code == 3, args
        err = res.json["error"]
        assert "stage lead" in err["message"] and "allows: followup" in err["message"]
        assert err["details"][0]["stage"] == "lead" and "capital" not in err["details"][0]["allowed"]
    assert cli("project", "show", code, json=True).json["capital_in_place"] == []
    assert len(cli("history", code, json=True).json["events"]) == 1  # nothing written
    to_signed(cli, code)
    res = cli("capital", "add", code, "500万", json=True, ok=True).json
    assert res["stage"] == "funding"  # the first capital fires `fund`
    cli("investment", "add", code, "100万", ok=True)


def test_final_stage_records_nothing_but_corrections(cli):
    code = new_project(cli)
    cli("advance", code, "withdraw", "--reason", "投资方撤资", ok=True)
    for args in (("followup", "add", code, "再联系"), ("doc", "add", code, "contract", "X-1"),
                 ("project", "edit", code, "--name", "新名字"), ("capital", "add", code, "1万"),
                 ("check", code, "environment", "pass"),
                 ("reassign", code, "lead_leader", "wang", "--reason", "调整")):
        actor = "admin" if args[0] == "reassign" else "coord"
        res = cli(*args, json=True, actor=actor)
        assert res.code == 3, (args, res.out, res.err)
        assert "withdrawn" in res.json["error"]["message"] and "correction" in res.json["error"]["message"]
    seq = len(cli("history", code, json=True).json["events"])
    cli.admin("correct", code, seq, "--reason", "误操作", ok=True)  # corrections still may
    assert cli("project", "show", code, json=True).json["stage"] == "lead"


def test_documents_and_checks_where_their_transitions_need_them(cli):
    code = new_project(cli)
    res = cli("doc", "add", code, "eia", "环评-1", json=True)
    assert res.code == 3 and "may be recorded in: funding" in res.json["error"]["message"]
    assert cli("check", code, "environment", "pass", json=True).code == 3  # checks belong to screening
    cli("advance", code, "submit", ok=True)
    cli("check", code, "environment", "pass", ok=True)
    cli("doc", "add", code, "committee_decision", "县招委1号", ok=True)
    assert cli("doc", "add", code, "contract", "合同", json=True).code == 3  # contract: at approved
    cli("followup", "add", code, "跟进", ok=True)  # follow-ups in every stage that is not final


def test_python_api_and_batch_obey_the_same_rule(cli, service):
    from workflow.bulk import Op

    code = new_project(cli)
    with pytest.raises(Refused, match="stage lead"):
        service.add_capital(code, 100, "CNY")
    with pytest.raises(Refused, match="stage lead"):
        service.bulk_apply([Op(code, "followup", date.today(), {"note": "ok"}),
                            Op(code, "investment", date.today(), {"amount_minor": 100, "currency": "CNY"})])
    assert len(service.history(code)["events"]) == 1  # the batch wrote nothing


def test_workflow_show_lists_what_each_stage_allows(cli):
    doc = cli("workflow", "show", json=True, ok=True).json
    assert doc["recording"]["production"] == ["correction"]
    assert "capital" in doc["recording"]["signed"] and "capital" not in doc["recording"]["approved"]
    assert "document:eia" in doc["recording"]["funding"]
    out = cli("workflow", "show", ok=True).out
    assert "records" in out.lower() or "record" in out.lower()


def test_definition_refuses_recording_in_a_final_stage():
    from workflow.definition import load_definition
    from workflow.errors import BadInput

    text = '''
name = "tiny"
version = 1
[[stages]]
key = "a"
en = "A"
zh = "甲"
kind = "active"
[[stages]]
key = "z"
en = "Z"
zh = "乙"
kind = "final"
[[transitions]]
trigger = "go"
en = "Go"
zh = "走"
sources = ["a"]
dest = "z"
[recording]
capital = ["a", "z"]
followup = "@needed"
bogus = ["a"]
'''
    with pytest.raises(BadInput) as info:
        load_definition(text)
    fields = {d["field"] for d in info.value.details}
    assert {"recording.capital", "recording.followup", "recording.bogus"} <= fields
