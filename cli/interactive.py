"""The rich transition UI of ``pipeline advance CODE`` on a terminal.

It shows the project and the open transitions with every guard's result, lets the coordinator pick
one, asks for what it needs (reason, effective date), shows the change and asks to confirm.
"""

from __future__ import annotations

from cli.context import STATE, err, out
from workflow.i18n import is_zh


def choose_transition(code: str, on: str | None, reason: str | None, expect_version: int | None):
    """Returns ``(trigger, on, reason, expect_version)`` or None when the user backs out."""
    from rich.prompt import Confirm, Prompt

    from cli.render import open_transitions, project_card, stage_label
    from workflow.clock import effective_date, today

    lang = STATE.lang
    zh = is_zh(lang)
    svc = STATE.service(write=False)
    project_card(svc.get_project(code), lang)
    data = svc.open_transitions(code)
    open_transitions(data, lang)
    # A transition whose only missing piece is the reason is choosable: the reason is asked for below.
    allowed = [t for t in data["transitions"]
               if all(g.ok or (g.guard == "reason_given" and t["needs_reason"]) for g in t["guards"])]
    if not allowed:
        err().print("没有可执行的操作：请先补齐上面标 ✗ 的条件" if zh else
                    "no transition is open: satisfy the guards marked ✗ above first")
        return None
    choices = [t["trigger"] for t in allowed]
    for i, t in enumerate(allowed, 1):
        out().print(f"  {i}. {t['trigger']} → {stage_label(t['to'], lang)}")
    pick = Prompt.ask("选择操作" if zh else "Transition", console=err(),
                      choices=[str(i) for i in range(1, len(allowed) + 1)] + choices, default="1")
    chosen = allowed[int(pick) - 1] if pick.isdigit() else next(t for t in allowed if t["trigger"] == pick)
    if chosen["needs_reason"] and not reason:
        while not reason:
            reason = Prompt.ask("原因" if zh else "Reason", console=err()).strip()
    while True:
        day = Prompt.ask("生效日期" if zh else "Effective date", console=err(),
                         default=on or today().isoformat())
        try:
            effective_date(day)
            break
        except Exception as exc:  # re-ask on a bad date
            err().print(str(exc), style="red")
    summary = f"{code}: {stage_label(data['stage'], lang)} → {stage_label(chosen['to'], lang)} " \
              f"({chosen['trigger']}, {day})" + (f" — {reason}" if reason else "")
    err().print(summary, style="bold")
    if not Confirm.ask("确认？" if zh else "Confirm?", console=err(), default=True):
        err().print("未作更改" if zh else "nothing changed")
        return None
    return chosen["trigger"], day, reason, expect_version if expect_version is not None else data["version"]
