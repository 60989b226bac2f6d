"""The engine's API for one acting user on one database: a thin facade.

Each method checks the actor's role, runs one command (``workflow.commands``) through the
transaction kernel (``workflow.store``), or answers a read (``workflow.views``).  The command line,
the shell and Python callers use this; import, the demo and ``rules apply`` run the same commands
in batches (``workflow.bulk``).  Nothing here validates values or writes rows itself.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Connection, Engine

from workflow import access, deployed, directory, find, settings, supervision, views
from workflow.access import roles_for
from workflow.errors import BadInput
from workflow.lights import Thresholds
from workflow.values import effective

if TYPE_CHECKING:
    from workflow import bulk, commands, store
    from workflow.codes import project_code
    from workflow.commands.projects import KEY_THRESHOLD_MINOR, is_key
    from workflow.rows import ProjectRow
    from workflow.store import Txn, WriteResult, project_codes
else:
    class _OnFirstUse:
        """A module imported when first used: the write path (commands, the kernel, batches) is
        not loaded by a command that only reads (``project show`` starts faster without it)."""

        __slots__ = ("_name",)

        def __init__(self, name: str):
            self._name = name

        def __getattr__(self, attr: str) -> Any:
            return getattr(importlib.import_module(self._name), attr)

    bulk, commands, store = (_OnFirstUse(f"workflow.{m}") for m in ("bulk", "commands", "store"))

_REEXPORTED = {"KEY_THRESHOLD_MINOR": "workflow.commands.projects", "is_key": "workflow.commands.projects",
               "ProjectRow": "workflow.rows", "WriteResult": "workflow.store", "project_code": "workflow.codes",
               "project_codes": "workflow.store"}


def __getattr__(name: str) -> Any:
    """The names re-exported from the write path, imported on first use."""
    if name in _REEXPORTED:
        return getattr(importlib.import_module(_REEXPORTED[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["KEY_THRESHOLD_MINOR", "ProjectRow", "Service", "WriteResult", "is_key", "project_code",
           "project_codes"]


def _problem_kind(action: str) -> str:
    """The event kind a problem action records (an unknown action is refused by the command itself)."""
    from workflow.events import PROBLEM_ACTIONS

    return f"problem_{action}" if action in PROBLEM_ACTIONS else "problem"


class Service:
    """The engine's API for one acting user (``actor``) on one database (``engine``)."""

    def __init__(self, engine: Engine, actor: str):
        self.engine = engine
        self.actor = actor
        self.light_overrides: dict[str, int] | None = None  # ``--threshold NAME=DAYS`` for this run
        self._roles: dict[str, str | None] = {}
        deployed.attach(engine)  # get_definition finds the versions deployed here (read when first asked)

    # --- identity and roles -----------------------------------------------------------------

    def role_of(self, conn: Connection, login: str | None = None) -> str | None:
        return access.role_of(conn, login or self.actor, self._roles)

    def require(self, conn: Connection, roles: Iterable[str], what: str, *, disabled: bool | None = None) -> str:
        return access.require(conn, self.actor, roles, what, self._roles, disabled=disabled)

    def add_user(self, login: str, role: str, person: str | None = None, *, reason: str | None = None) -> dict:
        self._roles.pop(login, None)
        return access.add_user(self.engine, self.actor, login, role, person, reason)

    def check_person(self, person: str) -> str:
        """The person's login (NotFound otherwise)."""
        return access.check_person(self.engine, person)

    def link_person(self, login: str, person: str | None, *, reason: str | None = None) -> dict:
        """Link a login to the person it follows up as (None: unlink); admin, in the ledger."""
        return self.edit_user(login, person=person, unlink=person is None, reason=reason)

    def bootstrap_admin(self, login: str) -> bool:
        self._roles.pop(login, None)
        return access.bootstrap_admin(self.engine, self.actor, login)

    def edit_user(self, login: str, role: str | None = None, *, person: str | None = None, unlink: bool = False,
                  reason: str | None = None) -> dict:
        """Change a login's role and/or linked person (admin; one ledger entry, ``access.edit_user``).
        On PostgreSQL its database group follows the role."""
        self._roles.pop(login, None)
        doc = access.edit_user(self.engine, self.actor, login, role, reason, person=person, unlink=unlink)
        if role is not None:
            self._sync_pg(doc)
        return doc

    def disable_user(self, login: str, *, reason: str | None = None) -> dict:
        """A disabled login may read, not write (exit 6); on PostgreSQL it keeps only read grants."""
        doc = access.set_disabled(self.engine, self.actor, login, True, reason)
        self._sync_pg(doc)
        return doc

    def enable_user(self, login: str, *, reason: str | None = None) -> dict:
        doc = access.set_disabled(self.engine, self.actor, login, False, reason)
        self._sync_pg(doc)
        return doc

    def _sync_pg(self, doc: dict) -> None:
        if self.engine.dialect.name == "postgresql":
            from workflow import pgroles

            doc["granted"] = pgroles.sync_login(self.engine, doc["login"], doc["role"], doc["disabled"])

    def list_users(self) -> list[dict]:
        return access.list_users(self.engine)

    # --- directory --------------------------------------------------------------------------

    def add_unit(self, code: str, name: str, kind: str = "township", *, reason: str | None = None) -> dict:
        return directory.add_unit(self.engine, self.actor, code, name, kind, reason)

    def edit_unit(self, code: str, *, name: str | None = None, kind: str | None = None,
                  reason: str | None = None) -> dict:
        return directory.edit_unit(self.engine, self.actor, code, name=name, kind=kind, reason=reason)

    def setup_ledger(self, *, kind_prefix: str | None = None, target: str | None = None) -> list[dict]:
        """The set-up ledger's entries (every set-up change, period closes), oldest first."""
        from workflow import ledger

        with self.engine.connect() as conn:
            return ledger.entries(conn, kind_prefix=kind_prefix, target=target)

    def add_person(self, login: str, name: str, level: str, unit: str | None = None,
                   title: str | None = None, cap: int | None = None, *, reason: str | None = None) -> dict:
        return directory.add_person(self.engine, self.actor, login, name, level, unit, title, cap, reason)

    def edit_person(self, login: str, **changes: Any) -> dict:
        return directory.edit_person(self.engine, self.actor, login, **changes)

    def list_units(self) -> list[dict]:
        return directory.list_units(self.engine)

    def list_people(self) -> list[dict]:
        return directory.list_people(self.engine)

    # --- writes -------------------------------------------------------------------------------

    def _run(self, code: str, command: Callable[..., Any], *, records: str, what: str = "change projects",
             expect_version: int | None = None, **args: Any) -> WriteResult:
        """``command`` on ``code`` by an actor whose role may record ``records`` (an event kind, by
        ``access.PERMISSIONS``)."""
        roles = roles_for(records)

        def check(txn: Txn) -> None:
            role = self.require(txn.conn, roles, what, disabled=txn.gate()[0])
            if command is commands.add_followup:
                args["role"] = role

        return store.run(self.engine, self.actor, code, lambda txn, proj: command(txn, proj, **args),
                         check=check, expect_version=expect_version)

    def add_project(self, *, name: str, investor: str | None, industry: str | None, investment_minor: int,
                    unit: str | None, origin: str | None = None, category: str | None = None,
                    key: bool | None = None, plan: Mapping[str, Any] | None = None,
                    on: date | None = None, allow_duplicate: bool = False,
                    investment_currency: str = "CNY") -> WriteResult:
        """Register a project; a planned investment in another currency than CNY
        (``investment_currency``) is valued in CNY at the rate of the registration year."""
        fields = commands.ProjectFields.parse(name=name, investor=investor, industry=industry,
                                     investment_minor=investment_minor, unit=unit, origin=origin,
                                     category=category, key=key, plan=plan, investment_currency=investment_currency)
        day = effective(on)
        with self.engine.begin() as conn:
            self.require(conn, roles_for("registered"), "add projects")
            txn = store.Txn(conn, self.actor)
            proj = commands.register(txn, fields, day, allow_duplicate=allow_duplicate)
            events = txn.queued_events()
            txn.flush()
            return store.WriteResult(proj, events)

    def edit_project(self, code: str, changes: Mapping[str, Any], *, on: date | None = None,
                     expect_version: int | None = None, reason: str | None = None) -> WriteResult:
        return self._run(code, commands.edit, records="edited", what="edit projects",
                         expect_version=expect_version,
                         changes=dict(changes), on=effective(on), reason=reason)

    def record_check(self, code: str, item: str, outcome: str, *, note: str | None = None,
                     on: date | None = None, expect_version: int | None = None) -> WriteResult:
        return self._run(code, commands.record_check, records="check", what="record screening checks",
                         expect_version=expect_version,
                         item=item, result=outcome, note=note, on=effective(on))

    def add_document(self, code: str, kind: str, number: str, *, on: date | None = None,
                     expect_version: int | None = None, file: Any = None) -> WriteResult:
        """Record a document; ``file`` (a path) attaches a scan, stored by its hash (docs/audit.md)."""
        from workflow import attachments

        attachment = None if file is None else attachments.read(file)
        return self._run(code, commands.add_document, records="document", what="record documents",
                         expect_version=expect_version,
                         kind=kind, number=number, on=effective(on), attachment=attachment)

    def export_document(self, code: str, kind: str, output: Any, *, number: str | None = None) -> dict:
        """Write the file attached to a document of ``code`` to ``output`` (a new file)."""
        from workflow import attachments

        return attachments.export(self.engine, code, kind, number, output)

    def add_capital(self, code: str, amount_minor: int, currency: str, *, on: date | None = None,
                    source: str | None = None, expect_version: int | None = None,
                    allow_duplicate: bool = False, confirm: bool = False) -> WriteResult:
        """Record a capital arrival; the first one on a signed project fires ``fund`` with it.  An
        implausible amount is refused (exit 3) unless ``confirm``."""
        return self._run(code, commands.add_capital, records="capital", what="record capital",
                         expect_version=expect_version,
                         amount_minor=amount_minor, currency=currency, source=source, on=effective(on),
                         allow_duplicate=allow_duplicate, confirm=confirm)

    def add_commitment(self, code: str, kind: str, per_year: Any, from_year: Any, to_year: Any = None, *,
                       on: date | None = None, expect_version: int | None = None) -> WriteResult:
        """A contract commitment (履约承诺) of ``code``: ``per_year`` of ``kind`` from ``from_year``."""
        return self._run(code, commands.add_commitment, records="commitment", what="record commitments",
                         expect_version=expect_version, kind=kind, per_year=per_year, from_year=from_year,
                         to_year=to_year, on=effective(on))

    def add_performance(self, code: str, year: Any, kind: str, value: Any, *, on: date | None = None,
                        expect_version: int | None = None) -> WriteResult:
        """A yearly actual (履约实绩) of ``code``."""
        return self._run(code, commands.add_performance, records="performance", what="record actuals",
                         expect_version=expect_version, year=year, kind=kind, value=value, on=effective(on))

    def performance_settings(self, as_of: date | None = None) -> dict[str, int]:
        with self.engine.connect() as conn:
            return settings.performance_settings(conn, as_of)

    def set_performance(self, values: Mapping[str, int], *, reason: str | None = None,
                        effective_on: date | None = None) -> dict[str, int]:
        return settings.set_performance(self.engine, self.actor, values, reason=reason, effective_on=effective_on)

    def performance_report(self, year: int, *, as_of: date | None = None, unit: str | None = None) -> dict:
        from workflow.reports.performance import report

        return report(self.engine, year, as_of=as_of, unit=find.resolve_unit(self.engine, unit))

    def set_tranche_plausible(self, pct: int, *, reason: str | None = None, effective_on: date | None = None) -> int:
        return settings.set_tranche_plausible(self.engine, self.actor, pct, reason=reason, effective_on=effective_on)

    def tranche_plausible(self, as_of: date | None = None) -> int:
        with self.engine.connect() as conn:
            return settings.tranche_plausible_pct(conn, as_of)

    def add_investment(self, code: str, amount_minor: int, currency: str = "CNY", *,
                       on: date | None = None, expect_version: int | None = None,
                       allow_duplicate: bool = False) -> WriteResult:
        return self._run(code, commands.add_investment, records="investment", what="record investment completed",
                         expect_version=expect_version, amount_minor=amount_minor, currency=currency,
                         on=effective(on), allow_duplicate=allow_duplicate)

    def add_followup(self, code: str, note: str, *, on: date | None = None, contact: str | None = None,
                     next_step: str | None = None, next_on: date | str | None = None,
                     expect_version: int | None = None) -> WriteResult:
        return self._run(code, commands.add_followup, records="followup", what="add follow-ups",
                         expect_version=expect_version, note=note, on=effective(on), contact=contact,
                         next_step=next_step, next_on=next_on)

    # --- problems and supervision (督办) -------------------------------------------------------------

    def add_problem(self, code: str, text: str, *, kind: str, owner: str, due: date | str,
                    person: str | None = None, source: str | None = None, on: date | None = None) -> dict:
        """Open a problem of project ``code``; returns ``{"id", "project", "event"}``."""
        res = self._run(code, commands.open_problem, records="problem", what="open problems", kind=kind, text=text,
                        owner_unit=owner,
                        owner_person=person, due=due, source=source, on=effective(on))
        event = res.events[-1]
        return {"id": event["payload"]["problem"], "project": res.project.code, "event": event}

    def act_on_problem(self, problem: int, action: str, text: str, *, on: date | None = None,
                       to: date | str | None = None) -> dict:
        """``update`` / ``extend`` (``to``) / ``close`` / ``reopen`` problem ``problem``."""
        from workflow.commands.problems import problem_project

        with self.engine.connect() as conn:
            code = problem_project(conn, problem)
        res = self._run(code, commands.act_on_problem, records=_problem_kind(action), what="change problems",
                        problem=problem, action=action,
                        text=text, on=effective(on), to=to)
        return {"id": problem, "project": code, "action": action, "event": res.events[-1]}

    def list_problems(self, **filters: Any) -> dict:
        return supervision.list_problems(self.engine, **filters)

    def get_problem(self, problem: int, as_of: date | None = None) -> dict:
        return supervision.get_problem(self.engine, problem, as_of)

    def ladder(self, as_of: date | None = None) -> dict:
        """The ladder in force on ``as_of`` (default: today)."""
        from dataclasses import asdict

        with self.engine.connect() as conn:
            stored = settings.ladder_settings(conn, as_of)
            lad = settings.Ladder.from_mapping(stored)
            top = settings.top_leader(conn, as_of)
        return {"ladder": asdict(lad), "stored": stored, "defaults": asdict(settings.Ladder()), "top_leader": top}

    def set_ladder(self, values: Mapping[str, Any], *, reason: str | None = None,
                   effective_on: date | None = None) -> dict[str, Any]:
        return settings.set_ladder(self.engine, self.actor, values, reason=reason, effective_on=effective_on)

    def issue_letters(self, *, as_of: date | None = None, min_level: int | None = None,
                      write: Callable[[list[dict]], list[str]] | None = None) -> list[dict]:
        """Issue the supervision letters due on ``as_of`` (see ``commands.issue_letters``) in one
        transaction; ``write(letters)`` (files) runs before it commits, so a failed write issues none."""
        supervision.require_level(min_level)
        day = effective(as_of, "--as-of")

        def run(txn: Txn) -> list[dict]:
            letters = commands.issue_letters(txn, day, settings.ladder(txn.conn, day), min_level)
            txn.flush()
            files = write(letters) if write is not None and letters else [None] * len(letters)
            for letter, path in zip(letters, files, strict=True):
                letter["file"] = path
            return letters

        return bulk.run_batch(self.engine, self.actor, run, roles=roles_for("letter"),
                              what="issue supervision letters", cache=self._roles)

    def list_followups(self, *, project: str | None = None, due: bool = False, as_of: date | None = None) -> dict:
        return supervision.list_followups(self.engine, project=project, due=due, as_of=as_of)

    def todo(self, login: str | None = None, as_of: date | None = None, lang: str = "en") -> dict:
        from workflow import todo

        return todo.todo(self.engine, login or self.actor, as_of, lang=lang)

    def advance(self, code: str, target: str, *, on: date | None = None, reason: str | None = None,
                expect_version: int | None = None) -> WriteResult:
        return self._run(code, commands.advance, records="transition", what="advance projects",
                         expect_version=expect_version,
                         target=target, reason=reason, on=effective(on))

    def reassign(self, code: str, role: str, login: str, *, reason: str | None,
                 on: date | None = None, expect_version: int | None = None) -> WriteResult:
        """The only way to replace a lead leader or first responsible person (一抓到底)."""
        return self._run(code, commands.reassign, records="reassignment", what="reassign leaders",
                         expect_version=expect_version, role=role, login=login, reason=reason, on=effective(on))

    def correct(self, code: str, seq: int, reason: str | None, *, on: date | None = None) -> WriteResult:
        """An admin's correction of event ``seq`` of ``code`` (see ``commands.correct``)."""
        return self._run(code, commands.correct, records="correction", what="correct history", seq=seq, reason=reason,
                         on=effective(on))

    def undo(self, code: str, *, reason: str | None = None) -> dict:
        """Take back the actor's own latest entry on ``code`` (see ``commands.undo``): a coordinator,
        an admin, or a leader (their follow-ups).  ``{"code", "stage", "version", "undone": [seq],
        "events": [the corrections written]}``."""
        undone: list[int] = []

        def command(txn: Txn, proj: ProjectRow) -> None:
            undone.extend(commands.undo(txn, proj, reason=reason, on=txn.today))

        def check(txn: Txn) -> None:
            self.require(txn.conn, roles_for("undo"), "undo entries")

        res = store.run(self.engine, self.actor, code, command, check=check)
        events = views.history(self.engine, code)["events"]
        written = [e for e in events if e["seq"] > max(undone)]
        return {"code": code, "stage": res.project.stage, "version": res.project.version, "undone": undone,
                "events": written}

    def set_undo_window(self, days: int, *, reason: str | None = None) -> int:
        return settings.set_undo_window(self.engine, self.actor, days, reason=reason)

    def undo_window(self) -> int:
        with self.engine.connect() as conn:
            return settings.undo_window_days(conn)

    # --- workflow versions and 出库 ------------------------------------------------------------------

    def retire(self, code: str, *, reason: str | None, on: date | None = None,
               expect_version: int | None = None) -> WriteResult:
        """出库 (``commands.stages.retire``): an admin, or the leader who is the project's lead leader."""
        roles = roles_for("retired")
        role: list[str] = []

        def check(txn: Txn) -> None:
            role.append(self.require(txn.conn, roles, "retire projects", disabled=txn.gate()[0]))

        return store.run(self.engine, self.actor, code,
                         lambda txn, proj: commands.retire(txn, proj, on=effective(on), reason=reason, role=role[0]),
                         check=check, expect_version=expect_version)

    def stale(self, as_of: date | None = None, *, days: int | None = None, unit: str | None = None) -> dict:
        """`report stale`: the leads proposed for 出库 on ``as_of`` (default: today)."""
        from workflow import stale

        with self.engine.connect() as conn:
            return stale.stale(conn, as_of or effective(None), days=days, unit=unit)

    def stale_days(self) -> int:
        from workflow import stale

        with self.engine.connect() as conn:
            return stale.stale_days(conn)

    def set_stale_days(self, days: int, *, reason: str | None = None) -> int:
        from workflow import stale

        return stale.set_stale_days(self.engine, self.actor, days, reason=reason)

    def deploy_workflow(self, text: str, *, reason: str | None = None) -> dict:
        from workflow import versions

        return versions.deploy(self.engine, self.actor, text, reason=reason)

    def workflow_versions(self) -> list[dict]:
        with self.engine.connect() as conn:
            return deployed.versions(conn)

    def migrate_workflow(self, old: str, new: str, *, mapping: Iterable[str] | None = None,
                         codes: Iterable[str] | None = None, reason: str | None = None, dry_run: bool = False,
                         progress: Callable[[str, int, int], None] | None = None) -> dict:
        from workflow import versions

        return versions.migrate(self.engine, self.actor, old=deployed.parse_version(old, "--from"),
                                new=deployed.parse_version(new, "--to"), mapping=mapping, codes=codes,
                                reason=reason, dry_run=dry_run, progress=progress)

    def workflow_diff(self, old: str, new: str) -> dict:
        return deployed.diff(deployed.definition_of(*deployed.parse_version(old, "V1")),
                             deployed.definition_of(*deployed.parse_version(new, "V2")))

    # --- batches ------------------------------------------------------------------------------

    def import_projects(self, rows: Iterable[Mapping[str, Any]], *, on: date | None = None,
                        progress: Callable[[str, int, int], None] | None = None, dry_run: bool = False,
                        total: int | None = None, allow_duplicate: bool = False) -> dict:
        """Register every row as a new project, all or nothing (see ``bulk.import_projects``); a row
        naming a project not in a final stage (same name and investor, folded as `project add` folds
        them) or repeating an earlier row is refused unless ``allow_duplicate``."""
        return bulk.import_projects(self.engine, self.actor, rows, on=on, progress=progress, dry_run=dry_run,
                                    total=total, roles=self._roles, allow_duplicate=allow_duplicate)

    def bulk_apply(self, ops: Sequence[bulk.Op], *,
                   progress: Callable[[str, int, int], None] | None = None) -> dict:
        """Many commands on existing projects in one transaction (see ``bulk.apply``)."""
        return bulk.apply(self.engine, self.actor, ops, progress=progress, roles=self._roles)

    def apply_rules(self, *, dry_run: bool = False, on: date | None = None) -> dict:
        """``rules apply``: fill every missing assignment from the rules in force on ``on`` (default:
        today), never replacing or removing anyone; reports (without changing) assignments whose rule
        was disabled or whose person was deactivated.  A real run is admin-only and writes every change in ONE
        transaction (all or nothing); ``dry_run`` reads only."""
        from workflow import rules

        day = effective(on)
        if dry_run:
            with self.engine.connect() as conn:
                plan = rules.plan_all(conn, day)
            return rules.apply_doc(plan, dry_run=True)

        def run(txn: Txn) -> rules.Plan:
            plan = rules.plan_all(txn.conn, day)
            commands.apply_rules(txn, plan, day)
            return plan

        plan = bulk.run_batch(self.engine, self.actor, run, roles=roles_for("apply_rules"),
                              what="apply leader-assignment rules",
                              cache=self._roles)
        return rules.apply_doc(plan, dry_run=False)

    # --- reads ----------------------------------------------------------------------------------

    def light_thresholds(self, conn: Connection | None = None, as_of: date | None = None) -> Thresholds:
        """The thresholds in effect on ``as_of`` (default: today), with this run's overrides."""
        if conn is None:
            with self.engine.connect() as c:
                return settings.light_thresholds(c, self.light_overrides, as_of)
        return settings.light_thresholds(conn, self.light_overrides, as_of)

    def light_settings(self, as_of: date | None = None) -> dict[str, int]:
        with self.engine.connect() as conn:
            return settings.light_settings(conn, as_of)

    def setting_sources(self, as_of: date | None = None) -> dict[str, dict[str, Any]]:
        """Per stored setting in force on ``as_of``: its value, since when, by whom (the ledger entry)."""
        with self.engine.connect() as conn:
            return settings.sources(conn, as_of)

    parse_threshold_args = staticmethod(settings.parse_threshold_args)

    def set_light_thresholds(self, values: Mapping[str, int], *, reason: str | None = None,
                             effective_on: date | None = None) -> dict[str, int]:
        return settings.set_light_thresholds(self.engine, self.actor, values, reason=reason,
                                             effective_on=effective_on)

    def reset_light_thresholds(self, names: Iterable[str] | None = None, *, reason: str | None = None,
                               effective_on: date | None = None) -> dict[str, int]:
        return settings.reset_light_thresholds(self.engine, self.actor, names, reason=reason,
                                               effective_on=effective_on)

    def _thresholds(self, as_of: date | None = None) -> Thresholds | None:
        return None if not self.light_overrides else self.light_thresholds(as_of=as_of)

    def get_project(self, code: str, as_of: date | None = None, *, records: bool = False) -> dict:
        return views.get_project(self.engine, code, as_of, thresholds=self._thresholds(as_of), records=records)

    def key_without_lead_leader(self, first: str, last: str | None = None) -> list[str]:
        """Key projects registered from ``first`` to ``last`` that no rule gave a lead leader."""
        return views.key_without_lead_leader(self.engine, first, last)

    def list_tranches(self, kind: str, *, code: str | None = None, unit: str | None = None,
                      period: Any = None) -> dict:
        """The capital or investment tranches (``kind``) of a project, a unit, a period (docs/money.md)."""
        return views.tranches(self.engine, kind, code=code, unit=unit, period=period)

    def list_projects(self, *, stage: str | None = None, unit: str | None = None, leader: str | None = None,
                      light: str | None = None, as_of: date | None = None) -> list[dict]:
        return views.list_projects(self.engine, stage=stage, unit=unit, leader=leader, light=light, as_of=as_of,
                                   thresholds=self._thresholds(as_of))

    def find_projects(self, *, search: str | None = None, stage: str | None = None, unit: str | None = None,
                      leader: str | None = None, light: str | None = None, sort: str | None = None,
                      limit: int | None = None, offset: int = 0, as_of: date | None = None) -> Any:
        """``project list``: a ``workflow.listing.Found`` (total, and the page's views read as iterated)."""
        from workflow import listing

        return listing.find_projects(self.engine, search=search, stage=stage, unit=unit, leader=leader,
                                     light=light, sort=sort, limit=limit, offset=offset, as_of=as_of,
                                     thresholds=self._thresholds(as_of))

    def plan_project(self, code: str, commission: date, *, template: str | None = None, replace: bool = False,
                     dry_run: bool = False, on: date | None = None, expect_version: int | None = None,
                     allow_past: bool = False, reason: str | None = None) -> dict:
        """倒排工期: derive the plan backwards from ``commission`` (reached milestones kept, no date
        in the past unless ``allow_past`` with a ``reason``); record it as one edit unless
        ``dry_run`` (or nothing changes).  The plan document, with ``event`` when recorded."""
        from workflow import planning

        if allow_past and not (reason or "").strip():
            raise BadInput("plan_allow_past_needs_reason")
        doc = planning.plan(self.engine, code, commission, template=template, replace=replace,
                            allow_past=allow_past)
        doc["event"] = None
        doc["reason"] = reason.strip() if allow_past and reason else None
        if doc["changes"] and not dry_run:
            res = self.edit_project(doc["code"], {"plan": doc["changes"]}, on=on, reason=doc["reason"],
                                    expect_version=expect_version if expect_version is not None else doc["version"])
            doc["event"] = res.events[0] if res.events else None
            doc["version"] = res.project.version
        return doc

    def plan_templates(self) -> list[dict]:
        from workflow import planning

        return planning.list_templates(self.engine)

    def set_plan_template(self, name: str, **values: Any) -> dict:
        from workflow import planning

        return planning.set_template(self.engine, self.actor, name, **values)

    def project_codes(self, prefix: str = "") -> list[str]:
        return find.project_codes(self.engine, prefix)

    def open_transitions(self, code: str) -> dict:
        return views.open_transitions(self.engine, self.actor, code)

    def history(self, code: str) -> dict:
        return views.history(self.engine, code)

    def ledger(self, *, stage: str | None = None, unit: str | None = None) -> list[dict]:
        return views.ledger(self.engine, stage=stage, unit=unit)

    def project_identities(self) -> Any:
        return views.project_identities(self.engine)

    def latest_checkpoint(self) -> dict | None:
        from workflow import checkpoints

        with self.engine.connect() as conn:
            return checkpoints.latest_checkpoint(conn)
