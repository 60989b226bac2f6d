"""Closed periods (关账): frozen reports, late entries (补录), adjustments, diff, reopen and close again."""

from __future__ import annotations

from datetime import date

import pytest

from tests.stages import service_to_signed, to_signed
from workflow.errors import Refused

Y = date.today().year - 1
PERIOD = f"{Y}-Q1"
IN = f"{Y}-02-10"
IN2 = f"{Y}-03-15"
OPEN = f"{Y + 1}"  # the current year: open


def signed_project(cli, name="翠宏山铁多金属矿") -> str:
    code = cli("project", "add", "--name", name, "--investor", "翠宏山矿业", "--industry", "mining",
               "--investment", "5600万", "--unit", "XH", "--on", f"{Y - 1}-12-01", json=True, ok=True).json["code"]
    to_signed(cli, code)
    cli("capital", "add", code, "100万", ok=True)  # today: fires `fund`
    return code


def prints(cli, tmp_path, tag: str) -> dict:
    out = {}
    for kind in ("bulletin", "dispatch", "review", "evaluation"):
        args = ("report", kind, "--period", PERIOD)
        if kind == "evaluation":
            args = ("report", kind, "--period", str(Y))
        out[(kind, "json")] = cli(*args, json=True, ok=True).out
        for fmt in ("csv", "md"):
            out[(kind, fmt)] = cli(*args, "--format", fmt, ok=True).out
        out[(kind, "table")] = cli(*args, ok=True).out
        out[(kind, "zh")] = cli(*args, "--format", "md", lang="zh", ok=True).out
        path = tmp_path / f"{kind}-{tag}.xlsx"
        cli(*args, "--format", "xlsx", "--output", str(path), ok=True)
        from openpyxl import load_workbook

        wb = load_workbook(path)
        out[(kind, "xlsx")] = [[[c.value for c in row] for row in ws.iter_rows()] for ws in wb.worksheets]
    return out


def test_close_freezes_every_format_and_late_entries_need_a_reason(cli, tmp_path):
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    assert cli("report", "close", "--period", PERIOD, json=True).code == 6  # admin only
    doc = cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", json=True, ok=True).json
    assert doc["period"] == PERIOD and "bulletin" in doc["reports"]
    cli.admin("report", "close", "--period", str(Y), ok=True)  # the year too (evaluation)
    before = prints(cli, tmp_path, "before")
    frozen = cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json
    assert frozen["closed"] is True
    # an entry dated inside is refused, naming the period
    res = cli("capital", "add", code, "300万", "--on", IN2, json=True)
    assert res.code == 3 and PERIOD in res.json["error"]["message"]
    assert cli("investment", "add", code, "300万", "--on", IN2, "--late", json=True).code == 2  # no reason
    cli("capital", "add", code, "300万", "--on", IN2, "--late", "--reason", "漏报补录", ok=True)
    cli("investment", "add", code, "200万", "--on", IN, "--late", "--reason", "补录", ok=True)
    cli("followup", "add", code, "补记走访", "--on", IN, "--late", "--reason", "补录", ok=True)
    after = prints(cli, tmp_path, "after")
    assert after == before  # byte-identical in every format (xlsx: every cell)
    last = cli("history", code, json=True).json["events"][-1]
    assert last["payload"]["late"] == {"period": PERIOD, "reason": "补录"}
    # what the late entries would have changed
    diff = cli("report", "diff", "--period", PERIOD, json=True, ok=True).json
    assert any("capital_in_place" in c["path"] for c in diff["changes"])
    # the open period's report shows them as adjustments
    live = cli("report", "bulletin", "--period", OPEN, json=True, ok=True).json
    assert {a["closed_period"] for a in live["adjustments"]} >= {PERIOD}
    assert "Adjustments to closed periods" in cli("report", "bulletin", "--period", OPEN, "--format", "md",
                                                  ok=True).out
    assert cli("report", "bulletin", "--period", PERIOD, "--as-of", IN, json=True).code == 2
    assert cli("audit", "verify", json=True, ok=True).json["ok"]


