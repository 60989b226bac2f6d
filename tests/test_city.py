"""The city above the counties (docs/city.md): county identity and keys, signed bundles, the city's
checks on load (a refused bundle keeps nothing), incremental loads, and the city's reports, whose
county figures equal the county's own bulletin."""

from __future__ import annotations

import base64
import json
import re
import shutil
import sqlite3
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ADMIN, invoke


def _county_db(tmp: Path, seed: int = 1, code: str = "JX", name: str = "甲县") -> dict:
    db = str(tmp / "county.db")
    assert invoke(["demo", "--projects", "12", "--seed", str(seed), "--no-show"], db=db).code == 0
    assert invoke(["county", "set", "--name", name, "--code", code], db=db).code == 0
    key = str(tmp / f"{code.lower()}.pem")
    res = invoke(["keys", "init", "--key-file", key, "--json"], db=db)
    assert res.code == 0, res.err
    bundle = str(tmp / f"{code.lower()}1.bundle")
    res = invoke(["bundle", "export", "--output", bundle, "--key-file", key, "--json"], db=db)
    assert res.code == 0, res.err
    return {"db": db, "key": key, "public": res.json["public_key"], "bundle": bundle, "doc": res.json,
            "dir": tmp}


@pytest.fixture(scope="module")
def county_base(tmp_path_factory) -> dict:
    return _county_db(tmp_path_factory.mktemp("county"))


def _own_copy(made: dict, tmp: Path) -> dict:
    """A copy of a county made by :func:`_county_db` (its database, key and first bundle) in ``tmp``."""
    tmp.mkdir(exist_ok=True)
    out = dict(made)
    for k in ("db", "key", "bundle"):
        out[k] = str(tmp / Path(made[k]).name)
        shutil.copy(made[k], out[k])
    out["dir"] = tmp
    return out


@pytest.fixture
def county(county_base, tmp_path) -> dict:
    """A copy of the module's county (its database, key and first bundle) this test may change."""
    return _own_copy(county_base, tmp_path)


def _trust(cli, county: dict) -> None:
    cli.admin("city", "trust", "add", "JX", "--key", county["public"], "--reason", "key handed over", ok=True)


def _kept(cli) -> tuple[int, int, int]:
    """(counties, events, projects) the city holds."""
    from sqlalchemy import func, select

    from workflow.db import make_engine
    from workflow.tables import city_county, city_event, city_project

    engine = make_engine(cli.url_for(ADMIN))
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in  # type: ignore[return-value]
                         (city_county, city_event, city_project))
    finally:
        engine.dispose()


def _tamper(county: dict, name: str, *sql: str) -> str:
    path = str(county["dir"] / name)
    shutil.copy(county["bundle"], path)
    db = sqlite3.connect(path)
    for s in sql:
        db.execute(s)
    db.commit()
    db.close()
    return path


# --- identity and keys ---------------------------------------------------------------------------------


def test_identity_is_in_the_ledger_and_needs_an_admin(cli):
    res = cli("county", "set", "--name", "甲县", "--code", "JX")
    assert res.code == 6
    res = cli.admin("county", "set", "--name", "甲县", "--code", "JX", json=True)
    assert res.code == 0 and res.json["ledger"]["kind"] == "county_set"
    assert cli("county", "show", json=True).json == {"code": "JX", "name": "甲县"}
    shown = cli("county", "show")
    assert shown.code == 0 and shown.out == "甲县 (JX)\n" and shown.err == ""  # data on stdout
    assert cli.admin("county", "set", "--name", "甲县", "--code", "JX").code == 2  # nothing changes
    assert cli.admin("county", "set", "--code", "JX").code == 2


def test_county_show_before_set_is_not_found(cli):
    assert cli("county", "show").code == 4


def test_keys_init_show_and_refusals(tmp_path):
    key = tmp_path / "k.pem"
    res = invoke(["keys", "init", "--key-file", str(key), "--json"])
    assert res.code == 0, res.err
    assert key.stat().st_mode & 0o777 == 0o600
    public = res.json["public_key"]
    assert invoke(["keys", "show", "--key-file", str(key), "--json"]).json["public_key"] == public
    again = invoke(["keys", "init", "--key-file", str(key)])
    assert again.code == 2 and "--force" in again.err
    for folder in (str(tmp_path), ""):  # "" is the current folder
        for args in (["keys", "init", "--key-file", folder], ["keys", "init", "--key-file", folder, "--force"],
                     ["keys", "show", "--key-file", folder]):
            res = invoke(args)
            assert res.code == 2 and "is a folder" in res.err and "Traceback" not in res.err, (args, res.err)
    assert tmp_path.is_dir()
    assert invoke(["keys", "show", "--key-file", str(key), "--json"]).json["public_key"] == public
    forced = invoke(["keys", "init", "--key-file", str(key), "--force", "--json"])
    assert forced.code == 0 and forced.json["public_key"] != public
    assert invoke(["keys", "show", "--key-file", str(tmp_path / "none.pem")]).code == 4
    link = tmp_path / "link.pem"
    link.symlink_to(tmp_path / "elsewhere.pem")
    assert invoke(["keys", "init", "--key-file", str(link)]).code == 2
    assert not (tmp_path / "elsewhere.pem").exists()
    (tmp_path / "junk.pem").write_text("not a key")
    assert invoke(["keys", "show", "--key-file", str(tmp_path / "junk.pem")]).code == 2


# --- export ------------------------------------------------------------------------------------------------


def test_bundle_holds_the_history_and_its_digest(county):
    doc = county["doc"]
    digest = invoke(["audit", "checkpoint", "--json"], db=county["db"]).json["digest"]
    assert doc["digest"] == digest
    db = sqlite3.connect(county["bundle"])
    events = db.execute("SELECT count(*) FROM event").fetchone()[0]
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    db.close()
    assert events == doc["counts"]["events"] > 0
    assert tables == {"bundle", "event", "ledger", "directory"}
    assert doc["county"] == {"code": "JX", "name": "甲县"}


def test_bundle_export_refusals(county, tmp_path):
    db, key = county["db"], county["key"]
    res = invoke(["bundle", "export", "--output", county["bundle"], "--key-file", key], db=db)
    assert res.code == 2 and "--force" in res.err
    assert invoke(["bundle", "export", "--output", county["bundle"], "--key-file", key, "--force"], db=db).code == 0
    link = tmp_path / "link.bundle"
    link.symlink_to(tmp_path / "target.bundle")
    assert invoke(["bundle", "export", "--output", str(link), "--key-file", key, "--force"], db=db).code == 2
    assert not (tmp_path / "target.bundle").exists()
    assert invoke(["bundle", "export", "--key-file", key], db=db).code == 2
    folder = tmp_path / "folder"
    folder.mkdir()
    for target in (str(folder), ""):  # "" is the current folder
        for force in ([], ["--force"]):
            res = invoke(["bundle", "export", "--output", target, "--key-file", key, *force], db=db)
            assert res.code == 2 and "is a folder" in res.err and "exists" not in res.err, (target, res.err)
    assert folder.is_dir() and list(folder.iterdir()) == []
    assert invoke(["bundle", "export", "--output", str(tmp_path / "x"), "--key-file",
                   str(tmp_path / "missing.pem")], db=db).code == 4
    assert invoke(["bundle", "export", "--output", str(tmp_path / "y"), "--key-file", key,
                   "--as-of", "2999-01-01"], db=db).code == 2
    fresh = str(tmp_path / "fresh.db")
    assert invoke(["init"], db=fresh).code == 0
    assert invoke(["bundle", "export", "--output", str(tmp_path / "z"), "--key-file", key], db=fresh).code == 4


# --- load and report ---------------------------------------------------------------------------------------


def test_a_bundle_loads_and_its_figures_equal_the_county_report(cli, county):
    _trust(cli, county)
    res = cli.admin("city", "load", county["bundle"], json=True)
    assert res.code == 0, res.err
    loaded = res.json["loaded"][0]
    as_of = date.fromisoformat(loaded["as_of"])
    assert loaded["new_events"] == county["doc"]["counts"]["events"]
    for period in (str(as_of.year), f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}", f"{as_of.year - 1}-H2"):
        ranking = cli("city", "report", "ranking", "--period", period, "--by", "signed", json=True).json
        mine = ranking["counties"][0]
        assert mine["digest"] == county["doc"]["digest"] and mine["as_of"] == loaded["as_of"]
        end = date.fromisoformat(ranking["end"])
        own = invoke(["report", "bulletin", "--period", period, "--as-of", min(end, as_of).isoformat(), "--json"],
                     db=county["db"]).json
        for got, want in ((mine["figures"], own["totals"]), (mine["previous"], own["previous"])) if \
                period == str(as_of.year) else ((mine["figures"], own["totals"]),):
            assert got["signed"] == want["signed"]
            money = {m["currency"]: m["amount_minor"] for m in want["capital_in_place"]}
            assert got["capital"]["CNY"] == money.get("CNY", 0) and got["capital"]["USD"] == money.get("USD", 0)
            inv = {m["currency"]: m["amount_minor"] for m in want["investment_completed"]}
            assert got["investment"]["CNY"] == inv.get("CNY", 0)
            assert got["key"] == want["key_projects"]
        assert ranking["total"]["figures"]["signed"] == mine["figures"]["signed"]
    own = invoke(["report", "bulletin", "--period", str(as_of.year), "--as-of", as_of.isoformat(), "--json"],
                 db=county["db"]).json
    assert own["totals"]["signed"] > 0
    board = cli("city", "board", json=True).json
    assert (board["counties"][0]["red"], board["counties"][0]["yellow"]) == \
        (own["totals"]["red"], own["totals"]["yellow"])
    shown = cli("city", "show", "JX", json=True).json
    assert len(shown["projects"]) == 12 and shown["digest"] == county["doc"]["digest"]
    assert _kept(cli) == (1, county["doc"]["counts"]["events"], 12)


def test_lights_at_each_month_end_take_the_thresholds_in_force_that_day(cli, county):
    """Thresholds changed from a date: a period ending before it has the county's own lights of its end,
    counted with the thresholds then in force, as the county's bulletin counts them."""
    year = date.fromisoformat(county["doc"]["as_of"]).year
    res = invoke(["lights", "set", "followup_yellow_days=3", "followup_red_days=4", "screening_red_days=6",
                  "--from", f"{year}-07-01", "--reason", "收紧"], db=county["db"])
    assert res.code == 0, res.err
    newer = str(county["dir"] / "jx-lights.bundle")
    res = invoke(["bundle", "export", "--output", newer, "--key-file", county["key"], "--json"], db=county["db"])
    assert res.code == 0, res.err
    _trust(cli, county)
    cli.admin("city", "load", newer, ok=True)
    as_of = date.fromisoformat(res.json["as_of"])
    lit = []
    for period in (f"{year}-Q1", f"{year}-Q2", f"{year}-B3", f"{year}-H1", f"{year}-Q3", str(year)):
        ranking = cli("city", "report", "ranking", "--period", period, json=True, ok=True).json
        mine = ranking["counties"][0]["figures"]
        end = min(date.fromisoformat(ranking["end"]), as_of)
        own = invoke(["report", "bulletin", "--period", period, "--as-of", end.isoformat(), "--json"],
                     db=county["db"]).json["totals"]
        assert (mine["red"], mine["yellow"]) == (own["red"], own["yellow"]), period
        lit.append((own["red"], own["yellow"]))
    strict = invoke(["report", "bulletin", "--period", f"{year}-Q2", "--as-of", f"{year}-06-30",
                     "--threshold", "followup_yellow_days=3", "--threshold", "followup_red_days=4",
                     "--threshold", "screening_red_days=6", "--json"], db=county["db"]).json["totals"]
    assert (strict["red"], strict["yellow"]) != lit[1]  # the thresholds of today light the quarter otherwise


