"""Each command once: validate, decide, emit events.

A command is a function ``command(txn, project, **arguments)``: it validates its arguments
(``workflow.values``), reads what it needs from the project row and its facts (``txn.facts``),
decides, and emits typed events (``workflow.events``) through ``txn.emit``.  The transaction kernel
(``workflow.store``) persists them.  The command line, import, the demo, ``rules apply`` and the
Python API all run these same functions, one project at a time or many in one transaction.

Modules: ``common`` (dates, guards, auto transitions), ``projects`` (register, edit),
``records`` (check, document, capital, investment, follow-up), ``stages`` (advance),
``assignments`` (rule assignments, reassignment, ``rules apply``), ``corrections`` (correct),
``problems`` (problems and supervision letters, 督办), ``performance`` (contract commitments and
their yearly actuals, 履约).
"""

from collections.abc import Callable

from workflow.commands.assignments import apply_rules, assign_missing, reassign
from workflow.commands.corrections import correct, undo
from workflow.commands.performance import add_commitment, add_performance
from workflow.commands.problems import act_on_problem, issue_letters, open_problem
from workflow.commands.projects import ProjectFields, edit, register
from workflow.commands.records import add_capital, add_document, add_followup, add_investment, record_check
from workflow.commands.stages import advance, retire

# The commands a batch (``workflow.bulk.apply``) may run on existing projects, by name.
BATCH_COMMANDS: dict[str, Callable[..., None]] = {
    "check": record_check,
    "document": add_document,
    "capital": add_capital,
    "investment": add_investment,
    "followup": add_followup,
    "advance": advance,
    "assign": reassign,
    "edit": edit,
}

__all__ = ["BATCH_COMMANDS", "ProjectFields", "act_on_problem", "add_capital", "add_commitment", "add_performance",
           "add_document", "add_followup",
           "add_investment", "advance", "apply_rules", "assign_missing", "correct", "edit", "issue_letters",
           "open_problem", "reassign", "record_check", "register", "retire", "undo"]
