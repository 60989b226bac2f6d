"""``pipeline init``, ``pipeline db upgrade|current|check`` and ``pipeline workflow show|diagram|validate``.

The database's schema and the workflow definition.  Thin: call ``workflow.db`` and
``workflow.definition``, render.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from cli.context import STATE, emit_json, say
from cli.options import DiagramFormat, JsonFlag, OutputFile, group
from workflow.catalogue import Message
from workflow.errors import BadInput

# --- init and db -----------------------------------------------------------------------------


def init(
    admin: str | None = typer.Option(None, "--admin", metavar="LOGIN",
                                     help="Make LOGIN an admin (default: the acting user)."),
    force: bool = typer.Option(False, "--force",
                               help="Add the pipeline's tables to a database that already holds other tables."),
    json: JsonFlag = False,
) -> None:
    """Create or upgrade the database (idempotent); LOGIN becomes admin."""
    make_database(admin=admin, force=force, json=json)


def make_database(*, admin: str | None, force: bool, json: bool, page_size: int | None = None) -> None:
    """``pipeline init``; with ``page_size``, a new SQLite file is made in pages of that size
    (``workflow.db.new_sqlite_file``), once the logins are checked and before anything else is made."""
    from workflow import db as dbm
    from workflow.service import Service
    from workflow.values import identifier

    if admin is not None:  # the admin's login as `users add` takes one, checked before anything is made
        admin = identifier(admin, "--admin")
    engine = STATE.engine(check=False)
    actor = dbm.session_actor(engine, STATE.login())  # on PostgreSQL: the database login
    login = admin if admin is not None else identifier(actor, "--as")
    if page_size is not None:
        dbm.new_sqlite_file(STATE.url, page_size)
    before = dbm.current_revision(engine)
    if before is None and not force:
        others = dbm.other_tables(engine)
        if others:
            from workflow.text import listing

            raise BadInput("database_already_holds_other",
                           [{"table": name} for name in others], safe_url=safe_url(engine), n_others=len(others),
                           listing=listing(others, 10))
    before, after = _upgrade(engine)
    made = Service(engine, actor).bootstrap_admin(login)
    extra = _postgres_init(engine)
    doc = {"database": safe_url(engine), "revision": after, "previous_revision": before,
           "admin": login, "admin_created": made, **extra}
    if json:
        emit_json(doc)
        return
    what = "created" if before is None else ("upgraded" if before != after else "up to date")
    say(Message("database_at_revision", what=what, after=after, database=doc['database']))
    if made:
        say(Message("is_admin", login=login))


def _postgres_init(engine: Any) -> dict[str, Any]:
    """PostgreSQL: create the group roles and grants (issue: shared deployment)."""
    if engine.dialect.name != "postgresql":
        return {}
    from workflow import pgroles

    return {"roles": pgroles.ensure_roles(engine)}


def safe_url(engine: Any) -> str:
    """The database's URL without its password."""
    return str(engine.url.render_as_string(hide_password=True))


db_app = group("Schema migrations (Alembic).")


@db_app.command("upgrade")
def db_upgrade(json: JsonFlag = False) -> None:
    """Upgrade the schema to the newest migration."""

    engine = STATE.engine(check=False)
    before, after = _upgrade(engine)
    if json:
        emit_json({"previous_revision": before, "revision": after})
    else:
        say(Message("schema_at_was", after=after, before=before) if before != after else
            Message("schema_at_already_current", after=after))


@db_app.command("current")
def db_current(json: JsonFlag = False) -> None:
    """Print the database's schema revision and this program's."""
    from workflow import db as dbm

    engine = STATE.engine(check=False)
    rev = dbm.current_revision(engine)
    doc = {"revision": rev, "head": dbm.SCHEMA_HEAD, "state": dbm.schema_state(rev)}
    if json:
        emit_json(doc)
    else:
        state = Message(f"db_state_{doc['state']}")
        sys.stdout.write(Message("db_current_line", revision=rev or Message("db_no_revision"), head=dbm.SCHEMA_HEAD,
                                 state=state).text(STATE.lang) + "\n")


@db_app.command("check")
def db_check(json: JsonFlag = False) -> None:
    """Exit 0 when the schema matches this program, else say which command fixes it (exit 2)."""
    from workflow import db as dbm

    engine = STATE.engine(check=False)
    dbm.check_schema(engine)
    if json:
        emit_json({"ok": True, "revision": dbm.SCHEMA_HEAD})
    else:
        say(Message("schema_is_current", schema_head=dbm.SCHEMA_HEAD))


# --- workflow ----------------------------------------------------------------------------------

wf_app = group("The workflow definition: show, diagram, validate.")


OfVersion = typer.Option(None, "--of", metavar="NAME:V",
                         help="A deployed version (NAME:V, or V of investment) instead of the default.")


def _definition(of: str | None) -> Any:
    """The default workflow, or the version ``of`` names (shipped or deployed; exit 4 if unknown)."""
    from workflow.definition import default_definition

    if of is None:
        return default_definition()
    from workflow.deployed import definition_of, parse_version

    STATE.engine(write=False)  # the versions deployed in the database in use
    return definition_of(*parse_version(of, "--of"))


@wf_app.command("show")
def workflow_show(of: str = OfVersion, json: JsonFlag = False) -> None:
    """Show the default workflow: stages, transitions and their guards, and what each stage may record."""
    from cli import render
    from workflow.i18n import is_zh

    defn = _definition(of)
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
    render.print_rows(["stage", "may record"],
                      [(s.key, "\n".join(defn.recordable_in(s.key))) for s in defn.stages],
                      title="What may be recorded in which stage")


@wf_app.command("diagram")
def workflow_diagram(fmt: DiagramFormat = "mermaid", output: OutputFile = None, of: str = OfVersion) -> None:
    """Print the workflow as a Mermaid or Graphviz DOT diagram."""
    from cli.output import write_text
    from workflow.machine import diagram

    text = diagram(_definition(of), fmt, STATE.lang)
    write_text(text if text.endswith("\n") else text + "\n", output)


@wf_app.command("validate")
def workflow_validate(
    file: Path = typer.Argument(..., metavar="FILE", help="A workflow definition file (TOML)."),
    json: JsonFlag = False,
) -> None:
    """Validate a workflow definition file; every problem is listed (exit 2 if any)."""
    from workflow.definition import load_definition

    if not file.exists():
        raise BadInput("file_does_not_exist", file=file)
    defn = load_definition(file)
    doc = {"ok": True, "name": defn.name, "version": defn.version, "stages": len(defn.stages),
           "transitions": len(defn.transitions)}
    if json:
        emit_json(doc)
    else:
        say(Message("valid_v_stages_transitions", file=file, name=defn.name, version=defn.version,
                    n_stages=len(defn.stages), n_transitions=len(defn.transitions)))


def register(app: typer.Typer) -> None:
    """Put ``init``, ``db`` and ``workflow`` on the root app."""
    app.command()(init)
    app.add_typer(db_app, name="db")
    app.add_typer(wf_app, name="workflow")


def _upgrade(engine: Any) -> tuple[str | None, str | None]:
    """Upgrade the schema to the newest migration (refusing a database ahead of this program);
    the revisions before and after."""
    from workflow import db as dbm

    before = dbm.current_revision(engine)
    if dbm.schema_state(before) == "ahead":
        dbm.check_schema(engine)
    dbm.upgrade(engine)
    return before, dbm.current_revision(engine)
