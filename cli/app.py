"""The ``pipeline`` command: root app, global options, and the one place mapping errors to exit codes.

Heavy modules (SQLAlchemy, SQLModel, Alembic, openpyxl) are imported inside commands only, so
``pipeline --help``, ``--version`` and usage errors stay fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import typer

from cli import context, params
from cli.context import STATE, emit_json, say
from workflow.errors import BadInput, PipelineError

params.install()  # plain str/int values without a pydantic TypeAdapter each (cli/params.py)

__version__ = "0.1.0"
CONTEXT = {"help_option_names": ["-h", "--help"]}

_APP_SETTINGS = dict(
    name="pipeline",
    help="Project Pipeline (招商引资项目管理): run a county's investment projects from lead to production.",
    context_settings=CONTEXT,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app = typer.Typer(**_APP_SETTINGS)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"pipeline {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def root(
    db: str = typer.Option(None, "--db", envvar="PIPELINE_DB", metavar="URL",
                           help="SQLAlchemy URL or SQLite file path (default: a file in the user data dir)."),
    actor: str = typer.Option(None, "--as", envvar="PIPELINE_USER", metavar="LOGIN",
                              help="Act as LOGIN (default: the OS user). Ignored on PostgreSQL."),
    lang: str = typer.Option(None, "--lang", envvar="PIPELINE_LANG", metavar="en|zh",
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


# --- init and db -----------------------------------------------------------------------------


@app.command()
def init(
    admin: str = typer.Option(None, "--admin", metavar="LOGIN",
                              help="Make LOGIN an admin (default: the acting user)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Create or upgrade the database (idempotent); LOGIN becomes admin."""
    from workflow import db as dbm
    from workflow.service import Service

    engine = STATE.engine(check=False)
    before = dbm.current_revision(engine)
    if dbm.schema_state(before) == "ahead":
        dbm.check_schema(engine)
    dbm.upgrade(engine)
    after = dbm.current_revision(engine)
    login = admin or dbm.session_actor(engine, STATE.login())  # on PostgreSQL: the database login
    made = Service(engine, dbm.session_actor(engine, STATE.login())).bootstrap_admin(login)
    extra = _postgres_init(engine)
    doc = {"database": _safe_url(engine), "revision": after, "previous_revision": before,
           "admin": login, "admin_created": made, **extra}
    if json:
        emit_json(doc)
        return
    what = "created" if before is None else ("upgraded" if before != after else "up to date")
    say(f"database {what} at revision {after}: {doc['database']}")
    if made:
        say(f"{login} is admin")


def _postgres_init(engine) -> dict:
    """PostgreSQL: create the group roles and grants (issue: shared deployment)."""
    if engine.dialect.name != "postgresql":
        return {}
    from workflow import pgroles

    return {"roles": pgroles.ensure_roles(engine)}


def _safe_url(engine) -> str:
    return engine.url.render_as_string(hide_password=True)


