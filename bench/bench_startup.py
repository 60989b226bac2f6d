"""Start-up cost: `pipeline --help` and `pipeline project show` on a large database, each against a
baseline that does the same work with the bare libraries, measured in the same run.

- `pipeline --help` against a `python -c` importing exactly the third-party modules the command
  loads (typer, click, rich, …: read from the command's own ``sys.modules``, not guessed);
- `pipeline project show CODE` against two baselines: the import floor (a `python -c` importing
  exactly the third-party modules the command loads: typer, rich, sqlalchemy, …), and the `show`
  floor (``SHOW_FLOOR``): a plain script that imports the same modules, opens the same SQLite file
  with SQLAlchemy, runs the same reads (the schema version, the project, the unit names, the leaders,
  the money sums, the settings, the problems, the promised follow-up, the year plans), decides the
  light by the same rules (docs/lights-and-reports.md) and prints the same card with rich.

Both equality checks run before anything is timed: every baseline loads the same third-party
modules as our command, and the show floor prints the same lines as `pipeline project show`
(trailing spaces aside).  A row's ``equal`` is True once they pass.

The old baseline of the show row (importing ``sqlmodel``, ``typer``, ``rich`` and ``transitions``, two
of which the command never loads) is measured in the same run and published beside the new one
(``old_baseline``); the old help baseline imported ``typer`` and ``rich.console`` only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bench.common import PIPELINE, PYTHON, init_db, populate, row, time_command

NAME = "startup"
SIZES = {"tiny": (50, 1), "small": (5_000, 7), "full": (50_000, 15)}

# Run a command in-process and print the third-party modules it loaded (not the standard library,
# not our packages, not what the bare interpreter already holds; only modules found by name, which
# an ``import`` can name: not ``cython_runtime`` nor a data module loaded by path).
_MODULES = r"""
import contextlib, os, sys
before = set(sys.modules)
from cli.app import main
with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
ours = ("workflow", "cli", "bench")
print("\n".join(sorted(m for m in set(sys.modules) - before
                       if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] not in ours
                       and not m.startswith("_") and all(part.isidentifier() for part in m.split("."))
                       and getattr(sys.modules[m], "__spec__", None) is not None)))
"""

# The import floor: the modules named on the command line, and (with --list) the list of the
# third-party modules then loaded, computed as _MODULES does.
IMPORT_FLOOR = r"""
import importlib, sys
before = set(sys.modules)
names = [m for m in sys.argv[1:] if m != "--list"]
for m in names:
    importlib.import_module(m)
if "--list" in sys.argv:
    print("\n".join(sorted(m for m in set(sys.modules) - before
                           if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith("_")
                           and all(part.isidentifier() for part in m.split("."))
                           and getattr(sys.modules[m], "__spec__", None) is not None)))
"""

# The `project show` floor: the same imports, the same reads, the same light rules, the same card.
SHOW_FLOOR = r"""
import sys
before = set(sys.modules)
import importlib, os
from datetime import date
names = [m for m in sys.argv[2:] if m != "--list"]
for m in names:
    importlib.import_module(m)
from rich.console import Console
from rich.table import Table
from sqlalchemy import create_engine, text

code, today = sys.argv[1], date.today()
engine = create_engine("sqlite:///" + os.environ["PIPELINE_DB"])
STAGES = {"lead": "Lead", "screening": "Screening", "approved": "Approved", "signed": "Signed",
          "funding": "Funding", "construction": "Construction", "production": "Production",
          "on_hold": "On hold", "rejected": "Rejected", "withdrawn": "Withdrawn"}
ORDER = ["lead", "screening", "approved", "signed", "funding", "construction", "production"]
ACTIVE = ORDER[:-1]
MILESTONES = [("sign", 3, "signing", "not signed"), ("fund", 4, "capital arrival", "no capital in place"),
              ("break_ground", 5, "groundbreaking", "not under construction"),
              ("commission", 6, "production", "not in production")]
T = {"screening_yellow_days": 5, "screening_red_days": 10, "milestone_due_days": 15,
     "signed_no_capital_red_days": 90, "followup_yellow_days": 30, "followup_red_days": 60,
     "progress_yellow_points": 10, "progress_red_points": 30, "progress_by_day": 0, "progress_ratio_rule": 0,
     "progress_yellow_ratio_pct": 80, "progress_red_ratio_pct": 50}
