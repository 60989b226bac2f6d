"""Enumerated values typed in either language: a stage, document kind, check item, check result,
role, milestone or event kind is accepted by its key or by its English or Chinese label (any case,
width and spacing).  Each function returns the key, or the word unchanged when nothing matches, so
the caller's own check refuses it with its usual message (naming the known values)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from workflow.find import fold

PLAN_FIELDS = ("sign", "fund", "break_ground", "commission")  # the planned milestones, in their order
RESULT_WORDS = {"pass": ("pass", "passed", "ok", "yes", "通过", "合格", "是", "符合"),
                "fail": ("fail", "failed", "no", "不通过", "不合格", "否", "不符合")}
MILESTONE_WORDS = {
    "sign": ("sign", "signing", "签约", "计划签约日期", "签约日期"),
    "fund": ("fund", "capital", "到资", "资金到位", "计划到资日期", "到资日期"),
    "break_ground": ("break_ground", "break ground", "groundbreaking", "开工", "计划开工日期", "开工日期"),
    "commission": ("commission", "production", "投产", "计划投产日期", "投产日期"),
}


def kind_key(word: Any, kinds: Iterable[Any]) -> Any:
    """The key of the kind (``key``/``en``/``zh`` attributes) ``word`` names, else ``word``."""
    if not isinstance(word, str):
        return word
    wanted = fold(word)
    for k in kinds:
        if wanted in (fold(k.key), fold(k.en), fold(k.zh)):
            return k.key
    return word


def label_key(word: Any, keys: Iterable[str]) -> Any:
    """The key among ``keys`` whose key or i18n label (en or zh) ``word`` is, else ``word``."""
    from workflow.i18n import LABELS

    if not isinstance(word, str):
        return word
    wanted = fold(word)
    for key in keys:
        en, zh = LABELS.get(key, (key, key))
        if wanted in (fold(key), fold(en), fold(zh)):
            return key
    return word


def alias_key(word: Any, aliases: dict[str, tuple[str, ...]]) -> Any:
    if not isinstance(word, str):
        return word
    wanted = fold(word)
    for key, words in aliases.items():
        if wanted in (fold(w) for w in words):
            return key
    return word


def result_key(word: Any) -> Any:
    return alias_key(word, RESULT_WORDS)


def milestone_key(word: Any) -> Any:
    return alias_key(word, MILESTONE_WORDS)
