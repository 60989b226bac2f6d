"""``pipeline shell`` caps a line before parsing it (docs/usage.md)."""

from __future__ import annotations

import io
import time

import pytest

from cli import shell_cmds
from tests.test_shell import shell


def test_lines_are_read_bounded_and_the_rest_of_a_long_line_skipped() -> None:
    long = "project list " + "x" * (3 * shell_cmds.LINE_LIMIT) + "\n"
    lines = list(shell_cmds._lines(io.StringIO(long + "users list\n")))
    assert len(lines) == 2 and len(lines[0]) == shell_cmds.LINE_LIMIT + 1 and lines[1] == "users list\n"


@pytest.mark.sqlite_only
def test_a_megabyte_line_is_refused_quickly_and_the_next_line_runs(cli):
    started = time.monotonic()
    res = shell(cli, "project list --search " + "风" * 1_000_000 + "\nusers list --json\n")
    assert time.monotonic() - started < 10
    assert res.returncode == 2, res.stderr
    assert "longer than 65,536 characters" in res.stderr
    assert '"login"' in res.stdout  # the following line still ran
