"""`pipeline advance CODE` on a terminal: choose, give the reason and date, confirm (driven through a pty)."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time

import pytest

from tests.conftest import pipeline_exe

pytestmark = pytest.mark.slow


def _run_in_pty(args, db, answers, timeout=60):
    master, slave = pty.openpty()
    env = {**os.environ, "PIPELINE_DB": db, "PIPELINE_USER": "coord", "PIPELINE_LANG": "en", "COLUMNS": "140",
           "TERM": "xterm"}
    proc = subprocess.Popen([pipeline_exe(), *args], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    output = b""
    pending = list(answers)
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if pending and output.rstrip().endswith((b":", b"):", b"]:")):
            prompt_seen = output.count(b"\n")
            os.write(master, pending.pop(0).encode() + b"\r")
            while output.count(b"\n") == prompt_seen and time.time() < deadline:
                r, _, _ = select.select([master], [], [], 0.2)
                if r:
                    try:
                        output += os.read(master, 4096)
                    except OSError:
                        break
        if proc.poll() is not None and not select.select([master], [], [], 0.1)[0]:
            break
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, output.decode("utf-8", "replace")


def test_interactive_hold_with_reason(cli):
    code = cli("project", "add", "--name", "申逊北药", "--investor", "申逊北药有限公司", "--industry", "medicine",
               "--investment", "5000万", "--unit", "XH", json=True, ok=True).json["code"]
    cli("advance", code, "submit", ok=True)
    rc, text = _run_in_pty(["advance", code], cli.db, ["hold", "等待土地指标", "", "y"])
    assert rc == 0, text
    assert "Guards" in text and "Reason" in text
    view = cli("project", "show", code, json=True).json
    assert view["stage"] == "on_hold"
    last = cli("history", code, json=True).json["events"][-1]
    assert last["trigger"] == "hold" and last["reason"] == "等待土地指标"


def test_interactive_decline_changes_nothing(cli):
    code = cli("project", "add", "--name", "利源达", "--investor", "利源达公司", "--industry", "trade",
               "--investment", "2000万", "--unit", "XH", json=True, ok=True).json["code"]
    rc, text = _run_in_pty(["advance", code], cli.db, ["1", "", "n"])
    assert rc == 0, text
    assert "nothing changed" in text
    assert cli("project", "show", code, json=True).json["stage"] == "lead"
