"""Recording facts about a project: screening checks, documents, capital, investment, follow-ups."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from workflow import attachments, words
from workflow.attachments import Attachment
from workflow.commands.common import auto_transitions, check_money_duplicate, check_on, check_stage_allows, definition
from workflow.errors import BadInput, Implausible, NotAllowed
from workflow.events import CapitalArrived, CheckRecorded, DocumentRecorded, FollowedUp, InvestmentRecorded
from workflow.money import MAX_MINOR
from workflow.settings import tranche_plausible_pct
from workflow.store import ProjectRow, Txn
from workflow.tables import investment_completed as INV
from workflow.values import FREE_TEXT_LIMIT, NUMBER_LIMIT, SOURCE_LIMIT, amount, day, optional_text, required
from workflow.values import currency as check_currency

NOTE_LIMIT = FREE_TEXT_LIMIT
CONTACT_LIMIT = 200


def record_check(txn: Txn, proj: ProjectRow, *, item: str, result: str, on: date, note: str | None = None) -> None:
    """A screening checklist result (the latest result per item counts)."""
    item = words.checks(definition(proj)).parse(item, "ITEM")
    result = words.results().parse(result, "RESULT")
    note = optional_text(note, "--note", NOTE_LIMIT, multiline=True)
    check_stage_allows(proj, f"check:{item}")
    check_on(txn, proj, on, transition=False)
    txn.emit(proj, CheckRecorded(on=on, item=item, result=result, note=note))
    auto_transitions(txn, proj, on)


def add_document(txn: Txn, proj: ProjectRow, *, kind: str, number: str, on: date,
                 attachment: Attachment | None = None) -> None:
    """A document recorded; ``attachment`` (a file read by ``attachments.read``) is stored under its
    hash and the hash, name and size go into the event (docs/audit.md, "Attachments")."""
    kind = words.documents(definition(proj)).parse(kind, "KIND")
    number = required(number, "NUMBER", NUMBER_LIMIT)
    check_stage_allows(proj, f"document:{kind}")
    check_on(txn, proj, on, transition=False)
    if attachment is None:
        txn.emit(proj, DocumentRecorded(on=on, document=kind, number=number))
    else:
        attachments.store(txn.conn, attachment)
        txn.emit(proj, DocumentRecorded(on=on, document=kind, number=number, file_sha256=attachment.sha256,
                                        file_name=attachment.name, file_size=attachment.size))
    auto_transitions(txn, proj, on)


def add_capital(txn: Txn, proj: ProjectRow, *, amount_minor: int, currency: str, on: date,
                source: str | None = None, allow_duplicate: bool = False, confirm: bool = False) -> None:
    """A capital arrival; the first one on a signed project fires ``fund`` with it.  The same amount,
    currency and date as an earlier entry is refused (Duplicate) unless ``allow_duplicate``; an
    implausible one (``check_plausible``) is refused (Implausible, exit 3) unless ``confirm``."""
    amount_minor = amount(amount_minor)
    currency = check_currency(currency)
    source = optional_text(source, "--source", SOURCE_LIMIT)
    check_stage_allows(proj, "capital")
    check_on(txn, proj, on, transition=False)
    if not allow_duplicate:
        check_money_duplicate(txn, proj, "capital", amount_minor, currency, on)
    _within_total(txn.facts(proj).capital, amount_minor, "capital in place")
    if not confirm:
        check_plausible(txn, proj, amount_minor, currency, on)
    txn.emit(proj, CapitalArrived(on=on, amount_minor=amount_minor, currency=currency, source=source))
    auto_transitions(txn, proj, on)


def add_investment(txn: Txn, proj: ProjectRow, *, amount_minor: int, on: date, currency: str = "CNY",
                   allow_duplicate: bool = False) -> None:
    amount_minor = amount(amount_minor)
    currency = check_currency(currency)
    check_stage_allows(proj, "investment")
    check_on(txn, proj, on, transition=False)
    if not allow_duplicate:
        check_money_duplicate(txn, proj, "investment", amount_minor, currency, on)

    done = txn.conn.execute(select(func.coalesce(func.sum(INV.c.amount_minor), 0))
                            .where(INV.c.project_id == proj.id)).scalar()
    _within_total(int(done or 0), amount_minor, "investment completed")
    txn.emit(proj, InvestmentRecorded(on=on, amount_minor=amount_minor, currency=currency))


def check_plausible(txn: Txn, proj: ProjectRow, amount_minor: int, currency: str, on: date) -> None:
    """Refuse (Implausible, exit 3) a capital tranche in the planned investment's currency that would take
    capital in place above the planned investment, or that alone is more than the plausible share of
    it (``settings.tranche_plausible_pct`` in force on ``on``); capital in place is every currency at
    face value, as the total check takes it.  A project with no planned investment is not checked
    (docs/money.md, "Plausibility")."""
    planned = proj.planned_investment_minor
    if planned <= 0 or currency != proj.planned_currency or amount_minor <= 0:
        return
    money = {"amount_minor": amount_minor, "currency": currency}
    plan = {"amount_minor": planned, "currency": proj.planned_currency}
    in_place = txn.facts(proj).capital
    if in_place + amount_minor > planned:
        total = {"amount_minor": in_place + amount_minor, "currency": currency}
        raise Implausible("capital_implausible_total",
                          [{"project": proj.code, "reason": "above_planned", "amount_minor": amount_minor,
                            "capital_minor": in_place + amount_minor, "planned_minor": planned}],
                          code=proj.code, amount=money, total=total, planned=plan)
    pct = tranche_plausible_pct(txn.conn, on)
    if pct and amount_minor * 100 > planned * pct:
        raise Implausible("capital_implausible_tranche",
                          [{"project": proj.code, "reason": "tranche_size", "amount_minor": amount_minor,
                            "planned_minor": planned, "plausible_pct": pct}],
                          code=proj.code, amount=money, pct=pct, planned=plan)


def _within_total(total: int, amount_minor: int, what: str) -> None:
    """Refuse an amount that would take a project's total past ``MAX_MINOR`` (the limit of any one
    amount): every total then stays exact in a 64-bit column, in SQL sums and in JSON (below 2^53)."""
    if total + amount_minor > MAX_MINOR:
        raise BadInput("amount_project_would_reach", what=what, total=total + amount_minor, max_minor=MAX_MINOR,
                       total_2=total)


def add_followup(txn: Txn, proj: ProjectRow, *, note: str, on: date, role: str | None = None,
                 contact: str | None = None, next_step: str | None = None, next_on: Any = None) -> None:
    """A follow-up note (人盯人), optionally naming the contact, the next step promised and the date
    of the next follow-up (``next_on``, not before ``on``).  A leader (``role``) may add them only on
    projects they hold a role on."""
    note = required(note, "NOTE", NOTE_LIMIT, multiline=True)
    contact = None if contact is None else required(contact, "--contact", CONTACT_LIMIT)
    next_step = None if next_step is None else required(next_step, "--next-step", NOTE_LIMIT)
    promised = None if next_on is None else day(next_on, "--next-on")
    if promised is not None and promised < on:
        raise BadInput("next_on_lies_before", promised=promised, on=on)
    if role == "leader":
        holders = txn.facts(proj).holders
        if not any(h["person_login"] == txn.actor for rows in holders.values() for h in rows):
            raise NotAllowed("is_leader_but_not", actor=txn.actor, code=proj.code)
    check_stage_allows(proj, "followup")
    check_on(txn, proj, on, transition=False)
    txn.emit(proj, FollowedUp(on=on, note=note, contact=contact, next_step=next_step, next_on=promised))
