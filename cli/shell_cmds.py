"""``pipeline shell``: many commands in one process, paying the start-up once.

Each line is one ``pipeline`` command (without the word ``pipeline``), run by the same ``main`` as a
one-shot command: the same output, messages and exit code.  The database engines stay open between
lines (``STATE.keep_engines``).  On a terminal: a prompt naming the database and the acting user,
readline history (kept in the user data directory) and tab completion of commands, options and
project codes.  Off a terminal: one command per line from standard input (blank lines and ``#``
comments skipped); the shell exits with the last failing command's code, 0 if none failed.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from cli.context import STATE, is_terminal, say, started
from cli.options import CONTEXT
from workflow.catalogue import Message
from workflow.text import visible

QUIT = ("exit", "quit", "退出")
# The longest line the shell reads (characters): room for every free text a command takes, checked
# before any parsing; a longer line is refused whole (exit 2) and the next line runs.
LINE_LIMIT = 65_536
# The root app and its ``main``, bound by cli/app.py (which imports this module, not the reverse).
ROOT: dict[str, Any] = {}


def bind(main: Any, app: Any) -> None:
    ROOT["main"], ROOT["app"] = main, app


def _global_args() -> list[str]:
    args = ["--lang", STATE.lang]
    if STATE.db:
        args = ["--db", STATE.db, *args]
    if STATE.actor:
        args = ["--as", STATE.actor, *args]
    return args


def run_line(line: str) -> int | None:
    """Run one line; its exit code, or None for a blank line or a comment."""
    main = ROOT["main"]
    if len(line.removesuffix("\n")) > LINE_LIMIT:  # the line's own characters, not its line break
        say(Message("shell_line_too_long", limit=LINE_LIMIT), style="red")
        return 2
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    import shlex  # the shell's own: a one-shot command does not load it

    try:
        words = shlex.split(text)
    except ValueError:  # shlex's only complaints: a quote not closed, a backslash ending the line
        say(Message("shell_unclosed_quote"), style="red")
        return 2
    if words and words[0] == "pipeline":
        words = words[1:]
    if words and words[0] == "shell":
        say(Message("error_already_in_shell"), style="red")
        return 2
    if not words:
        return None
    db, actor, lang = STATE.db, STATE.actor, STATE.lang
    try:
        return main([*_global_args(), *words])
    finally:  # a line's own --db/--as/--lang last for that line only
        STATE.db, STATE.actor, STATE.lang = db, actor, lang


def database_name() -> str:
    """The database the prompt names: the SQLite file's name, or the PostgreSQL database's."""
    url = STATE.url
    tail = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    return tail or url


class Completer:
    """readline completion: command words, then the options of the command typed, else codes."""

    def __init__(self) -> None:
        self._codes: list[str] | None = None
        self.matches: list[str] = []

    def command(self, words: list[str]) -> Any:
        import typer.main

        cmd = typer.main.get_command(ROOT["app"])
        for w in words:
            sub = getattr(cmd, "commands", {}).get(w)
            if sub is None:
                break
            cmd = sub
        return cmd

    def candidates(self, line: str, text: str) -> list[str]:
        import shlex

        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        if text and words and words[-1] == text:
            words = words[:-1]
        cmd = self.command([w for w in words if not w.startswith("-")])
        subs = getattr(cmd, "commands", None)
        if text.startswith("-"):
            opts = [o for p in cmd.params for o in getattr(p, "opts", []) if o.startswith("-")]
            return sorted(o for o in set(opts) | {"--json"} if o.startswith(text))
        if subs:
            return sorted(n for n in subs if n.startswith(text)) + ([q for q in QUIT if q.startswith(text)]
                                                                     if not words else [])
        if self._codes is None:
            try:
                self._codes = STATE.service(write=False).project_codes()
            except Exception:  # noqa: BLE001 - no database yet: nothing to complete
                self._codes = []
        up = text.upper()
        return [c for c in self._codes if c.startswith(up)][:200]

    def __call__(self, text: str, state: int) -> str | None:
        if state == 0:
            import readline

            # Python's readline appends nothing to a completion: each word brings its space
            self.matches = [m + " " for m in
                            self.candidates(readline.get_line_buffer()[:readline.get_endidx()], text)]
        return self.matches[state] if state < len(self.matches) else None


def _history_file() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("pipeline", appauthor=False)) / "shell_history"


def _interactive() -> int:
    import readline

    history = _history_file()
    try:
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.read_history_file(history)
    except OSError:
        pass
    readline.set_history_length(2000)
    readline.set_completer(Completer())
    readline.set_completer_delims(" \t")
    readline.parse_and_bind("tab: complete")
    say(Message("type_commands_without_pipeline"))
    last = 0
    try:
        while True:
            # a file name or login is text: an escape in it is shown, never sent to the terminal
            prompt = f"pipeline [{visible(database_name())} · {visible(STATE.login())}]> "
            try:
                line = input(prompt)
            except EOFError:
                sys.stdout.write("\n")
                break
            except KeyboardInterrupt:
                sys.stdout.write("\n")
                continue
            if line.strip() in QUIT:
                break
            code = run_line(line)
            if code is not None:
                last = code
    finally:
        try:
            readline.write_history_file(history)
        except OSError:
            pass
    return last


def _lines(stream: Any) -> Iterator[str]:
    """The lines of ``stream``, each read at most ``LINE_LIMIT + 1`` characters at a time (a line of
    ``LINE_LIMIT`` characters and its line break): a longer line comes back as its first
    ``LINE_LIMIT + 1`` characters (refused by :func:`run_line`) and the rest of it is skipped without
    being kept."""
    while True:
        line = stream.readline(LINE_LIMIT + 1)
        if not line:
            return
        if len(line) > LINE_LIMIT and not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):
                rest = stream.readline(LINE_LIMIT)
        yield line


def _batch(stream: Any) -> int:
    failed = 0
    for line in _lines(stream):
        if line.strip() in QUIT:
            break
        code = run_line(line)
        if code:
            failed = code
    return failed


def shell_cmd() -> None:
    """Many commands in one process: the same commands, output and exit codes, line by line
    (on a terminal with history and Tab completion; piped, one command per line from stdin)."""
    started()  # a long session collects its garbage (cli/context.py)
    STATE.keep_engines = True
    try:
        code = _interactive() if is_terminal(sys.stdin) and is_terminal(sys.stdout) else _batch(sys.stdin)
    finally:
        STATE.keep_engines = False
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    app.command("shell", context_settings=CONTEXT)(shell_cmd)
