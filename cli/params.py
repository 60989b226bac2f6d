"""Direct coercion of plain command-line values, instead of a pydantic ``TypeAdapter`` per parameter.

typer (0.2x) coerces every parameter value through a pydantic ``TypeAdapter``.  Building the first
one imports pydantic's validation machinery: about 0.1 s, a fifth of a short command such as
``pipeline project show``, paid on every command a coordinator runs.  Almost every value we take is
a plain ``str``, a flag, a decimal ``int`` or a ``list[str]`` of repeated options, and the command line
already hands them over as strings; for those the outcome is known without pydantic.

``install()`` wraps typer's ``build_runtime_param``: a parameter annotated ``str``, ``bool``, ``int``
or ``list[str]`` (no choices, no range, no path or file handling) gets a coercion that returns the
value at once when it is already what the annotation asks for (an ``int`` from plain ASCII digits
with an optional sign and surrounding blanks).  A plain ``Path`` (a file argument, ``--output``) is
made from the text and handed to typer's own path checks (exists, file or directory, readable), so
it is accepted or refused with typer's message, without the pydantic adapter typer builds first.
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
            plain = ((annotation in (str, int, bool) or annotation == _LIST_OF_STR)
                     and descriptor.file_annotation is None and not descriptor.is_choice
                     and not descriptor.is_ranged and not descriptor.is_path)
            # A plain ``Path``: typer's own path checks, without the pydantic adapter it builds first.
            plain = plain or (annotation is Path and descriptor.file_annotation is None and not descriptor.is_choice
                              and descriptor.parameter_info.path_type is None)
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
    typer_build = build_runtime_param

    @dataclass(frozen=True)
    class PlainRuntimeParam(RuntimeParam):
        """``str``, ``bool``, ``int`` or ``list[str]`` values as they come; typer's coercion for anything else."""

        descriptor: Any = None
        _fallback: list[RuntimeParam] = field(default_factory=list, compare=False, repr=False)

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            annotation = self.annotation
            if annotation is str or annotation is bool:
                if value.__class__ is annotation:
                    return value
            elif annotation is int:
                if value.__class__ is int:
                    return value
                if value.__class__ is str and _DECIMAL.fullmatch(value):
                    return int(value)
            elif annotation is Path:
                if value.__class__ is str:  # typer's checks (exists, readable …) on the Path, as it makes them
                    from typer._param_types import coerce_cli_path

                    return coerce_cli_path(Path(value), self.descriptor.parameter_info, path_type=Path,
                                           param=param, ctx=ctx)
            elif isinstance(value, (list, tuple)) and all(v.__class__ is str for v in value):
                return list(value)
            if not self._fallback:
                self._fallback.append(typer_build(self.descriptor))
            return self._fallback[0]._coerce_value(value, param=param, ctx=ctx)

    typer_core.build_runtime_param = PlainBuilder(typer_build, PlainRuntimeParam)
    return True
