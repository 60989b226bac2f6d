"""The city above the counties (docs/city.md): ``county``, ``keys``, ``bundle`` and ``city`` commands.

A county sets its identity (``county set``), makes its signing key (``keys init``) and exports signed
bundles (``bundle export``); the city trusts county keys (``city trust add``), loads bundles after
checking them (``city load``) and reports across counties (``city report ranking``, ``city board``,
``city show``).  Thin: the work is in ``workflow.county``, ``workflow.bundle`` and ``workflow.city``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.context import STATE, emit_json, say
from cli.options import BundleFile, CityFormat, JsonFlag, OutputFile, group
from workflow.catalogue import Message
from workflow.errors import BadInput, PipelineError

KeyFile = Annotated[Path | None, typer.Option(
    "--key-file", metavar="FILE",
    help="The county's private signing key (default: county-signing-key.pem in the user data directory).")]

county_app = group("The county's identity (code and name) the city knows it by.")
keys_app = group("The county's Ed25519 signing key for its bundles.")
bundle_app = group("County bundles: the signed history the city loads.")
city_app = group("The city database: trusted county keys, loaded bundles, reports across counties.")
trust_app = group("County keys the city trusts.")
city_report_app = group("Reports across the counties the city holds.")

# Column and info labels of the city's reports (English, Chinese).
_LABELS: dict[str, tuple[str, str]] = {
    "rank": ("Rank", "排名"), "county": ("County", "县区"), "name": ("Name", "名称"),
    "signed": ("Signed", "签约"), "capital_cny": ("Capital in place (10k CNY)", "到位资金（万元）"),
    "capital_usd": ("Capital in place (10k USD)", "到位资金（万美元）"),
    "investment": ("Investment completed (10k CNY)", "完成投资（万元）"), "key": ("Key projects", "重点项目"),
    "growth_signed": ("Signed growth", "签约增长"), "growth_capital": ("Capital growth", "到位资金增长"),
    "growth_investment": ("Investment growth", "完成投资增长"), "as_of": ("As of", "截至"),
    "digest": ("Bundle digest", "数据包摘要"), "red": ("Red", "红灯"), "yellow": ("Yellow", "黄灯"),
    "total": ("City total", "全市合计"), "period": ("Period", "报告期"), "by": ("Ranked by", "排名依据"),
    "ranking": ("City ranking", "全市排名"), "board": ("City board", "全市红黄灯"),
    "code": ("Code", "编号"), "investor": ("Investor", "投资方"), "unit": ("Unit", "单位"),
    "stage": ("Stage", "阶段"), "planned": ("Planned investment (10k CNY)", "计划投资（万元）"),
    "registered": ("Registered", "登记日期"), "projects": ("Projects", "项目"),
    "bulletin": ("City bulletin", "全市通报"),
    "period_capital": ("Capital in period (10k CNY)", "本期到位资金（万元）"),
    "period_signed": ("Signed in period", "本期签约"), "ytd_signed": ("Signed, year to date", "累计签约"),
    "ytd_capital_cny": ("Capital, year to date (10k CNY)", "累计到位资金（万元）"),
    "ytd_capital_usd": ("Capital, year to date (10k USD)", "累计到位资金（万美元）"),
    "ytd_investment": ("Investment, year to date (10k CNY)", "累计完成投资（万元）"),
    "before_capital": ("Capital, same span last year (10k CNY)", "上年同期到位资金（万元）"),
    "growth_signed_yoy": ("Signed, change on last year", "签约同比"),
    "growth_capital_yoy": ("Capital, change on last year", "到位资金同比"),
    "growth_investment_yoy": ("Investment, change on last year", "完成投资同比"),
    "ytd": ("Year to date", "累计"), "ytd_before": ("Same span last year", "上年同期"),
    "public_key": ("Public key", "公钥"), "reason": ("Reason", "原因"), "trusted_by": ("Trusted by", "添加人"),
    # what ``--by`` ranks by
    "by_capital": ("capital in place (CNY)", "到位资金"), "by_signed": ("projects signed", "签约项目数"),
    "by_investment": ("investment completed (CNY)", "完成投资"), "by_key": ("key projects", "重点项目数"),
}


def _l(key: str) -> str:
    from workflow.lang import is_zh

    en, zh = _LABELS[key]
    return zh if is_zh(STATE.lang) else en


def _actor(engine) -> str:
    from workflow.db import session_actor

    return session_actor(engine, STATE.login())


# --- county identity ------------------------------------------------------------------------------------


@county_app.command("set")
def county_set(
    name: str = typer.Option(None, "--name", help="The county's name, e.g. 甲县 (required)."),
    code: str = typer.Option(None, "--code", help="The county's code, e.g. JX (required)."),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the ledger)."),
    json: JsonFlag = False,
) -> None:
    """Set the county's code and name (admin); recorded in the set-up ledger."""
    from workflow import county

    if name is None or code is None:
        raise BadInput("give_name_name_and")
    engine = STATE.engine()
    doc = county.set_identity(engine, _actor(engine), code, name, reason)
    if json:
        emit_json(doc)
        return
    say(Message("county_ledger_entry", name=doc['name'], code=doc['code'], seq=doc['ledger']['seq']))


