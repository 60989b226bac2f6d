"""PostgreSQL holds every writer to the set-up ledger's path (docs/postgresql.md, "Threat model")

- ``ledger`` gets the guard ``event`` has (``pipeline_ledger_guard``, ENABLE ALWAYS): an entry's
  ``actor`` is the session's login, it extends the head (``seq`` = head + 1, ``prev_hash`` = the head's
  hash, 64 zeros for the first) and its ``recorded_at`` lies within ``TOLERANCE`` of the database's
  clock (not before the transaction began less the tolerance, not after now plus it).
- ``checkpoint`` is append-only (UPDATE, DELETE, TRUNCATE refused for everyone), a checkpoint's
  ``actor`` is the session's login and its ``at`` not in the future (beyond the tolerance; ``at`` is
  when verify began, which may be long before the row is written).
- The set-up tables (``SETUP_TABLES``: users, units, people, rules, targets, settings and the city's
  tables, every one the set-up ledger accounts for) change only in a transaction that has appended
  a set-up ledger entry in the session login's name: a deferred constraint trigger
  (``pipeline_setup_guard``, ENABLE ALWAYS) checks at commit that the ledger's head entry was written
  by this transaction (``xmin``) and by the session's login.  The demo's mark (setting ``demo``) is
  the one row outside it: it says how a demo database was built and decides nothing.
- Group roles become per database (``workflow.pgroles``): when the migrating role may create roles
  and owns the tables, the database's own groups are made, granted and given every login of
  ``app_user``, and the cluster-wide groups of earlier versions lose every privilege here.  Run by
  anyone else, ``pipeline init`` by the owner does it afterwards.

SQLite has no login to check: nothing changes there.

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-06 07:20:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOLERANCE = "5 minutes"  # the clocks of the program's host and the database server may differ by this
SETUP_TABLES = ("app_user", "unit", "person", "rule", "target", "setting", "city_key", "city_county",
                "city_event", "city_project", "city_figure")
DEMO_MARK = "demo"  # workflow/demo/plan.py DEMO_SETTING

PG_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pipeline_ledger_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {schema}, pg_temp AS $$
DECLARE
  head_seq integer;
  head_hash text;
BEGIN
  IF NEW.actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'set-up ledger entry in another''s name refused: the entry''s actor is %, the session''s login is %',
      NEW.actor, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT l.seq, l.hash INTO head_seq, head_hash FROM {schema}.ledger l ORDER BY l.seq DESC LIMIT 1;
  IF head_seq IS NULL THEN
    head_seq := 0;
    head_hash := repeat('0', 64);
  END IF;
  IF NEW.seq IS DISTINCT FROM head_seq + 1 OR NEW.prev_hash IS DISTINCT FROM head_hash THEN
    RAISE EXCEPTION 'a set-up ledger entry must extend the ledger: seq % after head %, prev_hash must be the head''s hash',
      NEW.seq, head_seq USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.recorded_at IS NULL OR NEW.recorded_at < now() - interval '{tolerance}'
     OR NEW.recorded_at > clock_timestamp() + interval '{tolerance}' THEN
    RAISE EXCEPTION 'a set-up ledger entry is recorded now: recorded_at % is not the database''s time %',
      NEW.recorded_at, clock_timestamp() USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION pipeline_checkpoint_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {schema}, pg_temp AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    RAISE EXCEPTION 'checkpoints are append-only: % of % refused', TG_OP, TG_TABLE_NAME
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'a checkpoint in another''s name refused: the checkpoint''s actor is %, the session''s login is %',
      NEW.actor, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.at IS NULL OR NEW.at > clock_timestamp() + interval '{tolerance}' THEN
    RAISE EXCEPTION 'a checkpoint cannot be dated in the future: at %, the database''s time %', NEW.at, clock_timestamp()
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE OR REPLACE FUNCTION pipeline_setup_guard() RETURNS trigger LANGUAGE plpgsql
SET search_path = {schema}, pg_temp AS $$
DECLARE
  head_actor text;
  head_xmin text;
BEGIN
  IF TG_TABLE_NAME = 'setting' THEN
    IF TG_OP = 'INSERT' THEN
      IF NEW.key = '{demo}' THEN RETURN NULL; END IF;
    ELSIF TG_OP = 'DELETE' THEN
      IF OLD.key = '{demo}' THEN RETURN NULL; END IF;
    ELSIF OLD.key = '{demo}' AND NEW.key = '{demo}' THEN
      RETURN NULL;
    END IF;
  END IF;
  SELECT l.actor, l.xmin::text INTO head_actor, head_xmin FROM {schema}.ledger l ORDER BY l.seq DESC LIMIT 1;
  IF head_xmin IS DISTINCT FROM (pg_current_xact_id()::text::bigint % 4294967296)::text
     OR head_actor IS DISTINCT FROM session_user::text THEN
    RAISE EXCEPTION 'set-up changes go through the set-up ledger: % of % without a ledger entry by % in the same transaction refused',
      TG_OP, TG_TABLE_NAME, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NULL;
END $$;
"""

CHECKPOINT_TRIGGERS = """
CREATE TRIGGER checkpoint_guard BEFORE INSERT OR UPDATE OR DELETE ON checkpoint
  FOR EACH ROW EXECUTE FUNCTION pipeline_checkpoint_guard();
CREATE TRIGGER checkpoint_no_truncate BEFORE TRUNCATE ON checkpoint
  FOR EACH STATEMENT EXECUTE FUNCTION pipeline_append_only();
ALTER TABLE checkpoint ENABLE ALWAYS TRIGGER checkpoint_guard;
ALTER TABLE checkpoint ENABLE ALWAYS TRIGGER checkpoint_no_truncate;
CREATE TRIGGER ledger_extends_chain BEFORE INSERT ON ledger
  FOR EACH ROW EXECUTE FUNCTION pipeline_ledger_guard();
ALTER TABLE ledger ENABLE ALWAYS TRIGGER ledger_extends_chain
"""

SETUP_TRIGGER = """
CREATE CONSTRAINT TRIGGER {t}_through_ledger AFTER INSERT OR UPDATE OR DELETE ON {t}
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pipeline_setup_guard();
ALTER TABLE {t} ENABLE ALWAYS TRIGGER {t}_through_ledger
"""


def _statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";\n") if s.strip()]


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = bind.exec_driver_sql("SELECT quote_ident(current_schema())").scalar()
    for stmt in PG_FUNCTIONS.format(schema=schema, tolerance=TOLERANCE, demo=DEMO_MARK).split("END $$;"):
        if stmt.strip():
            op.execute(stmt.strip() + "\nEND $$;")
    for stmt in _statements(CHECKPOINT_TRIGGERS):
        op.execute(stmt)
    for t in SETUP_TABLES:
        for stmt in _statements(SETUP_TRIGGER.format(t=t)):
            op.execute(stmt)
    from workflow import pgroles

    pgroles.upgrade_groups(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for t in SETUP_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {t}_through_ledger ON {t}")
    op.execute("DROP TRIGGER IF EXISTS ledger_extends_chain ON ledger")
    op.execute("DROP TRIGGER IF EXISTS checkpoint_guard ON checkpoint")
    op.execute("DROP TRIGGER IF EXISTS checkpoint_no_truncate ON checkpoint")
    op.execute("DROP FUNCTION IF EXISTS pipeline_setup_guard()")
    op.execute("DROP FUNCTION IF EXISTS pipeline_checkpoint_guard()")
    op.execute("DROP FUNCTION IF EXISTS pipeline_ledger_guard()")
