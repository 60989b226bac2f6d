"""The seed's city (``pipeline demo --scenario city [--as-of D] [--dir DIR]``): five counties of the
seed speech's city, each built in its own database with its own history, identity and signing key,
exported as a signed bundle and loaded into the city database, so that ``pipeline city report ranking
--period 2025`` says what the speech says (docs/city.md):

- 嫩江: 13亿元 of capital in place in 2025;
- 北安 and 五大连池: over 7亿元 each;
- 爱辉: up 2亿元 on 2024;
- this county (the seed county, ``workflow.seed``): 3.4亿元, up 30.7%.

Each figure is the sum of the county's own capital entries, written by the engine's batch path like
the seed county's; the city computes it from the bundle's history on load.  Deterministic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from workflow import bundle, city, clock, county, office
from workflow import db as dbm
from workflow import demo as wdemo
from workflow import seed as wseed
from workflow.db import default_db_path
from workflow.errors import BadInput, os_reason
from workflow.rules import Conditions, add_rule
from workflow.seed import INDUSTRIES, WAN, SeedProject, _split, _walk_to_signed, followup_days, write
from workflow.service import Service

DEMO_FOLDER = "demo-city"  # under the user data directory, next to the default database


@dataclass(frozen=True)
class Profile:
    """A county of the city: its code, name, and (but for the seed county) the projects it signs and
    the capital in place (万元) per year over 2022..2025."""

    code: str
    name: str
    signed: tuple[int, int, int, int] = (0, 0, 0, 0)
    capital_wan: tuple[int, int, int, int] = (0, 0, 0, 0)


SEED_COUNTY = Profile("XK", "逊克县")  # the county of 翠宏山 and 东安, where the seed speech was given
COUNTIES: tuple[Profile, ...] = (
    SEED_COUNTY,
    Profile("NJ", "嫩江市", (6, 7, 8, 9), (81_000, 94_000, 106_000, 130_000)),  # 13亿 in 2025
    Profile("BA", "北安市", (4, 5, 5, 6), (52_000, 60_000, 65_000, 73_000)),  # over 7亿
    Profile("WD", "五大连池市", (4, 4, 5, 6), (48_000, 55_000, 64_000, 71_500)),  # over 7亿
    Profile("AH", "爱辉区", (3, 4, 4, 5), (31_000, 36_000, 42_000, 62_000)),  # up 2亿 on 2024
)
YEARS = (2022, 2023, 2024, 2025)
CITY_ISSUER = "黑河市商务局"  # the city's documents: issuer, mark (…文件) and printer (docs/city.md)


def default_folder() -> Path:
    return default_db_path().parent / DEMO_FOLDER


def _projects(p: Profile, as_of: date) -> list[SeedProject]:
    """The county's projects, each signed in its year; capital in place shared each March by the
    projects signed by then, and investment completed (three quarters of it) each September.  In 2026,
    this year: one project more than in 2025 registered and signed, one a month from January; 30 per
    cent of 2025's capital each quarter, shared by the projects signed by then, three quarters of it
    completed as investment ten days later; and follow-ups twice a month.  All is written as of
    ``as_of``: a step after it is not there, nor a project registered after it.  Each project's total
    investment is half again what it receives."""
    doc_no: dict[tuple[str, int], int] = {}

    def doc(proj: SeedProject, kind: str, on: date) -> None:
        n = doc_no[(kind, on.year)] = doc_no.get((kind, on.year), 0) + 1
        proj.steps.append((on, "document", {"kind": kind, "number": f"{p.code}{kind}〔{on.year}〕{n}号"}))

    out: list[SeedProject] = []
    for year, n in zip(YEARS, p.signed, strict=True):
        for _ in range(n):
            i = len(out)
            industry, unit = INDUSTRIES[i % len(INDUSTRIES)]
            short = p.name[:-1]
            proj = SeedProject(f"{short}{industry}项目{i + 1:02d}", f"{short}{industry}投资有限公司{i + 1:02d}",
                               "哈尔滨", industry, unit, 0, date(year, 1, 5), year)
            _walk_to_signed(proj, doc, year, 1)
            out.append(proj)
    for year, wan in zip(YEARS, p.capital_wan, strict=True):
        by_then = [q for q in out if q.signed_in is not None and q.signed_in <= year]
        for q, minor in zip(by_then, _split(wan * WAN, len(by_then)), strict=True):
            q.steps.append((date(year, 3, 1), "capital", {"amount_minor": minor, "currency": "CNY",
                                                          "source": "企业自筹"}))
        for q, minor in zip(by_then, _split(wan * WAN * 3 // 4, len(by_then)), strict=True):
            q.steps.append((date(year, 9, 1), "investment", {"amount_minor": minor, "currency": "CNY"}))
    for k in range(p.signed[-1] + 1):  # this year's projects, one a month
        i, month = len(out), 1 + k % 12
        industry, unit = INDUSTRIES[i % len(INDUSTRIES)]
        short = p.name[:-1]
        proj = SeedProject(f"{short}{industry}项目{i + 1:02d}", f"{short}{industry}投资有限公司{i + 1:02d}",
                           "哈尔滨", industry, unit, 0, date(2026, month, 5), 2026)
        _walk_to_signed(proj, doc, 2026, month)
        out.append(proj)
    for m in (3, 6, 9, 12):  # a year of 1.2 times 2025's capital, shared by the projects signed by then
        paying = [q for q in out if q.signed_in is not None and (q.signed_in, q.registered.month) < (2026, m)]
        for q, minor in zip(paying, _split(p.capital_wan[-1] * WAN * 3 // 10, len(paying)), strict=True):
            q.steps.append((date(2026, m, 10), "capital", {"amount_minor": minor, "currency": "CNY",
                                                          "source": "企业自筹"}))
        for q, minor in zip(paying, _split(p.capital_wan[-1] * WAN * 9 // 40, len(paying)), strict=True):
            q.steps.append((date(2026, m, 20), "investment", {"amount_minor": minor, "currency": "CNY"}))
    days = followup_days(YEARS[0], as_of)
    for q in out:
        q.steps.extend((on, "followup", {"note": "电话跟进投资方，了解项目进展"}) for on in days if on > q.registered)
        received = sum(a["amount_minor"] for _, act, a in q.steps if act == "capital")
        q.wan = -(-received * 3 // 2 // (100 * WAN)) * 100  # in 万, rounded up to 100万 (more than invested)
        q.steps = sorted((s for s in q.steps if s[0] <= as_of), key=lambda s: s[0])
    return [q for q in out if q.registered <= as_of]


def _build_county(engine, admin: str, p: Profile, as_of: date) -> int:
    """A generated county in an initialised, empty database; returns the events written."""
    svc = Service(engine, admin)
    wdemo._people(svc)
    projects = _projects(p, as_of)
    since = min(q.registered for q in projects)  # the rules decide every project of the story
    wdemo._rules(svc, since)
    add_rule(svc, role="lead_leader", person=wdemo.COUNTY_LEADERS[1][0], priority=50,
             conditions=Conditions.build(key=True), name="常务副县长包保其余重点项目", effective_on=since)
    return write(engine, admin, projects)


def _files(where: Path, code: str) -> list[Path]:
    db = where / f"{code}.db"
    return [db, Path(f"{db}-wal"), Path(f"{db}-shm"), where / f"{code}-signing-key.pem", where / f"{code}.bundle"]


def check_folder(folder: str | Path | None) -> Path:
    """The folder of the counties (absolute): refused (BadInput) when it is not a folder or one of the
    files the scenario writes there is not a regular file.  Changes nothing."""
    where = (Path(folder) if folder is not None else default_folder()).absolute()
    if where.exists() and not where.is_dir():
        raise BadInput("demo_city_folder_is_not", folder=where)
    for p in COUNTIES:
        for f in _files(where, p.code):
            if f.is_symlink() or (f.exists() and not f.is_file()):
                raise BadInput("demo_city_file_is_not_file", file=f)
    return where


def _fresh(path: Path) -> None:
    """Remove a database this scenario wrote before, with its WAL files (``check_folder`` has
    made sure they are regular files)."""
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if f.exists():
            f.unlink()


def build(engine, *, admin: str, folder: str | Path | None = None, as_of: date | None = None,
          say: Callable[[Path], None] | None = None) -> dict:
    """Build the five counties under ``folder`` (default: ``default_folder()``), each as
    ``CODE.db`` with ``CODE-signing-key.pem`` and ``CODE.bundle`` (rebuilt when there), and load
    their bundles into the initialised city database ``engine`` where ``admin`` is admin.  ``say``
    is told the folder before any county is built."""
    as_of = wseed.check_as_of(as_of)
    where = check_folder(folder)
    try:
        where.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput("demo_city_folder_cannot_create", folder=where, strerror=os_reason(exc)) from None
    if say is not None:
        say(where)
    today = clock.today()
    wdemo._mark(engine, {"scenario": "city", "status": "building", "built_on": today.isoformat()})
    counties = []
    for p in COUNTIES:
        path = where / f"{p.code}.db"
        key_file, bundle_file = where / f"{p.code}-signing-key.pem", where / f"{p.code}.bundle"
        _fresh(path)
        ceng = dbm.make_engine(f"sqlite:///{path}")
        try:
            dbm.upgrade(ceng)
            Service(ceng, admin).bootstrap_admin(admin)
            if p is SEED_COUNTY:
                events = wseed.build(ceng, admin=admin, as_of=as_of)["events_written"]
            else:
                events = _build_county(ceng, admin, p, as_of)
            county.set_identity(ceng, admin, p.code, p.name, reason="示范：市级场景")
            key = county.init_key(key_file, force=True)
            bundle.export(ceng, bundle_file, actor=admin, as_of=as_of, key_file=key_file, force=True)
        finally:
            ceng.dispose()
        city.trust_add(engine, admin, p.code, key["public_key"], "示范：市级场景，密钥随数据包交付")
        loaded = city.load(engine, admin, bundle_file)
        counties.append({"county": p.code, "name": p.name, "database": str(path), "key_file": str(key_file),
                         "bundle": str(bundle_file), "events_written": events, "events": loaded["events"],
                         "digest": loaded["digest"]})
    office.set_settings(engine, admin, {"issuer": CITY_ISSUER}, reason="示范：市级场景")
    wdemo._mark(engine, {"scenario": "city", "status": "done", "built_on": today.isoformat()})
    return {"scenario": "city", "as_of": as_of.isoformat(), "folder": str(where), "counties": counties}
