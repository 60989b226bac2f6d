"""Per-invocation state: the database, the acting user, the language, the consoles.

Nothing here imports SQLAlchemy at module level: ``pipeline --help`` stays fast.
"""

from __future__ import annotations

import getpass
import sys
from dataclasses import dataclass, field
from typing import Any


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
            return getpass.getuser()
        except Exception:  # no user name in the environment
            return "unknown"

    def engine(self, *, write: bool = True, readonly: bool = False, check: bool = True):
        key = (self.url, write, readonly)
        if key not in self._engines:
            from workflow.db import check_schema, make_engine

            engine = make_engine(self.url, write=write, readonly=readonly)
            if check:
                check_schema(engine)
            self._engines[key] = engine
        return self._engines[key]

    def service(self, *, write: bool = True):
        from workflow.service import Service

        engine = self.engine(write=write)
        from workflow.db import session_actor

        return Service(engine, session_actor(engine, self.login()))


STATE = State()


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


def out():
    """The stdout console: data only."""
    if "out" not in _consoles:
        from rich.console import Console

        _consoles["out"] = Console(highlight=False, width=output_width())
    return _consoles["out"]


def err():
    """The stderr console: messages, warnings, progress."""
    if "err" not in _consoles:
        from rich.console import Console

        # piped: one message a line, never wrapped at 80 columns
        _consoles["err"] = Console(stderr=True, highlight=False, soft_wrap=not is_terminal(sys.stderr))
    return _consoles["err"]


def reset() -> None:
    """Forget consoles and engines (tests run many invocations in one process)."""
    _consoles.clear()
    if STATE.keep_engines:
        return
    for engine in STATE._engines.values():
        engine.dispose()
    STATE._engines.clear()


def emit_json(doc: Any) -> None:
    import json

    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()


def say(message: str, style: str | None = None) -> None:
    err().print(message, style=style)

