"""`pipeline demo --scenario city`: five counties of the seed speech's city, each built in its own
database, exported as a signed bundle and loaded into the city database; the city's ranking for 2025
says what the speech says (docs/city.md)."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from tests.conftest import ADMIN, Cli, invoke
from workflow import seed_city

WAN = 10_000 * 100
YI = 10_000 * WAN
AS_OF = "2026-06-30"

pytestmark = pytest.mark.skipif(date.today() < date.fromisoformat(AS_OF), reason="the seed county needs 2026")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[Cli, dict, str]:
    tmp = tmp_path_factory.mktemp("city")
    c = Cli(str(tmp / "city.db"))
    r = c("demo", "--scenario", "city", "--dir", tmp / "counties", "--as-of", AS_OF, "--no-show", actor=ADMIN,
          json=True, ok=True)
    return c, r.json, r.err


def test_the_counties_go_to_the_folder_and_stderr_says_where(city):
    _, doc, err = city
    assert doc["scenario"] == "city" and doc["as_of"] == AS_OF
    assert [c["county"] for c in doc["counties"]] == [p.code for p in seed_city.COUNTIES]
    assert doc["folder"].endswith("counties") and doc["folder"] in err.replace("\n", "")
    for c in doc["counties"]:
        assert c["events"] == c["events_written"] > 0


def test_the_city_is_made_in_the_citys_pages(city):
    """As `city init` makes a new SQLite city (docs/city.md)."""
    from workflow import city as wcity

    db = sqlite3.connect(city[0].db)
    try:
        assert db.execute("PRAGMA page_size").fetchone() == (wcity.PAGE_SIZE,)
    finally:
        db.close()


def test_the_ranking_of_2025_says_what_the_speech_says(city):
    c, _, _ = city
    doc = c("city", "report", "ranking", "--period", "2025", json=True, ok=True).json
    rows = {r["name"]: r for r in doc["counties"]}
    assert set(rows) == {"嫩江市", "北安市", "五大连池市", "爱辉区", "逊克县"}
    capital = {name: r["figures"]["capital"]["CNY"] for name, r in rows.items()}
    before = {name: r["previous"]["capital"]["CNY"] for name, r in rows.items()}
    assert capital["嫩江市"] == 13 * YI
    assert capital["北安市"] > 7 * YI and capital["五大连池市"] > 7 * YI
    assert capital["爱辉区"] - before["爱辉区"] == 2 * YI
    assert capital["逊克县"] == 34_000 * WAN and rows["逊克县"]["growth"]["capital"] == 0.307
    assert rows["嫩江市"]["rank"] == 1 and rows["逊克县"]["rank"] == 5
    assert all(r["as_of"] == AS_OF for r in rows.values())


def test_the_ranking_document_says_it(city, tmp_path):
    c, _, _ = city
    out = tmp_path / "ranking.md"
    c("city", "report", "ranking", "--period", "2025", "--format", "md", "--output", out, lang="zh", ok=True)
    text = out.read_text(encoding="utf-8")
    assert "| 1 | NJ | 嫩江市 |" in text and "130,000.00" in text
    assert "| XK | 逊克县 |" in text and "34,000.00" in text and "30.7%" in text


@pytest.mark.parametrize("bad", [("--dir", "FILE"), ("--as-of", "2026-01-31"), ("--as-of", "2099-01-01")])
def test_bad_input_is_refused_and_changes_nothing(city, tmp_path, bad):
    c, _, _ = city
    blocker = tmp_path / "file"
    blocker.write_text("x")
    args = ["--dir", blocker if bad[1] == "FILE" else tmp_path / "d", "--as-of", AS_OF if bad[0] == "--dir" else bad[1]]
    r = c("demo", "--scenario", "city", *args, "--no-show", actor=ADMIN)
    assert r.code == 2 and "Traceback" not in r.err
    assert len(c("city", "report", "ranking", "--period", "2025", json=True, ok=True).json["counties"]) == 5


def test_the_city_documents_are_issued_by_the_city(city, tmp_path):
    """The demo city's documents name the city's bureau as issuer, mark and printer, never the county
    office the document settings default to."""
    c, _, _ = city
    html = c("city", "report", "ranking", "--period", "2025", "--format", "html", lang="zh", ok=True).out
    assert '">黑河市商务局文件</p>' in html and "<span>黑河市商务局</span>" in html
    assert "县招商引资工作领导小组办公室" not in html


def test_a_county_that_has_not_reported_for_the_period_has_no_growth(city, tmp_path):
    """A county whose bundle is as of a date before the period (before 1 January for the bulletin's year
    to date) has zeros, not a fall of 100%: its growth is empty, and its figures of a year before are
    left out of the city's total it is compared with."""
    c, doc, _ = city
    held = {x["county"]: x for x in doc["counties"]}
    early = tmp_path / "ah-early.bundle"
    ah = held["AH"]
    assert invoke(["bundle", "export", "--output", str(early), "--key-file", ah["key_file"], "--as-of", "2025-12-20"],
                  db=ah["database"]).code == 0
    fresh = str(tmp_path / "city.db")
    assert invoke(["city", "init"], db=fresh).code == 0
    for code, x in held.items():
        key = invoke(["keys", "show", "--key-file", x["key_file"], "--json"]).json["public_key"]
        assert invoke(["city", "trust", "add", code, "--key", key, "--reason", "r"], db=fresh).code == 0
    bundles = [str(early) if code == "AH" else x["bundle"] for code, x in held.items()]
    assert invoke(["city", "load", *bundles], db=fresh).code == 0
    none = {"signed": None, "capital": None, "investment": None}
    ranking = invoke(["city", "report", "ranking", "--period", "2026-B2", "--json"], db=fresh).json
    rows = {r["county"]: r for r in ranking["counties"]}
    assert rows["AH"]["previous"]["capital"]["CNY"] > 0 and rows["AH"]["figures"]["capital"]["CNY"] == 0
    assert rows["AH"]["growth"] == none and rows["NJ"]["growth"] != none
    others = sum(r["previous"]["capital"]["CNY"] for k, r in rows.items() if k != "AH")
    assert ranking["total"]["previous"]["capital"]["CNY"] == others
    bulletin = invoke(["city", "report", "bulletin", "--period", "2026-B2", "--json"], db=fresh).json
    rows = {r["county"]: r for r in bulletin["counties"]}
    assert rows["AH"]["growth"] == none and rows["AH"]["year_to_date_before"]["capital"]["CNY"] > 0
    others = sum(r["year_to_date_before"]["capital"]["CNY"] for k, r in rows.items() if k != "AH")
    assert bulletin["total"]["year_to_date_before"]["capital"]["CNY"] == others
    assert bulletin["total"]["growth"]["capital"] is not None


