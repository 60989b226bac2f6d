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
    return bool(lang) and lang.lower().startswith("zh")


def t(key: str, lang: str) -> str:
    """The label for ``key`` in ``lang``; the key itself when there is none."""
    pair = LABELS.get(key)
    if pair is None:
        return key
    return pair[1] if is_zh(lang) else pair[0]

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
