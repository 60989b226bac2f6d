"""Deployed workflow versions (docs/usage.md, "Workflow versions"): read from the set-up ledger, where
``workflow deploy`` records each as a ``workflow_deployed`` entry whose payload holds the definition's
canonical text; what changed between two versions (``workflow diff``).

``attach(engine)`` installs the lookup ``workflow.definition.get_definition`` asks for any version but
the shipped default, so no caller passes a connection.  The lookup reads the ledger on a plain
connection of its own outside any transaction (a SQLite write transaction of this program, which holds
the file's write lock, is never waited for), once per version: a deployed version never changes (the
ledger is append-only and a version is deployed once).  `project show` of a project on the default
version reads nothing.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from workflow.definition import (
    DEFAULT_NAME,
    DEFAULT_VERSION,
    get_definition,
    load_definition,
    use_deployed,
)
from workflow.definition_model import WorkflowDefinition
from workflow.errors import BadInput, NotFound
from workflow.tables import ledger as L
from workflow.tables import project as P

DEPLOYED_KIND = "workflow_deployed"
_SELECT = "SELECT target, payload FROM ledger WHERE kind = 'workflow_deployed' ORDER BY seq"


def canonical_text(text: str) -> str:
    """A definition file's text as the ledger keeps it: LF line ends, one final newline."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.rstrip("\n") + "\n"


def target(name: str, version: int) -> str:
    return f"{name}:{version}"


class Deployed:
    """The deployed versions of one database (engine), parsed on first use."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.texts: dict[str, str] = {}
        self.parsed: dict[str, WorkflowDefinition] = {}

    def read(self) -> None:
        """Read the deployed versions' texts.  A database that cannot be read (gone, or not reachable:
        another database this process used before) has none to give; the command that uses it reports
        its error itself."""
        dbapi_error = getattr(getattr(self.engine.dialect, "dbapi", None), "Error", DBAPIError)
        try:
            raw = self.engine.raw_connection()
        except (DBAPIError, dbapi_error):
            return
        try:
            cur = raw.cursor()
            cur.execute(_SELECT)
            rows = cur.fetchall()
            cur.close()
            raw.rollback()
        finally:
            raw.close()
        for tgt, payload in rows:
            doc = json.loads(payload) if isinstance(payload, str) else payload
            self.texts[str(tgt)] = doc["text"]

    def __call__(self, name: str, version: int) -> WorkflowDefinition | None:
        key = target(name, version)
        found = self.parsed.get(key)
        if found is not None:
            return found
        if key not in self.texts:
            self.read()
            if key not in self.texts:
                return None
        found = self.parsed[key] = load_definition(self.texts[key])
        return found


_ATTACHED: weakref.WeakKeyDictionary[Any, Deployed] = weakref.WeakKeyDictionary()


def attach(engine: Any) -> Deployed:
    """Make ``get_definition`` find the versions deployed in ``engine``'s database (the database last
    attached is the one asked; an engine attached again keeps what it has read)."""
    lookup = _ATTACHED.get(engine)
    if lookup is None:
        lookup = _ATTACHED[engine] = Deployed(engine)
    use_deployed(lookup)
    return lookup


def definition_of(name: str, version: int) -> WorkflowDefinition:
    """A known version (shipped or deployed), else NotFound (exit 4)."""
    try:
        return get_definition(name, version)
    except BadInput:
        raise NotFound("versions_unknown_version", name=name, version=version) from None


def parse_version(text: str, what: str) -> tuple[str, int]:
    """``NAME:V`` or ``V`` (the default workflow's name) -> (name, version); BadInput otherwise."""
    raw = (text or "").strip()
    name, _, num = raw.rpartition(":")
    name = name.strip() or DEFAULT_NAME
    try:
        version = int(num.strip())
    except ValueError:
        version = 0
    if version < 1 or any(c.isspace() for c in name):
        raise BadInput("versions_bad_version", what=what, text=raw)
    return name, version


def versions(conn: Any) -> list[dict]:
    """Every version a project may run under: the shipped default, then the deployed ones in ledger
    order, each with the projects on it (``running``: not in a final stage) and who deployed it."""
    counts: dict[tuple[str, int], list[int]] = {}
    finals: dict[tuple[str, int], set[str]] = {}
    for name, version, stage, n in conn.execute(
            select(P.c.workflow_name, P.c.workflow_version, P.c.stage, func.count())
            .group_by(P.c.workflow_name, P.c.workflow_version, P.c.stage)):
        key = (name, int(version))
        if key not in finals:
            try:
                finals[key] = {s.key for s in get_definition(*key).stages if s.is_final}
            except BadInput:  # a version this program does not know: every project counted as running
                finals[key] = set()
        c = counts.setdefault(key, [0, 0])
        c[0] += n
        if stage not in finals[key]:
            c[1] += n
    out: list[dict[str, Any]] = [{"name": DEFAULT_NAME, "version": DEFAULT_VERSION, "shipped": True,
                                  "deployed_by": None, "recorded_at": None, "reason": None}]
    for r in conn.execute(select(L.c.target, L.c.actor, L.c.recorded_at, L.c.reason)
                          .where(L.c.kind == DEPLOYED_KIND).order_by(L.c.seq)).mappings():
        name, _, v = str(r["target"]).rpartition(":")
        out.append({"name": name, "version": int(v), "shipped": False, "deployed_by": r["actor"],
                    "recorded_at": str(r["recorded_at"])[:19], "reason": r["reason"]})
    for item in out:
        projects, running = counts.get((str(item["name"]), int(item["version"])), [0, 0])
        item["projects"] = projects
        item["running"] = running
    return out


# --- what changed between two versions -----------------------------------------------------------------

_SECTIONS = (("stages", "key"), ("transitions", "trigger"), ("documents", "key"), ("checks", "key"))


def diff(old: WorkflowDefinition, new: WorkflowDefinition) -> dict:
    """What changed from ``old`` to ``new``: per section (stages, transitions with their guards,
    documents, checks) the keys added and removed and, for a key in both, each field that changed
    ``[old, new]``; the initial stage and what each stage may record."""
    a, b = old.as_dict(), new.as_dict()
    out: dict[str, Any] = {"from": f"{old.name}:{old.version}", "to": f"{new.name}:{new.version}"}
    for section, key in _SECTIONS:
        before = {item[key]: item for item in a[section]}
        after = {item[key]: item for item in b[section]}
        changed = {}
        for k in before.keys() & after.keys():
            fields = {f: [before[k][f], after[k][f]] for f in before[k] if before[k][f] != after[k].get(f)}
            if fields:
                changed[k] = fields
        out[section] = {"added": [k for k in after if k not in before],
                        "removed": [k for k in before if k not in after],
                        "changed": {k: changed[k] for k in after if k in changed}}
    out["initial"] = None if a["initial"] == b["initial"] else [a["initial"], b["initial"]]
    rec = {s: [a["recording"].get(s), b["recording"][s]] for s in b["recording"]
           if s in a["recording"] and a["recording"][s] != b["recording"][s]}
    out["recording"] = rec
    out["same"] = (out["initial"] is None and not rec
                   and not any(v["added"] or v["removed"] or v["changed"] for s, _ in _SECTIONS for v in [out[s]]))
    return out
