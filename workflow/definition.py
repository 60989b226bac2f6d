"""Workflow definitions loaded from TOML and validated (docs/usage.md, the workflow); the shipped
default.  The model they load into is ``workflow.definition_model``.

A definition is read from TOML (`load_definition`) and validated as a whole: every problem found is
reported at once in `BadInput.details` as ``{"field": ..., "message": ...}``. The default workflow
``investment`` version 1 ships as ``workflow/definitions/investment.toml`` (`default_definition`).

TOML shape (see the shipped file for a full example)::

    name = "investment"          # required
    version = 1                  # required, integer >= 1
    initial = "lead"             # optional; default: the first stage listed
    [[stages]]       key, en, zh, kind = "active" | "final" | "paused"
    [[documents]]    key, en, zh  (document kinds, for guards 'document:<key>')
    [[checks]]       key, en, zh  (screening check items, for guards 'check:<key>')
    [[transitions]]  trigger, en, zh, sources, dest, guards = [...], needs_reason = false, auto = false
    [recording]      what may be recorded in which stage (optional; default: everything in every
                     stage that is not final).  Keys: capital, investment, document, check,
                     followup, edit, assignment.  Each value: a list of stage keys or groups
                     (``@active`` ...), or for document/check ``"@needed"``: a document kind (a
                     check item) may be recorded in the source stages of the transitions whose
                     guards name it.  Final stages may never be listed: in a final stage only
                     corrections (and undo) are recorded.

``sources`` is a stage key, a list of them, or a group ``@active`` / ``@paused`` / ``@final`` (every
stage of that kind, in the order listed). ``dest`` is a stage key or ``@held_from``: the stage the
project was held from (the transition's `dest` is then None).

Standard library only; `transitions` is not needed to load a definition. Which transition may fire
from which stage is the workflow's machine's to say (`workflow.machine`), never this module's.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from functools import lru_cache
from os import PathLike
from pathlib import Path
from typing import Any

from workflow import catalogue
from workflow.catalogue import Message
from workflow.definition_model import (
    DEFAULT_NAME,
    DEFAULT_VERSION,
    HELD_FROM,
    KEY_RE,
    NEEDED,
    RECORD_KINDS,
    RETIRED,
    RETIRED_LABELS,
    STAGE_KINDS,
    Kind,
    Stage,
    Transition,
    WorkflowDefinition,
)
from workflow.errors import BadInput, os_reason
from workflow.guards import is_known_guard, known_guard_names, parse_guard

# --- loading and validation ----------------------------------------------------------------------


class _Problems:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, where: str, message: Message) -> None:
        self.items.append({"field": where, "message": message})


_TOP_KEYS = {"name", "version", "initial", "stages", "transitions", "documents", "checks", "description",
             "recording"}
_STAGE_KEYS = {"key", "en", "zh", "kind"}
_KIND_KEYS = {"key", "en", "zh"}
_TRANSITION_KEYS = {"trigger", "en", "zh", "sources", "dest", "guards", "needs_reason", "auto"}


def _text(table: dict, key: str, where: str, problems: _Problems, what: str = "label") -> str:
    """A required non-empty string field; records a problem and returns '' when it is not one."""
    if key not in table:
        problems.add(f"{where}.{key}", Message("missing", what=what, key=key))
        return ""
    value = table[key]
    if not isinstance(value, str) or not value.strip():
        problems.add(f"{where}.{key}", Message("must_be_non_empty", key=key))
        return ""
    return value


def _key(table: dict, key: str, where: str, problems: _Problems) -> str:
    value = _text(table, key, where, problems, what="key")
    if value and not KEY_RE.match(value):
        problems.add(f"{where}.{key}", Message("is_not_valid_key", value=value))
        return ""
    return value


def _unknown_keys(table: dict, allowed: set[str], where: str, problems: _Problems) -> None:
    for k in table:
        if k not in allowed:
            allowed_text = ", ".join(sorted(allowed))
            problems.add(f"{where}.{k}" if where else k, Message("unknown_key_allowed", k=k, allowed_text=allowed_text))


def _tables(data: dict, key: str, problems: _Problems, required: bool) -> list[tuple[str, dict]]:
    if key not in data:
        if required:
            problems.add(key, Message("missing_at_least_one", key=key))
        return []
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.add(key, Message("must_be_array_of", key=key))
        return []
    if required and not value:
        problems.add(key, Message("is_empty_at_least", key=key))
    return [(f"{key}[{i}]", v) for i, v in enumerate(value)]


def _kinds(data: dict, key: str, problems: _Problems) -> tuple[Kind, ...]:
    out: list[Kind] = []
    seen: set[str] = set()
    for where, table in _tables(data, key, problems, required=False):
        _unknown_keys(table, _KIND_KEYS, where, problems)
        k = _key(table, "key", where, problems)
        en = _text(table, "en", where, problems)
        zh = _text(table, "zh", where, problems)
        if k in seen:
            problems.add(f"{where}.key", Message("duplicate", key=key[:-1], k=k))
            continue
        if k:
            seen.add(k)
            out.append(Kind(k, en, zh))
    return tuple(out)


def _validate(data: dict) -> WorkflowDefinition:
    problems = _Problems()
    _unknown_keys(data, _TOP_KEYS, "", problems)

    name = data.get("name")
    if "name" not in data:
        problems.add("name", Message("missing_name"))
    elif not isinstance(name, str) or not KEY_RE.match(name):
        problems.add("name", Message("name_must_be_key"))
        name = ""

    version = data.get("version")
    if "version" not in data:
        problems.add("version", Message("missing_version"))
    elif not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.add("version", Message("version_must_be_integer"))
        version = 0

    # stages
    stages: list[Stage] = []
    stage_keys: set[str] = set()
    for where, table in _tables(data, "stages", problems, required=True):
        _unknown_keys(table, _STAGE_KEYS, where, problems)
        key = _key(table, "key", where, problems)
        en = _text(table, "en", where, problems)
        zh = _text(table, "zh", where, problems)
        kind = table.get("kind")
        if "kind" not in table:
            problems.add(f"{where}.kind", Message("missing_kind_one_of", stage_kinds=list(STAGE_KINDS)))
        elif kind not in STAGE_KINDS:
            problems.add(f"{where}.kind", Message("kind_is_not_one", kind=kind, stage_kinds=list(STAGE_KINDS)))
        if key in stage_keys:
            problems.add(f"{where}.key", Message("duplicate_stage", key=key))
            continue
        if key:
            stage_keys.add(key)
            stages.append(Stage(key, en, zh, kind if kind in STAGE_KINDS else "active"))
    if RETIRED in stage_keys:  # declared: it must be final (the project leaves the pipeline)
        if next(s.kind for s in stages if s.key == RETIRED) != "final":
            problems.add("stages", Message("versions_retired_must_be_final", retired=RETIRED))
    elif stages:  # every definition has it (docs/usage.md, "Retiring a project")
        stages.append(Stage(RETIRED, *RETIRED_LABELS, "final"))
        stage_keys.add(RETIRED)
    kinds_of = {s.key: s.kind for s in stages}

    documents = _kinds(data, "documents", problems)
    checks = _kinds(data, "checks", problems)
    document_keys = {d.key for d in documents}
    check_keys = {c.key for c in checks}

    initial = data.get("initial", stages[0].key if stages else "")
    if "initial" in data:
        if not isinstance(initial, str) or initial not in stage_keys:
            problems.add("initial", Message("initial_stage_is_not", initial=initial))
            initial = stages[0].key if stages else ""
        elif kinds_of.get(initial) != "active":
            problems.add("initial", Message("initial_stage_must_be", initial=initial))

    # transitions
    transitions: list[Transition] = []
    triggers: set[str] = set()
    for where, table in _tables(data, "transitions", problems, required=True):
        _unknown_keys(table, _TRANSITION_KEYS, where, problems)
        trigger = _key(table, "trigger", where, problems)
        en = _text(table, "en", where, problems)
        zh = _text(table, "zh", where, problems)
        if trigger in triggers:
            problems.add(f"{where}.trigger", Message("duplicate_trigger", trigger=trigger))
        elif trigger in stage_keys:
            problems.add(
                f"{where}.trigger", Message("trigger_has_name_of", trigger=trigger)
            )

        sources = _sources(table, where, stages, stage_keys, problems)
        for src in sources:
            if kinds_of.get(src) == "final":
                problems.add(
                    f"{where}.sources", Message("transition_leads_out_of", trigger=trigger or '?', src=src)
                )

        dest: str | None = None
        raw_dest = table.get("dest")
        if "dest" not in table:
            problems.add(f"{where}.dest", Message("missing_dest"))
        elif not isinstance(raw_dest, str) or not raw_dest:
            problems.add(f"{where}.dest", Message("dest_must_be_stage"))
        elif raw_dest == HELD_FROM:
            not_paused = [s for s in sources if kinds_of.get(s) != "paused"]
            if not_paused:
                problems.add(
                    f"{where}.dest",
                    Message("held_from_needs_paused", not_paused=list(not_paused)),
                )
        elif raw_dest not in stage_keys:
            problems.add(f"{where}.dest", Message("unknown_stage_in_dest", raw_dest=raw_dest))
        else:
            dest = raw_dest

        guards: list[str] = []
        raw_guards = table.get("guards", [])
        if not isinstance(raw_guards, list) or not all(isinstance(g, str) for g in raw_guards):
            problems.add(f"{where}.guards", Message("guards_must_be_list"))
            raw_guards = []
        for g in raw_guards:
            if not is_known_guard(g):
                problems.add(
                    f"{where}.guards",
                    Message("unknown_guard_known_guards", g=g, known_guard_names=list(known_guard_names())),
                )
                continue
            base, param = parse_guard(g)
            if base == "document" and param not in document_keys:
                problems.add(f"{where}.guards", Message("guard_names_undeclared_document", g=g, param=param))
            elif base == "check" and param not in check_keys:
                problems.add(f"{where}.guards", Message("guard_names_undeclared_check", g=g, param=param))
            if g in guards:
                problems.add(f"{where}.guards", Message("guard_is_listed_twice", g=g))
                continue
            guards.append(g)

        flags = {}
        for flag in ("needs_reason", "auto"):
            value = table.get(flag, False)
            if not isinstance(value, bool):
                problems.add(f"{where}.{flag}", Message("must_be_true_or", flag=flag))
                value = False
            flags[flag] = value

        if trigger and trigger not in triggers:
            triggers.add(trigger)
            transitions.append(
                Transition(
                    trigger=trigger,
                    sources=tuple(sources),
                    dest=dest,
                    guards=tuple(guards),
                    en=en,
                    zh=zh,
                    needs_reason=flags["needs_reason"],
                    auto=flags["auto"],
                )
            )

    recording = _recording(data, stages, transitions, documents, checks, problems)

    defn = WorkflowDefinition(
        recording=recording,
        name=name if isinstance(name, str) else "",
        version=version if isinstance(version, int) else 0,
        stages=tuple(stages),
        transitions=tuple(transitions),
        documents=documents,
        checks=checks,
        initial=initial if isinstance(initial, str) else "",
    )
    if stages and initial in stage_keys:
        _check_graph(defn, problems)

    if problems.items:
        raise BadInput(
            "invalid_workflow_definition_problem", problems.items, name=name or '?', n_items=len(problems.items)
        )
    return defn


def _recording(data: dict, stages: list[Stage], transitions: list[Transition], documents: tuple[Kind, ...],
               checks: tuple[Kind, ...], problems: _Problems) -> dict[str, tuple[str, ...]]:
    """The [recording] table, expanded: "capital", ..., "document:<kind>", "check:<item>" -> stages."""
    raw = data.get("recording")
    open_stages = [s.key for s in stages if s.kind != "final"]
    if raw is None:  # no [recording] table: everything in every stage that is not final
        return {f"{kind}:{p}" if p else kind: tuple(open_stages) for kind in RECORD_KINDS
                for p in ([d.key for d in documents] if kind == "document" else
                          [c.key for c in checks] if kind == "check" else [""])}
    if not isinstance(raw, dict):
        problems.add("recording", Message("recording_must_be_table"))
        return {}
    _unknown_keys(raw, set(RECORD_KINDS), "recording", problems)
    stage_keys = {s.key for s in stages}
    final = {s.key for s in stages if s.kind == "final"}
    out: dict[str, tuple[str, ...]] = {}
    for kind in RECORD_KINDS:
        where = f"recording.{kind}"
        value = raw.get(kind, [])
        params = [d.key for d in documents] if kind == "document" else [c.key for c in checks] \
            if kind == "check" else [None]
        if value == NEEDED:
            if kind not in ("document", "check"):
                problems.add(where, Message("is_only_for_document", needed=NEEDED))
                continue
            for p in params:
                needed = [src for t in transitions if f"{kind}:{p}" in t.guards for src in t.sources]
                out[f"{kind}:{p}"] = tuple(k for k in open_stages if k in needed)
            continue
        listed = _sources({"sources": value}, where, stages, stage_keys, problems) if value else []
        bad = [k for k in listed if k in final]
        if bad:
            problems.add(where, Message("final_stage_may_record", bad=list(bad)))
        chosen = tuple(k for k in listed if k not in final)
        for p in params:
            out[kind if p is None else f"{kind}:{p}"] = chosen
    return out


def _sources(
    table: dict, where: str, stages: list[Stage], stage_keys: set[str], problems: _Problems
) -> list[str]:
    if "sources" not in table:
        problems.add(f"{where}.sources", Message("missing_sources"))
        return []
    raw = table["sources"]
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw or not all(isinstance(s, str) for s in raw):
        problems.add(
            f"{where}.sources", Message("sources_must_be_stage")
        )
        return []
    out: list[str] = []
    for item in raw:
        if item.startswith("@"):
            kind = item[1:]
            if kind not in STAGE_KINDS:
                problems.add(
                    f"{where}.sources",
                    Message("unknown_group_groups", item=item, stage_kinds=['@' + k for k in STAGE_KINDS]),
                )
                continue
            expanded = [s.key for s in stages if s.kind == kind]
            if not expanded:
                problems.add(f"{where}.sources", Message("group_matches_no_stage", item=item))
        elif item in stage_keys:
            expanded = [item]
        else:
            problems.add(f"{where}.sources", Message("unknown_stage_in_sources", item=item))
            continue
        out.extend(k for k in expanded if k not in out)
    return out


def _check_graph(defn: WorkflowDefinition, problems: _Problems) -> None:
    """Every stage reachable from the initial one; no non-final stage without a way out."""
    seen = {defn.initial}
    todo = [defn.initial]
    while todo:
        here = todo.pop()
        for t in defn._from.get(here, ()):
            # '@held_from' returns to a stage the project came from, already reached.
            if t.dest is not None and t.dest not in seen:
                seen.add(t.dest)
                todo.append(t.dest)
    for i, s in enumerate(defn.stages):
        if s.key not in seen and s.key != RETIRED:  # retired is reached by `project retire`, not a move
            problems.add(
                f"stages[{i}]", Message("stage_is_not_reachable", key=s.key, initial=defn.initial)
            )
        if s.kind != "final" and not defn._from.get(s.key):
            problems.add(
                f"stages[{i}]", Message("stage_is_but_has", key=s.key, kind=s.kind)
            )


def load_definition(source: str | bytes | PathLike) -> WorkflowDefinition:
    """Load and validate a definition from a path or from TOML text.

    A `Path`/`PathLike` (or a string naming an existing ``.toml`` file) is read; any other string is
    TOML text. Raises `BadInput` whose `details` list every problem as ``{"field", "message"}``.
    """
    origin = "<text>"
    if isinstance(source, bytes):
        text = source.decode("utf-8")
    elif isinstance(source, PathLike) or (
        isinstance(source, str) and "\n" not in source and source.endswith(".toml")
    ):
        path = Path(source)
        origin = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            raise BadInput(
                "cannot_read_workflow_definition",
                [{"field": "file", "message": str(err)}], origin=origin, err=os_reason(err),
            ) from None
        except UnicodeDecodeError as err:
            raise BadInput(
                "workflow_definition_is_not_utf", [{"field": "file", "message": str(err)}], origin=origin
            ) from None
    else:
        text = source
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise BadInput(
            "workflow_definition_is_not",
            [{"field": "toml", "message": str(err)}], origin=origin, err=err,
        ) from None
    return _validate(data)


@lru_cache(maxsize=1)
def default_definition() -> WorkflowDefinition:
    """The shipped default workflow ``investment`` v1 (loaded once)."""
    from importlib.resources import files

    text = (files("workflow") / "definitions" / "investment.toml").read_text(encoding="utf-8")
    return load_definition(text)


# The deployed versions (``workflow deploy``): ``workflow.deployed`` installs a lookup over the set-up
# ledger of the database in use, so no caller of ``get_definition`` passes a connection.
_deployed: list[Callable[[str, int], WorkflowDefinition | None]] = []


def use_deployed(lookup: Callable[[str, int], WorkflowDefinition | None] | None) -> None:
    """Install (None: remove) the lookup of deployed versions ``get_definition`` asks for any other
    than the shipped default."""
    _deployed[:] = [] if lookup is None else [lookup]


def get_definition(name: str = DEFAULT_NAME, version: int = DEFAULT_VERSION) -> WorkflowDefinition:
    """The definition a project runs under: the shipped ``investment`` v1, or a version deployed in the
    database in use (docs/usage.md, "Workflow versions")."""
    if name == DEFAULT_NAME and version == DEFAULT_VERSION:
        return default_definition()
    for lookup in _deployed:
        found = lookup(name, version)
        if found is not None:
            return found
    raise BadInput(
        "unknown_workflow_version_known",
        [{"field": "workflow", "message": Message("known_v", default_name=DEFAULT_NAME,
                                                  default_version=DEFAULT_VERSION)}], name=name, version=version,
                                                  default_name=DEFAULT_NAME, default_version=DEFAULT_VERSION,
    )


catalogue.use_definition(default_definition)  # messages label stages, triggers, documents and checks
