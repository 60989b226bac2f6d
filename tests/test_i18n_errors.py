"""Chinese error messages (docs/usage.md): every message the engine and the command line raise has a Chinese
entry in the one catalogue (``workflow/i18n.py`` ERRORS), and ``--lang zh`` prints it."""

from __future__ import annotations

import ast
import itertools
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ERROR_CLASSES = {"PipelineError", "BadInput", "Duplicate", "Refused", "NotFound", "Conflict", "NotAllowed",
                 "IntegrityFailure"}
# Functions whose argument (by position) is the message of an error they raise, or a problem they report
# (a workflow definition's problems, ``audit verify``'s failures).
MESSAGE_ARGS = {"check_reason": 1, "reason": 1, "_new_version": 4, "_problem": 2}
RECEIVER_ARGS = {("problems", "add"): 1, ("failures", "add"): 2}
BILINGUAL = "bilingual"  # a message chosen by language where it is raised (``… if zh else …``)


def _template(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> list[str] | str | None:
    """The English templates ``node`` may evaluate to (the f-string as written), BILINGUAL, or None when
    it is not text written here."""
    from workflow.i18n import mostly_chinese

    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value.replace("{", "{{").replace("}", "}}")]
    if isinstance(node, ast.JoinedStr):
        out = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                out.append(str(v.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(v, ast.FormattedValue):
                field = ast.unparse(v.value) + {114: "!r", 115: "!s", 97: "!a"}.get(v.conversion, "")
                if v.format_spec is not None:
                    field += ":" + "".join(str(x.value) for x in v.format_spec.values if isinstance(x, ast.Constant))
                out.append("{" + field + "}")
        return ["".join(out)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _template(node.left, assigned), _template(node.right, assigned)
        if BILINGUAL in (left, right):
            return BILINGUAL
        if isinstance(left, list) and isinstance(right, list):
            return [a + b for a, b in itertools.product(left, right)]
        return None
    if isinstance(node, ast.IfExp):
        body, orelse = _template(node.body, assigned), _template(node.orelse, assigned)
        for side in (body, orelse):
            if side == BILINGUAL or (isinstance(side, list) and any(mostly_chinese(t) for t in side)):
                return BILINGUAL
        if isinstance(body, list) and isinstance(orelse, list):
            return body + orelse
        return None
    if isinstance(node, ast.Name) and node.id in assigned:
        found: list[str] = []
        for value in assigned[node.id]:
            t = _template(value, {})
            if t == BILINGUAL:
                return BILINGUAL
            if isinstance(t, list):
                found += t
        return found or None
    return None


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def error_messages() -> list[tuple[str, str]]:
    """(where, English template) of every literal message raised in workflow/ and cli/; messages that
    are chosen by language where they are raised, or are mostly Chinese, need no entry."""
    from workflow.i18n import mostly_chinese

    out = []
    for folder in ("workflow", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for func in [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]:
                assigned: dict[str, list[ast.AST]] = {}
                for n in ast.walk(func):
                    if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                        assigned.setdefault(n.targets[0].id, []).append(n.value)
                nodes = ast.walk(func) if func is not tree else (
                    n for n in ast.iter_child_nodes(tree) if not isinstance(n, ast.FunctionDef | ast.ClassDef))
                for n in nodes:
                    for call in (c for c in ast.walk(n) if isinstance(c, ast.Call)):
                        name = _call_name(call)
                        receiver = call.func.value.id if (isinstance(call.func, ast.Attribute)
                                                          and isinstance(call.func.value, ast.Name)) else None
                        at = RECEIVER_ARGS.get((receiver or "", name or ""))
                        if name in ERROR_CLASSES and call.args:
                            arg: ast.AST | None = call.args[0]
                        elif name in MESSAGE_ARGS and len(call.args) > MESSAGE_ARGS[name]:
                            arg = call.args[MESSAGE_ARGS[name]]
                        elif at is not None and len(call.args) > at:
                            arg = call.args[at]
                        else:
                            continue
                        templates = _template(arg, assigned)
                        if isinstance(templates, list):
                            where = f"{path.relative_to(ROOT)}:{call.lineno}"
                            out += [(where, t) for t in templates if t.strip() and not mostly_chinese(t)]
                        for d in (d for a in call.args[1:] for d in ast.walk(a) if isinstance(d, ast.Dict)):
                            keys = [k.value for k in d.keys if isinstance(k, ast.Constant)]
                            if "message" in keys and "message_zh" not in keys:
                                detail = _template(d.values[keys.index("message")], assigned)
                                if isinstance(detail, list):
                                    where = f"{path.relative_to(ROOT)}:{d.lineno}"
                                    out += [(where, t) for t in detail if not mostly_chinese(t)]
    return sorted(set(out))


def test_every_error_message_has_chinese():
    from workflow.i18n import ERRORS

    found = error_messages()
    assert len(found) > 200  # the scan finds the raise sites
    missing = [f"{where}: {t}" for where, t in found if t not in ERRORS]
    assert missing == [], "error messages without Chinese in workflow/i18n.py ERRORS:\n" + "\n".join(missing)


def test_chinese_templates_use_the_english_fields():
    import re

    from workflow.i18n import ERRORS, template_parts

    bad = []
    for en, zh in ERRORS.items():
        fields = {f for _, f in template_parts(en) if f is not None}
        zh_fields = {f.partition("|")[0] for _, f in template_parts(zh) if f is not None}
        if zh_fields - fields or not re.search(r"[\u4e00-\u9fff]", zh) and zh != en:
            bad.append(en)
    assert bad == []


@pytest.mark.parametrize(("message", "chinese"), [
    ("no project P-0999", "没有项目 P-0999"),
    ("write 3 (P-0001 add): no unit 'XX'", "没有单位 'XX'"),
    ("no unit '新华镇新华镇新华镇新华镇'", "没有单位 '新华镇新华镇新华镇新华镇'"),  # Chinese in a value
    ("'bob' (role leader) may not record capital; it needs the role coordinator or admin",
     "'bob'（角色：领导） 无权记录到位资金；须有以下角色：协调员或管理员"),
])
def test_messages_are_translated_with_their_values(message, chinese):
    from workflow.i18n import error_zh

    assert chinese in error_zh(message)


def test_unknown_messages_stay_as_they_are():
    from workflow.i18n import error_zh

    assert error_zh("something nobody wrote") == "something nobody wrote"
    assert error_zh("已是中文") == "已是中文"


def _add(cli) -> str:
    res = cli("project", "add", "--name", "宾馆建设项目", "--investor", " ", "--industry", "hotel", "--investment",
              "0", "--unit", "XH", json=True, ok=True)
    return res.json["code"]


def test_errors_in_chinese_with_their_exit_codes(cli):
    code = _add(cli)
    res = cli("project", "show", "P-9999", lang="zh")
    assert res.code == 4 and "错误：没有项目 P-9999" in res.err and "no project" not in res.err
    res = cli("capital", "add", code, "abc", lang="zh")
    assert res.code == 2 and "无法识别的金额" in res.err and "not an amount" not in res.err
    res = cli("advance", code, "fly", lang="zh")
    assert res.code == 2 and "无法识别的操作或阶段 'fly'" in res.err and "unknown trigger" not in res.err
    assert "已有的操作：" in res.err  # the details too
    res = cli("advance", code, "submit", lang="zh")  # refused by guards: each guard's Chinese
    assert res.code == 3 and f"{code}：操作 submit 被拒绝" in res.err and "refused" not in res.err
    first = res.err.splitlines()[0]
    assert "投资" in first and not any(w in first for w in ("investor", "investment")), first
    res = cli("project", "edit", code, "--name", "x", actor="nobody", lang="zh")
    assert res.code == 6 and "无权修改项目" in res.err and "协调员或管理员" in res.err
    en = cli("project", "show", "P-9999")
    assert en.code == 4 and "error: no project P-9999" in en.err and "没有" not in en.err


def test_json_error_keeps_the_english_message_and_adds_the_chinese(cli):
    res = cli("advance", "P-9999", "submit", json=True, lang="zh")
    err = res.json["error"]
    assert res.code == 4 and err["code"] == "not_found"
    assert err["message"].startswith("no project P-9999") and err["message_zh"].startswith("没有项目 P-9999")
    res = cli("advance", _add(cli), "fly", json=True, lang="zh")
    assert res.code == 2
    assert {d["message_zh"].split("：")[0] for d in res.json["error"]["details"]} == {"已有的操作", "已有的阶段"}
    en = cli("advance", "P-9999", "submit", json=True)
    assert "message_zh" not in en.json["error"]


def test_what_a_role_may_do_has_chinese():
    """Every ``what`` a role check names (``may not {what}``) is in the catalogue's words."""
    from workflow.i18n import ERROR_WORDS

    found = set()
    for folder in ("workflow", "cli"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for call in (n for n in ast.walk(ast.parse(path.read_text(encoding="utf-8"))) if isinstance(n, ast.Call)):
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


# Calls printing a message on stderr, and the position of the message among their arguments.
SAY_CALLS = {"say": 0, "_write_result": 2}


def stderr_messages() -> list[tuple[str, str]]:
    """(where, English template) of every literal message cli/ prints on stderr with words in it
    (``say(f"wrote {output}")``); lines of values only (``"  ✗ {guard}: {msg}"``) need no entry."""
    import re

    from workflow.i18n import mostly_chinese, template_parts

    out = []
    for path in sorted((ROOT / "cli").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)):
            assigned: dict[str, list[ast.AST]] = {}
            for n in ast.walk(func):
                if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name):
                    assigned.setdefault(n.targets[0].id, []).append(n.value)
            for call in (c for c in ast.walk(func) if isinstance(c, ast.Call)):
                at = SAY_CALLS.get(_call_name(call) or "")
                if at is None or len(call.args) <= at:
                    continue
                arg = call.args[at]
                if isinstance(arg, ast.Call) and _call_name(arg) == "_esc" and arg.args:
                    arg = arg.args[0]
                templates = _template(arg, assigned)
                if not isinstance(templates, list):
                    continue
                for t in templates:
                    words = "".join(lit for lit, field in template_parts(t) if field is None)
                    if not mostly_chinese(t) and re.search(r"[A-Za-z]{2}", words):
                        out.append((f"{path.relative_to(ROOT)}:{call.lineno}", t))
    return sorted(set(out))


def test_every_stderr_message_has_chinese():
    from workflow.i18n import ERRORS

    found = stderr_messages()
    assert len(found) > 30  # the scan finds the messages
    missing = [f"{where}: {t}" for where, t in found if t not in ERRORS]
    assert missing == [], "stderr messages without Chinese in workflow/i18n.py ERRORS:\n" + "\n".join(missing)


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
