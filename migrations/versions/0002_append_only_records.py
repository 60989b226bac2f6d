"""append-only records

Revision ID: 0002
Revises: 0001
The side tables that only ever get rows added (capital, investment, documents, checks, follow-ups,
assignment history) refuse UPDATE and DELETE in the database, for everyone (and TRUNCATE on
PostgreSQL; the triggers are ENABLE ALWAYS, as the event table's are in 0001).

An assignment is ended by the reassignment that replaces it: the write path sets ``ended_on`` and
``ended_seq`` once.  That single change is the only UPDATE allowed: from NULL to values, every other
column unchanged; ending an ended assignment, re-opening one or changing anything else is refused.
(``audit verify`` also checks the end against the reassignment event that made it.)

PostgreSQL also refuses, for every login, an event whose ``actor`` is not the session's login
(``session_user``: the actor the program records there) and one that does not extend its project's
chain (``seq`` = the head's + 1, ``prev_hash`` = the head's hash; 64 zeros for the first event): no
login can write history in another's name or splice events into a chain.  The trigger function runs
with a fixed search_path (this schema, then pg_temp), so a look-alike table in a session's temporary
schema cannot stand in for ``event``.

Create Date: 2026-11-30 02:45:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_TABLES = ("capital_arrival", "investment_completed", "document", "screening_check", "followup")
ASSIGNMENT_KEEP = ("id", "project_id", "role", "person_login", "rule_id", "rule_version", "assigned_on", "event_seq")

SQLITE_TRIGGERS = """
CREATE TRIGGER {t}_no_update BEFORE UPDATE ON {t}
BEGIN SELECT RAISE(ABORT, 'records are append-only: UPDATE of {t} refused'); END;
CREATE TRIGGER {t}_no_delete BEFORE DELETE ON {t}
BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE of {t} refused'); END;
"""

SQLITE_ASSIGNMENT = """
CREATE TRIGGER assignment_no_update BEFORE UPDATE ON assignment
WHEN OLD.ended_on IS NOT NULL OR OLD.ended_seq IS NOT NULL OR NEW.ended_on IS NULL OR NEW.ended_seq IS NULL
  OR {changed}
BEGIN SELECT RAISE(ABORT, 'assignments are append-only: only ending an open assignment once is allowed'); END;
CREATE TRIGGER assignment_no_delete BEFORE DELETE ON assignment
BEGIN SELECT RAISE(ABORT, 'records are append-only: DELETE of assignment refused'); END;
"""

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pipeline_append_only_record() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'records are append-only: % of % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE FUNCTION pipeline_assignment_end_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.ended_on IS NULL AND OLD.ended_seq IS NULL
     AND NEW.ended_on IS NOT NULL AND NEW.ended_seq IS NOT NULL AND NOT ({changed}) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'assignments are append-only: only ending an open assignment once is allowed (% refused)', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

PG_EVENT_GUARD = """
CREATE OR REPLACE FUNCTION pipeline_event_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {schema}, pg_temp AS $$
DECLARE
  head_seq integer;
  head_hash text;
BEGIN
  IF NEW.actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'history in another''s name refused: the event''s actor is %, the session''s login is %',
      NEW.actor, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT e.seq, e.hash INTO head_seq, head_hash FROM {schema}.event e
    WHERE e.project_id = NEW.project_id ORDER BY e.seq DESC LIMIT 1;
  IF head_seq IS NULL THEN
    head_seq := 0;
    head_hash := repeat('0', 64);
  END IF;
  IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
    RAISE EXCEPTION 'an event must extend its project''s chain: seq % after head %, prev_hash must be the head''s hash',
      NEW.seq, head_seq USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$
"""

PG_TRIGGERS = """
CREATE TRIGGER {t}_no_update_delete BEFORE UPDATE OR DELETE ON {t}
  FOR EACH ROW EXECUTE FUNCTION {f}();
CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
  FOR EACH STATEMENT EXECUTE FUNCTION pipeline_append_only_record();
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_update_delete;
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_no_truncate;
"""


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in ASSIGNMENT_KEEP)
        for t in RECORD_TABLES:
            for stmt in _statements(SQLITE_TRIGGERS.format(t=t)):
                op.execute(stmt)
        for stmt in _statements(SQLITE_ASSIGNMENT.format(changed=changed)):
            op.execute(stmt)
    elif dialect == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in ASSIGNMENT_KEEP)
        for stmt in PG_FUNCTIONS.format(changed=changed).split("END $$;"):
            if stmt.strip():
                op.execute(stmt.strip() + "\nEND $$;")
        for t in RECORD_TABLES:
            for stmt in _statements(PG_TRIGGERS.format(t=t, f="pipeline_append_only_record")):
                op.execute(stmt)
        for stmt in _statements(PG_TRIGGERS.format(t="assignment", f="pipeline_assignment_end_once")):
            op.execute(stmt)
        schema = op.get_bind().exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
        op.execute(PG_EVENT_GUARD.format(schema=schema))
        op.execute("CREATE TRIGGER event_extends_chain BEFORE INSERT ON event "
                   "FOR EACH ROW EXECUTE FUNCTION pipeline_event_guard()")
        op.execute("ALTER TABLE event ENABLE ALWAYS TRIGGER event_extends_chain")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    tables = (*RECORD_TABLES, "assignment")
    if dialect == "sqlite":
        for t in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_delete")
    elif dialect == "postgresql":
        for t in tables:
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_update_delete ON {t}")
            op.execute(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}")
        op.execute("DROP TRIGGER IF EXISTS event_extends_chain ON event")
        op.execute("DROP FUNCTION IF EXISTS pipeline_event_guard()")
        op.execute("DROP FUNCTION IF EXISTS pipeline_assignment_end_once()")
        op.execute("DROP FUNCTION IF EXISTS pipeline_append_only_record()")
