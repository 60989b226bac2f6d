"""Direct coercion of plain command-line values, instead of a pydantic ``TypeAdapter`` per parameter.

typer (0.2x) coerces every parameter value through a pydantic ``TypeAdapter``.  Building the first
one imports pydantic's validation machinery: about 0.1 s, a fifth of a short command such as
``pipeline project show``, paid on every command a coordinator runs.  Almost every value we take is
a plain ``str``, a flag, a decimal ``int`` or a ``list[str]`` of repeated options, and the command line
already hands them over as strings; for those the outcome is known without pydantic.

``install()`` wraps typer's ``build_runtime_param``: a parameter annotated ``str``, ``bool``, ``int``
or ``list[str]`` (no choices, no path or file handling; a range only on an ``int``) gets a coercion
that returns the value at once when it is already what the annotation asks for (an ``int`` from plain
ASCII digits with an optional sign and surrounding blanks, within its ``min``/``max``, refused with
typer's own words when it is not).  A plain ``Path`` (a file argument, ``--output``), and each of a
``list[Path]`` (``city load FILE...``), is made from the text and handed to typer's own path checks
(exists, file or directory, readable), so it is accepted or refused with typer's message, without
the pydantic adapter typer builds first.
Anything else — ``"1e3"``, ``"٣"``, a number with
underscores, a wrong type — goes to typer's own coercion, built on first use, so it is accepted or
refused exactly as before with typer's message.  Every other parameter is built by typer as before.

If typer's internals are not what this expects, nothing is installed and typer works as it always
does, only slower; ``tests/test_startup.py`` fails in that case so that the change is noticed.  A
typer before 0.2x (0.12 on) coerces without pydantic: there is nothing to install.  What the fast
path buys, and the test proving it gives what typer gives, are in ``docs/performance.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typer._coercion import RuntimeParam, TypeDescriptor

_DECIMAL = re.compile(r"\s*[+-]?[0-9]+\s*")
_LIST_OF_STR = list[str]
_LIST_OF_PATH = list[Path]

# The bounds every whole-number option and argument declares (``min=``/``max=`` of ``typer.Option`` or
# ``typer.Argument``; ``tests/test_value_parsers.py`` walks the commands to check that each has both),
# so that a number no column can hold is refused (exit 2, naming the option and the bound) before any
# query.  Where a command narrows the range further (a year, a level, a number of days), its own check
# says so.
# PostgreSQL's ``integer`` (the ids', versions' and counts' columns) holds up to 2**31 - 1 and refuses a
# larger number even in a comparison; SQLite holds 2**63 - 1.
ID_MAX = 2**31 - 1  # ids, a project's event numbers and versions (1..ID_MAX)
INT_MAX = 2**31 - 1  # counts, priorities, days, percentages, levels, seeds (0..INT_MAX)
YEAR_MIN, YEAR_MAX = 1, 9999  # a calendar year, before the command's own check of the years it takes
_HUGE = 10**4000  # stands for a decimal too long to convert: beyond every bound


class PlainBuilder:
    """What ``typer.core.build_runtime_param`` becomes: plain values get a ``PlainRuntimeParam``,
    every other parameter what typer builds (``typer_build``)."""

    def __init__(self, typer_build: Callable[[TypeDescriptor], RuntimeParam],
                 plain: Callable[..., RuntimeParam]) -> None:
        self.typer_build = typer_build  # what it falls back to (and what tests compare with)
        self.plain = plain

    def __call__(self, descriptor: TypeDescriptor) -> RuntimeParam:
        annotation = getattr(descriptor, "annotation", None)
        try:
            ranged_int = annotation is int and not descriptor.parameter_info.clamp  # bounds checked here
            plain = ((annotation in (str, int, bool) or annotation == _LIST_OF_STR)
                     and descriptor.file_annotation is None and not descriptor.is_choice
                     and (not descriptor.is_ranged or ranged_int) and not descriptor.is_path)
            # A plain ``Path``: typer's own path checks, without the pydantic adapter it builds first.
            plain = plain or ((annotation is Path or annotation == _LIST_OF_PATH) and descriptor.file_annotation is None
                              and not descriptor.is_choice and descriptor.parameter_info.path_type is None)
        except Exception:  # noqa: BLE001 - a descriptor of another shape: leave it to typer
            plain = False
        if not plain:
            return self.typer_build(descriptor)
        return self.plain(parameter_info=descriptor.parameter_info, annotation=annotation, descriptor=descriptor)


def install() -> bool:
    """Wrap typer's per-parameter coercion builder (once); True when the fast path is in place."""
    try:
        from typer import core as typer_core
        from typer._coercion import RuntimeParam, build_runtime_param
    except ImportError:  # pragma: no cover - a typer without these modules
        return False
    current = getattr(typer_core, "build_runtime_param", None)
    if isinstance(current, PlainBuilder):
        return True
    if current is not build_runtime_param:
        return False
    from typer._click.exceptions import BadParameter

    typer_build = build_runtime_param

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """``str``, ``bool``, ``int``, ``list[str]``, ``Path`` or ``list[Path]`` values as they come; typer's
        coercion for anything else."""

        descriptor: Any = None
        _fallback: list[RuntimeParam] = field(default_factory=list, compare=False, repr=False)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if annotation is str or annotation is bool:
                if value.__class__ is annotation:
                    return value
            elif annotation is int:
                if value.__class__ is int:
                    return self._within(value, param, ctx)
                if value.__class__ is str and _DECIMAL.fullmatch(value):
                    if len(value) <= 4000:  # Python converts up to 4300 digits
                        return self._within(int(value), param, ctx)
                    negative = value.strip().startswith("-")  # a number beyond the bound on its side
                    if (self.parameter_info.min if negative else self.parameter_info.max) is not None:
                        self._within(-_HUGE if negative else _HUGE, param, ctx)
            elif annotation is Path:
                if value.__class__ is str:  # typer's checks (exists, readable …) on the Path, as it makes them
                    return self._path(value, param, ctx)
            elif annotation == _LIST_OF_PATH:
                if isinstance(value, (list, tuple)) and all(v.__class__ is str for v in value):
                    return [self._path(v, param, ctx) for v in value]  # each as a plain Path is
            elif isinstance(value, (list, tuple)) and all(v.__class__ is str for v in value):
                return list(value)
            if not self._fallback:
                self._fallback.append(typer_build(self.descriptor))
            return self._fallback[0]._coerce_value(value, param=param, ctx=ctx)

        def _path(self, value: str, param: Any, ctx: Any) -> Any:
            """``value`` made a ``Path`` and given typer's own path checks, as typer's coercion gives them."""
            from typer._param_types import coerce_cli_path

            return coerce_cli_path(Path(value), self.descriptor.parameter_info, path_type=Path, param=param, ctx=ctx)

        def _within(self, number: int, param: Any, ctx: Any) -> int:
            """``number`` if within the parameter's ``min``/``max``, else refused as typer's own
            coercion refuses it (the same words, put into Chinese by ``workflow.i18n.CLICK_ZH``)."""
            info = self.parameter_info
            if info.min is not None and number < info.min:
                raise BadParameter(f"Input should be greater than or equal to {info.min}", ctx=ctx, param=param)
            if info.max is not None and number > info.max:
                raise BadParameter(f"Input should be less than or equal to {info.max}", ctx=ctx, param=param)
            return number

    typer_core.build_runtime_param = PlainBuilder(typer_build, PlainRuntimeParam)
    return True
