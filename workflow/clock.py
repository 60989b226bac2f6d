"""Today's date in the configured time zone, UTC timestamps, and date parsing."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import overload

from workflow.errors import BadInput

# The dates any command accepts (plans, effective dates, report dates, filters).
FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)


def today() -> date:
    """Today in ``PIPELINE_TZ`` (an IANA zone such as ``Asia/Shanghai``), else the machine's zone."""
    tz = os.environ.get("PIPELINE_TZ")
    if tz:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return datetime.now(ZoneInfo(tz)).date()
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise BadInput("pipeline_tz_is_not", tz=tz) from exc
    return date.today()


def local_date(ts: datetime) -> date:
    """The date of a UTC timestamp (naive: taken as UTC) in the configured time zone (``today``'s)."""
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    tz = os.environ.get("PIPELINE_TZ")
    if tz:
        from zoneinfo import ZoneInfo

        return ts.astimezone(ZoneInfo(tz)).date()
    return ts.astimezone().date()


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def parse_date(text: str | date, field: str = "date") -> date: ...
@overload
def parse_date(text: None, field: str = "date") -> None: ...
@overload
def parse_date(text: str | date | None, field: str = "date") -> date | None: ...


def parse_date(text: str | date | None, field: str = "date") -> date | None:
    """A date typed as the import reads them: ``2026-03-31``, ``2026/3/31``, ``2026.3.31`` or
    ``2026年3月31日`` (full-width digits too), within the dates accepted (``FIRST_DAY`` ..
    ``LAST_DAY``); anything else is refused naming the field."""
    if text is None:
        return text
    if isinstance(text, date):
        parsed = text
    else:
        value = str(text).strip()
        try:
            if len(value) == 10 and value[4] == "-":
                parsed = date.fromisoformat(value)
            else:
                import re
                import unicodedata

                m = re.fullmatch(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?",
                                 unicodedata.normalize("NFKC", value))
                if m is None:
                    raise ValueError
                parsed = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            raise BadInput("is_not_date_use", field=field, value=value) from None
    if not FIRST_DAY <= parsed <= LAST_DAY:
        raise BadInput("lies_outside_dates_accepted", field=field, parsed=parsed, first_day=FIRST_DAY,
                       last_day=LAST_DAY)
    return parsed


def effective_date(on: str | date | None, field: str = "--on") -> date:
    """An effective date: given or today; never in the future."""
    day = parse_date(on, field) if on is not None else today()
    now = today()
    if day > now:
        raise BadInput("lies_in_future_today", field=field, day=day, now=now)
    return day
