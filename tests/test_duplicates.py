"""No silent duplicates: the same project twice, the same tranche twice (CLI, Python API, batch)."""

from __future__ import annotations

from datetime import date

import pytest

from tests.stages import service_to_signed, to_signed
from workflow.errors import Duplicate


def add(cli, name, investor, *extra, **kw):
    return cli("project", "add", "--name", name, "--investor", investor, "--industry", "hotel",
               "--investment", "3000万", "--unit", "XH", *extra, json=True, **kw)


def test_same_name_and_investor_refused_naming_the_project(cli):
    first = add(cli, "宾馆建设项目", "利源达公司", ok=True).json["code"]
    # spaces and full/half width are normalised
    res = add(cli, " 宾馆 建设项目", "利源达公司　", )
    assert res.code == 2 and res.json["error"]["code"] == "duplicate_project"
    assert first in res.json["error"]["message"] and res.json["error"]["details"][0]["project"] == first
    res = add(cli, "ＡＢＣ hotel", "ACME")
    assert res.code == 0
    assert add(cli, "abc hotel", "acme").code == 2  # case and width folded
    assert len(cli("project", "list", json=True).json["projects"]) == 2  # nothing written by refusals
    again = add(cli, "宾馆建设项目", "利源达公司", "--allow-duplicate", ok=True).json["code"]
    assert again != first
    assert add(cli, "宾馆建设项目", "另一家公司").code == 0  # another investor is another project


def test_a_final_project_does_not_block_a_new_one(cli):
    first = add(cli, "东安金矿", "东安矿业", ok=True).json["code"]
    cli("advance", first, "withdraw", "--reason", "投资方撤资", ok=True)
    assert add(cli, "东安金矿", "东安矿业").code == 0


def test_same_tranche_refused_off_a_terminal(cli):
    code = add(cli, "翠宏山铁多金属矿", "翠宏山矿业", ok=True).json["code"]
    to_signed(cli, code)
    cli("capital", "add", code, "3000万", "--on", date.today().isoformat(), "--confirm", ok=True)
    res = cli("capital", "add", code, "3000万", json=True)
    assert res.code == 2 and res.json["error"]["code"] == "duplicate_money_entry"
    assert res.json["error"]["details"][0]["seq"] > 0
    assert cli("capital", "add", code, "3000万", "--source", "x").code == 2  # without --json too
    cli("capital", "add", code, "3000万美元", ok=True)  # another currency
    cli("capital", "add", code, "3000万", "--allow-duplicate", "--confirm", ok=True)
    caps = cli("project", "show", code, json=True).json["capital_in_place"]
    assert {"amount_minor": 6000_0000_00, "currency": "CNY"} in caps
    cli("investment", "add", code, "100万", ok=True)
    assert cli("investment", "add", code, "100万", json=True).code == 2
    cli("investment", "add", code, "100万", "--allow-duplicate", ok=True)


def test_reversed_entry_is_no_duplicate(cli):
    code = add(cli, "风电项目", "博士慧风电有限公司", ok=True).json["code"]
    to_signed(cli, code)
    cli("capital", "add", code, "500万", ok=True)
    seq = [e for e in cli("history", code, json=True).json["events"] if e["kind"] == "capital"][0]["seq"]
    cli.admin("correct", code, seq, "--reason", "录错项目", ok=True)
    cli("capital", "add", code, "500万", ok=True)


def test_python_api_and_batch_refuse_duplicates(cli, service):
    from workflow.bulk import Op

    code = service.add_project(name="申逊北药", investor="申逊北药有限公司", industry="医药",
                               investment_minor=1000, unit="XH").project.code
    with pytest.raises(Duplicate, match=code):
        service.add_project(name="申逊 北药", investor="申逊北药有限公司", industry="医药", investment_minor=1000,
                            unit="XH")
    service_to_signed(service, code)
    service.add_capital(code, 100, "CNY")
    with pytest.raises(Duplicate):
        service.add_capital(code, 100, "CNY")
    today = date.today()
    ops = [Op(code, "investment", today, {"amount_minor": 7, "currency": "CNY"}),
           Op(code, "investment", today, {"amount_minor": 7, "currency": "CNY"})]
    with pytest.raises(Duplicate):  # the second in the same batch repeats the first
        service.bulk_apply(ops)
    assert service.bulk_apply([ops[0], Op(code, "investment", today, {"amount_minor": 7, "currency": "CNY",
                                                                      "allow_duplicate": True})])["events"] == 2