def test_month_end_state_is_kept_where_a_report_reads_it(cli, county):
    """Every month keeps its flows; the state at its end (stages, key projects, lights) is computed
    where a period of some kind ends (Feb, Mar, Apr, Jun, Aug, Sep, Oct, Dec) and in the as-of month,
    the only states a city report reads."""
    import json as _json

    from sqlalchemy import select

    from workflow.db import make_engine
    from workflow.tables import city_figure

    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    engine = make_engine(cli.url_for(ADMIN))
    try:
        with engine.connect() as conn:
            months = {m: _json.loads(f) for m, f in conn.execute(select(city_figure.c.month, city_figure.c.figures))}
    finally:
        engine.dispose()
    as_of = county["doc"]["as_of"][:7]
    assert len(months) >= 6 and as_of in months
    assert any("red" not in f for f in months.values())  # some month holds its flows alone
    for label, f in months.items():
        assert "signed" in f and "capital_in_place" in f
        read = label == as_of or int(label[5:]) in (2, 3, 4, 6, 8, 9, 10, 12)
        assert ("red" in f and "key_projects" in f) == read, label


def test_two_counties_are_ranked_and_totalled(cli, county, tmp_path):
    other = _county_db(tmp_path, seed=3, code="YX", name="乙县")
    _trust(cli, county)
    cli.admin("city", "trust", "add", "YX", "--key", other["public"], "--reason", "r", ok=True)
    res = cli.admin("city", "load", county["bundle"], other["bundle"], json=True)
    assert res.code == 0, res.err
    assert [x["county"] for x in res.json["loaded"]] == ["JX", "YX"]
    year = county["doc"]["as_of"][:4]
    for by in ("signed", "capital", "investment", "key"):
        doc = cli("city", "report", "ranking", "--period", year, "--by", by, json=True).json
        rows = doc["counties"]
        assert {r["county"] for r in rows} == {"JX", "YX"}
        first, second = rows
        metric = {"signed": lambda f: f["signed"], "capital": lambda f: f["capital"]["CNY"],
                  "investment": lambda f: f["investment"]["CNY"], "key": lambda f: f["key"]}[by]
        assert metric(first["figures"]) >= metric(second["figures"])
        tied = metric(first["figures"]) == metric(second["figures"])
        assert [r["rank"] for r in rows] == ([1, 1] if tied else [1, 2])
        assert metric(doc["total"]["figures"]) == metric(first["figures"]) + metric(second["figures"])
    board = cli("city", "board", json=True).json
    assert board["total"]["red"] == sum(r["red"] for r in board["counties"])


def test_counties_with_equal_figures_share_a_rank(cli, county, tmp_path):
    """Two counties of the same history (one county's demo under two codes) tie on every figure: both
    rank first (并列), in the ranking and in the bulletin, and the third comes third."""
    (tmp_path / "yx").mkdir()
    (tmp_path / "zx").mkdir()
    twin = _county_db(tmp_path / "yx", seed=1, code="YX", name="乙县")
    third = _county_db(tmp_path / "zx", seed=3, code="ZX", name="丙县")
    _trust_all(cli, county, [twin, third])
    assert cli.admin("city", "load", county["bundle"], twin["bundle"], third["bundle"]).code == 0
    year = county["doc"]["as_of"][:4]
    for by in ("signed", "capital", "investment", "key"):
        doc = cli("city", "report", "ranking", "--period", year, "--by", by, json=True).json
        ranks = {r["county"]: r["rank"] for r in doc["counties"]}
        assert ranks["JX"] == ranks["YX"] and ranks["ZX"] in (1, 3), (by, ranks)
        assert [r["county"] for r in doc["counties"]][:2] in (["JX", "YX"], ["ZX", "JX"]), doc["counties"]
        doc = cli("city", "report", "bulletin", "--period", f"{year}-B6", "--by", by, json=True).json
        ranks = {r["county"]: r["rank"] for r in doc["counties"]}
        assert ranks["JX"] == ranks["YX"] and ranks["ZX"] in (1, 3), (by, ranks)
    doc = cli("city", "report", "ranking", "--period", year, json=True).json
    assert sorted(r["rank"] for r in doc["counties"]) in ([1, 1, 3], [1, 2, 2]), doc["counties"]


@pytest.fixture(scope="module")
def two_more(tmp_path_factory) -> list[dict]:
    """Two more counties (YX, ZX) with their own keys and bundles, for loads of many bundles."""
    return [_county_db(tmp_path_factory.mktemp(code), seed=seed, code=code, name=name)
            for seed, code, name in ((3, "YX", "乙县"), (5, "ZX", "丙县"))]


def _trust_all(cli, county: dict, more: list[dict]) -> None:
    _trust(cli, county)
    for c in more:
        cli.admin("city", "trust", "add", c["doc"]["county"]["code"], "--key", c["public"], "--reason", "r", ok=True)


@pytest.mark.parametrize("workers", ["1", "2", "3"])
def test_a_load_of_many_new_counties_keeps_them_in_order(cli, county, two_more, workers):
    """With worker processes or without, the counties are kept in the order given, each as a load of
    it alone keeps it."""
    _trust_all(cli, county, two_more)
    files = [two_more[1]["bundle"], county["bundle"], two_more[0]["bundle"]]
    res = cli.admin("city", "load", *files, "--workers", workers, json=True)
    assert res.code == 0, res.err
    assert [x["county"] for x in res.json["loaded"]] == ["ZX", "JX", "YX"]
    assert [x["digest"] for x in res.json["loaded"]] == [two_more[1]["doc"]["digest"], county["doc"]["digest"],
                                                         two_more[0]["doc"]["digest"]]
    events = county["doc"]["counts"]["events"] + sum(c["doc"]["counts"]["events"] for c in two_more)
    assert _kept(cli) == (3, events, 36)
    year = county["doc"]["as_of"][:4]
    ranking = {r["county"]: r["figures"] for r in
               cli("city", "report", "ranking", "--period", year, json=True).json["counties"]}
    own = invoke(["report", "bulletin", "--period", year, "--as-of", county["doc"]["as_of"], "--json"],
                 db=county["db"]).json["totals"]
    assert ranking["JX"]["signed"] == own["signed"]


@pytest.mark.parametrize("bad", ["tampered", "untrusted"])
def test_a_bad_bundle_among_good_ones_stops_the_load_after_the_ones_before_it(cli, county, two_more, bad):
    """The bundles before the refused one are kept, it and the ones after it are not (docs/city.md,
    "Loading many bundles"), whether a worker or this process found it bad."""
    if bad == "tampered":
        _trust_all(cli, county, two_more)
        wrong = _tamper(county, "bad.bundle",
                        "UPDATE event SET actor = 'mallory' WHERE id = (SELECT max(id) FROM event)")
        code, words = 7, "first bad event P-"
    else:
        other = invoke(["keys", "init", "--key-file", str(county["dir"] / "other.pem"), "--json"]).json["public_key"]
        _trust_all(cli, {**county, "public": other}, two_more)  # JX trusted under a key it does not sign with
        wrong, code, words = county["bundle"], 6, "does not trust"
    res = cli.admin("city", "load", two_more[0]["bundle"], wrong, two_more[1]["bundle"], "--workers", "2")
    assert res.code == code, (res.out, res.err)
    assert "JX" in res.err and words in res.err
    assert "county YX" in res.err and "county ZX" not in res.err
    assert _kept(cli) == (1, two_more[0]["doc"]["counts"]["events"], 12)
    assert [r["county"] for r in cli("city", "board", json=True).json["counties"]] == ["YX"]


def test_a_bundle_checked_with_the_collector_paused_leaves_no_garbage_behind(county):
    """A bundle's checks run with the cyclic garbage collector paused (``city._one_bundle``); once
    they return, nothing of them is left: no scratch copy's engine is still alive, so a worker that
    checks bundle after bundle keeps the memory of one."""
    import gc

    from sqlalchemy.engine import Engine

    from workflow import city

    def engines() -> int:
        return sum(isinstance(o, Engine) for o in gc.get_objects())

    gc.collect()
    before = engines()
    for k in range(2):
        prepared = city.prepare(county["bundle"], ADMIN, str(county["dir"] / f"copy{k}.zlib"))
        assert prepared.projects and gc.isenabled()
        assert engines() == before


@pytest.mark.parametrize("changed", ["bundle", "copy"])
def test_a_bundle_file_changed_after_its_check_is_refused(cli, county, two_more, changed):
    """What is kept is what was checked: the file's SHA-256 at store time must be the one the worker
    read, and the replayed copy the one the worker wrote."""
    from workflow import city
    from workflow.errors import IntegrityFailure

    _trust(cli, county)
    copy = county["dir"] / "copy.zlib"
    prepared = city.prepare(county["bundle"], ADMIN, str(copy))
    assert copy.stat().st_size > 0
    with open(county["bundle"] if changed == "bundle" else copy, "ab") as f:
        f.write(b"\0")
    with pytest.raises(IntegrityFailure) as caught:
        _keep(cli, county["bundle"], prepared)
    assert caught.value.code == "cityload_file_changed" and "JX" in caught.value.message
    assert _kept(cli) == (0, 0, 0)


def test_a_county_loaded_meanwhile_is_not_kept_twice(cli, county):
    """A bundle a worker checked is kept only if the city still holds no event of its county: one
    loaded in between (by another command) makes it refused, and nothing of it is kept."""
    from workflow import city
    from workflow.errors import IntegrityFailure

    _trust(cli, county)
    prepared = city.prepare(county["bundle"], ADMIN, str(county["dir"] / "copy.zlib"))
    cli.admin("city", "load", county["bundle"], ok=True)
    kept = _kept(cli)
    with pytest.raises(IntegrityFailure) as caught:
        _keep(cli, county["bundle"], prepared)
    assert caught.value.code == "county_another_bundle_of"
    assert _kept(cli) == kept


