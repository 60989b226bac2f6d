"""Reports (docs/lights-and-reports.md), warnings and the board: the county's figures, read from history.

Everything here is read-only and is computed for a *window* (a report period cut at its as-of
date) with SQLAlchemy Core aggregates; per-project rows are fetched only where a light has to be
computed (the lights are a pure function, `workflow.lights.compute_light`).

Counting rules (docs/lights-and-reports.md, "What the figures count", rules 1–6):

- A project counts as **signed** once, in the period of its *first* transition into `signed`
  that does not come from a paused stage (resuming from `on_hold` is not a new signing) and was
  not undone by a correction.
- **Capital in place** counts each arrival by its effective date, per currency, never converted;
  **investment completed** likewise.
- A withdrawn (or otherwise finished) project still counts for what happened before.
- Flow figures count events whose effective date lies inside the period and not after the
  as-of date; the as-of date defaults to the period's end or today, whichever is earlier.
- **Snapshot** figures (projects by stage, key projects, projects over 100 million, red/yellow)
  describe the county on the as-of date: the stage, the date it was entered, the last follow-up
  and the lead leader are taken from history as they stood that day; the descriptive fields (unit,
  key designation, planned investment, planned dates) are taken as they are now.
- Key projects and projects over 100 million count projects registered by the as-of date that
  were not refused or withdrawn by then.

Modules: ``windows`` (the constants, stages in order, a report period cut at its as-of date), ``state``
(snapshots: the state of every project on a date), ``figures`` (flows and figures of a window, by unit),
``planned`` (planned progress and spans), ``shared`` (one reading shared by a document's reports),
``kinds`` (bulletin, warnings and dispatch, review, evaluation, the board), ``lists`` (key projects,
leaders, visits) and ``notes`` (narrative sections, visit criteria), imported by their users as
``workflow.reports.lists`` / ``.notes``.  This package re-exports the names its importers use (a test
patches a name in the module that reads it, not here).  The names of ``figures``, ``planned``,
``shared`` and ``kinds`` are loaded on first use (``__getattr__``): the views read only ``state`` (a
project's year plan for its light), and ``project show`` then loads none of the reports, their targets
or the set-up ledger they read (docs/architecture.md, "Imports inside functions").
"""

import importlib
from typing import TYPE_CHECKING, Any

from workflow.lights import Thresholds
from workflow.reports.state import _as_date, snapshots, year_done, year_plans
from workflow.reports.windows import DOCUMENT_LIST_LIMIT, METRICS, Window, make_window, ordered_stages

if TYPE_CHECKING:
    from workflow.reports.figures import _figures_by_unit, _flows, _read, _sum_figures, figures_json
    from workflow.reports.kinds import _problems, board, bulletin, dispatch, evaluation, review, warnings
    from workflow.reports.planned import growth_rate, rank_in_order
    from workflow.reports.shared import Reading, shared_reading

# The re-exported names loaded on first use, by the module that defines them.
_LAZY = {**dict.fromkeys(("_figures_by_unit", "_flows", "_read", "_sum_figures", "figures_json"), "figures"),
         **dict.fromkeys(("_problems", "board", "bulletin", "dispatch", "evaluation", "review", "warnings"), "kinds"),
         "growth_rate": "planned", "rank_in_order": "planned", "Reading": "shared", "shared_reading": "shared"}


def __getattr__(name: str) -> Any:
    where = _LAZY.get(name)
    if where is None:  # a submodule not imported yet, or no such name
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{where}"), name)
    globals()[name] = value  # asked once
    return value


__all__ = [
    "DOCUMENT_LIST_LIMIT", "METRICS", "Reading", "Thresholds", "Window", "_as_date", "_figures_by_unit", "_flows",
    "growth_rate", "rank_in_order", "_problems", "_read", "_sum_figures", "board", "bulletin", "dispatch", "evaluation",
    "figures_json", "make_window", "ordered_stages", "review", "shared_reading", "snapshots", "warnings", "year_done",
    "year_plans"
]
