"""Chinese help (issue 17): every command has a Chinese help text in the one catalogue, and
``--lang zh`` shows it (before or after the command)."""

from __future__ import annotations

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