L = {"remind_days": 3, "unit_head_days": 7, "county_leader_days": 15, "top_leader_days": 30, "red_level": 3}


def d(v):
    return None if v is None else v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


def money(minor, cur):
    return f"{cur} {minor // 100:,}.{minor % 100:02d}"


with engine.connect() as conn:
    conn.execute(text("SELECT version_num FROM alembic_version")).all()
    p = conn.execute(text("SELECT * FROM project WHERE code = :c"), {"c": code}).mappings().one()
    units = dict(conn.execute(text("SELECT code, name FROM unit")).all())
    leaders = conn.execute(text(
        "SELECT a.role, a.person_login, a.rule_id, a.rule_version, pe.name FROM assignment a "
        "JOIN person pe ON pe.login = a.person_login WHERE a.ended_seq IS NULL AND a.project_id = :p "
        "ORDER BY a.id"), {"p": p["id"]}).all()
    sums = {t: conn.execute(text(f"SELECT currency, sum(amount_minor) FROM {t} WHERE project_id = :p "
                                 "GROUP BY currency ORDER BY currency"), {"p": p["id"]}).all()
            for t in ("capital_arrival", "investment_completed")}
    for k, v in conn.execute(text("SELECT key, value FROM setting WHERE key LIKE 'light.%'")):
        T[k.split(".", 1)[1]] = int(v)
    for k, v in conn.execute(text("SELECT key, value FROM setting WHERE key LIKE 'supervision.%'")):
        if k.split(".", 1)[1] in L:
            L[k.split(".", 1)[1]] = int(v)
    problems = []
    if conn.execute(text("SELECT id FROM problem LIMIT 1")).first() is not None:
        for pr in conn.execute(text("SELECT id, text, owner_unit, due_on FROM problem WHERE project_id = :p "
                                    "AND opened_on <= :d ORDER BY id"), {"p": p["id"], "d": today}).all():
            due, is_open = d(pr[3]), True
            for act, on, to in conn.execute(text(
                    "SELECT action, effective_on, due_on FROM problem_action WHERE problem_id = :i "
                    "AND effective_on <= :d ORDER BY event_seq"), {"i": pr[0], "d": today}):
                if act == "extend":
                    due = d(to)
                elif act in ("close", "reopen"):
                    is_open = act == "reopen"
            if is_open:
                late = (today - due).days
                level = (5 if late > L["top_leader_days"] else 4 if late > L["county_leader_days"] else
                         3 if late > L["unit_head_days"] else 2 if late > 0 else 1 if -late <= L["remind_days"]
                         else 0)
                problems.append((pr[0], pr[1], pr[2], due, level))
    fu = conn.execute(text(
        "SELECT effective_on, next_on FROM followup WHERE project_id = :p AND effective_on <= :d "
        "ORDER BY effective_on DESC, event_seq DESC LIMIT 1"), {"p": p["id"], "d": today}).first()
    promised = d(fu[1]) if fu is not None else None
    plan_row = conn.execute(text(
        "SELECT amount_minor FROM year_plan WHERE project_id = :p AND year = :y AND effective_on <= :d "
        "ORDER BY event_seq DESC LIMIT 1"), {"p": p["id"], "y": today.year, "d": today}).first()
    conn.execute(text("SELECT year, amount_minor FROM year_plan WHERE project_id = :p ORDER BY event_seq"),
                 {"p": p["id"]}).all()
    year_plan = plan_row[0] if plan_row else 0
    year_done = 0
    if year_plan:
        year_done = conn.execute(text(
            "SELECT COALESCE(sum(amount_minor), 0) FROM investment_completed WHERE project_id = :p "
            "AND currency = 'CNY' AND effective_on BETWEEN :a AND :d"),
            {"p": p["id"], "a": date(today.year, 1, 1), "d": today}).scalar()

