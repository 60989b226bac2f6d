"""``pipeline shell`` (docs/usage.md): one process, the same commands, output and exit codes per line."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.conftest import pipeline_exe


def shell(cli, text: str, actor: str = "coord") -> subprocess.CompletedProcess:
    env = {**os.environ, "PIPELINE_DB": str(cli.db), "PIPELINE_USER": actor, "PIPELINE_LANG": "en"}
    return subprocess.run([pipeline_exe(), "shell"], input=text, capture_output=True, text=True, env=env,
                          timeout=120)


@pytest.fixture
def one(cli):
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", ok=True)
    return cli


@pytest.mark.sqlite_only
def test_batch_runs_each_line_and_exits_with_the_last_failure(one):
    res = shell(one, "project show p-1 --json\n# a comment\n\nproject show P-0042\nusers list --json\n")
    assert res.returncode == 4, res.stderr  # the failing line's code, though later lines succeeded
    docs = res.stdout.replace("}\n{", "}\n\x00{").split("\x00")
    assert json.loads(docs[0])["code"] == "P-0001"
    assert {u["login"] for u in json.loads(docs[1])["users"]} >= {"admin", "coord"}
    assert "no project P-0042" in res.stderr


@pytest.mark.sqlite_only
def test_batch_writes_and_succeeds(one):
    res = shell(one, "followup add P-1 visited\nadvance p-0001 submit\n")
    assert res.returncode == 0, res.stderr
    assert one("project", "show", "P-0001", json=True).json["stage"] == "screening"
    assert shell(one, "").returncode == 0
    bad = shell(one, "advance P-1 'unclosed\nproject list --sort nope\n")
    assert bad.returncode == 2


@pytest.mark.sqlite_only
def test_shell_output_equals_one_shot(one):
    alone = one("project", "list", ok=True)
    res = shell(one, "project list\n")
    assert res.returncode == 0 and res.stdout == alone.out


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_interactive_prompt_names_database_and_user_and_completes(one):
    rc, text = _pty_session(str(one.db), [b"proj\tsh\tP-\t--json\r", b"exit\r"])
    assert rc == 0, text
    assert f"[{os.path.basename(str(one.db))} · coord]>" in text
    assert "project show P-0001 --json" in text and '"code": "P-0001"' in text


def _pty_session(db: str, keys: list[bytes], timeout: float = 60, user: str = "coord") -> tuple[int, str]:
    """Type each of ``keys`` after the shell's prompt shows; the exit code and the whole screen."""
    import pty
    import select
    import time

    master, slave = pty.openpty()
    env = {**os.environ, "PIPELINE_DB": db, "PIPELINE_USER": user, "PIPELINE_LANG": "en", "TERM": "xterm",
           "HOME": os.path.dirname(db), "XDG_DATA_HOME": os.path.dirname(db)}
    proc = subprocess.Popen([pipeline_exe(), "shell"], stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    out = b""
    pending = list(keys)
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        if select.select([master], [], [], 0.2)[0]:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
        if pending and out.count(b"]> ") > len(keys) - len(pending):
            os.write(master, pending.pop(0))
    try:
        while select.select([master], [], [], 0.2)[0]:
            out += os.read(master, 4096)
    except OSError:
        pass
    proc.wait(timeout=10)
    os.close(master)
    return proc.returncode, out.decode("utf-8", "replace")


@pytest.mark.sqlite_only
@pytest.mark.slow
def test_the_prompt_shows_an_escape_in_the_login_never_sends_it(one):
    """The prompt names the acting user as text: an escape sequence in ``--as`` (or the file's name)
    is shown visibly (``\\x1b``), as every message shows it, not sent to the terminal."""
    rc, text = _pty_session(str(one.db), [b"exit\r"], user="\x1b[31mEVIL")
    assert rc == 0, text
    assert "\\x1b[31mEVIL]> " in text and "\x1b[31mEVIL" not in text, repr(text)


@pytest.mark.sqlite_only
def test_demo_in_the_shell_rebuilds_the_database_as_it_does_alone(cli, tmp_path):
    """``demo`` moves or removes the database file: the shell's kept connections are closed first, so
    the rebuilt demo is whole, later lines read it, and nothing is written into a backup."""
    db = tmp_path / "d.db"
    env = {**os.environ, "PIPELINE_DB": str(db), "PIPELINE_LANG": "en"}
    run = [pipeline_exe(), "--as", "root"]
    assert subprocess.run([*run, "demo", "--no-show", "--projects", "5"], env=env, capture_output=True,
                          timeout=120).returncode == 0
    res = subprocess.run([*run, "shell"], input="demo --no-show --projects 5\nunits list --json\n"
                         "audit verify --json\n", capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    assert '"units"' in res.stdout and '"ok": true' in res.stdout, res.stdout
    # a database that is not a demo's, with --force: moved aside whole, untouched by the new demo
    db.unlink()
    for args in (["init"], ["units", "add", "XH", "--name", "新华镇"]):
        assert subprocess.run([*run, *args], env=env, capture_output=True, timeout=60).returncode == 0
    res = subprocess.run([*run, "shell"], input="demo --no-show --projects 5 --force\nunits list --json\n",
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    backup = next(p for p in tmp_path.iterdir() if ".bak-" in p.name and not p.name.endswith(("-wal", "-shm")))
    import sqlite3

    with sqlite3.connect(backup) as con:
        assert [r[0] for r in con.execute("SELECT code FROM unit")] == ["XH"]
        assert con.execute("SELECT count(*) FROM setting WHERE key LIKE 'demo%'").fetchone()[0] == 0


@pytest.mark.sqlite_only
def test_a_line_of_exactly_the_limit_runs_one_longer_is_refused(one):
    """The line limit counts the line's own characters, not its line break (docs/usage.md)."""
    from cli.shell_cmds import LINE_LIMIT

    def line(length: int) -> str:
        head = "project list --json --search "
        return head + "x" * (length - len(head))

    res = shell(one, line(LINE_LIMIT) + "\n")
    assert res.returncode == 0 and "longer than" not in res.stderr, res.stderr
    assert json.loads(res.stdout)["projects"] == []
    res = shell(one, line(LINE_LIMIT + 1) + "\n")
    assert res.returncode == 2 and "longer than 65,536 characters" in res.stderr


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("lang", "words"), [("en", "a quote in the line is not closed"), ("zh", "该行有未闭合的引号")])
def test_an_unclosed_quote_is_refused_in_the_runs_language(one, lang, words):
    env = {**os.environ, "PIPELINE_DB": str(one.db), "PIPELINE_USER": "coord"}
    for text in ('project show "x\n', "project show x\\\n"):
        res = subprocess.run([pipeline_exe(), "--lang", lang, "shell"], input=text, capture_output=True, text=True,
                             env=env, timeout=120)
        assert res.returncode == 2 and words in res.stderr, res.stderr
        assert "No closing quotation" not in res.stderr and "No escaped character" not in res.stderr

