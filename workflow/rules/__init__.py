"""Leader-assignment rules (docs/rules.md): rules as versioned data, evaluation, explanation, apply.

"One key project, one county-level leader, one dedicated team, followed to the end"
(一个重点项目、一名县级领导、一套专门班子、一抓到底), stated once as rules:

- A rule has a priority (a lower number is tried first; equal priorities by rule id), a role, a
  person and conditions (any of: key, categories, industries, units, origins, min/max planned
  investment).  Every condition given must hold; a rule without conditions matches every project.
  Text conditions compare case- and whitespace-insensitively; units compare by exact code.
- ``lead_leader``: for an active (or paused) key project, the first matching rule whose person is
  active, county level and under their cap (the open projects they lead).  Exactly one per project.
- ``first_responsible``: the first matching rule whose person is active.
- ``team_member``: every matching rule whose person is active (the dedicated team, 专班).
- Followed to the end (一抓到底): evaluation only fills what is missing.  It never replaces a lead
  leader or first responsible person and never removes a team member; ``reassign`` (with
  a reason, as a history event) is the only way to replace someone.
- A project in a final stage gets nothing and no longer counts against its leader's cap.

Rules live in the ``rule`` table, one row per version: an edit writes a new version and moves
``current``; old versions stay readable.  Each version takes effect from a date (``--from``, default
today; never before the version it replaces), and a decision uses the versions in force on its own
effective date (``in_force``): a project registered on 1 March is decided by the rules of 1 March.
Rule changes are admin-only set-up ledger entries, not project history; assignments are (an
``assignment`` event with the rule id and version).

This package holds the rules as data, the decision (``decide``) and the readers (``load_rules``,
``lead_load``, ``plan_all``, ``explain``).  The writes that act on a decision are commands:
``workflow.commands.assignments.assign_missing`` runs when a project is created, imported or edited
in a field a condition reads, and ``apply_rules`` writes what ``plan_all`` found for ``rules apply``,
which matches all rules against all projects with set indexes instead of one rule at a time.

Modules: ``conditions`` (the roles, a project's facts, conditions), ``decision`` (rules, people and the
decision), ``reads`` (the bulk matcher and the database reads), ``apply`` (``rules apply`` and ``rules
explain``), ``admin`` (rules CRUD and lint).  This package re-exports the names its importers use (a
test patches a name in the module that reads it, not here).
"""

from workflow.rules.admin import add_rule, edit_rule, list_rules, set_active
from workflow.rules.apply import Plan, apply_doc, explain, plan_all
from workflow.rules.conditions import ASSIGNMENT_ROLES, CONDITION_FIELDS, SINGLE_ROLES, Conditions, Facts
from workflow.rules.decision import RuleRow, decide, in_force, rule_order
from workflow.rules.reads import (
    ProjectIndex,
    lead_load,
    lead_load_one,
    load_people,
    load_rules,
    lock_people,
    stage_kinds,
)

__all__ = [
    "ASSIGNMENT_ROLES", "CONDITION_FIELDS", "Conditions", "Facts", "Plan", "ProjectIndex", "RuleRow",
    "SINGLE_ROLES", "add_rule", "apply_doc", "decide", "edit_rule", "explain", "in_force", "lead_load", "lead_load_one",
    "list_rules", "load_people", "load_rules", "lock_people", "plan_all", "rule_order", "set_active",
    "stage_kinds"
]
