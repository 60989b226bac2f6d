"""Start-up: help, version and usage errors import none of the heavy modules."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "openpyxl", "transitions")
# and the modules only output needs: the label tables, the table renderer, rich's progress bars
OUTPUT_ONLY = ("workflow.i18n", "cli.render", "rich.progress")

PROBE = """
import json, sys
from cli.app import main
import io, contextlib
buf = io.StringIO()
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
    code = main({argv!r})
print(json.dumps({{"code": code, "loaded": sorted(m for m in {heavy!r} if m in sys.modules)}}))
"""


def probe(argv: list[str], heavy: tuple[str, ...]) -> dict:
    """Run ``pipeline argv`` in a fresh interpreter: its exit code and which of ``heavy`` it loaded."""
    out = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv, heavy=heavy)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("argv,code", [
    (["--help"], 0), (["-h"], 0), (["--version"], 0), (["project", "--help"], 0),
    (["advance", "--help"], 0), (["report", "--help"], None), (["audit", "--help"], None),
    (["rules", "--help"], None), (["project", "show"], 2), (["no-such-command"], 2),
    (["project", "add", "--bogus"], 2),
])
def test_no_heavy_imports(argv, code):
    doc = probe(argv, HEAVY + OUTPUT_ONLY)
    if code is not None:
        assert doc["code"] == code
    assert doc["loaded"] == [], f"{argv} imported {doc['loaded']}"


RUNTIME_HEAVY = ("sqlmodel", "sqlalchemy.orm", "alembic", "openpyxl", "transitions")


@pytest.mark.parametrize("argv", [["project", "show", "P-0001"], ["project", "list"], ["board"],
                                  ["advance", "P-0001", "submit", "--on", "2026-03-02"]])
def test_commands_run_on_sqlalchemy_core_alone(cli, argv):
    """Working commands use the generated Core tables: no SQLModel, no ORM (pydantic comes with typer)."""
    cli("project", "add", "--name", "Solar", "--investor", "Acme", "--industry", "energy", "--investment", "2亿",
        "--unit", "XH", "--on", "2026-03-01", ok=True)
    doc = probe(["--db", cli.url_for(), "--as", "coord", *argv], RUNTIME_HEAVY)
    assert doc["code"] == 0, doc
    heavy = [m for m in doc["loaded"] if not (argv[0] == "advance" and m == "transitions")]  # the machine
    assert heavy == [], f"{argv} imported {heavy}"


def test_console_script_help_and_version():
    from tests.conftest import pipeline_exe

    out = subprocess.run([pipeline_exe(), "--version"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.startswith("pipeline ")
    out = subprocess.run([pipeline_exe(), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "advance" in out.stdout


# --- plain values without pydantic (cli/params.py) -------------------------------------------------

def test_plain_value_coercion_is_installed_and_keeps_pydantic_away(cli):
    """typer's internals are as cli/params.py expects (else this fails, so a typer upgrade that
    breaks the fast path is noticed), and a working command never builds a pydantic TypeAdapter."""
    import importlib.util

    from cli import params

    if importlib.util.find_spec("typer._coercion") is not None:  # typer 0.2x: coercion through pydantic
        assert params.install() is True
    cli("project", "add", "--name", "Solar", "--investor", "Acme", "--industry", "energy", "--investment", "2亿",
        "--unit", "XH", "--on", "2026-03-01", ok=True)
    for argv in (["project", "show", "P-0001"], ["project", "list", "--stage", "lead"],
                 ["advance", "P-0001", "submit", "--on", "2026-03-02", "--expect-version", "1"],
                 ["report", "bulletin", "--period", "2026", "--json"],  # --output is a Path
                 ["import", "--dry-run", "/no/such/ledger.csv"],  # a Path argument, refused (exit 2)
                 ["city", "load", "/no/such/a.bundle", "/no/such/b.bundle"]):  # list[Path]: no city here (exit 6)
        doc = probe(["--db", cli.url_for(), "--as", "coord", *argv], ("typer._adapters", "pydantic"))
        assert doc == {"code": {"import": 2, "city": 6}.get(argv[0], 0), "loaded": []}, (argv, doc)


@pytest.mark.parametrize("annotation,values", [
    (int, ["7", " 7", "+3", "-12", "007", "0", "abc", "1.5", "1_000", "1e3", "٣", "", " ", 5, True, None]),
    (str, ["P-0001", "", " x ", "项目", 5, None]),
    (bool, [True, False, "yes", None]),
    (list[str], [("a", "b"), ["x"], (), ("a", 1), None]),
    (Path, ["ledger.csv", "/", "/no/such/file", "", "台账.xlsx", Path("x.csv"), 5, None]),
    (list[Path], [("a.bundle", "b.bundle"), ["/", "/no/such/file"], ("台账.xlsx",), (), ("",), ("a", 1),
                  [Path("x")], "a.bundle", None]),
])
def test_plain_values_are_coerced_as_typer_would(annotation, values):
    """The fast path gives exactly what typer's pydantic coercion gives: the same value, or a refusal."""
    from types import SimpleNamespace

    pytest.importorskip("typer._coercion", reason="a typer before 0.2x coerces without pydantic")

    import typer.core
    from typer._click.exceptions import BadParameter
    from typer._coercion import resolve_type_descriptor
    from typer.models import OptionInfo

    from cli import params

    params.install()
    fast_build = typer.core.build_runtime_param
    descriptor = resolve_type_descriptor(annotation, OptionInfo())
    fast, slow = fast_build(descriptor), fast_build.typer_build(descriptor)
    assert type(fast).__name__ == "PlainRuntimeParam" and type(slow).__name__ != "PlainRuntimeParam"
    option = SimpleNamespace(multiple=annotation in (list[str], list[Path]), nargs=1, name="x", opts=["--x"],
                             secondary_opts=[], human_readable_name="--x")

    def outcome(rp, value):
        try:
            return ("ok", rp.coerce(value, param=option, ctx=None))
        except BadParameter:
            return ("refused",)

    for value in values:
        assert outcome(fast, value) == outcome(slow, value), value


