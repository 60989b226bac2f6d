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
    city_cmds,
    click_zh,
    commands,
    context,
    io_cmds,
    lists_cmds,
    panels,
    params,
    performance_cmds,
    plan_cmds,
    rates_cmds,
    report_cmds,
    rules_cmds,
    schema_cmds,
    shell_cmds,
    supervision_cmds,
    undo_cmds,
    versions_cmds,
)
from cli.context import STATE, emit_json, say
from cli.options import CONTEXT
from cli.panels import PanelGroup
from workflow.catalogue import Message
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
    from workflow.lang import default_lang

    if lang is not None and lang not in ("en", "zh"):
        raise BadInput("lang_is_not_en", lang=lang)
    STATE.db = db
    STATE.actor = actor
    STATE.lang = lang or default_lang()


# The commands, in the order ``pipeline --help`` lists them.
for _module in (schema_cmds, audit_cmds, commands, io_cmds, report_cmds, lists_cmds, rules_cmds, shell_cmds, plan_cmds,
                undo_cmds, supervision_cmds, city_cmds, versions_cmds, rates_cmds, performance_cmds):
    _module.register(app)
panels.assign(app)  # the help panels (cli/panels.py)

# --- the one error mapping -------------------------------------------------------------------------


def _json_wanted(argv: list[str]) -> bool:
    return "--json" in argv


PRINTED_DETAILS = 20  # an error prints its first details and a count of the rest; --json gives them all


def _fail(exc: PipelineError, json_mode: bool) -> int:
    """Print ``exc`` in the language of the run: its message rendered from the catalogue by its code
    (workflow/catalogue), whole; with ``--json`` the code, the fields and the details too."""
    from workflow.catalogue import detail_json, json_value, word

    lang = STATE.lang
    zh = lang == "zh"
    message = exc.text(lang)
    details = [detail_json(d, lang) for d in exc.details]
    if json_mode:
        emit_json({"error": {"code": exc.code, "fields": json_value(exc.fields), "message": message,
                             "details": details}, **{k: v for k, v in exc.beside.items() if k != "error"}})
    else:
        say(f"{'错误：' if zh else 'error: '}{message}", style="red")
        for d in details[:PRINTED_DETAILS]:
            msg = d.get("message", "")
            if "guard" in d:  # in Chinese the guard's finding alone (its key is English)
                say(f"  ✗ {msg}" if zh else f"  ✗ {d['guard']}: {msg}")
            elif "line" in d:
                say(Message("line", line=d['line'], d=d.get('field', ''), msg=msg, d_2=d.get('field') or ''))
            elif "field" in d and "message" in d:
                say(f"  {word(d['field'], lang)}{'：' if zh else ': '}{msg}")
        if len(details) > PRINTED_DETAILS:
            more = len(details) - PRINTED_DETAILS
            say(Message("and_more_json_lists", more=more))
    return exc.exit_code


def _usage_errors() -> Any:
    """typer's usage errors: its own class from 0.2x on (it carries its own copy of click), click's before."""
    found = getattr(typer, "TyperException", None)
    if found is None:
        from click import ClickException  # type: ignore[import-not-found,unused-ignore]

        found = ClickException
    return found


_USAGE_ERRORS = _usage_errors()


