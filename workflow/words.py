"""Enumerated values typed in either language (docs/usage.md, "Values in English or Chinese"): one
``Vocabulary`` per kind of value — stage, trigger, document kind, check item, check result, problem
kind and source, user and assignment role, report kind, light colour, person level, unit kind,
currency, event kind — accepts a value by its key, its English or Chinese label or a Chinese short
form the program prints (any case, width and spacing), and refuses anything else listing the
accepted values.  Units and people are read by ``workflow.find.unit_code`` and ``person_login``."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from workflow.amounts import CURRENCIES
from workflow.catalogue import Message
from workflow.errors import BadInput
from workflow.i18n import LABELS
from workflow.lang import is_zh
from workflow.text import fold

# The enumerated keys of the values this module parses (each kind's labels are in workflow/i18n.py).
USER_ROLES = ("coordinator", "leader", "auditor", "admin")  # the roles a login can hold (workflow/access.py)
ASSIGNMENT_ROLES = ("lead_leader", "first_responsible", "team_member")  # a project's roles (workflow/rules.py)
PROBLEM_KINDS = ("land", "energy", "environment", "funding", "permit", "power", "water", "road", "other")
PROBLEM_SOURCES = ("meeting", "instruction", "inspection", "light")
REPORT_KINDS = ("bulletin", "dispatch", "review", "evaluation")  # the reports a closed period freezes
LEVELS = ("county", "township", "department")  # a person's level
UNIT_KINDS = ("township", "department")
# the kinds of history events
EVENT_KINDS = ("registered", "edited", "transition", "check", "document", "capital", "investment", "followup",
               "assignment", "reassignment", "correction", "problem", "problem_update", "problem_extend",
               "problem_close", "problem_reopen", "letter", "year_plan", "migrated", "retired", "commitment",
               "performance")  # the kinds of history events
# the kinds of a contract commitment and its yearly actual (履约, docs/lights-and-reports.md); jobs count
# people, the others are CNY amounts (land_intensity: fixed-asset investment per 亩 of land)
PERFORMANCE_KINDS = ("output_value", "tax", "jobs", "land_intensity", "investment")
NOTE_SECTIONS = ("practices", "problems", "next")  # a report's narrative sections (workflow/reports/notes.py)
PLAN_FIELDS = ("sign", "fund", "break_ground", "commission")  # the planned milestones, in their order
RESULT_WORDS = {"pass": ("pass", "passed", "ok", "yes", "通过", "合格", "是", "符合"),
                "fail": ("fail", "failed", "no", "不通过", "不合格", "否", "不符合")}
MILESTONE_WORDS = {
    "sign": ("sign", "signing", "签约", "计划签约日期", "签约日期"),
    "fund": ("fund", "capital", "到资", "资金到位", "计划到资日期", "到资日期"),
    "break_ground": ("break_ground", "break ground", "groundbreaking", "开工", "计划开工日期", "开工日期"),
    "commission": ("commission", "production", "投产", "计划投产日期", "投产日期"),
}


def alias_key(word: Any, aliases: dict[str, tuple[str, ...]]) -> Any:
    if not isinstance(word, str):
        return word
    wanted = fold(word)
    for key, words in aliases.items():
        if wanted in (fold(w) for w in words):
            return key
    return word


def milestone_key(word: Any) -> Any:
    return alias_key(word, MILESTONE_WORDS)


# --- one parser per kind of enumerated value ------------------------------------------------------------
#
# Every command, option and import column taking a stage, trigger, document kind, check item, problem
# kind or source, role, report kind, light colour, person level, unit kind or currency parses it through
# the ``Vocabulary`` of its kind below (docs/usage.md, "Values in English or Chinese").  A value is
# accepted by its key, its English label, its Chinese label, every Chinese short form the program prints
# for it (``SHORT_FORMS``: help texts, tables), or an unambiguous beginning of a Chinese label (``提交``
# for ``提交审核``); case, width and spaces are folded.  Anything else is refused (BadInput, exit 2)
# listing the accepted values, in Chinese under ``--lang zh``.

# Chinese short forms printed for a value besides its label (the help texts of ``doc add``, ``check``…).
SHORT_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "document": {"land_use": ("用地",), "safety_assessment": ("安全评价",)},
    "check": {"environment": ("环保",)},
    "light": {"red": ("红",), "yellow": ("黄",), "green": ("绿",)},
    "currency": {"CNY": ("元",)},
    "performance_kind": {"output_value": ("产值",), "tax": ("税收",), "jobs": ("就业",),
                         "land_intensity": ("亩均投资",), "investment": ("投资",)},
}


def _folded(text: Any) -> str:
    """``fold`` without ``_`` and ``-``: ``safety_assessment`` = ``Safety assessment`` = ``safety-assessment``."""
    return fold(text).replace("_", "").replace("-", "")


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


class Vocabulary:
    """The values of one kind: ``(key, English label, Chinese label, short forms…)`` each."""

    def __init__(self, kind: str, entries: Iterable[tuple[str, str, str, tuple[str, ...]]]) -> None:
        self.kind = kind
        self.entries = [(key, en, zh, tuple(also)) for key, en, zh, also in entries]
        self.keys = tuple(key for key, _, _, _ in self.entries)
        self._keys = frozenset(self.keys)
        self._exact: dict[str, str] = {}
        for key, en, zh, also in self.entries:
            for form in (key, en, zh, *also):
                self._exact.setdefault(_folded(form), key)
        self._zh = [(key, _folded(form)) for key, _, zh, also in self.entries for form in (zh, *also)
                    if _chinese(form)]

    def forms(self, key: str) -> tuple[str, ...]:
        """Every form accepted by its full text for ``key``: the key, its labels and short forms."""
        for k, en, zh, also in self.entries:
            if k == key:
                return (k, en, zh, *also)
        return ()

    def label(self, key: str, lang: str = "en") -> str:
        for k, en, zh, _ in self.entries:
            if k == key:
                return zh if is_zh(lang) else en
        return key

    def exact(self, word: Any) -> str | None:
        """The key whose key, label or short form ``word`` is (folded), else None."""
        return self._exact.get(_folded(word)) if isinstance(word, str) else None

    def candidates(self, word: Any) -> list[str]:
        """The keys ``word`` names: one for a key, label or short form, or the keys whose Chinese label
        begins with ``word`` (two characters at least); [] when none."""
        if not isinstance(word, str):
            return []
        wanted = _folded(word)
        if not wanted:
            return []
        if wanted in self._exact:
            return [self._exact[wanted]]
        if len(wanted) < 2 or not _chinese(wanted):
            return []
        return list(dict.fromkeys(key for key, form in self._zh if form.startswith(wanted)))

    def find(self, word: Any) -> str | None:
        """The key ``word`` names unambiguously, else None."""
        hits = self.candidates(word)
        return hits[0] if len(hits) == 1 else None

    def listing(self, lang: str = "en", keys: Iterable[str] | None = None) -> str:
        """The accepted values for a message: ``key (English label)`` or ``key（中文）``."""
        wanted = None if keys is None else set(keys)
        zh = is_zh(lang)
        out = []
        for key, en, zh_label, _ in self.entries:
            if wanted is not None and key not in wanted:
                continue
            if zh:
                out.append(f"{key}（{zh_label}）" if zh_label and zh_label != key else key)
            else:
                out.append(f"{key} ({en})" if en and _folded(en) != _folded(key) else key)
        return ("、" if zh else ", ").join(out)

    def parse(self, word: Any, what: str) -> str:
        """The key ``word`` names; BadInput (exit 2) listing the accepted values otherwise (an ambiguous
        beginning lists the values it could mean)."""
        if word in self._keys:  # the usual case: the key itself
            return str(word)
        hits = self.candidates(word)
        if len(hits) == 1:
            return hits[0]
        if word is None:
            raise BadInput("must_not_be_empty", what=what)
        if not isinstance(word, str):
            raise BadInput("must_be_text_not", what=what, name=type(word).__name__)
        shown = hits or None
        fields = {"what": what, "word": word, "listed": self.listing("en", shown),
                  "listed_zh": self.listing("zh", shown)}
        accepted = list(shown or self.keys)
        if hits:
            raise BadInput("value_could_mean", [{"value": word, "accepted": accepted,
                                                 "message": Message("value_could_mean", **fields)}], **fields)
        raise BadInput("value_not_one_of", [{"value": word, "accepted": accepted,
                                             "message": Message("value_not_one_of", **fields)}], **fields)

    def optional(self, word: Any, what: str) -> str | None:
        return None if word is None else self.parse(word, what)


def _labelled(kind: str, keys: Iterable[str], prefix: str = "") -> Vocabulary:
    """A vocabulary of ``keys`` labelled by ``workflow.i18n.LABELS`` (``prefix + key``)."""
    short = SHORT_FORMS.get(kind, {})
    return Vocabulary(kind, ((k, *LABELS.get(prefix + k, (k, k)), short.get(k, ())) for k in keys))


_BUILT: dict[tuple[str, int], tuple[Any, Vocabulary]] = {}  # by the definition's identity (hashing one is slow)


def _of(kind: str, defn: Any) -> Vocabulary:
    """The vocabulary of ``kind`` (stage, trigger, document, check) of the workflow ``defn``, built once."""
    built = _BUILT.get((kind, id(defn)))
    if built is not None and built[0] is defn:
        return built[1]
    items = {"stage": defn.stages, "trigger": defn.transitions, "document": defn.documents,
             "check": defn.checks}[kind]
    vocab = _of_definition(kind, items, "trigger" if kind == "trigger" else "key")
    if len(_BUILT) > 256:  # definitions are few; a bound all the same
        _BUILT.clear()
    _BUILT[(kind, id(defn))] = (defn, vocab)  # the definition kept: its id is not reused meanwhile
    return vocab


def _of_definition(kind: str, items: Iterable[Any], key: str = "key") -> Vocabulary:
    short = SHORT_FORMS.get(kind, {})
    return Vocabulary(kind, ((getattr(i, key), i.en, i.zh, short.get(getattr(i, key), ())) for i in items))


def stages(defn: Any) -> Vocabulary:
    """The stages of the workflow ``defn`` (``workflow.definition.default_definition()``, the usual one)."""
    return _of("stage", defn)


def triggers(defn: Any) -> Vocabulary:
    return _of("trigger", defn)


def documents(defn: Any) -> Vocabulary:
    return _of("document", defn)


def checks(defn: Any) -> Vocabulary:
    return _of("check", defn)


@functools.cache
def problem_kinds() -> Vocabulary:
    return _labelled("problem_kind", PROBLEM_KINDS, "problem_kind_")


@functools.cache
def problem_sources() -> Vocabulary:
    return _labelled("problem_source", PROBLEM_SOURCES, "problem_source_")


@functools.cache
def user_roles() -> Vocabulary:
    return _labelled("user_role", USER_ROLES)


@functools.cache
def assignment_roles() -> Vocabulary:
    return _labelled("assignment_role", ASSIGNMENT_ROLES)


@functools.cache
def report_kinds() -> Vocabulary:
    return _labelled("report", REPORT_KINDS, "report_")


@functools.cache
def lights() -> Vocabulary:
    return _labelled("light", ("red", "yellow", "green"))


@functools.cache
def levels() -> Vocabulary:
    return _labelled("level", LEVELS)


@functools.cache
def unit_kinds() -> Vocabulary:
    return _labelled("unit_kind", UNIT_KINDS)


@functools.cache
def currencies() -> Vocabulary:
    names = {"CNY": ("yuan", "人民币"), "USD": ("US dollar", "美元")}
    short = SHORT_FORMS["currency"]
    return Vocabulary("currency", ((c, *names.get(c, (c, c)), short.get(c, ())) for c in CURRENCIES))


@functools.cache
def results() -> Vocabulary:
    return Vocabulary("result", ((k, k, {"pass": "通过", "fail": "不通过"}[k], words)
                                 for k, words in RESULT_WORDS.items()))


@functools.cache
def note_sections() -> Vocabulary:
    """The narrative sections of a report: 主要做法, 存在问题, 下步工作."""
    return _labelled("note_section", NOTE_SECTIONS, "note_")


@functools.cache
def performance_kinds() -> Vocabulary:
    """The kinds of a contract commitment and a yearly actual (履约)."""
    return _labelled("performance_kind", PERFORMANCE_KINDS, "perf_")


@functools.cache
def event_kinds() -> Vocabulary:
    return _labelled("event", EVENT_KINDS)
