"""Errors by code (docs/text-and-errors.md, "Errors by code"): every error the engine and the command
line raise names a code of the one catalogue (workflow/catalogue/*.toml) with its fields, the
catalogue has English and Chinese for each, and ``--lang zh`` prints the Chinese whole."""

from __future__ import annotations

import ast
import pathlib
import re
import string

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ERROR_CLASSES = {"PipelineError", "BadInput", "Duplicate", "Refused", "Implausible", "NotFound", "Conflict",
                 "NotAllowed", "IntegrityFailure", "SchemaMismatch"}
# Helpers whose argument (by position) is the message of an error they raise or a problem they report.
MESSAGE_ARGS = {"check_reason": (1,), "reason": (1,), "_new_version": (4,), "_problem": (2,)}
MESSAGE_ARGS_IN = {("workflow/io/checking.py", "_problem"): (3,)}
RECEIVER_ARGS = {("problems", "add"): 1, ("failures", "add"): 2}
SAY_CALLS = {"say": 0, "_write_result": 2}
# Codes built where they are used: their prefix, and the catalogue entries they may name.
DYNAMIC = {"amount_": re.compile(r"amount_\w+"), "guard_": re.compile(r"guard_\w+"),
           "os_": re.compile(r"os_e[a-z]+"),  # workflow/errors.py, os_reason: by errno name
           "ladder_when_": re.compile(r"ladder_when_[0-5]"),  # supervision ladder show: by level
           "db_state_": re.compile(r"db_state_(current|behind|ahead|missing)")}  # db current: workflow.db
# A message held in a parameter (a helper raising the message its caller wrote as a `Message`).
MESSAGE_PARAMETERS = {("workflow/values.py", "what"), ("workflow/rules/admin.py", "nothing"),
                      ("workflow/guards.py", "code")}
