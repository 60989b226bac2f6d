"""User-facing labels in English and Chinese (SPEC: labels in both languages)."""

from __future__ import annotations

import os

LABELS: dict[str, tuple[str, str]] = {
    "code": ("Code", "编号"),
    "name": ("Name", "项目名称"),
    "investor": ("Investor", "投资方"),
    "origin": ("Origin", "投资方来源"),
    "industry": ("Industry", "行业"),
    "category": ("Category", "类别"),
    "key": ("Key", "重点项目"),
    "stage": ("Stage", "阶段"),
    "stage_since": ("In stage since", "进入阶段日期"),
    "unit": ("Unit", "责任单位"),
    "planned_investment": ("Planned investment", "计划总投资"),
    "capital_in_place": ("Capital in place", "到位资金"),
    "investment_completed": ("Investment completed", "完成投资"),
    "leaders": ("Leaders", "包保领导"),
    "light": ("Light", "预警"),
    "plan": ("Plan", "计划节点"),
    "plan_sign": ("Planned signing", "计划签约日期"),
    "plan_fund": ("Planned capital", "计划到资日期"),
    "plan_break_ground": ("Planned groundbreaking", "计划开工日期"),
    "plan_commission": ("Planned production", "计划投产日期"),
    "workflow": ("Workflow", "流程"),
    "version": ("Version", "版本"),
    "registered_on": ("Registered", "登记日期"),
    "last_followup_on": ("Last follow-up", "最近跟进"),
    "seq": ("#", "序号"),
    "effective_on": ("Effective", "生效日期"),
    "recorded_at": ("Recorded (UTC)", "记录时间(UTC)"),
    "actor": ("Actor", "操作人"),
    "event": ("Event", "事件"),
    "from_to": ("From → to", "阶段变化"),
    "reason": ("Reason", "原因"),
    "details": ("Details", "内容"),
    "trigger": ("Transition", "操作"),
    "to": ("To", "目标阶段"),
    "allowed": ("Allowed", "可执行"),
    "guards": ("Guards", "条件"),
    "login": ("Login", "账号"),
    "role": ("Role", "角色"),
    "level": ("Level", "级别"),
    "title": ("Title", "职务"),
    "cap": ("Cap", "上限"),
    "load": ("Leading", "包保重点项目"),
    "kind": ("Kind", "类型"),
    "projects": ("Projects", "项目数"),
    "yes": ("yes", "是"),
    "no": ("no", "否"),
    "lead_leader": ("Lead leader", "包保县级领导"),
    "first_responsible": ("First responsible", "第一责任人"),
    "team_member": ("Team member", "专班成员"),
    "red": ("red", "红灯"),
    "yellow": ("yellow", "黄灯"),
    "green": ("green", "绿灯"),
    "registered": ("registered", "登记"),
    "edited": ("edited", "修改"),
    "transition": ("transition", "阶段变更"),
    "check": ("check", "审核项"),
    "document": ("document", "文件"),
    "capital": ("capital", "资金到位"),
    "investment": ("investment", "完成投资"),
    "followup": ("follow-up", "跟进"),
    "assignment": ("assignment", "分配领导"),
    "reassignment": ("reassignment", "调整领导"),
    "correction": ("correction", "更正"),
    "township": ("township", "乡镇"),
    "department": ("department", "部门"),
    "county": ("county", "县级"),
    "coordinator": ("coordinator", "协调员"),
    "leader": ("leader", "领导"),
    "auditor": ("auditor", "审计"),
    "admin": ("admin", "管理员"),
}


def default_lang() -> str:
    """``PIPELINE_LANG``, else ``zh`` when ``LANG``/``LC_ALL`` is Chinese, else ``en``."""
    lang = os.environ.get("PIPELINE_LANG")
    if lang:
        return "zh" if lang.lower().startswith("zh") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def is_zh(lang: str | None) -> bool:
    return lang is not None and lang.lower().startswith("zh")