db_app = typer.Typer(help="Schema migrations (Alembic).", context_settings=CONTEXT, no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Upgrade the schema to the newest migration."""
    from workflow import db as dbm

    engine = STATE.engine(check=False)
    before = dbm.current_revision(engine)
    if dbm.schema_state(before) == "ahead":
        dbm.check_schema(engine)
    dbm.upgrade(engine)
    after = dbm.current_revision(engine)
    if json:
        emit_json({"previous_revision": before, "revision": after})
    else:
        say(f"schema at {after}" + (f" (was {before})" if before != after else " (already current)"))


@db_app.command("current")
def db_current(json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Print the database's schema revision and this program's."""
    from workflow import db as dbm

    engine = STATE.engine(check=False)
    rev = dbm.current_revision(engine)
    doc = {"revision": rev, "head": dbm.SCHEMA_HEAD, "state": dbm.schema_state(rev)}
    if json:
        emit_json(doc)
    else:
        sys.stdout.write(f"{rev or '(none)'} (program: {dbm.SCHEMA_HEAD}, {doc['state']})\n")


@db_app.command("check")
def db_check(json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Exit 0 when the schema matches this program, else say which command fixes it (exit 2)."""
    from workflow import db as dbm

    engine = STATE.engine(check=False)
    dbm.check_schema(engine)
    if json:
        emit_json({"ok": True, "revision": dbm.SCHEMA_HEAD})
    else:
        say(f"schema is current ({dbm.SCHEMA_HEAD})")


# --- workflow ----------------------------------------------------------------------------------

wf_app = typer.Typer(help="The workflow definition: show, diagram, validate.", context_settings=CONTEXT,
                     no_args_is_help=True)
app.add_typer(wf_app, name="workflow")


@wf_app.command("show")
def workflow_show(json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Show the default workflow: stages, transitions and their guards."""
    from cli import render
    from workflow.definition import default_definition
    from workflow.i18n import is_zh

    defn = default_definition()
    if json:
        emit_json(defn.as_dict())
        return
    lang = STATE.lang
    render.print_rows(
        ["key", "en", "zh", "kind"], [(s.key, s.en, s.zh, s.kind) for s in defn.stages],
        title=f"{defn.name} v{defn.version}")
    rows = []
    for tr in defn.transitions:
        dest = "(held-from stage)" if tr.dest is None else tr.dest
        rows.append((tr.trigger, tr.zh if is_zh(lang) else tr.en, ", ".join(tr.sources), dest,
                     "\n".join(tr.guards) or "-"))
    render.print_rows(["trigger", "label", "from", "to", "guards"], rows)


@wf_app.command("diagram")
def workflow_diagram(
    fmt: str = typer.Option("mermaid", "--format", "-f", metavar="mermaid|dot", help="mermaid or dot."),
    output: Path = typer.Option(None, "--output", "-o", help="Write to FILE instead of stdout."),
) -> None:
    """Print the workflow as a Mermaid or Graphviz DOT diagram."""
    from cli.output import write_text
    from workflow.definition import default_definition
    from workflow.machine import diagram

    text = diagram(default_definition(), fmt, STATE.lang)
    write_text(text if text.endswith("\n") else text + "\n", output)


@wf_app.command("validate")
def workflow_validate(
    file: Path = typer.Argument(..., help="A workflow definition file (TOML)."),
    json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Validate a workflow definition file; every problem is listed (exit 2 if any)."""
    from workflow.definition import load_definition

    if not file.exists():
        raise BadInput(f"FILE: {file} does not exist")
    defn = load_definition(file)
    doc = {"ok": True, "name": defn.name, "version": defn.version, "stages": len(defn.stages),
           "transitions": len(defn.transitions)}
    if json:
        emit_json(doc)
    else:
        say(f"{file}: valid — {defn.name} v{defn.version}, {len(defn.stages)} stages, "
            f"{len(defn.transitions)} transitions")


# The command modules register themselves on ``app`` (they import typer only: start-up stays light).
from cli import audit_cmds, commands, io_cmds, report_cmds, rules_cmds  # noqa: E402, F401

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
    command = typer.main.get_command(_app_for(argv))
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


def _app_for(argv: list[str]) -> typer.Typer:
    """The app to run ``argv`` with: when it names one command or group, an app holding only that
    one, so typer builds one command's parameters instead of every command's (about 30 ms of each
    run); the whole app for root help, completion, a misspelt command or anything unusual."""
    name = _command_name(argv)
    if name is None or os.environ.get("_PIPELINE_COMPLETE"):
        return app
    from typer.main import get_command_name

    named = [c for c in app.registered_commands if (c.name or get_command_name(c.callback.__name__)) == name]
    groups = [g for g in app.registered_groups if g.name == name]
    if len(named) + len(groups) != 1:
        return app
    one = typer.Typer(**_APP_SETTINGS)
    one.registered_callback = app.registered_callback
    one.registered_commands = named
    one.registered_groups = groups
    return one


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
    try:
        from sqlalchemy.exc import DBAPIError, OperationalError
    except ImportError:  # pragma: no cover
        return None
    from workflow.errors import Conflict, NotAllowed

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


def run() -> None:  # pragma: no cover
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
