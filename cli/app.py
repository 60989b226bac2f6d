"""The ``pipeline`` command: the root app, its global options, and the one place mapping errors to exit codes.

Each command module puts its commands on ``app`` through its ``register(app)``; none of them imports
this module (no import cycle).  The options commands share are defined once, in ``cli/options.py``.

Heavy modules (SQLAlchemy, SQLModel, Alembic, openpyxl) are imported inside commands only, so
``pipeline --help``, ``--version`` and usage errors stay fast.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

import typer

from cli import (
    audit_cmds,
    commands,
    context,
    io_cmds,
    panels,
    params,
    plan_cmds,
    report_cmds,
    rules_cmds,
    schema_cmds,
    shell_cmds,
    supervision_cmds,
    undo_cmds,
)
from cli.context import STATE, emit_json, say
from cli.options import CONTEXT
from cli.panels import PanelGroup
from workflow.errors import BadInput, Conflict, NotAllowed, PipelineError

if TYPE_CHECKING:
    from typer.models import CommandInfo

params.install()  # plain str/int values without a pydantic TypeAdapter each (cli/params.py)

__version__ = "0.1.0"


def _new_app() -> typer.Typer:
    """The root app (also built holding one command only: see ``_app_for``)."""
    return typer.Typer(
        name="pipeline",
        help="Project Pipeline (招商引资项目管理): run a county's investment projects from lead to production.",
        context_settings=CONTEXT,
        no_args_is_help=True,
        add_completion=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        cls=PanelGroup,
    )


app = _new_app()


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"pipeline {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    db: str | None = typer.Option(None, "--db", envvar="PIPELINE_DB", metavar="URL",
                                  help="SQLAlchemy URL or SQLite file path (default: a file in the user data dir)."),
    actor: str | None = typer.Option(None, "--as", envvar="PIPELINE_USER", metavar="LOGIN",
                                     help="Act as LOGIN (default: the OS user). Ignored on PostgreSQL."),
    lang: str | None = typer.Option(None, "--lang", envvar="PIPELINE_LANG", metavar="en|zh",
                                    help="Language of labels and messages (default from LANG)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Show the version and exit."),
) -> None:
    """Global options apply to every command."""
    from workflow.i18n import default_lang

    if lang is not None and lang not in ("en", "zh"):
        raise BadInput(f"--lang: {lang!r} is not en or zh")
    STATE.db = db
    STATE.actor = actor
    STATE.lang = lang or default_lang()


# The commands, in the order ``pipeline --help`` lists them.
for _module in (schema_cmds, audit_cmds, commands, io_cmds, report_cmds, rules_cmds, shell_cmds, plan_cmds, undo_cmds,
                supervision_cmds):
    _module.register(app)
panels.assign(app)  # the help panels (cli/panels.py)

# --- the one error mapping -------------------------------------------------------------------------


def _json_wanted(argv: list[str]) -> bool:
    return "--json" in argv


def _fail(exc: PipelineError, json_mode: bool) -> int:
    if json_mode:
        emit_json({"error": {"code": exc.code, "message": exc.message, "details": exc.details}})
    else:
        say(f"error: {exc.message}", style="red")
        for d in exc.details:
            if "guard" in d:
                msg = d.get("message_zh") if STATE.lang == "zh" and d.get("message_zh") else d["message"]
                say(f"  ✗ {d['guard']}: {msg}")
            elif "line" in d:
                say(f"  line {d['line']}, {d.get('field', '')}: {d.get('message', '')}")
            elif "field" in d and "message" in d:
                say(f"  {d['field']}: {d['message']}")
    return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns (and exits with) the SPEC §8 exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = _json_wanted(argv)
    argv = hoist_globals(argv)
    command = click_command(argv)
    lang = _lang_of(argv)
    if lang == "zh" or hasattr(command, "_help_en"):
        from workflow.i18n import localize_help

        localize_help(command, lang)
    code = 0
    try:
        rv = command.main(args=argv, prog_name="pipeline", standalone_mode=False)
        if isinstance(rv, int) and not isinstance(rv, bool):
            code = rv  # a command's ``raise typer.Exit(n)``: without standalone mode click returns n
    except PipelineError as exc:
        code = _fail(exc, json_mode)
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        say("aborted")
        code = 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument, bad value
        if json_mode:
            emit_json({"error": {"code": "usage", "message": exc.format_message(), "details": []}})
        elif hasattr(exc, "show"):
            exc.show()
        else:
            say(f"error: {exc.format_message()}")
        code = exc.exit_code
    except KeyboardInterrupt:
        say("interrupted")
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # a bug: short message, traceback only on request
        if os.environ.get("PIPELINE_DEBUG") == "1":
            raise
        code = _internal(exc, json_mode)
    finally:
        context.reset()
    return code


ROOT_VALUE_OPTIONS = ("--db", "--as", "--lang")  # the root callback's options that take a value
_ROOT_EQ = tuple(f"{o}=" for o in ROOT_VALUE_OPTIONS)


def _lang_of(argv: list[str]) -> str:
    """The language this run's help and messages use: ``--lang`` (before the command, where
    ``hoist_globals`` put it), else the environment's."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "zh" if argv[i + 1].lower().startswith("zh") else "en"
        if arg.startswith("--lang="):
            return "zh" if arg[7:].lower().startswith("zh") else "en"
        if not arg.startswith("-") and (i == 0 or argv[i - 1] not in ROOT_VALUE_OPTIONS):
            break
    from workflow.i18n import default_lang

    return default_lang()


