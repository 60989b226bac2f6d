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
