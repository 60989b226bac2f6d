"""Figures from history alone (``--from-history``, docs/audit.md): a throwaway database rebuilt by
replaying every project (``workflow.replay``), for the same report code to read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from workflow.codes import project_code
from workflow.db import make_engine
from workflow.replay import DERIVED_COLUMNS, Definitions, replay_project
from workflow.replay_check import EVENTS_SQL
from workflow.rows import COLUMNS
from workflow.snapshot import snapshot_connection, stream
from workflow.store import insert_many
from workflow.tables import app_user as AU
from workflow.tables import event as E
from workflow.tables import ledger as L
from workflow.tables import metadata
from workflow.tables import project as P

# --- figures from history alone ---------------------------------------------------------------------

# Tables that are not projections of history: copied as they are (the directory, users, rules,
# targets and settings the reports read besides the projects); the set-up ledger is copied too.
COPIED_TABLES = ("unit", "person", "app_user", "rule", "target", "setting")


class history_database:
    """A scratch SQLite database whose project row and side tables are rebuilt from the events of
    ``engine`` alone (and its directory, rules, targets and settings copied), for ``report
    --from-history``: the same report code then reads only what history says.  A context manager
    giving an engine; the file is removed afterwards."""

    def __init__(self, engine: Any, upto: int | None = None):
        self.source = engine
        self.upto = upto  # only the events with ids up to this one (history as it stood then); None: all
        self.dir: Any = None
        self.engine: Any = None

    def __enter__(self) -> Any:
        import tempfile
        from datetime import UTC

        self.dir = tempfile.TemporaryDirectory(prefix="pipeline-history-")
        self.engine = make_engine(f"sqlite:///{self.dir.name}/history.db")
        metadata.create_all(self.engine)
        now = datetime.now(UTC)
        with snapshot_connection(self.source) as src, self.engine.begin() as dst:
            for name in COPIED_TABLES:
                table = metadata.tables[name]
                rows = [dict(r) for r in src.execute(select(table)).mappings()]
                if rows:
                    dst.execute(insert(table), rows)
            # the set-up ledger, which dates targets and set-up rows (workflow.setup_rows): as it stood
            # when the last event copied was written
            led = select(L)
            if self.upto is not None:
                led = led.where(L.c.after_event <= self.upto)
            rows = [dict(r) for r in src.execute(led).mappings()]
            if rows:
                dst.execute(insert(L), rows)
            roles = {login: role for login, role in src.execute(select(AU.c.login, AU.c.role))}
            defs = Definitions()
            projects: list[tuple] = []
            derived: dict[str, list[dict]] = {t: [] for t in DERIVED_COLUMNS}
            current: list[tuple] = []
            pid: int | None = None
            codes = {r[0]: r[1] for r in src.execute(select(P.c.id, P.c.code))}

            def finish(pid: int, rows: list[tuple]) -> None:
                rep = replay_project(pid, codes.get(pid, project_code(pid)), iter(rows), roles, defs)
                if rep.row is None:
                    return
                rep.row.created_at = now
                rep.row.version = max(1, rep.row.head_seq)
                projects.append(tuple(getattr(rep.row, c) for c in COLUMNS))
                for table, by_seq in rep.rows.items():
                    derived[table].extend(by_seq.values())

            events_sql = EVENTS_SQL if self.upto is None else \
                EVENTS_SQL.replace(" ORDER BY ", f" WHERE id <= {int(self.upto)} ORDER BY ")
            for r in stream(src, events_sql):
                if r[1] != pid:
                    if pid is not None:
                        finish(pid, current)
                    pid, current = r[1], []
                current.append(r)
            if pid is not None:
                finish(pid, current)
            if projects:
                dst.execute(insert(P), [dict(zip(COLUMNS, p, strict=True)) for p in projects])
            for name, values in derived.items():
                if values:
                    insert_many(dst, metadata.tables[name], values)

            batch: list[dict] = []
            copied = select(E) if self.upto is None else select(E).where(E.c.id <= self.upto)
            for r in src.execute(copied).mappings():  # history itself, as it is
                batch.append(dict(r))
                if len(batch) >= 20_000:
                    insert_many(dst, E, batch)
                    batch = []
            insert_many(dst, E, batch)
            src.rollback()
        return self.engine

    def __exit__(self, *exc: Any) -> None:
        if self.engine is not None:
            self.engine.dispose()
        if self.dir is not None:
            self.dir.cleanup()
