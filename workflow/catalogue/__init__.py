"""The one catalogue of messages: every error (and message on stderr) by a stable code, in English and
Chinese, with named fields (see docs/text-and-errors.md, "Errors by code").

The catalogue is plain TOML read with the standard library (``tomllib``): no dependency and no compile
step, and a translator edits one file.  Each table is a code::

    [no_project]
    en = "no project {code}"
    zh = "没有项目 {code}"

A field is ``{name}``, ``{name!r}`` (quoted) or ``{name:type}``; the type says how the value is shown
in each language:

==============  ==========================================  =========================================
type            English                                     Chinese
==============  ==========================================  =========================================
``date``        2026-12-06                                  2026年12月6日
``time``        a recorded UTC timestamp in local time      the same, 2026年12月6日 08:30
``money``       CNY 900,000,000.00                          90,000.00 万元 (``workflow/amounts.py``)
``stage``       the key                                     the stage's label
``stage_named`` the key and its labels, ``lead (Lead / …)``  the stage's label
``record``      what may be recorded, by key (``capital``)  its label (到位资金, 文件（合同）)
``record_label`` its English label (``documents (contract)``) the same as ``record``
``prefix``      ``P-0001: `` (nothing when empty)           ``P-0001：``
``trigger``     the key                                     the transition's label
``document``    the key                                     the document kind's label
``check``       the key                                     the check item's label
``label``       the English label (``workflow/i18n.py``)    the Chinese label
``word``        the word as given                           its Chinese (``i18n.ERROR_WORDS``/LABELS)
``list``        items joined with ", "                      items joined with "、"
``list/T``      each item as type T, joined                 the same, joined with "、"
``or/T``        items joined with " or "                    items joined with "或"
``semi/T``      items joined with "; "                      items joined with "；"
``count/A/B``   the number and word A if it is 1, else B    the number alone (the template says the
                (``{n:count/entry/entries}``: 1 entry,      measure word: ``{n:count/entry/entries} 条``)
                1,200 entries)
==============  ==========================================  =========================================

Any other format spec (``{n:,}``, ``{s:g}``) is Python's.  A value that is itself a `Message` (an
error inside a message) is rendered in the same language.
"""

from __future__ import annotations

import datetime as _dt
import functools
import pathlib
import re
import string
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

from workflow.amounts import format_money

HERE = pathlib.Path(__file__).resolve().parent
CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# What a stage may record (``workflow.definition``, ``[recording]``), by key: its labels (en, zh).
RECORD_LABELS = {
    "capital": ("capital", "到位资金"), "investment": ("investment completed", "完成投资"),
    "document": ("documents", "文件"), "check": ("screening checks", "审核检查"),
    "followup": ("follow-ups", "跟进记录"), "edit": ("edits", "修改项目信息"),
    "assignment": ("assignments", "领导分配"),
}


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """Every entry, by code, from the ``*.toml`` files beside this module (a code is defined once)."""
    out: dict[str, dict[str, str]] = {}
    for path in sorted(HERE.glob("*.toml")):
        with path.open("rb") as f:
            data = tomllib.load(f)
        for code, entry in data.items():
            if code in out:
                raise ValueError(f"{path.name}: code {code!r} is defined twice")
            out[code] = entry
    return out


def is_code(text: object) -> bool:
    return isinstance(text, str) and CODE_RE.match(text) is not None and text in catalogue()


def _zh(lang: str | None) -> bool:
    return (lang or "").lower().startswith("zh")


def _date(value: Any, zh: bool) -> str:
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, _dt.datetime):
        value = value.date()
    if not isinstance(value, _dt.date):
        return str(value)
    return f"{value.year}年{value.month}月{value.day}日" if zh else value.isoformat()


def _time(value: Any, zh: bool) -> str:
    """A recorded timestamp (UTC) in the local time zone, to the minute."""
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if not isinstance(value, _dt.datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.UTC)
    local = value.astimezone()
    if zh:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def _money(value: Any, lang: str) -> str:
    if isinstance(value, Mapping):
        return format_money(int(value["amount_minor"]), str(value["currency"]), lang)
    amount, currency = getattr(value, "amount_minor", None), getattr(value, "currency", None)
    if isinstance(amount, int) and isinstance(currency, str):
        return format_money(amount, currency, lang)
    return str(value)


