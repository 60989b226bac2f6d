"""Every ``pipeline …`` example in docs/ and the README runs, as the README's tour does.

**What an example is.** A line inside a fenced code block of a page in docs/ (the generated command
reference excepted) or of README.md (its tour excepted: ``tests/test_docs.py`` runs it) that starts
with ``pipeline`` (after an optional ``$ `` prompt and ``NAME=value`` environment words); ``\\``
continuations are joined and ``#`` comments dropped. A shell pipe or redirection (``| head``,
``> dispatch.html``) ends the command: the ``pipeline`` part is what runs.

**What is skipped, by rule.**

- A *synopsis*: a line with an optional part or a placeholder — ``[``, ``…``, ``...``, or a word of
  three or more capitals (``CODE``, ``FILE``, ``LOGIN``, ``NAME=DAYS``; unit codes such as ``XH`` are
  two letters). These show the form of a command, not a command to run.
- A block that names a PostgreSQL URL (``postgresql``): it needs a server; the shared deployment is
  tested by tests/test_postgres.py.
- The few lines in ``SKIPPED`` below, each with its reason; a test checks that each still exists.

**How they run.** Each page's examples run in their order on one fresh SQLite database, through the
in-process CLI as the admin, in a temporary working directory, after the set-up built what the page
needs: the README tour's county plus ``COUNTY`` (the people and projects the examples name), and
the files ``SETUP`` makes. A
``pipeline demo`` example runs on a database of its own (the demo refuses a database that holds
anything else). Each must exit 0.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import ADMIN, invoke
from tests.test_docs import DOCS, FENCE, GENERATED, README, readme_tour, sections

PLACEHOLDER = re.compile(r"\[|…|\.\.\.|\b[A-Z][A-Z_]{2,}\b")
SHELL_STOP = {"|", ">", "<", ">>", "2>", "&&", ";"}

# Runnable-looking lines that are not run, and why.
SKIPPED = {
    "pipeline demo --projects 50000 --no-show": "a 50 000-project county takes minutes; bench/ builds it",
    "pipeline shell < followups.txt": "reads a script on standard input; tests/test_shell.py runs scripts",
    "pipeline --db city.db city load jx-2026-06.bundle": "needs the public key `keys init` printed trusted "
                                                         "first; tests/test_city.py loads bundles",
    "pipeline project add --name 外资项目 --investor 某外资公司 --industry 装备制造 --unit XH --investment 1500万美元":
        "needs the year's USD rate, whose `rates set … USD=…` line reads as a synopsis (USD); "
        "tests/test_year_to_date.py runs both",
}


def _page_examples(path: Path) -> list[tuple[str, list[str]]]:
    """``(line as written, argv after "pipeline")`` for every runnable example of a page, in order."""
    text = path.read_text(encoding="utf-8")
    if path == README:
        tour = next(body for title, body in sections(text) if "tour" in title.lower())
        text = text.replace(tour, "")
    found: list[tuple[str, list[str]]] = []
    block: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            if fenced:
                found += _block_examples(block)
                block = []
            fenced = not fenced
        elif fenced:
            block.append(line)
    return found


def _block_examples(lines: list[str]) -> list[tuple[str, list[str]]]:
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    if "postgresql" in joined:
        return []
    out = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:].strip()
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):
            words = words[1:]
        if not words or words[0] != "pipeline":
            continue
        command = " ".join(words)
        cut = next((i for i, w in enumerate(words) if w in SHELL_STOP), len(words))
        if PLACEHOLDER.search(" ".join(words[:cut])) or command in SKIPPED:
            continue
        out.append((command, words[1:cut]))
    return out


def pages() -> list[Path]:
    return [p for p in sorted(DOCS.glob("*.md")) if p.name not in GENERATED] + [README]


# --- what the examples need ---------------------------------------------------------------------------

# People, projects and records the examples name, on top of the README tour's county (P-0001, unit XH,
# 王县长 `wang`, coordinator `li`, one rule). P-0007 is small (no rule fires on it) and reaches
# `approved`; its event 12 is a screening check, which audit.md's example corrects.
COUNTY = [
    ["people", "add", "xh_head", "--name", "李镇长", "--level", "township", "--unit", "XH"],
    ["people", "add", "liu", "--name", "刘干事", "--level", "department"],
    ["people", "add", "li", "--name", "李副县长", "--level", "county", "--cap", "5"],
    *[["project", "add", "--name", f"示例项目{i}", "--investor", f"示例公司{i}", "--industry", "hotel",
       "--investment", "5600万", "--unit", "XH", "--on", "2026-01-05"] for i in range(2, 8)],
    ["advance", "P-0007", "submit", "--on", "2026-01-06"],
    ["doc", "add", "P-0007", "committee_decision", "县招委〔2026〕9号", "--on", "2026-01-07"],
    ["check", "P-0007", "industrial_policy", "pass", "--on", "2026-01-07"],
    ["check", "P-0007", "environment", "pass", "--on", "2026-01-07"],
    ["check", "P-0007", "land_use", "pass", "--on", "2026-01-07"],
    ["followup", "add", "P-0007", "约见投资方", "--on", "2026-01-08"],
    ["followup", "add", "P-0007", "现场踏勘", "--on", "2026-01-09"],
    ["followup", "add", "P-0007", "能耗测算", "--on", "2026-01-10"],
    ["followup", "add", "P-0007", "专家论证", "--on", "2026-01-11"],
    ["followup", "add", "P-0007", "补充能耗材料", "--on", "2026-01-11"],
    ["check", "P-0007", "energy", "pass", "--on", "2026-01-12"],  # event 12
    ["advance", "P-0007", "approved", "--on", "2026-01-13"],
    ["doc", "add", "P-0007", "contract", "HT-2026-099", "--on", "2026-01-14"],
]


def _ledger(cwd: Path, name: str, projects: list[tuple[str, str]]) -> None:
    """A ledger file of ``projects`` (name, investor) in unit XH, written through ``pipeline export``
    from a scratch database."""
    db = str(cwd / f"scratch-{name}.db")
    steps = [["init"], ["units", "add", "XH", "--name", "新华镇"]]
    steps += [["project", "add", "--name", n, "--investor", inv, "--industry", "hotel", "--investment", "5600万",
               "--unit", "XH"] for n, inv in projects]
    steps += [["export", str(cwd / name)]]
    for args in steps:
        res = invoke(args, db=db, actor=ADMIN)
        assert res.code == 0, (args, res.err)


def _ledgers(cwd: Path) -> None:
    _ledger(cwd, "台账.xlsx", [("盛典蓝莓深加工", "盛典公司"), ("申逊北药种植", "申逊公司")])
    _ledger(cwd, "ledger.csv", [("博士慧风电", "博士慧公司"), ("诺宝生物质发电", "诺宝公司")])


SETUP = {  # page → what makes the files its examples read, in the working directory
    "import-export.md": _ledgers,
}


def _run(args: list[str], db: str, what: str) -> None:
    res = invoke(args, db=db, actor=ADMIN)
    assert res.code == 0, f"{what}: pipeline {shlex.join(args)} exited {res.code}\nstdout: {res.out[-2000:]}\n" \
                          f"stderr: {res.err[-2000:]}"


# --- the tests ------------------------------------------------------------------------------------------


def test_the_extraction_rules():
    block = ["$ pipeline project show P-0001 --json   # a comment", "pipeline next CODE [--json]",
             "pipeline rules add --role lead_leader --person wang \\", "    --key --unit XH",
             "pipeline export - | head", "PIPELINE_TZ=UTC pipeline board", "make demo",
             "pipeline history P-0001 --format html -o x.html", "pipeline audit verify --digest 3f9c…e1"]
    got = [argv for _, argv in _block_examples(block)]
    assert got == [["project", "show", "P-0001", "--json"],
                   ["rules", "add", "--role", "lead_leader", "--person", "wang", "--key", "--unit", "XH"],
                   ["export", "-"], ["board"], ["history", "P-0001", "--format", "html", "-o", "x.html"]]
    assert _block_examples(["pipeline --db postgresql+psycopg://x@h/db init", "pipeline board"]) == []


def test_the_skipped_lines_still_exist():
    written = {command for page in pages() for command in _all_commands(page)}
    assert set(SKIPPED) <= written, set(SKIPPED) - written


def _all_commands(page: Path) -> list[str]:
    """Every line of ``page`` that starts with ``pipeline``, its words joined by one space."""
    lines = page.read_text(encoding="utf-8").splitlines()
    return [" ".join(x.split("#")[0].split()) for x in lines if x.strip().startswith("pipeline ")]


def test_examples_are_found():
    counted = {p.name: len(_page_examples(p)) for p in pages()}
    assert sum(counted.values()) >= 40, counted
    assert counted["audit.md"] >= 4 and counted["rules.md"] >= 10


@pytest.mark.parametrize("page", [p.name for p in pages() if _page_examples(p)])
def test_the_examples_of_each_page_run(page, tmp_path, monkeypatch):
    path = README if page == README.name else DOCS / page
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PIPELINE_DB", raising=False)
    files = SETUP.get(page)
    if files:
        files(tmp_path)
    db = str(tmp_path / "county.db")
    for args in [*readme_tour(), *COUNTY]:
        _run(args, db, "set-up")
    if page == "audit.md":  # the example corrects a screening check, as its reason says
        history = json.loads(invoke(["history", "P-0007", "--json"], db=db, actor=ADMIN).out)["events"]
        assert history[11]["seq"] == 12 and history[11]["payload"]["item"] == "energy", history[11]
    for n, (line, args) in enumerate(_page_examples(path)):
        _run(args, str(tmp_path / f"demo-{n}.db") if args[:1] == ["demo"] else db, f"{page}: {line}")
