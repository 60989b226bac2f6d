"""The rich transition UI of ``pipeline advance CODE`` on a terminal.

It shows the project and the open transitions with every guard's result, lets the coordinator pick
one, asks for what it needs (reason, effective date), shows the change and asks to confirm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cli.context import STATE, err, out
from workflow.i18n import is_zh

if TYPE_CHECKING:
    from rich.text import Text


def _says_yes(zh: bool) -> bool:
    """A yes/no question with no default: y, yes, 是, 确认 or n, no, 否; anything else asks again."""
    from rich.prompt import Prompt

    while True:
        answer = Prompt.ask("确认？(是/否)" if zh else "Confirm? (y/n)", console=err()).strip().casefold()
        if answer in ("y", "yes", "是", "确认", "好"):
            return True
        if answer in ("n", "no", "否", "不", "取消"):
            return False
        err().print("请回答 是 或 否" if zh else "please answer y or n")


def confirm(question: str | Text, zh: bool, default: bool | None = None) -> bool:
    """rich's y/n question; under ``zh`` its hint and complaint in Chinese and 是/否 accepted too."""
    from rich.prompt import Confirm, InvalidResponse

    class ZhConfirm(Confirm):
        validate_error_message = "[prompt.invalid]请回答 y（是）或 n（否）"

        def process_response(self, value: str) -> bool:
            answer = value.strip().casefold()
            if answer in ("y", "yes", "是", "确认", "好"):
                return True
            if answer in ("n", "no", "否", "不", "取消"):
                return False
            raise InvalidResponse(self.validate_error_message)

    kind = ZhConfirm if zh else Confirm
    if default is None:
        return bool(kind.ask(question, console=err()))
    return bool(kind.ask(question, console=err(), default=default))


def _lacks(t: dict, lang: str) -> str:
    return "; ".join(g.text(lang) for g in t["guards"] if not g.ok)


def choose_transition(code: str, on: str | None, reason: str | None, expect_version: int | None):
    """Returns ``(trigger, on, reason, expect_version)``, or None when the user backs out (nothing
    changed).  Only the transitions that can run now are offered, with no default choice; the
    others are shown with what they lack.  A choice may be typed as its number, its trigger or its
    target stage, in English or Chinese."""
    from rich.prompt import Prompt

    from cli.render import open_transitions, project_card, stage_label
    from workflow.clock import effective_date, today
    from workflow.definition import default_definition
    from workflow.errors import PipelineError, Refused
    from workflow.text import fold

    lang = STATE.lang
    zh = is_zh(lang)
    svc = STATE.service(write=False)
    project_card(svc.get_project(code), lang)
    data = svc.open_transitions(code)
    code = data["code"]
    defn = default_definition()
    stage = defn.stage(data["stage"]) if defn.has_stage(data["stage"]) else None
    if stage is not None and stage.is_final:
        raise Refused("is_at_its_final", code=code, stage_label=stage_label(data['stage'], lang))
    open_transitions(data, lang)
    # A transition whose only missing piece is the reason is choosable: the reason is asked for below.
    allowed = [t for t in data["transitions"]
               if all(g.ok or (g.guard == "reason_given" and t["needs_reason"]) for g in t["guards"])]
    blocked = [t for t in data["transitions"] if t not in allowed]
    if blocked:
        out().print("暂不可执行：" if zh else "Not open now:")
        for t in blocked:
            out().print(f"  – {t['trigger']} → {stage_label(t['to'], lang)}: "
                        f"{'缺' if zh else 'lacks'} {_lacks(t, lang)}", markup=False)
    if not allowed:
        raise Refused("no_transition_is_open")
    out().print("可执行：" if zh else "Open now:")
    for i, t in enumerate(allowed, 1):
        label = t["label"]["zh" if zh else "en"]
        out().print(f"  {i}. {t['trigger']} ({label}) → {stage_label(t['to'], lang)}", markup=False)
    names: dict[str, dict] = {}
    for i, t in enumerate(allowed, 1):
        for word in (str(i), t["trigger"], t["label"]["en"], t["label"]["zh"], t["to"] or "",
                     stage_label(t["to"], "en"), stage_label(t["to"], "zh")):
            if word:
                names.setdefault(fold(word), t)
    while True:
        pick = Prompt.ask("选择操作（编号或名称）" if zh else "Transition (number or name)", console=err())
        chosen = names.get(fold(pick))
        if chosen is not None:
            break
        err().print((f"“{pick}”不是可执行的操作；请输入 1–{len(allowed)} 或操作名称" if zh else
                     f"{pick!r} is not an open transition; type 1–{len(allowed)} or its name"), markup=False)
    if chosen["needs_reason"] and not reason:
        while not reason:
            reason = Prompt.ask("原因" if zh else "Reason", console=err()).strip()
    while True:
        day = Prompt.ask("生效日期" if zh else "Effective date", console=err(),
                         default=on or today().isoformat())
        try:
            effective_date(day)
            break
        except PipelineError as exc:  # re-ask on a bad date
            err().print(exc.text(lang), style="red", markup=False)
    summary = f"{code}: {stage_label(data['stage'], lang)} → {stage_label(chosen['to'], lang)} " \
              f"({chosen['trigger']}, {day})" + (f" — {reason}" if reason else "")
    err().print(summary, style="bold", markup=False)
    if not _says_yes(zh):
        return None
    return chosen["trigger"], day, reason, expect_version if expect_version is not None else data["version"]