INTERRUPTED = 130  # the exit code of Ctrl-C (docs/usage.md, "Exit codes")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns (and exits with) the exit code of docs/usage.md "Exit codes"."""
    if argv is None:  # the process's own command line (the console script): start-up without
        context.hold_collections()  # collections until the engine is made (cli/context.py)
    argv = list(sys.argv[1:] if argv is None else argv)
    json_mode = _json_wanted(argv)
    argv = hoist_globals(argv)
    command = click_command(argv)
    lang = _lang_of(argv)
    if lang == "zh" or hasattr(command, "_help_en"):
        from workflow.i18n import localize_help

        localize_help(command, lang)
    click_zh.use(lang == "zh")
    code = 0
    stdout = sys.stdout
    try:
        try:
            rv = command.main(args=argv, prog_name="pipeline", standalone_mode=False)
            if isinstance(rv, int) and not isinstance(rv, bool):
                code = rv  # a command's ``raise typer.Exit(n)``: without standalone mode click returns n
                if code == INTERRUPTED:  # typer turns Ctrl-C in a command into this exit, saying nothing
                    say(Message("interrupted"))
        except PipelineError as exc:
            code = exc.exit_code  # each handler sets its code before it prints: see BrokenPipeError below
            _fail(exc, json_mode)
        except typer.Exit as exc:
            code = exc.exit_code
        except typer.Abort:
            code = INTERRUPTED
            say(Message("aborted"))
        except _USAGE_ERRORS as exc:  # usage errors: unknown option, missing argument, bad value
            code = exc.exit_code
            if json_mode:
                message = exc.format_message()
                if click_zh.active():  # click's own words in Chinese
                    from workflow.i18n import click_zh as words_zh

                    message = words_zh(message)
                emit_json({"error": {"code": "usage", "fields": {}, "message": message, "details": []}})
            elif hasattr(exc, "show"):  # usage and hint, with any user text in it shown visibly
                import io

                from workflow.text import visible

                buf = io.StringIO()
                exc.show(file=buf)
                text = buf.getvalue()
                if click_zh.active():
                    from workflow.i18n import click_zh as words_zh

                    text = words_zh(text)
                sys.stderr.write(visible(text, multiline=True))
            elif click_zh.active():
                from workflow.i18n import click_zh as words_zh

                say(f"错误：{words_zh(exc.format_message())}")
            else:
                say(Message("error_format_message", format_message=exc.format_message()))
        except KeyboardInterrupt:
            code = INTERRUPTED
            say(Message("interrupted"))
        except BrokenPipeError:
            raise  # the command's own output: below, as for an error's message
        except SystemExit:
            if sys.stdout is stdout:
                raise
            # typer ends a command whose reader went away (``| head``) with exit 1, after putting a
            # wrapper on the standard streams that drops the last flush: that is no failure of ours
            code = 0
        except Exception as exc:  # a bug: short message, traceback only on request
            if os.environ.get("PIPELINE_DEBUG") == "1":
                raise
            failure = _database_error(exc, verifying=_command_name(argv) == "audit" and "verify" in argv)
            if failure is not None:  # the database's state, the user's doing: its own code and message
                code = failure.exit_code
                _fail(failure, json_mode)
            else:
                code = 1
                _internal(exc, json_mode)
    except BrokenPipeError:
        # the reader of stdout or stderr went away (``| head``, ``| true``) while the command or its
        # error was printed: the exit code stays the command's own (0 when it was done), the rest
        # of the output is dropped quietly (docs/usage.md, "Exit codes")
        _reader_gone()
    finally:
        context.reset()
    return code


def _reader_gone() -> None:
    """After a BrokenPipeError: each standard stream whose reader went away (its flush fails) writes
    to /dev/null from now on, as rich's writes do (``SafeConsole.on_broken_pipe``, cli/context.py);
    Python's own flush at exit would otherwise fail on it and end the process with 120."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:
            context.reader_gone(stream)


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
    from workflow.lang import default_lang

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
    if os.environ.get("_PIPELINE_COMPLETE"):
        return app
    if name is None:
        return _listing_app() if _root_help(argv) else app
    named = [c for c in app.registered_commands if _name_of(c) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(named) + len(groups) != 1:
        return app
    one = _new_app()
    one.registered_callback = app.registered_callback
    one.registered_commands = named
    one.registered_groups = groups
    return one


def _root_help(argv: list[str]) -> bool:
    """Whether ``argv`` asks for the root help only (``pipeline``, ``pipeline --help``, with root options)."""
    rest = [a for i, a in enumerate(argv) if a not in ROOT_VALUE_OPTIONS
            and not (i and argv[i - 1] in ROOT_VALUE_OPTIONS)
            and not a.startswith(tuple(f"{o}=" for o in ROOT_VALUE_OPTIONS))]
    return all(a in ("--help", "-h") for a in rest)


def _listing_app() -> typer.Typer:
    """The root app for the root help: every command and group by name, help text and panel, without
    their parameters (typer would read every command's signature and evaluate its annotations for a
    page that shows none of them) and without the groups' commands."""
    import copy
    import inspect

    def no_params() -> None:  # pragma: no cover - never run: the help exits first
        """Placeholder."""

    listing = _new_app()
    listing.registered_callback = app.registered_callback
    for c in app.registered_commands:
        shown = copy.copy(c)
        shown.name, shown.callback = _name_of(c), no_params
        shown.help = c.help if c.help is not None else inspect.getdoc(c.callback)
        listing.registered_commands.append(shown)
    for g in app.registered_groups:
        sub = g.typer_instance
        assert sub is not None
        shallow = typer.Typer()
        shallow.info, shallow.registered_callback = sub.info, sub.registered_callback
        group = copy.copy(g)
        group.typer_instance = shallow
        listing.registered_groups.append(group)
    return listing


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
    """A bug's short message (exit 1): the exception's name and first line, never SQL or parameters
    (a database error that is the user's doing is ``_database_error``'s, printed by ``_fail``)."""
    name = type(exc).__name__
    from sqlalchemy.exc import StatementError

    if isinstance(exc, StatementError) and exc.orig is not None:  # never the SQL or its parameters
        name, detail = type(exc.orig).__name__, (str(exc.orig).strip().splitlines() or [""])[0]
    else:
        detail = str(exc)
    message = Message("internal_error", name=name, detail=detail).text(STATE.lang)
    if json_mode:
        emit_json({"error": {"code": "internal", "fields": {"name": name, "detail": detail}, "message": message,
                             "details": []}})
    else:
        say(Message("error", message=message), style="red")
    return 1


