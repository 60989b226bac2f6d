"""Plausibility of capital entries (docs/money.md, "Plausibility"): capital in place above the planned
investment, or a tranche above the plausible share of it (a ledgered setting), is refused off a
terminal (exit 3 naming why) unless --confirm, and changes nothing — on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from tests.stages import to_signed
from workflow import clock


def signed(cli, investment: str = "3.2亿", name: str = "木材加工") -> str:
    code = cli("project", "add", "--name", name, "--investor", f"{name}有限公司", "--industry", "agriculture",
               "--investment", investment, "--unit", "XH", "--no-key", json=True, ok=True).json["code"]
    to_signed(cli, code)
    return code


def version(cli, code: str) -> int:
    return cli("project", "show", code, json=True, ok=True).json["version"]


def test_a_typo_tranche_needs_confirm(cli):
    code = signed(cli)
    before = version(cli, code)
    # 3亿 on a 3.2亿 project (3000万 meant): more than 80% of it in one tranche
    res = cli("capital", "add", code, "3亿")
    assert res.code == 3 and "80%" in res.err and "--confirm" in res.err and code in res.err
    assert version(cli, code) == before
    err = cli("capital", "add", code, "3亿", json=True)
    assert err.code == 3
    zh = cli("capital", "add", code, "3亿", lang="zh")
    assert zh.code == 3 and "超过计划总投资" in zh.err
    # 80% is plausible; the rest only with --confirm
    cli("capital", "add", code, "2.56亿", ok=True)
    cli("capital", "add", code, "3000万", ok=True)  # 2.86亿 in place
    res = cli("capital", "add", code, "4000万")  # 3.26亿 > 3.2亿
    assert res.code == 3 and "above the planned investment" in res.err
    assert version(cli, code) == before + 2
    cli("capital", "add", code, "4000万", "--confirm", ok=True)
    (total,) = cli("capital", "list", code, json=True, ok=True).json["totals"]
    assert total["amount_minor"] == 32_600 * 10_000 * 100 and len(cli("capital", "list", code, json=True,
                                                                      ok=True).json["tranches"]) == 3
    assert cli.admin("audit", "verify", json=True).code == 0


def test_the_plausible_share_is_a_ledgered_setting(cli):
    code = signed(cli, "2亿")
    assert cli("capital", "plausible", json=True, ok=True).json == {"tranche_plausible_pct": 80}
    assert cli("capital", "plausible", "20", "--reason", "x").code == 6  # admin only
    assert cli.admin("capital", "plausible", "101", "--reason", "x").code == 2
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    cli.admin("capital", "plausible", "20", "--reason", "分批到位", "--from", tomorrow, ok=True)
    entries = [e for e in cli.admin("audit", "ledger", json=True, ok=True).json["entries"] if e["kind"] == "setting"]
    assert entries[-1]["payload"] == {"effective_on": tomorrow, "values": {"capital.tranche_plausible_pct": "20"}}
    assert cli("capital", "plausible", json=True, ok=True).json == {"tranche_plausible_pct": 80}
    cli("capital", "add", code, "1.5亿", ok=True)  # 75%: 80% is still in force today
    cli.admin("capital", "plausible", "20", "--reason", "今日起", ok=True)
    assert cli("capital", "add", code, "4500万").code == 3  # 22.5%
    cli("capital", "add", code, "3000万", ok=True)  # 15%; 1.8亿 in place
    cli.admin("capital", "plausible", "5", "--reason", "更严", ok=True)
    assert cli("capital", "add", code, "1100万").code == 3  # 5.5%
    cli.admin("capital", "plausible", "0", "--reason", "关闭", ok=True)
    assert "not checked" in cli("capital", "plausible", ok=True).err
    # off: any tranche passes; capital in place above the planned investment still asks
    cli("capital", "add", code, "1100万", ok=True)  # 1.91亿
    assert cli("capital", "add", code, "1000万").code == 3  # 2.01亿
    assert cli.admin("audit", "verify", json=True).code == 0


def test_other_currencies_are_not_checked(cli):
    code = signed(cli, "1000万")
    cli("capital", "add", code, "900万美元", ok=True)  # USD against a CNY plan: no check
    assert cli("capital", "add", code, "900万").code == 3  # CNY is
