"""``pipeline import``, ``pipeline export`` and ``pipeline demo`` (docs/import-export.md).

Thin: read and check the file with ``workflow.io``, write through ``workflow.service``, render.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from cli.context import PROGRESS_FROM, STATE, emit_json, progress_bar, say
from cli.options import JsonFlag, LateFlag, LateReason, late_entry
from cli.params import INT_MAX
from workflow.catalogue import Message
from workflow.clock import parse_date
from workflow.errors import BadInput

# --- import ----------------------------------------------------------------------------------------


def import_cmd(
    file: Path = typer.Argument(..., metavar="FILE",
                                help="The ledger: a .csv (UTF-8, UTF-8 with BOM, GB18030 or UTF-16) or .xlsx file."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check every row and say what would be imported; "
                                                          "write nothing."),
    allow_duplicates: bool = typer.Option(False, "--allow-duplicate", "--allow-duplicates",
                                          help="Import rows naming a project not in a final stage (same name "
                                               "and investor, as project add compares them) or repeating an "
                                               "earlier row."),
    sheet: str = typer.Option(None, "--sheet", metavar="NAME", help="The sheet of an .xlsx workbook "
                                                                     "(default: the first)."),
    late: LateFlag = False,
    reason: LateReason = None,
    json: JsonFlag = False,
) -> None:
    """Register every row of a project ledger as a new project, all or nothing (coordinator).

    Headers: English keys (name, investor, origin, industry, category, investment, unit, key,
    plan_sign, plan_fund, plan_break_ground, plan_commission, registered_on, year_plan) or the Chinese
    headers (项目名称, 投资方, 投资方来源, 行业, 类别, 计划总投资, 责任单位, 重点项目, 计划签约日期, 计划到资日期,
    计划开工日期, 计划投产日期, 登记日期, 年度计划投资: YEAR=AMOUNT;YEAR=AMOUNT, e.g. 2026=8000万).
    Every cell is checked first; any problem refuses the whole
    file (exit 2) and every problem is listed with its line and column."""
    with late_entry(late, reason):  # one reason for the whole file
        _import(file, dry_run, allow_duplicates, sheet, json)


def _import(file: Path, dry_run: bool, allow_duplicates: bool, sheet: str | None, json: bool) -> None:
    """Two passes over the file, neither holding its rows: the first checks every cell and keeps the
    problems, a digest of each row's identity (for duplicates) and the converted good rows on a spool
    (a temporary file); the second feeds the spool to ``Service.import_projects``, which writes in
    batches inside one transaction."""
    from workflow import clock, rates
    from workflow import io as wio

    lang = STATE.lang
    table = wio.read_table(file, sheet=sheet)
    try:
        svc = STATE.service()
        units = svc.list_units()
        existing = None if allow_duplicates else svc.project_identities()
        with svc.engine.connect() as conn:
            year_rates = rates.read(conn)  # a planned investment in USD: valued at its year's rate
    except BaseException:
        table.close()
        raise
    with progress_bar(table.estimated_rows >= PROGRESS_FROM) as progress, \
            wio.check_rows(table, units=units, today=clock.today(), lang=lang, existing=existing,
                           allow_duplicates=allow_duplicates, rates=year_rates,
                           progress=lambda done, total: progress("check", done, total)) as checked:
        existing = None  # the digests are not needed any more
        if checked.problems:
            bad_rows = len({p["line"] for p in checked.problems})
            raise BadInput(
                "problem_in_of_rows",
                checked.problems, name=file.name, n_problems=len(checked.problems), bad_rows=bad_rows,
                rows_seen=checked.rows_seen)
        if not checked.count:
            raise BadInput("no_data_rows_under",
                           [{"line": table.header_line, "column": None, "field": None,
                             "message": Message("no_data_rows")}], name=file.name, header_line=table.header_line)
        if checked.ignored and not json:
            from workflow.text import listing

            say((Message("ignored_column_not_known", listing=listing(checked.ignored),
                         listing_2=listing(checked.ignored, sep='、'))), style="yellow")
        try:
            result = svc.import_projects(checked.rows(), total=checked.count, dry_run=dry_run, progress=progress,
                                         allow_duplicate=True)  # check_rows checked, naming the lines
        except BadInput as exc:  # rows are numbered as checked: give their lines in the file
            lines = checked.lines_of(d["row"] for d in exc.details if "row" in d)
            exc.details = [{"line": lines.get(d["row"]) if "row" in d else None, "column": None,
                            "field": None, "message": d.get("message", "")} for d in exc.details]
            raise
        n, k = checked.count, result["assignments"]
        doc = {"imported": result["imported"], "dry_run": dry_run, "rows": n,
               "first": result["first"], "last": result["last"], "assignments": k,
               "file": str(file), "encoding": table.encoding, "header_line": table.header_line,
               "columns": checked.columns, "ignored_columns": checked.ignored}
        if dry_run:
            doc["would_import"] = n
        from cli.commands import SHOWN_WARNINGS, lead_leader_warnings, print_warnings

        unled = [] if dry_run or not result["imported"] else (
            STATE.service(write=False).key_without_lead_leader(result["first"], result["last"]))
        if json:
            doc["warnings"] = lead_leader_warnings(unled)
            emit_json(doc)
            return
        # Only the warnings shown are built: a big import's full list (both languages each) would
        # outweigh the import itself (docs/performance.md).
        warnings = lead_leader_warnings(unled[:SHOWN_WARNINGS])
        shown_of = len(unled)
        if dry_run:
            _preview(checked.numbered(), n, lang)
    span = result["first"] if result["first"] == result["last"] else f"{result['first']} … {result['last']}"
    if lang == "zh":
        leaders = f"；按规则分配领导 {k} 人次" if k else ""
    else:
        leaders = f"; {k} leader assignment(s) by rules" if k else ""
    if dry_run:
        say(Message("dry_run_checked_no", plural=_plural(n, 'row'), span=span, leaders=leaders, n=n))
    else:
        say(Message("imported_from", plural=_plural(n, 'project'), name=file.name, span=span, leaders=leaders, n=n))
        print_warnings(warnings, total=shown_of)


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _preview(numbered, count: int, lang: str, limit: int = 20) -> None:
    """The first ``limit`` of ``count`` rows to import, as ``(line, row)``, in a table on stdout."""
    from itertools import islice

    from cli.render import print_rows
    from workflow.amounts import format_money
    from workflow.i18n import t
    from workflow.service import is_key

    cols = ["line", "name", "investor", "industry", "planned_investment", "unit", "key"]
    shown = [(line, r["name"], r["investor"], r["industry"], format_money(r["investment_minor"], "CNY", lang),
              r["unit"], t("yes" if is_key(r["investment_minor"], r["key"]) else "no", lang))
             for line, r in islice(numbered, limit)]
    print_rows([t(c, lang) if c != "line" else ("行" if lang == "zh" else "Line") for c in cols], shown)
    if count > limit:
        say(Message("and_more_rows", count=count - limit))


# --- export ----------------------------------------------------------------------------------------

ENCODINGS = ("utf-8-sig", "utf-8", "gb18030")


def export_cmd(
    file: str = typer.Argument(..., metavar="FILE",
                               help="Where to write: FILE.csv or FILE.xlsx (by extension); - writes CSV to stdout."),
    stage: str = typer.Option(None, "--stage", help="Only projects in this stage."),
    unit: str = typer.Option(None, "--unit", metavar="CODE", help="Only this unit's projects."),
    encoding: str = typer.Option("utf-8-sig", "--encoding", metavar="|".join(ENCODINGS),
                                 help="CSV encoding: utf-8-sig (UTF-8 with a BOM, so Excel reads Chinese; the "
                                      "default), utf-8, or gb18030."),
    json: JsonFlag = False,
) -> None:
    """Write the project ledger (项目台账) with the import headers (Chinese under --lang zh), so that
    the file imports back unchanged; the code, stage and stage date come along for the reader."""
    from cli.render import stage_label
    from workflow import io as wio

    if encoding not in ENCODINGS:
        raise BadInput("encoding_is_not_one", encoding=encoding, encodings=list(ENCODINGS))
    lang = STATE.lang
    to_stdout = file == "-"
    suffix = "" if to_stdout else Path(file).suffix.lower()
    if not to_stdout and suffix not in (".csv", ".xlsx"):
        raise BadInput("file_must_end_in", file=file)
    rows = STATE.service(write=False).ledger(stage=stage, unit=unit)
    headers, cells = wio.ledger_table(rows, lang, stage_label=lambda s: stage_label(s, lang))
    if to_stdout:
        if json:
            raise BadInput("json_reports_on_file")
        import sys

        text = wio.write_csv(None, headers, cells)
        assert text is not None  # given no path, write_csv returns the text
        sys.stdout.write(text)
        sys.stdout.flush()
        say(Message("exported_projects", n_rows=len(rows)))
        return
    if suffix == ".csv":
        wio.write_csv(file, headers, cells, encoding=encoding)
    else:
        wio.write_xlsx(file, headers, cells, money_columns=[wio.EXPORT_ORDER.index("investment")],
                       title="项目台账" if lang == "zh" else "projects")
    doc = {"exported": len(rows), "file": file, "format": suffix[1:], "stage": stage, "unit": unit}
    if json:
        emit_json(doc)
    else:
        say(Message("exported_projects_to", n_rows=len(rows), file=file))


# --- demo ------------------------------------------------------------------------------------------


def demo_cmd(
    projects: int = typer.Option(60, "--projects", min=1, max=200_000, metavar="N",
                                 help="How many projects (default 60; 50000 builds a large county for benchmarks)."),
    seed: int = typer.Option(1, "--seed", min=0, max=INT_MAX, metavar="S",
                             help="The same seed builds the same county."),
    force: bool = typer.Option(False, "--force",
                               help="Build even where the database holds data that is not a demo's (an SQLite "
                                    "file is moved aside to FILE.bak-TIMESTAMP first)."),
    show: bool = typer.Option(True, "--show/--no-show", help="Show the board afterwards."),
    scenario: str = typer.Option("random", "--scenario", metavar="random|seed|city",
                                 help="random: a generated county of --projects N (default); seed: the county of "
                                      "the seed speech over 2022-2026, whose reports print its figures exactly; "
                                      "city: five counties of its city, signed and loaded into this database."),
    as_of: str | None = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                                     help="seed, city: the date its history runs up to (default today; from "
                                          "2026-02-01)."),
    folder: Path | None = typer.Option(None, "--dir", metavar="DIR",
                                       help="city: the folder of the counties' databases, keys and bundles "
                                            "(default: demo-city in the user data directory)."),
    json: JsonFlag = False,
) -> None:
    """Build a demo county in the database (default: the embedded SQLite file), then show the board.

    Units, county leaders and township heads, leader rules, targets, and projects over every stage
    with documents, checks, capital in CNY and USD, follow-ups, holds, a rejection and a withdrawal,
    dated over the past year.  A database holding a previous demo is rebuilt; one holding other data
    is refused unless --force."""
    from cli.schema_cmds import init, safe_url
    from workflow import db as dbm
    from workflow import demo as wdemo

    if scenario not in ("random", "seed", "city"):
        raise BadInput("scenario_is_not_one", scenario=scenario)
    if as_of is not None and scenario == "random":
        raise BadInput("demo_option_needs_scenario", option="--as-of", scenarios="seed, city")
    if folder is not None and scenario != "city":
        raise BadInput("demo_option_needs_scenario", option="--dir", scenarios="city")
    day = None
    if as_of is not None:
        from workflow.seed import check_as_of

        day = check_as_of(parse_date(as_of, "--as-of"))  # bad input before anything changes
    if scenario == "city":
        from workflow import city
        from workflow.seed_city import check_folder

        check_folder(folder)
        city.new_city_file(STATE.url)  # a new city in the city's pages, as `city init` makes one
    engine = STATE.engine(check=False)
    state = dbm.schema_state(dbm.current_revision(engine))
    if state == "ahead":
        dbm.check_schema(engine)  # refuses, naming the fix
    replaced = None
    if state != "missing":
        found = wdemo.inspect(engine)
        if found["has_data"] or found["demo"] is not None:
            if found["demo"] is None and not force:
                raise BadInput("database_holds_not_demo", safe_url=safe_url(engine), held=found["held"])
            replaced = _clear(engine, keep_backup=found["demo"] is None)
            if scenario == "city":
                city.new_city_file(STATE.url)
            engine = STATE.engine(check=False)
    init(admin=None, json=False)  # the same code as `pipeline init`: schema, and the acting user as admin
    engine = STATE.engine()
    login = STATE.login()
    if scenario == "city":
        from workflow import seed_city

        summary = seed_city.build(engine, admin=dbm.session_actor(engine, login), folder=folder,
                                  as_of=day,
                                  say=lambda where: say(Message("demo_city_counties_in", folder=where)))
    elif scenario == "seed":
        from workflow import seed as wseed

        summary = wseed.build(engine, admin=dbm.session_actor(engine, login),
                              as_of=day)
    else:
        with progress_bar(projects >= PROGRESS_FROM) as progress:
            summary = wdemo.build(engine, admin=dbm.session_actor(engine, login), projects=projects, seed=seed,
                                  progress=progress)
    summary["database"] = safe_url(engine)
    if replaced:
        summary["replaced"] = replaced
    if json:
        emit_json(summary)
        return
    if replaced and replaced.get("backup"):
        say(Message("previous_database_was_moved", backup=replaced['backup']))
    if scenario == "city":
        say(Message("demo_built_city", database=summary["database"], n_counties=len(summary["counties"]),
                    names=[c["name"] for c in summary["counties"]], as_of=summary["as_of"]))
        if show:
            from cli.city_cmds import city_board

            city_board()  # `pipeline city board`, in this process
        return
    counts = {"database": summary["database"], "projects": summary["projects"], "stages": len(summary["stages"]),
              "units": summary["units"], "people": summary["people"], "events": summary["events"]}
    say(Message("demo_built_seed_county", **counts) if scenario == "seed" else
        Message("demo_built", seed=seed, **counts))
    if show:
        from cli.report_cmds import board_cmd

        board_cmd()  # `pipeline board`, in this process


def _clear(engine, *, keep_backup: bool) -> dict:
    """Make room for a new demo: an SQLite file is removed (a demo) or moved aside (other data)."""
    import os
    import sqlite3
    from datetime import datetime

    from cli import context

    path = engine.url.database
    if engine.dialect.name != "sqlite" or not path or path == ":memory:":
        raise BadInput("demo_rebuilds_only_sqlite")
    context.close_engines()  # close every connection to the file, a shell's kept ones too
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    files = [p for p in (path, f"{path}-wal", f"{path}-shm") if os.path.exists(p)]
    if keep_backup:
        backup = f"{path}.bak-{datetime.now().strftime('%Y%m%d%H%M%S')}"
        for p in files:
            os.replace(p, backup + p[len(path):])
        return {"backup": backup}
    for p in files:
        os.remove(p)
    return {"removed": path}


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    app.command("import")(import_cmd)
    app.command("export")(export_cmd)
    app.command("demo")(demo_cmd)
