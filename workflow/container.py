"""The container before the contents: what ``audit verify`` checks of the database itself before it
reads a row (docs/audit.md, "What verify trusts").

- **SQLite**: ``PRAGMA integrity_check`` (every page, every index against its table), and every table
  of the schema (``workflow.tables``) a plain table.  A damaged file or an index that disagrees with
  its table could show the reports other rows than verify reads.
- **PostgreSQL**: the schema is exactly what the migrations made: every table of ``workflow.tables``
  a plain table of the current schema, all with one owner that is no pipeline login or group, its
  columns those of the table's definition, its indexes and triggers those the migrations create (the
  triggers enabled as created), no row-level security and no policy, no rule, no grant beyond those
  ``pipeline init`` gives (``workflow.pgroles``), and no table or view of the same name in another
  schema.  A policy, rule, trigger or view could show the reports (or verify) rows the other does
  not read.

Each check is one query per database, not per row.  Every difference is a failure naming the table
(and the index, trigger, policy, rule or grant); verify then exits 7 without reading the contents.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.engine import Connection

from workflow import pgroles
from workflow.catalogue import Message
from workflow.tables import metadata

# The triggers the migrations create on PostgreSQL, by table: name -> how it is enabled
# (pg_trigger.tgenabled: "A" always, "O" origin and local, "R" replica, "D" disabled).  The one list:
# a test checks that a freshly migrated database has exactly these (tests/test_verify_container.py).
_APPEND_ONLY = ("event", "ledger", "document", "screening_check", "capital_arrival", "investment_completed",
                "followup", "assignment")
PG_TRIGGERS: dict[str, dict[str, str]] = {
    t: {f"{t}_no_update_delete": "A", f"{t}_no_truncate": "A"} for t in _APPEND_ONLY
}
PG_TRIGGERS["event"]["event_extends_chain"] = "A"
PG_TRIGGERS["ledger"]["ledger_extends_chain"] = "A"  # actor, chain and time of a set-up entry
PG_TRIGGERS["checkpoint"] = {"checkpoint_guard": "A", "checkpoint_no_truncate": "A"}
# The tables derived from the set-up ledger: written only in a transaction that appended the ledger's
# head entry in the session login's name (docs/postgresql.md, "The set-up path").
SETUP_TABLES = ("app_user", "unit", "person", "rule", "target", "setting", "city_key", "city_county",
                "city_event", "city_project", "city_figure", "city_replica")
for _t in SETUP_TABLES:
    PG_TRIGGERS.setdefault(_t, {})[f"{_t}_through_ledger"] = "A"

MIGRATION_TABLES = ("alembic_version",)

_SQLITE_OBJECT = re.compile(r"\b(?:index|table)\s+([A-Za-z_][A-Za-z0-9_]*)")  # the object a line names


def check(conn: Connection, add: Any) -> int:
    """Check the container on ``conn``; each problem goes to ``add(code, seq, problem, table, field,
    expected, found)`` (``workflow.chains.Failures.add``).  Returns the number of problems."""
    if conn.dialect.name == "sqlite":
        return _sqlite(conn, add)
    if conn.dialect.name == "postgresql":
        return _postgres(conn, add)
    return 0


# --- SQLite ---------------------------------------------------------------------------------------


def _sqlite(conn: Connection, add: Any) -> int:
    n = 0
    try:
        lines = [str(r[0]) for r in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()]
    except Exception as exc:  # the file is too damaged for the check itself
        lines = [str(getattr(exc, "orig", exc))]
    if lines != ["ok"]:
        for line in lines:
            m = _SQLITE_OBJECT.search(line)
            name = m.group(1) if m else None
            add("database", None, Message("container_sqlite_integrity", text=line), name, "integrity", "ok", line)
            n += 1
        return n
    found: dict[str, str] = {str(name): str(kind) for name, kind in conn.exec_driver_sql(
        "SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')")}
    for name in metadata.tables:
        kind = found.get(name)
        if kind != "table":
            add("database", None, Message("container_not_a_table", table=name, kind=kind or "missing"), name,
                "kind", "table", kind)
            n += 1
    return n


# --- PostgreSQL -----------------------------------------------------------------------------------

_RELATIONS = """
SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), c.relrowsecurity, c.relforcerowsecurity
FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s)
"""
_SHADOWS = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relname = ANY(%(names)s) AND c.relkind IN ('r', 'v', 'm', 'f', 'p')
  AND n.oid <> current_schema()::regnamespace
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_temp%%'
  AND n.nspname NOT LIKE 'pg_toast%%'
"""
_COLUMNS = """
SELECT c.relname, a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s)
  AND a.attnum > 0 AND NOT a.attisdropped
"""
_INDEXES = """
SELECT t.relname, i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY(%(names)s)
"""
_TRIGGERS = """
SELECT c.relname, g.tgname, g.tgenabled FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s) AND NOT g.tgisinternal
"""
_POLICIES = """
SELECT c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s)
"""
_RULES = """
SELECT c.relname, r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s) AND c.relkind <> 'v'
"""
_GRANTS = """
SELECT c.relname, coalesce(pg_get_userbyid(a.grantee), 'PUBLIC'), a.privilege_type
FROM pg_class c, aclexplode(c.relacl) a
WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%(names)s)
  AND a.grantee <> c.relowner
"""
_PIPELINE_ROLES = """
SELECT r.rolname FROM pg_roles r
WHERE r.rolname = ANY(%(groups)s) OR r.rolname IN (SELECT login FROM app_user)
   OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
              WHERE m.member = r.oid AND g.rolname = ANY(%(groups)s))
"""


