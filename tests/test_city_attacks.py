"""Attacks on the city's bundle load path (docs/city.md, "`pipeline city load`", "A newer bundle",
"Loading many bundles"): bundle files that are not what they say, signed by the county itself (a
county that cheats holds a key the city trusts), newer bundles that do not extend what the city holds,
and the worker path.  Every refusal keeps nothing and names the county and the first bad row; every
accepted load leaves the city as a load of the newest bundle alone leaves it, with the county's own
figures."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import ADMIN, invoke, pipeline_exe
from tests.test_city import _city_state

# --- the county, its bundles, and forging them -------------------------------------------------------------


def _export(db: str, key: str, out: Path, *extra: str) -> dict:
    res = invoke(["bundle", "export", "--output", str(out), "--key-file", key, "--json", *extra], db=db)
    assert res.code == 0, res.err
    return res.json


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict:
    """County JX (12 demo projects) with its key and bundles: ``first``; ``newer`` (follow-ups on
    P-0001 and P-0002 after it); ``back`` (the newer history as of a month before the first's date);
    ``directory`` (the newer history and a unit added); and the county databases they came from."""
    tmp = tmp_path_factory.mktemp("attacks")
    db = str(tmp / "county.db")
    assert invoke(["demo", "--projects", "12", "--seed", "1", "--no-show"], db=db).code == 0
    assert invoke(["county", "set", "--name", "甲县", "--code", "JX"], db=db).code == 0
    key = str(tmp / "jx.pem")
    public = invoke(["keys", "init", "--key-file", key, "--json"]).json["public_key"]
    first = _export(db, key, tmp / "first.bundle")
    newer_db = str(tmp / "newer.db")
    shutil.copy(db, newer_db)
    for code in ("P-0001", "P-0002"):
        assert invoke(["followup", "add", code, "visited the site"], db=newer_db).code == 0
    newer = _export(newer_db, key, tmp / "newer.bundle")
    back_on = (date.fromisoformat(first["as_of"]) - timedelta(days=40)).isoformat()
    back = _export(newer_db, key, tmp / "back.bundle", "--as-of", back_on)
    dir_db = str(tmp / "directory.db")
    shutil.copy(newer_db, dir_db)
    assert invoke(["units", "add", "QX", "--name", "青山镇"], db=dir_db).code == 0
    directory = _export(dir_db, key, tmp / "directory.bundle")
    return {"dir": tmp, "db": db, "newer_db": newer_db, "dir_db": dir_db, "key": key, "public": public,
            "first": first, "newer": newer, "back": back, "directory": directory}


def _file(made: dict, name: str) -> str:
    return str(made["dir"] / f"{name}.bundle")


def _sign(path: str, key: str, doc=None, *, directory: bool = True) -> None:
    """Sign the bundle file ``path`` again with ``key`` (the county's own), its directory digest
    recomputed from its rows (``directory``) and its signed document changed by ``doc`` first: what a
    county that cheats can do to any file it sends."""
    from workflow import bundle, county
    from workflow.encoding import canonical

    db = sqlite3.connect(path)
    try:
        signed = json.loads(db.execute("SELECT value FROM bundle WHERE key = 'signed'").fetchone()[0])
        if directory:
            signed["directory"] = bundle.directory_digest(
                [(str(t), str(r)) for t, r in db.execute("SELECT tbl, row FROM directory")])
        if doc is not None:
            doc(signed)
        text = bytes(canonical(signed))
        signature, public = county.sign(text, key)
        for k, v in (("signed", text.decode("utf-8")), ("signature", signature), ("public_key", public)):
            db.execute("UPDATE bundle SET value = ? WHERE key = ?", (v, k))
        db.commit()
    finally:
        db.close()


def _forge(made: dict, source: str, name: str, script: str = "", doc=None, key: str | None = None) -> str:
    """A copy of the bundle ``source`` changed by the SQL ``script`` and signed again (:func:`_sign`)."""
    path = str(made["dir"] / "forged" / f"{name}.bundle")
    Path(path).parent.mkdir(exist_ok=True)
    shutil.copy(_file(made, source), path)
    if script:
        db = sqlite3.connect(path)
        db.executescript(script)
        db.close()
    _sign(path, key or made["key"], doc)
    return path


# the event table without its types and constraints (a county may write any file): values of any kind
_UNTYPED = """
CREATE TABLE e2 AS SELECT * FROM event; DROP TABLE event;
CREATE TABLE event (id, project_id, project_code, seq, kind, "trigger", from_stage, to_stage, effective_on,
                    recorded_at, actor, reason, payload, prev_hash, hash);
INSERT INTO event SELECT * FROM e2; DROP TABLE e2;
"""
_UNTYPED_LEDGER = """
CREATE TABLE l2 AS SELECT * FROM ledger; DROP TABLE ledger;
CREATE TABLE ledger (seq, kind, target, payload, reason, actor, recorded_at, prev_hash, hash, after_event);
INSERT INTO ledger SELECT * FROM l2; DROP TABLE l2;
"""
_LAST = "id = (SELECT max(id) FROM event)"


def _city(cli, made: dict) -> None:
    cli.admin("city", "trust", "add", "JX", "--key", made["public"], "--reason", "key handed over", ok=True)


def _kept(url: str) -> dict:
    """Everything a city holds of its counties, but the time and actor of each load
    (``tests.test_city._city_state``), with its replayed copies and loads counted."""
    from sqlalchemy import func, select

    from workflow.db import make_engine
    from workflow.tables import city_replica, ledger

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = {"replicas": conn.execute(select(func.count()).select_from(city_replica)).scalar(),
                      "loads": conn.execute(select(func.count()).select_from(ledger).where(
                          ledger.c.kind == "city_loaded")).scalar()}
    finally:
        engine.dispose()
    return {**_city_state(url), **counts}


_EMPTY = {"county": [], "event": [], "project": [], "figure": [], "replicas": 0, "loads": 0}


def _alone(made: dict, tmp: Path, *bundles: str) -> dict:
    """What a second city (SQLite) holds after loading ``bundles`` one by one, each by itself."""
    db = str(tmp / f"alone-{len(list(tmp.glob('alone-*')))}.db")
    assert invoke(["city", "init"], db=db).code == 0
    assert invoke(["city", "trust", "add", "JX", "--key", made["public"], "--reason", "r"], db=db).code == 0
    for b in bundles:
        res = invoke(["city", "load", b, "--workers", "1"], db=db)
        assert res.code == 0, res.err
    return _kept(f"sqlite:///{db}")


def _same(held: dict, alone: dict) -> None:
    for part in ("county", "event", "project", "figure"):
        assert held[part] == alone[part], part


def _agrees_with_county(cli, county_db: str, as_of: str) -> None:
    """The city's figures for JX of the as-of year and its quarter equal the county's own bulletin."""
    on = date.fromisoformat(as_of)
    for period in (str(on.year), f"{on.year}-Q{(on.month - 1) // 3 + 1}"):
        ranking = cli("city", "report", "ranking", "--period", period, json=True).json
        mine = next(r for r in ranking["counties"] if r["county"] == "JX")
        end = date.fromisoformat(ranking["end"])
        own = invoke(["report", "bulletin", "--period", period, "--as-of", min(end, on).isoformat(), "--json"],
                     db=county_db).json["totals"]
        money = {m["currency"]: m["amount_minor"] for m in own["capital_in_place"]}
        invest = {m["currency"]: m["amount_minor"] for m in own["investment_completed"]}
        assert (mine["figures"]["signed"], mine["figures"]["capital"]["CNY"], mine["figures"]["investment"]["CNY"],
                mine["figures"]["key"]) == (own["signed"], money.get("CNY", 0), invest.get("CNY", 0),
                                            own["key_projects"]), period
    board = next(r for r in cli("city", "board", json=True).json["counties"] if r["county"] == "JX")
    own = invoke(["report", "bulletin", "--period", str(on.year), "--as-of", as_of, "--json"], db=county_db).json
    assert (board["red"], board["yellow"]) == (own["totals"]["red"], own["totals"]["yellow"])


# --- a first bundle that is not what it says ------------------------------------------------------------------

def _days_ahead(days: int) -> str:
    from workflow import clock

    return (clock.today() + timedelta(days=days)).isoformat()


# (name, SQL on the file, change to the signed document, exit code, words the refusal must hold)
MALFORMED = [
    ("null_kind", _UNTYPED + f"UPDATE event SET kind = NULL WHERE {_LAST};", None, 2, "event P-0012 #11"),
    ("null_code", _UNTYPED + f"UPDATE event SET project_code = NULL WHERE {_LAST};", None, 2, "project_code is None"),
    ("null_effective_on", _UNTYPED + f"UPDATE event SET effective_on = NULL WHERE {_LAST};", None, 2,
     "effective_on is None"),
    ("null_recorded_at", _UNTYPED + f"UPDATE event SET recorded_at = NULL WHERE {_LAST};", None, 2,
     "recorded_at is None"),
    ("null_hash", _UNTYPED + f"UPDATE event SET hash = NULL WHERE {_LAST};", None, 2, "hash is None"),
    ("null_prev_hash", _UNTYPED + f"UPDATE event SET prev_hash = NULL WHERE {_LAST};", None, 2, "prev_hash is None"),
    ("null_seq", _UNTYPED + f"UPDATE event SET seq = NULL WHERE {_LAST};", None, 2, "seq is None"),
    ("null_project_id", _UNTYPED + f"UPDATE event SET project_id = NULL WHERE {_LAST};", None, 2,
     "project_id is None"),
    ("null_id", _UNTYPED + f"UPDATE event SET id = NULL WHERE {_LAST};", None, 2, "id is None"),
    ("empty_code", _UNTYPED + f"UPDATE event SET project_code = '' WHERE {_LAST};", None, 2, "project_code is ''"),
    ("text_seq", _UNTYPED + f"UPDATE event SET seq = seq || 'x' WHERE {_LAST};", None, 2, "seq is '11x'"),
    ("text_project_id", _UNTYPED + f"UPDATE event SET project_id = 'one' WHERE {_LAST};", None, 2,
     "project_id is 'one'"),
    ("float_id", _UNTYPED + f"UPDATE event SET id = id + 0.5 WHERE {_LAST};", None, 2, "id is 192.5"),
    ("number_date", _UNTYPED + f"UPDATE event SET effective_on = 20260101 WHERE {_LAST};", None, 2,
     "effective_on is 20260101"),
    ("no_such_date", _UNTYPED + f"UPDATE event SET effective_on = '2026-13-45' WHERE {_LAST};", None, 2,
     "not in the bundle's form"),
    ("short_time", _UNTYPED + f"UPDATE event SET recorded_at = substr(recorded_at, 1, 19) WHERE {_LAST};", None, 2,
     "recorded_at is"),
    ("blob_payload", _UNTYPED + f"UPDATE event SET payload = CAST(payload AS BLOB) WHERE {_LAST};", None, 2,
     "payload is b'"),
    ("repeated_id", _UNTYPED + f"INSERT INTO event SELECT * FROM event WHERE {_LAST};", None, 2, "id 192 is repeated"),
    ("huge_code", f"UPDATE event SET project_code = hex(zeroblob(500000)) WHERE {_LAST};", None, 2,
     "longer than 20 characters"),
    ("huge_kind", f"UPDATE event SET kind = hex(zeroblob(500000)) WHERE {_LAST};", None, 2,
     "longer than 40 characters"),
    ("ledger_null", _UNTYPED_LEDGER + "UPDATE ledger SET recorded_at = NULL WHERE seq = 1;", None, 2,
     "ledger entry #1"),
    ("ledger_repeated", _UNTYPED_LEDGER + "INSERT INTO ledger SELECT * FROM ledger WHERE seq = 1;", None, 2,
     "seq 1 is repeated"),
    ("directory_not_json", "INSERT INTO directory VALUES ('unit', 'not json');", None, 2, "not a JSON object"),
    ("directory_array", "INSERT INTO directory VALUES ('unit', '[1, 2]');", None, 2, "not a JSON object"),
    ("directory_null", "CREATE TABLE d2 AS SELECT * FROM directory; DROP TABLE directory; "
                       "CREATE TABLE directory (tbl, row); INSERT INTO directory SELECT * FROM d2; "
                       "INSERT INTO directory VALUES (NULL, NULL);", None, 2, "table None"),
    ("directory_event_table", "INSERT INTO directory VALUES ('event', '{}');", None, 2, "table 'event'"),
    ("directory_city_table", "INSERT INTO directory VALUES ('city_county', '{}');", None, 2, "table 'city_county'"),
    ("directory_unknown_column", "INSERT INTO directory VALUES ('unit', '{\"code\":\"ZZ\",\"boss\":\"me\"}');",
     None, 2, "no such columns ['boss']"),
    ("digest_empty", "", lambda d: d.update(digest=""), 2, "signed document is malformed"),
    ("digest_short", "", lambda d: d.update(digest="ab" * 16), 2, "signed document is malformed"),
    ("as_of_future", "", lambda d: d.update(as_of="2099-12-31"), 2, "as-of date 2099-12-31 lies ahead"),
    ("as_of_after_tomorrow", "", lambda d: d.update(as_of=_days_ahead(2)), 2, "lies ahead (today is"),
    ("format_other", "", lambda d: d.update(format="pipeline-county-bundle/2"), 2, "signed document is malformed"),
    ("counts_text", "", lambda d: d.update(counts="many"), 2, "signed document is malformed"),
    ("as_of_year_1", "", lambda d: d.update(as_of="0001-01-01"), 2, "signed document is malformed"),
    ("county_code_empty", "", lambda d: d["county"].update(code=""), 2, "signed document is malformed"),
    ("county_name_control", "", lambda d: d["county"].update(name="甲\x1b[31m县"), 2, "signed document is malformed"),
    # refused by the checks (exit 7), naming the county and the first bad event where there is one
    ("code_of_another_project", "UPDATE event SET project_code = 'P-0002' WHERE id = "
                                "(SELECT max(id) FROM event WHERE project_code = 'P-0001');", None, 7,
     "first bad event P-0002 #"),
    ("two_ids_one_code", "UPDATE event SET project_code = 'P-0001' WHERE project_code = 'P-0002';", None, 7,
     "first bad event P-0001 #1: project P-0001 is id"),
    ("seq_repeated", f"UPDATE event SET seq = seq - 1 WHERE {_LAST};", None, 7, "first bad event P-0012 #10"),
    ("event_moved_to_another_project", "UPDATE event SET project_id = 2 WHERE id = "
                                       "(SELECT max(id) FROM event WHERE project_id = 1);", None, 7,
     "first bad event P-0001 #"),
    ("directory_row_lacks_a_value", "INSERT INTO directory VALUES ('unit', '{\"code\":\"ZZ\",\"name\":\"x\"}');",
     None, 7, "the directory's unit rows are not a county's"),
    ("directory_row_repeated", "INSERT INTO directory SELECT * FROM directory WHERE tbl = 'unit' LIMIT 1;", None, 7,
     "the directory's unit rows are not a county's"),
    ("huge_payload", f"UPDATE event SET payload = hex(zeroblob(5000000)) WHERE {_LAST};", None, 7,
     "first bad event P-0012 #11"),
    ("directory_time_not_one", "UPDATE directory SET row = json_set(row, '$.created_at', 'garbage') "
                               "WHERE tbl = 'unit';", None, 7, "the directory's unit rows are not a county's"),
    ("directory_date_not_one", "UPDATE directory SET row = json_set(row, '$.effective_on', '2026-02-30') "
                               "WHERE tbl = 'setting';", None, 7, "the directory's setting rows are not a county's"),
    ("directory_user_without_login", "UPDATE directory SET row = json_remove(row, '$.login') WHERE tbl = 'app_user';",
     None, 7, "the directory's app_user rows are not a county's"),
    ("directory_list_value", "UPDATE directory SET row = json_set(row, '$.conditions', json('{\"a\": 1}')) "
                             "WHERE tbl = 'rule';", None, 7, "the directory's rule rows are not a county's"),
    ("ledger_entry_changed", "UPDATE ledger SET reason = 'edited' WHERE seq = 1;", None, 7,
     "first bad event ledger #1"),
    ("counts_lie", "", lambda d: d["counts"].update(events=d["counts"]["events"] + 1), 7, "signed counts"),
    ("name_not_the_ledgers", "", lambda d: d["county"].update(name="乙县"), 7,
     "is not the one its set-up ledger names ({'code': 'JX', 'name': '甲县'})"),
    ("counts_extra_key", "", lambda d: d["counts"].update(extra=0), 7, "signed counts"),
    # a value the refusal quotes is cut short (docs/text-and-errors.md): a reason may be of any length
    ("huge_reason", f"UPDATE event SET reason = printf('%.1000000c', 'x') WHERE {_LAST};", None, 7,
     "with reason 'xxxxxxxx"),
    # a payload its kind cannot read: what is wrong with it, not Python's exception
    ("payload_not_json", f"UPDATE event SET payload = 'x' WHERE {_LAST};", None, 7,
     "its payload is not JSON (line 1, column 1)"),
    ("payload_lacks_member", "UPDATE event SET payload = json_remove(payload, '$.plan') "
                             "WHERE kind = 'registered' AND project_id = 12;", None, 7, "its payload lacks 'plan'"),
]


def test_a_signed_bundle_that_is_not_what_it_says_is_refused_naming_its_first_bad_row(cli, made):
    """Each file is signed by the county's own trusted key after its change (a county that cheats):
    none crashes the load, each is refused with the documented exit code naming county JX and the
    first bad row, and the city keeps nothing of any."""
    _city(cli, made)
    for name, script, doc, code, words in MALFORMED:
        path = _forge(made, "first", name, script, doc)
        res = cli.admin("city", "load", path)
        assert res.code == code, (name, res.out, res.err)
        assert words in res.err, (name, res.err)
        if "signed document" not in words:  # a document it cannot read names no county: the file, then
            assert "county JX" in res.err and "nothing was kept" in res.err, (name, res.err)
        assert "Traceback" not in res.err and "internal error" not in res.err, name
        assert len(res.err) < 1000, (name, len(res.err))  # a value quoted is a short one
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


_ENGLISH_FORM_WORDS = ("malformed", "not in the bundle's form", "is repeated", "beyond the", "longer than",
                       "not a JSON object", "no such columns", "is not one of", "ledger entry", "directory row",
                       "event ", " is ")


def test_a_malformed_row_is_worded_in_chinese_whole(cli, made):
    """Every row refused as malformed (exit 2) names what is malformed and why in the run's language:
    in Chinese, no English phrase of the refusal is left (the values quoted are the county's own)."""
    _city(cli, made)
    seen = 0
    for name, script, doc, code, _words in MALFORMED:
        path = _forge(made, "first", name, script, doc)
        if code != 2 or "is malformed:" not in cli.admin("city", "load", path).err:
            continue
        res = cli.admin("city", "load", path, lang="zh")
        assert res.code == 2 and "格式有误" in res.err, (name, res.err)
        said = res.err.split("格式有误", 1)[1]
        for quoted in re.findall(r"'[^']*'|\[[^\]]*\]", said):  # the county's own values, as quoted
            said = said.replace(quoted, "")
        assert not [w for w in _ENGLISH_FORM_WORDS if w in said], (name, res.err)
        seen += 1
    assert seen >= 8
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


@pytest.mark.parametrize("member", [
    '"x":1' + "0" * 40,  # an integer canonical JSON cannot hold
    '"x":1e400',  # a number no float holds
    '"x":"\\ud800"',  # a lone surrogate
    None,  # the whole document nested too deep to read
], ids=["wide_integer", "huge_number", "lone_surrogate", "deep_nesting"])
def test_a_signed_document_no_county_could_sign_is_malformed_whoever_wrote_it(cli, made, tmp_path, member):
    """The signed document is read before its signature is checked: the county's own document with a
    member added that canonical JSON cannot hold, or one nested past reading, written by anyone holding
    the file (no key needed), is refused as malformed (exit 2), in both languages, with no traceback
    and nothing kept."""
    _city(cli, made)
    path = tmp_path / "raw.bundle"
    shutil.copy(_file(made, "first"), path)
    db = sqlite3.connect(path)
    text = db.execute("SELECT value FROM bundle WHERE key = 'signed'").fetchone()[0]
    assert text.startswith("{")
    db.execute("UPDATE bundle SET value = ? WHERE key = 'signed'",
               ("[" * 100_000 if member is None else "{" + member + "," + text[1:],))
    db.commit()
    db.close()
    for lang, words in (("en", "signed document is malformed"), ("zh", "签名文档格式有误")):
        res = cli.admin("city", "load", str(path), lang=lang)
        assert res.code == 2 and words in res.err, res.err
        assert "Traceback" not in res.err and "internal error" not in res.err and "内部错误" not in res.err
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


def test_what_a_bundle_file_holds_beyond_its_format_is_not_read(cli, made, tmp_path):
    """Extra tables and columns, events stored out of id order, extra keys in the signed document:
    the bundle is what its four tables' columns and the signed keys say, and is kept as the county's
    own file is, with the county's figures."""
    _city(cli, made)
    want = _alone(made, tmp_path, _file(made, "first"))
    for name, script, doc in (
            ("extra_table", "CREATE TABLE extra (x); INSERT INTO extra VALUES ('ignored');", None),
            ("extra_column", "ALTER TABLE event ADD COLUMN extra TEXT DEFAULT 'x';", None),
            ("out_of_order", "CREATE TABLE e2 AS SELECT * FROM event ORDER BY id DESC; DELETE FROM event; "
                             "INSERT INTO event SELECT * FROM e2 ORDER BY id DESC; DROP TABLE e2;", None),
            ("extra_signed_key", "", lambda d: d.update(note="signed, and not read"))):
        res = cli.admin("city", "load", _forge(made, "first", name, script, doc), json=True)
        assert res.code == 0, (name, res.err)
        held = _kept(cli.url_for(ADMIN))
        assert held["event"] == want["event"] and held["project"] == want["project"], name
        assert held["figure"] == want["figure"], name
    _agrees_with_county(cli, made["db"], made["first"]["as_of"])
    # a county a time zone ahead of the city: its today is the city's tomorrow
    res = cli.admin("city", "load", _forge(made, "first", "tomorrow", doc=lambda d: d.update(as_of=_days_ahead(1))),
                    json=True)
    assert res.code == 0 and res.json["loaded"][0]["as_of"] == _days_ahead(1), res.err


def test_a_bundle_named_for_another_county_needs_a_key_trusted_for_that_county(cli, made, tmp_path):
    """JX's history signed as YX with ZX's trusted key (or with JX's own): refused as untrusted,
    naming YX, the county the signed document names; nothing kept."""
    other_key = str(tmp_path / "zx.pem")
    zx = invoke(["keys", "init", "--key-file", other_key, "--json"]).json["public_key"]
    _city(cli, made)
    cli.admin("city", "trust", "add", "ZX", "--key", zx, "--reason", "r", ok=True)
    for name, key in (("as_yx_by_zx", other_key), ("as_yx_by_jx", made["key"])):
        path = _forge(made, "first", name, doc=lambda d: d.update(county={"code": "YX", "name": "乙县"}), key=key)
        res = cli.admin("city", "load", path)
        assert res.code == 6 and "YX" in res.err, (name, res.err)
    # a bundle of JX signed by ZX's key, naming JX: JX does not trust that key
    res = cli.admin("city", "load", _forge(made, "first", "jx_by_zx", key=other_key))
    assert res.code == 6 and "JX" in res.err and "does not trust" in res.err
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


def _broken(made: dict, name: str, script: str) -> str:
    """A copy of the first bundle changed by the SQL ``script``, not signed again: what anyone holding
    the file can write (the file's form is checked before its signature)."""
    path = str(made["dir"] / "forged" / f"{name}.bundle")
    Path(path).parent.mkdir(exist_ok=True)
    shutil.copy(_file(made, "first"), path)
    db = sqlite3.connect(path)
    db.executescript(script)
    db.close()
    return path


@pytest.mark.parametrize("key", ["signed", "signature", "public_key", "format"])
def test_a_bundle_table_value_stored_as_bytes_is_a_malformed_signed_document(cli, made, key):
    """A value of the ``bundle`` table stored as a BLOB (SQLite keeps a value's type per row): refused
    as malformed (exit 2), read alone or among others (their heads read first), in both languages;
    no internal error, no ``b'…'`` quoted, nothing kept."""
    _city(cli, made)
    path = _broken(made, f"blob_{key}", f"UPDATE bundle SET value = CAST(value AS BLOB) WHERE key = '{key}';")
    for files in ([path], [path, _other_county(cli, made)]):
        for lang, words in (("en", "the bundle's signed document is malformed"), ("zh", "数据包的签名文档格式有误")):
            res = cli.admin("city", "load", *files, "--workers", "1", lang=lang)
            assert res.code == 2 and words in res.err, (key, res.err)
            assert "internal error" not in res.err and "内部错误" not in res.err and "b'" not in res.err, res.err
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


def test_a_public_key_that_is_no_key_is_malformed_and_not_quoted_whole(cli, made):
    """The bundle's public key, a megabyte of text: refused as malformed (exit 2), the text not quoted."""
    _city(cli, made)
    path = _broken(made, "huge_key", "UPDATE bundle SET value = printf('%.1000000c', 'A') WHERE key = 'public_key';")
    res = cli.admin("city", "load", path)
    assert res.code == 2 and "signed document is malformed" in res.err and len(res.err) < 300, res.err[:300]
    path = _broken(made, "huge_format", "UPDATE bundle SET value = printf('%.1000000c', 'A') WHERE key = 'format';")
    res = cli.admin("city", "load", path)
    assert res.code == 2 and "not a county bundle of format" in res.err and len(res.err) < 300, res.err[:300]


# (name, SQL on the file, the table and columns the refusal names)
WITHOUT_COLUMNS = [
    ("event_kind", "ALTER TABLE event DROP COLUMN kind;", "event", "kind"),
    ("event_project_code", "ALTER TABLE event DROP COLUMN project_code;", "event", "project_code"),
    ("event_reason", "ALTER TABLE event DROP COLUMN reason;", "event", "reason"),
    ("event_two", "ALTER TABLE event DROP COLUMN \"trigger\"; ALTER TABLE event DROP COLUMN payload;", "event",
     "trigger, payload"),
    ("ledger_actor", "ALTER TABLE ledger DROP COLUMN actor;", "ledger", "actor"),
    ("ledger_after_event", "ALTER TABLE ledger DROP COLUMN after_event;", "ledger", "after_event"),
    ("directory_row", "ALTER TABLE directory DROP COLUMN row;", "directory", "row"),
    ("bundle_value", "CREATE TABLE b2 (key TEXT PRIMARY KEY, other TEXT); INSERT INTO b2 SELECT * FROM bundle; "
                     "DROP TABLE bundle; ALTER TABLE b2 RENAME TO bundle;", "bundle", "value"),
]


def test_a_bundle_lacking_a_column_or_a_table_of_its_format_is_not_a_bundle(cli, made):
    """A table of the format without one of its columns (SQLite would read a double-quoted name of no
    column as that name's text: an event of kind 'kind'), or without the table: refused as not a
    county bundle (exit 2) naming the table and the columns, in both languages, read alone or among
    others; nothing kept."""
    _city(cli, made)
    other = _other_county(cli, made)
    for name, script, table, columns in WITHOUT_COLUMNS:
        path = _broken(made, f"without_{name}", script)
        for files in ([path], [path, other]):
            res = cli.admin("city", "load", *files, "--workers", "1")
            assert res.code == 2, (name, res.out, res.err)
            assert f"not a county bundle (its {table} table lacks the column(s) {columns})" in res.err, (name, res.err)
        zh = cli.admin("city", "load", path, lang="zh")
        assert zh.code == 2 and f"其中的 {table} 表缺少列 {columns.replace(', ', '、')}" in zh.err, (name, zh.err)
    for table in ("event", "ledger", "directory", "bundle"):
        path = _broken(made, f"no_{table}", f"DROP TABLE {table};")
        res = cli.admin("city", "load", path)
        assert res.code == 2 and f"not a county bundle (it has no {table} table)" in res.err, (table, res.err)
        zh = cli.admin("city", "load", path, lang="zh")
        assert zh.code == 2 and f"其中没有 {table} 表" in zh.err and "no such" not in zh.err, (table, zh.err)
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


_EVENT_COLUMNS_SQL = ('id, project_id, project_code, seq, kind, "trigger", from_stage, to_stage, effective_on, '
                      "recorded_at, actor, reason, payload, prev_hash")
# (name, script, the words of the refusal, in English and Chinese): rows that could differ each time
# they are read (the checks, the figures and the city each read the file's rows)
NOT_STORED = [
    ("event_a_view", f"ALTER TABLE event RENAME TO stored; CREATE VIEW event AS SELECT {_EVENT_COLUMNS_SQL}, "
                     "CASE WHEN total_changes() > 0 THEN 'x' ELSE hash END AS hash FROM stored;",
     "its event is not a plain table of stored values", "其中的 event 不是存储值的普通表"),
    ("ledger_a_view", "ALTER TABLE ledger RENAME TO stored; CREATE VIEW ledger AS SELECT * FROM stored;",
     "its ledger is not a plain table of stored values", "其中的 ledger 不是存储值的普通表"),
    ("hash_computed", f"CREATE TABLE e2 (id INTEGER PRIMARY KEY, project_id, project_code, seq, kind, \"trigger\", "
                      "from_stage, to_stage, effective_on, recorded_at, actor, reason, payload, prev_hash, stored, "
                      "hash TEXT GENERATED ALWAYS AS (stored) VIRTUAL); "
                      f"INSERT INTO e2 SELECT {_EVENT_COLUMNS_SQL}, hash FROM event; "
                      "DROP TABLE event; ALTER TABLE e2 RENAME TO event;",
     "its event table's column(s) hash are computed, not stored", "其中的 event 表的列 hash 是计算列"),
]


def test_a_bundle_table_of_values_not_stored_is_not_a_bundle(cli, made):
    """A format table that is a view, or a format column that is computed, could give other rows each
    time the file is read: refused as not a county bundle (exit 2) naming the table, in both languages,
    before any row is read; nothing kept."""
    _city(cli, made)
    for name, script, words, zh_words in NOT_STORED:
        path = _broken(made, name, script)
        res = cli.admin("city", "load", path)
        assert res.code == 2 and f"not a county bundle ({words})" in res.err, (name, res.err)
        zh = cli.admin("city", "load", path, lang="zh")
        assert zh.code == 2 and zh_words in zh.err, (name, zh.err)
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


def test_a_file_sqlite_cannot_read_is_refused_in_the_runs_language(cli, made, tmp_path):
    """Bytes that are no SQLite database, and a bundle cut short: SQLite's own English is not left
    inside a Chinese refusal."""
    _city(cli, made)
    junk = tmp_path / "junk.bundle"
    junk.write_bytes(b"not a database at all " * 500)
    cut = tmp_path / "cut.bundle"
    cut.write_bytes(Path(_file(made, "first")).read_bytes()[:60_000])
    for path, en, zh in ((junk, "the file is not an SQLite database", "该文件不是 SQLite 数据库"),
                         (cut, "the SQLite database in it is damaged", "其中的 SQLite 数据库已损坏")):
        res = cli.admin("city", "load", str(path))
        assert res.code == 2 and f"not a county bundle ({en})" in res.err, res.err
        res = cli.admin("city", "load", str(path), lang="zh")
        assert res.code == 2 and zh in res.err and not re.search("[a-z]{4}", res.err.split("（", 1)[1]), res.err


def test_the_counts_a_refusal_gives_are_words_and_numbers_and_json_objects(cli, made):
    """Signed counts that are not the bundle's: each count by its words in the run's language (no
    Python dict), and the counts as JSON objects in --json."""
    _city(cli, made)
    counts = made["first"]["counts"]
    path = _forge(made, "first", "counts_one_more", doc=lambda d: d["counts"].update(events=d["counts"]["events"] + 1))
    res = cli.admin("city", "load", path)
    assert res.code == 7, res.err
    signed = f"events {counts['events'] + 1:,}, projects {counts['projects']}, ledger entries {counts['ledger']}"
    found = f"events {counts['events']:,}, projects {counts['projects']}, ledger entries {counts['ledger']}"
    assert f"the signed counts ({signed}) are not the bundle's ({found})" in res.err, res.err
    zh = cli.admin("city", "load", path, lang="zh")
    said = f"签名的计数（事件 {counts['events'] + 1:,} 条、项目 {counts['projects']} 个、"
    assert zh.code == 7 and said in zh.err, zh.err
    assert "{" not in zh.err and "events" not in zh.err and "ledger" not in zh.err, zh.err
    fields = cli.admin("city", "load", path, json=True).json["error"]["fields"]["text"]["fields"]
    assert fields == {"counts": {**counts, "events": counts["events"] + 1}, "found": counts}
    extra = _forge(made, "first", "counts_other", doc=lambda d: d["counts"].update(extra="x"))
    res = cli.admin("city", "load", extra)
    assert res.code == 7 and f"ledger entries {counts['ledger']}, extra 'x')" in res.err, res.err


def test_a_payload_its_kind_cannot_read_is_said_in_chinese(cli, made):
    """A payload that is not JSON, and one without a member its kind needs: the refusal says so in
    the run's language, with no Python exception's name or English words."""
    _city(cli, made)
    for name, said in (("payload_not_json", "事件内容不是 JSON（第 1 行第 1 列）"),
                       ("payload_lacks_member", "事件内容缺少 'plan'")):
        script = next(m[1] for m in MALFORMED if m[0] == name)
        res = cli.admin("city", "load", _forge(made, "first", name, script), lang="zh")
        assert res.code == 7 and said in res.err, (name, res.err)
        assert "Error" not in res.err and "Expecting" not in res.err, (name, res.err)


def test_a_huge_reason_is_quoted_short_in_json_too(cli, made):
    """A reason of a megabyte that no command records: the refusal quotes 80 characters of it, in
    its message and in the problems --json lists."""
    _city(cli, made)
    script = next(m[1] for m in MALFORMED if m[0] == "huge_reason")
    res = cli.admin("city", "load", _forge(made, "first", "huge_reason", script), json=True)
    said = res.out + res.err
    assert res.code == 7 and len(said) < 5000, len(said)
    assert "x" * 79 + "…" in said and "x" * 81 not in said


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes")
def test_a_key_file_that_is_a_named_pipe_is_refused_at_once(tmp_path):
    """``keys show`` and ``keys init`` (with --force or without) given a named pipe: refused at once
    as not a file (exit 2), never waiting for a writer."""
    from tests.conftest import run_pipeline

    fifo = tmp_path / "key.pem"
    os.mkfifo(fifo)
    for args in (["keys", "show"], ["keys", "init"], ["keys", "init", "--force"]):
        res = run_pipeline([*args, "--key-file", str(fifo)], db=str(tmp_path / "none.db"), timeout=60)
        assert res.returncode == 2 and "is not a file" in res.stderr, (args, res.stderr)
    assert fifo.exists() and not fifo.is_file()


# --- newer bundles ----------------------------------------------------------------------------------------------


def _as_county(cli, made: dict, code: str) -> str:
    """The first bundle's history as county ``code`` (a copy of the county named so in its set-up
    ledger), signed with that county's own key, which the city trusts (a key is trusted for one
    county): another county for a load."""
    key = made["dir"] / f"{code.lower()}.pem"
    out = made["dir"] / "forged" / f"as_{code}.bundle"
    if not key.exists():
        out.parent.mkdir(exist_ok=True)
        db = str(made["dir"] / f"as_{code}.db")
        shutil.copy(made["db"], db)
        assert invoke(["county", "set", "--code", code, "--name", code.lower()], db=db).code == 0
        assert invoke(["keys", "init", "--key-file", str(key)]).code == 0
        _export(db, str(key), out)
    public = invoke(["keys", "show", "--key-file", str(key), "--json"]).json["public_key"]
    cli.admin("city", "trust", "add", code, "--key", public, "--reason", "r", ok=True)
    return str(out)


def _other_county(cli, made: dict) -> str:
    """The first bundle signed as county KX: a second county for a load."""
    return _as_county(cli, made, "KX")


def _held_event(made: dict, eid: int, source: str = "first") -> str:
    """``P-0003 #4``: the event ``eid`` of the bundle ``source`` as a refusal names it."""
    db = sqlite3.connect(_file(made, source))
    try:
        code, seq = db.execute("SELECT project_code, seq FROM event WHERE id = ?", (eid,)).fetchone()
    finally:
        db.close()
    return f"{code} #{seq}"


def _first_event_of(made: dict, project_id: int) -> int:
    db = sqlite3.connect(_file(made, "first"))
    try:
        return db.execute("SELECT min(id) FROM event WHERE project_id = ?", (project_id,)).fetchone()[0]
    finally:
        db.close()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_newer_bundle_that_does_not_extend_what_the_city_holds_is_refused_naming_the_event(cli, made, workers):
    """Newer bundles signed by the county itself: one that drops the last held event, one with an
    event put in the middle (the later ids shifted), one that moves two projects' events to each
    other's project ids (ids are not hashed, the chains stay whole).  Each is refused, in the loading
    process or in a worker (a first bundle of another county after it), naming the held event that
    differs; nothing of it, nor of the bundle after it, is kept."""
    _city(cli, made)
    cli.admin("city", "load", _file(made, "first"), ok=True)
    held = made["first"]["counts"]["events"]
    kept = _kept(cli.url_for(ADMIN))
    middle = held // 2
    cases = [
        ("drops_last_held", f"DELETE FROM event WHERE id = {held};", held),
        ("inserts_in_the_middle", f"UPDATE event SET id = id + 1000 WHERE id >= {middle}; "
                                  f"UPDATE event SET id = id - 999 WHERE id >= 1000; "
                                  f"INSERT INTO event SELECT {middle}, project_id, project_code, seq + 100, kind, "
                                  f"\"trigger\", from_stage, to_stage, effective_on, recorded_at, actor, reason, "
                                  f"payload, hash, hash FROM event WHERE id = {held + 1};", middle),
        ("swaps_project_ids", "UPDATE event SET project_id = CASE project_id WHEN 1 THEN 2 WHEN 2 THEN 1 "
                              "ELSE project_id END;", min(_first_event_of(made, 1), _first_event_of(made, 2))),
    ]
    other = _other_county(cli, made)
    for name, script, eid in cases:
        path = _forge(made, "newer", name, script)
        res = cli.admin("city", "load", path, other, "--workers", workers)
        assert res.code == 7, (name, res.out, res.err)
        assert "county JX" in res.err and "nothing was kept" in res.err, (name, res.err)
        assert f"first bad event {_held_event(made, eid)} " in res.err, (name, eid, res.err)
        assert _kept(cli.url_for(ADMIN)) == kept, name


def test_a_newer_bundle_dated_back_or_with_a_changed_directory_is_kept_as_alone(cli, made, tmp_path):
    """A newer bundle whose as-of date goes back a month, then one whose directory changed (a unit
    added): each is kept, every month computed again, and the city then holds what a city that loads
    that bundle alone holds, with the county's own figures."""
    _city(cli, made)
    cli.admin("city", "load", _file(made, "first"), ok=True)
    for name, db in (("back", made["newer_db"]), ("directory", made["dir_db"])):
        res = cli.admin("city", "load", _file(made, name), json=True)
        assert res.code == 0, (name, res.err)
        loaded = res.json["loaded"][0]
        assert loaded["as_of"] == made[name]["as_of"] and loaded["events"] == made[name]["counts"]["events"]
        assert loaded["projects_replayed"] == loaded["projects"] == 12, name  # the copy is not used
        alone = _alone(made, tmp_path, _file(made, name))
        assert loaded["months_computed"] == len(alone["figure"]), name  # every month, none kept from before
        _same(_kept(cli.url_for(ADMIN)), alone)
        _agrees_with_county(cli, db, made[name]["as_of"])


def test_the_same_newer_bundle_twice_and_an_older_one_after_it_in_one_command(cli, made, tmp_path):
    """``city load first newer newer --workers 2``: the second copy adds nothing; then ``newer first``:
    the older is refused naming the first event it lacks, the newer (already held) adds nothing.
    The city holds what a load of the newer bundle alone holds."""
    _city(cli, made)
    res = cli.admin("city", "load", _file(made, "first"), _file(made, "newer"), _file(made, "newer"),
                    "--workers", "2", json=True)
    assert res.code == 0, res.err
    assert [d["new_events"] for d in res.json["loaded"]] == [made["first"]["counts"]["events"], 2, 0]
    want = _alone(made, tmp_path, _file(made, "newer"))
    _same(_kept(cli.url_for(ADMIN)), want)
    res = cli.admin("city", "load", _file(made, "newer"), _file(made, "first"), "--workers", "2")
    assert res.code == 7 and "county JX" in res.err and "is missing from the bundle" in res.err, res.err
    held = made["first"]["counts"]["events"]
    assert f"first bad event {_held_event(made, held + 1, 'newer')} " in res.err, res.err
    zh = cli.admin("city", "load", _file(made, "first"), lang="zh")  # in Chinese, every word of it
    assert zh.code == 7 and "在数据包中缺失" in zh.err and "missing" not in zh.err, zh.err
    _same(_kept(cli.url_for(ADMIN)), want)
    _agrees_with_county(cli, made["newer_db"], made["newer"]["as_of"])


@pytest.mark.sqlite_only
@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_newer_bundle_without_the_citys_replayed_copy_is_replayed_whole(cli, made, tmp_path, workers):
    """The city's copy of the county is gone (its row deleted in the file): the newer bundle is
    replayed whole, in the loading process or in a worker, and the city ends as with the copy."""
    _city(cli, made)
    cli.admin("city", "load", _file(made, "first"), ok=True)
    db = sqlite3.connect(cli.url_for(ADMIN).removeprefix("sqlite:///"))
    db.execute("DELETE FROM city_replica")
    db.commit()
    db.close()
    other = _other_county(cli, made)
    res = cli.admin("city", "load", _file(made, "newer"), other, "--workers", workers, json=True)
    assert res.code == 0, res.err
    loaded = res.json["loaded"][0]
    assert loaded["new_events"] == 2 and loaded["projects_replayed"] == loaded["projects"] == 12
    held = _kept(cli.url_for(ADMIN))
    assert held["replicas"] == 2 and held["loads"] == 3
    want = _alone(made, tmp_path, _file(made, "newer"))
    assert [r for r in held["event"] if r[0] == "JX"] == want["event"]
    assert [r for r in held["figure"] if r[0] == "JX"] == want["figure"]
    _agrees_with_county(cli, made["newer_db"], made["newer"]["as_of"])


# --- the worker path ----------------------------------------------------------------------------------------------


def test_ctrl_c_during_a_load_of_many_bundles_keeps_whole_bundles_only(cli, made, tmp_path):
    """Ctrl-C (SIGINT to the whole process group, as a terminal sends it) once the first of twelve
    bundles is kept, with two worker processes: exit 130, no traceback from the loading process or a
    worker, no temporary folder left, and the city holds a prefix of the bundles, each whole (its
    events, projects, replayed copy and ledger entry)."""
    codes = [f"K{i:02d}" for i in range(12)]  # in the order the city lists them
    files = []
    for code in codes:
        files.append(_as_county(cli, made, code))
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**os.environ, "PIPELINE_DB": cli.url_for(ADMIN), "PIPELINE_USER": ADMIN, "PIPELINE_LANG": "en",
           "TMPDIR": str(scratch)}
    # the load at the lowest priority: on a busy machine this test still wakes up and interrupts it
    # before it is done (the whole load of small bundles takes a moment)
    proc = subprocess.Popen([pipeline_exe(), "city", "load", *files, "--workers", "2"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=lambda: os.nice(19))
    try:
        first = proc.stderr.readline()
        os.killpg(proc.pid, signal.SIGINT)
        _out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "county K00" in first, first
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err)
    assert proc.returncode != 130 or err.rstrip().endswith("interrupted"), err  # said, once it was handled
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert list(scratch.iterdir()) == []
    held = _kept(cli.url_for(ADMIN))
    loaded = [r[0] for r in held["county"]]
    assert 1 <= len(loaded) < len(codes) and loaded == codes[:len(loaded)], loaded
    events = made["first"]["counts"]["events"]
    assert len(held["event"]) == events * len(loaded) and len(held["project"]) == 12 * len(loaded)
    assert held["replicas"] == held["loads"] == len(loaded)


def _swapping(monkeypatch, swaps: dict[str, str]) -> None:
    """Replace files (``swaps``: path -> the file to put there) once the load has read a file's head and
    chosen it for a worker, before the worker reads it."""
    from workflow import city

    real = city._for_workers

    def then_swap(engine, actor, paths):
        for chosen in real(engine, actor, paths):
            if paths[chosen[0]] in swaps:
                shutil.copy(swaps[paths[chosen[0]]], paths[chosen[0]])
            yield chosen

    monkeypatch.setattr(city, "_for_workers", then_swap)


@pytest.mark.parametrize("swapped_in", ["newer", "older"])
def test_a_file_replaced_after_its_head_was_read_is_loaded_as_what_it_is(cli, made, tmp_path, monkeypatch,
                                                                          swapped_in):
    """The load read a file's head as a first bundle of a new county (KX) and hands it to a worker;
    meanwhile the file became JX's newer bundle (or JX's first, older than what the city holds).  The
    worker checks what it reads: JX's newer bundle is kept as a load of it alone keeps it, JX's older
    one is refused naming the first event it lacks, never kept as a first load."""
    from workflow import city
    from workflow.db import make_engine

    _city(cli, made)
    cli.admin("city", "load", _file(made, "first" if swapped_in == "newer" else "newer"), ok=True)
    kx = _other_county(cli, made)
    path = str(tmp_path / "incoming.bundle")
    shutil.copy(kx, path)
    third = _as_county(cli, made, "LX")
    _swapping(monkeypatch, {path: _file(made, "newer" if swapped_in == "newer" else "first")})
    before = _kept(cli.url_for(ADMIN))
    engine = make_engine(cli.url_for(ADMIN))
    try:
        if swapped_in == "newer":
            done = city.load_many(engine, ADMIN, [path, third], workers=2)
            assert [(d["county"], d["new_events"]) for d in done] == [("JX", 2), ("LX", made["first"]["counts"]
                                                                                  ["events"])]
        else:
            from workflow.errors import IntegrityFailure

            with pytest.raises(IntegrityFailure) as caught:
                city.load_many(engine, ADMIN, [path, third], workers=2)
            assert "county JX" in caught.value.message and "is missing from the bundle" in caught.value.message
    finally:
        engine.dispose()
    held = _kept(cli.url_for(ADMIN))
    if swapped_in == "older":
        assert held == before
        return
    want = _alone(made, tmp_path, _file(made, "newer"))
    assert [r for r in held["event"] if r[0] == "JX"] == want["event"]
    assert [r for r in held["figure"] if r[0] == "JX"] == want["figure"]


# --- a county that rewrites its history whole: every hash and the digest recomputed --------------------------


def _rewrite(made: dict, source: str, name: str, change, ledger_change=None) -> str:
    """The bundle ``source`` with its events changed by ``change`` (a list of lists, ``EVENT_COLUMNS``),
    every project's chain hashed again, the digest recomputed by the checks the export runs (a random
    one where they refuse the history) and the document signed with the county's key: a bundle no
    check of its own chains can tell from a county's."""
    import hashlib

    from workflow import bundle
    from workflow.encoding import GENESIS, event_bytes
    from workflow.ledger import entry_hash

    b = bundle.read(_file(made, source))
    events = [list(e) for e in b.events]
    change(events)
    entries = [list(r) for r in b.ledger]
    if ledger_change is not None:
        ledger_change(entries)
        prev = GENESIS
        for r in entries:
            r[7] = prev
            r[8] = prev = entry_hash(*r[:8], r[9])
    b.ledger = [tuple(r) for r in entries]
    last: dict = {}
    for e in events:
        e[13] = last.get(e[1], GENESIS)
        e[14] = hashlib.sha256(event_bytes(*e[2:14])).hexdigest()
        last[e[1]] = e[14]
    doc = dict(b.signed, digest="", counts={"events": len(events), "projects": len({e[1] for e in events}),
                                            "ledger": len(b.ledger)})
    staged = bundle.Bundle(doc, "", "", "", [tuple(e) for e in events], b.ledger, b.directory)
    try:
        with bundle.checked(staged, actor=ADMIN) as result:
            doc["digest"] = result.digest
    except Exception:  # noqa: BLE001 - a history the checks refuse: any digest will do
        doc["digest"] = "ab" * 32
    path = made["dir"] / "forged" / f"{name}.bundle"
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    bundle._write_file(path, [tuple(e) for e in events], b.ledger, b.directory,
                       {"format": bundle.FORMAT, "signed": "{}", "signature": "", "public_key": ""})
    _sign(str(path), made["key"], lambda d: (d.clear(), d.update(doc)))
    return str(path)


def test_a_whole_rewritten_history_with_values_a_county_cannot_hold_is_refused(cli, made):
    """Chains and digest recomputed by the county: a project code longer than a county's (20), an
    actor longer than a login (80), a project id no 32-bit column holds.  Refused as malformed on both
    engines (a PostgreSQL city's columns could not hold them), naming the event; nothing kept."""
    _city(cli, made)
    long_code = "P-" + "9" * 30
    for name, column, value, words in (("long_code", 2, long_code, "project_code is"),
                                       ("long_actor", 10, "a" * 100, "actor is"),
                                       ("big_project_id", 1, 3_000_000_000, "project_id is 3000000000"),
                                       ("negative_project_id", 1, -(2 ** 40), "beyond the 32-bit integers")):
        def change(events, column=column, value=value):
            for e in events:
                if e[1] == 12:
                    e[column] = value

        res = cli.admin("city", "load", _rewrite(made, "first", name, change))
        assert res.code == 2, (name, res.out, res.err)
        assert "county JX" in res.err and words in res.err and len(res.err) < 600, (name, res.err)
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


def test_a_history_rewritten_to_repeat_a_seq_is_refused_naming_the_event(cli, made):
    """A project's last event given the seq of the one before it, its chain hashed again and the
    digest recomputed by the county: refused by the checks (exit 7), naming that event, not by a
    database's unique key; nothing kept."""
    _city(cli, made)

    def change(events):
        last = max(e[0] for e in events if e[1] == 12)
        for e in events:
            if e[0] == last:
                e[3] -= 1

    res = cli.admin("city", "load", _rewrite(made, "first", "seq_repeated_rehashed", change))
    assert res.code == 7, (res.out, res.err)
    assert "county JX" in res.err and "first bad event P-0012 #10" in res.err, res.err
    assert "internal error" not in res.err and "Traceback" not in res.err
    assert _kept(cli.url_for(ADMIN)) == _EMPTY


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_newer_history_rewritten_whole_is_refused_naming_the_first_held_event_that_differs(cli, made, workers):
    """A newer bundle whose chains and digest the county recomputed after changing a held event (its
    effective date a day earlier), or after putting a new event before held ones of a project (their
    seqs shifted): each passes every check of its own, and is refused for not extending what the city
    holds, naming the first held event that differs, nothing kept; a first bundle of another county
    after it is not kept either."""
    _city(cli, made)
    cli.admin("city", "load", _file(made, "first"), ok=True)
    kept = _kept(cli.url_for(ADMIN))
    other = _other_county(cli, made)
    held = made["first"]["counts"]["events"]
    db = sqlite3.connect(_file(made, "first"))
    target = db.execute("SELECT id FROM event WHERE kind = 'followup' ORDER BY id LIMIT 1 OFFSET 3").fetchone()[0]
    pid, seq = db.execute("SELECT project_id, seq FROM event WHERE id = ?", (target,)).fetchone()
    db.close()

    def earlier(events):
        e = events[target - 1]
        e[8] = (date.fromisoformat(e[8]) - timedelta(days=1)).isoformat()

    def shifted(events):  # the newer bundle's first new event put before the held one, ids and seqs shifted
        new = events.pop(held)
        at = events[target - 1]
        for e in events:
            if e[0] >= target:
                e[0] += 1
            if e[1] == pid and e[3] >= seq:
                e[3] += 1
        new[:4] = [target, pid, at[2], seq]
        new[8:10] = at[8:10]
        events.insert(target - 1, new)

    from workflow import bundle

    for name, change in (("earlier", earlier), ("shifted", shifted)):
        path = _rewrite(made, "newer", name, change)
        with bundle.checked(bundle.read(path), actor=ADMIN) as result:  # a history whole in itself
            assert result.digest == bundle.read(path).digest
        res = cli.admin("city", "load", path, other, "--workers", workers)
        assert res.code == 7, (name, res.out, res.err)
        assert "county JX" in res.err and "nothing was kept" in res.err, (name, res.err)
        assert f"first bad event {_held_event(made, target)} " in res.err, (name, res.err)
        assert _kept(cli.url_for(ADMIN)) == kept, name


def test_a_bundle_not_what_it_says_found_by_a_worker_stops_the_load_after_the_ones_before_it(cli, made):
    """Forged first bundles among good ones, checked by worker processes: the refusal is the one a load
    of the file alone gives (its exit code, county and row), the bundle before it is kept, the one after
    it is not."""
    _city(cli, made)
    before = _other_county(cli, made)
    after = _as_county(cli, made, "LX")
    cases = {name: (script, doc, code, words) for name, script, doc, code, words in MALFORMED}
    for k, name in enumerate(("huge_code", "code_of_another_project", "directory_time_not_one", "null_seq")):
        script, doc, code, words = cases[name]
        path = _forge(made, "first", name, script, doc)
        res = cli.admin("city", "load", before, path, after, "--workers", "2")
        assert res.code == code and words in res.err and "county JX" in res.err, (name, res.err)
        assert "Traceback" not in res.err and "internal error" not in res.err, name
        held = _kept(cli.url_for(ADMIN))
        assert [r[0] for r in held["county"]] == ["KX"] and held["loads"] == k + 1, name


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_newer_bundle_with_its_set_up_ledger_rewritten_is_refused(cli, made, workers, tmp_path):
    """A newer bundle whose set-up ledger the county rewrote (an entry's reason changed, the ledger's
    chain and the digest recomputed): its events extend the city's, its own checks hold, and it is
    refused all the same: the history up to what the city holds no longer gives the held digest."""
    from workflow import bundle

    _city(cli, made)
    cli.admin("city", "load", _file(made, "first"), ok=True)
    kept = _kept(cli.url_for(ADMIN))
    other = _other_county(cli, made)

    def reason(entries):
        entries[2][4] = "backdated"

    path = _rewrite(made, "newer", "ledger_rewritten", lambda events: None, reason)
    with bundle.checked(bundle.read(path), actor=ADMIN) as result:  # a history whole in itself
        assert result.digest == bundle.read(path).digest
    res = cli.admin("city", "load", path, other, "--workers", workers)
    assert res.code == 7, (res.out, res.err)
    assert "county JX" in res.err and "nothing was kept" in res.err and "held digest" in res.err, res.err
    assert _kept(cli.url_for(ADMIN)) == kept
    # the county's own newer bundle is kept: a set-up change after the held export (its ledger entry
    # placed after the held events, before the new ones), then a follow-up
    db = str(tmp_path / "county.db")
    shutil.copy(made["db"], db)
    assert invoke(["units", "add", "QY", "--name", "青阳镇"], db=db).code == 0
    assert invoke(["followup", "add", "P-0001", "called the investor"], db=db).code == 0
    newer = _export(db, made["key"], tmp_path / "newer.bundle")
    res = cli.admin("city", "load", str(tmp_path / "newer.bundle"), other, "--workers", workers, json=True)
    assert res.code == 0, res.err
    assert res.json["loaded"][0]["new_events"] == 1 and res.json["loaded"][0]["digest"] == newer["digest"]
    _agrees_with_county(cli, db, newer["as_of"])


# --- the column-wise check of a bundle's rows against the rows one by one --------------------------

_GOOD_EVENT = (1, 7, "P-0007", 1, "transition", "submit", "lead", "screening", "2026-01-31",
               "2026-02-01T08:30:00.123456Z", "张三", None, '{"a":1}', "0" * 64, "f" * 64)
# values a column of each kind must refuse, and how (the first check of ``_first_malformed`` they fail)
_BAD_INT = [(None, "bundle_value_wrong_type"), ("7", "bundle_value_wrong_type"), (1.5, "bundle_value_wrong_type"),
            (b"\x07", "bundle_value_wrong_type"), (True, "bundle_value_wrong_type")]
_BAD_TEXT = [(None, "bundle_value_wrong_type"), ("", "bundle_value_wrong_type"), (5, "bundle_value_wrong_type"),
             (b"x", "bundle_value_wrong_type"), (2.5, "bundle_value_wrong_type")]
_BAD_DAY = [("2026-13-45", "bundle_value_not_in_form"), ("2023-02-29", "bundle_value_not_in_form"),
            ("20260131", "bundle_value_not_in_form"), ("٢٠٢٦-٠١-٣١", "bundle_value_not_in_form"),
            ("0000-01-01", "bundle_value_not_in_form"), ("2026-1-31", "bundle_value_not_in_form")]
_BAD_TIME = [("2026-02-01T24:00:00.000000Z", "bundle_value_not_in_form"),
             ("2026-02-01 08:30:00.123456", "bundle_value_not_in_form"),
             ("2023-02-29T08:30:00.123456Z", "bundle_value_not_in_form"),
             ("2026-02-01T08:30:00Z", "bundle_value_not_in_form"),
             ("2026-02-01T08:30:00.123456Z\x00", "bundle_value_not_in_form"),
             ("2026-02-01T0\u0668:30:00.123456Z", "bundle_value_not_in_form")]  # an Arabic-Indic 8


def _bad_values(kind: tuple) -> list[tuple[object, str]]:
    """The refused values of a column of ``kind`` (``_column_kinds``) with the problem each is."""
    _name, typ, nullable, parse, longest = kind
    pool = [(v, why) for v, why in (_BAD_INT if typ is int else _BAD_TEXT) if not (v is None and nullable)]
    if nullable and typ is str:
        pool = [(v, why) for v, why in pool if v != ""]  # a nullable text may be empty
    if typ is int:
        pool += [(longest + 1, "bundle_value_beyond_integers"), (-longest - 2, "bundle_value_beyond_integers")]
    elif longest is not None:
        pool.append(("x" * (longest + 1), "bundle_value_too_long"))
    if parse is not None:
        pool += _BAD_DAY if parse.__name__ == "_wrong_days" else _BAD_TIME
    return pool


def test_the_column_wise_check_names_the_row_and_problem_the_rows_one_by_one_would():
    """``_first_malformed`` checks a column at a time (all its types, then its lengths, then its
    forms); with bad values in some columns of some rows, it names the first row, one by one, holding
    one, and that row's first bad column in the table's order, with the problem of the value: every
    refused value of every column, alone and two at a time (in any rows), and repeated ids."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from workflow import bundle as B

    kinds = B._column_kinds(B.CE, B.EVENT_COLUMNS)
    cells = [(j, v, why) for j, k in enumerate(kinds) for v, why in _bad_values(k)]

    def rows_of(n: int) -> list[list]:
        return [[i + 1 if j == 0 else v for j, v in enumerate(_GOOD_EVENT)] for i in range(n)]

    def check(n: int, placed: list[tuple[int, int, object, str]]) -> None:
        rows = rows_of(n)
        for i, j, v, _why in placed:
            rows[i][j] = v
        found = B._first_malformed([tuple(r) for r in rows], kinds)
        i, j, v, why = min(placed, key=lambda p: (p[0], p[1]))  # the rows one by one, each column in order
        assert found is not None and found[0] == i, (placed, found)
        assert found[1].code == why and found[1].fields["column"] == kinds[j][0], (placed, found)

    assert B._first_malformed([tuple(r) for r in rows_of(5)], kinds) is None
    for j, v, why in cells:  # each refused value alone, in the first, a middle and the last row
        for i in (0, 2, 4):
            check(5, [(i, j, v, why)])

    @settings(max_examples=300, deadline=None)
    @given(st.integers(2, 8), st.data())
    def two(n, data):  # two refused values in two columns, anywhere
        a, b = data.draw(st.lists(st.sampled_from(cells), min_size=2, max_size=2, unique_by=lambda c: c[0]))
        ia, ib = data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, n - 1))
        check(n, [(ia, *a), (ib, *b)])

    two()
    rows = [tuple(r) for r in rows_of(6)]
    rows[3] = (3, *rows[3][1:])  # ids 1, 2, 3, 3, 5, 6: the fourth row's id is repeated
    found = B._first_malformed(rows, kinds)
    assert found is not None and found[0] == 3 and found[1].code == "bundle_value_repeated"


def test_an_impossible_day_is_named_though_a_later_time_of_that_day_is_malformed():
    """A recorded time of the right form on a day that does not exist is the first bad row, though a
    later row's time is of the wrong form and begins with the same day (that day was once left
    unchecked, and the later row named)."""
    from workflow import bundle as B

    kinds = B._column_kinds(B.CE, B.EVENT_COLUMNS)
    rows = [[i + 1 if j == 0 else v for j, v in enumerate(_GOOD_EVENT)] for i in range(4)]
    rows[1][9] = "2023-02-29T08:30:00.123456Z"
    rows[3][9] = "2023-02-29T08:30:00Z"
    found = B._first_malformed([tuple(r) for r in rows], kinds)
    assert found is not None and found[0] == 1 and found[1].code == "bundle_value_not_in_form"
