"""The database tables as SQLAlchemy Core ``Table`` objects: what the running program uses.

GENERATED from the SQLModel classes in ``workflow/models.py`` by ``python -m workflow.models``; do not
edit by hand.  Importing this module costs SQLAlchemy Core alone (no pydantic, no SQLModel, no ORM).
Tests check that it is current and that it gives the same DDL as the classes on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator):
    """SQLModel's ``UTCDateTime``: binds aware datetimes as UTC, returns them aware, in UTC."""

    impl = DateTime
    cache_ok = True

    def __init__(self) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("datetimes stored must carry a time zone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.utcoffset() is None else value.astimezone(UTC)


metadata = MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})


unit = Table(
    "unit",
    metadata,
    Column("code", String(40), primary_key=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("kind", String(20), nullable=False, default="township"),
    Column("created_at", UTCDateTime(), nullable=False),
)


person = Table(
    "person",
    metadata,
    Column("login", String(80), primary_key=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("title", String(200), nullable=True),
    Column("level", String(20), nullable=False),
    Column("unit_code", String(40), ForeignKey("unit.code"), nullable=True),
    Column("cap", Integer(), nullable=True),
    Column("active", Boolean(), nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)


app_user = Table(
    "app_user",
    metadata,
    Column("login", String(80), primary_key=True, nullable=False),
    Column("role", String(20), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("created_by", String(80), nullable=False),
    Column("disabled", Boolean(), nullable=False, default=False),
    Column("person_login", String(80), nullable=True),
)


project = Table(
    "project",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("code", String(20), nullable=False, unique=True),
    Column("name", String(300), nullable=False),
    Column("investor", String(300), nullable=True),
    Column("origin", String(200), nullable=True),
    Column("industry", String(200), nullable=True),
    Column("category", String(200), nullable=True),
    Column("key", Boolean(), nullable=False, default=False),
    Column("key_override", Boolean(), nullable=True),
    Column("planned_investment_minor", BigInteger(), nullable=False),
    Column("planned_currency", String(3), nullable=False, default="CNY"),
    Column("unit_code", String(40), ForeignKey("unit.code"), nullable=True),
    Column("plan_sign", Date(), nullable=True),
    Column("plan_fund", Date(), nullable=True),
    Column("plan_break_ground", Date(), nullable=True),
    Column("plan_commission", Date(), nullable=True),
    Column("stage", String(40), nullable=False, index=True),
    Column("stage_since", Date(), nullable=False),
    Column("held_from", String(40), nullable=True),
    Column("registered_on", Date(), nullable=False),
    Column("last_transition_on", Date(), nullable=False),
    Column("last_followup_on", Date(), nullable=True),
    Column("workflow_name", String(80), nullable=False),
    Column("workflow_version", Integer(), nullable=False),
    Column("version", Integer(), nullable=False, default=1),
    Column("head_seq", Integer(), nullable=False, default=0),
    Column("head_hash", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Index("ix_project_unit_stage", "unit_code", "stage"),
    sqlite_autoincrement=True,
)


event = Table(
    "event",
    metadata,
    Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, nullable=False,
           autoincrement=True),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("trigger", String(40), nullable=True),
    Column("from_stage", String(40), nullable=True),
    Column("to_stage", String(40), nullable=True),
    Column("effective_on", Date(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False, index=True),
    Column("reason", Text(), nullable=True),
    Column("payload", Text(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("project_id", "seq"),
    Index("ix_event_effective_on", "effective_on"),
    sqlite_autoincrement=True,
)


document = Table(
    "document",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("number", String(200), nullable=False),
    Column("effective_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
    Column("file_sha256", String(64), nullable=True),
    Column("file_name", String(255), nullable=True),
    Column("file_size", BigInteger(), nullable=True),
)


attachment_blob = Table(
    "attachment_blob",
    metadata,
    Column("sha256", String(64), primary_key=True, nullable=False),
    Column("size", BigInteger(), nullable=False),
    Column("content", Text(), nullable=False),
    Column("stored_at", UTCDateTime(), nullable=False),
)


screening_check = Table(
    "screening_check",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("item", String(40), nullable=False),
    Column("result", String(10), nullable=False),
    Column("note", Text(), nullable=True),
    Column("effective_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


capital_arrival = Table(
    "capital_arrival",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("amount_minor", BigInteger(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective_on", Date(), nullable=False, index=True),
    Column("source", String(300), nullable=True),
    Column("event_seq", Integer(), nullable=False),
)


investment_completed = Table(
    "investment_completed",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("amount_minor", BigInteger(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective_on", Date(), nullable=False, index=True),
    Column("event_seq", Integer(), nullable=False),
)


year_plan = Table(
    "year_plan",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("year", Integer(), nullable=False, index=True),
    Column("amount_minor", BigInteger(), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("effective_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


commitment = Table(
    "commitment",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("per_year", BigInteger(), nullable=False),
    Column("from_year", Integer(), nullable=False),
    Column("to_year", Integer(), nullable=True),
    Column("effective_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


performance = Table(
    "performance",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("year", Integer(), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("value", BigInteger(), nullable=False),
    Column("effective_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


followup = Table(
    "followup",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("note", Text(), nullable=False),
    Column("effective_on", Date(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("event_seq", Integer(), nullable=False),
    Column("contact", Text(), nullable=True),
    Column("next_step", Text(), nullable=True),
    Column("next_on", Date(), nullable=True),
)


problem = Table(
    "problem",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False, autoincrement=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("text", Text(), nullable=False),
    Column("owner_unit", String(40), nullable=False, index=True),
    Column("owner_person", String(80), nullable=True),
    Column("due_on", Date(), nullable=False),
    Column("source", String(20), nullable=True),
    Column("opened_on", Date(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


problem_action = Table(
    "problem_action",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("problem_id", Integer(), ForeignKey("problem.id"), nullable=False, index=True),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("text", Text(), nullable=False),
    Column("due_on", Date(), nullable=True),
    Column("effective_on", Date(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("event_seq", Integer(), nullable=False),
)


supervision_letter = Table(
    "supervision_letter",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("year", Integer(), nullable=False),
    Column("serial", Integer(), nullable=False),
    Column("number", String(40), nullable=False),
    Column("problem_id", Integer(), ForeignKey("problem.id"), nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False),
    Column("level", Integer(), nullable=False),
    Column("addressee", Text(), nullable=False),
    Column("issued_on", Date(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("event_seq", Integer(), nullable=False),
    UniqueConstraint("problem_id", "level"),
    UniqueConstraint("year", "serial"),
)


rule = Table(
    "rule",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False, autoincrement=False),
    Column("version", Integer(), primary_key=True, nullable=False, autoincrement=False),
    Column("priority", Integer(), nullable=False),
    Column("name", String(200), nullable=True),
    Column("role", String(40), nullable=False),
    Column("conditions", Text(), nullable=False),
    Column("person_login", String(80), ForeignKey("person.login"), nullable=False),
    Column("active", Boolean(), nullable=False, default=True),
    Column("current", Boolean(), nullable=False, default=True),
    Column("changed_by", String(80), nullable=False),
    Column("changed_at", UTCDateTime(), nullable=False),
    Column("effective_on", Date(), nullable=False, default=date(1, 1, 1)),
)


assignment = Table(
    "assignment",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("project_id", Integer(), ForeignKey("project.id"), nullable=False, index=True),
    Column("role", String(40), nullable=False),
    Column("person_login", String(80), ForeignKey("person.login"), nullable=False),
    Column("rule_id", Integer(), nullable=True),
    Column("rule_version", Integer(), nullable=True),
    Column("assigned_on", Date(), nullable=False),
    Column("event_seq", Integer(), nullable=False),
    Column("ended_on", Date(), nullable=True),
    Column("ended_seq", Integer(), nullable=True),
    Index("ix_assignment_person_role", "person_login", "role"),
)


target = Table(
    "target",
    metadata,
    Column("unit_code", String(40), ForeignKey("unit.code"), primary_key=True, nullable=False),
    Column("year", Integer(), primary_key=True, nullable=False, autoincrement=False),
    Column("signed", Integer(), nullable=True),
    Column("capital_minor", BigInteger(), nullable=True),
    Column("foreign_minor", BigInteger(), nullable=True),
    Column("investment_minor", BigInteger(), nullable=True),
    Column("set_by", String(80), nullable=False),
    Column("set_at", UTCDateTime(), nullable=False),
)


checkpoint = Table(
    "checkpoint",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("projects", Integer(), nullable=False),
    Column("events", Integer(), nullable=False),
    Column("heads", Text(), nullable=False),
    Column("at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
)


ledger = Table(
    "ledger",
    metadata,
    Column("seq", Integer(), primary_key=True, nullable=False, autoincrement=False),
    Column("kind", String(40), nullable=False),
    Column("target", String(80), nullable=False, index=True),
    Column("payload", Text(), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("actor", String(80), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("after_event", BigInteger(), nullable=True),
)


setting = Table(
    "setting",
    metadata,
    Column("key", String(80), primary_key=True, nullable=False),
    Column("entry", Integer(), primary_key=True, nullable=False, autoincrement=False, default=0),
    Column("value", Text(), nullable=True),
    Column("effective_on", Date(), nullable=True),
)


city_key = Table(
    "city_key",
    metadata,
    Column("id", Integer(), primary_key=True, nullable=False),
    Column("county", String(40), nullable=False, index=True),
    Column("public_key", String(100), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("added_by", String(80), nullable=False),
    Column("added_at", UTCDateTime(), nullable=False),
    UniqueConstraint("county", "public_key"),
)


city_county = Table(
    "city_county",
    metadata,
    Column("code", String(40), primary_key=True, nullable=False),
    Column("name", String(200), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("events", Integer(), nullable=False),
    Column("projects", Integer(), nullable=False),
    Column("ledger_entries", Integer(), nullable=False),
    Column("public_key", String(100), nullable=False),
    Column("signed", Text(), nullable=False),
    Column("signature", String(200), nullable=False),
    Column("loaded_at", UTCDateTime(), nullable=False),
    Column("loaded_by", String(80), nullable=False),
)


city_event = Table(
    "city_event",
    metadata,
    Column("county", String(40), primary_key=True, nullable=False),
    Column("id", BigInteger(), primary_key=True, nullable=False, autoincrement=False),
    Column("project_id", Integer(), nullable=False),
    Column("project_code", String(20), nullable=False),
    Column("seq", Integer(), nullable=False),
    Column("kind", String(40), nullable=False),
    Column("trigger", String(40), nullable=True),
    Column("from_stage", String(40), nullable=True),
    Column("to_stage", String(40), nullable=True),
    Column("effective_on", Date(), nullable=False),
    Column("recorded_at", UTCDateTime(), nullable=False),
    Column("actor", String(80), nullable=False),
    Column("reason", Text(), nullable=True),
    Column("payload", Text(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)


city_project = Table(
    "city_project",
    metadata,
    Column("county", String(40), primary_key=True, nullable=False),
    Column("code", String(20), primary_key=True, nullable=False),
    Column("name", String(300), nullable=False),
    Column("investor", String(300), nullable=True),
    Column("unit_code", String(40), nullable=True),
    Column("stage", String(40), nullable=False),
    Column("key", Boolean(), nullable=False, default=False),
    Column("planned_investment_minor", BigInteger(), nullable=False),
    Column("registered_on", Date(), nullable=False),
    Column("head_seq", Integer(), nullable=False),
)


city_figure = Table(
    "city_figure",
    metadata,
    Column("county", String(40), primary_key=True, nullable=False),
    Column("month", String(7), primary_key=True, nullable=False),
    Column("as_of", Date(), nullable=False),
    Column("figures", Text(), nullable=False),
)


city_replica = Table(
    "city_replica",
    metadata,
    Column("county", String(40), primary_key=True, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("schema_revision", String(20), nullable=False),
    Column("events", Integer(), nullable=False),
    Column("content", LargeBinary(), nullable=False),
)

__all__ = ["metadata", "UTCDateTime", "unit", "person", "app_user", "project", "event", "document",
           "attachment_blob", "screening_check", "capital_arrival", "investment_completed", "year_plan",
           "commitment", "performance", "followup", "problem", "problem_action", "supervision_letter", "rule",
           "assignment", "target", "checkpoint", "ledger", "setting", "city_key", "city_county", "city_event",
           "city_project", "city_figure", "city_replica"]
