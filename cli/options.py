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

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.params import ID_MAX, INT_MAX

# ``-h`` as well as ``--help`` on every command and group.
CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"]}


def group(help: str) -> typer.Typer:
    """A command group (``pipeline units …``): ``-h``, and its help when called without a command."""
    return typer.Typer(help=help, context_settings=CONTEXT, no_args_is_help=True)


# --- output ------------------------------------------------------------------------------------------

JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout, nothing else.")]

def _output_option(help: str, metavar: str | None = None) -> Any:
    """``--output``/``-o``: a file (the default) or, for letters, a directory."""
    return typer.Option("--output", "-o", metavar=metavar, help=help)


OutputFile = Annotated[Path | None, _output_option("Write the formatted output to FILE instead of stdout.", "FILE")]

# A county bundle (``pipeline bundle export``): created exclusively, never through a symbolic link.
BundleFile = Annotated[Path | None, _output_option("The bundle file to write (required).", "FILE")]

# An attached file given back (``pipeline doc export``): a new file, created exclusively.
AttachmentFile = Annotated[Path | None, _output_option("A new file to write the attachment to (never overwritten; "
                                                      "required).", "FILE")]

# The formats each kind of command writes (``cli.output.check_format`` refuses any other).
AUDIT_FORMATS = ("csv", "md", "html")
REPORT_FORMATS = ("csv", "md", "xlsx", "docx", "html")
CITY_FORMATS = REPORT_FORMATS  # the city's reports (cli/city_cmds.py)
DOCUMENT_FORMATS = ("docx", "html")  # documents to send (cli/documents.py): reports only
DIAGRAM_FORMATS = ("mermaid", "dot")
LIST_FORMATS = ("csv", "md", "xlsx")  # capital list, investment list (cli/money_cmds.py)


def _format_option(choices: tuple[str, ...], default: str | None = None) -> Any:
    """``--format``/``-f`` naming ``choices`` in its help (typer adds a default's ``[default: …]``);
    without a default, a table is shown."""
    names = "|".join(choices)
    notes = [] if default is not None else ["default: a table"]
    if "xlsx" in choices:
        notes.append("xlsx and docx need --output" if "docx" in choices else "xlsx needs --output")
    return typer.Option("--format", "-f", metavar=names,
                        help=f"Write as {names}" + (f" ({'; '.join(notes)})." if notes else "."))


AuditFormat = Annotated[str | None, _format_option(AUDIT_FORMATS)]
ReportFormat = Annotated[str | None, _format_option(REPORT_FORMATS)]
CityFormat = Annotated[str | None, _format_option(CITY_FORMATS)]
ListFormat = Annotated[str | None, _format_option(LIST_FORMATS)]
DiagramFormat = Annotated[str, _format_option(DIAGRAM_FORMATS, default="mermaid")]

# Supervision letters (``pipeline supervision letters``): html (A4) or docx, into a directory.
LETTER_FORMATS = ("html", "docx")
LetterFormat = Annotated[str, _format_option(LETTER_FORMATS, default="html")]
OutputDir = Annotated[Path | None, _output_option(
    "The directory the letters are written to (created if missing).", "DIR")]

# --- recording -----------------------------------------------------------------------------------------

OnDate = Annotated[str | None, typer.Option(
    "--on", metavar="YYYY-MM-DD", help="Effective date (default: today).")]

ExpectVersion = Annotated[int | None, typer.Option(
    "--expect-version", min=1, max=ID_MAX, metavar="N",
    help="Refuse (exit 5) unless the project is still at version N.")]

AllowDuplicate = Annotated[bool, typer.Option(
    "--allow-duplicate", help="Record it even though it looks like an earlier entry (same project name and "
                              "investor; or the same amount, currency and date).")]

LateFlag = Annotated[bool, typer.Option(
    "--late", help="A late entry (补录) dated in a closed period; needs --reason TEXT.")]

LateReason = Annotated[str | None, typer.Option(
    "--reason", help="Why (required with --late: why the entry comes after its period was closed).")]


def late_entry(late: bool, reason: str | None) -> AbstractContextManager:
    """The context a write runs in: with ``--late``, a late entry (补录) for a closed period with the
    reason given (required; docs/lights-and-reports.md, "Closed periods")."""
    if not late:
        return nullcontext()
    from workflow.closed import late as late_writes

    return late_writes(reason)

# --- lights ----------------------------------------------------------------------------------------------

Thresholds = Annotated[list[str] | None, typer.Option(
    "--threshold", metavar="NAME=DAYS",
    help="Override a warning threshold for this run, e.g. screening_red_days=12 (repeatable; see "
         "`pipeline lights show`).")]

# --- finding (project list, warnings) ---------------------------------------------------------------

Search = Annotated[str | None, typer.Option(
    "--search", "-s", metavar="TEXT",
    help="Only projects whose name, investor or code contains TEXT (case-, width- and space-insensitive).")]

SortKey = Annotated[str | None, typer.Option(
    "--sort", metavar="code|name|stage|since|investment|light",
    help="Sort by this key (a leading - sorts descending, e.g. -investment; light sorts red first).")]

Limit = Annotated[int | None, typer.Option("--limit", "-n", min=0, max=INT_MAX, metavar="N",
                                           help="Show at most N projects.")]

Offset = Annotated[int, typer.Option("--offset", min=0, max=INT_MAX, metavar="N", help="Skip the first N projects.")]

NoPager = Annotated[bool, typer.Option(
    "--no-pager", help="On a terminal, print without the pager ($PAGER, default less -FRX).")]

# --- reports ---------------------------------------------------------------------------------------------

TERMINAL_ROWS = 50  # rows of a table printed on the terminal unless --all (cli/report_cmds.py)
ShowAll = Annotated[bool, typer.Option(
    "--all", help=f"Print every row of a long table (default: the first {TERMINAL_ROWS} and how many more; files "
                  "and --json always hold every row).")]

FromHistory = Annotated[bool, typer.Option(
    "--from-history", help="Compute the figures from the history events alone (projects and their records "
                           "rebuilt by replay), not from the tables; an auditor's cross-check.")]
