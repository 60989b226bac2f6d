"""Global options before or after the command, and the help panels (docs/usage.md, "Global options")."""

from __future__ import annotations

import pytest

from cli.app import hoist_globals, main
from tests.conftest import invoke


@pytest.mark.parametrize("argv,expected", [
    (["project", "list", "--lang", "zh"], ["--lang", "zh", "project", "list"]),
    (["export", "f.xlsx", "--db=x.db", "--as", "me"], ["--db=x.db", "--as", "me", "export", "f.xlsx"]),
    (["--db", "a", "project", "show", "P-1"], ["--db", "a", "project", "show", "P-1"]),
    # the value of a command's own option stays with it
    (["project", "list", "--search", "--lang", "--db", "d"], ["--db", "d", "project", "list", "--search", "--lang"]),
    # nothing after -- moves
    (["project", "list", "--", "--lang", "zh"], ["project", "list", "--", "--lang", "zh"]),
])
def test_hoist_globals(argv, expected):
    assert hoist_globals(argv) == expected


@pytest.mark.sqlite_only
def test_global_options_after_the_command(cli, capsys):
    cli("project", "add", "--name", "风电", "--investor", "x", "--industry", "e", "--investment", "1亿",
        "--unit", "XH", ok=True)
    code = main(["project", "list", "--db", str(cli.db), "--as", "coord", "--lang", "zh"])
    out = capsys.readouterr()
    assert code == 0
    assert "编号" in out.out and "风电" in out.out and "共 1 个项目" in out.err


def test_help_lists_commands_in_panels():
    res = invoke(["--help"])
    assert res.code == 0
    text = res.out
    panels = ["Set-up", "Projects", "Stages", "Money", "Follow-up and supervision", "Reports", "Audit",
              "Administration"]
    positions = [text.index(p) for p in panels]
    assert positions == sorted(positions)
    stages = text[text.index("Stages"):text.index("Money")]
    assert "advance" in stages and "next" in stages and "capital" not in stages
