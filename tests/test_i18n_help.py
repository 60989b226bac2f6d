"""Chinese help (docs/usage.md, "Chinese everywhere"): every command has a Chinese help text in the one catalogue, and
``--lang zh`` shows it (before or after the command)."""

from __future__ import annotations

import pytest

from tests.conftest import invoke


def _paths():
    import typer.main

    from cli.app import app

    out = []

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            out.append(f"{path} {name}".strip())
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return out


def test_every_command_has_chinese_help():
    from workflow.i18n import HELP_ZH

    missing = [p for p in _paths() if not HELP_ZH.get(p, "").strip()]
    assert missing == [], f"commands without Chinese help in workflow/i18n.py HELP_ZH: {missing}"


def test_zh_help_is_chinese_and_en_stays_english():
    zh = invoke(["project", "list", "--help"], lang="zh")
    assert zh.code == 0 and "列出项目" in zh.out and "只显示名称" in zh.out
    en = invoke(["project", "list", "--help"], lang="en")
    assert "List projects" in en.out and "列出项目" not in en.out
    root = invoke(["--help"], lang="zh")
    assert "招商项目" in root.out and "在第一阶段" not in root.out


def _params():
    """(command path, click parameter) for every parameter of every command, the root's included."""
    import typer.main

    from cli.app import app

    out = []

    def walk(cmd, path):
        out.extend((path, p) for p in getattr(cmd, "params", []))
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return out


def _help_en(p):
    return getattr(p, "_help_en", None) if hasattr(p, "_help_en") else getattr(p, "help", None)


def test_every_option_and_argument_has_chinese_help():
    from workflow.i18n import option_help_zh

    missing = [f"{path} {p.opts}" for path, p in _params() if _help_en(p) and not option_help_zh(path, p)[0]]
    assert missing == [], f"parameters without Chinese help in workflow/i18n.py OPTION_HELP_ZH: {missing}"


def test_a_generic_chinese_help_serves_one_english_text_only():
    """A generic entry (``--reason``) may only serve commands whose English help is the same; a command
    whose option means something else needs its own entry (``report close --reason``)."""
    from workflow.i18n import option_help_zh

    english: dict[str, set[str]] = {}
    for path, p in _params():
        if _help_en(p):
            key = option_help_zh(path, p)[1]
            english.setdefault(key, set()).add(_help_en(p))
    shared = {k: sorted(v) for k, v in english.items() if len(v) > 1}
    assert shared == {}, f"one Chinese text for different English helps; add per-command keys: {shared}"


def test_zh_option_help_is_per_command():
    close = invoke(["report", "close", "--help"], lang="zh")
    assert close.code == 0 and "与关账一同保存" in close.out and "不予准入" not in close.out
    assert "报告期" in close.out and "two months" not in close.out
    adv = invoke(["advance", "--help"], lang="zh")
    assert "不予准入、暂缓、终止时必填" in adv.out
    en = invoke(["report", "close", "--help"], lang="en")
    assert "Why (kept with the close)" in en.out and "关账一同" not in en.out


def test_clicks_own_words_are_chinese_under_zh_and_english_otherwise():
    zh = invoke(["project", "list", "--help"], lang="zh")
    assert zh.code == 0
    for word in ("用法：", "选项：", "显示本帮助并退出。"):
        assert word in zh.out
    for word in ("Usage:", "Options:", "Show this message and exit."):
        assert word not in zh.out
    root = invoke(["--help"], lang="zh")
    assert "[环境变量：PIPELINE_DB]" in root.out and "env var" not in root.out and "项目：" in root.out
    en = invoke(["project", "list", "--help"], lang="en")  # the same process, English again
    assert "Usage:" in en.out and "Show this message and exit." in en.out and "用法" not in en.out


@pytest.mark.parametrize(("args", "chinese", "english"), [
    (["project", "show", "A", "B"], "多余的参数：B", "unexpected extra argument"),
    (["project", "list", "--bogus"], "没有此选项：--bogus", "No such option"),
    (["project", "show"], "缺少参数 'CODE'", "Missing argument"),
    (["report", "bulletin"], "缺少选项 '--period'", "Missing option"),
    (["people", "edit", "x", "--cap", "abc"], "'--cap' 的值无效：须为整数", "Invalid value"),
    (["city", "load", "x.bundle", "--workers", "0"],
     "'--workers'（或环境变量 'PIPELINE_WORKERS'） 的值无效：须不小于 1", "Invalid value"),
    (["city", "load", "x.bundle", "--workers", "65"], "的值无效：须不大于 64", "Invalid value"),
    (["project", "list", "--limit"], "选项 '--limit' 需要一个值", "requires an argument"),
    (["projectx"], "没有此命令：'projectx'", "No such command"),
])
def test_usage_errors_are_chinese_and_exit_2(args, chinese, english):
    zh = invoke(args, lang="zh")
    assert zh.code == 2, zh.err
    assert chinese in zh.err and english not in zh.err and "错误：" in zh.err
    assert "Usage:" not in zh.err and "Try '" not in zh.err
    en = invoke(args, lang="en")
    assert en.code == 2 and english in en.err and "错误" not in en.err


def test_usage_error_json_in_the_runs_language():
    zh = invoke(["project", "list", "--bogus", "--json"], lang="zh")
    err = __import__("json").loads(zh.out)["error"]
    assert zh.code == 2 and err == {"code": "usage", "fields": {}, "message": "没有此选项：--bogus", "details": []}
    en = invoke(["project", "list", "--bogus", "--json"], lang="en")
    assert __import__("json").loads(en.out)["error"]["message"] == "No such option: --bogus"
