"""The SQLModel tables.

Tables come from the Alembic migrations in ``workflow/migrations``; ``create_all`` is never used
outside the drift test.  Hot paths use the SQLAlchemy Core ``Table`` objects (``Project.__table__``)
to avoid per-row ORM overhead; the classes stay the single description of the schema.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class Unit(SQLModel, table=True):
    """A township (乡镇) or department (部门) that is responsible for projects."""

    code: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    kind: str = Field(default="township", max_length=20)
    created_at: datetime


class Person(SQLModel, table=True):
    """A leader or official who can be assigned to projects."""

    login: str = Field(primary_key=True, max_length=80)
    name: str = Field(max_length=200)
    title: str | None = Field(default=None, max_length=200)
    level: str = Field(max_length=20)  # county | township | department
    unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=40)
    cap: int | None = None  # most active key projects they may lead
    active: bool = True
    created_at: datetime


class AppUser(SQLModel, table=True):
    """A login allowed to act, with its role."""

    __tablename__ = "app_user"
    login: str = Field(primary_key=True, max_length=80)
    role: str = Field(max_length=20)  # coordinator | leader | auditor | admin
    created_at: datetime
    created_by: str = Field(max_length=80)


class Project(SQLModel, table=True):
    """One investment project; its stage is a projection of its history."""

    __table_args__ = (
        Index("ix_project_unit_stage", "unit_code", "stage"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=300)
    investor: str | None = Field(default=None, max_length=300)
    origin: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=200)
    category: str | None = Field(default=None, max_length=200)
    key: bool = False
    key_override: bool | None = None  # None: key follows the planned investment threshold
    planned_investment_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    planned_currency: str = Field(default="CNY", max_length=3)
    unit_code: str | None = Field(default=None, foreign_key="unit.code", max_length=40)
    plan_sign: date | None = None
    plan_fund: date | None = None
    plan_break_ground: date | None = None
    plan_commission: date | None = None
    stage: str = Field(max_length=40, index=True)
    stage_since: date
    held_from: str | None = Field(default=None, max_length=40)
    registered_on: date
    last_transition_on: date
    last_followup_on: date | None = None
    workflow_name: str = Field(max_length=80)
    workflow_version: int
    version: int = 1
    head_seq: int = 0
    head_hash: str = Field(max_length=64)
    created_at: datetime


class Event(SQLModel, table=True):
    """One history event: append-only, hash-chained per project."""

    __table_args__ = (
        UniqueConstraint("project_id", "seq"),
        Index("ix_event_effective_on", "effective_on"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(Integer, "sqlite"),
                                                          primary_key=True, autoincrement=True))
    project_id: int = Field(foreign_key="project.id")
    seq: int
    kind: str = Field(max_length=40)
    trigger: str | None = Field(default=None, max_length=40)
    from_stage: str | None = Field(default=None, max_length=40)
    to_stage: str | None = Field(default=None, max_length=40)
    effective_on: date
    recorded_at: datetime
    actor: str = Field(max_length=80, index=True)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    payload: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class Document(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: str = Field(max_length=40)
    number: str = Field(max_length=200)
    effective_on: date
    event_seq: int


class ScreeningCheck(SQLModel, table=True):
    __tablename__ = "screening_check"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    item: str = Field(max_length=40)
    result: str = Field(max_length=10)  # pass | fail
    note: str | None = Field(default=None, sa_column=Column(Text))
    effective_on: date
    event_seq: int


class CapitalArrival(SQLModel, table=True):
    __tablename__ = "capital_arrival"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    effective_on: date = Field(index=True)
    source: str | None = Field(default=None, max_length=300)
    event_seq: int


class InvestmentCompleted(SQLModel, table=True):
    __tablename__ = "investment_completed"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    effective_on: date = Field(index=True)
    event_seq: int


class FollowUp(SQLModel, table=True):
    __tablename__ = "followup"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    note: str = Field(sa_column=Column(Text, nullable=False))
    effective_on: date
    actor: str = Field(max_length=80)
    event_seq: int


class Rule(SQLModel, table=True):
    """A leader-assignment rule; editing makes a new version row, old rows are kept."""

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    priority: int
    name: str | None = Field(default=None, max_length=200)
    role: str = Field(max_length=40)  # lead_leader | first_responsible | team_member
    conditions: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON
    person_login: str = Field(foreign_key="person.login", max_length=80)
    active: bool = True
    current: bool = True  # the newest version of this rule id
    changed_by: str = Field(max_length=80)
    changed_at: datetime


class Assignment(SQLModel, table=True):
    """Who holds a role on a project; ended (never deleted) by a reassignment."""

    __table_args__ = (Index("ix_assignment_person_role", "person_login", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    role: str = Field(max_length=40)
    person_login: str = Field(foreign_key="person.login", max_length=80)
    rule_id: int | None = None
    rule_version: int | None = None
    assigned_on: date
    event_seq: int
    ended_on: date | None = None
    ended_seq: int | None = None


class Target(SQLModel, table=True):
    """A unit's yearly targets (目标考核)."""

    unit_code: str = Field(foreign_key="unit.code", primary_key=True, max_length=40)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    signed: int | None = None
    capital_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    foreign_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    investment_minor: int | None = Field(default=None, sa_column=Column(BigInteger))
    set_by: str = Field(max_length=80)
    set_at: datetime


class Checkpoint(SQLModel, table=True):
    """A digest over every project's chain head, for auditors to keep outside the database."""

    id: int | None = Field(default=None, primary_key=True)
    digest: str = Field(max_length=64)
    projects: int
    events: int
    heads: str = Field(sa_column=Column(Text, nullable=False))  # canonical JSON [[code, seq, hash], ...]
    at: datetime
    actor: str = Field(max_length=80)


class Setting(SQLModel, table=True):
    """Configuration stored with the data (light thresholds, time zone)."""

    key: str = Field(primary_key=True, max_length=80)
    value: str = Field(sa_column=Column(Text, nullable=False))


__all__ = [
    "AppUser", "Assignment", "CapitalArrival", "Checkpoint", "Document", "Event", "FollowUp",
    "InvestmentCompleted", "Person", "Project", "Rule", "ScreeningCheck", "Setting", "Target", "Unit",
]