# Stages, transitions, document kinds and check items are labelled by the workflow definition, a layer
# above this module: ``workflow.definition`` hands its default definition over when it is loaded (what
# raises such a message has loaded it; before that a key is shown as a word).
_DEFINITION: list[Callable[[], Any]] = []


def use_definition(default: Callable[[], Any]) -> None:
    """Label the definition's keys by ``default()``, the default workflow definition."""
    _DEFINITION[:] = [default]


def _definition_label(value: Any, of: str, lang: str) -> str:
    if not _zh(lang):
        return str(value)
    if not _DEFINITION:
        return _word(value, lang)
    try:
        return _DEFINITION[0]().label(str(value), lang, of=of)
    except Exception:  # a key of another workflow version, or a word ("none"): shown as a word
        return _word(value, lang)


def _stage_named(value: Any, lang: str) -> str:
    """A stage with its labels in English (``screening (Screening / 审核中)``), its label in Chinese."""
    try:
        stage = _DEFINITION[0]().stage(str(value))
    except Exception:  # no definition loaded yet, or a key of another workflow version
        return str(value)
    return stage.zh if _zh(lang) else f"{stage.key} ({stage.en} / {stage.zh})"


def _record(value: Any, lang: str, labelled: bool) -> str:
    """What may be recorded at a stage (``capital``, ``document:contract``): the key in English (or
    its label with ``labelled``), its label in Chinese (the document kind or check item's label too)."""
    base, _, detail = str(value).partition(":")
    if not _zh(lang) and not labelled:
        return str(value)
    pair = RECORD_LABELS.get(base)
    if pair is None:
        return _word(base, lang) + (f"（{detail}）" if detail and _zh(lang) else f" ({detail})" if detail else "")
    if not _zh(lang):
        return pair[0] + (f" ({detail})" if detail else "")
    return pair[1] + (f"（{_definition_label(detail, base, lang)}）" if detail else "")


def _word(value: Any, lang: str) -> str:
    if isinstance(value, Message):  # a phrase built with a value of its own (the control character \x1b)
        return value.text(lang)
    if not _zh(lang):
        return str(value)
    from workflow.i18n import ERROR_WORDS, LABELS

    text = str(value)
    if text in ERROR_WORDS:
        return ERROR_WORDS[text]
    pair = LABELS.get(text)
    return pair[1] if pair else text


def word(value: Any, lang: str) -> str:
    """A word (a field's name, a key) in ``lang``: its Chinese from i18n ERROR_WORDS or LABELS."""
    return _word(value, lang)


def _label(value: Any, lang: str) -> str:
    from workflow.i18n import t

    return t(str(value), lang)


def _plain(value: Any, lang: str) -> str:
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, _dt.datetime):
        return _time(value, _zh(lang))
    if isinstance(value, _dt.date):
        return _date(value, _zh(lang))
    if isinstance(value, list | tuple):
        return ("、" if _zh(lang) else ", ").join(_plain(v, lang) for v in value)
    if hasattr(value, "amount_minor") and hasattr(value, "currency"):
        return _money(value, lang)
    return str(value)


def _typed(value: Any, kind: str, lang: str) -> str:
    zh = _zh(lang)
    if kind == "date":
        return _date(value, zh)
    if kind == "time":
        return _time(value, zh)
    if kind == "money":
        return _money(value, lang)
    if kind in ("stage", "trigger", "document", "check"):
        return _definition_label(value, kind, lang)
    if kind == "stage_named":
        return _stage_named(value, lang)
    if kind in ("record", "record_label"):
        return _record(value, lang, kind == "record_label")
    if kind == "prefix":
        return f"{value}{'：' if zh else ': '}" if value else ""
    if kind == "role" or kind == "label":
        return _label(value, lang)
    if kind == "word":
        return _word(value, lang)
    if kind == "text":
        return _plain(value, lang)
    raise KeyError(kind)