@county_app.command("show")
def county_show(json: JsonFlag = False) -> None:
    """Print the county's code and name."""
    from workflow import county

    doc = county.identity(STATE.engine(write=False))
    if json:
        emit_json(doc)
        return
    typer.echo(f"{doc['name']} ({doc['code']})")  # data: on stdout


# --- keys -------------------------------------------------------------------------------------------------


def _print_key(doc: dict, json: bool, made: bool) -> None:
    if json:
        emit_json(doc)
        return
    if made:
        say(Message("signing_key_written_to", key_file=doc['key_file']))
    say(Message("public_key_give_it"))
    typer.echo(doc["public_key"])


@keys_app.command("init")
def keys_init(
    key_file: KeyFile = None,
    force: bool = typer.Option(False, "--force", help="Replace an existing key (the city must trust the new one)."),
    json: JsonFlag = False,
) -> None:
    """Make the county's Ed25519 signing key and print its public key for the city."""
    from workflow import county

    _print_key(county.init_key(key_file, force=force), json, True)


@keys_app.command("show")
def keys_show(key_file: KeyFile = None, json: JsonFlag = False) -> None:
    """Print the public key of the county's signing key."""
    from workflow import county

    _print_key(county.show_key(key_file), json, False)


# --- bundle -------------------------------------------------------------------------------------------------


@bundle_app.command("export")
def bundle_export(
    output: BundleFile = None,
    as_of: str = typer.Option(None, "--as-of", metavar="YYYY-MM-DD",
                              help="The date the city reports the county as of (default: today)."),
    key_file: KeyFile = None,
    force: bool = typer.Option(False, "--force", help="Replace an existing file (never a symbolic link)."),
    json: JsonFlag = False,
) -> None:
    """Write the county's signed bundle: identity, whole history, set-up ledger, digest, signature."""
    from workflow import bundle
    from workflow.clock import parse_date

    if output is None:
        raise BadInput("give_output_file")
    engine = STATE.engine(write=False)
    doc = bundle.export(engine, output, actor=_actor(engine), as_of=parse_date(as_of, "--as-of"),
                        key_file=key_file, force=force)
    if json:
        emit_json(doc)
        return
    c = doc["counts"]
    say(Message("wrote_as_of_events", file=doc['file'], name=doc['county']['name'], code=doc['county']['code'],
                as_of=doc['as_of'], events=c['events'], projects=c['projects'], ledger=c['ledger']))
    say(Message("digest", digest=doc['digest']))


# --- city ---------------------------------------------------------------------------------------------------


@city_app.command("init")
def city_init(
    admin: str | None = typer.Option(None, "--admin", metavar="LOGIN",
                                     help="Make LOGIN the city's admin (default: the acting user)."),
    json: JsonFlag = False,
) -> None:
    """Create or upgrade the city database (as `pipeline init`: --db / PIPELINE_DB); LOGIN becomes admin."""
    from cli import schema_cmds
    from workflow import city

    # a new SQLite city in the city's pages (docs/city.md), made once the logins are checked
    schema_cmds.make_database(admin=admin, force=False, json=json, page_size=city.PAGE_SIZE)