@pytest.mark.parametrize("bounds", [(1, 2**63 - 1), (0, 2**31 - 1), (0, None), (None, 5), (-3, 3)])
def test_bounded_whole_numbers_are_checked_as_typer_would(bounds):
    """An ``int`` with ``min``/``max`` takes the fast path too, accepting and refusing (with the same
    words) exactly what typer's pydantic coercion accepts and refuses."""
    from types import SimpleNamespace

    pytest.importorskip("typer._coercion", reason="a typer before 0.2x coerces without pydantic")

    import typer.core
    from typer._click.exceptions import BadParameter
    from typer._coercion import resolve_type_descriptor
    from typer.models import OptionInfo

    from cli import params

    params.install()
    fast_build = typer.core.build_runtime_param
    descriptor = resolve_type_descriptor(int, OptionInfo(min=bounds[0], max=bounds[1]))
    fast, slow = fast_build(descriptor), fast_build.typer_build(descriptor)
    assert type(fast).__name__ == "PlainRuntimeParam" and type(slow).__name__ != "PlainRuntimeParam"
    option = SimpleNamespace(multiple=False, nargs=1, name="x", opts=["--x"], secondary_opts=[],
                             human_readable_name="--x")

    def outcome(rp, value):
        try:
            return ("ok", rp.coerce(value, param=option, ctx=None))
        except BadParameter as exc:
            return ("refused", exc.message)

    for value in ["0", "1", "5", "6", "-3", "-4", " 7", "+3", str(2**31 - 1), str(2**31), str(2**63 - 1),
                  str(2**63), "-" + str(2**63), "99999999999999999999999", 0, 6, 2**63, "abc", "1e3", None]:
        assert outcome(fast, value) == outcome(slow, value), value
    for value, bound in (("9" * 5000, bounds[1]), ("-" + "9" * 5000, bounds[0])):
        # more digits than Python converts: beyond the bound on its side, else as typer has it
        refused = outcome(fast, value)
        assert refused[0] == "refused" and (bound is None or str(bound) in refused[1]), refused


# --- one command built per run (cli/app.py _app_for) -----------------------------------------------

def _every_command_path() -> list[list[str]]:
    from typer.main import get_command_name

    from cli.app import app

    paths = [[c.name or get_command_name(c.callback.__name__)] for c in app.registered_commands]
    for g in app.registered_groups:
        paths.append([g.name])
        paths += [[g.name, c.name or get_command_name(c.callback.__name__)]
                  for c in g.typer_instance.registered_commands]
    return paths


def test_a_named_command_runs_on_an_app_holding_it_alone():
    from cli.app import _app_for, app

    assert _app_for(["--db", "x.db", "--as", "coord", "project", "show", "P-0001"]) is not app
    assert _app_for(["--lang=zh", "advance", "P-0001"]).registered_commands[0].name == "advance"
    for argv in (["--version"], ["no-such-command"], ["--bogus", "board"]):
        assert _app_for(argv) is app, argv
    for argv in ([], ["--help"], ["-h"], ["--db", "x.db"], ["--lang", "zh", "--help"]):  # the root help
        listing = _app_for(argv)
        assert listing is not app and len(listing.registered_commands) == len(app.registered_commands), argv


