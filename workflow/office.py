"""The office's document settings (docs/lights-and-reports.md, "Documents as the office sends them"):
who issues the documents (发文机关), the county's name, the 文号 prefix and the title of each report
kind, the 抄送 list and the printing office (印发机关).

They are governed settings under ``documents.`` (admin, one set-up ledger entry per change through
``workflow.settings.record``, in force from a date); a key not set has its default.  ``read`` is the
one reader; ``number`` writes a document's 文号 from the issue numbering of closed periods
(``workflow.numbering``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection, Engine

from workflow import clock
from workflow.access import ADMIN, require
from workflow.errors import BadInput
from workflow.settings import DOCUMENTS_PREFIX, in_force, need_reason, record

PREFIX = DOCUMENTS_PREFIX
KINDS = ("bulletin", "dispatch", "review", "evaluation")
ISSUER = "县招商引资工作领导小组办公室"  # the default issuer (发文机关)
TITLES = {"bulletin": "全县招商引资项目推进情况通报", "dispatch": "全县招商引资项目推进情况调度",
          "review": "全县招商引资项目观摩情况通报", "evaluation": "全县招商引资工作考评情况通报"}
NUMBER_WORDS = {"bulletin": "招通", "dispatch": "招调", "review": "招观", "evaluation": "招考"}
DRAFT = "征求意见稿"  # printed instead of a 文号 while the period is not closed
SIMPLE = ("issuer", "county", "mark", "cc", "printer")
PERCENT_DECIMALS = "percent_decimals"  # decimals of a percentage in prose: 1 (30.7%), 0 (37%) or 2
KEYS = SIMPLE + tuple(f"prefix.{k}" for k in KINDS) + tuple(f"title.{k}" for k in KINDS) + (PERCENT_DECIMALS,)
MAX_LENGTH = 200
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CC_SPLIT = re.compile("[，,、;；]")


@dataclass(frozen=True)
class Office:
    """The settings in force: every field with its default filled in."""

    issuer: str
    county: str | None
    mark: str  # 发文机关标志: the issuer's name + 文件 unless set
    cc: tuple[str, ...]  # 抄送
    printer: str  # 印发机关
    prefixes: Mapping[str, str]  # 文号 prefix per report kind
    titles: Mapping[str, str]  # title per report kind
    stored: frozenset[str] = frozenset()  # the keys set (the others are defaults)
    percent_decimals: int = 1  # a percentage in prose: this many decimals at most (trailing zeros dropped)

    def number(self, kind: str, year: int, serial: int | None) -> str:
        """``X招通〔2026〕5号``; 征求意见稿 (a draft for comments) when there is no number yet."""
        return DRAFT if serial is None else f"{self.prefixes[kind]}〔{year}〕{serial}号"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"issuer": self.issuer, "county": self.county, "mark": self.mark,
                               "cc": list(self.cc), "printer": self.printer}
        out.update({f"prefix.{k}": v for k, v in self.prefixes.items()})
        out.update({f"title.{k}": v for k, v in self.titles.items()})
        out[PERCENT_DECIMALS] = str(self.percent_decimals)
        return out


def defaults(county: str | None = None, issuer: str | None = None) -> dict[str, Any]:
    """The value of every key when not set; the issuer and prefixes follow the county's name (新华县:
    新华县招商引资工作领导小组办公室, 新招通)."""
    who = issuer or (county + ISSUER[1:] if county else ISSUER)
    head = county[0] if county else "县"
    out: dict[str, Any] = {"issuer": who, "county": county, "mark": who + "文件", "cc": [], "printer": who}
    out.update({f"prefix.{k}": head + w for k, w in NUMBER_WORDS.items()})
    out.update({f"title.{k}": v for k, v in TITLES.items()})
    out[PERCENT_DECIMALS] = "1"
    return out


def read(conn: Connection, as_of: date | None = None) -> Office:
    """THE reader: the document settings in force on ``as_of`` (default: today), defaults filled in."""
    return from_values(stored_values(conn, as_of))


def stored_values(conn: Connection, as_of: date | None = None) -> dict[str, str]:
    """The values set and in force on ``as_of`` (keys without ``documents.``): what a close stores, so
    that a closed period's documents keep the settings of their issue (``from_values`` reads them)."""
    return {k[len(PREFIX):]: v for k, (v, _, _) in in_force(conn, as_of, PREFIX).items()}


def read_before(conn: Connection, as_of: date, entry: int) -> Office:
    """The settings in force on ``as_of`` as the set-up ledger stood before its entry ``entry`` (a
    close that did not store its settings: later entries, even dated that day, are not used)."""
    found = in_force(conn, as_of, PREFIX, before_entry=entry)
    return from_values({k[len(PREFIX):]: v for k, (v, _, _) in found.items()})


def from_values(stored: Mapping[str, str]) -> Office:
    """The settings from the stored values (keys without ``documents.``), defaults for the others."""
    base = defaults(stored.get("county"), stored.get("issuer"))
    if "printer" not in stored and "issuer" in stored:
        base["printer"] = stored["issuer"]
    value = {**base, **stored}
    cc = value["cc"] if isinstance(value["cc"], list) else [x.strip() for x in _CC_SPLIT.split(value["cc"])]
    return Office(issuer=value["issuer"], county=value["county"], mark=value["mark"], cc=tuple(x for x in cc if x),
                  printer=value["printer"], prefixes={k: value[f"prefix.{k}"] for k in KINDS},
                  titles={k: value[f"title.{k}"] for k in KINDS}, stored=frozenset(stored),
                  percent_decimals=_decimals(value[PERCENT_DECIMALS]))


def _decimals(value: object) -> int:
    """A ``percent_decimals`` value: 0, 1 or 2 (refused otherwise)."""
    text = str(value).strip()
    if text not in ("0", "1", "2"):
        raise BadInput("figures_bad_percent_decimals", value=value)
    return int(text)


def parse_args(items: Iterable[str] | None) -> dict[str, str | None]:
    """``["issuer=新华县招商局", "prefix.bulletin=新招通", "cc="]`` -> values (an empty value: back to
    the default); refuses unknown keys, bad forms and control characters."""
    out: dict[str, str | None] = {}
    for item in items or []:
        key, sep, value = str(item).partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise BadInput("document_setting_not_key_value", item=item)
        if key not in KEYS:
            raise BadInput("document_setting_unknown", key=key, known=list(KEYS))
        if len(value) > MAX_LENGTH or _BAD.search(value):
            raise BadInput("document_setting_bad_value", key=key, limit=MAX_LENGTH)
        if key == PERCENT_DECIMALS and value:
            _decimals(value)
        out[key] = value or None
    if not out:
        raise BadInput("document_setting_give_one")
    return out


def set_settings(engine: Engine, actor: str, values: Mapping[str, str | None], *, reason: str | None = None,
                 effective_on: date | None = None) -> Office:
    """Store document settings (admin) in force from ``effective_on`` (default: today); a value None
    goes back to the default.  One set-up ledger entry; returns the settings in force that day."""
    if not values:
        raise BadInput("document_setting_give_one")
    why = need_reason(reason, "change the document settings")
    day = effective_on or clock.today()
    with engine.begin() as conn:
        require(conn, actor, ADMIN, "change the document settings")
        record(conn, actor, "documents", {PREFIX + k: v for k, v in values.items()}, day, why)
        return read(conn, day)
