"""Start-up: help, version and usage errors import none of the heavy modules."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "openpyxl", "transitions")

PROBE = """
import json, sys
from cli.app import main
import io, contextlib
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
    code = main({argv!r})
print(json.dumps({{"code": code, "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


@pytest.mark.parametrize("argv,code", [
    (["--help"], 0), (["-h"], 0), (["--version"], 0), (["project", "--help"], 0),
    (["advance", "--help"], 0), (["report", "--help"], None), (["audit", "--help"], None),
    (["rules", "--help"], None), (["project", "show"], 2), (["no-such-command"], 2),
    (["project", "add", "--bogus"], 2),
])
def test_no_heavy_imports(argv, code):
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=HEAVY)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    if code is not None:
        assert doc["code"] == code
    assert doc["loaded"] == [], f"{argv} imported {doc['loaded']}"


def test_console_script_help_and_version():
    from tests.conftest import pipeline_exe

    out = subprocess.run([pipeline_exe(), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("pipeline ")
    out = subprocess.run([pipeline_exe(), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "advance" in out.stdout