def test_a_bundle_read_without_its_events_keeps_them_in_its_image(county):
    """The loading process stores a checked bundle's events from its file's bytes (``bundle.read``
    with ``events=False``): the same bytes, head and count as reading it whole, no event as a row.
    Read whole, a bundle keeps its rows and its file's name, not its bytes (memory)."""
    from workflow import bundle

    whole = bundle.read(county["bundle"])
    head = bundle.read(county["bundle"], events=False)
    assert head.events == [] and head.stored == whole.stored == len(whole.events) > 7
    assert head.image == Path(county["bundle"]).read_bytes() and whole.image is None
    assert head.path == whole.path == str(county["bundle"])
    assert (head.sha256, head.digest, head.ledger) == (whole.sha256, whole.digest, whole.ledger)


@pytest.mark.parametrize("when", ["checks", "store"])
def test_a_bundle_file_changed_while_it_is_loaded_is_refused(cli, county, monkeypatch, when):
    """A load in one process reads the file's bytes again, for the events of the checks' scratch copy
    and for the city's: bytes whose SHA-256 is not the one read and checked first (the file changed
    meanwhile) are refused, exit 7, and nothing is kept."""
    from workflow import bundle, city
    from workflow.db import make_engine
    from workflow.errors import IntegrityFailure

    _trust(cli, county)
    name = "_events_file" if when == "checks" else "insert_events"
    real = getattr(bundle, name)

    def changed_first(*args, **kw):
        with open(county["bundle"], "ab") as f:
            f.write(b"\0")
        return real(*args, **kw)

    monkeypatch.setattr(bundle, name, changed_first)
    engine = make_engine(cli.url_for(ADMIN))
    try:
        with pytest.raises(IntegrityFailure) as caught:
            city.load(engine, ADMIN, county["bundle"])
    finally:
        engine.dispose()
    assert caught.value.code == "cityload_file_changed" and "JX" in caught.value.message
    assert caught.value.exit_code == 7
    assert _kept(cli) == (0, 0, 0)


def test_workers_must_be_a_positive_number(cli, county):
    _trust(cli, county)
    for bad in ("0", "many"):
        res = cli.admin("city", "load", county["bundle"], "--workers", bad)
        assert res.code == 2, (res.out, res.err)
    assert _kept(cli) == (0, 0, 0)


def test_a_city_report_names_the_forms_of_one_period_and_refuses_a_span(cli, county):
    """A city report takes one period: a malformed one is refused listing the forms of one period
    (not spans, which it refuses), a span is refused as one, and 2025..2025 is the period 2025."""
    for lang, forms, span in (("en", "accepted forms: 2026 (year)", "span"), ("zh", "可接受的格式", "区间")):
        for args in (("ranking", "--period", "2025-B7"), ("bulletin", "--period", "x")):
            res = cli.admin("city", "report", *args, lang=lang)
            assert res.code == 2 and forms in res.err and span not in res.err, (args, res.err)
        res = cli.admin("city", "report", "ranking", "--period", "2024..2025", lang=lang)
        assert res.code == 2 and ("not a span" if lang == "en" else "2024..2025") in res.err, res.err
    assert cli.admin("city", "report", "ranking", "--period", "2025..2025", json=True).json["period"] == "2025"


def test_a_city_report_of_a_period_outside_the_dates_accepted_is_refused(cli, county):
    """A period of year 1 (which has no year before for 同比) lies outside the dates accepted: refused
    as the county's reports refuse it (exit 2), never an internal error; the year before the first
    period accepted is still one (``Period.year_before``)."""
    from workflow.periods import make_period

    for args in (("ranking", "--period", "0001"), ("ranking", "--period", "0001-Q1"),
                 ("bulletin", "--period", "0001-B1")):
        for lang in ("en", "zh"):
            res = cli.admin("city", "report", *args, lang=lang)
            assert res.code == 2 and "0001" in res.err and "internal error" not in res.err, (args, res.err)
            assert "内部错误" not in res.err
    assert make_period("year", 1990, 1).year_before().label == "1989"


def test_loading_the_same_bundle_again_adds_nothing(cli, county):
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    again = cli.admin("city", "load", county["bundle"], json=True)
    assert again.code == 0 and again.json["loaded"][0]["new_events"] == 0
    assert _kept(cli)[1] == county["doc"]["counts"]["events"]


def test_a_newer_bundle_adds_only_its_new_events(cli, county):
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    first = _kept(cli)[1]
    for code in ("P-0001", "P-0002"):
        res = invoke(["followup", "add", code, "visited the site"], db=county["db"])
        assert res.code == 0, res.err
    newer = str(county["dir"] / "jx2.bundle")
    assert invoke(["bundle", "export", "--output", newer, "--key-file", county["key"]], db=county["db"]).code == 0
    res = cli.admin("city", "load", newer, json=True)
    assert res.code == 0, res.err
    assert res.json["loaded"][0]["new_events"] == 2
    assert _kept(cli)[1] == first + 2
    # the older bundle is now a prefix the city has gone past: refused, nothing kept
    older = cli.admin("city", "load", county["bundle"])
    assert older.code == 7 and "missing from the bundle" in older.err
    assert _kept(cli)[1] == first + 2


def test_a_newer_bundle_recomputes_only_the_months_it_can_change(cli, county):
    """An incremental load keeps the months before its earliest new event and recomputes the rest;
    the city's figures then equal those of a full recomputation from the newer bundle."""
    import json as _json

    from sqlalchemy import select

    from workflow import bundle, city
    from workflow.db import make_engine
    from workflow.tables import city_figure

    _trust(cli, county)
    first = cli.admin("city", "load", county["bundle"], json=True).json["loaded"][0]
    as_of = date.fromisoformat(first["as_of"])
    back = date(as_of.year - 1 if as_of.month <= 2 else as_of.year, (as_of.month - 3) % 12 + 1, 1)
    for i in range(1, 13):  # the first project whose stage takes a follow-up on that date
        res = invoke(["followup", "add", f"P-{i:04d}", "called the investor", "--on", back.isoformat()],
                     db=county["db"])
        if res.code == 0:
            break
    assert res.code == 0, res.err
    newer = str(county["dir"] / "jx2.bundle")
    assert invoke(["bundle", "export", "--output", newer, "--key-file", county["key"]], db=county["db"]).code == 0
    loaded = cli.admin("city", "load", newer, json=True).json["loaded"][0]
    assert loaded["new_events"] == 1
    want_months = (as_of.year - back.year) * 12 + as_of.month - back.month + 1
    assert loaded["months_computed"] == want_months < first["months_computed"]
    b = bundle.read(newer)
    with bundle.checked(b, actor=ADMIN) as result:
        full = city.monthly_figures(result.engine, b.as_of)
    engine = make_engine(cli.url_for(ADMIN))
    try:
        with engine.connect() as conn:
            kept = sorted((m, str(on)[:10], _json.loads(f)) for m, on, f in conn.execute(
                select(city_figure.c.month, city_figure.c.as_of, city_figure.c.figures)))
    finally:
        engine.dispose()
    assert kept == [(m, on.isoformat(), f) for m, on, f in full]
    # the prefix check by project heads agrees with reading every stored event
    engine = make_engine(cli.url_for(ADMIN))
    try:
        with engine.connect() as conn:
            assert city._check_prefix(conn, b) == city._scan_prefix(conn, b) == len(b.events)
            older = bundle.read(county["bundle"])  # now shorter than what the city holds
            with pytest.raises(Exception, match="missing from the bundle"):
                city._check_prefix(conn, older)
    finally:
        engine.dispose()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_newer_bundle_recomputes_every_month_held_by_another_way_of_computing(cli, county, two_more,
                                                                                 monkeypatch, workers):
    """The held months were computed by an earlier version (another ``FIGURES_FORMAT`` in the held
    load's ledger entry): the county's next bundle recomputes every month, by a worker or not."""
    from workflow import city

    _trust_all(cli, county, two_more)
    first = cli.admin("city", "load", county["bundle"], json=True).json["loaded"][0]
    res = invoke(["followup", "add", "P-0001", "called the investor"], db=county["db"])
    assert res.code == 0, res.err
    newer = str(county["dir"] / "jx2.bundle")
    assert invoke(["bundle", "export", "--output", newer, "--key-file", county["key"]], db=county["db"]).code == 0
    monkeypatch.setattr(city, "FIGURES_FORMAT", city.FIGURES_FORMAT + 1)  # this version computes otherwise
    others = [m["bundle"] for m in two_more] if workers > 1 else []  # a load of several: workers check them
    loaded = cli.admin("city", "load", newer, *others, "--workers", str(workers), json=True).json["loaded"][0]
    assert loaded["new_events"] == 1 and loaded["months_computed"] == first["months_computed"]
    again = str(county["dir"] / "jx3.bundle")
    res = invoke(["followup", "add", "P-0001", "called again"], db=county["db"])
    assert res.code == 0, res.err
    assert invoke(["bundle", "export", "--output", again, "--key-file", county["key"]], db=county["db"]).code == 0
    assert cli.admin("city", "load", again, json=True).json["loaded"][0]["months_computed"] == 1  # held: this way


def _city_state(url: str) -> dict:
    """Everything a city holds of its counties, but the time and actor of each load."""
    from sqlalchemy import select

    from workflow.db import make_engine
    from workflow.tables import city_county, city_event, city_figure, city_project

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            def rows(table, *skip):
                cols = [c for c in table.c if c.name not in skip]
                return sorted(tuple(str(v) for v in r) for r in conn.execute(select(*cols)))

            figures = sorted(((c, m, str(on), json.loads(f)) for c, m, on, f in conn.execute(
                select(city_figure.c.county, city_figure.c.month, city_figure.c.as_of, city_figure.c.figures))),
                key=lambda r: r[:3])
            return {"county": rows(city_county, "loaded_at", "loaded_by"), "event": rows(city_event),
                    "project": rows(city_project), "figure": figures}
    finally:
        engine.dispose()