def test_closing_words_are_chinese_and_suggested_commands_run(cli):
    """Under ``--lang zh`` the close names the reports by their labels and the late entries' table its
    record kinds by theirs; the refusals suggest `report reopen --period … --reason …` and
    `report diff --period …`, commands that parse (tests/test_i18n_errors.py checks every suggestion)."""
    from tests.test_i18n_errors import _parse_suggestion

    code = signed_project(cli)
    said = cli.admin("report", "close", "--period", PERIOD, "--reason", "关账", lang="zh", ok=True).err
    assert "已关账（两月一通报、一季一调度、全年一考评、半年一观摩）" in said and "bulletin" not in said
    for lang in ("en", "zh"):
        res = cli("capital", "add", code, "300万", "--on", IN2, lang=lang)
        assert res.code == 3 and f"`pipeline report reopen --period {PERIOD} --reason TEXT`" in res.err
        res = cli("report", "bulletin", "--period", PERIOD, "--as-of", IN, lang=lang)
        assert res.code == 2 and f"`pipeline report diff --period {PERIOD}`" in res.err
    assert _parse_suggestion(f"pipeline report reopen --period {PERIOD} --reason TEXT") is None
    assert _parse_suggestion(f"pipeline report diff --period {PERIOD}") is None
    cli("capital", "add", code, "300万", "--on", IN2, "--late", "--reason", "漏报补录", ok=True)
    for fmt in ((), ("--format", "md")):
        shown = cli("report", "bulletin", "--period", OPEN, *fmt, lang="zh", ok=True).out
        late = shown[shown.index("已关账期间的补录调整"):]
        assert "资金到位" in late and "capital" not in late


def test_reopen_and_close_again(cli):
    code = signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    first = cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json
    assert cli.admin("report", "reopen", "--period", PERIOD, json=True).code == 2  # a reason is required
    assert cli("report", "reopen", "--period", PERIOD, "--reason", "x", json=True).code == 6
    cli.admin("report", "reopen", "--period", PERIOD, "--reason", "数据核查", ok=True)
    cli("capital", "add", code, "700万", "--on", IN, ok=True)  # open again: no --late needed
    live = cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json
    assert "closed" not in live and live != first
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    second = cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json
    assert second["totals"] == live["totals"] and second["closed"] is True
    assert cli("capital", "add", code, "1万", "--on", IN, json=True).code == 3
    kinds = [e["kind"] for e in cli("audit", "ledger", json=True, ok=True).json["entries"]]
    assert [k for k in kinds if k.startswith("period_")] == ["period_closed", "period_reopened", "period_closed"]
    assert cli.admin("report", "close", "--period", PERIOD, json=True).code == 3  # already closed
    assert cli.admin("report", "close", "--period", f"{Y + 1}-B6", json=True).code in (0, 3)


def test_import_obeys_closed_periods(cli, tmp_path):
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    f = tmp_path / "p.csv"
    f.write_text(f"name,investor,industry,investment,unit,registered_on\n东安金矿,东安,mining,3000万,XH,{IN}\n",
                 encoding="utf-8")
    res = cli("import", str(f), json=True)
    assert res.code == 3 and PERIOD in res.out
    assert cli("project", "list", json=True).json["projects"] == []
    cli("import", str(f), "--late", "--reason", "补录去年台账", ok=True)
    code = cli("project", "list", json=True).json["projects"][0]["code"]
    assert cli("history", code, json=True).json["events"][0]["payload"]["late"]["period"] == PERIOD


def test_python_api_late_entries(cli, service):
    from workflow import closed, closing
    from workflow.db import make_engine

    code = service.add_project(name="宾馆建设项目", investor="利源达", industry="hotel", investment_minor=1,
                               unit="XH", on=date(Y - 1, 12, 1)).project.code
    service_to_signed(service, code)
    service.add_capital(code, 100, "CNY", confirm=True)
    admin = make_engine(cli.url_for("admin"))
    closing.close(admin, "admin", PERIOD)
    admin.dispose()
    with pytest.raises(Refused, match=PERIOD):
        service.add_capital(code, 200, "CNY", on=date(Y, 2, 1), confirm=True)
    with closed.late("补录"):
        service.add_capital(code, 200, "CNY", on=date(Y, 2, 1), confirm=True)
    service.add_capital(code, 300, "CNY", on=date(Y, 4, 1), confirm=True)  # outside the closed period


def test_closed_ledger_entry_tamper_is_found(cli):
    if cli.engine_kind != "sqlite":
        pytest.skip("the append-only triggers refuse the tampering on PostgreSQL")
    import sqlite3

    cli.admin("report", "close", "--period", PERIOD, ok=True)
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP TRIGGER ledger_no_update")
        conn.execute("UPDATE ledger SET payload = replace(payload, '\"signed\":0', '\"signed\":9')")
    assert cli("audit", "verify", json=True).code == 7


