"""The documentation keeps up with the command line, and the README's tour runs.

**Every command and option is documented** (``test_every_command_and_option_is_documented``). The
command tree is walked from the full typer app (``cli.app.app``; ``main`` builds only the named
command, so the tree is taken from ``typer.main.get_command(app)`` directly). The rule:

- a command ``pipeline X Y`` is documented when a Markdown heading in ``docs/*.md`` names it as
  ``pipeline X Y`` (in backticks or not; one heading may name several commands). Its *section* runs
  from that heading to the next heading of the same or a higher level, subsections included;
- each long option of the command (``--expect-version``; both names of a flag pair such as
  ``--key``/``--no-key``) must appear in that section — or, for the options that mean the same
  everywhere (``--json``, ``--on``, ``--expect-version`` …), in the "Options many commands share"
  section of docs/usage.md;
- the root's global options (``--db``, ``--as``, …) must appear in the "Global options" section of
  docs/usage.md.

The generated command reference (docs/reference.md, docs/reference.zh.md: every ``--help``) does not
count: it names every option by construction.

So a new command needs a heading, and a new option needs a word where its command is described, but
the wording, the order and the page are free. Short names (``-o``) and positional arguments are not
checked. ``test_doc_headings_name_real_commands`` is the converse: a heading naming a command that
does not exist (renamed or removed) fails too.

**The README's tour runs** (``test_readme_tour_runs``): the fenced ``console``/``sh`` block under the
README's "tour" heading is read, and every ``pipeline …`` line in it is run in order through the
in-process CLI (``tests.conftest.invoke``) on a fresh SQLite database (``--db``), acting as the admin
``pipeline init`` creates, in a temporary working directory; each must exit 0.

**Links resolve**: every relative link in the README and docs/ names an existing file, and an anchor
names a heading of that file (GitHub's slug of it).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import ADMIN, invoke

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
SHARED_SECTION = "Options many commands share"
GLOBAL_SECTION = "Global options"
# written from --help by cli/reference.py: they name every option, so they cannot count as documentation
GENERATED = {"reference.md", "reference.zh.md"}

HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")


# --- the command tree ------------------------------------------------------------------------------


def _root():
    import typer

    from cli.app import app

    return typer.main.get_command(app)


def _long_names(param) -> list[str]:
    return [o for o in (*param.opts, *param.secondary_opts) if o.startswith("--")]


def command_tree() -> dict[str, list[str]]:
    """``{"project add": ["--name", …], …}``: every visible leaf command and its long option names."""
    found: dict[str, list[str]] = {}

    def walk(cmd, path: list[str]) -> None:
        if getattr(cmd, "hidden", False):
            return
        subs = getattr(cmd, "commands", None)
        if subs is not None:
            for name, sub in subs.items():
                walk(sub, [*path, name])
            return
        found[" ".join(path)] = [n for p in cmd.params if p.param_type_name == "option" and not p.hidden
                                 for n in _long_names(p)]

    walk(_root(), [])
    return found


def root_options() -> list[str]:
    return [n for p in _root().params if p.param_type_name == "option" and not p.hidden for n in _long_names(p)]


# --- the docs as sections --------------------------------------------------------------------------


def sections(text: str) -> list[tuple[str, str]]:
    """``(heading, body)`` for every Markdown heading outside code fences; the body runs to the next
    heading of the same or a higher level (subsections included)."""
    heads: list[tuple[int, int, str]] = []  # (line index, level, heading text)
    lines = text.splitlines()
    fenced = False
    for i, line in enumerate(lines):
        if FENCE.match(line):
            fenced = not fenced
            continue
        m = None if fenced else HEADING.match(line)
        if m:
            heads.append((i, len(m.group(1)), m.group(2)))
    out = []
    for k, (i, level, title) in enumerate(heads):
        end = next((j for j, lv, _ in heads[k + 1:] if lv <= level), len(lines))
        out.append((title, "\n".join(lines[i:end])))
    return out


def doc_sections() -> list[tuple[str, str, str]]:
    """``(page name, heading, body)`` over every page in docs/."""
    pages = [p for p in sorted(DOCS.glob("*.md")) if p.name not in GENERATED]
    assert pages, "docs/ has no pages"
    return [(p.name, title, body) for p in pages for title, body in sections(p.read_text(encoding="utf-8"))]


def named_in(heading: str, command: str) -> bool:
    return re.search(rf"(?<![\w-])pipeline {re.escape(command)}(?![\w-])", heading.replace("`", "")) is not None


def mentions(body: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", body) is not None


def usage_section(title: str) -> str:
    for page, heading, body in doc_sections():
        if page == "usage.md" and heading.strip() == title:
            return body
    raise AssertionError(f"docs/usage.md has no section headed {title!r}")


# --- the tests -------------------------------------------------------------------------------------


def test_the_command_tree_is_the_whole_app():
    tree = command_tree()
    # sanity: the walk reaches leaf commands of groups and of the root, with their options
    assert {"project add", "audit verify", "advance", "report bulletin", "db upgrade"} <= set(tree)
    assert "--expect-version" in tree["advance"] and "--no-key" in tree["project add"]
    assert {"--db", "--as", "--lang", "--version"} <= set(root_options())


def test_every_command_and_option_is_documented():
    secs = doc_sections()
    shared = usage_section(SHARED_SECTION)
    problems = []
    for command, options in sorted(command_tree().items()):
        bodies = [body for _, heading, body in secs if named_in(heading, command)]
        if not bodies:
            problems.append(f"`pipeline {command}`: no heading in docs/*.md names it")
            continue
        for option in options:
            if not any(mentions(b, option) for b in bodies) and not mentions(shared, option):
                problems.append(f"`pipeline {command}` {option}: not in its section, nor in usage.md's "
                                f"{SHARED_SECTION!r}")
    glob = usage_section(GLOBAL_SECTION)
    problems += [f"global option {o}: not in usage.md's {GLOBAL_SECTION!r}" for o in root_options()
                 if not mentions(glob, o)]
    assert not problems, "undocumented:\n" + "\n".join(problems)


def test_doc_headings_name_real_commands():
    tree = command_tree()
    groups = {c.rsplit(" ", 1)[0] for c in tree if " " in c}
    known = set(tree) | groups
    stale = []
    for page, heading, _ in doc_sections():
        for m in re.finditer(r"pipeline((?: [a-z][a-z-]*)+)", heading.replace("`", "")):
            words = m.group(1).split()
            # the longest run of words that is a command or group must be a whole command
            longest = max((k for k in range(1, len(words) + 1) if " ".join(words[:k]) in known), default=0)
            if longest == 0:
                stale.append(f"{page}: {heading!r} names `pipeline {' '.join(words)}`, which does not exist")
    assert not stale, "\n".join(stale)


def test_the_rules_themselves(tmp_path):
    """The section and mention rules: a heading's section includes its subsections and stops at its
    sibling; an option is matched as a whole word; code fences hold no headings."""
    text = ("# Page\n## `pipeline rules add`, `pipeline rules edit`\n--role\n### details\n--min-investment\n"
            "```sh\n# a comment, not a heading --fake\n```\n## `pipeline rules list`\n--all\n")
    secs = dict(sections(text))
    assert set(secs) == {"Page", "`pipeline rules add`, `pipeline rules edit`", "details", "`pipeline rules list`"}
    add = secs["`pipeline rules add`, `pipeline rules edit`"]
    assert mentions(add, "--min-investment") and mentions(add, "--fake") and not mentions(add, "--all")
    assert named_in("`pipeline rules add`, `pipeline rules edit`", "rules edit")
    assert not named_in("`pipeline db check`", "check") and named_in("`pipeline check`", "check")
    assert not mentions("--keys", "--key") and not mentions("--no-key", "--key") and mentions("--key/x", "--key")


# --- the README tour -------------------------------------------------------------------------------


def readme_tour() -> list[list[str]]:
    """The ``pipeline`` command lines of the first ``console``/``sh`` block under the README's tour
    heading, as argument lists (``$ `` prompts, ``#`` comments and ``\\`` continuations handled)."""
    text = README.read_text(encoding="utf-8")
    tour = next((body for title, body in sections(text) if "tour" in title.lower()), None)
    assert tour is not None, "README.md has no tour heading"
    m = re.search(r"^```(?:console|sh|shell|bash)\s*\n(.*?)^```", tour, re.S | re.M)
    assert m, "the README's tour has no ```console or ```sh block"
    joined = re.sub(r"\\\n\s*", " ", m.group(1))
    commands = []
    for line in joined.splitlines():
        line = line.strip()
        if line.startswith("$ "):
            line = line[2:].strip()
        words = shlex.split(line, comments=True)
        if words and words[0] == "pipeline":
            commands.append(words[1:])
    return commands


def test_readme_starts_with_the_two_set_up_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"^```\w*\n(.*?)^```", text, re.S | re.M).group(1)
    commands = [shlex.split(line, comments=True) for line in first_block.splitlines()]
    assert [c for c in commands if c] == [["make", "demo"], ["make", "test"]]
    assert text.index("make demo") < text.index("## ")  # before any section
    assert len(text.splitlines()) <= 150


