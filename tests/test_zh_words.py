"""Chinese output says in Chinese what the program itself writes (docs/text-and-errors.md): the
history's event names, leader rules and footers, `db current`, `supervision ladder show`."""

from __future__ import annotations

import re

from tests.test_audit_cli import approved_project

# What the program itself writes in English in these outputs (the user's data is apart).
_ENGLISH = re.compile(r"\b(rule \d+ v\d+|replaces|events|chain head|program|current|behind|ahead|open|due within|"
                      r"overdue|submit|approve|sign|fund|break_ground|commission)\b")


def test_history_in_chinese_names_moves_rules_and_its_footer_in_chinese(cli, service, tmp_path):
    code = approved_project(service)
    for fmt in (None, "md", "csv"):
        args = ["history", code] + (["--format", fmt] if fmt else [])
        zh = cli(*args, lang="zh", ok=True).out
        assert not _ENGLISH.search(zh), (fmt, _ENGLISH.search(zh), zh)
        assert "阶段变更 提交审核" in zh and "阶段变更 准予准入" in zh, zh
    md = cli("history", code, "--format", "md", lang="zh", ok=True).out
    assert re.search(r"共 \d+ 条记录 · 链头哈希 `[0-9a-f]{64}`", md), md
    en = cli("history", code, "--format", "md", ok=True).out
    assert re.search(r"\d+ events · chain head `[0-9a-f]{64}`", en) and "transition submit" in en
    page = tmp_path / "h.html"
    cli("history", code, "--format", "html", "--output", str(page), lang="zh", ok=True)
    assert "chain head" not in page.read_text(encoding="utf-8")


def test_db_current_and_the_ladder_in_chinese(cli):
    zh = cli("db", "current", lang="zh", ok=True).out
    assert re.fullmatch(r"\d{4}（程序：\d{4}，一致）\n", zh), zh
    assert re.fullmatch(r"\d{4} \(program: \d{4}, current\)\n", cli("db", "current", ok=True).out)
    ladder = cli("supervision", "ladder", "show", lang="zh", ok=True).out
    assert "3 天内到期" in ladder and "逾期超过 7 天" in ladder and not _ENGLISH.search(ladder), ladder
    assert "due within 3 days" in cli("supervision", "ladder", "show", ok=True).out


def test_users_list_capital_corrections_and_long_listings_in_chinese(cli, tmp_path):
    """The users' disabled column, a correction's capital source and the count of columns past the
    first 20 an import ignores are in Chinese under --lang zh (the stored source stays as stored)."""
    from tests.stages import to_signed

    cli.admin("users", "add", "bob", "--role", "coordinator", ok=True)
    cli.admin("users", "disable", "bob", ok=True)
    zh = cli.admin("users", "list", lang="zh", ok=True).out
    assert "已停用" in zh and re.search(r"bob\s+协调员\s+是", zh) and not re.search(r"\b(disabled|yes)\b", zh), zh
    en = cli.admin("users", "list", ok=True).out
    assert "Disabled" in en and re.search(r"bob\s+coordinator\s+yes", en), en

    code = cli("project", "add", "--name", "甲", "--investor", "乙", "--industry", "agri", "--investment", "5600万",
               "--unit", "XH", json=True, ok=True).json["code"]
    to_signed(cli, code)
    cli("capital", "add", code, "3000万", ok=True)
    cli("undo", code, "--reason", "金额录错", ok=True)
    sources = [t["source"] for t in cli("capital", "list", code, json=True, ok=True).json["tranches"]]
    assert any(re.fullmatch(r"correction of event \d+", s or "") for s in sources), sources  # as stored
    for fmt in (None, "csv", "md"):
        args = ["capital", "list", code] + (["--format", fmt] if fmt else [])
        zh = cli(*args, lang="zh", ok=True).out
        assert "correction" not in zh and re.search(r"事件 \d+ 的更正", zh), (fmt, zh)
        assert "correction of event" in cli(*args, ok=True).out
    card = cli("project", "show", code, "--full", lang="zh", ok=True).out
    assert "correction" not in card and re.search(r"事件 \d+ 的更正", card), card

    headers = "name,investor,industry,investment,unit," + ",".join(f"c{i}" for i in range(25))
    path = tmp_path / "wide.csv"
    path.write_text(headers + "\n甲2,乙2,agri,5600万,XH" + "," * 25 + "\n", encoding="utf-8")
    zh = cli("import", str(path), "--dry-run", lang="zh", ok=True).err
    assert "已忽略无法识别的列：c0、c1" in zh and "c19、…（另有 5 项）" in zh and "more" not in zh, zh
    assert "c19, … (5 more)" in cli("import", str(path), "--dry-run", ok=True).err
