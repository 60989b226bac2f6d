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
    assert rc == 2, text  # declining is not success: nothing changed
    assert "nothing changed" in text
    assert cli("project", "show", code, json=True).json["stage"] == "lead"


def _project(cli, name="天成物流"):
    return cli("project", "add", "--name", name, "--investor", f"{name}公司", "--industry", "logistics",
               "--investment", "3000万", "--unit", "XH", json=True, ok=True).json["code"]


def test_interactive_offers_only_open_transitions_and_has_no_default(cli):
    code = _project(cli)
    cli("advance", code, "submit", ok=True)
    # Enter alone does not choose; "approve" (lacking its checks) is not offered; Chinese names work
    rc, text = _run_in_pty(["advance", code], cli.db, ["", "approve", "暂缓", "等地", "", "是"])
    assert rc == 0, text
    assert "Not open now" in text and "approve" in text.split("Not open now")[1].split("Open now")[0]
    assert "is not an open transition" in text
    assert cli("project", "show", code, json=True).json["stage"] == "on_hold"


def test_interactive_final_stage_says_final(cli):
    code = _project(cli, "终止项目")
    cli("advance", code, "withdraw", "--reason", "投资方放弃", ok=True)
    rc, text = _run_in_pty(["advance", code], cli.db, [])
    assert rc == 3, text
    assert "final stage" in text and "✗ conditions" not in text


def test_the_confirmation_shows_a_typed_target_as_text(cli):
    """`advance CODE TARGET` on a terminal asks to confirm, naming the target as typed: markup in it is
    shown literally (before the fix, rich's prompt read it as markup: `[/x]` ended in an internal error)."""
    code = _project(cli)
    rc, text = _run_in_pty(["advance", code, "[/x]submit[red]"], cli.db, ["n"])
    assert rc == 2, text  # declined: nothing changed (or refused as an unknown transition, also 2)
    assert "internal error" not in text and "Traceback" not in text, text
    assert "[/x]submit[red]" in text, text
    assert cli("project", "show", code, json=True).json["stage"] == "lead"
