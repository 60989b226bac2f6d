"""A person's to-do list (``pipeline todo``): the problems they own or that escalated to them, the red
and yellow reasons of the projects they hold a role on, planned dates soon and promised follow-ups
due, most urgent first (docs/supervision.md)."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.engine import Engine

from workflow import clock, reports
from workflow.catalogue import Message
from workflow.errors import NotFound
from workflow.find import person_login
from workflow.i18n import t
from workflow.lights import MILESTONE_STAGE, milestone_reached
from workflow.settings import ladder, light_thresholds
from workflow.supervision import open_problems, promises, top_leader
from workflow.tables import app_user as AU
from workflow.tables import assignment as ASG
from workflow.tables import event as EV
from workflow.tables import followup as FU
from workflow.tables import person as PE

TODO_HORIZON_DAYS = 14  # planned dates and promises this many days ahead
URGENCY = {"red": 70, "yellow": 35, "promise_overdue": 45, "promise": 20, "plan_soon": 30, "plan": 20}


def problem_urgency(level: int) -> int:
    """A problem's urgency: 40 at level 0, 10 more per level (90 at level 5)."""
    return 40 + 10 * level


def todo(engine: Engine, login: str, as_of: date | None = None, *, lang: str = "en") -> dict:
    """A person's to-do list on ``as_of``: problems they own (or their unit owns) or that escalated to
    them, red and yellow reasons of projects they hold a role on, planned dates in the next 14 days
    and promised follow-ups due; most urgent first (then the earliest date, project, text)."""
    as_of = as_of or clock.today()
    zh = (lang or "").lower().startswith("zh")
    items: list[dict] = []
    with engine.connect() as conn:
        user = conn.execute(select(AU.c.login, AU.c.person_login).where(AU.c.login == login)).first()
        user_login = None if user is None else user[0]
        if user is not None and user[1] is not None:  # a login linked to the person it follows up as
            login = user[1]
        person = conn.execute(select(PE.c.login, PE.c.unit_code).where(PE.c.login == login)).first()
        if person is None:
            if user is None:
                try:  # a person's name (or the login in another case or width)
                    login = person_login(conn, login, "--for")
                except NotFound as exc:
                    if any("candidates" in d for d in exc.details):
                        raise  # a name several people share: the candidates are listed
                    raise NotFound("no_person_or_user", [{"login": login}], login=login) from None
                person = conn.execute(select(PE.c.login, PE.c.unit_code).where(PE.c.login == login)).first()
                user_login = conn.execute(select(AU.c.login).where(AU.c.login == login)).scalar()
        unit = person[1] if person is not None else None
        lad = ladder(conn, as_of)
        top = top_leader(conn, as_of)
        # the projects the person holds a role on, that day
        mine = {r[0] for r in conn.execute(
            select(ASG.c.project_id).where(ASG.c.person_login == login, ASG.c.assigned_on <= as_of,
                                           (ASG.c.ended_on.is_(None)) | (ASG.c.ended_on > as_of)))}
        # what the user registered and the projects they promised a follow-up on (by the login's actions)
        registered: set[int] = set()
        promised: set[int] = set()
        if user_login is not None:
            registered = {r[0] for r in conn.execute(
                select(EV.c.project_id).where(EV.c.kind == "registered", EV.c.actor == user_login,
                                              EV.c.effective_on <= as_of))}
            promised = {r[0] for r in conn.execute(
                select(FU.c.project_id).where(FU.c.actor == user_login, FU.c.next_on.is_not(None),
                                              FU.c.effective_on <= as_of).distinct())}
        followed = mine | registered
        lead_of = {r[0] for r in conn.execute(
            select(ASG.c.project_id).where(ASG.c.person_login == login, ASG.c.role == "lead_leader",
                                           ASG.c.assigned_on <= as_of,
                                           (ASG.c.ended_on.is_(None)) | (ASG.c.ended_on > as_of)))}
        for p in open_problems(conn, as_of, lad):
            owns = p["owner_person"] == login or (unit is not None and p["owner_unit"] == unit
                                                  and p["owner_person"] is None)
            to_me = (p["level"] >= 4 and p["project_id"] in lead_of) or (p["level"] >= 5 and top == login)
            if owns or to_me:
                label = t(f"level_{p['level']}", lang)
                text = (f"问题#{p['id']}：{p['text']}（{label}）" if zh
                        else f"problem #{p['id']}: {p['text']} (level {p['level']}: {label})")
                items.append({"kind": "problem", "project": p["project"], "text": text,
                              "date": p["due"].isoformat(), "urgency": problem_urgency(p["level"]),
                              "problem": p["id"], "level": p["level"]})
        problems_owned = sum(1 for i in items if i["kind"] == "problem")
        if followed or promised:
            snaps = reports.snapshots(conn, as_of, light_thresholds(conn, as_of=as_of),
                                      ids=sorted(followed | promised))
            for s in snaps:
                if s.id not in followed:
                    continue  # a project the user promised a follow-up on: the promise alone
                for r in s.light.reasons:
                    items.append({"kind": r.color, "project": s.code, "text": r.zh if zh else r.en, "date": None,
                                  "urgency": URGENCY[r.color]})
                if s.stage_kind != "active":
                    continue
                for milestone, planned in s.plan.items():
                    if planned is None or milestone not in MILESTONE_STAGE:
                        continue
                    planned = date.fromisoformat(str(planned)[:10]) if not isinstance(planned, date) else planned
                    left = (planned - as_of).days
                    if 0 <= left <= TODO_HORIZON_DAYS and not milestone_reached(s.stage, milestone):
                        items.append({"kind": "plan", "project": s.code,
                                      "text": f"{t('plan_' + milestone, lang)} {planned.isoformat()}",
                                      "date": planned.isoformat(),
                                      "urgency": URGENCY["plan_soon" if left <= 3 else "plan"]})
            codes = {s.id: s.code for s in snaps}
            for pid, promise in promises(conn, as_of, sorted(followed | promised)).items():
                next_on = promise["next_on"]
                if next_on > as_of + timedelta(days=TODO_HORIZON_DAYS) or pid not in codes:
                    continue
                late = next_on < as_of
                step = promise["next_step"] or ""
                text = (f"承诺{next_on.isoformat()}跟进" + (f"：{step}" if step else "") if zh
                        else f"promised follow-up on {next_on.isoformat()}" + (f": {step}" if step else ""))
                items.append({"kind": "followup", "project": codes[pid], "text": text, "date": next_on.isoformat(),
                              "urgency": URGENCY["promise_overdue" if late else "promise"]})
    items.sort(key=lambda i: (-i["urgency"], i["date"] or "9999-12-31", i["project"], i["text"]))
    scope = {"roles": len(mine), "registered": len(registered), "promised": len(promised),
             "problems": problems_owned}
    doc = {"login": login, "user": user_login, "person": None if person is None else person[0],
           "as_of": as_of.isoformat(), "scope": scope, "items": items}
    if not items:
        doc["empty"] = empty_reason(doc)
    return doc


def empty_reason(doc: dict) -> Message:
    """Why a to-do list is empty and for whom it was computed: a login linked to no person (it holds
    no roles and owns no problems), or nothing due among what it covers."""
    who = doc["user"] or doc["login"]
    scope = doc["scope"]
    if doc["person"] is None:
        return Message("life_todo_empty_no_person", login=who, as_of=doc["as_of"], registered=scope["registered"],
                       promised=scope["promised"])
    return Message("life_todo_empty", login=who, person=doc["person"], as_of=doc["as_of"], roles=scope["roles"],
                   registered=scope["registered"], promised=scope["promised"])