def test_import_refuses_a_duplicate_project(cli, tmp_path):
    add(cli, "宾馆建设项目", "利源达公司", ok=True)
    f = tmp_path / "p.csv"
    f.write_text("name,investor,industry,investment,unit\n宾馆建设项目,利源达公司,hotel,3000万,XH\n",
                 encoding="utf-8")
    assert cli("import", str(f), json=True).code == 2


def _ledger(tmp_path, *rows: str) -> str:
    f = tmp_path / "ledger.csv"
    f.write_text("name,investor,industry,investment,unit\n" + "".join(f"{r},hotel,3000万,XH\n" for r in rows),
                 encoding="utf-8")
    return str(f)


def test_import_folds_name_and_investor_as_project_add_does(cli, tmp_path):
    """One rule for `project add`, `import` and the Python API: the folded name and investor (NFKC,
    spaces, case) of a project not in a final stage; the unit plays no part."""
    first = add(cli, "测试项目", "甲公司", ok=True).json["code"]
    res = cli("import", _ledger(tmp_path, '"测试 项目",甲公司'), json=True)
    assert res.code == 2 and len(cli("project", "list", json=True).json["projects"]) == 1
    (problem,) = res.json["error"]["details"]
    assert problem["line"] == 2 and first in problem["message"] and "--allow-duplicate" in problem["message"]
    other_unit = tmp_path / "u.csv"
    other_unit.write_text("name,investor,industry,investment,unit\n测试项目,甲公司,x,1万,FGW\n", encoding="utf-8")
    assert cli("import", str(other_unit), json=True).code == 2  # another unit is the same project
    doc = cli("import", _ledger(tmp_path, '"测试 项目",甲公司'), "--allow-duplicate", json=True, ok=True).json
    assert doc["imported"] == 1
    assert len(cli("project", "list", json=True).json["projects"]) == 2


def test_import_refuses_two_rows_of_one_file_naming_the_same_project(cli, tmp_path):
    path = _ledger(tmp_path, "ＡＢＣ Hotel,ACME", "乙项目,乙公司", "abc hotel,acme")
    res = cli("import", path, json=True)
    assert res.code == 2 and cli("project", "list", json=True).json["projects"] == []
    (problem,) = res.json["error"]["details"]
    assert problem["line"] == 4 and "line 2" in problem["message"]
    assert cli("import", path, "--allow-duplicate", json=True, ok=True).json["imported"] == 3


def test_import_is_not_blocked_by_a_final_project(cli, tmp_path):
    first = add(cli, "东安金矿", "东安矿业", ok=True).json["code"]
    cli("advance", first, "withdraw", "--reason", "投资方撤资", ok=True)
    assert cli("import", _ledger(tmp_path, "东安 金矿,东安矿业"), json=True, ok=True).json["imported"] == 1


def test_python_api_import_refuses_duplicates_naming_the_row(service):
    code = service.add_project(name="测试项目", investor="甲公司", industry="x", investment_minor=1,
                               unit="XH").project.code
    row = {"name": "测试 项目", "investor": "甲公司", "industry": "x", "investment_minor": 1, "unit": "FGW"}
    other = {"name": "乙", "investor": "乙公司", "industry": "x", "investment_minor": 1, "unit": "XH"}
    with pytest.raises(Duplicate, match=code) as exc:
        service.import_projects([other, row])
    assert exc.value.details[0]["row"] == 2
    with pytest.raises(Duplicate, match="row 1") as exc:
        service.import_projects([other, dict(other, name="乙 ")])
    assert exc.value.details[0]["row"] == 2
    assert service.import_projects([other, row], allow_duplicate=True)["imported"] == 2
