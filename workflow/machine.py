"""The state machine of a workflow definition, built with `transitions` (DESIGN: "transitions, used well").

One `transitions.Machine(model=None, ...)` per definition (name, version), built once and cached. No
project is ever added to it as a model: a row is wrapped in a small `ProjectState` whose `state`
property reads and writes the row's `stage`, and the event is fired with
``machine.events[trigger].trigger(wrapper)``, so the machine's `models` list never grows.

The machine only decides which transitions exist from which stage; guards are evaluated by the
service with `workflow.guards.evaluate` before firing, because `transitions` stops at the first
failing condition and gives no reason. The one condition the machine itself checks is where
``resume`` leads: one transition on_hold -> S per stage S it may return to, each with a condition
``model.held_from == S``.

Diagrams: Mermaid through a throwaway `GraphMachine(graph_engine="mermaid")` built from the same
definition (it needs no graphviz); DOT is written here as text (no graphviz dependency either).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from workflow.catalogue import Message
from workflow.definition import Transition, WorkflowDefinition
from workflow.errors import BadInput, Refused

if TYPE_CHECKING:  # pragma: no cover
    import transitions

__all__ = ["ProjectState", "machine_for", "fire", "diagram", "DIAGRAM_FORMATS"]

DIAGRAM_FORMATS = ("mermaid", "dot")

_MACHINES: dict[tuple[str, int], tuple[WorkflowDefinition, Any]] = {}
_LOCK = threading.Lock()


class ProjectState:
    """A plain wrapper the machine can drive: `state` is the row's `stage`; `held_from` is read-only."""

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


def _return_targets(defn: WorkflowDefinition, paused: str) -> list[str]:
    """The stages a project in paused stage `paused` may return to: those with a transition into it."""
    targets = [
        s.key
        for s in defn.stages
        if s.key != paused
        and not s.is_final
        and any(t.dest == paused for t in defn.transitions_from(s.key))
    ]
    return targets or [s.key for s in defn.stages if s.is_active]


def _transition_specs(defn: WorkflowDefinition) -> list[dict[str, Any]]:
    specs: list[dict[str, Any]] = []
    for t in defn.transitions:
        if t.dest is not None:
            specs.append({"trigger": t.trigger, "source": list(t.sources), "dest": t.dest})
            continue
        for src in t.sources:
            for target in _return_targets(defn, src):
                specs.append(
                    {"trigger": t.trigger, "source": src, "dest": target, "conditions": [_HeldFrom(target)]}
                )
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


def _refusal(defn: WorkflowDefinition, stage: str, trigger: str, held_from: str | None) -> Refused:
    current = defn.stage(stage)
    if current.is_final:
        return Refused("final_stage_no_way_out", trigger=trigger, stage=stage)
    opened = defn.transitions_from(stage)
    t = defn.transition(trigger)
    if stage in t.sources and t.dest is None:
        if not held_from:
            return Refused("no_held_from_stage", trigger=trigger, stage=stage)
        return Refused("held_from_unreachable", trigger=trigger, stage=stage, held_from=held_from)
    return Refused("trigger_not_open_here", trigger=trigger, stage=stage,
                   open=[x.trigger for x in opened] or ["none"])


def fire(defn: WorkflowDefinition, row: Any, trigger: str) -> tuple[str, str]:
    """Move `row` (any object with `stage` and `held_from`) by `trigger`; return (from, to).

    Guards are not evaluated here (the service does that first). Entering a paused stage records
    ``row.held_from = from``; leaving a paused stage clears it. Raises `BadInput` for an unknown
    trigger or stage and `Refused` when the trigger does not lead anywhere from the row's stage.
    """
    from transitions.core import MachineError

    defn.transition(trigger)  # BadInput for an unknown trigger, listing the known ones
    from_stage = row.stage
    defn.stage(from_stage)  # BadInput for a stage the definition does not know
    held_from = getattr(row, "held_from", None)
    machine = machine_for(defn)
    try:
        ok = machine.events[trigger].trigger(ProjectState(row))
    except MachineError:
        raise _refusal(defn, from_stage, trigger, held_from) from None
    if not ok:
        raise _refusal(defn, from_stage, trigger, held_from)
    to_stage = row.stage
    if defn.stage(to_stage).is_paused:
        row.held_from = from_stage
    elif defn.stage(from_stage).is_paused:
        row.held_from = None
    return from_stage, to_stage


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
    lines = [
        f"digraph {_dot_quote(f'{defn.name} v{defn.version}')} {{",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded,filled", fillcolor=white];',
        '  __start__ [shape=point, label=""];',
    ]
    for s in defn.stages:
        attrs = [f"label={_dot_quote(s.label(lang))}"]
        if s.is_final:
            attrs.append("peripheries=2")
        if s.is_paused:
            attrs.append('style="rounded,filled,dashed"')
        lines.append(f"  {_dot_quote(s.key)} [{', '.join(attrs)}];")
    lines.append(f"  __start__ -> {_dot_quote(defn.initial)};")
    for t in defn.transitions:
        for src, dest in _edges(defn, t):
            attrs = [f"label={_dot_quote(t.trigger)}"]
            if t.dest is None:
                attrs.append("style=dashed")
            lines.append(f"  {_dot_quote(src)} -> {_dot_quote(dest)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _edges(defn: WorkflowDefinition, t: Transition) -> list[tuple[str, str]]:
    if t.dest is not None:
        return [(src, t.dest) for src in t.sources]
    return [(src, target) for src in t.sources for target in _return_targets(defn, src)]
