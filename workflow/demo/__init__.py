"""The demo county (``pipeline demo``): a realistic pipeline to look at and to benchmark against.

Units (乡镇 and 部门), county leaders and township heads, leader-assignment rules and targets,
and projects spread over every stage — with documents, screening
checks, capital in CNY and USD, investment completed, follow-ups, holds, a rejection and a
withdrawal — dated over the past year, so that lights and reports have something to say.  Names
follow the county of the seed speech (docs/import-export.md, `pipeline demo`).

Deterministic: the same seed on the same day builds the same county.  Every project and every event
runs the same commands as the command line (``workflow.commands``), in batches (``workflow.bulk``: one
transaction each, batched inserts), so the history chains verify like any other.

Modules: ``plan`` (what the demo county is made of: its units, people and words, and each project's
story), ``building`` (what is in a database, and building the county through the commands).  This
package re-exports the names its importers use (a test patches a name in the module that reads it, not
here).
"""

from workflow.demo.building import _mark, _people, _rules, _summary, build, inspect
from workflow.demo.plan import COORDINATORS, COUNTY_LEADERS, UNITS

__all__ = [
    "COORDINATORS", "COUNTY_LEADERS", "UNITS", "_mark", "_people", "_rules", "_summary", "build", "inspect"
]