def test_a_newer_bundle_loaded_on_the_older_equals_a_load_of_it_from_scratch(cli, county, tmp_path):
    """The city ``cli`` (SQLite, then PostgreSQL) loads a county's first bundle and then a newer one
    (capital in place dated back a few months, and follow-ups); a second city loads only the newer
    bundle.  Both hold the same events, projects, monthly figures and head."""
    _trust(cli, county)
    first = cli.admin("city", "load", county["bundle"], json=True).json["loaded"][0]
    as_of = date.fromisoformat(first["as_of"])
    back = date(as_of.year - 1 if as_of.month <= 3 else as_of.year, (as_of.month - 4) % 12 + 1, 15)
    for i in range(1, 13):  # the first project that takes capital on that date
        res = invoke(["capital", "add", f"P-{i:04d}", "30万", "--on", back.isoformat(), "--confirm"],
                     db=county["db"])
        if res.code == 0:
            break
    assert res.code == 0, res.err
    for code in ("P-0001", "P-0002"):
        assert invoke(["followup", "add", code, "visited the site"], db=county["db"]).code == 0
    newer = str(county["dir"] / "jx2.bundle")
    assert invoke(["bundle", "export", "--output", newer, "--key-file", county["key"]], db=county["db"]).code == 0
    res = cli.admin("city", "load", newer, json=True)
    assert res.code == 0, res.err
    loaded = res.json["loaded"][0]
    assert loaded["new_events"] == 3 and loaded["months_computed"] < first["months_computed"]
    # only the projects with new events were replayed (on the copy the first load kept)
    assert first["projects_replayed"] == first["projects"]
    assert 1 <= loaded["projects_replayed"] <= 3 < loaded["projects"]

    scratch = str(tmp_path / "scratch-city.db")
    assert invoke(["city", "init"], db=scratch, actor=ADMIN).code == 0
    assert invoke(["city", "trust", "add", "JX", "--key", county["public"], "--reason", "r"], db=scratch,
                  actor=ADMIN).code == 0
    fresh = invoke(["city", "load", newer, "--json"], db=scratch, actor=ADMIN)
    assert fresh.code == 0, fresh.err
    assert fresh.json["loaded"][0]["new_events"] == loaded["events"]
    assert fresh.json["loaded"][0]["months_computed"] == first["months_computed"]
    assert fresh.json["loaded"][0]["projects_replayed"] == loaded["projects"]
    held, from_scratch = _city_state(cli.url_for(ADMIN)), _city_state(f"sqlite:///{scratch}")
    assert len(held["event"]) == loaded["events"] and held["figure"] and held["project"]
    for part in ("county", "event", "project", "figure"):
        assert held[part] == from_scratch[part], part


def _newer_bundle(county: dict, name: str = "jx2.bundle") -> str:
    """The county's next bundle: follow-ups on two projects recorded after its first export."""
    for code in ("P-0001", "P-0002"):
        assert invoke(["followup", "add", code, "visited the site"], db=county["db"]).code == 0
    newer = str(county["dir"] / name)
    assert invoke(["bundle", "export", "--output", newer, "--key-file", county["key"]], db=county["db"]).code == 0
    return newer


@pytest.mark.parametrize("part", ["event", "ledger"])
def test_a_newer_bundle_with_a_held_row_changed_is_refused(cli, county, part):
    """A newer bundle is checked whole, not only its new events: one of the events the city already
    holds, or a set-up ledger entry, changed in the newer bundle (its stored hash kept), is refused
    naming it, and nothing is kept."""
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    kept = _kept(cli)
    newer = _newer_bundle(county)
    db = sqlite3.connect(newer)
    if part == "event":
        code, seq = db.execute("SELECT project_code, seq FROM event WHERE kind = 'followup' ORDER BY id LIMIT 1"
                               ).fetchone()
        db.execute("UPDATE event SET payload = replace(payload, '\"note\":\"', '\"note\":\"X') "
                   "WHERE project_code = ? AND seq = ?", (code, seq))
        named = f"first bad event {code} #{seq}"
    else:
        db.execute("UPDATE ledger SET reason = 'edited' WHERE seq = 1")
        named = "first bad event ledger #1"
    db.commit()
    db.close()
    res = cli.admin("city", "load", newer)
    assert res.code == 7, (res.out, res.err)
    assert "county JX" in res.err and named in res.err
    assert _kept(cli) == kept


def _replica_row(cli) -> tuple:
    from sqlalchemy import select

    from workflow.db import make_engine
    from workflow.tables import city_replica

    engine = make_engine(cli.url_for(ADMIN))
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(select(city_replica.c.county, city_replica.c.sha256, city_replica.c.events,
                                             city_replica.c.schema_revision)).one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("change", ["content", "schema"])
def test_a_replica_the_ledger_does_not_vouch_for_is_not_used(cli, county, tmp_path, change):
    """The replayed copy is used only when its SHA-256 is the one the county's last ``city_loaded``
    entry holds and it was made with this schema; else the newer bundle is replayed whole, with the
    same result (SQLite: a PostgreSQL city refuses such a write outside the set-up path)."""
    if not cli.url_for(ADMIN).startswith("sqlite"):
        pytest.skip("the tamper writes the city's SQLite file directly")
    import hashlib
    import zlib

    _trust(cli, county)
    first = cli.admin("city", "load", county["bundle"], json=True).json["loaded"][0]
    county_code, sha, events, revision = _replica_row(cli)
    from workflow.bundle import REPLICA_MADE_BY

    assert (county_code, events) == ("JX", first["events"]) and first["ledger"]["payload"]["replica"] == sha
    assert revision == REPLICA_MADE_BY
    db = sqlite3.connect(cli.url_for(ADMIN).removeprefix("sqlite:///"))
    if change == "content":  # a copy with its own hash, which no ledger entry holds
        (content,) = db.execute("SELECT content FROM city_replica").fetchone()
        other = zlib.compress(zlib.decompress(content), 9)
        db.execute("UPDATE city_replica SET content = ?, sha256 = ?", (other, hashlib.sha256(other).hexdigest()))
    else:
        db.execute("UPDATE city_replica SET schema_revision = '0001'")
    db.commit()
    db.close()
    newer = _newer_bundle(county)
    loaded = cli.admin("city", "load", newer, json=True).json["loaded"][0]
    assert loaded["new_events"] == 2 and loaded["projects_replayed"] == loaded["projects"]
    # and the replica it keeps now is used by the next bundle
    assert _replica_row(cli)[1:3] == (loaded["ledger"]["payload"]["replica"], loaded["events"])
    third = cli.admin("city", "load", _newer_bundle(county, "jx3.bundle"), json=True).json["loaded"][0]
    assert third["new_events"] == 2 and third["projects_replayed"] == 2
    scratch = str(tmp_path / "scratch-city.db")
    assert invoke(["city", "init"], db=scratch, actor=ADMIN).code == 0
    assert invoke(["city", "trust", "add", "JX", "--key", county["public"], "--reason", "r"], db=scratch,
                  actor=ADMIN).code == 0
    assert invoke(["city", "load", str(county["dir"] / "jx3.bundle")], db=scratch, actor=ADMIN).code == 0
    held, fresh = _city_state(cli.url_for(ADMIN)), _city_state(f"sqlite:///{scratch}")
    for part in ("county", "event", "project", "figure"):
        assert held[part] == fresh[part], part


def test_a_county_first_loaded_by_a_worker_gets_its_replica(cli, county, two_more):
    """A first load checked in a worker process keeps the replayed copy too: the county's next bundle
    replays only its projects with new events."""
    _trust_all(cli, county, two_more)
    res = cli.admin("city", "load", county["bundle"], *(m["bundle"] for m in two_more), "--workers", "2", json=True)
    assert res.code == 0, res.err
    assert all(d["projects_replayed"] == d["projects"] for d in res.json["loaded"])
    loaded = cli.admin("city", "load", _newer_bundle(county), json=True).json["loaded"][0]
    assert loaded["new_events"] == 2 and loaded["projects_replayed"] == 2 < loaded["projects"]


def _fresh_city(tmp_path: Path, counties: list[dict], *bundles: str) -> str:
    """A second city (SQLite) trusting ``counties``, with ``bundles`` loaded one by one."""
    db = str(tmp_path / "second-city.db")
    assert invoke(["city", "init"], db=db, actor=ADMIN).code == 0
    for c in counties:
        assert invoke(["city", "trust", "add", c["doc"]["county"]["code"], "--key", c["public"], "--reason", "r"],
                      db=db, actor=ADMIN).code == 0
    for b in bundles:
        res = invoke(["city", "load", b, "--workers", "1"], db=db, actor=ADMIN)
        assert res.code == 0, res.err
    return f"sqlite:///{db}"


def test_newer_bundles_of_held_counties_are_checked_in_workers(cli, county, two_more, tmp_path, monkeypatch):
    """Newer bundles of counties the city holds are read, checked and figured by the worker processes
    too (handed what the city holds of the county and the copy it keeps): none is loaded by the loading
    process, each replays only its projects with new events, and the city then holds what a city that
    loaded the same bundles one by one holds."""
    from workflow import city

    other = _own_copy(two_more[0], tmp_path / "yx")
    _trust_all(cli, county, two_more)
    cli.admin("city", "load", county["bundle"], other["bundle"], ok=True)
    newer = [_newer_bundle(county), _newer_bundle(other)]

    def not_here(*args):
        raise AssertionError("a bundle was loaded by the loading process")

    monkeypatch.setattr(city, "_load", not_here)
    res = cli.admin("city", "load", *newer, "--workers", "2", json=True)
    monkeypatch.undo()
    assert res.code == 0, res.err
    assert [(d["county"], d["new_events"], d["projects_replayed"]) for d in res.json["loaded"]] == [
        ("JX", 2, 2), ("YX", 2, 2)]
    held = _city_state(cli.url_for(ADMIN))
    one_by_one = _city_state(_fresh_city(tmp_path, [county, other], county["bundle"], other["bundle"], *newer))
    assert len(held["event"]) == sum(d["events"] for d in res.json["loaded"])
    for part in ("county", "event", "project", "figure"):
        assert held[part] == one_by_one[part], part


def test_a_countys_first_and_newer_bundle_in_one_load(cli, county, two_more, tmp_path, monkeypatch):
    """A county's bundle and its newer one in one load: the first is checked in a worker (no earlier
    file names its county), the newer one by the loading process at its turn, once the first is kept;
    the city then holds what loads one by one hold."""
    from workflow import city

    _trust_all(cli, county, two_more)
    newer = _newer_bundle(county)
    here, real = [], city._load

    def spied(engine, actor, path):
        here.append(path)
        return real(engine, actor, path)

    monkeypatch.setattr(city, "_load", spied)
    files = [county["bundle"], two_more[0]["bundle"], newer, two_more[1]["bundle"]]
    res = cli.admin("city", "load", *files, "--workers", "2", json=True)
    monkeypatch.undo()
    assert res.code == 0, res.err
    assert [str(p) for p in here] == [newer]
    first = county["doc"]["counts"]["events"]
    assert [(d["county"], d["new_events"]) for d in res.json["loaded"]] == [
        ("JX", first), ("YX", two_more[0]["doc"]["counts"]["events"]), ("JX", 2),
        ("ZX", two_more[1]["doc"]["counts"]["events"])]
    held = _city_state(cli.url_for(ADMIN))
    one_by_one = _city_state(_fresh_city(tmp_path, [county, *two_more], *files))
    for part in ("county", "event", "project", "figure"):
        assert held[part] == one_by_one[part], part


def test_a_load_with_workers_leaves_frozen_objects_as_it_found_them(cli, county, two_more, monkeypatch):
    """The load freezes this process's objects for its forked workers.  With nothing frozen before it,
    nothing is frozen after it; objects frozen before it (the command line freezes what its start-up
    loaded) stay frozen, for unfreezing them would have the exit's collection walk the whole heap."""
    import gc

    from workflow import city

    _trust_all(cli, county, two_more)
    pools = []
    monkeypatch.setattr(city, "ProcessPoolExecutor",
                        lambda *a, **k: pools.append(1) or ProcessPoolExecutor(*a, **k))
    gc.unfreeze()
    cli.admin("city", "load", county["bundle"], two_more[0]["bundle"], "--workers", "2", ok=True)
    assert pools == [1] and gc.get_freeze_count() == 0
    gc.freeze()
    held = gc.get_freeze_count()
    try:
        cli.admin("city", "load", two_more[1]["bundle"], _newer_bundle(county), "--workers", "2", ok=True)
        assert pools == [1, 1] and gc.get_freeze_count() >= held > 0
    finally:
        gc.unfreeze()


