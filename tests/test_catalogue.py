"""The message catalogue (workflow/catalogue): errors by code, rendered in English or Chinese from one
entry, typed fields shown per language (docs/text-and-errors.md, "Errors by code")."""

from __future__ import annotations

import datetime as dt

import pytest

from workflow.catalogue import Message, catalogue, detail, detail_json, json_value, render
from workflow.errors import BadInput, NotFound, PipelineError, Refused


@pytest.fixture
def entries(monkeypatch):
    """A few test entries beside the real catalogue."""
    extra = {
        "t_date": {"en": "due on {on:date}", "zh": "应于 {on:date} 办结"},
        "t_money": {"en": "amount {amount:money} is too large", "zh": "金额 {amount:money} 过大"},
        "t_list": {"en": "known: {names:list}", "zh": "已有：{names:list}"},
        "t_stage": {"en": "at stage {stage}", "zh": "处于{stage:stage}阶段"},
        "t_nested": {"en": "write {n}: {error}", "zh": "第 {n} 笔：{error}"},
        "t_repr": {"en": "no unit {unit!r}", "zh": "没有单位 {unit!r}"},
        "t_time": {"en": "recorded at {at:time}", "zh": "记录于 {at:time}"},
    }
    merged = {**catalogue(), **extra}
    monkeypatch.setattr("workflow.catalogue.catalogue", lambda: merged)
    return extra


def test_dates_money_lists_and_labels_render_per_language(entries):
    on = dt.date(2026, 12, 6)
    assert render("t_date", {"on": on}) == "due on 2026-12-06"
    assert render("t_date", {"on": on}, "zh") == "应于 2026年12月6日 办结"
    usd = {"amount_minor": 200_000_000, "currency": "USD"}
    assert render("t_money", {"amount": usd}) == "amount USD 2,000,000.00 is too large"
    assert render("t_money", {"amount": usd}, "zh") == "金额 200.00 万美元 过大"
    assert render("t_list", {"names": ["a", "b"]}) == "known: a, b"
    assert render("t_list", {"names": ["a", "b"]}, "zh") == "已有：a、b"
    assert render("t_stage", {"stage": "screening"}) == "at stage screening"
    assert render("t_stage", {"stage": "screening"}, "zh") == "处于审核中阶段"
    assert render("t_repr", {"unit": "XX"}, "zh") == "没有单位 'XX'"


def test_recorded_times_show_in_local_time_not_raw_utc(entries, monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    import time

    time.tzset()
    try:
        assert render("t_time", {"at": "2026-12-06T01:30:00Z"}) == "recorded at 2026-12-06 09:30"
        assert render("t_time", {"at": "2026-12-06T01:30:00Z"}, "zh") == "记录于 2026年12月6日 09:30"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_an_error_by_code_keeps_its_class_exit_code_and_renders_in_both_languages(entries):
    exc = NotFound("t_repr", unit="XX")
    assert (exc.code, exc.fields, exc.exit_code, exc.kind) == ("t_repr", {"unit": "XX"}, 4, "not_found")
    assert exc.message == str(exc) == "no unit 'XX'"
    assert exc.text("zh") == "没有单位 'XX'"


def test_a_message_inside_a_message_renders_in_the_same_language(entries):
    exc = BadInput("t_repr", unit="XX")
    exc.wrap("t_nested", n=3)
    assert exc.code == "t_nested" and exc.exit_code == 2
    assert exc.message == "write 3: no unit 'XX'"
    assert exc.text("zh") == "第 3 笔：没有单位 'XX'"
    assert json_value(exc.fields) == {"n": 3, "error": {"code": "t_repr", "fields": {"unit": "XX"}}}


def test_details_carry_their_code_and_fields(entries):
    d = detail("t_date", guard="due", on=dt.date(2026, 1, 2))
    assert detail_json(d, "en") == {"guard": "due", "message": "due on 2026-01-02", "code": "t_date",
                                    "fields": {"on": "2026-01-02"}}
    assert detail_json(d, "zh")["message"] == "应于 2026年1月2日 办结"
    exc = Refused("t_list", [d], names=["x"])
    assert exc.details == [d]


def test_a_message_object_is_accepted_where_a_code_is(entries):
    exc = BadInput(Message("t_repr", unit="Q"))
    assert exc.code == "t_repr" and exc.text("zh") == "没有单位 'Q'"


def test_unknown_codes_are_refused_when_a_message_is_built():
    with pytest.raises(KeyError):
        Message("no_such_code_anywhere")


def test_the_kind_of_every_error_class():
    assert PipelineError.kind == "internal" and BadInput.kind == "bad_input" and Refused.kind == "refused"


def test_an_error_pickles_with_its_code_fields_and_details():
    """A worker process's error reaches the parent whole (verify and bulk work in processes)."""
    import pickle

    exc = NotFound("no_project", [{"project": "P-1"}], code="P-1")
    back = pickle.loads(pickle.dumps(exc))
    assert (type(back), back.code, back.fields, back.details) == (NotFound, "no_project", {"code": "P-1"},
                                                                   [{"project": "P-1"}])
    assert back.text("zh") == "没有项目 P-1"


def test_a_count_says_its_word_in_the_singular_for_one():
    from workflow.catalogue import Message

    assert Message("entries", n_entries=1).text() == "1 entry"
    assert Message("entries", n_entries=0).text() == "0 entries"
    assert Message("entries", n_entries=1200).text() == "1,200 entries"
    assert Message("entries", n_entries=1).text("zh") == "1 条设置台账记录"
    assert Message("ladder_when_1", days=1).text() == "due within 1 day"
    assert Message("and_more_rows", count=1).text() == "… and 1 more row"


def test_counts_that_said_s_in_brackets_agree_with_one():
    from workflow.catalogue import Message

    assert Message("tranches_count", n=1).text() == "1 tranche"
    assert Message("tranches_count", n=3).text() == "3 tranches"
    assert Message("undo_window_days", value=1).text() == "undo window: 1 day"
    assert Message("assignment_made_over_open", n=1, projects=2).text() == "1 assignment made over 2 open projects"