stage, since, registered = p["stage"], d(p["stage_since"]), d(p["registered_on"])
plan = {m: d(p[f"plan_{m}"]) for m, _, _, _ in MILESTONES}
red, yellow = [], []
if stage in ACTIVE or stage == "on_hold":
    pos = ORDER.index(stage) if stage in ORDER else -1
    for m, needs, noun, nope in MILESTONES:
        if plan[m] is None or pos >= needs:
            continue
        left, when = (plan[m] - today).days, plan[m].isoformat()
        if left < 0:
            red.append(f"planned {noun} {when} passed, {nope}")
        elif left == 0:
            yellow.append(f"planned {noun} {when} is due today, {nope}")
        elif left <= T["milestone_due_days"]:
            yellow.append(f"planned {noun} {when} is due in {left} {'day' if left == 1 else 'days'}, {nope}")
    days = (today - since).days
    if stage == "screening" and days > T["screening_red_days"]:
        red.append(f"in screening for {days} days (more than {T['screening_red_days']})")
    elif stage == "screening" and days > T["screening_yellow_days"]:
        yellow.append(f"in screening for {days} days (more than {T['screening_yellow_days']})")
    elif stage == "signed" and days > T["signed_no_capital_red_days"]:
        red.append(f"signed for {days} days with no capital in place (more than {T['signed_no_capital_red_days']})")
    last = d(p["last_followup_on"])
    quiet = (today - (last or registered)).days
    for limit, out in ((T["followup_red_days"], red), (T["followup_yellow_days"], yellow)):
        if quiet > limit:
            out.append(f"no follow-up for {quiet} days (more than {limit})" if last else
                       f"no follow-up since registration {quiet} days ago (more than {limit})")
            break
    if year_plan > 0:
        raise SystemExit("the show floor does not word the planned-progress rule: use a county without year plans")
    if p["key"] and not any(r[0] == "lead_leader" for r in leaders):
        red.append("no lead leader for a key project")
    for pid, ptext, _, _, level in problems:
        if level >= L["red_level"]:
            short = ptext if len(ptext) <= 40 else ptext[:39] + "…"
            red.append(f"problem #{pid} ({short}) at supervision level {level}")
    if promised is not None and promised < today:
        yellow.append(f"promised follow-up on {promised.isoformat()} not recorded")
    light = "red" if red else "yellow" if yellow else "green"
else:
    light = None

grid = Table.grid(padding=(0, 2))
grid.add_column(style="bold")
grid.add_column(overflow="fold")
unit = f"{units[p['unit_code']]} ({p['unit_code']})" if p["unit_code"] in units else (p["unit_code"] or "-")
rows = [("Name", p["name"]), ("Investor", p["investor"] or "-"), ("Origin", p["origin"] or "-"),
        ("Industry", p["industry"] or "-"), ("Category", p["category"] or "-"), ("Key", "yes" if p["key"] else "no"),
        ("Stage", f"{STAGES[stage]} ({stage}) · {since.isoformat()}"), ("Unit", unit),
        ("Planned investment", money(p["planned_investment_minor"], p["planned_currency"]))]
for label, t in (("Capital in place", "capital_arrival"), ("Investment completed", "investment_completed")):
    rows.append((label, ", ".join(money(s, c) for c, s in sums[t]) or money(0, "CNY")))
for m, label in (("sign", "Planned signing"), ("fund", "Planned capital arrival"),
                 ("break_ground", "Planned groundbreaking"), ("commission", "Planned production")):
    if plan[m]:
        rows.append((label, plan[m].isoformat()))
role = {"lead_leader": "Lead leader", "first_responsible": "First responsible", "team_member": "Team member"}
rows.append(("Leaders", "\n".join(f"{role[r[0]]}: {r[4]} [{r[1]}]" + (f" (rule {r[2]} v{r[3]})" if r[2] else "")
                                  for r in leaders) or "-"))
rows.append(("Light", "\n".join([light or "-"] + [f"- {r}" for r in red + yellow])))
if problems:
    rows.append(("Open problems", "\n".join(f"#{i} {x} ({o}, due {due.isoformat()}, level {lv})"
                                            for i, x, o, due, lv in problems)))
if promised is not None:
    rows.append(("Next follow-up", promised.isoformat()))
rows.append(("Workflow", f"{p['workflow_name']} v{p['workflow_version']} · Version {p['version']}"))
for k, v in rows:
    grid.add_row(k, v)
