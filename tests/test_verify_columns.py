"""Every column of the project row is checked by ``audit verify`` (docs/audit.md): the test walks the
table's columns, so a column added later cannot be missed; each is tampered with by plain SQL (the
append-only triggers out of the way) and verify must exit 7 naming it — on both engines."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Boolean, Date, Integer, String

from tests.test_verify_replay import county, failures, tamper  # noqa: F401  (the fixture)
from workflow.tables import UTCDateTime
from workflow.tables import project as P

# What each column becomes; a column of a type not listed here fails the test until one is added.
_NEW_VALUE = {
    "code": "'P-0009'",
    "stage": "'construction'",
    "held_from": "'approval'",
    "workflow_name": "'other_workflow'",
    "planned_currency": "'USD'",
    "unit_code": "'FGW'",  # another unit that exists (a foreign key)
    "key_override": "false",
    "head_hash": "'" + "ab" * 32 + "'",
}


def _set(column) -> str:
    name = column.name
    if name in _NEW_VALUE:
        value = _NEW_VALUE[name]
    elif isinstance(column.type, Boolean):
        value = f"NOT {name}" if name != "key" else "false"
    elif isinstance(column.type, BigInteger | Integer):
        value = f"{name} + 7"
    elif isinstance(column.type, UTCDateTime):
        value = "'2001-02-03 04:05:06.000000'"
    elif isinstance(column.type, Date):
        value = "'2001-02-03'"
    elif isinstance(column.type, String):
        value = f"coalesce({name}, '') || 'x'"
    else:  # pragma: no cover - a new column type: say how to change it
        raise AssertionError(f"project.{name}: add a tampered value for {column.type!r} to _NEW_VALUE")
    return f'"{name}" = {value}'


COLUMNS = [c.name for c in P.columns]


def test_the_walk_sees_every_column():
    assert {"planned_currency", "created_at", "key_override", "version", "code", "id"} <= set(COLUMNS)


@pytest.mark.parametrize("name", COLUMNS)
def test_every_project_column_is_compared(county, name):  # noqa: F811
    if name == "id":  # the whole project moved to another id, every row that names it too
        from workflow.tables import metadata

        pre = ["PRAGMA defer_foreign_keys = ON"] if county.engine_kind == "sqlite" else \
            ["SET LOCAL session_replication_role = replica"]
        stmts = [*pre, "UPDATE project SET id = id + 7"] + [
            f"UPDATE {t.name} SET project_id = project_id + 7" for t in metadata.sorted_tables
            if "project_id" in t.c and t.name != "project"]
        tamper(county, *stmts)
        name = "code"  # the code no longer is the id's
    else:
        tamper(county, f"UPDATE project SET {_set(P.c[name])}")
    found = failures(county)
    hits = [f for f in found if f["table"] == "project" and f["field"] == name] or \
        [f for f in found if f["field"] == name]
    assert hits or name in ("code", "head_hash"), f"nothing names project.{name}: {found}"
    if name in ("code", "head_hash") and not hits:  # every hash of the chain is then wrong
        assert any(f["table"] == "event" or f["field"] in ("head_hash", "hash") for f in found), found
