"""SQL the hand-written baselines share (``bench_report``, ``bench_sql_*``): each project's state on
a date and its year's plan, read as docs/lights-and-reports.md defines them; and the project lists'
totals and the progress figures' rows.  The baselines never
import the reports' code; they share their own SQL here, written once.  The statements they go into
are filled in with ``str.format``: only :func:`light_case` leaves placeholders for that."""

from __future__ import annotations

from fractions import Fraction

# The newest investment plan of :year recorded by :d (a plan of 0 clears it), and the CNY investment
# completed from :ystart to :d; two CTEs, ``plans`` (pid, plan) and ``done`` (pid, done).
PLANS_DONE_CTES = """plans AS (
  SELECT y.project_id AS pid, y.amount_minor AS plan FROM year_plan y
  JOIN (SELECT project_id, max(event_seq) AS seq FROM year_plan WHERE year = :year AND effective_on <= :d
         GROUP BY project_id) n ON n.project_id = y.project_id AND n.seq = y.event_seq
  WHERE y.amount_minor <> 0
), done AS (
  SELECT project_id AS pid, sum(amount_minor) AS done FROM investment_completed
  WHERE currency = 'CNY' AND effective_on BETWEEN :ystart AND :d GROUP BY project_id
)"""

# Columns of ``project p`` as it stood on :d: the stage (``STAGE_AT``) and its date (the project row
# unless it moved later: then the newest stage change dated by :d), the last follow-up
# (``STAGE_COLUMNS``), and whether a lead leader was in force (``LEADER_IN_FORCE``); each column ends
# with a comma.
STAGE_AT = """CASE WHEN p.last_transition_on > :d THEN
              (SELECT e.to_stage FROM event e WHERE e.project_id = p.id AND e.to_stage IS NOT NULL
                 AND e.effective_on <= :d ORDER BY e.seq DESC LIMIT 1)
              ELSE p.stage END"""
LEADER_IN_FORCE = """EXISTS (SELECT 1 FROM assignment a WHERE a.project_id = p.id AND a.role = 'lead_leader'
                   AND a.assigned_on <= :d AND (a.ended_on IS NULL OR a.ended_on > :d))"""
STAGE_COLUMNS = """         """ + STAGE_AT + """ AS stage,
         CASE WHEN p.last_transition_on > :d THEN
              (SELECT e.effective_on FROM event e WHERE e.project_id = p.id AND e.to_stage IS NOT NULL
                 AND e.effective_on <= :d ORDER BY e.seq DESC LIMIT 1)
              ELSE p.stage_since END AS since,
         CASE WHEN p.last_followup_on > :d THEN
              (SELECT max(f.effective_on) FROM followup f WHERE f.project_id = p.id AND f.effective_on <= :d)
              ELSE p.last_followup_on END AS fu,
"""
STATE_COLUMNS = STAGE_COLUMNS + "         " + LEADER_IN_FORCE + " AS leader,\n"

# The next follow-up the latest follow-up by :d promised (by date, then by its event), a column.
PROMISED_COLUMN = """         (SELECT f.next_on FROM followup f WHERE f.project_id = p.id AND f.effective_on <= :d
            ORDER BY f.effective_on DESC, f.event_seq DESC LIMIT 1) AS promised,
"""

# (project_id, first_on): each project's first signing — into ``signed`` not from hold, not undone by a
# correction (the next stage change after it is not a correction); a subquery of ``event``.
FIRST_SIGNINGS = """(SELECT project_id, min(effective_on) AS first_on FROM event
    WHERE kind = 'transition' AND to_stage = 'signed' AND from_stage <> 'on_hold'
      AND COALESCE((SELECT n.kind FROM event n WHERE n.project_id = event.project_id AND n.seq > event.seq
                      AND n.to_stage IS NOT NULL ORDER BY n.seq LIMIT 1), '') <> 'correction'
    GROUP BY project_id)"""

# The first date each project reached construction and production by :d (not by a resume
# from hold, not undone by a correction): the progress categories and the groundbreakings.
REACHED_CTE = """reached AS (
  SELECT e.project_id AS pid, min(CASE WHEN e.to_stage = 'construction' THEN e.effective_on END) AS cons,
         min(CASE WHEN e.to_stage = 'production' THEN e.effective_on END) AS prod
  FROM event e
  WHERE e.kind = 'transition' AND e.to_stage IN ('construction', 'production') AND e.effective_on <= :d
    AND e.from_stage <> 'on_hold'
    AND COALESCE((SELECT n.kind FROM event n WHERE n.project_id = e.project_id AND n.seq > e.seq
                    AND n.to_stage IS NOT NULL ORDER BY n.seq LIMIT 1), '') <> 'correction'
  GROUP BY e.project_id
),"""
REACHED_COLS = """COALESCE(p.plan_break_ground BETWEEN :ystart AND :d, 0) AS planned_start, r.cons AS cons,
         r.prod AS prod, COALESCE(r.cons, r.prod) IS NOT NULL AS started,
         COALESCE(COALESCE(r.cons, r.prod) >= :ystart, 0) AS started_in_year"""