def test_readme_tour_runs(tmp_path, monkeypatch):
    commands = readme_tour()
    assert len(commands) >= 5 and commands[0][0] == "init"
    monkeypatch.chdir(tmp_path)  # files the tour writes (-o …) land here
    monkeypatch.delenv("PIPELINE_DB", raising=False)
    db = str(tmp_path / "tour.db")
    for args in commands:
        res = invoke(args, db=db, actor=ADMIN)
        assert res.code == 0, f"pipeline {shlex.join(args)} exited {res.code}\nstdout: {res.out}\nstderr: {res.err}"


@pytest.mark.parametrize("page", ["usage", "money", "rules", "lights-and-reports", "audit", "import-export",
                                  "postgresql", "architecture", "performance", "reference", "reference.zh", "city"])
def test_docs_pages_exist_and_the_readme_links_them(page):
    assert (DOCS / f"{page}.md").is_file()
    assert f"(docs/{page}.md)" in README.read_text(encoding="utf-8")


# --- links between the pages -----------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_links_between_pages_and_their_anchors_resolve():
    problems = []
    for page in [README, *sorted(DOCS.glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, mailto: …
            file, _, anchor = target.partition("#")
            dest = (page.parent / file).resolve() if file else page
            if not dest.is_file():
                problems.append(f"{page.name}: link to missing {target}")
                continue
            if anchor and anchor not in {slug(t) for t, _ in sections(dest.read_text(encoding="utf-8"))}:
                problems.append(f"{page.name}: no heading for #{anchor} in {dest.name}")
    assert not problems, "\n".join(problems)


def test_slug():
    assert slug("## `pipeline audit verify`".lstrip("# ")) == "pipeline-audit-verify"
    assert slug("Running the PostgreSQL tests") == "running-the-postgresql-tests"


# --- the repository explains itself ----------------------------------------------------------------

# A citation of a document or tracker outside the repository: the product specification or design
# document by name, or an issue number. Spelt in pieces so that this file does not match itself.
OUTSIDE = re.compile(r"\b" + "SP" + r"EC\b|\b" + "DES" + r"IGN\b|\bissue +#?[0-9]+|\(issue [0-9]+\)")
EXPLAINED = ["workflow", "cli", "tests", "bench", "docs", "migrations"]


def test_no_comment_or_doc_cites_a_document_outside_the_repository():
    """Comments, docstrings, docs and messages cite a page of docs/, never the specification, the
    design document or an issue number, which a reader of the repository cannot open."""
    files = [README, *(f for d in EXPLAINED for f in sorted((ROOT / d).rglob("*"))
                       if f.suffix in {".py", ".md", ".toml", ".ini", ".txt", ".cfg"} and f.is_file())]
    found = []
    for f in files:
        rel = f.relative_to(ROOT).as_posix()
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{rel}:{n}: {line.strip()}")
    assert len(files) > 50
    assert not found, "cite the docs/ page instead:\n" + "\n".join(found)


def test_the_citation_pattern():
    issue = "iss" + "ue"
    assert OUTSIDE.search("(" + "SP" + "EC §8)") and OUTSIDE.search(f"({issue} 17)") and OUTSIDE.search(f"{issue} #4")
    assert not OUTSIDE.search("docs/usage.md, \"Exit codes\"") and not OUTSIDE.search("an issue number")