def test_a_load_starts_no_more_workers_than_it_has_bundles(cli, county, two_more, monkeypatch):
    """A pool of forked processes starts all of them at once: two bundles with ``--workers 8`` start two."""
    from workflow import city

    _trust_all(cli, county, two_more)
    sizes = []
    monkeypatch.setattr(city, "ProcessPoolExecutor",
                        lambda *a, **k: sizes.append(k["max_workers"]) or ProcessPoolExecutor(*a, **k))
    cli.admin("city", "load", county["bundle"], two_more[0]["bundle"], "--workers", "8", ok=True)
    assert sizes == [2]


def test_a_rewritten_newer_bundle_handed_to_a_worker_is_refused_as_alone(cli, county, two_more, tmp_path):
    """A bundle of a county the city holds that does not extend what the city holds is refused, naming
    the first event that differs, when it comes among other bundles checked by workers as when it
    comes alone; the bundles before it are kept, the ones after it are not."""
    other = _own_copy(two_more[0], tmp_path / "yx")
    _trust_all(cli, county, two_more)
    cli.admin("city", "load", county["bundle"], other["bundle"], ok=True)
    (tmp_path / "rewritten").mkdir()
    rewritten = _county_db(tmp_path / "rewritten", seed=2)  # JX's code, another history
    path = str(tmp_path / "rewritten.bundle")
    assert invoke(["bundle", "export", "--output", path, "--key-file", county["key"]], db=rewritten["db"]).code == 0
    newer = _newer_bundle(other)
    kept = _kept(cli)
    alone = cli.admin("city", "load", path)
    res = cli.admin("city", "load", two_more[1]["bundle"], path, newer, "--workers", "2")
    assert res.code == alone.code == 7, (res.out, res.err)
    assert "county JX" in res.err and "first bad event P-0001 #1" in res.err
    assert res.err.splitlines()[-1] == alone.err.splitlines()[-1]
    assert _kept(cli) == (3, kept[1] + two_more[1]["doc"]["counts"]["events"], kept[2] + 12)


def _worker_prepared(cli, county: dict, newer: str, folder: Path):
    """What a worker finds of ``newer``, handed what the city holds of the county as a load hands it."""
    from workflow import city
    from workflow.db import make_engine

    engine = make_engine(cli.url_for(ADMIN))
    try:
        held = city._hand_over(engine, county["doc"]["county"]["code"], str(folder / "held.zlib"))
    finally:
        engine.dispose()
    assert held is not None and held.replica_file is not None
    return held


def _keep(cli, path: str, prepared) -> dict:
    from workflow import city
    from workflow.db import make_engine

    engine = make_engine(cli.url_for(ADMIN))
    try:
        return city._store_prepared(engine, ADMIN, path, prepared)
    finally:
        engine.dispose()


def test_a_newer_bundle_a_worker_checked_is_refused_if_the_county_was_loaded_meanwhile(cli, county):
    """A worker checks a newer bundle against the county's newest load as it was handed over: another
    load of the county kept in between (by another command) makes it refused, nothing of it kept."""
    from workflow import city
    from workflow.errors import IntegrityFailure

    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    newer = _newer_bundle(county)
    held = _worker_prepared(cli, county, newer, county["dir"])
    prepared = city.prepare(newer, ADMIN, str(county["dir"] / "copy.zlib"), held)
    assert prepared is not None and prepared.held == county["doc"]["counts"]["events"] and prepared.entry
    cli.admin("city", "load", newer, ok=True)  # the same bundle, by another command
    kept = _kept(cli)
    with pytest.raises(IntegrityFailure) as caught:
        _keep(cli, newer, prepared)
    assert caught.value.code == "county_another_bundle_of"
    assert _kept(cli) == kept


def test_a_worker_whose_copy_or_heads_do_not_hold_falls_back_to_the_whole_check(cli, county, monkeypatch):
    """The held copy handed to a worker changed in the load's folder: the worker replays the county
    whole, as without a copy.  Head events the city does not hold as the worker found them: the
    loading process loads the bundle itself, as :func:`workflow.city.load` does.  Either way the city
    ends as a load of the bundle alone leaves it."""
    from workflow import city

    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    newer = _newer_bundle(county)
    held = _worker_prepared(cli, county, newer, county["dir"])
    with open(held.replica_file, "ab") as f:
        f.write(b"\0")
    prepared = city.prepare(newer, ADMIN, str(county["dir"] / "copy.zlib"), held)
    assert prepared is not None and prepared.done.replayed == len(prepared.projects) == 12
    eid = next(iter(prepared.at_head))
    code, seq, _digest, pid = prepared.at_head[eid]
    prepared.at_head[eid] = (code, seq, "0" * 64, pid)
    here = []
    real = city.load
    monkeypatch.setattr(city, "load", lambda *args: here.append(args[2]) or real(*args))
    doc = _keep(cli, newer, prepared)
    assert [str(p) for p in here] == [newer] and doc["new_events"] == 2 and doc["projects_replayed"] == 2


def test_a_rewritten_history_is_refused_naming_the_first_event_that_differs(cli, county, tmp_path):
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    kept = _kept(cli)
    (tmp_path / "other").mkdir()
    other = _county_db(tmp_path / "other", seed=2)
    res = invoke(["bundle", "export", "--output", str(tmp_path / "rewritten.bundle"), "--key-file", county["key"]],
                 db=other["db"])
    assert res.code == 0
    refused = cli.admin("city", "load", str(tmp_path / "rewritten.bundle"))
    assert refused.code == 7
    assert "county JX" in refused.err and "rewrites the history" in refused.err and "first bad event P-0001 #1" \
        in refused.err
    assert _kept(cli) == kept


@pytest.mark.parametrize("case", ["changed", "dropped", "dropped_last", "signature", "counts", "actor", "ledger",
                                  "directory"])
def test_a_tampered_bundle_is_refused_and_nothing_is_kept(cli, county, case):
    _trust(cli, county)
    sql = {
        "changed": ("UPDATE event SET payload = replace(payload, '\"note\":\"', '\"note\":\"X') "
                    "WHERE id = (SELECT min(id) FROM event WHERE kind = 'followup')",),
        "dropped": ("DELETE FROM event WHERE id = (SELECT min(id) FROM event WHERE seq = 2)",),
        "dropped_last": ("DELETE FROM event WHERE id = (SELECT max(id) FROM event)",),
        "signature": ("UPDATE bundle SET value = 'AAAA' || substr(value, 5) WHERE key = 'signature'",),
        "counts": ("UPDATE bundle SET value = replace(value, '\"name\":\"甲县\"', '\"name\":\"乙县\"') "
                   "WHERE key = 'signed'",),
        "actor": ("UPDATE event SET actor = 'mallory' WHERE id = (SELECT max(id) FROM event)",),
        "ledger": ("UPDATE ledger SET reason = 'edited'",),
        "directory": ("UPDATE directory SET row = replace(row, '\"coordinator\"', '\"admin\"') "
                      "WHERE tbl = 'app_user'",),
    }[case]
    path = _tamper(county, f"{case}.bundle", *sql)
    res = cli.admin("city", "load", path)
    assert res.code == 7, (res.out, res.err)
    assert "county JX" in res.err and "nothing was kept" in res.err
    if case in ("changed", "dropped", "actor"):
        assert "first bad event P-" in res.err
    if case == "ledger":
        assert "first bad event ledger #1" in res.err
    assert _kept(cli) == (0, 0, 0)


def test_an_untrusted_key_is_refused(cli, county, tmp_path):
    res = cli.admin("city", "load", county["bundle"])
    assert res.code == 6 and "JX" in res.err
    other = tmp_path / "other.pem"
    public = invoke(["keys", "init", "--key-file", str(other), "--json"]).json["public_key"]
    cli.admin("city", "trust", "add", "JX", "--key", public, "--reason", "a different key", ok=True)
    res = cli.admin("city", "load", county["bundle"])
    assert res.code == 6 and "does not trust" in res.err
    assert _kept(cli) == (0, 0, 0)


def test_a_malformed_file_is_bad_input(cli, county, tmp_path):
    _trust(cli, county)
    junk = tmp_path / "junk.bundle"
    junk.write_bytes(b"not a bundle at all" * 100)
    assert cli.admin("city", "load", str(junk)).code == 2
    empty = tmp_path / "empty.bundle"
    sqlite3.connect(empty).execute("CREATE TABLE x (a)").connection.close()
    assert cli.admin("city", "load", str(empty)).code == 2
    assert cli.admin("city", "load", str(tmp_path / "missing.bundle")).code == 2
    if Path("/dev/null").exists():  # a device: there, and not a bundle file
        res = cli.admin("city", "load", "/dev/null")
        assert res.code == 2 and "not a regular file" in res.err, res.err
    (tmp_path / "nothing.bundle").write_bytes(b"")
    (tmp_path / "folder.bundle").mkdir()
    for name, words in (("nothing.bundle", "the file is empty"), ("folder.bundle", "is a folder")):
        res = cli.admin("city", "load", str(tmp_path / name), county["bundle"], "--workers", "2")
        assert res.code == 2 and words in res.err and "Traceback" not in res.err, (res.out, res.err)
    assert _kept(cli) == (0, 0, 0)


# --- the city's commands: permissions, options, formats ------------------------------------------------------


def test_city_trust_and_load_need_an_admin(cli, county):
    assert cli("city", "trust", "add", "JX", "--key", county["public"], "--reason", "r").code == 6
    _trust(cli, county)
    assert cli.admin("city", "trust", "add", "JX", "--key", county["public"], "--reason", "again").code == 2
    other = cli.admin("city", "trust", "add", "YX", "--key", county["public"], "--reason", "one key, two counties")
    assert other.code == 2 and "already trusted for county JX" in other.err  # a key speaks for one county
    assert cli.admin("city", "trust", "add", "JX", "--key", "not-a-key", "--reason", "r").code == 2
    assert cli.admin("city", "trust", "add", "JX", "--key", county["public"]).code == 2
    assert cli.admin("city", "trust", "add", "JX", "--reason", "r").code == 2
    listed = cli("city", "trust", "list", json=True).json["keys"]
    assert [k["county"] for k in listed] == ["JX"]
    assert cli("city", "load", county["bundle"]).code == 6
    assert _kept(cli) == (0, 0, 0)