def light_case(has_leader: str) -> str:
    """The light of a project as one CASE expression over ``lit``'s columns (stage, its position
    ``pos``, days in stage ``in_stage``, days since the last follow-up ``quiet``, the plan dates,
    ``plan`` and ``done``, ``key``, ``escalated``, ``promised``, and ``has_leader``: the column saying a
    lead leader is in force): every rule of docs/lights-and-reports.md, red before yellow.  The
    planned-progress rules stay placeholders, ``{behind_red}`` and ``{behind_yellow}``, filled by the
    statement's own ``str.format``."""
    return f"""    WHEN pos IS NULL THEN NULL
    WHEN (plan_sign IS NOT NULL AND pos < 3 AND plan_sign < :d)
      OR (plan_fund IS NOT NULL AND pos < 4 AND plan_fund < :d)
      OR (plan_break_ground IS NOT NULL AND pos < 5 AND plan_break_ground < :d)
      OR (plan_commission IS NOT NULL AND pos < 6 AND plan_commission < :d)
      OR (stage = 'screening' AND in_stage > :screening_red)
      OR (stage = 'signed' AND in_stage > :signed_red)
      OR quiet > :followup_red
      OR (plan > 0 AND {{behind_red}})
      OR (key AND NOT {has_leader})
      OR escalated THEN 'red'
    WHEN (plan_sign IS NOT NULL AND pos < 3 AND julianday(plan_sign) - julianday(:d) <= :due)
      OR (plan_fund IS NOT NULL AND pos < 4 AND julianday(plan_fund) - julianday(:d) <= :due)
      OR (plan_break_ground IS NOT NULL AND pos < 5 AND julianday(plan_break_ground) - julianday(:d) <= :due)
      OR (plan_commission IS NOT NULL AND pos < 6 AND julianday(plan_commission) - julianday(:d) <= :due)
      OR (stage = 'screening' AND in_stage > :screening_yellow)
      OR quiet > :followup_yellow
      OR (plan > 0 AND {{behind_yellow}})
      OR promised < :d THEN 'yellow'
    ELSE 'green' END"""


# --- the project lists' totals (key projects, visits, review) ------------------------------------------

CURRENCIES = ("CNY", "USD")


def money_list(amounts: dict) -> list[dict]:
    """Amounts by currency as a report lists them: CNY, then USD, then the others by code."""
    order = {c: i for i, c in enumerate(CURRENCIES)}
    return [{"amount_minor": int(v), "currency": c}
            for c, v in sorted(amounts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))]


def list_totals(items: list[dict]) -> dict:
    """A project list's totals: projects, under construction, producing, planned investment, and
    capital in place and investment completed by currency."""

    def total(key: str) -> list[dict]:
        sums = dict.fromkeys(CURRENCIES, 0)
        for x in items:
            for m in x[key]:
                sums[m["currency"]] = sums.get(m["currency"], 0) + m["amount_minor"]
        return money_list(sums)

    return {"projects": len(items), "construction": sum(1 for x in items if x["construction_on"]),
            "production": sum(1 for x in items if x["production_on"]),
            "planned_investment": {"amount_minor": sum(x["planned_investment"]["amount_minor"] for x in items),
                                   "currency": "CNY"},
            "capital_in_place": total("capital_in_place"), "investment_completed": total("investment_completed")}


# --- the progress figures' rows (bulletin, warnings) -------------------------------------------------

PROGRESS_SUMS = ("projects", "plan", "done", "planned_starts", "started", "starts_in_year")


def progress_row(parts, elapsed: Fraction) -> dict:
    """One row of the progress figures from the sums (``PROGRESS_SUMS``) of its groups (none: a row of
    zeros)."""
    s = dict.fromkeys(PROGRESS_SUMS, 0)
    for g in parts:
        for k in PROGRESS_SUMS:
            s[k] += g[k]
    rate = Fraction(max(s["done"], 0), s["plan"]) if s["plan"] > 0 else None
    return {"projects": s["projects"], "year_plan": {"amount_minor": s["plan"], "currency": "CNY"},
            "completed": {"amount_minor": s["done"], "currency": "CNY"},
            "plan_rate": None if rate is None else round(float(rate), 4),
            "points": None if rate is None else round(float((rate - elapsed) * 100), 2),
            "planned_starts": s["planned_starts"], "started": s["started"], "starts_in_year": s["starts_in_year"],
            "start_rate": round(s["started"] / s["planned_starts"], 4) if s["planned_starts"] else None}