# How a list is joined: (English, Chinese).
JOINERS = {"list": (", ", "、"), "or": (" or ", "或"), "semi": ("; ", "；"), "lines": ("\n", "\n")}
KINDS = {"date", "time", "money", "stage", "trigger", "document", "check", "role", "label", "word", "text",
         "stage_named", "record", "record_label", "prefix"}


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if conversion == "r":
            return repr(_plain(value, self.lang) if isinstance(value, Message) else value)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        joiner, _, item = format_spec.partition("/")
        if joiner == "count":  # {n:count/entry/entries}
            one, _, many = item.partition("/")
            number = f"{value:,}" if isinstance(value, int) else str(value)
            return number if _zh(self.lang) else f"{number} {one if value == 1 else many}"
        if joiner in JOINERS and (item in KINDS or not item):
            items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
            shown = [_typed(v, item, self.lang) if item else _plain(v, self.lang) for v in items]
            return JOINERS[joiner][_zh(self.lang)].join(shown)
        if format_spec in KINDS:
            return _typed(value, format_spec, self.lang)
        if format_spec:
            return format(value, format_spec)
        return _plain(value, self.lang)


def render(code: str, fields: Mapping[str, Any], lang: str = "en") -> str:
    """The message ``code`` with ``fields`` filled in, in ``lang`` (English unless it starts with zh)."""
    entry = catalogue()[code]
    template = entry["zh"] if _zh(lang) else entry["en"]
    return _Formatter(lang).vformat(template, (), dict(fields))


def fields_of(template: str) -> set[str]:
    """The field names a template uses."""
    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}


def json_value(value: Any) -> Any:
    """A field's value as JSON: dates ISO, money ``{"amount_minor", "currency"}``, a message by its code."""
    if isinstance(value, Message):
        return value.json()
    if isinstance(value, _dt.datetime | _dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    if hasattr(value, "amount_minor") and hasattr(value, "currency"):
        return {"amount_minor": value.amount_minor, "currency": value.currency}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


class Message:
    """A message by its code and fields: rendered in a language when shown (``text(lang)``); its
    ``str`` is the English."""

    __slots__ = ("code", "fields")

    def __init__(self, code: str, /, **fields: Any):
        if code not in catalogue():
            raise KeyError(f"no message {code!r} in the catalogue")
        self.code = code
        self.fields = fields

    def text(self, lang: str = "en") -> str:
        return render(self.code, self.fields, lang)

    def json(self) -> dict[str, Any]:
        return {"code": self.code, "fields": json_value(self.fields)}

    def __str__(self) -> str:
        return self.text("en")

    def __repr__(self) -> str:
        return f"Message({self.code!r}, **{self.fields!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Message):
            return (self.code, self.fields) == (other.code, other.fields)
        if isinstance(other, str):  # a message equals its English text (callers of the Python API compare)
            return self.text("en") == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.text("en"))


def legacy(message: str, lang: str) -> str:
    """A plain message (text built elsewhere, or an error raised without a code by code not yet
    converted): shown as written, in any language."""
    return message


def text(message: Any, lang: str = "en") -> str:
    """A message (a `Message`, or plain text) in ``lang``."""
    return message.text(lang) if isinstance(message, Message) else legacy(str(message), lang)


def detail(code: str, /, **fields: Any) -> dict[str, Any]:
    """A detail of an error (``error.details``) by its code: ``guard``, ``line``, ``field`` … and
    ``row`` are kept as keys of their own (the error's JSON shows them as today), the rest are fields."""
    keys: dict[str, Any] = {k: fields.pop(k) for k in ("guard", "line", "field", "row", "column") if k in fields}
    return {**keys, "message": Message(code, **fields)}


def detail_json(d: Any, lang: str) -> Any:
    """A detail as JSON in ``lang``: its message rendered, with its code and fields beside it."""
    if not isinstance(d, Mapping):
        return json_value(d)
    out: dict[str, Any] = {}
    zh_legacy = d.get("message_zh") if _zh(lang) else None
    for k, v in d.items():
        if k == "message_zh":
            continue
        if k == "message" and isinstance(v, Message):
            out["message"] = v.text(lang)
            out["code"] = v.code
            out["fields"] = json_value(v.fields)
        elif isinstance(v, Message):  # another message of the detail (a verify failure's problem)
            out[k] = v.text(lang)
        elif k == "message" and zh_legacy:
            out["message"] = zh_legacy
        elif k == "message" and isinstance(v, str):
            out["message"] = legacy(v, lang)
        else:
            out[k] = json_value(v)
    return out