def test_the_generated_counties_have_a_year_to_date_to_compare(city):
    """The four generated counties sign projects, receive capital and complete investment in 2026 too:
    the bulletin's year to date has a growth for each, never a fall of 100 per cent, and their new
    projects, paid each quarter, are not red on the board."""
    c, _, _ = city
    doc = c("city", "report", "bulletin", "--period", "2026-B3", json=True, ok=True).json
    generated = {p.code for p in seed_city.COUNTIES if p is not seed_city.SEED_COUNTY}
    rows = {r["county"]: r for r in doc["counties"] if r["county"] in generated}
    assert set(rows) == generated
    for code, r in rows.items():
        assert r["year_to_date"]["signed"] == 6, (code, r["year_to_date"])  # one a month, January to June
        growth = r["growth"]  # investment: none (2025 completed its investment in September)
        assert growth["signed"] > -1 and growth["capital"] > -1 and growth["investment"] is None, (code, growth)
        assert r["year_to_date"]["investment"]["CNY"] > 0
    board = {r["county"]: r for r in c("city", "board", json=True, ok=True).json["counties"]}
    assert all(board[code]["red"] == 0 for code in generated), board


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_bulletin_keeps_its_numbers_whole_where_the_screen_allows(city, monkeypatch, lang):
    """The city bulletin (14 columns) at 150 columns: its text columns (names, headers) wrap, never a
    number or a date ("130,000.0" over "0" reads as another figure)."""
    c, _, _ = city
    monkeypatch.setenv("PIPELINE_WIDTH", "150")
    doc = c("city", "report", "bulletin", "--period", "2026-B2", json=True, ok=True).json
    text = c("city", "report", "bulletin", "--period", "2026-B2", lang=lang, ok=True).out
    for r in doc["counties"]:
        for figure in (f"{r['year_to_date_before']['capital']['CNY'] / 1_000_000:,.2f}", r["as_of"]):
            assert figure in text, (figure, text)