@trust_app.command("add")
def trust_add(
    county: str = typer.Argument(..., metavar="COUNTY", help="The county's code, e.g. JX."),
    key: str = typer.Option(None, "--key", metavar="PUBLIC_KEY",
                            help="The county's public key (base64 or hex; required)."),
    reason: str = typer.Option(None, "--reason", help="Why the key is trusted (required; kept in the ledger)."),
    json: JsonFlag = False,
) -> None:
    """Trust a county's public key (admin); recorded in the city's set-up ledger."""
    from workflow import city

    if key is None:
        raise BadInput("give_key_public_key")
    engine = STATE.engine()
    doc = city.trust_add(engine, _actor(engine), county, key, reason)
    if json:
        emit_json(doc)
        return
    say(Message("county_key_trusted", county=doc['county'], public_key=doc['public_key']))


@trust_app.command("list")
def trust_list(json: JsonFlag = False) -> None:
    """List the trusted county keys."""
    from cli.render import print_rows
    from workflow import city

    rows = city.trusted(STATE.engine(write=False))
    if json:
        emit_json({"keys": rows})
        return
    print_rows([_l("county"), _l("public_key"), _l("reason"), _l("trusted_by")],
               [(r["county"], r["public_key"], r["reason"] or "", r["added_by"]) for r in rows])


@city_app.command("load")
def city_load(
    files: list[Path] = typer.Argument(..., metavar="FILE",
                                       help="Bundle files written by `pipeline bundle export`."),
    workers: int = typer.Option(
        2, "--workers", envvar="PIPELINE_WORKERS", min=1, max=64, metavar="N",
        help="Processes that check the bundles ahead of their turn (1: none)."),
    json: JsonFlag = False,
) -> None:
    """Check each bundle and keep it, in the order given (admin); a refused bundle changes nothing and
    stops the load: the bundles before it are kept, it and the ones after it are not.

    Exits 2 for a malformed file, 6 for a key the city does not trust, 7 when a check fails."""
    from cli.context import progress_bar
    from workflow import city

    engine = STATE.engine()
    actor = _actor(engine)
    kept: list[dict] = []

    try:
        with progress_bar(not json, least=2) as progress:  # on a terminal: bundles kept of those given
            progress("load", 0, len(files))

            def loaded(doc: dict) -> None:
                kept.append(doc)
                if not json:
                    say(Message("county_as_of_new", file=doc['file'], county=doc['county'], name=doc['name'],
                                as_of=doc['as_of'], new_events=doc['new_events'], events=doc['events'],
                                digest=doc['digest']))
                progress("load", len(kept), len(files))

            done = city.load_many(engine, actor, files, workers=workers, loaded=loaded)
    except PipelineError as exc:
        # what was kept before the refusal (docs/city.md, "pipeline city load"): under --json
        # ``loaded`` beside the error, as a load that ends well prints it; on the terminal a line
        exc.beside["loaded"] = kept
        if kept and len(kept) < len(files) and not json:
            say(Message("city_load_stopped", file=files[len(kept)], n=len(kept),
                        counties=[d["county"] for d in kept]))
        raise
    if json:
        emit_json({"loaded": done})


# --- city reports ---------------------------------------------------------------------------------------------