# --- the property: whatever follows a close, the closed report does not change ------------------------


def _entries():
    from hypothesis import strategies as st

    return st.lists(st.tuples(st.sampled_from(["capital", "investment", "followup", "edit"]),
                              st.integers(min_value=0, max_value=300),  # days after the period starts
                              st.integers(min_value=1, max_value=10**9),
                              st.booleans()), min_size=1, max_size=6)


def test_property_closed_reports_never_change(cli, service):
    from datetime import timedelta

    from hypothesis import HealthCheck, given, settings

    from workflow import closed, closing
    from workflow.db import make_engine
    from workflow.errors import BadInput

    code = service.add_project(name="博士慧风电", investor="博士慧风电有限公司", industry="energy",
                               investment_minor=5600_0000_00, unit="XH", on=date(Y - 1, 12, 1)).project.code
    service_to_signed(service, code)
    service.add_capital(code, 100, "CNY", confirm=True)
    service.add_capital(code, 5_0000_00, "USD", on=date(Y, 2, 3))
    admin = make_engine(cli.url_for("admin"))
    closing.close(admin, "admin", PERIOD)
    admin.dispose()
    start = date(Y, 1, 1)
    end = date(Y, 3, 31)

    def frozen_all():
        return {(k, lang): closing.frozen(service.engine, k, PERIOD, lang=lang)
                for k in ("bulletin", "dispatch", "review") for lang in ("en", "zh")}

    before = frozen_all()
    counter = iter(range(10**6))

    @settings(max_examples=12 if cli.engine_kind == "sqlite" else 6, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(entries=_entries())
    def run(entries):
        for kind, offset, amount, is_late in entries:
            on = min(start + timedelta(days=offset), date.today())
            inside = start <= on <= end

            def write(kind=kind, amount=amount, on=on):
                n = next(counter)
                if kind == "capital":
                    service.add_capital(code, amount, "CNY", on=on, allow_duplicate=True, confirm=True)
                elif kind == "investment":
                    service.add_investment(code, amount, on=on, allow_duplicate=True)
                elif kind == "followup":
                    service.add_followup(code, f"跟进{n}", on=on)
                else:
                    service.edit_project(code, {"origin": f"来源{n}"}, on=on)

            if inside and not is_late:
                with pytest.raises(Refused, match=PERIOD):
                    write()
                continue
            try:
                if is_late:
                    with closed.late("补录"):
                        write()
                else:
                    write()
            except BadInput:  # e.g. an edit dated before the project's registration date rules allow
                pass
        assert frozen_all() == before

    run()


# --- checkpoints cover the set-up ledger (the frozen figures of closed periods) -----------------------


def _merged_digest(cli) -> str:
    """The digest by its definition: event hashes in id order, each ledger entry right after the event
    it was appended after (``after_event``), written out independently of ``workflow.audit``."""
    import hashlib

    from sqlalchemy import create_engine, text

    engine = create_engine(cli.url_for(None))
    with engine.connect() as conn:
        events = conn.execute(text("SELECT id, hash FROM event ORDER BY id")).all()
        ledger = conn.execute(text("SELECT after_event, hash FROM ledger WHERE after_event IS NOT NULL "
                                   "ORDER BY seq")).all()
    engine.dispose()
    items = sorted([(i, 0, n, h) for n, (i, h) in enumerate(events)]
                   + [(a, 1, n, h) for n, (a, h) in enumerate(ledger)])
    g = bytes(32)
    for *_, h in items:
        g = hashlib.sha256(g + h.encode("ascii")).digest()
    return g.hex()


def test_checkpoint_digest_folds_the_ledger_in_write_order(cli):
    signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    signed_project(cli, "第二个项目")
    cli.admin("units", "edit", "XH", "--name", "新华镇人民政府", "--reason", "更名", ok=True)
    doc = cli.admin("audit", "checkpoint", json=True, ok=True).json
    assert doc["ledger"]["seq"] >= 2
    assert doc["digest"] == _merged_digest(cli)
    entries = cli("audit", "ledger", json=True, ok=True).json["entries"]
    assert all(isinstance(e["after_event"], int) for e in entries)
    assert [e["after_event"] for e in entries] == sorted(e["after_event"] for e in entries)
    # later events and ledger entries leave the digest a prefix: it still verifies
    cli.admin("report", "reopen", "--period", PERIOD, "--reason", "补录", ok=True)
    signed_project(cli, "第三个项目")
    res = cli("audit", "verify", "--digest", doc["digest"], json=True, ok=True).json
    assert res["ok"] and res["digest"]["matched"]


def test_a_ledger_cut_back_to_before_a_close_fails_the_digest(cli):
    """Removing the newest ledger entries leaves a chain that is intact on its own (a prefix):
    only the checkpoint digest kept by the auditor shows it."""
    if cli.engine_kind != "sqlite":
        pytest.skip("the append-only triggers refuse the tampering on PostgreSQL")
    import sqlite3

    signed_project(cli)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    digest = cli.admin("audit", "checkpoint", json=True, ok=True).json["digest"]
    assert cli("audit", "verify", "--digest", digest).code == 0
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP TRIGGER ledger_no_delete")
        conn.execute("DELETE FROM ledger WHERE kind = 'period_closed'")
    res = cli("audit", "verify", "--digest", digest, json=True)
    assert res.code == 7
    doc = res.json
    assert not doc["digest"]["matched"]
    assert any(f["code"] == "ledger" and "missing" in f["problem"] for f in doc["failures"]), doc["failures"]
    # the stored checkpoint row is not needed: the digest alone fails the same way
    with sqlite3.connect(cli.db) as conn:
        conn.execute("DROP TRIGGER IF EXISTS checkpoint_no_delete")
        conn.execute("DELETE FROM checkpoint")
    res = cli("audit", "verify", "--digest", digest, json=True)
    assert res.code == 7 and not res.json["digest"]["matched"]


def _published(cli, tmp_path, tag: str) -> dict:
    """Every report of the period in every format and both languages, as text (docx: its document.xml;
    xlsx: every cell), less the marks of a closed period (``_CLOSED_MARKS``)."""
    import zipfile

    from openpyxl import load_workbook

    out: dict = {}
    for kind in ("bulletin", "dispatch", "review", "evaluation"):
        args = ("report", kind, "--period", str(Y) if kind == "evaluation" else PERIOD)
        for lang in ("en", "zh"):
            out[(kind, lang, "json")] = _unmarked(cli(*args, json=True, lang=lang, ok=True).out)
            out[(kind, lang, "table")] = _unmarked(cli(*args, lang=lang, ok=True).out)
            for fmt in ("csv", "md", "html"):
                out[(kind, lang, fmt)] = _unmarked(cli(*args, "--format", fmt, lang=lang, ok=True).out)
            book = tmp_path / f"{kind}-{lang}-{tag}.xlsx"
            cli(*args, "--format", "xlsx", "--output", str(book), lang=lang, ok=True)
            out[(kind, lang, "xlsx")] = [[[c.value for c in row] for row in ws.iter_rows()
                                          if not any(c.value in _CLOSED_MARKS for c in row)]
                                         for ws in load_workbook(book).worksheets]
            document = tmp_path / f"{kind}-{lang}-{tag}.docx"
            cli(*args, "--format", "docx", "--output", str(document), lang=lang, ok=True)
            with zipfile.ZipFile(document) as z:
                out[(kind, lang, "docx")] = _unmarked(z.read("word/document.xml").decode("utf-8"))
    return out


_CLOSED_MARKS = ("Closed", "关账")  # what a frozen report adds: the info line saying it is closed


def _unmarked(text: str) -> str:
    import re

    number = r"(征求意见稿|Draft for comments|[^<>]*〔\d{4}〕\d+号|No\. \d+ \(\d{4}\))"  # the 文号, a close's number
    text = re.sub(r'\n *"closed": true,', "", text)  # JSON: the frozen report's flag
    text = re.sub(r"( {2})?\n(Closed|关账): .*", "", text)  # md: the info line (after a line break)
    text = re.sub(rf'<p class="number">{number}</p>\n?', "", text)  # html
    return re.sub(rf"<w:p>(?:(?!</w:p>).)*?{number}(?:(?!</w:p>).)*?</w:p>", "", text)  # docx: its paragraph


def test_a_closed_report_reprints_what_it_printed_before_the_close(cli, tmp_path):
    """The layout (stage order, columns, labels) comes from the workflow definition and the catalogue,
    never from the order of a stored document's keys: after the close every format prints what it
    printed before, in both languages."""
    code = signed_project(cli)
    other = signed_project(cli, "东安金矿")
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    cli("advance", other, "withdraw", "--reason", "投资方撤资", ok=True)
    before = _published(cli, tmp_path, "before")
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    cli.admin("report", "close", "--period", str(Y), ok=True)
    after = _published(cli, tmp_path, "after")
    assert cli("report", "bulletin", "--period", PERIOD, json=True, ok=True).json["closed"] is True
    different = [k for k in before if before[k] != after[k]]
    assert different == []


def test_every_dated_entry_takes_late_where_its_refusal_says_so(cli):
    """Each command that records an entry with --on is refused in a closed period with the advice
    `--late --reason TEXT` (exit 3, nothing recorded) and takes that advice: the entry is recorded
    with the late marker (补录)."""
    import json as _json

    code = signed_project(cli)
    cli.admin("people", "add", "li", "--name", "李副县长", "--level", "county", "--title", "副县长", ok=True)
    cli.admin("report", "close", "--period", PERIOD, "--reason", "一季度通报已发布", ok=True)
    problem = None

    writes = [
        ("project", "edit", code, "--name", "翠宏山铁多金属矿二期", "--on", IN),
        ("commitment", "add", code, "--kind", "tax", "--per-year", "300万", "--from", str(Y), "--on", IN),
        ("performance", "add", code, "240万", "--year", str(Y - 1), "--kind", "tax", "--on", IN),
        ("problem", "add", code, "用地指标未落实", "--kind", "land", "--owner", "XH", "--due", IN2, "--on", IN),
    ]
    for args in writes:
        before = cli("history", code, json=True, ok=True).json
        refused = cli(*args)
        assert refused.code == 3 and "--late --reason" in refused.err, (args, refused.err)
        assert cli("history", code, json=True, ok=True).json == before
        assert cli(*args, "--late").code == 2  # --late needs its reason
        cli(*args, "--late", "--reason", "补录一季度台账", ok=True)
        last = cli("history", code, json=True, ok=True).json["events"][-1]
        assert last["payload"]["late"] == {"period": PERIOD, "reason": "补录一季度台账"}, args
        if args[0] == "problem":
            problem = str(cli("problem", "list", json=True, ok=True).json["problems"][0]["id"])
    assert problem is not None
    for args in [("problem", "update", problem, "已协调国土部门", "--on", IN2),
                 ("problem", "close", problem, "--resolution", "指标已落实", "--on", IN2)]:
        refused = cli(*args)
        assert refused.code == 3 and "--late --reason" in refused.err, (args, refused.err)
        cli(*args, "--late", "--reason", "补录", ok=True)
    # commands whose own --reason is required give it once: it is the late entry's reason too
    refused = cli.admin("reassign", code, "lead_leader", "li", "--reason", "分工调整", "--on", IN2)
    assert refused.code == 3 and "--late --reason" in refused.err
    cli.admin("reassign", code, "lead_leader", "li", "--reason", "分工调整", "--on", IN2, "--late", ok=True)
    last = cli("history", code, json=True, ok=True).json["events"][-1]
    assert last["payload"]["late"]["reason"] == "分工调整"
    assert _json.dumps(cli("report", "bulletin", "--period", OPEN, json=True, ok=True).json["adjustments"],
                       ensure_ascii=False).count(PERIOD) >= 6  # every late entry is listed among the adjustments


def test_a_closed_period_prints_its_drafted_sections_and_document_settings_as_closed(cli, tmp_path):
    """The drafted 存在问题/下步工作 and the issuer and 文号 of a closed period's documents are the ones
    the close stored: a plan, a name or a document setting changed afterwards (even the same day) does
    not change the reprint (docs/lights-and-reports.md, "Closed periods")."""
    code = signed_project(cli)
    cli("project", "edit", code, "--plan", f"commission={Y}-05-20", ok=True)
    cli.admin("report", "close", "--period", PERIOD, ok=True)

    def printed() -> dict:
        out = {lang: cli("report", "bulletin", "--period", PERIOD, lang=lang, ok=True).out for lang in ("en", "zh")}
        out["md"] = cli("report", "dispatch", "--period", PERIOD, "--format", "md", lang="zh", ok=True).out
        out["unit"] = cli("report", "bulletin", "--period", PERIOD, "--unit", "XH", lang="zh", ok=True).out
        out["html"] = cli("report", "dispatch", "--period", PERIOD, "--format", "html", lang="zh", ok=True).out
        out["html_en"] = cli("report", "dispatch", "--period", PERIOD, "--format", "html", ok=True).out
        return out

    before = printed()
    assert "下步工作（草拟）" in before["zh"] and "5月20日" in before["zh"]
    assert "翠宏山铁多金属矿计划投产" in before["zh"]
    assert "Next steps (drafted)" in before["en"] and "翠宏山铁多金属矿计划投产" in before["unit"]
    assert f"县招调〔{Y}〕1号" in before["html"]
    cli("project", "edit", code, "--plan", f"commission={Y}-06-10", "--name", "翠宏山二期", ok=True)
    cli.admin("documents", "set", "county=新华县", "issuer=新华县招商局", "--reason", "更名", ok=True)
    after = printed()
    for key in before:
        assert after[key] == before[key], key
    assert "新招调" not in after["html"] and "新华县招商局" not in after["html_en"]
    # a period still open follows the new settings and the live plan
    assert "新华县招商局" in cli("report", "dispatch", "--period", OPEN, "--format", "html", lang="zh", ok=True).out
    # report diff tells what the narrative would say now, in the run's language
    zh = cli("report", "diff", "--period", PERIOD, lang="zh", ok=True).out
    assert "下步工作（草拟） 1. 5月20日" in zh and "→ 1. 6月10日" in zh and "翠宏山二期计划投产" in zh
    en = cli("report", "diff", "--period", PERIOD, ok=True).out
    assert "Next steps (drafted) 1. " in en and "is planned to start production." in en
    doc = cli("report", "diff", "--period", PERIOD, json=True, ok=True).json
    assert {c["path"] for c in doc["changes"]} >= {"narrative.next[0]"}


def test_a_close_without_stored_narrative_or_settings_still_prints(cli, monkeypatch):
    """A close stored before the narrative and the document settings were kept prints as before: the
    sections computed as of the period's end, the settings in force on its issue date as the set-up
    ledger stood before the close (docs/lights-and-reports.md)."""
    from workflow import closing

    code = signed_project(cli)
    cli("project", "edit", code, "--plan", f"commission={Y}-05-20", ok=True)
    real = closing._store_close

    def old_style(conn, actor, period, docs, reason, narrative):
        from workflow import ledger, numbering
        from workflow.closed import CLOSED
        from workflow.encoding import canonical

        digest = closing.hashlib.sha256(canonical(docs)).hexdigest()
        entry = ledger.append(conn, actor, CLOSED, period.label,
                              {"period": period.label, "start": period.start.isoformat(),
                               "end": period.end.isoformat(), "digest": digest, "reports": docs}, reason)
        return entry, numbering.issued(conn, period.label), digest, docs

    monkeypatch.setattr(closing, "_store_close", old_style)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    monkeypatch.setattr(closing, "_store_close", real)
    zh = cli("report", "bulletin", "--period", PERIOD, lang="zh", ok=True).out
    assert "下步工作（草拟）" in zh and "翠宏山铁多金属矿计划投产" in zh
    cli.admin("documents", "set", "county=新华县", "--reason", "更名", ok=True)  # after the close, same day
    html = cli("report", "dispatch", "--period", PERIOD, "--format", "html", lang="zh", ok=True).out
    assert f"县招调〔{Y}〕1号" in html and "新招调" not in html
    assert cli("report", "diff", "--period", PERIOD, ok=True).code == 0


def test_a_closed_periods_report_of_one_unit_gives_the_units_planned_progress(cli):
    """序时进度 of a closed period's report of one unit: the unit's row, totals and categories, as
    the report printed them before the close, not the county's (docs/lights-and-reports.md)."""
    mine = signed_project(cli)
    other = cli("project", "add", "--name", "发改项目", "--investor", "某公司", "--industry", "mining",
                "--investment", "3000万", "--unit", "FGW", "--on", f"{Y - 1}-12-01", json=True, ok=True).json["code"]
    cli("project", "edit", mine, "--year-plan", f"{Y}=1000万", "--on", f"{Y}-01-10", ok=True)
    cli("project", "edit", other, "--year-plan", f"{Y}=4000万", "--on", f"{Y}-01-10", ok=True)
    cli("investment", "add", mine, "300万", "--on", IN, ok=True)
    live = {lang: cli("report", "bulletin", "--period", PERIOD, "--unit", "XH", json=True, lang=lang, ok=True).json
            for lang in ("en", "zh")}
    assert live["en"]["progress"]["totals"]["year_plan"]["amount_minor"] == 1000_0000_00
    text = cli("report", "bulletin", "--period", PERIOD, "--unit", "XH", ok=True).out
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    for lang in ("en", "zh"):
        frozen = cli("report", "bulletin", "--period", PERIOD, "--unit", "XH", json=True, lang=lang, ok=True).json
        assert frozen["closed"] is True and frozen["progress"] == live[lang]["progress"]
    assert cli("report", "bulletin", "--period", PERIOD, "--unit", "XH", ok=True).out == text
    assert "FGW" not in text.split("Notes")[0].split("Planned progress")[1]


def test_undo_in_a_closed_period_prints_the_closed_periods_detail(cli):
    """`undo` of an entry dated in a closed period is refused with the same detail as a new entry there:
    the guard `period_closed` with its message, in English and Chinese, under --json with its code."""
    code = signed_project(cli)
    cli("capital", "add", code, "500万", "--on", IN, ok=True)
    cli.admin("report", "close", "--period", PERIOD, ok=True)
    for lang, line in (("en", f"  ✗ period_closed: period {PERIOD} is closed"),
                       ("zh", f"  ✗ {PERIOD} 已关账；补录请加 --late --reason")):
        undo, add = cli("undo", code, lang=lang), cli("capital", "add", code, "100万", "--on", IN, lang=lang)
        assert undo.code == 3 and add.code == 3
        assert undo.err.rstrip("\n").splitlines()[-1] == line == add.err.rstrip("\n").splitlines()[-1], undo.err
    (detail,) = cli("undo", code, json=True).json["error"]["details"]
    (added,) = cli("capital", "add", code, "100万", "--on", IN, json=True).json["error"]["details"]
    assert detail == {"project": code, "seq": detail["seq"], **added}
    assert detail["code"] == "period_is_closed" and detail["fields"] == {"label": PERIOD}
    assert detail["message"] == f"period {PERIOD} is closed" and detail["effective_on"] == IN


def _last_bimonth() -> tuple[str, date]:
    """The two-month period (2026-B5) that ended last, and its first day."""
    today = date.today()
    n, year = (today.month - 1) // 2, today.year
    if n == 0:
        n, year = 6, year - 1
    return f"{year}-B{n}", date(year, 2 * n - 1, 1)


def _red_and_yellow_county(cli, monkeypatch) -> tuple[str, list[str]]:
    """The demo county (80 projects: red and yellow ones in most units, key projects, signings, capital,
    projects reaching construction) with 督办 problems in the period that ended last — two open (one
    overdue), one closed out in the period — a document's lists cut to the worst one of each colour
    (so the county's stored lists lack most units' projects), and the units to compare: the problems'
    owners, the unit of most yellow, of a review project, of fewest red."""
    from cli import documents
    from workflow import reports

    monkeypatch.setattr(reports, "DOCUMENT_LIST_LIMIT", 1)
    monkeypatch.setattr(documents, "LIST_LIMIT", 1)
    cli.admin("demo", "--no-show", "--projects", "80", "--force", ok=True)
    period, start = _last_bimonth()
    day = lambda n: date.fromordinal(start.toordinal() + n).isoformat()  # noqa: E731
    units = cli.admin("report", "dispatch", "--period", period, json=True, ok=True).json["units"]
    reds = [u["unit"] for u in sorted(units, key=lambda u: -u["red"]) if u["unit"]]
    yellow = max((u for u in units if u["unit"]), key=lambda u: u["yellow"])["unit"]
    review = cli.admin("report", "review", "--period", period, json=True, ok=True).json["projects"][0]["unit"]
    cli.admin("problem", "add", "P-0001", "用地指标未落实", "--kind", "land", "--owner", reds[0], "--due", day(5),
              "--on", day(1), ok=True)
    cli.admin("problem", "add", "P-0002", "电力未通", "--kind", "power", "--owner", reds[1], "--due", day(20),
              "--on", day(2), ok=True)
    cli.admin("problem", "add", "P-0003", "环评未批", "--kind", "environment", "--owner", yellow, "--due", day(50),
              "--on", day(2), ok=True)
    problem = str(next(p["id"] for p in cli.admin("problem", "list", json=True, ok=True).json["problems"]
                       if p["project"] == "P-0002"))
    cli.admin("problem", "close", problem, "--resolution", "已通电", "--on", day(10), ok=True)
    return period, list(dict.fromkeys([reds[0], reds[1], yellow, review, reds[-1]]))


@pytest.mark.sqlite_only  # the demo rebuilds an SQLite file only
def test_a_closed_periods_reports_of_one_unit_print_what_they_printed_before_the_close(cli, monkeypatch, tmp_path):
    """Every report of one unit (`--unit`) of a closed period prints what it printed before the close
    (docs/lights-and-reports.md, "Closed periods"): its JSON field by field — the dispatch's totals and
    督办 problems, the review's totals, the bulletin's 协议总投资 the unit's own — and the red and yellow
    lists of its bulletin document the unit's own projects, not the county's worst ones of the unit.
    `report diff` names a unit by its name in every report."""
    import re

    period, units = _red_and_yellow_county(cli, monkeypatch)
    kinds = ("bulletin", "dispatch", "review", "evaluation")

    def printed() -> dict:
        out = {}
        for unit in units:
            for kind in kinds:
                for lang in ("en", "zh"):
                    out[kind, unit, lang] = cli.admin("report", kind, "--period", period, "--unit", unit, json=True,
                                                      lang=lang, ok=True).json
            path = tmp_path / f"{unit}.html"
            cli.admin("report", "bulletin", "--period", period, "--unit", unit, "--format", "html",
                      "--output", str(path), lang="zh", ok=True)
            lists = path.read_text(encoding="utf-8").split("红灯项目")[-1]  # the red and yellow lists
            out["html", unit] = re.sub(r"<[^>]*>", "", lists)
        return out

    before = printed()
    assert any(before["dispatch", u, "en"]["supervision"]["closed_problems"] for u in units)
    assert sum(before["dispatch", u, "en"]["totals"]["yellow"] for u in units) > 1
    cli.admin("report", "close", "--period", period, ok=True)
    after = printed()
    for key, doc in after.items():
        if key[0] != "html":
            assert doc.pop("closed") is True, key
        assert doc == before[key], key
    # what the entries since the close change, by unit name: the review's comparison as the bulletin's
    built = next(p for p in cli.admin("report", "review", "--period", period, json=True, ok=True).json["projects"]
                 if cli.admin("capital", "add", p["code"], "100万", "--on", before["review", units[3], "en"]["start"],
                              "--late", "--reason", "补录").code == 0)  # one still taking capital
    for kind in ("bulletin", "review"):
        lines = cli.admin("report", "diff", "--period", period, "--report", kind, ok=True).out
        assert built["unit_name"] in lines and f" {built['unit']} " not in lines, (kind, lines)


@pytest.mark.sqlite_only  # the demo rebuilds an SQLite file only
def test_a_close_without_the_units_lists_still_prints_a_units_document(cli, monkeypatch, tmp_path):
    """A close stored before each unit's red and yellow lists were kept prints a unit's bulletin document
    with the county's lists' projects of the unit (docs/lights-and-reports.md, "Closed periods"), and
    `audit verify` and `report diff` find nothing changed."""
    from workflow import closing
    from workflow.db import make_engine

    period, units = _red_and_yellow_county(cli, monkeypatch)
    real = closing._unit_lists
    monkeypatch.setattr(closing, "_unit_lists", lambda *args: {})
    cli.admin("report", "close", "--period", period, ok=True)
    monkeypatch.setattr(closing, "_unit_lists", real)
    engine = make_engine(cli.url_for())
    try:
        county = closing.frozen(engine, "bulletin", period, document=True)
        for unit in units:
            doc = closing.frozen(engine, "bulletin", period, unit=unit, document=True)
            assert doc["projects"] == [p for p in county["projects"] if p["unit"] == unit]
            assert "unit_projects" not in doc and doc["closed"] is True
            cli.admin("report", "bulletin", "--period", period, "--unit", unit, "--format", "html",
                      "--output", str(tmp_path / f"{unit}.html"), lang="zh", ok=True)
    finally:
        engine.dispose()
    assert cli.admin("audit", "verify", json=True, ok=True).json["ok"]
    assert cli.admin("report", "diff", "--period", period, json=True, ok=True).json["changes"] == []