def _public(key_file: str) -> str:
    return invoke(["keys", "show", "--key-file", key_file, "--json"]).json["public_key"]


def _issuer(db: str) -> str:
    rows = invoke(["documents", "show", "--json"], db=db).json["settings"]
    return next(r["value"] for r in rows if r["key"] == "issuer")


def test_a_database_a_demo_did_not_make_is_refused_naming_what_it_holds(city, tmp_path):
    """A city or county database holding what no demo made — trusted keys, loaded counties, set-up
    ledger entries (a document setting), a county identity — is refused (exit 2) without --force,
    naming what it holds in the run's language, and nothing changes; with --force it is moved aside and
    the city is built, its message listing the counties as English lists them (docs/city.md)."""
    _, doc, _ = city
    held = {x["county"]: x for x in doc["counties"]}
    real = str(tmp_path / "real.db")
    for args in (["city", "init"], ["documents", "set", "issuer=大庆市商务局", "--reason", "setup"],
                 ["city", "trust", "add", "JX", "--key", _public(held["NJ"]["key_file"]), "--reason", "real key"]):
        assert invoke(args, db=real).code == 0
    loaded = str(tmp_path / "loaded.db")
    for args in (["city", "init"], ["city", "trust", "add", "XK", "--key", _public(held["XK"]["key_file"]),
                                    "--reason", "r"], ["city", "load", held["XK"]["bundle"]]):
        assert invoke(args, db=loaded).code == 0
    county = str(tmp_path / "county.db")
    for args in (["init"], ["county", "set", "--name", "甲县", "--code", "JX"]):
        assert invoke(args, db=county).code == 0
    folder = tmp_path / "demo"
    for db, en, zh in (
            (real, "(trusted county keys: 1, set-up ledger entries: 1 (setting))",
             "（受信任的县区密钥 1 个、设置台账记录 1 条（setting））"),
            (loaded, "(trusted county keys: 1, loaded counties: 1)", "（受信任的县区密钥 1 个、已载入的县区 1 个）"),
            (county, "(the county identity 甲县 (JX))", "（县区身份 甲县（JX））")):
        for scenario in ("city", "random"):
            args = ["demo", "--scenario", scenario, "--no-show",
                    *(["--dir", str(folder)] if scenario == "city" else [])]
            res = invoke(args, db=db)
            assert res.code == 2 and en in res.err.replace("\n", "") and "--force" in res.err, (db, res.err)
        res = invoke(["demo", "--scenario", "city", "--dir", str(folder), "--no-show", "--json"], db=db, lang="zh")
        assert res.code == 2 and res.json["error"]["code"] == "database_holds_not_demo"
        assert zh in res.json["error"]["message"], res.json
    assert not folder.exists()
    assert _issuer(real) == "大庆市商务局"
    assert [k["county"] for k in invoke(["city", "trust", "list", "--json"], db=real).json["keys"]] == ["JX"]
    built = invoke(["demo", "--scenario", "city", "--dir", str(folder), "--as-of", AS_OF, "--no-show", "--force"],
                   db=real)
    assert built.code == 0, built.err
    said = built.err.replace("\n", "")
    assert "(逊克县, 嫩江市, 北安市, 五大连池市, 爱辉区)" in said and "、" not in said, built.err
    assert list(tmp_path.glob("real.db.bak-*")) and _issuer(real) == seed_city.CITY_ISSUER
    made = sqlite3.connect(real)  # the database moved aside: a new one, in the city's pages
    try:
        assert made.execute("PRAGMA page_size").fetchone() == (65536,)
    finally:
        made.close()
    from workflow.catalogue import Message

    names = [p.name for p in seed_city.COUNTIES]
    zh = Message("demo_built_city", database="d", n_counties=5, names=names, as_of=AS_OF).text("zh")
    assert "（逊克县、嫩江市、北安市、五大连池市、爱辉区）" in zh


