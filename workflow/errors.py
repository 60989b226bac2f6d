"""Errors of the engine, each tied to one exit code of the command line (docs/usage.md, "Exit codes"),
each message named by a code of the one catalogue (docs/text-and-errors.md, "Errors by code").

The command line maps these to exit codes in one place; the engine never exits by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from workflow.catalogue import Message, is_code, legacy  # noqa: F811 - at run time

if TYPE_CHECKING:
    from workflow.catalogue import Message


class PipelineError(Exception):
    """Base of every error the engine raises on purpose.

    Raised by code: ``raise NotFound("no_project", code=code)`` — the first argument is a code of the
    one catalogue (``workflow/catalogue/*.toml``), the keywords its named fields; the message is
    rendered from the catalogue in the language of the run (``text(lang)``; ``message`` and ``str``
    are the English).  ``details`` (failed guards, an import's problems) each carry their own message,
    a `workflow.catalogue.Message` (see ``workflow.catalogue.detail``).  The class gives the exit code
    and the ``kind`` (bad_input, refused, …); the code names the message.
    """

    kind = "internal"
    exit_code = 1
    code: str
    fields: dict[str, object]
    message_obj: Message | None

    def __init__(self, code: str | Message, /, details: list[dict] | None = None, **fields: object):
        if isinstance(code, Message):  # a message built elsewhere (a helper's argument)
            self.code, self.fields, self.message_obj = code.code, dict(code.fields), code
        elif is_code(code):
            self.code = str(code)
            self.fields = dict(fields)
            self.message_obj = Message(str(code), **fields)
        else:  # a plain message (code not yet converted to the catalogue): shown as written
            self.code = self.kind
            self.fields = {}
            self.message_obj = None
            self._plain = str(code)
        self.details = list(details or [])
        # keys a command prints beside ``{"error": …}`` under --json (what it did before the error:
        # ``city load``'s bundles kept, docs/city.md)
        self.beside: dict[str, object] = {}
        super().__init__(self.message)

    def __reduce__(self):  # pickled (a worker process's error) with its code, fields and details
        if self.message_obj is None:
            return (type(self), (self._plain, self.details))
        return (_rebuild, (type(self), self.message_obj, self.details))

    @property
    def message(self) -> str:
        """The English message."""
        return self.text("en")

    def text(self, lang: str = "en") -> str:
        """The message in ``lang``."""
        if self.message_obj is not None:
            return self.message_obj.text(lang)

        return legacy(self._plain, lang)

    def as_message(self) -> object:
        """The message as a value for another message or a detail: a `Message`, or the plain text."""
        return self.message_obj if self.message_obj is not None else self._plain

    def wrap(self, code: str, /, **fields: object) -> None:
        """Put this error's message inside another (``write 3 (P-0001 add): {error}``), keeping its class,
        exit code and details; the error's own message is the field ``error``."""
        inner = self.message_obj if self.message_obj is not None else self._plain
        self.code = code
        self.fields = {**fields, "error": inner}
        self.message_obj = Message(code, **self.fields)
        self.args = (self.message,)


def _rebuild(cls: type[PipelineError], message: Message, details: list[dict]) -> PipelineError:
    return cls(message, details)


class BadInput(PipelineError):
    """Malformed amount, date, period, unknown stage, missing option (exit 2)."""

    kind = "bad_input"
    exit_code = 2


class Duplicate(BadInput):
    """The entry looks like one recorded before (same project name and investor, or the same amount
    on the same day); refused (exit 2) unless the caller says it is meant (``allow_duplicate``)."""

    kind = "duplicate"


class Refused(PipelineError):
    """A transition refused by a guard or by the workflow (exit 3)."""

    kind = "refused"
    exit_code = 3


class Implausible(Refused):
    """An entry that looks like a typo (capital in place above the planned investment, a tranche over a
    plausible share of it); refused (exit 3) naming why, unless the caller confirms it (``confirm``)."""

    kind = "implausible"


class NotFound(PipelineError):
    """Project, person, unit, rule not found (exit 4)."""

    kind = "not_found"
    exit_code = 4


class Conflict(PipelineError):
    """Someone else changed the project first; nothing was written (exit 5)."""

    kind = "conflict"
    exit_code = 5


class NotAllowed(PipelineError):
    """Not allowed for the acting user's role (exit 6)."""

    kind = "not_allowed"
    exit_code = 6


class IntegrityFailure(PipelineError):
    """History failed verification (exit 7)."""

    kind = "integrity"
    exit_code = 7


# The reasons an operating system gives most often for a file it cannot read or write, by errno name:
# each a catalogue message (``os_*`` in errors.toml), English as the C library words it.
_OS_REASONS = ("ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EEXIST", "ENOSPC", "EDQUOT", "EROFS",
               "ENAMETOOLONG", "ELOOP", "EBUSY", "EIO", "ETXTBSY", "EMFILE", "ENXIO")


def os_reason(exc: OSError) -> Message | str:
    """Why the system refused a file (``exc``), to go inside a message: a catalogue message in the
    run's language for a reason it names (:data:`_OS_REASONS`), else the system's own text."""
    import errno

    name = errno.errorcode.get(exc.errno) if isinstance(exc.errno, int) else None
    if name in _OS_REASONS:
        return Message(f"os_{name.lower()}")
    return exc.strerror or str(exc)