def _emit(report, fmt: str | None, output: Path | None, totals: tuple[dict, dict] | None = None,
          span: tuple[str, str] | None = None) -> None:
    """Write a city report: html and docx as an official document (cli/documents.py, the county's own
    format: issuer mark, red line, title, body, 版记) opening with the sentence of the city's ``totals``
    (figures, growth) and with ``span`` (first and last day) in its subtitle; the other formats as the
    county's reports are."""
    if fmt in ("html", "docx"):
        from datetime import date

        from cli import documents
        from cli.output import write_text
        from workflow import clock, office
        from workflow.lang import is_zh

        with STATE.engine(write=False).connect() as conn:
            settings = office.read(conn)
        lang = STATE.lang
        when = documents.period_words(date.fromisoformat(span[0]), date.fromisoformat(span[1]), lang) if span else ""
        issuer, mark, printer = documents.letterhead(settings, lang)
        doc = documents.Document(
            lang=lang, title=report.title, subtitle=(f"（{when}）" if is_zh(lang) else when) if when else None,
            number=None, dated=documents.date_words(clock.today(), lang), issuer=issuer,
            summary=_summary(*totals, when, settings.percent_decimals) if totals else [],
            sections=list(report.sections), mark=mark, cc=list(settings.cc),
            printer=printer)
        if fmt == "docx":
            assert output is not None  # check_format refuses docx without --output
            documents.write_docx(doc, output)
            say(Message("wrote", output=output))
        else:
            write_text(documents.html_text(doc), output)
        return
    from cli.report_cmds import emit

    emit(report, fmt, output, STATE.lang)


def _summary(total: dict, growth: dict, what: str, decimals: int) -> list[str]:
    """The city's totals in one sentence: signed, capital in place (each currency apart), investment
    completed, each with its change on the same span of the previous year when there is one (with at
    most ``decimals`` places, the ``percent_decimals`` document setting)."""
    from cli import documents
    from workflow.lang import is_zh

    zh = is_zh(STATE.lang)

    def change(key: str) -> str:
        rate = growth.get(key)
        if rate is None:
            return ""
        return f"（同比{'增长' if rate >= 0 else '下降'}{documents.pct(abs(rate), decimals)}%）" if zh else \
            f" ({'+' if rate >= 0 else '-'}{documents.pct(abs(rate), decimals)}% on last year)"

    cap, inv = total["capital"], total["investment"]
    if zh:
        parts = [f"{what}，全市签约项目{total['signed']}个{change('signed')}",
                 f"到位资金{documents.yi(cap['CNY'])}亿元{change('capital')}"]
        if cap.get("USD"):
            parts.append(f"利用外资{documents.wan(cap['USD'])}万美元")
        parts.append(f"完成投资{documents.yi(inv['CNY'])}亿元{change('investment')}")
        return ["，".join(parts) + "。"]
    parts = [f"In {what}, the city signed {total['signed']} projects{change('signed')}",
             f"capital in place CNY {documents.million(cap['CNY'])} million{change('capital')}"]
    if cap.get("USD"):
        parts.append(f"USD {documents.million(cap['USD'])} million of foreign capital")
    parts.append(f"investment completed CNY {documents.million(inv['CNY'])} million{change('investment')}")
    return [", ".join(parts) + "."]


def _check(fmt: str | None, output: Path | None, json: bool) -> None:
    from cli.options import CITY_FORMATS
    from cli.output import check_format

    if json and (fmt or output):
        raise BadInput("json_and_format_output")
    check_format(fmt, CITY_FORMATS, output)


def _ranked_by(by: str, year_to_date: bool) -> str:
    """What a ranking table's heading adds: the figure the counties are ranked by (``--by``)."""
    from workflow.lang import is_zh

    if is_zh(STATE.lang):
        return f"（按{'累计' if year_to_date else ''}{_l(f'by_{by}')}排名）"
    return f", ranked by {_l(f'by_{by}')}{', year to date' if year_to_date else ''}"


def _digests_section(rows: list[dict]):
    from cli.sections import Section

    sec = Section("bundles", [(_l("county"), "text"), (_l("as_of"), "date"), (_l("digest"), "text")],
                  title=_l("digest"))
    for r in rows:
        sec.add([r["county"], r["as_of"], r["digest"]])
    return sec


def _with_digests(sec, counties: list[dict]):
    """The table ``sec`` (a row per county, then the total) with each county's digest in a last column:
    the one table CSV holds."""
    from cli.sections import Section

    flat = Section(sec.key, [*sec.columns, (_l("digest"), "text")])
    for row, style, r in zip(sec.rows, sec.styles, [*counties, None], strict=True):
        flat.add([*row, r["digest"] if r else ""], style)
    return flat


