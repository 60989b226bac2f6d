"""The import graph of workflow/ (docs/architecture.md, "Layout" and "Imports inside functions"): no
cycle among its modules, counting imports inside functions and a package's ``__init__`` importing its
own modules, and an import inside a function only of a heavy optional library or where the page says
why."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("docx", "PIL", "openpyxl", "psycopg", "cryptography")  # optional, loaded by their commands
SECTION = "## Imports inside functions"


def _name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package at ``root``, by dotted name (a package by its own name)."""
    return {_name(p, root): p for p in sorted(root.rglob("*.py"))}


def imports(name: str, path: Path, known: set[str] | dict) -> list[tuple[str, int, bool]]:
    """(imported name, line, inside a function) for each import in ``path``: a ``from x import y``
    names ``x.y`` when that is a module of ``known``, else ``x``; relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = local or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, local) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join(base + ([child.module] if child.module else []))
                else:
                    module = child.module or ""
                subs = [f"{module}.{a.name}" for a in child.names if f"{module}.{a.name}" in known]
                out.extend((s, child.lineno, local) for s in subs)
                if len(subs) < len(child.names):
                    out.append((module, child.lineno, local))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return out


def graph(root: Path) -> dict[str, dict[str, str]]:
    """module -> {imported module of the same package: "path:line"}, imports inside functions included,
    and a package's ``__init__`` importing its submodules (or they it) an edge like any other."""
    mods = modules(root)
    edges: dict[str, dict[str, str]] = {}
    for name, path in mods.items():
        edges[name] = {}
        for target, line, _local in imports(name, path, mods):
            if target in mods and target != name:
                edges[name].setdefault(target, f"{path.relative_to(root.parent)}:{line}")
    return edges


def cycles(edges: dict[str, dict[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def describe(edges: dict[str, dict[str, str]], comps: list[list[str]]) -> str:
    lines = []
    for comp in comps:
        lines.append(f"cycle of {len(comp)} modules: {', '.join(comp)}")
        inside = set(comp)
        lines += [f"  {m} -> {t}  ({where})" for m in comp for t, where in sorted(edges[m].items()) if t in inside]
    return "\n".join(lines)


def test_workflow_has_no_import_cycle():
    edges = graph(ROOT / "workflow")
    comps = cycles(edges)
    assert comps == [], "import cycles in workflow/ (imports inside functions count):\n" + describe(edges, comps)


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "pkg"


def test_a_cycle_closed_inside_a_function_or_through_a_package_init_is_found(tmp_path):
    root = _package(tmp_path, {
        "__init__.py": "", "a.py": "from pkg import b\n", "b.py": "def f():\n    from pkg.a import x\n",
        "sub/__init__.py": "from pkg.sub.c import y\n", "sub/c.py": "from pkg.sub import z\n",
        "d.py": "from . import e\n", "e.py": "def g():\n    from .d import w\n",
    })
    assert cycles(graph(root)) == [["pkg.a", "pkg.b"], ["pkg.d", "pkg.e"], ["pkg.sub", "pkg.sub.c"]]
    assert "pkg/b.py:2" in describe(graph(root), cycles(graph(root)))


def listed() -> dict[str, set[str]]:
    """The imports inside functions docs/architecture.md lists: importing module (or package) -> the
    modules or libraries it imports inside functions."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert SECTION in text, f"docs/architecture.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    out: dict[str, set[str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`workflow"):
            out.setdefault(cells[0].strip("`"), set()).update(re.findall(r"`([\w.]+)`", cells[1]))
    return out


def local_imports(root: Path) -> list[tuple[str, str, str]]:
    """(importing module, imported workflow module or third-party library, "path:line") of every
    import inside a function in ``root``'s package; the standard library is left out."""
    mods = modules(root)
    out = []
    for name, path in mods.items():
        for target, line, local in imports(name, path, mods):
            top = target.split(".")[0]
            if not local or top in sys.stdlib_module_names or top == "__future__":
                continue
            out.append((name, target if top == root.name else top, f"{path.relative_to(root.parent)}:{line}"))
    return out


def unexplained(found: list[tuple[str, str, str]], table: dict[str, set[str]]) -> list[str]:
    def covered(importer: str, target: str) -> bool:
        return any((importer == m or importer.startswith(m + ".")) and target in names for m, names in table.items())

    return [f"{where}: {m} imports {t} inside a function" for m, t, where in found
            if t not in HEAVY and not covered(m, t)]


def test_every_import_inside_a_function_is_a_heavy_library_or_listed():
    missing = unexplained(local_imports(ROOT / "workflow"), listed())
    assert missing == [], ("list these in docs/architecture.md, \"Imports inside functions\", with the "
                           "reason, or import at the top of the module:\n" + "\n".join(missing))


def test_the_listing_check_refuses_an_unlisted_import(tmp_path):
    root = _package(tmp_path, {"__init__.py": "", "a.py": "def f():\n    from pkg import b\n    import docx\n",
                               "b.py": "def g():\n    import sqlalchemy.orm\n    import json\n"})
    found = local_imports(root)
    assert sorted((m, t) for m, t, _ in found) == [("pkg.a", "docx"), ("pkg.a", "pkg.b"), ("pkg.b", "sqlalchemy")]
    assert len(unexplained(found, {})) == 2
    assert unexplained(found, {"pkg.a": {"pkg.b"}, "pkg": {"sqlalchemy"}}) == []


def test_every_listed_import_is_still_inside_a_function():
    """The list says nothing stale: each entry names an import some module still makes inside a function."""
    found = local_imports(ROOT / "workflow")
    stale = [f"{m}: {t}" for m, names in listed().items() for t in names
             if not any((i == m or i.startswith(m + ".")) and x == t for i, x, _ in found)]
    assert stale == []


def test_words_and_the_rules_agree_on_the_assignment_roles():
    """The vocabulary of assignment roles (``workflow.words``, below the rules) holds the rules' roles."""
    from workflow import rules, words

    assert words.ASSIGNMENT_ROLES == rules.ASSIGNMENT_ROLES
