"""Errors of the engine, each tied to one exit code of the command line (docs/usage.md, "Exit codes").

The command line maps these to exit codes in one place; the engine never exits by itself.
"""

from __future__ import annotations


class PipelineError(Exception):
    """Base of every error the engine raises on purpose."""

    code = "internal"
    exit_code = 1

    def __init__(self, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.message = message
        self.details = list(details or [])


class BadInput(PipelineError):
    """Malformed amount, date, period, unknown stage, missing option (exit 2)."""

    code = "bad_input"
    exit_code = 2


class Duplicate(BadInput):
    """The entry looks like one recorded before (same project name and investor, or the same amount
    on the same day); refused (exit 2) unless the caller says it is meant (``allow_duplicate``)."""

    code = "duplicate"


class Refused(PipelineError):
    """A transition refused by a guard or by the workflow (exit 3)."""

    code = "refused"
    exit_code = 3


class NotFound(PipelineError):
    """Project, person, unit, rule not found (exit 4)."""

    code = "not_found"
    exit_code = 4


class Conflict(PipelineError):
    """Someone else changed the project first; nothing was written (exit 5)."""

    code = "conflict"
    exit_code = 5


class NotAllowed(PipelineError):
    """Not allowed for the acting user's role (exit 6)."""

    code = "not_allowed"
    exit_code = 6


class IntegrityFailure(PipelineError):
    """History failed verification (exit 7)."""

    code = "integrity"
    exit_code = 7