def test_a_county_that_has_not_begun_the_period_has_zeros_and_no_rank(city, tmp_path):
    """A county whose bundle is as of a date before the period has zeros for it, its state too (key
    projects, lights: never the state at its as-of date), no growth and no rank (listed after the ranked
    counties); the city's totals hold its zeros and leave its year before out (docs/city.md)."""
    _, doc, _ = city
    held = {x["county"]: x for x in doc["counties"]}
    fresh = str(tmp_path / "city.db")
    assert invoke(["city", "init"], db=fresh).code == 0
    bundles = []
    for code, x in held.items():
        path = str(tmp_path / f"{code}.bundle")
        as_of = "2026-04-20" if code == "XK" else "2026-06-15"
        assert invoke(["bundle", "export", "--output", path, "--key-file", x["key_file"], "--as-of", as_of],
                      db=x["database"]).code == 0
        trust = ["city", "trust", "add", code, "--key", _public(x["key_file"]), "--reason", "r"]
        assert invoke(trust, db=fresh).code == 0
        bundles.append(path)
    assert invoke(["city", "load", *bundles], db=fresh).code == 0
    zero = {"signed": 0, "capital": {"CNY": 0, "USD": 0}, "investment": {"CNY": 0, "USD": 0}, "key": 0, "red": 0,
            "yellow": 0}
    none = {"signed": None, "capital": None, "investment": None}
    ranking = invoke(["city", "report", "ranking", "--period", "2026-B3", "--json"], db=fresh).json
    rows = ranking["counties"]
    xk = rows[-1]
    assert xk["county"] == "XK" and not xk["begun"] and xk["rank"] is None
    assert xk["figures"] == zero and xk["growth"] == none
    assert [r["rank"] for r in rows[:-1]] == [1, 2, 3, 4] and all(r["begun"] for r in rows[:-1])
    others = [r for r in rows if r["county"] != "XK"]
    for k in ("key", "red", "yellow", "signed"):
        assert ranking["total"]["figures"][k] == sum(r["figures"][k] for r in others), k
        assert ranking["total"]["previous"][k] == sum(r["previous"][k] for r in others), k
    assert sum(r["figures"]["key"] for r in others) > 0
    by_key = invoke(["city", "report", "ranking", "--period", "2026-H2", "--by", "key", "--json"], db=fresh).json
    assert all(r["rank"] is None and r["figures"] == zero for r in by_key["counties"])
    assert [r["county"] for r in by_key["counties"]] == sorted(held)
    text = invoke(["city", "report", "ranking", "--period", "2026-H2", "--by", "key"], db=fresh)
    assert text.code == 0 and "None" not in text.out
    bulletin = invoke(["city", "report", "bulletin", "--period", "2026-B3", "--json"], db=fresh).json
    xk = next(r for r in bulletin["counties"] if r["county"] == "XK")
    assert xk["period_figures"] == zero and xk["rank"] is not None  # its year to date has begun
    assert xk["year_to_date"]["key"] > 0 and xk["year_to_date"]["signed"] > 0