@city_report_app.command("ranking")
def city_ranking(
    period: str = typer.Option(None, "--period", "-p", metavar="PERIOD",
                               help="2026 (year), 2026-H1, 2026-Q3 or 2026-B2 (required)."),
    by: str = typer.Option("capital", "--by", metavar="capital|signed|investment|key",
                           help="The figure counties are ranked by."),
    json: JsonFlag = False,
    fmt: CityFormat = None,
    output: OutputFile = None,
) -> None:
    """Per county: signed, capital in place (CNY, USD), investment completed, key projects, growth on the
    same period a year before, rank; and the city's total; with each county's as-of date and digest."""
    from cli.sections import Report, Section
    from workflow import city

    _check(fmt, output, json)
    if period is None:
        raise BadInput("give_period_period")
    doc = city.ranking(STATE.engine(write=False), period, by=by, lang=STATE.lang)
    if json:
        emit_json(doc)
        return
    cols = [(_l(k), kind) for k, kind in (
        ("rank", "int"), ("county", "text"), ("name", "text"), ("signed", "int"), ("capital_cny", "wan"),
        ("capital_usd", "wan"), ("investment", "wan"), ("key", "int"), ("growth_signed", "rate"),
        ("growth_capital", "rate"), ("growth_investment", "rate"), ("as_of", "date"))]
    sec = Section("ranking", cols, title=f"{_l('ranking')} {doc['period']}{_ranked_by(doc['by'], False)}")

    def cells(f: dict, g: dict) -> list:
        return [f["signed"], f["capital"]["CNY"], f["capital"]["USD"], f["investment"]["CNY"], f["key"],
                g["signed"], g["capital"], g["investment"]]

    for r in doc["counties"]:
        sec.add([r["rank"], r["county"], r["name"], *cells(r["figures"], r["growth"]), r["as_of"]])
    tot = doc["total"]
    sec.add([("text", ""), _l("total"), "", *cells(tot["figures"], tot["growth"]), ""], "total")
    flat = _with_digests(sec, doc["counties"])
    info = [(_l("period"), f"{doc['period']} ({doc['start']} – {doc['end']})"), (_l("by"), _l(f"by_{doc['by']}"))]
    _emit(Report(f"{_l('ranking')} {doc['period']}", [sec, _digests_section(doc["counties"])], flat, info),
          fmt, output, (tot["figures"], tot["growth"]), (doc["start"], doc["end"]))


@city_report_app.command("bulletin")
def city_bulletin(
    period: str = typer.Option(None, "--period", "-p", metavar="PERIOD",
                               help="The period the bulletin reports: 2026-B5, 2026-Q3, 2026-H1 or 2026 (required)."),
    by: str = typer.Option("capital", "--by", metavar="capital|signed|investment|key",
                           help="The year-to-date figure counties are ranked by."),
    json: JsonFlag = False,
    fmt: CityFormat = None,
    output: OutputFile = None,
) -> None:
    """Per county: the period's own figures, the year to date (1 January to the period's end), the same
    span of the previous year and the change on it, ranked by the year to date; with the city's totals and
    each county's as-of date and digest."""
    from cli.sections import Report, Section
    from workflow import city

    _check(fmt, output, json)
    if period is None:
        raise BadInput("give_period_period")
    doc = city.bulletin(STATE.engine(write=False), period, by=by, lang=STATE.lang)
    if json:
        emit_json(doc)
        return
    cols = [(_l(k), kind) for k, kind in (
        ("rank", "int"), ("county", "text"), ("name", "text"), ("period_signed", "int"),
        ("period_capital", "wan"), ("ytd_signed", "int"), ("ytd_capital_cny", "wan"), ("ytd_capital_usd", "wan"),
        ("ytd_investment", "wan"), ("before_capital", "wan"), ("growth_signed_yoy", "rate"),
        ("growth_capital_yoy", "rate"), ("growth_investment_yoy", "rate"), ("as_of", "date"))]
    title = f"{_l('bulletin')} {doc['period']}"
    sec = Section("bulletin", cols, title=title + _ranked_by(doc["by"], True))

    def cells(p: dict, y: dict, b: dict, g: dict) -> list:
        return [p["signed"], p["capital"]["CNY"], y["signed"], y["capital"]["CNY"], y["capital"]["USD"],
                y["investment"]["CNY"], b["capital"]["CNY"], g["signed"], g["capital"], g["investment"]]

    for r in doc["counties"]:
        sec.add([r["rank"], r["county"], r["name"],
                 *cells(r["period_figures"], r["year_to_date"], r["year_to_date_before"], r["growth"]), r["as_of"]])
    tot = doc["total"]
    sec.add([("text", ""), _l("total"), "",
             *cells(tot["period_figures"], tot["year_to_date"], tot["year_to_date_before"], tot["growth"]), ""],
            "total")
    flat = _with_digests(sec, doc["counties"])
    ytd, before = doc["year_to_date"], doc["year_to_date_before"]
    info = [(_l("period"), f"{doc['period']} ({doc['start']} – {doc['end']})"),
            (_l("ytd"), f"{ytd['start']} – {ytd['end']}"), (_l("ytd_before"), f"{before['start']} – {before['end']}"),
            (_l("by"), _l(f"by_{doc['by']}"))]
    _emit(Report(title, [sec, _digests_section(doc["counties"])], flat, info), fmt, output,
          (tot["year_to_date"], tot["growth"]), (ytd["start"], ytd["end"]))