def hoist_globals(argv: list[str]) -> list[str]:
    """``argv`` with the global options (``--db``, ``--as``, ``--lang``) moved before the command
    wherever they were typed (``pipeline export 台账.xlsx --lang zh``).  A token that is the value of
    a command's own option, and anything after ``--``, stays where it is."""
    end = argv.index("--") if "--" in argv else len(argv)
    first = _first_word(argv[:end])
    if os.environ.get("_PIPELINE_COMPLETE") or first is None or not any(
            a in ROOT_VALUE_OPTIONS or a.startswith(_ROOT_EQ) for a in argv[first:end]):
        return argv
    takes_value = _value_options(argv[first:end])
    front: list[str] = list(argv[:first])
    rest: list[str] = []
    i = first
    while i < end:
        arg = argv[i]
        if arg in ROOT_VALUE_OPTIONS and i + 1 < end:
            front += [arg, argv[i + 1]]
            i += 2
        elif arg.startswith(_ROOT_EQ):
            front.append(arg)
            i += 1
        elif arg in takes_value and i + 1 < end:
            rest += [arg, argv[i + 1]]
            i += 2
        else:
            rest.append(arg)
            i += 1
    return front + rest + argv[end:]


def _first_word(argv: list[str]) -> int | None:
    """Where the command's name stands in ``argv`` (after the root options), or None."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ROOT_VALUE_OPTIONS:
            i += 2
        elif arg.startswith(_ROOT_EQ):
            i += 1
        elif arg.startswith("-"):
            return None
        else:
            return i
    return None


_COMMANDS: dict[str, Any] = {}


def click_command(argv: list[str]) -> Any:
    """The click command to run ``argv`` with, built once per command name in a process (the shell
    runs many lines)."""
    name = _command_name(argv)
    if name is None or os.environ.get("_PIPELINE_COMPLETE"):
        return typer.main.get_command(_app_for(argv))
    if name not in _COMMANDS:
        _COMMANDS[name] = typer.main.get_command(_app_for(argv))
    return _COMMANDS[name]


def _value_options(argv: list[str]) -> set[str]:
    """The names of the options taking a value in the command (or group) ``argv`` names."""
    names: set[str] = set()
    try:
        root = click_command(argv)
    except Exception:  # noqa: BLE001 - no command to look into: every option counts as a flag
        return names

    def walk(cmd: Any) -> None:
        for p in cmd.params:
            if getattr(p, "param_type_name", "") == "option" and not p.is_flag and not p.count:
                names.update(p.opts)
        for sub in getattr(cmd, "commands", {}).values():
            walk(sub)

    walk(root)
    return names - set(ROOT_VALUE_OPTIONS)


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run ``argv`` with: when it names one command or group, an app holding only that
    one, so typer builds one command's parameters instead of every command's (about 30 ms of each
    run); the whole app for root help, completion, a misspelt command or anything unusual."""
    name = _command_name(argv)
    if name is None or os.environ.get("_PIPELINE_COMPLETE"):
        return app
    named = [c for c in app.registered_commands if _name_of(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(named) + len(groups) != 1:
        return app
    one = _new_app()
    one.registered_callback = app.registered_callback
    one.registered_commands = named
    one.registered_groups = groups
    return one


def _name_of(command: CommandInfo) -> str | None:
    """A registered command's name, as typer derives it (``board_cmd`` -> ``board-cmd``)."""
    if command.name:
        return command.name
    if command.callback is None:
        return None
    from typer.main import get_command_name

    return get_command_name(command.callback.__name__)


def _command_name(argv: list[str]) -> str | None:
    """The first word of ``argv`` after the root options, or None when there is none."""
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ROOT_VALUE_OPTIONS:
            i += 2
        elif arg.startswith(tuple(f"{o}=" for o in ROOT_VALUE_OPTIONS)):
            i += 1
        elif arg.startswith("-"):
            return None  # --version, --help, completion options, or a usage error: the whole app
        else:
            return arg
    return None


def _internal(exc: Exception, json_mode: bool) -> int:
    name = type(exc).__name__
    from_db = _database_error(exc)
    if from_db is not None:
        return _fail(from_db, json_mode)
    message = f"internal error ({name}: {exc}); set PIPELINE_DEBUG=1 for the traceback"
    if json_mode:
        emit_json({"error": {"code": "internal", "message": message, "details": []}})
    else:
        say(f"error: {message}", style="red")
    return 1


def _database_error(exc: Exception) -> PipelineError | None:
    """Map database errors that are the user's doing (an unreachable or unwritable database, an
    integrity refusal raised by our triggers, a read-only role) to clear messages."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if isinstance(exc, OperationalError):
        text = str(exc.orig)
        if "locked" in text or "could not serialize" in text or "deadlock" in text:
            return Conflict(f"the database was busy and the change was not written; retry ({text})")
        if "readonly" in text or "read-only" in text:
            return NotAllowed(f"the database is read-only for this user ({text})")
        return BadInput(f"cannot use the database: {text}")
    if isinstance(exc, DBAPIError):
        text = str(exc.orig).strip().splitlines()[0]
        if "permission denied" in text or "append-only" in text:
            return NotAllowed(f"the database refused the change: {text}")
        if "could not serialize" in text or "deadlock" in text:
            return Conflict(f"someone else changed the data first; nothing was written; retry ({text})")
    return None


shell_cmds.bind(main, app)  # `pipeline shell` runs each line through main


def run() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
