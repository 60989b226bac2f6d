"""The model of a workflow definition (docs/usage.md, the workflow): stages, document kinds and check
items, transitions, what may be recorded where, and their lookups and labels; the held-from rule of
paused stages.  Reading one from TOML is ``workflow.definition``; which transition may fire from which
stage is the workflow's machine's (``workflow.machine``)."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from workflow.catalogue import Message
from workflow.errors import BadInput, Refused

STAGE_KINDS = ("active", "final", "paused")
# The final stage every definition has, declared or not: a project retired from the pipeline (出库) by
# ``project retire``, outside the machine's moves (docs/usage.md, "Retiring a project").
RETIRED = "retired"
RETIRED_LABELS = ("Retired from the pipeline", "已出库")
HELD_FROM = "@held_from"
DEFAULT_NAME = "investment"
DEFAULT_VERSION = 1

# What a command records, as the [recording] table names it (see the module docstring).
RECORD_KINDS = ("capital", "investment", "document", "check", "followup", "edit", "assignment")
NEEDED = "@needed"

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _is_zh(lang: str | None) -> bool:
    return lang is not None and lang.lower().startswith("zh")


@dataclass(frozen=True)
class Stage:
    key: str
    en: str
    zh: str
    kind: str  # 'active' | 'final' | 'paused'

    def label(self, lang: str = "en") -> str:
        return self.zh if _is_zh(lang) else self.en

    @property
    def is_final(self) -> bool:
        return self.kind == "final"

    @property
    def is_active(self) -> bool:
        return self.kind == "active"

    @property
    def is_paused(self) -> bool:
        return self.kind == "paused"


@dataclass(frozen=True)
class Kind:
    """A document kind or a screening check item: a key with labels."""

    key: str
    en: str
    zh: str

    def label(self, lang: str = "en") -> str:
        return self.zh if _is_zh(lang) else self.en


@dataclass(frozen=True)
class Transition:
    trigger: str
    sources: tuple[str, ...]  # expanded stage keys, no '@' groups
    dest: str | None  # None: back to the stage the project was held from
    guards: tuple[str, ...] = ()
    en: str = ""
    zh: str = ""
    needs_reason: bool = False
    auto: bool = False

    def label(self, lang: str = "en") -> str:
        return self.zh if _is_zh(lang) else self.en

    @property
    def to_held_from(self) -> bool:
        return self.dest is None


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    version: int
    stages: tuple[Stage, ...]
    transitions: tuple[Transition, ...]
    documents: tuple[Kind, ...] = ()
    checks: tuple[Kind, ...] = ()
    initial: str = ""  # default: the first stage
    # what may be recorded where: "capital", "investment", "followup", "edit", "assignment", and
    # "document:<kind>" / "check:<item>" -> the stage keys (never a final one)
    recording: dict = field(default_factory=dict, compare=False, hash=False)

    _stages: dict = field(init=False, repr=False, compare=False, hash=False)
    _triggers: dict = field(init=False, repr=False, compare=False, hash=False)
    _documents: dict = field(init=False, repr=False, compare=False, hash=False)
    _checks: dict = field(init=False, repr=False, compare=False, hash=False)
    _from: dict = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        if not self.initial and self.stages:
            object.__setattr__(self, "initial", self.stages[0].key)
        object.__setattr__(self, "_stages", {s.key: s for s in self.stages})
        object.__setattr__(self, "_triggers", {t.trigger: t for t in self.transitions})
        object.__setattr__(self, "_documents", {d.key: d for d in self.documents})
        object.__setattr__(self, "_checks", {c.key: c for c in self.checks})
        outgoing: dict[str, list[Transition]] = {s.key: [] for s in self.stages}
        for t in self.transitions:
            for src in t.sources:
                outgoing.setdefault(src, []).append(t)
        object.__setattr__(self, "_from", {k: tuple(v) for k, v in outgoing.items()})

    # --- lookups -------------------------------------------------------------------------------

    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(s.key for s in self.stages)

    @property
    def triggers(self) -> tuple[str, ...]:
        return tuple(t.trigger for t in self.transitions)

    def has_stage(self, key: str) -> bool:
        return key in self._stages

    def stage(self, key: str) -> Stage:
        try:
            return self._stages[key]
        except (KeyError, TypeError):
            raise BadInput(
                "unknown_stage_known_stages",
                [{"field": "stage", "message": Message("known_stages", stage_keys=list(self.stage_keys))}], key=key,
                stage_keys=list(self.stage_keys),
            ) from None

    def transition(self, trigger: str) -> Transition:
        try:
            return self._triggers[trigger]
        except (KeyError, TypeError):
            raise BadInput(
                "unknown_trigger_known_triggers",
                [{"field": "trigger", "message": Message("known_triggers", triggers=list(self.triggers))}],
                trigger=trigger, triggers=list(self.triggers),
            ) from None

    def document(self, key: str) -> Kind:
        try:
            return self._documents[key]
        except (KeyError, TypeError):
            known = list(self._documents)
            raise BadInput(
                "unknown_document_kind_known",
                [{"field": "document", "message": Message("known_kinds", known=known)}], key=key, known=known,
            ) from None

    def check(self, key: str) -> Kind:
        try:
            return self._checks[key]
        except (KeyError, TypeError):
            known = list(self._checks)
            raise BadInput(
                "unknown_check_item_known",
                [{"field": "check", "message": Message("known_items", known=known)}], key=key, known=known,
            ) from None

    def stages_of_kind(self, kind: str) -> tuple[Stage, ...]:
        return tuple(s for s in self.stages if s.kind == kind)

    # --- what may be recorded where ------------------------------------------------------------

    def recordable(self, what: str, stage: str) -> bool:
        """Whether ``what`` ("capital", "document:contract", ...) may be recorded at ``stage``."""
        return stage in self.recording.get(what, ())

    def recordable_in(self, stage: str) -> list[str]:
        """Everything that may be recorded at ``stage`` (corrections always may)."""
        return [w for w, stages in self.recording.items() if stage in stages] + ["correction"]

    def refuse_record(self, what: str, stage: str, code: str = "") -> Refused:
        """The refusal (exit 3) for recording ``what`` at ``stage``: names the stage and what it allows."""
        self.stage(stage)  # BadInput for an unknown stage
        allowed = self.recordable_in(stage)
        elsewhere = list(self.recording.get(what, ()))
        details = [{"guard": "stage_allows", "stage": stage, "record": what, "allowed": allowed,
                    "message": Message("stage_allows", stage=stage, what=what, allowed=allowed)}]
        if elsewhere:
            return Refused("stage_forbids_record_elsewhere", details, code=code, what=what, stage=stage,
                           allowed=allowed, elsewhere=elsewhere)
        return Refused("stage_forbids_record", details, code=code, what=what, stage=stage, allowed=allowed)

    # --- labels --------------------------------------------------------------------------------

    def stage_label(self, key: str, lang: str = "en") -> str:
        return self.stage(key).label(lang)

    def trigger_label(self, trigger: str, lang: str = "en") -> str:
        return self.transition(trigger).label(lang)

    def document_label(self, key: str, lang: str = "en") -> str:
        return self.document(key).label(lang)

    def check_label(self, key: str, lang: str = "en") -> str:
        return self.check(key).label(lang)

    def label(self, key: str, lang: str = "en", of: str = "stage") -> str:
        """The label of a stage, trigger, document or check (`of`) in `lang` ('en' or 'zh')."""
        getters = {
            "stage": self.stage_label,
            "trigger": self.trigger_label,
            "document": self.document_label,
            "check": self.check_label,
        }
        if of not in getters:
            raise BadInput("unknown_label_kind_one", of=of, getters=list(getters))
        return getters[of](key, lang)

    @property
    def guard_labels(self) -> dict[str, tuple[str, str]]:
        """(en, zh) labels of every parametrized guard, for `guards.evaluate(..., labels=...)`."""
        out = {f"document:{d.key}": (d.en, d.zh) for d in self.documents}
        out.update({f"check:{c.key}": (c.en, c.zh) for c in self.checks})
        return out

    # --- output --------------------------------------------------------------------------------

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description, for `workflow show --json`."""
        return {
            "name": self.name,
            "version": self.version,
            "initial": self.initial,
            "stages": [{"key": s.key, "en": s.en, "zh": s.zh, "kind": s.kind} for s in self.stages],
            "transitions": [
                {
                    "trigger": t.trigger,
                    "en": t.en,
                    "zh": t.zh,
                    "sources": list(t.sources),
                    "dest": t.dest,
                    "to_held_from": t.dest is None,
                    "guards": list(t.guards),
                    "needs_reason": t.needs_reason,
                    "auto": t.auto,
                }
                for t in self.transitions
            ],
            "documents": [{"key": d.key, "en": d.en, "zh": d.zh} for d in self.documents],
            "checks": [{"key": c.key, "en": c.en, "zh": c.zh} for c in self.checks],
            "recording": {s.key: self.recordable_in(s.key) for s in self.stages},
        }


def held_from_after(paused: Collection[str], source: Any, dest: Any, before: str | None) -> str | None:
    """The stage a project is held from after a transition ``source`` -> ``dest`` (``paused``: the
    workflow's paused stages): entering a paused stage records where it came from (where ``resume``
    returns to), leaving one clears it, any other move keeps it.  The one rule: the machine's
    callback (``workflow.machine``), the transition event's readers (``workflow.events``), the replay
    and the chain sweep follow it."""
    if dest in paused:
        return source  # type: ignore[no-any-return]
    if source in paused:
        return None
    return before