@pytest.mark.parametrize("argv", [["--help"], [], ["--lang", "zh", "-h"], ["--help", "--lang=zh"]])
def test_the_root_help_from_the_listing_app_equals_the_whole_apps(monkeypatch, argv):
    """The root help is built without any command's parameters, and prints exactly what the whole
    app prints (names, help texts, panels, in both languages)."""
    import cli.app
    from tests.conftest import invoke

    fast = invoke(argv)
    monkeypatch.setattr(cli.app, "_listing_app", lambda: cli.app.app)
    whole = invoke(argv)
    assert (fast.code, fast.out, fast.err) == (whole.code, whole.out, whole.err)
    if argv:
        assert "advance" in fast.out


@pytest.mark.parametrize("suffix", [["--help"], ["--no-such-option"]])
def test_help_and_usage_errors_are_the_same_as_from_the_whole_app(monkeypatch, suffix):
    """Every command's help and usage error, through the one-command app, equal the whole app's."""
    import cli.app
    from tests.conftest import invoke

    paths = _every_command_path()
    assert len(paths) > 50
    pruned = {tuple(p): invoke([*p, *suffix]) for p in paths}
    monkeypatch.setattr(cli.app, "_app_for", lambda argv: cli.app.app)
    for p in paths:
        whole = invoke([*p, *suffix])
        one = pruned[tuple(p)]
        assert (one.code, one.out, one.err) == (whole.code, whole.out, whole.err), p


WRITE_PATH = ("workflow.commands", "workflow.bulk", "workflow.store", "workflow.events", "workflow.rules")


@pytest.mark.parametrize("argv", [["project", "show", "P-0001"], ["project", "list"]])
def test_reads_do_not_load_the_write_path(cli, argv):
    """``project show`` and ``project list`` only read: the commands, the kernel, the event kinds and
    the rules stay unloaded (the service facade imports them on first write)."""
    cli("project", "add", "--name", "Solar", "--investor", "Acme", "--industry", "energy", "--investment", "2亿",
        "--unit", "XH", "--on", "2026-03-01", ok=True)
    doc = probe(["--db", cli.url_for(), "--as", "coord", *argv], WRITE_PATH)
    assert doc["code"] == 0 and doc["loaded"] == [], doc


SHOW_UNLOADED = ("workflow.reports.kinds", "workflow.reports.figures", "workflow.reports.planned", "workflow.targets",
                 "workflow.ledger", "workflow.setup_rows", "workflow.attachments", "html", "shlex", "getpass")


def test_project_show_loads_no_report_and_no_ledger(cli):
    """``project show`` reads a project's year plan through ``workflow.reports.state`` alone: the
    reports, their targets, the set-up ledger, the attachments and the standard modules of other
    commands (HTML escaping, the shell's word splitting, the OS user's name) stay unloaded."""
    cli("project", "add", "--name", "Solar", "--investor", "Acme", "--industry", "energy", "--investment", "2亿",
        "--unit", "XH", "--on", "2026-03-01", ok=True)
    doc = probe(["--db", cli.url_for(), "--as", "coord", "project", "show", "P-0001"], SHOW_UNLOADED)
    assert doc["code"] == 0 and doc["loaded"] == [], doc


def test_the_reports_package_gives_every_name_it_re_exports():
    """The names of ``workflow.reports`` loaded on first use are the defining modules' own."""
    import workflow.reports as reports
    from workflow.reports import figures, kinds, planned, shared, state, windows

    for name in reports.__all__:
        value = getattr(reports, name)
        homes = [m for m in (figures, kinds, planned, shared, state, windows) if getattr(m, name, None) is value]
        assert homes or name == "Thresholds", name
    assert reports.bulletin is kinds.bulletin and reports.growth_rate is planned.growth_rate
    with pytest.raises(AttributeError):
        reports.no_such_name  # noqa: B018


GC_PROBE = """
import gc, io, json, sys, contextlib
from cli.app import main
frozen = gc.get_freeze_count()
sys.argv = ["pipeline", *{argv!r}]
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    code = main({call})
print(json.dumps({{"code": code, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count() > frozen}}))
"""


@pytest.mark.parametrize("own", [True, False])
def test_start_up_collects_no_garbage_and_the_command_does(cli, own):
    """The process's own command (``main()`` reading ``sys.argv``) loads its modules with the cyclic
    collector off, freezes them and turns it on once the engine is made; a command run in-process
    (``main(argv)``: tests, the shell's lines) leaves the collector alone."""
    cli("project", "add", "--name", "Solar", "--investor", "Acme", "--industry", "energy", "--investment", "2亿",
        "--unit", "XH", "--on", "2026-03-01", ok=True)
    argv = ["--db", cli.url_for(), "--as", "coord", "project", "show", "P-0001"]
    out = subprocess.run([sys.executable, "-c", GC_PROBE.format(argv=argv, call="" if own else "sys.argv[1:]")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc == {"code": 0, "enabled": True, "frozen": own}, doc
