"""The state machine of a workflow definition, built with `transitions`: the one authority on moves.

One `transitions.Machine(model=None, ...)` per definition (name, version), built once and cached. No
project is ever added to it as a model: a row is wrapped in a small `ProjectState` whose `state`
property reads and writes the row's `stage`, and the event is fired with
``machine.events[trigger].trigger(wrapper, ctx=...)``, so the machine's `models` list never grows.

Every question about moves is asked of this machine (docs/architecture.md, "The machine decides
moves"): which triggers exist from a stage (``machine.get_triggers``), where one leads
(``machine.get_transitions(trigger=..., source=...)``), and whether it may fire now (`may`, the
``may_<trigger>`` of the machine with reasons). `advance` (single writes and batches alike),
`pipeline next`, the replay of `audit verify` and the diagrams all read it; nothing else holds a
table of which trigger leads where.

Each machine transition carries its conditions:

- ``resume`` (a ``@held_from`` transition) becomes one transition on_hold -> S per stage S it may
  return to, each with a condition ``model.held_from == S`` (`_HeldFrom`);
- every guard of the definition's transition is a condition (`_Guard`) judged through the guard
  registry (`workflow.guards`) on the `GuardContext` passed as ``ctx``.

`transitions` stops at the first failing condition and gives no reason, so `may` evaluates every
guard condition of the chosen machine transition itself and reports each result.

The held-from bookkeeping (which stage ``resume`` returns to) is the machine's ``after`` callback
(`_HeldFromBookkeeping`); the rule itself is `workflow.definition.held_from_after`, which the
``transition`` event kind applies to the row (and the replay and the chain sweep follow).

Diagrams: Mermaid through a throwaway `GraphMachine(graph_engine="mermaid")` built from the same
transition specs (it needs no graphviz); DOT is written from the cached machine's states and
transitions as text (no graphviz dependency either).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from workflow import words  # the parsers of every enumerated value (docs/usage.md)
from workflow.catalogue import Message
from workflow.definition_model import Transition, WorkflowDefinition, held_from_after
from workflow.errors import BadInput, Refused
from workflow.guards import GuardContext, GuardResult, all_hold, evaluate

if TYPE_CHECKING:  # pragma: no cover
    import transitions

__all__ = ["ProjectState", "Route", "Move", "machine_for", "route", "routes", "may", "moves", "fire",
           "diagram", "DIAGRAM_FORMATS", "resolve", "open_text"]

DIAGRAM_FORMATS = ("mermaid", "dot")

_MACHINES: dict[tuple[str, int], tuple[WorkflowDefinition, Any]] = {}
_ROUTES: dict[int, tuple[Any, dict[tuple[str, str, str | None], Any]]] = {}
_LOCK = threading.Lock()


class ProjectState:
    """A plain wrapper the machine can drive: `state` is the row's `stage`, `held_from` its held-from
    stage (written by the machine's ``after`` callback)."""

    __slots__ = ("row",)

    def __init__(self, row: Any):
        self.row = row

    @property
    def state(self) -> str:
        return self.row.stage

    @state.setter
    def state(self, value: str) -> None:
        self.row.stage = value

    @property
    def held_from(self) -> str | None:
        return getattr(self.row, "held_from", None)

    @held_from.setter
    def held_from(self, value: str | None) -> None:
        self.row.held_from = value

    def __repr__(self) -> str:
        return f"ProjectState(stage={self.state!r}, held_from={self.held_from!r})"


class _HeldFrom:
    """Condition of a '@held_from' transition: the project was held from `stage`."""

    __slots__ = ("stage", "__name__")

    def __init__(self, stage: str):
        self.stage = stage
        self.__name__ = f"held_from_{stage}"  # how diagrams and markup name the condition

    def __call__(self, event: Any) -> bool:
        return event.model.held_from == self.stage


class _Guard:
    """Condition of a transition: guard `name` of the registry holds on the event's ``ctx``.

    Without a ``ctx`` (a caller that judged the guards already through `may`) it holds."""

    __slots__ = ("name", "__name__")

    def __init__(self, name: str):
        self.name = name
        self.__name__ = name

    def __call__(self, event: Any) -> bool:
        ctx = event.kwargs.get("ctx")
        return ctx is None or all_hold((self.name,), ctx)


class _HeldFromBookkeeping:
    """The machine's ``after`` callback: the model's held-from stage after the move, by
    `workflow.definition.held_from_after` (entering a paused stage records the source; leaving clears it)."""

    __slots__ = ("paused", "__name__")

    def __init__(self, paused: frozenset[str]):
        self.paused = paused
        self.__name__ = "held_from_bookkeeping"

    def __call__(self, event: Any) -> None:
        tr = event.transition
        event.model.held_from = held_from_after(self.paused, tr.source, tr.dest, event.model.held_from)


def _return_targets(defn: WorkflowDefinition, paused: str) -> list[str]:
    """The stages a project in paused stage `paused` may return to: those with a transition into it."""
    targets = [
        s.key
        for s in defn.stages
        if s.key != paused
        and not s.is_final
        and any(t.dest == paused for t in defn.transitions if s.key in t.sources)
    ]
    return targets or [s.key for s in defn.stages if s.is_active]


def _transition_specs(defn: WorkflowDefinition) -> list[dict[str, Any]]:
    """The machine's transitions, built from the definition (the only place that reads its table)."""
    paused = frozenset(s.key for s in defn.stages if s.is_paused)
    after = [_HeldFromBookkeeping(paused)]
    specs: list[dict[str, Any]] = []
    for t in defn.transitions:
        guards = [_Guard(g) for g in t.guards]
        if t.dest is not None:
            specs.append({"trigger": t.trigger, "source": list(t.sources), "dest": t.dest, "conditions": guards,
                          "after": after})
            continue
        for src in t.sources:
            for target in _return_targets(defn, src):
                specs.append({"trigger": t.trigger, "source": src, "dest": target,
                              "conditions": [_HeldFrom(target), *guards], "after": after})
    return specs


def _state_specs(defn: WorkflowDefinition) -> list[dict[str, Any]]:
    return [{"name": s.key, "final": s.is_final} for s in defn.stages]


def _build(defn: WorkflowDefinition) -> transitions.Machine:
    from transitions import Machine

    return Machine(
        model=None,
        states=_state_specs(defn),
        transitions=_transition_specs(defn),
        initial=defn.initial,  # without it Machine adds a state named 'initial'
        auto_transitions=False,
        send_event=True,
        ignore_invalid_triggers=False,
        name=f"{defn.name} v{defn.version}",
    )


def machine_for(defn: WorkflowDefinition) -> transitions.Machine:
    """The machine of `defn`, built once per (name, version) and cached."""
    key = (defn.name, defn.version)
    cached = _MACHINES.get(key)
    if cached is not None and (cached[0] is defn or cached[0] == defn):
        return cached[1]
    with _LOCK:
        cached = _MACHINES.get(key)
        if cached is not None and (cached[0] is defn or cached[0] == defn):
            return cached[1]
        machine = _build(defn)
        _MACHINES[key] = (defn, machine)
        return machine


# --- asking the machine -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Route:
    """One transition of the machine out of a stage: the definition's transition (labels, flags), the
    stage the machine leads to (None: a ``resume`` with no stage it may return to) and the guards
    among its conditions."""

    transition: Transition
    dest: str | None
    guards: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Move:
    """A `Route` judged on a project: each guard's result, and whether the machine would fire it."""

    transition: Transition
    dest: str | None
    results: tuple[GuardResult, ...]

    @property
    def allowed(self) -> bool:
        return self.dest is not None and all(r.ok for r in self.results)

    @property
    def failed(self) -> list[GuardResult]:
        return [r for r in self.results if not r.ok]


_NONE = object()


def route(defn: WorkflowDefinition, stage: str, trigger: str, held_from: str | None = None) -> Route | None:
    """Where `trigger` leads from `stage` (for a project held from `held_from`) by the machine
    (``machine.get_transitions(trigger=trigger, source=stage)`` and its held-from conditions); None
    when the machine has no such transition from `stage`.  Asked of the machine once per question
    (the replay asks it for every transition in history)."""
    machine = machine_for(defn)
    memo = _memo(machine)
    key = (stage, trigger, held_from)
    got = memo.get(key, _NONE)
    if got is _NONE:
        if len(memo) > 10_000:  # only held-from stages history should not have could grow it
            memo.clear()
        got = memo[key] = _route(defn, machine, stage, trigger, held_from)
    return got  # type: ignore[return-value]


def _route(defn: WorkflowDefinition, machine: Any, stage: str, trigger: str, held_from: str | None) -> Route | None:
    candidates = machine.get_transitions(trigger=trigger, source=stage)
    if not candidates:
        return None
    chosen = None
    for tr in candidates:
        held = [c.func for c in tr.conditions if isinstance(c.func, _HeldFrom)]
        if not held or held[0].stage == held_from:
            chosen = tr
            break
    guards = tuple(c.func.name for c in (chosen or candidates[0]).conditions if isinstance(c.func, _Guard))
    return Route(defn.transition(trigger), None if chosen is None else chosen.dest, guards)


def _memo(machine: Any) -> dict:
    """The answers the machine gave, kept with it (a rebuilt machine starts a new memo)."""
    found = _ROUTES.get(id(machine))
    if found is None or found[0] is not machine:
        found = _ROUTES[id(machine)] = (machine, {})
    return found[1]


def routes(defn: WorkflowDefinition, stage: str, held_from: str | None = None) -> list[Route]:
    """Every transition out of `stage` (``machine.get_triggers(stage)``, in definition order), asked of
    the machine once per (stage, held-from stage): every batch write resolves its trigger through it."""
    defn.stage(stage)  # BadInput for a stage the definition does not know
    machine = machine_for(defn)
    memo = _memo(machine)
    key = ("routes", stage, held_from)
    got = memo.get(key)
    if got is None:
        got = memo[key] = tuple(r for r in (route(defn, stage, t, held_from) for t in machine.get_triggers(stage))
                                if r is not None)
    return list(got)


def _judge(defn: WorkflowDefinition, found: Route, ctx: GuardContext | None,
           labels: Mapping[str, tuple[str, str]] | None) -> Move:
    results = () if ctx is None else tuple(evaluate(found.guards, ctx, defn.guard_labels if labels is None
                                                    else labels))
    return Move(found.transition, found.dest, results)


def may(defn: WorkflowDefinition, stage: str, trigger: str, held_from: str | None = None,
        ctx: GuardContext | None = None, labels: Mapping[str, tuple[str, str]] | None = None) -> Move | None:
    """The machine's ``may_<trigger>`` with reasons: the transition `trigger` takes from `stage`, with
    every guard condition evaluated on `ctx` through the guard registry (each result reported, not
    only the first failure); None when the machine has no `trigger` from `stage`."""
    found = route(defn, stage, trigger, held_from)
    return None if found is None else _judge(defn, found, ctx, labels)


def moves(defn: WorkflowDefinition, stage: str, held_from: str | None = None,
          ctx: GuardContext | None = None) -> list[Move]:
    """`may` for every trigger out of `stage` (what ``pipeline next`` shows)."""
    return [_judge(defn, r, ctx, None) for r in routes(defn, stage, held_from)]


def refusal(defn: WorkflowDefinition, stage: str, trigger: str, held_from: str | None) -> Refused:
    """Why `trigger` does not lead anywhere from `stage` (a final stage, no held-from stage to return
    to, or no such transition), naming the open triggers."""
    if defn.stage(stage).is_final:
        return Refused("final_stage_no_way_out", trigger=trigger, stage=stage)
    found = route(defn, stage, trigger, held_from)
    if found is not None and found.dest is None:
        if not held_from:
            return Refused("no_held_from_stage", trigger=trigger, stage=stage)
        return Refused("held_from_unreachable", trigger=trigger, stage=stage, held_from=held_from)
    return Refused("trigger_not_open_here", trigger=trigger, stage=stage,
                   open=list(machine_for(defn).get_triggers(stage)) or ["none"])


def fire(defn: WorkflowDefinition, row: Any, trigger: str, ctx: GuardContext | None = None) -> tuple[str, str]:
    """Move `row` (any object with `stage` and `held_from`) by `trigger` through the machine; return
    (from, to).

    With `ctx` the machine judges every guard condition on it (a refusal names each failed guard);
    without, the caller has judged them through `may`. The machine's ``after`` callback records the
    held-from stage (entering a paused stage records the source; leaving one clears it). Raises
    `BadInput` for an unknown trigger or stage and `Refused` when the trigger does not lead anywhere
    from the row's stage.
    """
    from transitions.core import MachineError

    defn.transition(trigger)  # BadInput for an unknown trigger, listing the known ones
    from_stage = row.stage
    defn.stage(from_stage)  # BadInput for a stage the definition does not know
    held_from = getattr(row, "held_from", None)
    machine = machine_for(defn)
    try:
        ok = machine.events[trigger].trigger(ProjectState(row), ctx=ctx)
    except MachineError:
        raise refusal(defn, from_stage, trigger, held_from) from None
    if not ok:
        judged = may(defn, from_stage, trigger, held_from, ctx)
        if judged is not None and judged.dest is not None and judged.failed:
            failed = judged.failed
            raise Refused("refused", [r.detail() for r in failed], trigger=trigger, reasons=[r.said for r in failed])
        raise refusal(defn, from_stage, trigger, held_from)
    return from_stage, row.stage


# --- diagrams ------------------------------------------------------------------------------------


def diagram(defn: WorkflowDefinition, fmt: str, lang: str = "en") -> str:
    """The workflow as a diagram: 'mermaid' (stateDiagram-v2) or 'dot' (Graphviz) text.

    Stages are labelled in `lang`; edges are named by trigger.
    """
    if fmt == "mermaid":
        return _mermaid(defn, lang)
    if fmt == "dot":
        return _dot(defn, lang)
    raise BadInput(
        "unknown_diagram_format_one",
        [{"field": "format", "message": Message("one_of_diagram_formats", diagram_formats=list(DIAGRAM_FORMATS))}],
        fmt=fmt, diagram_formats=list(DIAGRAM_FORMATS),
    )


def _mermaid_label(text: str) -> str:
    # a quoted Mermaid state description cannot hold '"'; '#quot;' is its entity form
    return text.replace('"', "#quot;").replace("\n", " ")


def _mermaid(defn: WorkflowDefinition, lang: str) -> str:
    from transitions import State
    from transitions.extensions.diagrams import GraphMachine
    from transitions.extensions.diagrams_mermaid import DigraphMock

    class LabelledState(State):
        def __init__(self, *args: Any, label: str | None = None, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.label = label

    class LabelledGraphMachine(GraphMachine):
        state_cls = LabelledState

    states = [
        {"name": s.key, "label": _mermaid_label(s.label(lang)), "final": s.is_final} for s in defn.stages
    ]
    machine = LabelledGraphMachine(
        model=None,
        states=states,
        transitions=_transition_specs(defn),
        initial=defn.initial,
        auto_transitions=False,
        send_event=True,
        graph_engine="mermaid",
        show_conditions=False,
        title=_mermaid_label(f"{defn.name} v{defn.version}"),
    )
    # A fresh graph of the machine, with no model and hence no 'active' stage highlighted.
    graph = machine.graph_cls(machine).get_graph()
    assert isinstance(graph, DigraphMock)  # the mermaid engine's graph: its text is ``source``
    text = graph.source.rstrip("\n")
    finals = [f"  {s.key} --> [*]" for s in defn.stages if s.is_final]
    return text + "\n" + "\n".join(finals) + "\n"


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot(defn: WorkflowDefinition, lang: str) -> str:
    """DOT text of the cached machine: its states (labelled from the definition) and its transitions."""
    machine = machine_for(defn)
    lines = [
        f"digraph {_dot_quote(f'{defn.name} v{defn.version}')} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor=white];',
        '  __start__ [shape=point, label=""];',
    ]
    for name in machine.states:
        s = defn.stage(name)
        attrs = [f"label={_dot_quote(s.label(lang))}"]
        if s.is_final:
            attrs.append("peripheries=2")
        if s.is_paused:
            attrs.append('style="rounded,filled,dashed"')
        lines.append(f"  {_dot_quote(name)} [{', '.join(attrs)}];")
    lines.append(f"  __start__ -> {_dot_quote(defn.initial)};")
    for trigger, event in machine.events.items():
        for transitions_here in event.transitions.values():
            for tr in transitions_here:
                attrs = [f"label={_dot_quote(trigger)}"]
                if any(isinstance(c.func, _HeldFrom) for c in tr.conditions):
                    attrs.append("style=dashed")
                dest = str(tr.dest)  # no internal transitions: every one names its dest
                lines.append(f"  {_dot_quote(tr.source)} -> {_dot_quote(dest)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- resolving what the user typed (``advance``) ---------------------------------------------

def resolve(defn: WorkflowDefinition, stage: str, trigger_or_stage: str, held_from: str | None = None
            ) -> Transition:
    """The transition of ``defn`` to fire from `stage` for a trigger name or a target stage key.

    A target stage is accepted when exactly one trigger leads there from `stage`. Stage and
    trigger labels (en, zh) are accepted too. An unknown word is `BadInput`; a known trigger or
    stage that is not reachable from `stage` is `Refused`, naming the stage and the open triggers.
    Which transitions exist from `stage`, and where they lead, the workflow's machine says
    (`workflow.machine.routes`): this only maps the word to them.
    """
    current = defn.stage(stage)
    word = (trigger_or_stage or "").strip()
    trigger, target = lookup_word(defn, word)
    if trigger is None and target is None:
        raise BadInput(
            "unknown_trigger_or_stage",
            [
                {"field": "trigger", "message": Message("known_triggers", triggers=list(defn.triggers))},
                {"field": "stage", "message": Message("known_stages", stage_keys=list(defn.stage_keys))},
            ], word=word, triggers=list(defn.triggers), stage_keys=list(defn.stage_keys),
        )
    out = routes(defn, stage, held_from)
    if trigger is not None:
        for r in out:
            if r.transition.trigger == trigger:
                return r.transition
        raise Refused("trigger_not_open", trigger=trigger, stage=stage, open=open_text(defn, stage, held_from))
    candidates = [r.transition for r in out if r.dest == target]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        names = [t.trigger for t in candidates]
        raise BadInput(
            "more_than_one_trigger",
            [{"field": "trigger", "message": Message("one_of", names=names)}], stage=stage, target=target,
            names=names,
        )
    if target == stage:
        raise Refused("already_at_stage", stage=current.key)
    raise Refused("stage_not_reachable_now", stage=current.key, target=target,
                  open=open_text(defn, stage, held_from))

def lookup_word(defn: WorkflowDefinition, word: str) -> tuple[str | None, str | None]:
    """(trigger, None) or (None, stage) for a key, a label or short form, or the beginning of one
    Chinese label (workflow/words.py); (None, None) if unknown or ambiguous."""
    if word in defn.triggers:
        return word, None
    if defn.has_stage(word):
        return None, word
    stages, triggers = words.stages(defn), words.triggers(defn)
    stage = stages.exact(word)
    if stage is not None:
        return None, stage
    trigger = triggers.exact(word)
    if trigger is not None:
        return trigger, None
    # the beginning of one Chinese label among both (``提交`` for ``提交审核``)
    hits = [(None, s) for s in stages.candidates(word)] + [(t, None) for t in triggers.candidates(word)]
    return hits[0] if len(hits) == 1 else (None, None)

def open_text(defn: WorkflowDefinition, stage: str, held_from: str | None) -> Message:
    """Where one may go from ``stage``: a message for a refusal."""
    if defn.stage(stage).is_final:
        return Message("stage_is_final", stage=stage)
    opened = routes(defn, stage, held_from)
    if not opened:
        return Message("no_transition_out")
    return Message("open_triggers", moves=[
        Message("trigger_leads_to", trigger=r.transition.trigger, dest=r.dest) if r.dest is not None else
        Message("trigger_leads_back", trigger=r.transition.trigger) for r in opened])