# The mechanism itself (an error built from a code it is given).
MECHANISM = {"workflow/errors.py", "workflow/catalogue/__init__.py"}


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def _sources():
    for folder in ("workflow", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def _fields_of(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _words(node: ast.AST) -> bool:
    """Whether a message node written at a call holds English words (a legacy message)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(re.search(r"[A-Za-z]{2}", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(_words(v) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _words(node.left) or _words(node.right)
    if isinstance(node, ast.IfExp):
        return _words(node.body) or _words(node.orelse)
    return False


def uses() -> tuple[list[tuple[str, str, set[str] | None]], list[str]]:
    """(where, code, keyword names or None when splatted) of every coded raise and message, and the
    places that still raise or pass a plain message."""
    from workflow.catalogue import CODE_RE

    found: list[tuple[str, str, set[str] | None]] = []
    legacy: list[str] = []
    for rel, tree in _sources():
        if rel in MECHANISM:
            continue
        for call in (c for c in ast.walk(tree) if isinstance(c, ast.Call)):
            name = _call_name(call)
            where = f"{rel}:{call.lineno}"
            kw = None if any(k.arg is None for k in call.keywords) else {
                k.arg for k in call.keywords if k.arg and k.arg != "details"}
            if isinstance(call.func, ast.Name) and name in ERROR_CLASSES | {"Message", "detail"}:
                if not call.args:
                    legacy.append(f"{where}: {name}() without a code")
                    continue
                arg = call.args[0]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CODE_RE.match(arg.value):
                    if name == "detail" and kw is not None:
                        kw -= {"guard", "line", "field", "row", "column"}
                    found.append((where, arg.value, kw))
                elif isinstance(arg, ast.IfExp) and all(
                        isinstance(b, ast.Constant) and isinstance(b.value, str) and CODE_RE.match(b.value)
                        for b in (arg.body, arg.orelse)):
                    found += [(where, b.value, kw) for b in (arg.body, arg.orelse)]  # type: ignore[attr-defined]
                elif isinstance(arg, ast.JoinedStr) and all(
                        isinstance(v, ast.FormattedValue) or re.fullmatch(r"_?[a-z0-9_]+", str(v.value))
                        for v in arg.values):
                    continue  # a code built where it is used (its entries: DYNAMIC)
                elif isinstance(arg, ast.Call) and _call_name(arg) == "Message":
                    continue
                elif isinstance(arg, ast.Name) and (rel, arg.id) in MESSAGE_PARAMETERS:
                    continue
                elif isinstance(arg, ast.Name) and name == "PipelineError":
                    continue
                else:
                    legacy.append(f"{where}: {ast.unparse(arg)[:100]}")
                continue
            receiver = call.func.value.id if (isinstance(call.func, ast.Attribute)
                                              and isinstance(call.func.value, ast.Name)) else None
            at = RECEIVER_ARGS.get((receiver or "", name or ""))
            if (name == "wrap" and isinstance(call.func, ast.Attribute) and call.args
                    and isinstance(call.args[0], ast.Constant)):  # an error put inside another (field "error")
                found.append((where, call.args[0].value, None if kw is None else kw | {"error"}))
                continue
            positions = (at,) if at is not None else MESSAGE_ARGS_IN.get((rel, name or "")) or MESSAGE_ARGS.get(
                name or "") or (
                (SAY_CALLS[name],) if name in SAY_CALLS else ())
            for i in positions:
                if len(call.args) > i and _words(call.args[i]):
                    legacy.append(f"{where}: {ast.unparse(call.args[i])[:100]}")
        for d in (n for n in ast.walk(tree) if isinstance(n, ast.Dict)):
            keys = [k.value if isinstance(k, ast.Constant) else None for k in d.keys]
            if "message" in keys and _words(d.values[keys.index("message")]):
                legacy.append(f"{rel}:{d.lineno}: detail message {ast.unparse(d.values[keys.index('message')])[:80]}")
    return found, legacy


def test_no_plain_message_is_raised():
    """Every raise names a code (the codemod converts what other branches add; see the commit)."""
    found, legacy = uses()
    assert len(found) > 300  # the scan finds the raise sites
    assert legacy == [], "errors or messages still written as plain text:\n" + "\n".join(legacy)


def test_every_code_has_english_and_chinese():
    from workflow.catalogue import catalogue

    cat = catalogue()
    found, _ = uses()
    missing = sorted({f"{where}: {code}" for where, code, _ in found if code not in cat})
    assert missing == [], "codes not in workflow/catalogue:\n" + "\n".join(missing)
    bad = [code for code, e in cat.items() if set(e) != {"en", "zh"} or not e["en"].strip()
           or not re.search(r"[\u4e00-\u9fff]", e["zh"]) and e["zh"] != e["en"]]
    assert bad == [], f"entries without both English and Chinese: {bad}"


def test_fields_at_the_raise_sites_are_the_entry_fields():
    from workflow.catalogue import catalogue

    cat = catalogue()
    found, _ = uses()
    bad = []
    for where, code, kw in found:
        if code not in cat or kw is None:
            continue
        en, zh = _fields_of(cat[code]["en"]), _fields_of(cat[code]["zh"])
        if en | zh != kw:
            bad.append(f"{where}: {code} given {sorted(kw)}, the entry uses {sorted(en | zh)}")
    assert bad == [], "\n".join(bad)


def test_every_entry_is_used():
    from workflow.catalogue import catalogue

    found, _ = uses()
    used = {code for _, code, _ in found}
    unused = sorted(c for c in catalogue() if c not in used and not any(
        c.startswith(p) and r.fullmatch(c) for p, r in DYNAMIC.items()))
    assert unused == [], f"catalogue entries no code names: {unused}"


def test_each_os_reason_is_an_entry_worded_as_the_c_library_words_it():
    import errno
    import os

    from workflow.catalogue import catalogue
    from workflow.errors import _OS_REASONS, os_reason

    assert {f"os_{n.lower()}" for n in _OS_REASONS} == {c for c in catalogue() if c.startswith("os_")}
    for name in _OS_REASONS:
        number = getattr(errno, name)
        assert os_reason(OSError(number, "ignored")).text("en") == os.strerror(number)  # type: ignore[union-attr]
        assert os_reason(OSError(number, "ignored")).text("zh") != os.strerror(number)  # type: ignore[union-attr]


def test_the_catalogue_is_plain_toml_with_snake_case_codes():
    import tomllib

    from workflow.catalogue import CODE_RE, HERE, catalogue

    codes = []
    for path in HERE.glob("*.toml"):
        codes += list(tomllib.loads(path.read_text(encoding="utf-8")))
    assert len(codes) == len(set(codes)) == len(catalogue())
    assert all(CODE_RE.match(c) for c in codes)


def test_what_a_role_may_do_has_chinese():
    """Every ``what`` a role check names (``may not {what}``) is a word of the catalogue."""
    from workflow.i18n import ERROR_WORDS

    found = set()
    for _, tree in _sources():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            name = _call_name(call)
            for kw in call.keywords:
                if kw.arg == "what" and isinstance(kw.value, ast.Constant) and name in {"_run", "run_batch"}:
                    found.add(kw.value.value)
            if name in {"require", "_new_version"} and len(call.args) >= 3:
                last = call.args[3 if name == "_new_version" else -1]
                if isinstance(last, ast.Constant) and isinstance(last.value, str):
                    found.add(last.value)
    assert len(found) > 20
    assert sorted(found - set(ERROR_WORDS)) == []


def test_no_reverse_translator_is_left():
    import workflow.i18n as i18n

    for name in ("ERRORS", "error_zh", "_translate", "_compiled", "_word"):
        assert not hasattr(i18n, name), name


# --- the command line ---------------------------------------------------------------------------------


def _add(cli) -> str:
    res = cli("project", "add", "--name", "宾馆建设项目", "--investor", " ", "--industry", "hotel", "--investment",
              "0", "--unit", "XH", json=True, ok=True)
    return res.json["code"]


def _english_words(text: str) -> list[str]:
    """English words left in a Chinese message (codes, commands and options aside)."""
    text = re.sub(r"`[^`]*`|--[a-z-]+|P-\d+|'[^']*'|\b(?:CNY|USD)\b", "", text)
    return re.findall(r"[A-Za-z]{3,}", text)


def test_errors_in_chinese_with_their_exit_codes(cli):
    code = _add(cli)
    res = cli("project", "show", "P-9999", lang="zh")
    assert res.code == 4 and "错误：没有项目 P-9999" in res.err and "no project" not in res.err
    res = cli("capital", "add", code, "abc", lang="zh")
    assert res.code == 2 and "无法识别的金额" in res.err and "not an amount" not in res.err
    res = cli("advance", code, "fly", lang="zh")
    assert res.code == 2 and "无法识别的操作或阶段 'fly'" in res.err and "unknown trigger" not in res.err
    assert "已有的操作：提交审核" in res.err  # the details too, by their labels
    res = cli("project", "edit", code, "--name", "x", actor="nobody", lang="zh")
    assert res.code == 6 and "无权修改项目" in res.err and "协调员或管理员" in res.err
    en = cli("project", "show", "P-9999")
    assert en.code == 4 and "error: no project P-9999" in en.err and "没有" not in en.err


def test_a_refused_transition_is_wholly_chinese_and_whole(cli):
    code = _add(cli)
    res = cli("advance", code, "submit", lang="zh")
    assert res.code == 3
    first = res.err.splitlines()[0]
    assert first.startswith(f"错误：{code}：操作“提交审核”被拒绝：") and "投资方未填写" in first, first
    assert _english_words(first) == [], first
    assert "…" not in res.err
    assert "  ✗ 投资方未填写" in res.err and "has_investor" not in res.err


def test_a_stage_refusal_names_labels_not_keys(cli):
    code = _add(cli)
    res = cli("capital", "add", code, "200万美元", lang="zh")
    assert res.code == 3
    first = res.err.splitlines()[0]
    assert "“意向在谈”阶段不能记录到位资金" in first and "可在以下阶段记录：已签约" in first, first
    assert _english_words(first) == [] and "…" not in res.err, first


def test_money_and_dates_in_a_chinese_error(cli):
    code = _add(cli)
    for step in (["edit", code, "--investment", "5000万", "--investor", "某公司"], ["advance", code, "submit"],
                 ["check", code, "industrial_policy", "pass"]):
        cli("project", *step, ok=True) if step[0] == "edit" else cli(*step)
    import datetime as dt

    from workflow.errors import Duplicate

    exc = Duplicate("duplicate_money_entry", code=code, kind="capital",
                    amount={"amount_minor": 200_000_000, "currency": "USD"}, on=dt.date(2026, 12, 6), seq=7,
                    recorded_at="2026-12-06T01:30:00.000000Z")
    zh = exc.text("zh")
    assert "200.00 万美元" in zh and "2026年12月6日" in zh and "分" not in zh.split("；")[0], zh
    assert "2026-12-06T" not in zh and "Z" not in zh
    assert "USD 2,000,000.00 on 2026-12-06" in exc.message
    res = cli("advance", code, "approve", "--on", "2999-01-01", lang="zh")
    assert res.code == 2 and "2999年1月1日" in res.err and "2999-01-01" not in res.err.splitlines()[0], res.err


def test_json_errors_carry_code_fields_and_the_message_in_the_runs_language(cli):
    res = cli("advance", "P-9999", "submit", json=True, lang="zh")
    err = res.json["error"]
    assert res.code == 4 and set(err) == {"code", "fields", "message", "details"}
    assert err["code"] == "no_project" and err["fields"] == {"code": "P-9999"}
    assert err["message"] == "没有项目 P-9999"
    en = cli("advance", "P-9999", "submit", json=True)
    assert en.json["error"]["message"] == "no project P-9999" and en.json["error"]["code"] == "no_project"
    code = _add(cli)
    res = cli("advance", code, "submit", json=True)
    err = res.json["error"]
    assert res.code == 3 and err["code"] == "transition_refused"
    assert err["fields"]["code"] == code and err["fields"]["trigger"] == "submit"
    guards = {d["guard"]: d for d in err["details"]}
    assert guards["has_investor"] == {"guard": "has_investor", "message": "investor is missing",
                                      "code": "guard_field_missing", "fields": {"field": "investor"}}
    res = cli("advance", code, "fly", json=True, lang="zh")
    assert res.code == 2 and err["code"] != "bad_input"
    assert {d["message"].split("：")[0] for d in res.json["error"]["details"]} == {"已有的操作", "已有的阶段"}
    assert all("message_zh" not in d for d in res.json["error"]["details"])


def test_zh_confirmation_accepts_chinese_answers_and_complains_in_chinese(capsys):
    from unittest import mock

    import cli.interactive as interactive

    answers = iter(["x", "是", "否", "y"])
    with mock.patch("rich.console.Console.input", lambda self, *a, **k: next(answers)):
        assert interactive.confirm("确认？", True) is True
        assert interactive.confirm("确认？", True) is False
        assert interactive.confirm("Continue?", False) is True
    assert "请回答 y（是）或 n（否）" in capsys.readouterr().err


def test_verify_problems_in_chinese(cli):
    if cli.engine_kind != "sqlite":
        pytest.skip("the file is tampered with through sqlite3")
    import sqlite3

    code = _add(cli)
    cli("project", "edit", code, "--name", "宾馆建设项目二期", ok=True)
    con = sqlite3.connect(cli.db)
    con.execute("DROP TRIGGER event_no_update")
    con.execute("UPDATE event SET actor = 'mallory' WHERE seq = 2")
    con.commit()
    con.close()
    zh = cli("audit", "verify", actor="admin", lang="zh")
    assert zh.code == 7
    assert "存储字段的哈希与事件哈希不符：该事件已被改动" in zh.out and "no longer hash" not in zh.out
    assert "错误：历史校验未通过" in zh.err
    history = cli("history", code, lang="zh")
    assert "警告：" in history.err and "该事件已被改动" in history.err
    en = cli("audit", "verify", actor="admin")
    assert en.code == 7 and "no longer hash to the event's hash" in en.out and "history failed verification" in en.err


# --- the commands a message suggests ---------------------------------------------------------------

SUGGESTION = re.compile(r"`(pipeline [^`]+)`")


def _suggestions():
    """Every backquoted ``pipeline …`` command in the catalogue, with the code and language it is in."""
    from workflow.catalogue import catalogue

    for code, entry in sorted(catalogue().items()):
        for lang in ("en", "zh"):
            for command in SUGGESTION.findall(entry.get(lang, "")):
                yield code, lang, command


def _parse_suggestion(command: str) -> str | None:
    """Why ``command`` (a suggestion, its ``{fields}`` standing for values) would not run as written,
    or None: each word names a group or command down to a command; past the command (when the
    suggestion goes on), each option is one of its options with its value, no more arguments than it
    takes and each required option given.  Values are not converted (a suggestion shows ``LOGIN``,
    ``N`` or ``...`` where the user writes one)."""
    import shlex

    import typer
    from typer._click import Context
    from typer._click.exceptions import UsageError

    from cli.app import app

    words = shlex.split(re.sub(r"\{[^}]*\}", "VALUE", command))[1:]
    if words[-1:] in (["..."], ["…"]) and not (len(words) > 1 and words[-2].startswith("-")):
        words = words[:-1]  # "and so on", not an option's value
    cmd = typer.main.get_command(app)
    ctx = Context(cmd, info_name="pipeline", help_option_names=["-h", "--help"])
    while hasattr(cmd, "get_command") and words and not words[0].startswith("-"):
        sub = cmd.get_command(ctx, words[0])
        if sub is None:
            return f"no command {words[0]!r}"
        cmd, words = sub, words[1:]
        ctx = Context(cmd, info_name=cmd.name, parent=ctx)
    if hasattr(cmd, "get_command"):
        return None if words in ([], ["-h"], ["--help"]) else "a group, not a command"
    if not words:
        return None  # the command named (``add them with `pipeline units add```), not a command line
    try:
        opts, args, _ = cmd.make_parser(ctx).parse_args(words)
    except UsageError as exc:
        return exc.format_message()
    if "help" in opts:
        return None
    arguments = [p for p in cmd.params if p.param_type_name == "argument"]
    if not any(p.nargs == -1 for p in arguments) and len(args) > sum(p.nargs for p in arguments):
        return f"extra arguments {args[sum(p.nargs for p in arguments):]}"
    missing = [p.opts[0] for p in cmd.params if p.param_type_name == "option" and p.required and p.name not in opts]
    return f"missing {missing}" if missing else None


def test_every_suggested_command_parses():
    """A message that suggests a command (``run `pipeline report reopen --period …```) suggests one that
    runs: its command path exists, its options are real options of it, its required ones are there
    (docs/text-and-errors.md, "Errors by code")."""
    found = list(_suggestions())
    assert len(found) > 50
    wrong = [(code, lang, command, why) for code, lang, command in found
             if (why := _parse_suggestion(command)) is not None]
    assert wrong == []
