"""The language of a run (``en`` or ``zh``), without the catalogue (``workflow.i18n``): every command
asks which language it speaks, and ``pipeline --help`` needs no label."""

from __future__ import annotations

import os


def default_lang() -> str:
    """``PIPELINE_LANG``, else ``zh`` when ``LANG``/``LC_ALL`` is Chinese, else ``en``."""
    lang = os.environ.get("PIPELINE_LANG")
    if lang:
        return "zh" if lang.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def is_zh(lang: str | None) -> bool:
    return lang is not None and lang.lower().startswith("zh")
