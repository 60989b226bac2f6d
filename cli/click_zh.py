"""click's and typer's own words (``Usage:``, ``Options:``, usage errors) in Chinese under ``--lang zh``.

The words live in the one catalogue (``workflow/i18n.py`` CLICK_WORDS, CLICK_ZH).  ``use(True)``
installs, on the first Chinese run only, a ``_`` for typer.core (its section headings and notes) and a
``Context.get_help`` that translates click's lines; with ``use(False)`` both give the English as before,
so a ``pipeline shell`` may switch between languages.  English runs never import the catalogue here.
"""

from __future__ import annotations

from typing import Any

_state = {"zh": False, "installed": False}


def active() -> bool:
    return _state["zh"]


def use(zh: bool) -> None:
    """Chinese (``True``) or English click words for this run."""
    _state["zh"] = zh
    if zh and not _state["installed"]:
        _install()


def _install() -> None:
    import typer.core as typer_core

    try:  # typer 0.2x carries its own copy of click; earlier versions use the click package
        from typer._click import core as click_core
    except ImportError:
        from click import core as click_core  # type: ignore[no-redef]

    from workflow.i18n import CLICK_WORDS, click_zh

    english = typer_core._

    def gettext(message: str) -> str:
        return CLICK_WORDS.get(message, message) if _state["zh"] else english(message)

    typer_core._ = gettext  # type: ignore[attr-defined]
    get_help = click_core.Context.get_help

    def localized_help(self: Any) -> str:
        text = get_help(self)
        return click_zh(text) if _state["zh"] else text

    click_core.Context.get_help = localized_help  # type: ignore[method-assign]
    _state["installed"] = True