console = Console(markup=False, emoji=False, highlight=False)  # as the command line prints: plain text
console.print(code)
console.print(grid)
if "--list" in sys.argv:
    print("\n".join(sorted(m for m in set(sys.modules) - before
                           if m.split(".")[0] not in sys.stdlib_module_names and not m.startswith("_")
                           and all(part.isidentifier() for part in m.split("."))
                           and getattr(sys.modules[m], "__spec__", None) is not None)), file=sys.stderr)
"""


def modules_of(args: list[str], env: dict) -> list[str]:
    """The third-party modules ``pipeline ARGS`` loads (read from its own ``sys.modules``)."""
    proc = subprocess.run([PYTHON, "-c", _MODULES, *args], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return proc.stdout.split()


def _run(argv: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=True, env={**os.environ, **env})


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.rstrip("\n").split("\n")]


def check_equal(ours_modules: list[str], floor_modules: list[str], ours_out: str | None = None,
                floor_out: str | None = None) -> None:
    """Refuse (AssertionError) a baseline that loads other third-party modules than our command, or
    (given) prints other lines."""
    if ours_modules != floor_modules:
        extra, missing = set(floor_modules) - set(ours_modules), set(ours_modules) - set(floor_modules)
        raise AssertionError(f"the baseline loads other modules than ours: extra {sorted(extra)[:10]}, "
                             f"missing {sorted(missing)[:10]}")
    if ours_out is not None and _lines(ours_out) != _lines(floor_out or ""):
        raise AssertionError(f"the show floor prints other lines than ours:\n{ours_out}\n---\n{floor_out}")


def run(size: str, workdir: Path) -> list[dict]:
    n, repeat = SIZES[size]
    db = workdir / "show.db"
    url = init_db(db)
    populate(url, n)
    env = {"PIPELINE_DB": str(db), "PIPELINE_USER": "bench", "NO_COLOR": "1", "PIPELINE_LANG": "en",
           "COLUMNS": "200"}
    code = f"P-{n // 2:04d}"
    help_mods = modules_of(["--help"], env)
    show_mods = modules_of(["project", "show", code], env)
    help_floor = [PYTHON, "-c", IMPORT_FLOOR, *help_mods]
    show_imports = [PYTHON, "-c", IMPORT_FLOOR, *show_mods]
    show_floor = [PYTHON, "-c", SHOW_FLOOR, code, *show_mods]
    # The equality checks, before anything is timed.
    check_equal(help_mods, _run([*help_floor, "--list"], env).stdout.split())
    check_equal(show_mods, _run([*show_imports, "--list"], env).stdout.split())
    ours_out = _run([PIPELINE, "project", "show", code], env)
    floor = _run([*show_floor, "--list"], env)
    check_equal(show_mods, floor.stderr.split(), ours_out.stdout, floor.stdout)
    # interleave ours and baseline so drift on the machine hits both alike
    help_ours = time_command([PIPELINE, "--help"], repeat=repeat, env=env)
    help_base = time_command(help_floor, repeat=repeat, env=env)
    help_old = time_command([PYTHON, "-c", "import typer, rich.console"], repeat=repeat)
    show_ours = time_command([PIPELINE, "project", "show", code], repeat=repeat, env=env)
    show_imp = time_command(show_imports, repeat=repeat, env=env)
    show_base = time_command(show_floor, repeat=repeat, env=env)
    show_old = time_command([PYTHON, "-c", "import sqlmodel, typer, rich.console, transitions"], repeat=repeat)
    rows = [
        row(f"pipeline --help vs importing its {len(help_mods)} third-party modules", help_ours, help_base, "s",
            "≤ 1.5×", limit=1.5, old_baseline=help_old, equal=True),
        row(f"pipeline project show ({n:,} projects) vs importing its {len(show_mods)} third-party modules",
            show_ours, show_imp, "s", "≤ 1.3×", limit=1.3, old_baseline=show_old, equal=True),
        row(f"pipeline project show ({n:,} projects) vs a plain script: same imports, reads and card",
            show_ours, show_base, "s", "≤ 1.2×", limit=1.2, equal=True),
    ]
    return rows


if __name__ == "__main__":  # pragma: no cover - a manual run of this benchmark alone
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for r in run(sys.argv[1] if len(sys.argv) > 1 else "small", Path(tmp)):
            print(r)