def test_city_reports_formats_and_errors(cli, county, tmp_path):
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    year = county["doc"]["as_of"][:4]
    text = cli("city", "report", "ranking", "--period", year)
    assert text.code == 0 and "JX" in text.out and county["doc"]["digest"] in text.out
    csv = cli("city", "report", "ranking", "--period", year, "--format", "csv")
    assert csv.code == 0 and county["doc"]["digest"] in csv.out and csv.out.startswith("Rank,County")
    md = cli("city", "report", "ranking", "--period", year, "--by", "key", "--format", "md")
    assert md.code == 0 and "| JX |" in md.out
    html = cli("city", "board", "--format", "html")
    assert html.code == 0 and "<table" in html.out and county["doc"]["digest"] in html.out
    xlsx = tmp_path / "r.xlsx"
    assert cli("city", "report", "ranking", "--period", year, "--format", "xlsx", "--output", str(xlsx)).code == 0
    assert xlsx.stat().st_size > 0
    assert cli("city", "board", "--format", "csv").out.splitlines()[0].startswith("County")
    assert "甲县" in cli("city", "show", "JX", "--format", "md").out
    assert cli("city", "report", "ranking", "--period", year, "--by", "nonsense").code == 2
    assert cli("city", "report", "ranking", "--period", "2025-13").code == 2
    assert cli("city", "report", "ranking", "--period", "2024..2025").code == 2
    assert cli("city", "report", "ranking").code == 2
    assert cli("city", "report", "ranking", "--period", year, "--format", "xlsx").code == 2
    assert cli("city", "board", "--json", "--format", "csv").code == 2
    assert cli("city", "show", "YX").code == 4
    zh = cli("city", "board", lang="zh")
    assert zh.code == 0 and "红灯" in zh.out


def test_city_bulletin_gives_the_year_to_date_and_the_change_on_last_year(cli, county, tmp_path):
    """The bulletin's year to date is the sum of the year's two-month periods up to its own (each as
    the ranking gives it, which equals the county's own bulletin), its same span of the previous year
    the same sum a year before, and the growth is computed on those two."""
    from workflow.reports import growth_rate

    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    year = int(county["doc"]["as_of"][:4])
    for k in (2, 6):
        doc = cli("city", "report", "bulletin", "--period", f"{year}-B{k}", "--by", "signed", json=True).json
        mine = doc["counties"][0]
        assert doc["year_to_date"]["start"] == f"{year}-01-01" and mine["digest"] == county["doc"]["digest"]
        parts = [cli("city", "report", "ranking", "--period", f"{year}-B{i}", json=True).json["counties"][0]
                 for i in range(1, k + 1)]
        assert mine["year_to_date"]["signed"] == sum(p["figures"]["signed"] for p in parts)
        assert mine["year_to_date"]["capital"]["CNY"] == sum(p["figures"]["capital"]["CNY"] for p in parts)
        assert mine["year_to_date_before"]["signed"] == sum(p["previous"]["signed"] for p in parts)
        assert mine["period_figures"]["signed"] == parts[-1]["figures"]["signed"]
        assert mine["growth"]["capital"] == growth_rate(mine["year_to_date"]["capital"]["CNY"],
                                                        mine["year_to_date_before"]["capital"]["CNY"])
        assert doc["total"]["year_to_date"] == mine["year_to_date"]
    whole = cli("city", "report", "ranking", "--period", str(year), json=True).json["counties"][0]
    assert mine["year_to_date"] == whole["figures"] and mine["year_to_date_before"] == whole["previous"]
    text = cli("city", "report", "bulletin", "--period", f"{year}-B6", lang="zh")
    assert text.code == 0 and "累计" in text.out and "同比" in text.out
    docx = tmp_path / "b.docx"
    res = cli("city", "report", "bulletin", "--period", f"{year}-B6", "--format", "docx", "--output", str(docx),
              lang="zh")
    assert res.code == 0, res.err
    import docx as python_docx

    d = python_docx.Document(str(docx))
    body = "\n".join(p.text for p in d.paragraphs)
    assert "全市通报" in body and "全市签约项目" in body
    cells = {c.text for t in d.tables for r in t.rows for c in r.cells}
    assert "JX" in cells and county["doc"]["digest"] in cells
    html = cli("city", "report", "bulletin", "--period", f"{year}-B6", "--format", "html", lang="zh")
    assert html.code == 0 and "全市签约项目" in html.out and county["doc"]["digest"] in html.out
    assert cli("city", "report", "bulletin").code == 2
    assert cli("city", "report", "bulletin", "--period", f"{year - 1}..{year}").code == 2


def test_city_sentence_follows_the_percent_decimals_setting():
    """The city's sentence writes its changes with the ``percent_decimals`` places of the document
    settings (cli/city_cmds.py passes the setting in force), never more."""
    from cli.city_cmds import _summary
    from cli.context import STATE

    total = {"signed": 38, "capital": {"CNY": 370_500_0000_00, "USD": 0}, "investment": {"CNY": 2_783_750_000_00}}
    growth = {"signed": 0.22581, "capital": 0.22271, "investment": None}
    before, STATE.lang = STATE.lang, "zh"
    try:
        assert "同比增长23%" in _summary(total, growth, "2025年", 0)[0]
        one = _summary(total, growth, "2025年", 1)[0]
        assert "同比增长22.6%" in one and "同比增长22.3%" in one and not re.search(r"\d\.\d\d%", one)
    finally:
        STATE.lang = before


def test_city_init_makes_the_admin(tmp_path):
    db = str(tmp_path / "city.db")
    res = invoke(["city", "init", "--admin", "mayor", "--json"], db=db, actor="mayor")
    assert res.code == 0 and res.json["admin"] == "mayor"
    assert invoke(["city", "board", "--json"], db=db).json == {"report": "city_board", "counties": [],
                                                              "total": {"red": 0, "yellow": 0}}


def test_city_init_makes_a_new_sqlite_city_in_the_citys_pages(tmp_path):
    """A new SQLite city is made in ``city.PAGE_SIZE`` pages (docs/city.md, "The city database"); a
    county's database keeps SQLite's default, and an existing file keeps its own pages."""
    from workflow import city

    def page(path) -> int:
        db = sqlite3.connect(path)
        try:
            return db.execute("PRAGMA page_size").fetchone()[0]
        finally:
            db.close()

    new, county = str(tmp_path / "city.db"), str(tmp_path / "county.db")
    assert invoke(["city", "init"], db=new).code == 0 and page(new) == city.PAGE_SIZE == 65536
    assert invoke(["init"], db=county).code == 0 and page(county) == 4096
    assert invoke(["city", "init"], db=county).code == 0 and page(county) == 4096  # made already
    assert invoke(["city", "init"], db=new).code == 0 and page(new) == city.PAGE_SIZE
    res = invoke(["city", "init"], db=str(tmp_path / "no-such-folder" / "city.db"))
    assert res.code == 2 and "does its folder exist" in res.err, res.err


def test_a_county_on_either_engine_exports_a_bundle_the_city_loads(cli, tmp_path):
    """The county is ``cli`` (SQLite, then PostgreSQL); the city is an SQLite file."""
    from tests.stages import to_signed
    from tests.test_cli_core import add_project

    code = add_project(cli)
    to_signed(cli, code)
    cli("capital", "add", code, "120万", ok=True)
    cli.admin("county", "set", "--name", "乙县", "--code", "YX", ok=True)
    key = str(tmp_path / "yx.pem")
    public = invoke(["keys", "init", "--key-file", key, "--json"]).json["public_key"]
    bundle = str(tmp_path / "yx.bundle")
    res = cli.admin("bundle", "export", "--output", bundle, "--key-file", key, json=True)
    assert res.code == 0, res.err
    assert res.json["digest"] == cli.admin("audit", "checkpoint", json=True).json["digest"]
    city = str(tmp_path / "city.db")
    assert invoke(["city", "init"], db=city).code == 0
    assert invoke(["city", "trust", "add", "YX", "--key", public, "--reason", "r"], db=city).code == 0
    loaded = invoke(["city", "load", bundle, "--json"], db=city)
    assert loaded.code == 0, loaded.err
    shown = invoke(["city", "show", "YX", "--json"], db=city).json
    assert [p["code"] for p in shown["projects"]] == [code]
    year = res.json["as_of"][:4]
    ranking = invoke(["city", "report", "ranking", "--period", year, "--json"], db=city).json
    own = cli("report", "bulletin", "--period", year, "--as-of", res.json["as_of"], json=True).json["totals"]
    assert ranking["counties"][0]["figures"]["capital"]["CNY"] == \
        {m["currency"]: m["amount_minor"] for m in own["capital_in_place"]}.get("CNY", 0) == 120_000_000