def expected_indexes() -> dict[str, set[str]]:
    """table -> the names of its indexes (primary key, unique constraints, indexes) as
    ``workflow.tables`` names them."""
    out: dict[str, set[str]] = {}
    for name, table in metadata.tables.items():
        names = {f"pk_{name}"}
        names |= {str(ix.name) for ix in table.indexes}
        names |= {str(c.name) for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"}
        out[name] = names
    return out


def expected_grants(groups: dict[str, str]) -> dict[str, dict[str, set[str]]]:
    """table -> grantee -> the privileges ``pipeline init`` grants to the database's ``groups`` (role ->
    group, ``workflow.pgroles.groups``); the owner's own are not listed."""
    tables = [*metadata.tables, *MIGRATION_TABLES]
    app = [t for t in tables if t not in pgroles.HISTORY_TABLES and t not in pgroles.MIGRATION_TABLES]
    out: dict[str, dict[str, set[str]]] = {t: {g: {"SELECT"} for g in groups.values()} for t in tables}
    for role, privileges in pgroles.GRANTS.items():
        group = groups[role]
        for privilege, names in privileges.items():
            for n in names:
                for t in (app if n == "*" else [n]):
                    if t in out:
                        out[t][group].add(privilege)
    return out


def _postgres(conn: Connection, add: Any) -> int:
    problems: list[tuple[str | None, Message, str, Any, Any]] = []

    def bad(table: str | None, message: Message, field: str, expected: Any = None, found: Any = None) -> None:
        problems.append((table, message, field, expected, found))

    names = [*metadata.tables, *MIGRATION_TABLES]
    args = {"names": names}
    run = conn.exec_driver_sql
    relations = {r[0]: r[1:] for r in run(_RELATIONS, args)}
    for name in names:
        if name not in relations:
            bad(name, Message("container_not_a_table", table=name, kind="missing"), "kind", "table", None)
    owners = {rel[1] for rel in relations.values()}
    groups = pgroles.groups(conn)
    pipeline_roles = {r[0] for r in run(_PIPELINE_ROLES, {"groups": list(groups.values())})}
    for name, (kind, owner, rls, force_rls) in sorted(relations.items()):
        if kind != "r":
            bad(name, Message("container_not_a_table", table=name, kind=_KINDS.get(kind, kind)), "kind", "table",
                _KINDS.get(kind, kind))
        if rls or force_rls:
            bad(name, Message("container_row_security", table=name), "row_security", False, True)
        if len(owners) > 1 or owner in pipeline_roles:
            bad(name, Message("container_owner", table=name, owner=owner), "owner",
                "one owner of every table, no pipeline login or group", owner)
    for schema, name in run(_SHADOWS, args):
        bad(name, Message("container_shadow", table=name, schema=schema), "schema", None, f"{schema}.{name}")
    _differs(bad, "column", _pairs(run(_COLUMNS, args)),
             {t: {c.name for c in metadata.tables[t].columns} for t in metadata.tables}, relations)
    _differs(bad, "index", _pairs(run(_INDEXES, args)), expected_indexes(), relations)
    found_triggers: dict[str, dict[str, str]] = {}
    for table, trigger, enabled in run(_TRIGGERS, args):
        found_triggers.setdefault(table, {})[trigger] = str(enabled)
    for table in names:
        want, got = PG_TRIGGERS.get(table, {}), found_triggers.get(table, {})
        for trigger in sorted(set(want) | set(got)):
            if want.get(trigger) != got.get(trigger):
                bad(table, Message("container_trigger", table=table, trigger=trigger,
                                   expected=_ENABLED.get(want.get(trigger)), found=_ENABLED.get(got.get(trigger))),
                    "trigger", want.get(trigger) and f"{trigger} {_ENABLED[want[trigger]]}",
                    got.get(trigger) and f"{trigger} {_ENABLED.get(got[trigger], got[trigger])}")
    for table, policy in run(_POLICIES, args):
        bad(table, Message("container_policy", table=table, policy=policy), "policy", None, policy)
    for table, rule in run(_RULES, args):
        bad(table, Message("container_rule", table=table, rule=rule), "rule", None, rule)
    allowed = expected_grants(groups)
    for table, grantee, privilege in run(_GRANTS, args):
        if privilege not in allowed.get(table, {}).get(grantee, ()):
            bad(table, Message("container_grant", table=table, privilege=privilege, grantee=grantee), "grant",
                None, f"{privilege} to {grantee}")
    for table, message, field, expected, found in problems:
        add("database", None, message, table, field, expected, found)
    return len(problems)


_KINDS = {"r": "table", "v": "view", "m": "materialized view", "f": "foreign table", "p": "partitioned table"}
_ENABLED = {"A": "enabled always", "O": "enabled", "R": "enabled on replica only", "D": "disabled", None: "absent"}


def _pairs(rows: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for table, name in rows:
        out.setdefault(table, set()).add(name)
    return out


def _differs(bad: Any, what: str, found: dict[str, set[str]], expected: dict[str, set[str]],
             relations: dict[str, Any]) -> None:
    for table, want in expected.items():
        if table not in relations:
            continue  # reported as missing
        got = found.get(table, set())
        for name in sorted(want - got):
            message = (Message("container_missing_column", table=table, name=name) if what == "column" else
                       Message("container_missing_index", table=table, name=name))
            bad(table, message, what, name, None)
        for name in sorted(got - want):
            message = (Message("container_extra_column", table=table, name=name) if what == "column" else
                       Message("container_extra_index", table=table, name=name))
            bad(table, message, what, None, name)
