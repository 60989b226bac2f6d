"""Project codes: a project's code from its id (``P-0001``) and a typed code in its canonical form
(docs/usage.md)."""

from __future__ import annotations

import re
import unicodedata

_CODE = re.compile(r"^(?:p\s*-?\s*)?0*(\d{1,9})$", re.IGNORECASE)


def project_code(project_id: int) -> str:
    """A project's code from its id: ``P-0001``."""
    return f"P-{project_id:04d}"


def normalize_code(code: str) -> str:
    """The canonical form ``P-0001`` of a project code typed as ``p-1``, ``P-00001``, ``１``…; any
    other text is returned stripped (and will not be found)."""
    text = unicodedata.normalize("NFKC", str(code)).strip()
    m = _CODE.match(text)
    if m is None:
        return text
    return project_code(int(m.group(1)))