def test_a_load_of_many_bundles_on_a_terminal_shows_its_progress(cli, county, two_more):
    """On a terminal, `city load` of several bundles draws a bar of the bundles kept of those given,
    under the line each kept bundle prints; piped, it prints the lines alone (no bar)."""
    import os
    import pty
    import select
    import subprocess

    from tests.conftest import pipeline_exe

    _trust_all(cli, county, two_more)
    files = [county["bundle"], *(c["bundle"] for c in two_more)]
    env = {**os.environ, "PIPELINE_DB": cli.url_for(ADMIN), "PIPELINE_USER": ADMIN, "PIPELINE_LANG": "en",
           "TERM": "xterm", "COLUMNS": "100"}
    master, slave = pty.openpty()
    proc = subprocess.Popen([pipeline_exe(), "city", "load", *files, "--workers", "1"], env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    screen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        screen += chunk
    assert proc.wait(timeout=60) == 0, screen
    os.close(master)
    text = screen.decode("utf-8", "replace")
    assert "bundles" in text and "3/3" in text, text
    assert all(code in text for code in ("JX", "YX", "ZX")), text
    piped = cli.admin("city", "load", *files)  # loaded already: each says it adds nothing, no bar
    assert piped.code == 0 and "3/3" not in piped.err and "\x1b" not in piped.err, piped.err
    assert len(piped.err.splitlines()) == 3, piped.err


# --- keys of small order: anyone could sign under them ---------------------------------------------------

_P = 2**255 - 19
_D = -121665 * pow(121666, -1, _P) % _P


def _point(encoded: bytes) -> tuple[int, int]:
    """The Ed25519 point an encoding names (RFC 8032, 5.1.3; y may be written past the field)."""
    y = int.from_bytes(encoded, "little") & ((1 << 255) - 1)
    sign = encoded[31] >> 7
    y %= _P
    xx = (y * y - 1) * pow(_D * y * y + 1, -1, _P) % _P
    x = pow(xx, (_P + 3) // 8, _P)
    if (x * x - xx) % _P:
        x = x * pow(2, (_P - 1) // 4, _P) % _P
    assert (x * x - xx) % _P == 0, "not on the curve"
    if x & 1 != sign:
        x = -x % _P
    return x, y


def _add(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    (x1, y1), (x2, y2) = a, b
    t = _D * x1 * x2 * y1 * y2 % _P
    return ((x1 * y2 + x2 * y1) * pow(1 + t, -1, _P) % _P, (y1 * y2 + x1 * x2) * pow(1 - t, -1, _P) % _P)


def test_the_small_order_keys_are_the_points_of_small_order():
    """Each listed encoding is a point whose eighth multiple is the identity (x 0, y 1), and a key
    ``keys init`` makes is not one of them."""
    from workflow.county import SMALL_ORDER_KEYS, parse_public_key

    assert len(set(SMALL_ORDER_KEYS)) == 7
    for encoded in SMALL_ORDER_KEYS:
        p = _point(encoded)
        q = p
        for _ in range(3):  # 2P, 4P, 8P
            q = _add(q, q)
        assert q == (0, 1), encoded.hex()
    generated = parse_public_key(_fresh_public_key())
    assert generated[:31] + bytes([generated[31] & 0x7F]) not in SMALL_ORDER_KEYS
    q = _point(generated)
    for _ in range(3):
        q = _add(q, q)
    assert q != (0, 1)


def _fresh_public_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                 serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def test_a_key_of_small_order_is_never_trusted_nor_taken_to_sign(cli):
    """``city trust add`` refuses every small-order encoding (base64 or hex, the sign bit set or not)
    with exit 2 in both languages, keeping nothing; and a signature forged without a private key (R
    the identity, S 0) does not hold under such a key, whatever the document."""
    from workflow.county import SMALL_ORDER_KEYS, signature_holds

    for encoded in SMALL_ORDER_KEYS:
        for raw in (encoded, encoded[:31] + bytes([encoded[31] | 0x80])):
            for text in (base64.b64encode(raw).decode("ascii"), raw.hex()):
                res = cli.admin("city", "trust", "add", "ZZ", "--key", text, "--reason", "x")
                assert res.code == 2 and "small order" in res.err and "Traceback" not in res.err, (text, res.err)
    res = cli.admin("city", "trust", "add", "ZZ", "--key", "A" * 43 + "=", "--reason", "x", lang="zh")
    assert res.code == 2 and "小阶点" in res.err, res.err
    assert cli.admin("city", "trust", "list", json=True).json == {"keys": []}
    forged = base64.b64encode(bytes([1]) + bytes(31) + bytes(32)).decode("ascii")
    for encoded in SMALL_ORDER_KEYS[:2]:  # the identity's and an order-4 point's: R + [k]A is R for some k
        key = base64.b64encode(encoded).decode("ascii")
        assert not any(signature_holds(f"document {i}".encode(), forged, key) for i in range(16))
    cli.admin("city", "trust", "add", "ZZ", "--key", _fresh_public_key(), "--reason", "x", ok=True)


def test_a_city_report_of_a_period_that_has_not_begun_is_refused(cli, county, tmp_path):
    """A period that has not begun is refused (exit 2) by the county reports' own check, in every
    format, as `pipeline report bulletin` refuses it (docs/city.md)."""
    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    ahead = str(date.today().year + 1)
    own = invoke(["report", "bulletin", "--period", ahead], db=county["db"])
    for args in (("report", "ranking", "--period", ahead), ("report", "bulletin", "--period", f"{ahead}-B1"),
                 ("report", "ranking", "--period", f"{ahead}..{ahead}"),
                 ("report", "bulletin", "--period", ahead, "--format", "docx", "--output", str(tmp_path / "b.docx"))):
        res = cli("city", *args, json="--format" not in args)
        assert res.code == own.code == 2, (args, res.out, res.err)
        if "--format" in args:
            assert "has not begun" in res.err and not (tmp_path / "b.docx").exists()
        else:
            assert res.json["error"]["code"] == "period_has_not_begun", res.json
    zh = cli("city", "report", "ranking", "--period", ahead, lang="zh")
    assert zh.code == 2 and "尚未开始" in zh.err, zh.err


def test_city_workbooks_write_dates_as_dates(cli, county, tmp_path):
    """xlsx: the as-of dates (ranking, bulletin, board, the bundles' table) and the registration dates
    (show) are date cells shown yyyy-mm-dd, as `export FILE.xlsx` writes them (docs/text-and-errors.md)."""
    from datetime import datetime

    from openpyxl import load_workbook

    _trust(cli, county)
    cli.admin("city", "load", county["bundle"], ok=True)
    year = county["doc"]["as_of"][:4]
    as_of = date.fromisoformat(county["doc"]["as_of"])
    for name, args, header in (("r", ("report", "ranking", "--period", year), "As of"),
                               ("b", ("report", "bulletin", "--period", year), "As of"),
                               ("d", ("board",), "As of"), ("s", ("show", "JX"), "Registered")):
        path = tmp_path / f"{name}.xlsx"
        cli("city", *args, "--format", "xlsx", "--output", str(path), ok=True)
        ws = load_workbook(path).worksheets[0]
        col = [c.value for c in ws[1]].index(header)
        cells = [row[col] for row in ws.iter_rows(min_row=2) if row[col].value is not None]
        assert cells, name
        for c in cells:
            assert isinstance(c.value, datetime) and c.number_format == "yyyy-mm-dd", (name, c.value, c.number_format)
        if header == "As of":
            assert cells[0].value.date() == as_of


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_city_help_marks_what_is_required_and_names_files(lang):
    """`city trust add --help` marks --key required, as `--reason` is; `city load --help` names its
    arguments FILE (once marked as many: FILE..., not FILE......), not the parameter's name; a report's
    --output is FILE in its metavar and help."""
    key = next(line for line in invoke(["city", "trust", "add", "--help"], lang=lang).out.splitlines()
               if "--key" in line)
    assert ("required" if lang == "en" else "必填") in key, key
    load = invoke(["city", "load", "--help"], lang=lang).out
    assert "{FILE}..." in load and "FILE..." not in load and "{files}" not in load and "  FILE <" in load, load
    out = next(line for line in invoke(["city", "report", "ranking", "--help"], lang=lang).out.splitlines()
               if "-o, --output" in line)
    assert "--output FILE" in out and "<path>" not in out, out


def test_a_load_that_stops_says_which_bundles_it_kept(cli, county, two_more):
    """A refused bundle after kept ones: the terminal says which were kept before the error, and under
    --json the error carries them beside it (`loaded`, as a load that ends well prints them)."""
    _trust_all(cli, county, two_more)
    wrong = _tamper(county, "bad.bundle", "UPDATE event SET actor = 'mallory' WHERE id = (SELECT max(id) FROM event)")
    res = cli.admin("city", "load", two_more[0]["bundle"], two_more[1]["bundle"], wrong, "--workers", "1", json=True)
    assert res.code == 7, (res.out, res.err)
    assert set(res.json) == {"error", "loaded"} and res.json["error"]["code"] == "county_bundle_refused_nothing"
    assert [x["county"] for x in res.json["loaded"]] == ["YX", "ZX"]
    assert [x["digest"] for x in res.json["loaded"]] == [c["doc"]["digest"] for c in two_more]
    again = cli.admin("city", "load", two_more[0]["bundle"], wrong)
    assert again.code == 7
    stopped = "the load stopped at " + wrong + ": 1 bundle before it kept (YX)"
    assert stopped in again.err.replace("\n", "") and again.err.index(stopped[:20]) < again.err.index("error:")
    none = cli.admin("city", "load", wrong, json=True)
    assert none.code == 7 and none.json["loaded"] == [] and "error" in none.json


def test_a_scratch_copy_has_the_schema_create_all_makes(tmp_path):
    """The scratch copy a bundle's checks fill is made from the DDL compiled once from the metadata
    (``bundle._schema``): the same tables, indexes and statements, in the same order, as
    ``metadata.create_all`` makes on an empty database.  Its journal is kept in memory, and a second
    connection opens while another reads (no journal mode is changed on connecting)."""
    from workflow import bundle
    from workflow.db import make_engine
    from workflow.tables import metadata

    plain = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    metadata.create_all(plain)
    plain.dispose()
    bundle._write_file(tmp_path / "events.db", [], [], [], {})  # a bundle of no event
    scratch = bundle.scratch_engine(tmp_path / "scratch.db", tmp_path / "events.db")
    try:
        with scratch.begin() as conn:
            for ddl in bundle._schema():
                conn.connection.driver_connection.execute(ddl)
        with scratch.connect() as reading:  # its transaction begun by its first statement
            assert reading.exec_driver_sql("SELECT count(*) FROM project").scalar() == 0
            other = scratch.raw_connection()  # connecting sets the journal mode: it is already so
            try:
                assert other.driver_connection.execute("PRAGMA journal_mode").fetchone() == ("memory",)
            finally:
                other.close()
            reading.rollback()
    finally:
        scratch.dispose()
    # the pages tables begin on are not compared: the scratch copy's pages are larger (_SCRATCH_PAGE)
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"
    made = {}
    for name in ("plain", "scratch"):
        db = sqlite3.connect(tmp_path / f"{name}.db")
        try:
            made[name] = db.execute(query).fetchall()
        finally:
            db.close()
    assert made["scratch"] == made["plain"] and len(made["plain"]) > len(metadata.tables)


def test_checks_in_one_process_take_its_one_engine_each_on_its_own_copy(county, two_more):
    """The checks a process makes one after another take its one scratch engine (its compiled statements
    kept), each on its own copy: a county's figures and projects are the same before and after another
    county's check.  A check made while another holds the engine (inside it, or in another thread)
    gets an engine of its own, and the engine, used after its check, opens no copy at all."""
    from workflow import bundle, city

    one, other = bundle.read(county["bundle"]), bundle.read(two_more[0]["bundle"])

    def found(result: Any, b: Any) -> tuple:
        return city.monthly_figures(result.engine, b.as_of), city._project_rows(result.engine)

    alone, engines = {}, set()
    for b in (one, other, one):
        with bundle.checked(b, actor=ADMIN) as result:
            alone.setdefault(b.county, found(result, b))
            assert alone[b.county] == found(result, b)
            engines.add(result.engine)
    assert len(engines) == 1 and alone[one.county] != alone[other.county]
    engine = engines.pop()
    with bundle.checked(one, actor=ADMIN) as outer:
        assert outer.engine is engine
        with bundle.checked(other, actor=ADMIN) as inner:
            assert inner.engine is not engine and found(inner, other) == alone[other.county]
        assert found(outer, one) == alone[one.county]
    with pytest.raises(RuntimeError, match="after its check"):
        engine.connect().close()

    def alone_in_a_thread(b: Any) -> tuple:
        with bundle.checked(b, actor=ADMIN) as result:
            return found(result, b)

    with ThreadPoolExecutor(max_workers=2) as pool:  # checks at once in two threads: each its own copy
        assert list(pool.map(alone_in_a_thread, [one, other, one, other])) == [
            alone[one.county], alone[other.county], alone[one.county], alone[other.county]]


def test_a_replay_leaving_side_tables_out_checks_their_events_all_the_same(county):
    """The checks replay each project leaving out the side tables the scratch copy does not keep
    (``bundle._UNREAD``): the same project row, facts and problems as the whole replay, every other
    table's rows, none of theirs; and an event of theirs that cannot be read is still found."""
    from workflow import bundle
    from workflow.events import Facts
    from workflow.replay import replay_project
    from workflow.rows import COLUMN_VALUES

    facts = [a for a in Facts.__slots__ if a != "_loader"]

    b = bundle.read(county["bundle"])
    roles = {"admin": "admin", "coord": "coordinator", "lead": "leader"}
    pid = next(e[1] for e in b.events if e[4] == "document")
    rows = [bundle._SCRATCH_ROW(e) for e in b.events if e[1] == pid]
    assert {r[3] for r in rows} >= {"document", "check"}
    broken = [r[:11] + ('{"document": "eia"}',) + r[12:] if r[3] == "document" else r for r in rows]
    for events in (rows, broken):
        whole = replay_project(pid, "P", iter(events), roles)
        part = replay_project(pid, "P", iter(events), roles, leave_out=bundle._UNREAD)
        assert COLUMN_VALUES(part.row) == COLUMN_VALUES(whole.row) and part.problems == whole.problems
        assert [getattr(part.facts, a) for a in facts] == [getattr(whole.facts, a) for a in facts]
        assert all(not part.rows[t] for t in bundle._UNREAD)
        assert events is broken or all(whole.rows[t] for t in bundle._UNREAD)
        assert {t: v for t, v in part.rows.items() if t not in bundle._UNREAD} == {
            t: v for t, v in whole.rows.items() if t not in bundle._UNREAD}
    assert any(p["seq"] == next(r[2] for r in rows if r[3] == "document") for p in part.problems)


def test_a_rebuilt_scratch_copy_has_the_schema_create_all_makes_and_its_own_indexes(county, tmp_path):
    """The checks build the county's plain indexes once the copy is filled (``checked._rebuild``), as
    they build the copy's own (``_SCRATCH_INDEXES``): the filled copy has every table, index and
    statement ``metadata.create_all`` makes, each on the same table, and those of its own; its pages are
    of ``_SCRATCH_PAGE`` bytes, and SQLite finds it whole.  Its event table is empty: the events it
    reads are the bundle's very rows, with the copy's own index of them (``_EVENTS_INDEX``,
    ``scratch_engine``)."""
    from workflow import bundle
    from workflow.db import make_engine
    from workflow.tables import metadata

    plain = make_engine(f"sqlite:///{tmp_path / 'plain.db'}")
    metadata.create_all(plain)
    plain.dispose()
    query = "SELECT type, name, tbl_name, sql FROM sqlite_master"
    db = sqlite3.connect(tmp_path / "plain.db")
    try:
        made = set(db.execute(query).fetchall())
    finally:
        db.close()
    b = bundle.read(county["bundle"])
    with bundle.checked(b, actor=ADMIN) as result:
        with result.engine.connect() as conn:
            raw = conn.connection.driver_connection
            schema = set(raw.execute(query).fetchall())
            page = raw.execute("PRAGMA page_size").fetchone()[0]
            whole = raw.execute("PRAGMA integrity_check").fetchall()
            own = raw.execute("SELECT count(*) FROM main.event").fetchone()[0]
            where = bundle._EVENTS  # the schema the bundle's events are attached under
            read = raw.execute(f"SELECT {bundle._QUOTED_EVENT_COLUMNS} FROM {where}.event ORDER BY id").fetchall()
            indexes = {sql for (sql,) in raw.execute(
                f"SELECT sql FROM {where}.sqlite_master WHERE type = 'index' AND tbl_name = 'event'")}
            stored = raw.execute("SELECT id, recorded_at FROM event ORDER BY id LIMIT 1").fetchone()
    assert made <= schema and {sql for *_, sql in schema - made} == set(bundle._SCRATCH_INDEXES)
    assert page == bundle._SCRATCH_PAGE and whole == [("ok",)]
    assert own == 0 and read == b.events and len(read) > 100
    assert indexes == {bundle._EVENTS_INDEX}
    at = b.events[0][bundle.EVENT_COLUMNS.index("recorded_at")]  # read as the county's table stores it
    assert stored == (b.events[0][0], f"{at[:10]} {at[11:26]}")


def test_the_scratch_copy_leaves_out_only_side_tables_no_figure_reads(county):
    """The scratch copy holds every side table's replayed rows as the county's database does, but
    those of ``bundle._UNREAD`` (which the county holds some of): the city's monthly figures over the
    copy run no statement naming one of those (docs/city.md, "The load path")."""
    from sqlalchemy import event

    from workflow import bundle, city
    from workflow.replay import DERIVED_COLUMNS

    def counts(conn) -> dict:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DERIVED_COLUMNS}

    own = sqlite3.connect(county["db"])
    try:
        held = counts(own)
    finally:
        own.close()
    said: list[str] = []
    b = bundle.read(county["bundle"])
    with bundle.checked(b, actor=ADMIN) as result:
        event.listen(result.engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: said.append(sql))
        figures = city.monthly_figures(result.engine, b.as_of)
        with result.engine.connect() as conn:
            copied = counts(conn.connection.driver_connection)
    assert figures and len(said) > 5
    unread = re.compile(rf"\b({'|'.join(sorted(bundle._UNREAD))})\b", re.IGNORECASE)
    assert not [sql for sql in said if unread.search(sql)]
    assert all(held[t] for t in bundle._UNREAD) and set(bundle._UNREAD) < set(DERIVED_COLUMNS)
    assert copied == {t: 0 if t in bundle._UNREAD else n for t, n in held.items()}


@pytest.mark.parametrize("change", [None, "payload", "prev_hash", "hash", "seq"])
def test_the_checkpoint_of_rows_held_equals_the_checkpoint_reading_them_back(county, change):
    """The checks hand the checkpoint the rows they filled the scratch copy's event table with
    (docs/city.md, step 6): its digest, or its refusal and every problem it names, are those of the
    checkpoint reading the same rows back from the copy."""
    from sqlalchemy import text

    from workflow import audit, bundle
    from workflow.errors import IntegrityFailure

    b = bundle.read(county["bundle"])
    with bundle.checked(b, actor=ADMIN) as result:
        rows = [(e[0], e[1], *e[3:]) for e in b.events]
        if change is not None:  # the same change in the copy and in the rows held
            k = len(rows) // 2
            column = {"payload": 11, "prev_hash": 12, "hash": 13, "seq": 2}[change]
            value = {"seq": lambda v: v + 1000, "payload": lambda v: v.replace("}", ',"x":1}', 1)}.get(
                change, lambda v: ("0" if v[0] != "0" else "1") + v[1:])(rows[k][column])
            rows[k] = (*rows[k][:column], value, *rows[k][column + 1:])
            with result.engine.begin() as conn:  # where the copy reads its events from
                conn.execute(text(f'UPDATE {bundle._EVENTS}.event SET "{change}" = :v WHERE id = :id'),
                             {"v": value, "id": rows[k][0]})

        def outcome(events):
            try:
                doc = audit.checkpoint(result.engine, ADMIN, store=False, check_container=False, events=events)
            except IntegrityFailure as exc:
                return ("refused", exc.message, repr(exc.details))
            return {k: v for k, v in doc.items() if k != "at"}

        held, read_back = outcome(iter(rows)), outcome(None)
        assert held == read_back
        assert (held == read_back and isinstance(held, dict)) == (change is None)
        if change is None:
            assert held["digest"] == b.digest


@pytest.mark.parametrize("change", [None, "digest", "count", "event_kept"])
def test_a_replica_keeps_no_event_rows_and_is_used_only_for_the_events_it_was_made_of(county, tmp_path, change):
    """The replayed copy the city keeps holds every row of the scratch county but the events', and the
    number and digest of the events it was made of (docs/city.md, "A newer bundle").  A newer
    bundle begins from it only when its first events are those; else (the digest or count changed,
    or the copy holds an event row) it is replayed whole.  Either way the checks give the same
    digest, project rows and figures."""
    import io
    import zlib

    from workflow import bundle, city

    b = bundle.read(county["bundle"])
    with bundle.checked(b, actor=ADMIN) as result:
        out = io.BytesIO()
        result.write_replica(out)
    content = zlib.decompress(out.getvalue())
    (tmp_path / "replica.db").write_bytes(content)
    db = sqlite3.connect(tmp_path / "replica.db")
    assert db.execute("SELECT count(*) FROM event").fetchone() == (0,)
    assert db.execute("SELECT events, digest FROM replica_events").fetchall() == [
        (len(b.events), bundle._events_digest(b.events))]
    assert db.execute("SELECT count(*) FROM project").fetchone()[0] == len({e[1] for e in b.events}) > 0
    if change == "digest":
        db.execute("UPDATE replica_events SET digest = "  # its first digit changed, whichever it was
                   "(CASE substr(digest, 1, 1) WHEN '0' THEN '1' ELSE '0' END) || substr(digest, 2)")
    elif change == "count":
        db.execute("UPDATE replica_events SET events = events - 1")
    elif change == "event_kept":
        db.execute("INSERT INTO event SELECT * FROM (SELECT 1, id, 99, 'followup', NULL, NULL, NULL, '2025-01-01', "
                   "'2025-01-01 00:00:00.000000', 'x', NULL, '{}', 'p', 'h' FROM project LIMIT 1)")
    db.commit()
    db.close()
    base = bundle.Replica(zlib.compress((tmp_path / "replica.db").read_bytes()), len(b.events))

    newer = bundle.read(_newer_bundle(county))
    results = []
    for start in (base, None):
        with bundle.checked(newer, actor=ADMIN, base=start) as result:
            results.append((result.replayed, result.digest, city._project_rows(result.engine),
                            city.monthly_figures(result.engine, newer.as_of)))
    (replayed, *rest), (whole, *alone) = results
    assert rest == alone and rest[0] == newer.digest
    assert whole == len(alone[1]) > 2
    assert replayed == (2 if change is None else whole)


def test_a_trusted_keys_reason_is_taken_as_every_ledger_reason(cli, county):
    """`city trust add --reason` takes a reason as every set-up ledger entry does (one owner of the
    rule, ``workflow.values.reason``): several lines are kept, and the key's row holds the text its
    ledger entry holds; a blank or an over-long reason is refused before anything is written."""
    blank = cli.admin("city", "trust", "add", "JX", "--key", county["public"], "--reason", "  ")
    assert blank.code == 2 and "say why the city trusts" in blank.err, blank.err
    long = cli.admin("city", "trust", "add", "JX", "--key", county["public"], "--reason", "x" * 4001)
    assert long.code == 2 and "4000" in long.err and "Traceback" not in long.err, long.err
    assert cli("city", "trust", "list", json=True).json["keys"] == []
    said = "  met the county's office in person\nkey read aloud over the phone  "
    doc = cli.admin("city", "trust", "add", "JX", "--key", county["public"], "--reason", said, json=True, ok=True).json
    assert doc["ledger"]["reason"] == said.strip()
    assert [k["reason"] for k in cli("city", "trust", "list", json=True).json["keys"]] == [said.strip()]
