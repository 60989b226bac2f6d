"""Rich renderers: tables, the project card, the history timeline.

On a terminal: boxes and colour; piped: plain aligned text (no box drawing, no colour).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cli.context import is_terminal, out
from workflow.amounts import compact_money, format_money
from workflow.catalogue import Message
from workflow.i18n import is_zh, t
from workflow.text import visible

LIGHT_STYLE = {"red": "bold red", "yellow": "bold yellow", "green": "green", None: "dim"}
LIGHT_DOT = {"red": "●", "yellow": "●", "green": "●", None: "-"}


def definition():
    from workflow.definition import default_definition

    return default_definition()


def stage_label(key: str | None, lang: str) -> str:
    if not key:
        return ""
    try:
        return definition().stage_label(key, lang)
    except Exception:  # a stage of another workflow version
        return key


def money_list(items: list[dict], lang: str) -> str:
    if not items:
        return format_money(0, "CNY", lang)
    return ", ".join(format_money(i["amount_minor"], i["currency"], lang) for i in items)


def light_text(light: str | None, lang: str) -> str:
    if light is None:
        return "-"
    return f"{LIGHT_DOT[light]} {t(light, lang)}" if is_terminal() else t(light, lang)


def table(columns: Sequence[str], title: str | None = None):
    from rich import box
    from rich.table import Table

    tbl = Table(title=title, box=box.ROUNDED if is_terminal() else None, header_style="bold",
                show_edge=is_terminal(), pad_edge=is_terminal())
    for c in columns:
        tbl.add_column(c, overflow="fold")  # long words and Chinese wrap; nothing is cut off
    return tbl


def print_rows(columns: Sequence[str], rows: Sequence[Sequence], title: str | None = None,
               multiline: Sequence[int] = ()) -> None:
    """A table of text cells, each shown visibly (a line break as ⏎, except in the columns whose
    indexes are in ``multiline``)."""
    tbl = table(columns, title)
    for r in rows:
        tbl.add_row(*[visible(v, multiline=i in multiline) for i, v in enumerate(r)])
    out().print(tbl)


def leader_text(leader: dict, lang: str) -> str:
    rule = rule_text(leader.get("rule_id"), leader.get("rule_version"), lang)
    return f"{t(leader['role'], lang)}: {visible(leader['name'])} [{visible(leader['login'])}]{rule}"


def project_card(view: dict, lang: str) -> None:
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    unit = view["unit"] or "-"
    if view.get("unit_name"):
        unit = f"{view['unit_name']} ({view['unit']})"
    reasons_ = view["light_reasons_zh"] if is_zh(lang) else view["light_reasons"]
    rows = [
        ("name", view["name"]), ("investor", view["investor"] or "-"), ("origin", view["origin"] or "-"),
        ("industry", view["industry"] or "-"), ("category", view["category"] or "-"),
        ("key", t("yes" if view["key"] else "no", lang)),
        ("stage", f"{stage_label(view['stage'], lang)} ({view['stage']}) · {view['stage_since']}"),
        ("unit", unit),
        ("planned_investment", money_list([view["planned_investment"]], lang)),
        ("capital_in_place", money_list(view["capital_in_place"], lang)),
        ("investment_completed", money_list(view["investment_completed"], lang)),
    ]
    for k, v in view["plan"].items():
        if v:
            rows.append((f"plan_{k}", v))
    rows.append(("leaders", "\n".join(leader_text(x, lang) for x in view["leaders"]) or "-"))
    light = light_text(view["light"], lang)
    if reasons_:
        light += "\n" + "\n".join(f"- {visible(r)}" for r in reasons_)
    rows.append(("light", light))
    if view.get("problems"):
        rows.append(("problems_open", "\n".join(problem_line(x, lang) for x in view["problems"])))
    if view.get("promised_followup"):
        rows.append(("col_next_on", view["promised_followup"]))
    rows.append(("workflow", f"{view['workflow']['name']} v{view['workflow']['version']} · "
                              f"{t('version', lang)} {view['version']}"))
    for k, v in rows:
        style = LIGHT_STYLE.get(view["light"]) if k == "light" and is_terminal() else None
        grid.add_row(t(k, lang), v if k in ("leaders", "light") else visible(v), style=style)
    if is_terminal():
        out().print(Panel(Group(grid), title=Text(visible(view["code"]), style="bold"), expand=False))
    else:
        out().print(visible(view["code"]))
        out().print(grid)


def problem_line(p: dict, lang: str) -> str:
    """One open problem in a line: id, text, owner, due date, level (plain text; escape to print)."""
    if is_zh(lang):
        return f"#{p['id']} {p['text']}（{p['owner_unit']}，{p['due']}到期，督办等级{p['level']}级）"
    return f"#{p['id']} {p['text']} ({p['owner_unit']}, due {p['due']}, level {p['level']})"


def project_list(views: list[dict], lang: str) -> None:
    cols = [t(c, lang) for c in ("code", "name", "stage", "unit", "key", "light", "leaders")]
    tbl = table(cols)
    for v in views:
        lead = next((x["name"] for x in v["leaders"] if x["role"] == "lead_leader"), "")
        tbl.add_row(visible(v["code"]), visible(v["name"]), stage_label(v["stage"], lang), visible(v["unit"]),
                    t("yes" if v["key"] else "no", lang), light_text(v["light"], lang), visible(lead),
                    style=LIGHT_STYLE.get(v["light"]) if is_terminal() and v["light"] != "green" else None)
    out().print(tbl)


def guard_lines(guards: list, lang: str) -> str:
    lines = []
    for g in guards:
        mark = "✓" if g.ok else "✗"
        lines.append(f"{mark} {g.text(lang)}")
    return "\n".join(lines) or "-"


def open_transitions(data: dict, lang: str) -> None:
    cols = [t(c, lang) for c in ("trigger", "to", "allowed", "guards")]
    tbl = table(cols, title=f"{visible(data['code'])} · {stage_label(data['stage'], lang)}")
    defn = definition()
    for tr in data["transitions"]:
        label = defn.trigger_label(tr["trigger"], lang)
        tbl.add_row(f"{tr['trigger']} ({label})" if label != tr["trigger"] else tr["trigger"],
                    stage_label(tr["to"], lang), t("yes" if tr["allowed"] else "no", lang),
                    guard_lines(tr["guards"], lang),
                    style=("green" if tr["allowed"] else "red") if is_terminal() else None)
    out().print(tbl)


def event_details(event: dict, lang: str) -> str:
    """One line saying what an event recorded: document, check, amount, assignment, changes,
    correction; a payload of an unexpected shape is shown raw."""
    try:
        return _event_details(event, lang)
    except (KeyError, TypeError, ValueError):
        import json

        return json.dumps(event.get("payload"), ensure_ascii=False)


def _event_details(event: dict, lang: str) -> str:
    p = event.get("payload") or {}
    kind = event["kind"]
    defn = definition()
    if kind == "document":
        attached = f" [{p['file']['name']} sha256 {p['file']['sha256'][:12]}…]" if p.get("file") else ""
        return f"{defn.document_label(p['document'], lang)} {p['number']}{attached}"
    if kind in ("commitment", "performance"):
        value = p["per_year"] if kind == "commitment" else p["value"]
        shown = str(value) if p["kind"] == "jobs" else format_money(value, "CNY", lang)
        if kind == "performance":
            return f"{t('perf_' + p['kind'], lang)} {p['year']}: {shown}"
        years = f"{p['from_year']}–{p['to_year'] or ''}"
        return f"{t('perf_' + p['kind'], lang)} {shown} / {'年' if is_zh(lang) else 'year'} ({years})"
    if kind == "check":
        note = f" — {p['note']}" if p.get("note") else ""
        return f"{defn.check_label(p['item'], lang)}: {t(p['result'], lang)}{note}"
    if kind in ("capital", "investment"):
        src = f" ({p['source']})" if p.get("source") else ""
        return format_money(p["amount_minor"], p["currency"], lang) + src
    if kind == "followup":
        extra = [x for x in (p.get("contact"), p.get("next_step"), p.get("next_on")) if x]
        return p.get("note", "") + (f" ({'; '.join(extra)})" if extra else "")
    if kind in ("assignment", "reassignment"):
        rule = rule_text(p.get("rule_id"), p.get("rule_version"), lang)
        rep = ((f"（接替 {p['replaces']}）" if is_zh(lang) else f" (replaces {p['replaces']})")
               if p.get("replaces") else "")
        return f"{t(p['role'], lang)}{'：' if is_zh(lang) else ': '}{p['person']}{rule}{rep}"
    if kind == "edited":
        return "; ".join(f"{k}: {v[0]} → {v[1]}" for k, v in p.get("changes", {}).items())
    if kind == "registered":
        return f"{p.get('name', '')} · {format_money(p.get('planned_investment_minor', 0), 'CNY', lang)}"
    if kind == "correction":
        text = f"更正第{p.get('corrects')}条" if is_zh(lang) else f"corrects #{p.get('corrects')}"
        if p.get("restore_stage"):
            text += f" → {stage_label(p['restore_stage'], lang)}"
        elif "amount_minor" in p:
            text += f" ({format_money(p['amount_minor'], p['currency'], lang)})"
        return text
    if kind == "transition" and p.get("auto"):
        return "automatic" if not is_zh(lang) else "自动"
    if kind == "problem":
        return f"#{p['problem']} {p['text']} → {p['owner_unit']} ({p['due']})"
    if kind.startswith("problem_"):
        due = f" → {p['due']}" if p.get("due") else ""
        return f"#{p['problem']} {p['text']}{due}"
    if kind == "letter":
        return f"{p['number']} #{p['problem']} L{p['level']} → {p['addressee']}"
    return ""


def trigger_label(key: str, lang: str) -> str:
    """A transition by its key in English, by its label in Chinese (the key of another workflow
    version as it is)."""
    if not is_zh(lang):
        return key
    try:
        return definition().trigger_label(key, lang)
    except Exception:  # a transition of another workflow version
        return key


def rule_text(rule_id: int | None, version: int | None, lang: str) -> str:
    """The leader rule that made an assignment: `` (rule 1 v2)`` / ``（规则1 第2版）``; empty for none."""
    if not rule_id:
        return ""
    return f"（规则{rule_id} 第{version}版）" if is_zh(lang) else f" (rule {rule_id} v{version})"


def event_row(event: dict, lang: str) -> list[str]:
    trig = event["trigger"] or ""
    name = t(event["kind"], lang) + (f" {trigger_label(trig, lang)}" if trig else "")
    move = ""
    if event["from"] or event["to"]:
        move = f"{stage_label(event['from'], lang) or '·'} → {stage_label(event['to'], lang)}"
    return [str(event["seq"]), event["effective_on"], event["recorded_at"][:19].replace("T", " "),
            visible(event["actor"]), name, move, visible(event["reason"], multiline=True),
            visible(event_details(event, lang), multiline=event["kind"] in MULTILINE_KINDS)]


MULTILINE_KINDS = ("followup", "check", "correction")  # their details carry a free text (note, reason)


EVENT_COLUMNS = ("seq", "effective_on", "recorded_at", "actor", "event", "from_to", "reason", "details")


# --- the board (docs/lights-and-reports.md) -------------------------------------------------------

BOARD_MAX_WIDTH = 132


def _board_label(stage: dict, lang: str, width: int) -> str:
    from rich.cells import cell_len

    label = stage["label"]["zh" if is_zh(lang) else "en"]
    if cell_len(label) <= width:
        return label
    return stage["stage"].replace("_", " ").capitalize()


def _board_counts(stage: dict, lang: str):
    from rich.text import Text

    text = Text()
    red, yellow = ("红", "黄") if is_zh(lang) else ("R:", "Y:")
    text.append(f"{red}{stage['red']}", style="bold red" if stage["red"] else "dim")
    text.append(" ")
    text.append(f"{yellow}{stage['yellow']}", style="bold yellow" if stage["yellow"] else "dim")
    return text


def board(data: dict, lang: str, *, terminal: bool | None = None, console=None) -> None:
    """The pipeline at a glance.  On a terminal: one column per active stage (count, red/yellow,
    capital in place, the most urgent projects), at most 80 columns wide on an 80-column terminal.
    Piped: a plain listing, one line per stage and per urgent project."""
    console = console or out()
    terminal = is_terminal() if terminal is None else terminal
    head = (f"{t('board', lang)} · {t('as_of', lang)} {data['as_of']} · {data['active']} "
            f"{t('active_projects', lang)} · {data['red']} {t('red', lang)} · {data['yellow']} {t('yellow', lang)}")
    if data.get("unit"):
        head += f" · {t('unit', lang)} {visible(data['unit'])}"
    if not terminal:
        _board_plain(data, lang, head, console)
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    stages = data["stages"]
    n = max(len(stages), 1)
    width = min(console.width, BOARD_MAX_WIDTH)
    colw = max((width - (n - 1)) // n, 6)
    tbl = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, 0), expand=False,
                header_style="bold", collapse_padding=True)
    for st in stages:
        tbl.add_column(_board_label(st, lang, colw), width=colw, no_wrap=True, overflow="crop")
    cells = []
    for st in stages:
        lines = [Text(f"{st['count']}" + ("个" if is_zh(lang) else ""), style="bold"), _board_counts(st, lang)]
        for m in st["capital_in_place"]:
            if m["amount_minor"] or m["currency"] == "CNY":
                lines.append(Text(compact_money(m["amount_minor"], m["currency"], lang)))
        if st["urgent"]:
            lines.append(Text("─" * min(colw, 6), style="dim"))
        for u in st["urgent"]:
            lines.append(Text(visible(u["code"]), style=LIGHT_STYLE[u["light"]]))
            name = Text(visible(u["name"]), style="dim")
            name.truncate(colw, overflow="crop")
            lines.append(name)
        cell = Text("\n").join(lines)
        cells.append(cell)
    tbl.add_row(*cells)
    title = Text(head)
    title.truncate(width, overflow="crop")
    console.print(title, style="bold", highlight=False)
    console.print(tbl, highlight=False)
    legend = ("项目数 · 红/黄灯 · 到位资金 · 最紧急项目" if is_zh(lang)
              else "count · R red / Y yellow · capital in place · most urgent first")
    console.print(legend, style="dim", highlight=False)
    _board_problems(data, lang, console)


def _board_problems(data: dict, lang: str, console) -> None:
    if data.get("problems"):
        console.print(t("problems_open", lang), style="bold", highlight=False)
        for p in data["problems"]:
            console.print(f"  {p['project']}  {problem_line(p, lang)}", highlight=False, soft_wrap=True,
                          markup=False)


def _board_plain(data: dict, lang: str, head: str, console) -> None:
    from workflow.catalogue import JOINERS

    zh = is_zh(lang)
    console.print(head, highlight=False)
    for st in data["stages"]:
        # the stage as {x:stage_named} shows it: its key and label in English, its label in Chinese
        stage = f"{st['label']['zh']}：" if zh else f"{st['stage']} ({st['label']['en']}): "
        money = money_list([m for m in st["capital_in_place"] if m["amount_minor"] or m["currency"] == "CNY"], lang)
        console.print(f"{stage}{st['count']} · {t('red', lang)} {st['red']} · "
                      f"{t('yellow', lang)} {st['yellow']} · {t('capital_in_place', lang)} {money}",
                      highlight=False, soft_wrap=True)
        for u in st["urgent"]:
            reasons = JOINERS["semi"][zh].join(visible(r) for r in u["reasons"])
            console.print(f"  {t(u['light'], lang)}  {visible(u['code'])}  {visible(u['name'])}  "
                          f"[{visible(u['unit']) or '-'}]  {reasons}",
                          highlight=False, soft_wrap=True, markup=False)
    _board_problems(data, lang, console)


def project_records(view: dict, lang: str) -> None:
    """``project show --full``: a section each for the checklist, the documents and the capital and
    investment tranches (each amount through ``format_money``); an empty section says so."""
    from workflow.definition import get_definition
    from workflow.words import checks, documents

    defn = get_definition(view["workflow"]["name"], view["workflow"]["version"])
    sections: list[tuple[str, tuple[str, ...], list[tuple[str, ...]]]] = [
        ("sec_checks", ("col_check_item", "col_result", "col_remark", "col_date"),
         [(checks(defn).label(c["item"], lang), t(c["result"], lang) if c["result"] else t("not_checked", lang),
           c["note"] or "", c["date"] or "") for c in view["checks"]]),
        ("sec_documents", ("col_doc_kind", "col_doc_number", "col_date"),
         [(documents(defn).label(d["kind"], lang), d["number"], d["date"]) for d in view["documents"]]),
        ("sec_capital", ("col_date", "col_amount", "col_currency", "col_source"),
         [(c["date"], format_money(c["amount"]["amount_minor"], c["amount"]["currency"], lang),
           c["amount"]["currency"], capital_source(c["source"], lang)) for c in view["capital"]]),
        ("sec_investment", ("col_date", "col_amount", "col_currency"),
         [(i["date"], format_money(i["amount"]["amount_minor"], i["amount"]["currency"], lang),
           i["amount"]["currency"]) for i in view["investment"]]),
    ]
    for title, cols, rows in sections:
        out().print()
        if rows:
            print_rows([t(c, lang) for c in cols], rows, title=t(title, lang))
        else:
            out().print(t("none_recorded", lang).format(title=t(title, lang)))


# The source a capital row made by a correction stores (``Corrected.derived`` in workflow/events.py):
# kept as stored, shown in the run's language.
_CORRECTION_SOURCE = re.compile(r"correction of event (\d+)")


def capital_source(source: str | None, lang: str) -> str:
    """A capital tranche's source as shown: a correction's in ``lang``, any other as given."""
    m = _CORRECTION_SOURCE.fullmatch(source or "")
    if m is None:
        return source or ""
    return Message("capital_source_correction", seq=int(m.group(1))).text(lang)