def t(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang``; the key itself when there is none."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if is_zh(lang) else pair[0]


# --- reports, warnings, the board, targets, light thresholds (issue 4) ------------------------------
LABELS.update({
    "report_bulletin": ("Bulletin", "两月一通报"),
    "report_dispatch": ("Dispatch of problem projects", "一季一调度"),
    "report_review": ("Site review", "半年一观摩"),
    "report_evaluation": ("Evaluation", "全年一考评"),
    "warnings": ("Warnings", "预警项目"),
    "board": ("Board", "项目看板"),
    "sec_figures": ("Figures", "主要指标"),
    "sec_stages": ("Projects by stage", "项目阶段分布"),
    "sec_summary": ("Lights by unit", "各单位预警"),
    "sec_projects": ("Projects", "项目清单"),
    "sec_ranking": ("Ranking", "考评排名"),
    "sec_details": ("Targets and actuals", "目标完成情况"),
    "sec_info": ("About", "说明"),
    "period": ("Period", "报告期"),
    "as_of": ("As of", "截至"),
    "unit_name": ("Unit name", "单位名称"),
    "col_signed": ("Signed", "签约项目"),
    "col_capital_cny": ("Capital in place (10k CNY)", "到位资金（万元）"),
    "col_capital_usd": ("Foreign capital (10k USD)", "实际利用外资（万美元）"),
    "col_investment": ("Investment completed (10k CNY)", "完成投资（万元）"),
    "col_planned": ("Planned investment (10k CNY)", "计划总投资（万元）"),
    "col_key_projects": ("Key projects", "重点项目"),
    "col_over_100m": ("Over 100M CNY", "超亿元项目"),
    "col_red": ("Red", "红灯"),
    "col_yellow": ("Yellow", "黄灯"),
    "col_warned": ("Warned", "预警合计"),
    "col_reasons": ("Reasons", "预警原因"),
    "col_construction_on": ("Construction from", "开工日期"),
    "col_production_on": ("Production from", "投产日期"),
    "col_rank": ("Rank", "排名"),
    "col_score": ("Score", "得分"),
    "col_metric": ("Target", "考核指标"),
    "col_target": ("Target value", "目标值"),
    "col_actual": ("Actual", "完成值"),
    "col_rate": ("Completion", "完成率"),
    "col_year": ("Year", "年度"),
    "col_set_by": ("Set by", "设定人"),
    "col_total": ("Total", "合计"),
    "row_total": ("Total", "合计"),
    "row_previous": ("Previous", "上期"),
    "row_change": ("Change", "增减"),
    "no_unit": ("(no unit)", "（无责任单位）"),
    "unranked": ("unranked", "未排名"),
    "metric_signed": ("Projects signed", "签约项目数"),
    "metric_capital": ("Capital in place (10k CNY)", "到位资金（万元）"),
    "metric_foreign": ("Foreign capital (10k USD)", "实际利用外资（万美元）"),
    "metric_investment": ("Investment completed (10k CNY)", "完成投资（万元）"),
    "threshold": ("Threshold", "阈值"),
    "days": ("Days", "天数"),
    "default": ("Default", "默认值"),
    "source": ("Source", "来源"),
    "configured": ("configured", "已配置"),
    "this_run": ("this run", "本次指定"),
    "active_projects": ("active projects", "个在建/在谈项目"),
    "urgent": ("Most urgent", "最紧急"),
    "screening_yellow_days": ("Screening: yellow after (days)", "审核中黄灯天数"),
    "screening_red_days": ("Screening: red after (days)", "审核中红灯天数"),
    "milestone_due_days": ("Milestone due within (days)", "节点临近提醒天数"),
    "signed_no_capital_red_days": ("Signed, no capital: red after (days)", "签约未到资红灯天数"),
    "followup_yellow_days": ("No follow-up: yellow after (days)", "未跟进黄灯天数"),
    "followup_red_days": ("No follow-up: red after (days)", "未跟进红灯天数"),
    "foreign_capital": ("Foreign capital", "实际利用外资"),
})

# --- rules (leader-assignment rules) ---------------------------------------------------------------
LABELS.update({
    "rules_id": ("Rule", "规则编号"),
    "rules_rule": ("Rule", "规则"),
    "rules_version": ("Version", "版本"),
    "rules_priority": ("Priority", "优先级"),
    "rules_person": ("Person", "人员"),
    "rules_conditions": ("Conditions", "条件"),
    "rules_active": ("Active", "启用"),
    "rules_changed": ("Changed (UTC)", "修改时间(UTC)/修改人"),
    "rules_superseded": ("superseded", "已被新版本取代"),
    "rules_outcome": ("Outcome", "结果"),
    "rules_every_project": ("every project", "所有项目"),
    "rules_assignments": ("Assignments", "分配记录"),
    "rules_assigned_by": ("Assigned by", "分配依据"),
    "rules_since": ("Since", "起止日期"),
    "rules_disabled": ("disabled", "已停用"),
    "rules_from": ("From", "原人员"),
    "rules_to": ("To", "新人员"),
    "rules_problem": ("Needs attention", "需关注"),
    "rules_kept": ("Kept, needs attention", "保持不变，需关注"),
    "rules_holding": ("Current", "在任"),
})

# --- audit (history, audit log, checkpoints, verification) -----------------------------------------
LABELS.update({
    "events": ("events", "条记录"),
    "chain": ("Hash chain", "哈希链"),
    "chain_intact": ("chain intact", "哈希链完整"),
    "chain_broken": ("CHAIN BROKEN", "哈希链被破坏"),
    "chain_head": ("chain head", "链头哈希"),
    "latest_checkpoint": ("latest checkpoint", "最近校验点"),
    "none": ("none", "无"),
    "history_title": ("Stage history", "项目阶段历史"),
    "audit_log_title": ("Audit log", "审计日志"),
    "digest": ("digest", "摘要"),
    "at": ("at", "时间"),
    "verified": ("verified", "已校验"),
    "covers": ("covers", "覆盖"),
    "unchanged": ("all unchanged", "均未被改动"),
    "problem": ("Problem", "问题"),
    "projects_n": ("projects", "个项目"),
    "events_h": ("Events", "记录数"),
    "at_h": ("At (UTC)", "时间(UTC)"),
    "digest_h": ("Digest", "摘要"),
})

# --- office output: spans, planned progress (序时进度), documents (issue 18) ---------------------------
LABELS.update({
    "sec_series": ("Each period of the span", "分期情况"),
    "col_growth": ("Growth", "增长"),
    "row_average_growth": ("Average growth", "年均增长"),
    "sec_progress": ("Planned progress by unit", "各单位序时进度"),
    "sec_progress_category": ("Planned progress by category", "分类序时进度"),
    "sec_progress_projects": ("Planned progress of projects", "项目序时进度"),
    "col_year_plan": ("Year plan (10k CNY)", "年度计划投资（万元）"),
    "col_year_done": ("Completed this year (10k CNY)", "年度完成投资（万元）"),
    "col_plan_rate": ("% of plan", "完成计划"),
    "col_time_progress": ("Time progress", "序时进度"),
    "col_points": ("Points vs time", "超/欠序时（百分点）"),
    "col_planned_starts": ("Planned starts", "计划开工"),
    "col_actual_starts": ("Started", "实际开工"),
    "col_start_rate": ("Start rate", "开工率"),
    "col_projects": ("Projects", "项目数"),
    "category": ("Category", "类别"),
    "cat_new": ("New construction", "新开工"),
    "cat_continuing": ("Continuing", "续建"),
    "cat_completed": ("Completed", "竣工"),
    "cat_preparatory": ("Preparatory", "前期"),
    "progress_yellow_points": ("Progress: yellow when behind by more than (points)", "序时进度黄灯（落后百分点）"),
    "progress_red_points": ("Progress: red when behind by more than (points)", "序时进度红灯（落后百分点）"),
    "progress_by_day": ("Progress: time by day (1) or month (0)", "序时进度按日（1）或按月（0）计"),
    "progress_ratio_rule": ("Progress: relative rule (1) or points (0)", "序时进度按相对比例（1）或百分点（0）"),
    "progress_yellow_ratio_pct": ("Progress, relative: yellow below (% of time progress)",
                                  "序时进度相对规则：黄灯（低于序时的百分比）"),
    "progress_red_ratio_pct": ("Progress, relative: red below (% of time progress)",
                               "序时进度相对规则：红灯（低于序时的百分比）"),
})
