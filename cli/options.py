"""The options many commands share, each defined once (as sqlite-utils' ``output_options`` does).

A command takes one by annotating a parameter with its alias and giving the default::

    def history_cmd(code: str = typer.Argument(...), json: JsonFlag = False,
                    fmt: AuditFormat = None, output: OutputFile = None) -> None: ...

``typer.Option`` for ``--json``, ``--format``, ``--output``, ``--on``, ``--expect-version`` and
``--threshold`` appears in this module only (``tests/test_cli_structure.py`` checks it).  The
global options (``--db``, ``--as``, ``--lang``) belong to the root callback in ``cli/app.py``.

This module imports typer alone: every command module imports it, and ``pipeline --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

# ``-h`` as well as ``--help`` on every command and group.
CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def group(help: str) -> typer.Typer:
    """A command group (``pipeline units …``): ``-h``, and its help when called without a command."""
    return typer.Typer(help=help, context_settings=CONTEXT, no_args_is_help=True)


# --- output ------------------------------------------------------------------------------------------

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")]

OutputFile = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write the formatted output to FILE instead of stdout.")]

# The formats each kind of command writes (``cli.output.check_format`` refuses any other).
AUDIT_FORMATS = ("csv", "md", "html")
REPORT_FORMATS = ("csv", "md", "xlsx", "docx", "html")
DOCUMENT_FORMATS = ("docx", "html")  # documents to send (cli/documents.py): reports only
DIAGRAM_FORMATS = ("mermaid", "dot")


def _format_option(choices: tuple[str, ...], default: str | None = None) -> Any:
    """``--format``/``-f`` naming ``choices`` in its help (typer adds a default's ``[default: …]``);
    without a default, a table is shown."""
    names = "|".join(choices)
    notes = [] if default is not None else ["default: a table"]
    if "xlsx" in choices:
        notes.append("xlsx needs --output")
    return typer.Option("--format", "-f", metavar=names,
                        help=f"Write as {names}" + (f" ({'; '.join(notes)})." if notes else "."))


AuditFormat = Annotated[str | None, _format_option(AUDIT_FORMATS)]
ReportFormat = Annotated[str | None, _format_option(REPORT_FORMATS)]
DiagramFormat = Annotated[str, _format_option(DIAGRAM_FORMATS, default="mermaid")]

# --- recording -----------------------------------------------------------------------------------------

OnDate = Annotated[str | None, typer.Option(
    "--on", metavar="YYYY-MM-DD", help="Effective date (default: today).")]

ExpectVersion = Annotated[int | None, typer.Option(
    "--expect-version", metavar="N", help="Refuse (exit 5) unless the project is still at version N.")]

# --- lights ----------------------------------------------------------------------------------------------

Thresholds = Annotated[list[str] | None, typer.Option(
    "--threshold", metavar="NAME=DAYS",
    help="Override a warning threshold for this run, e.g. screening_red_days=12 (repeatable; see "
         "`pipeline lights show`).")]
