"""Per-invocation state: the database, the acting user, the language, the consoles.

Nothing here imports SQLAlchemy at module level: ``pipeline --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import errno
import gc
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from workflow.catalogue import Message


@dataclass
class State:
    db: str | None = None
    actor: str | None = None
    lang: str = "en"
    keep_engines: bool = False  # ``pipeline shell``: engines outlive each command (cli/shell_cmds.py)
    _engines: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        from workflow.db import resolve_url

        return resolve_url(self.db)

    def login(self) -> str:
        if self.actor:
            return self.actor
        try:
            import getpass  # only when no user is named

            return getpass.getuser()
        except Exception:  # no user name in the environment
            return "unknown"

    def engine(self, *, write: bool = True, readonly: bool = False, check: bool = True):
        key = (self.url, write, readonly)
        if key not in self._engines:
            from workflow import db
            from workflow.db import check_schema, make_engine

            db.WAIT_NOTICE = _wait_notice if is_terminal(sys.stderr) else None
            file = db.sqlite_file(self.url)
            if check and file is not None and not os.path.exists(file):  # say so without creating it
                raise db.not_initialised()
            engine = make_engine(self.url, write=write, readonly=readonly)
            if check:
                check_schema(engine)
            from workflow.deployed import attach

            attach(engine)  # the workflow versions deployed in this database (read when first asked for)
            self._engines[key] = engine
            started()  # the modules a command needs are loaded by now
        return self._engines[key]

    def service(self, *, write: bool = True):
        from workflow.service import Service

        engine = self.engine(write=write)
        from workflow.db import session_actor

        return Service(engine, session_actor(engine, self.login()))


STATE = State()


# Start-up without cyclic garbage collection (docs/performance.md, "Fast paths"): the process's own
# command (``cli.app.main`` reading ``sys.argv``) loads SQLAlchemy and our modules with the collector
# off, since every collection then walks the whole heap of freshly imported modules, none of it
# garbage; once the engine is made (or the shell starts) what is loaded is frozen (``gc.freeze``:
# later collections skip it) and the collector runs again for the command's own work.
_HELD = [False]


def hold_collections() -> None:
    """Start-up begins (the process's own command, not one run in-process): no collections."""
    if gc.isenabled():
        gc.disable()
        _HELD[0] = True


def started() -> None:
    """Start-up is over: the loaded modules are frozen and the collector is on again (a no-op unless
    ``hold_collections`` turned it off)."""
    if _HELD[0]:
        _HELD[0] = False
        gc.freeze()
        gc.enable()


def _wait_notice() -> None:
    from workflow.db import busy_timeout_ms

    say(Message("waiting_for_database_another", busy_timeout_ms=busy_timeout_ms() / 1000),
        style="yellow")


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


_consoles: dict[str, Any] = {}


def output_width() -> int | None:
    """The width tables are laid out for: ``PIPELINE_WIDTH`` when set, else the terminal's (None:
    rich asks it, honouring ``COLUMNS``), else 160 when piped."""
    import os

    columns = os.environ.get("PIPELINE_WIDTH", "")
    if columns.isdigit() and int(columns) >= 20:
        return int(columns)
    return None if is_terminal() else 160


def _console_class():
    """A rich Console that never reads markup or emoji codes in what it prints and never emits a
    control, escape or bidi character that came from text: whatever a renderer forgot to pass
    through :func:`workflow.text.visible` is made visible here, as the last step before writing
    (line breaks stay; the colour codes rich itself adds are not text and are kept)."""
    if "class" in _consoles:
        return _consoles["class"]
    from rich.console import Console
    from rich.segment import Segment

    from workflow.text import visible

    class SafeConsole(Console):
        def __init__(self, **kwargs: Any) -> None:
            kwargs.setdefault("markup", False)
            kwargs.setdefault("emoji", False)
            kwargs.setdefault("highlight", False)
            super().__init__(**kwargs)

        def _render_buffer(self, buffer):  # type: ignore[no-untyped-def]
            clean = []
            for seg in buffer:
                text, style, control = seg
                if control:
                    clean.append(seg)
                    continue
                if style is not None and style.link:
                    style = style.update_link(None)
                clean.append(Segment(visible(text, multiline=True), style, None))
            return super()._render_buffer(clean)

        def on_broken_pipe(self) -> None:
            # rich's way (quiet, the last flush to /dev/null), then the error rather than rich's exit 1:
            # a reader that went away (``| head``) is no failure of the command (cli/app.py ``main``)
            self.quiet = True
            reader_gone(self.file)  # this console's own stream: stderr's reader may be the one gone
            raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))

    _consoles["class"] = SafeConsole
    return SafeConsole