def _where() -> str:
    """The database in use, for messages: the SQLite file's path, else the URL without password."""
    try:
        url = STATE.url
    except PipelineError:
        return STATE.db or "the database"
    if url.startswith("sqlite"):
        return url.split("///", 1)[-1]
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


_PRIVILEGES = {"SELECT": "SELECT", "INSERT": "INSERT", "UPDATE": "UPDATE", "DELETE": "DELETE", "WITH": "SELECT",
               "CREATE": "CREATE", "ALTER": "ALTER", "DROP": "DROP"}


def _database_error(exc: Exception, *, verifying: bool = False) -> PipelineError | None:
    """Map database errors that are the user's doing (a busy, unreachable, damaged or unwritable
    database, an integrity refusal raised by our triggers, a login without grants) to clear
    messages: never the SQL or its parameters."""
    from workflow.db import driver_error
    from workflow.errors import IntegrityFailure

    orig = driver_error(exc)
    if orig is None:
        return None
    text = (str(orig).strip().splitlines() or [""])[0]
    low = text.lower()
    # PostgreSQL: lock_timeout / statement_timeout ran out (workflow.db.postgres_timeouts)
    busy_state = getattr(orig, "sqlstate", None) in ("55P03", "57014")
    if busy_state or "database is locked" in low or "database is busy" in low or "database table is locked" in low:
        from workflow.db import busy_timeout_ms

        held = busy_timeout_ms() / 1000
        return Conflict("database_busy",
                        [{"database": _where(), "waited_seconds": held}], held=held)
    if "could not serialize" in low or "deadlock" in low:
        return Conflict("someone_else_changed_data", text=text)
    if "readonly" in low or "read-only" in low:
        return NotAllowed("database_is_read_only", where=_where())
    if "file is not a database" in low or "malformed" in low or "not an sqlite" in low:
        if verifying:
            return IntegrityFailure("not_pipeline_database", [{"code": None, "seq": None, "problem": text}],
                                    where=_where(), text=text)
        return BadInput("not_pipeline_database", [{"database": _where()}], where=_where(), text=text)
    if "unable to open database" in low:
        return BadInput("cannot_open_database_does", where=_where(), text=text)
    if "permission denied" in low:
        statement = (getattr(exc, "statement", None) or "").lstrip().split(None, 1)
        privilege = _PRIVILEGES.get(statement[0].upper(), "the needed") if statement else "the needed"
        import re

        on = re.search(r"permission denied for (?:table|relation|schema|sequence|function) (\S+)", text)
        target = f" on {on.group(1)}" if on else ""
        return NotAllowed("database_privilege_missing", privilege=privilege, target=target, text=text)
    if "append-only" in low or getattr(orig, "sqlstate", None) == "42501":  # our triggers' refusals
        return NotAllowed("database_refused_change", text=text)
    if "connection" in low and ("refused" in low or "failed" in low or "could not" in low):
        return BadInput("cannot_connect_to_database", where=_where(), text=text)
    if type(orig).__name__ == "OperationalError":
        return BadInput("cannot_use_database", where=_where(), text=text)
    return None


shell_cmds.bind(main, app)  # `pipeline shell` runs each line through main


def run() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