@city_app.command("board")
def city_board(json: JsonFlag = False, fmt: CityFormat = None, output: OutputFile = None) -> None:
    """Red and yellow lights per county, as of each county's bundle date, with its digest."""
    from cli.sections import Report, Section
    from workflow import city

    _check(fmt, output, json)
    doc = city.board(STATE.engine(write=False))
    if json:
        emit_json(doc)
        return
    sec = Section("board", [(_l(k), kind) for k, kind in (
        ("county", "text"), ("name", "text"), ("red", "int"), ("yellow", "int"), ("as_of", "date"),
        ("digest", "text"))], title=_l("board"))
    for r in doc["counties"]:
        sec.add([r["county"], r["name"], r["red"], r["yellow"], r["as_of"], r["digest"]])
    sec.add([_l("total"), "", doc["total"]["red"], doc["total"]["yellow"], "", ""], "total")
    _emit(Report(_l("board"), [sec], "board"), fmt, output)


@city_app.command("show")
def city_show(
    county: str = typer.Argument(..., metavar="COUNTY", help="The county's code."),
    json: JsonFlag = False,
    fmt: CityFormat = None,
    output: OutputFile = None,
) -> None:
    """A county's projects as the city holds them (read-only), with its as-of date and digest."""
    from cli.render import stage_label
    from cli.sections import Report, Section
    from workflow import city

    _check(fmt, output, json)
    doc = city.show(STATE.engine(write=False), county)
    if json:
        emit_json(doc)
        return
    sec = Section("projects", [(_l(k), kind) for k, kind in (
        ("code", "text"), ("name", "text"), ("investor", "text"), ("unit", "text"), ("stage", "text"),
        ("key", "text"), ("planned", "wan"), ("registered", "date"))], title=f"{doc['name']} ({doc['code']})")
    for p in doc["projects"]:
        sec.add([p["code"], p["name"], p["investor"] or "", p["unit_code"] or "", stage_label(p["stage"], STATE.lang),
                 "★" if p["key"] else "", p["planned_investment_minor"], p["registered_on"]])
    # the as-of date and digest: a table of their own (in every format and document) and, in CSV (one
    # table), two last columns
    flat = Section(sec.key, [*sec.columns, (_l("as_of"), "date"), (_l("digest"), "text")])
    for row in sec.rows:
        flat.add([*row, doc["as_of"], doc["digest"]])
    held = _digests_section([{"county": doc["code"], "as_of": doc["as_of"], "digest": doc["digest"]}])
    _emit(Report(f"{doc['name']} ({doc['code']})", [sec, held], flat), fmt, output)


def register(app: typer.Typer) -> None:
    """Put this module's commands on the root app."""
    city_app.add_typer(trust_app, name="trust")
    city_app.add_typer(city_report_app, name="report")
    app.add_typer(county_app, name="county")
    app.add_typer(keys_app, name="keys")
    app.add_typer(bundle_app, name="bundle")
    app.add_typer(city_app, name="city")