def reader_gone(stream: Any) -> None:
    """``stream`` (stdout or stderr) lost its reader (``| head``): from now on it writes to /dev/null,
    so what is still buffered for it is dropped quietly instead of failing again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, stream.fileno())
    finally:
        os.close(devnull)


def out():
    """The stdout console: data only."""
    if "out" not in _consoles:
        _consoles["out"] = _console_class()(width=output_width())
    return _consoles["out"]


def err():
    """The stderr console: messages, warnings, progress."""
    if "err" not in _consoles:
        # piped: one message a line, never wrapped at 80 columns
        _consoles["err"] = _console_class()(stderr=True, soft_wrap=not is_terminal(sys.stderr))
    return _consoles["err"]


def reset() -> None:
    """Forget consoles and engines (tests run many invocations in one process)."""
    for k in ("out", "err"):
        _consoles.pop(k, None)
    if STATE.keep_engines:
        return
    close_engines()


def close_engines() -> None:
    """Close every engine of the run, kept ones too (``pipeline shell``): a command about to move or
    remove the database file (``demo``) leaves no connection writing to it; the next use opens anew."""
    for engine in STATE._engines.values():
        engine.dispose()
    STATE._engines.clear()


def _json_default(value: Any) -> Any:
    """A value json cannot write: a message (``workflow.catalogue.Message``) in the run's language,
    anything else as text."""
    from workflow.catalogue import Message

    if isinstance(value, Message):
        return value.text(STATE.lang)
    return str(value)


def emit_json(doc: Any) -> None:
    """``doc`` as one JSON document on stdout: objects indented by two spaces, each item of a list on
    a line of its own (as ``cli.listing.stream_json`` writes a listing), terminal-active characters
    escaped (``workflow.text.json_safe``)."""
    import json

    from workflow.text import json_safe

    # each list item is encoded by json's C encoder at once (the indenting encoder is pure Python, some
    # four times slower on a report of 50,000 projects); written a piece at a time as it is encoded: a
    # large report is never held twice as one string
    encode = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    out, pending, size = sys.stdout, [], 0
    for piece in _json_pieces(doc, encode, 0):
        pending.append(piece)
        size += len(piece)
        if size >= 1 << 16:
            out.write(json_safe("".join(pending)))
            pending, size = [], 0
    out.write(json_safe("".join(pending)) + "\n")
    out.flush()


def _json_pieces(value: Any, encode: Callable[[Any], str], depth: int) -> Iterator[str]:
    """The text of ``value`` for :func:`emit_json`, a piece at a time: an object's members indented
    one level deeper, each a line; a list's items each a line, encoded whole."""
    if isinstance(value, dict) and value:
        pad = "\n" + "  " * (depth + 1)
        opening = "{"
        for key, member in value.items():
            # json's own names for a key that is not text: null, true, false, a number
            yield opening + pad + encode(key if isinstance(key, str) else encode(key)) + ": "
            opening = ","
            yield from _json_pieces(member, encode, depth + 1)
        yield "\n" + "  " * depth + "}"
    elif isinstance(value, list | tuple) and value:
        pad = "\n" + "  " * (depth + 1)
        opening = "["
        for item in value:
            yield opening + pad + encode(item)
            opening = ","
        yield "\n" + "  " * depth + "]"
    else:
        yield encode(value)


def say(message: object, style: str | None = None, *, multiline: bool = False) -> None:
    """A message on stderr, one line unless ``multiline``: a `workflow.catalogue.Message` rendered in
    the language of the run; any user text in it is shown visibly (a line break as ⏎), never read as
    markup."""
    from workflow.catalogue import text
    from workflow.text import visible

    err().print(visible(text(message, STATE.lang), multiline=multiline), style=style)


# --- progress ------------------------------------------------------------------------------------

PROGRESS_FROM = 2000  # rows (or writes) from which a progress bar is worth showing


@contextlib.contextmanager
def progress_bar(enabled: bool = True, least: int = PROGRESS_FROM):
    """A ``(phase, done, total)`` callback drawing a progress bar on stderr, on a terminal only and for
    large work only (``least`` steps or more); a no-op otherwise (no spinners in pipes, docs/usage.md
    "Output and errors").  Rich's progress and the labels are imported only when a bar is drawn."""
    if not enabled or not is_terminal(err().file):
        yield lambda phase, done, total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

    tasks: dict[str, TaskID] = {}
    with Progress(TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err(), transient=True) as bar:

        def update(phase: str, done: int, total: int) -> None:
            if total < least:
                return
            if phase not in tasks:
                from workflow.i18n import t

                tasks[phase] = bar.add_task(t(f"phase_{phase}", STATE.lang), total=total)
            bar.update(tasks[phase], completed=done, total=total)

        yield update
