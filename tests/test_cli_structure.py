"""The shape of ``cli/``: no import cycle between its modules, shared options defined once, no SQL, every
argument named as the usage writes it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

CLI = Path(__file__).resolve().parent.parent / "cli"
SHARED = "options"  # cli/options.py: the one module declaring the shared options
SHARED_OPTIONS = ("--json", "--format", "--output", "--on", "--expect-version", "--threshold")


def _modules() -> dict[str, Path]:
    return {p.stem: p for p in sorted(CLI.glob("*.py")) if p.stem != "__init__"}


def cli_imports(source: str, modules: set[str]) -> set[str]:
    """The ``cli`` modules a module's source imports, wherever the import stands (inside a function
    too: an import cycle there still ties the modules together)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "cli":
                names = [f"cli.{a.name}" for a in node.names]
            else:
                names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "cli" and len(parts) > 1 and parts[1] in modules:
                found.add(parts[1])
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as ``[a, b, …, a]``, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: cli_imports(path.read_text(encoding="utf-8"), set(modules)) - {name}
            for name, path in modules.items()}


def test_no_import_cycle_in_cli():
    graph = import_graph()
    assert "app" in graph and graph["app"], "cli/app.py should import the command modules"
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle in cli/: " + " -> ".join(f"cli/{m}.py" for m in cycle)


# Modules that run the whole app from outside and that no module imports (``python -m cli.reference``).
TOOLS = {"reference"}


def test_no_command_module_imports_the_root_app():
    graph = import_graph()
    importers = sorted(m for m, deps in graph.items() if "app" in deps and m not in TOOLS)
    assert importers == [], f"{importers} import cli/app.py, which imports them"
    assert not any(TOOLS & deps for deps in graph.values()), "a cli/ module imports a tool that runs the app"


def test_the_cycle_finder_finds_cycles():
    """The check above would notice a cycle, also one through an import inside a function."""
    modules = {"app", "commands", "render"}
    assert cli_imports("from cli import commands, render\nimport cli.app as x\n", modules) == \
        {"commands", "render", "app"}
    assert cli_imports("def f():\n    from cli.app import app\n", modules) == {"app"}
    assert cli_imports("from cli.context import STATE\nimport workflow.cli\n", modules) == set()
    assert find_cycle({"app": {"commands"}, "commands": {"render"}, "render": set()}) is None
    assert find_cycle({"app": {"commands"}, "commands": {"render"}, "render": {"app"}}) == \
        ["app", "commands", "render", "app"]


OPTION_CALL = re.compile(r"typer\.Option\((?P<args>[^)]*)")


def option_declarations(source: str) -> list[str]:
    """The shared option names declared by ``typer.Option(`` calls in ``source``."""
    names = []
    for m in OPTION_CALL.finditer(source):
        for lit in re.findall(r"""["']([^"']+)["']""", m.group("args")):
            names += [n for n in lit.split("/") if n in SHARED_OPTIONS]
    return names


def test_shared_options_are_declared_in_the_shared_module_only():
    found = {name: option_declarations(path.read_text(encoding="utf-8")) for name, path in _modules().items()}
    elsewhere = {f"cli/{m}.py": names for m, names in found.items() if names and m != SHARED}
    assert elsewhere == {}, f"declare these through cli/{SHARED}.py: {elsewhere}"
    assert sorted(set(found[SHARED])) == sorted(SHARED_OPTIONS)
    assert len(found[SHARED]) == len(set(found[SHARED])), "each shared option once"


def test_option_finder_sees_every_spelling():
    assert option_declarations('x = typer.Option(False, "--json", help="…")') == ["--json"]
    assert option_declarations('typer.Option(\n    None, "--on", metavar="D")') == ["--on"]
    assert option_declarations("typer.Option(None, '--output', '-o')") == ["--output"]
    assert option_declarations('typer.Option(None, "--expect-version")') == ["--expect-version"]
    assert option_declarations('typer.Option(None, "--only", "--onward")') == []


DATABASE_MODULES = ("sqlalchemy", "sqlmodel", "sqlite3", "psycopg", "alembic")
# Where cli/ may reach a database library itself; everything else goes through workflow/.
DATABASE_IMPORTS_ALLOWED = {
    "app": {"sqlalchemy"},  # the one error mapping turns the database's errors into exit codes
    "io_cmds": {"sqlite3"},  # `demo` checkpoints an SQLite file's WAL before moving it aside (see report)
}


def test_cli_reaches_the_database_through_workflow_only():
    for name, path in _modules().items():
        used = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                used |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                used.add(node.module.split(".")[0])
        db = used & set(DATABASE_MODULES)
        assert db <= DATABASE_IMPORTS_ALLOWED.get(name, set()), f"cli/{name}.py imports {db}"


def _arguments() -> list[tuple[str, object, object]]:
    """(command path, command, argument) of every visible command of the app."""
    import typer

    from cli.app import app

    found: list[tuple[str, object, object]] = []

    def walk(cmd, path: str) -> None:
        if getattr(cmd, "hidden", False):
            return
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            walk(sub, f"{path} {name}".strip())
        found.extend((path, cmd, p) for p in cmd.params if p.param_type_name == "argument")

    walk(typer.main.get_command(app), "")
    return found


def test_every_argument_is_named_in_capitals_and_decorated_once():
    """A positional argument's name is its metavar in capitals (``CODE``, ``FILE``), as the usage in
    docs/usage.md writes it, or the words it takes (``pass|fail``).  typer adds the brackets of an
    optional argument and the ``...`` of a list itself: a metavar that carried them too printed
    ``[[TRIGGER_OR_STAGE]]`` and ``{FILE...}...``."""
    import typer

    arguments = _arguments()
    assert len(arguments) > 40  # the walk reaches the commands
    problems = []
    for path, cmd, arg in arguments:
        metavar = arg.metavar or ""
        choices = re.fullmatch(r"[a-z]+(\|[a-z]+)+", metavar)  # the words it takes: pass|fail
        if not choices and (not metavar or metavar != metavar.upper() or any(c in metavar for c in "[]{}.| ")):
            problems.append(f"pipeline {path} {arg.name}: metavar {metavar!r}")
        usage = " ".join(arg.get_usage_pieces(typer.Context(cmd)))
        if "[[" in usage or "{{" in usage or "...]" in usage or "...}" in usage:
            problems.append(f"pipeline {path} {arg.name}: usage {usage!r}")
    assert not problems, "\n".join(problems)
