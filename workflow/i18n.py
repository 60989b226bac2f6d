"""User-facing labels in English and Chinese (SPEC: labels in both languages)."""

from __future__ import annotations

import functools
import re

from workflow.lang import default_lang, is_zh  # noqa: F401 - re-exported: the language of a run

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
    "verify_ok": ("ok", "校验通过"),
    "diff_figure_h": ("figure", "数据项"),
    "diff_frozen_h": ("frozen", "关账时"),
    "diff_now_h": ("now", "现在"),
    "events_h": ("Events", "记录数"),
    "at_h": ("At (UTC)", "时间(UTC)"),
    "digest_h": ("Digest", "摘要"),
})

# --- finding and listing (issue 17) ------------------------------------------------------------------
LABELS.update({
    "n_projects": ("{n} project(s)", "共 {n} 个项目"),
    "n_of_projects": ("{first}–{last} of {total} project(s)", "第 {first}–{last} 个，共 {total} 个项目"),
})

# --- help texts in Chinese (issue 17): each command by its path; the shared options by name ----------
# ``tests/test_i18n_help.py`` fails when a command has no entry here.
HELP_ZH: dict[str, str] = {
    "": "招商引资项目管理：从线索到投产，管理全县招商项目。",
    "init": "创建或升级数据库（可重复执行）；LOGIN 成为管理员。",
    "history": "项目完整时间线：日期、操作人、事件、阶段、文件、金额、更正，以及哈希链校验结果。",
    "correct": "更正一条已记录的事件（管理员）：错误的阶段变更使项目回到变更前的阶段。",
    "check": "记录准入审核清单的一项结果（协调员）。",
    "next": "当前可执行的操作，以及每个条件的检查结果。",
    "advance": "通过一个操作将项目推进到下一阶段（协调员）。",
    "reassign": "明确指定或更换项目的包保领导，须说明原因（管理员）。",
    "import": "将项目台账的每一行登记为新项目，全部成功或全部不做（协调员）。",
    "export": "导出项目台账，表头与导入一致（--lang zh 时为中文），可修改后再导入。",
    "demo": "在数据库中生成演示县的数据，然后显示项目看板。",
    "warnings": "所有红灯、黄灯项目及其原因、责任单位和包保领导，最严重的在前（可搜索、排序、分页）。",
    "board": "项目看板：每个在办阶段一栏，含项目数、到位资金、红黄灯数和最紧急的项目。",
    "shell": "在一个进程中连续执行多条命令：命令、输出和退出码与单独执行相同。",
    "db": "数据库结构迁移（Alembic）。",
    "db upgrade": "将数据库结构升级到最新版本。",
    "db current": "显示数据库的结构版本和本程序的版本。",
    "db check": "数据库结构与本程序一致时退出码为 0，否则说明用哪条命令修复（退出码 2）。",
    "workflow": "流程定义：查看、图示、校验。",
    "workflow show": "显示默认流程：阶段、操作及其条件。",
    "workflow diagram": "以 Mermaid 或 Graphviz DOT 图输出流程。",
    "workflow validate": "校验流程定义文件，列出全部问题（有问题时退出码 2）。",
    "audit": "审计：跨项目日志、校验点、历史校验。",
    "audit log": "所有项目的事件，按生效日期流式输出（任意规模内存恒定）。",
    "audit checkpoint": "校验历史并输出覆盖所有项目链头的摘要：请在数据库之外保存。",
    "audit checkpoints": "列出数据库中保存的校验点，最新的在前。",
    "audit verify": "重新计算每条哈希链并核对项目记录；带 --digest 时证明校验点仍然成立。",
    "units": "责任单位（乡镇和部门）。",
    "units add": "添加乡镇或部门（管理员）。",
    "units list": "列出责任单位及其项目数。",
    "people": "可被指派的领导和干部。",
    "people add": "添加可包保或跟进项目的人员（管理员）。",
    "people edit": "修改人员：姓名、职务、级别、单位、上限、是否在任（管理员）。",
    "people list": "列出人员及其包保的在办重点项目数和上限。",
    "users": "账号及其角色。",
    "users add": "允许一个账号以某个角色操作（管理员）。",
    "users list": "列出账号和角色。",
    "project": "招商项目。",
    "project add": "在第一阶段登记新项目（协调员）。",
    "project edit": "修改项目信息；修改记入历史（协调员）。",
    "project list": "列出项目及其阶段、责任单位和预警：搜索、筛选、排序、分页（任意规模，流式输出）。",
    "project show": "显示一个项目：信息、资金、包保领导、预警灯及原因。",
    "project plan": ("倒排工期：由计划投产日期倒推签约、到资、开工日期，显示并作为一次修改记录"
                     "（已有日期保留，除非 --replace）。"),
    "doc": "文件（协调委员会意见、合同、许可等）。",
    "doc add": "记录一份文件（协调员）。",
    "capital": "到位资金。",
    "capital add": "记录一笔到位资金；已签约项目的第一笔资金触发“资金到位”（协调员）。",
    "investment": "完成投资。",
    "investment add": "记录完成投资（协调员）。",
    "followup": "跟进记录（人盯人）。",
    "followup add": "记录一次跟进（协调员，或包保领导跟进自己的项目）。",
    "report": "全县报表：两月一通报、一季一调度、半年一观摩、全年一考评。",
    "report bulletin": "两月一通报：分单位及合计的各阶段项目数、签约数、到位资金、完成投资。",
    "report dispatch": "一季一调度：所有红灯、黄灯项目及其原因、包保领导和责任单位，最严重的在前。",
    "report review": "半年一观摩：期间内开工或投产的项目。",
    "report evaluation": "全年一考评：分单位的目标与完成情况、完成率、得分和排名。",
    "targets": "各单位的年度目标（目标考核）。",
    "targets set": "设置一个单位某年的目标（管理员）；未给出的保持不变，0 表示无目标。",
    "targets list": "列出各单位的目标。",
    "lights": "红黄绿灯的预警阈值。",
    "lights show": "当前生效的阈值、默认值及来源。",
    "lights set": "在数据库中保存预警阈值（管理员）；此后所有预警灯按其计算。",
    "lights reset": "恢复默认阈值（管理员）：全部或指定的几项。",
    "rules": "包保规则：谁包保每个重点项目、谁是第一责任人、谁是专班成员。",
    "rules add": "添加一条规则（管理员）；给出的条件须全部满足，列表条件匹配其中任一值。",
    "rules edit": "保存规则 ID 的新版本（管理员）：给出的选项替换旧值，其余不变。",
    "rules disable": "停用规则 ID（管理员，生成新版本）；已指派的领导保持不变。",
    "rules enable": "重新启用规则 ID（管理员，生成新版本）。",
    "rules list": "按尝试顺序列出规则（当前版本；--all 显示历史）。",
    "rules explain": "用每条规则检查一个项目：各条件结果、上限，以及每项指派来自哪条规则。",
    "rules apply": "按当前规则补齐所有缺少的指派（管理员），从不替换已有人员。",
    "plan": "倒排工期的模板：签约、到资、开工、投产之间的天数。",
    "plan templates": "project plan 倒推日期所用的模板（按行业）。",
    "plan templates list": "所有模板：各节点间的天数及适用行业。",
    "plan templates set": "添加或修改模板（管理员）；未给出的值保持不变。",
    "undo": "撤销本人当天在该项目上的最近一次录入（以更正事件抵销），须无后续录入。",
    "todo": "个人待办：本人承办或升级到本人的督办事项、包保项目的红黄灯原因、近 14 天的计划节点、到期的跟进承诺。",
    "followup list": "跟进记录，可按项目筛选；--due 只列已到期未兑现的跟进承诺。",
    "problem": "问题清单（督办事项）：承办单位、责任人、办理时限、反馈、销号。",
    "problem add": "为项目登记一个问题（协调员、管理员），指定承办单位和办理时限，返回编号。",
    "problem update": "记录问题的办理进展（反馈）。",
    "problem extend": "延长办理时限，须说明原因；只能在到期前申请。",
    "problem close": "问题办结销号，须写明办理结果。",
    "problem reopen": "退回重办，须说明原因。",
    "problem show": "显示一个问题及其全部办理记录和当前督办等级。",
    "problem list": "列出问题（默认未办结的），最紧急的在前；可按单位、项目、是否逾期筛选。",
    "supervision": "督办：升级阶梯和督办函。",
    "supervision letters": "为达到督办等级且尚未发函的问题生成督办函（按年连续编号，记入历史）。",
    "supervision ladder": "督办升级阶梯：提醒、催办、单位负责人、包保县领导、县主要领导。",
    "supervision ladder show": "显示升级阶梯的各项天数和设置。",
    "supervision ladder set": "修改升级阶梯的天数和设置（管理员）。",
    "undo-window": "显示或设置可撤销录入的天数（0 表示仅当天；设置须管理员）。",
    "audit ledger": "设置台账：单位和账号的修改、关账与重开，均带操作人和原因，哈希链保护。",
    "units edit": "修改单位的名称或类型（管理员），记入设置台账。",
    "users edit": "修改账号的角色（管理员）；PostgreSQL 上数据库组随之调整。",
    "users disable": "停用账号的写权限（管理员）：仍可查看，写入退出码 6。",
    "users enable": "恢复已停用账号的写权限（管理员）。",
    "report close": "关账（管理员）：冻结该期各类报表，此后按冻结数据打印；期内录入须补录。",
    "report reopen": "重新打开已关账的期间（管理员），须说明原因。",
    "report diff": "显示补录的数据若计入，将如何改变已关账期间的报表。",
}

# --- option and argument help in Chinese (issue 17) -------------------------------------------------
# Keyed by the option's long name (``--reason``) or the argument's name (``code``): the generic text,
# shared by every command whose English help is the same; a key with the command path in front
# (``"report close --reason"``) overrides it for that command.  ``tests/test_i18n_help.py`` walks the
# whole command tree and fails when a parameter with help has no Chinese, or when two commands with
# different English help would share one generic Chinese text.
_WHY_LEDGER = "原因（记入设置台账）。"
_CODE_EG = "项目编号，如 P-0007。"
_AS_OF_REPORT = "按此日期计算（默认：报告期末与今天中较早者）。"
_UNIT_OF_PERSON = "人员所属单位。"
_UNITS_ANY = "责任单位编号（可重复：满足其一即可）。"
_RULE_NAME = "规则名称，如 矿产项目包保。"
OPTION_HELP_ZH: dict[str, str] = {
    "--db": "SQLAlchemy 地址或 SQLite 文件路径（默认：用户数据目录中的文件）。",
    "--as": "以 LOGIN 身份操作（默认：操作系统用户）；PostgreSQL 上忽略。",
    "--lang": "标签和提示的语言（默认取自 LANG）。",
    "--version": "显示版本并退出。",
    "--help": "显示本帮助并退出。",
    "--install-completion": "为当前 shell 安装命令补全。",
    "--show-completion": "显示当前 shell 的命令补全脚本，可复制或自行安装。",
    "--admin": "使 LOGIN 成为管理员（默认：当前操作人）。",
    "--force": "在已有其他数据表的数据库中添加本程序的数据表。",
    "demo --force": "数据库中已有非演示数据时仍然生成（SQLite 文件先改名为 FILE.bak-时间戳 保存）。",
    "--json": "在标准输出打印一个 JSON 文档，不输出其他内容。",
    "code": "项目编号。",
    "history code": _CODE_EG,
    "project edit code": _CODE_EG,
    "project show code": _CODE_EG,
    "rules explain code": _CODE_EG,
    "units add code": "单位简码，如 XH-TOWN。",
    "units edit code": "单位编号（不可修改）。",
    "--format": "输出格式：csv|md|xlsx|docx|html（默认：表格；xlsx 须配合 --output）。",
    "history --format": "输出格式：csv|md|html（默认：表格）。",
    "audit log --format": "输出格式：csv|md|html（默认：表格）。",
    "workflow diagram --format": "输出格式：mermaid|dot。",
    "supervision letters --format": "输出格式：html|docx。",
    "--output": "将格式化输出写入文件 FILE 而不是标准输出。",
    "supervision letters --output": "督办函写入的目录（不存在时自动创建）。",
    "seq": "要更正的事件（即 pipeline history 中的序号）。",
    "--reason": "原因（--late 补录时必填：说明为何在关账后才录入）。",
    "units edit --reason": _WHY_LEDGER,
    "users edit --reason": _WHY_LEDGER,
    "users disable --reason": _WHY_LEDGER,
    "users enable --reason": _WHY_LEDGER,
    "correct --reason": "错在哪里（必填）。",
    "advance --reason": "原因（不予准入、暂缓、终止时必填）。",
    "reassign --reason": "调整包保的原因（必填）。",
    "undo --reason": "原因（默认：一条标准说明）。",
    "report close --reason": "原因（与关账一同保存）。",
    "report reopen --reason": "原因（必填）。",
    "problem extend --reason": "延期原因。",
    "problem reopen --reason": "退回重办的原因。",
    "--on": "生效日期（默认：今天）；可写 2026-11-29、2026/11/29 或 2026年11月29日。",
    "item": "审核项：industrial_policy（产业政策）|environment（环保）|energy（能耗）|land_use（用地）",
    "result": "审核结果（pass 通过 / fail 不通过）。",
    "--note": "审核说明。",
    "--expect-version": "项目版本不再是 N 时拒绝（退出码 5）。",
    "--late": "补录：日期在已关账期间内的录入；须同时给出 --reason TEXT。",
    "target": "操作（如 sign 签约）或目标阶段（如 signed 已签约）；在终端上省略可从菜单选择。",
    "--yes": "在终端上不再询问确认。",
    "role": "lead_leader（包保县级领导）|first_responsible（第一责任人）|team_member（专班成员）",
    "login": "账号。",
    "people add login": "人员的账号。",
    "people edit login": "人员的账号。",
    "reassign login": "接任该角色的人员。",
    "users add login": "账号（PostgreSQL 上即数据库登录名）。",
    "file": "项目台账：.csv（UTF-8、带 BOM 的 UTF-8、GB18030 或 UTF-16）或 .xlsx 文件。",
    "export file": "写入位置：FILE.csv 或 FILE.xlsx（按扩展名）；- 表示以 CSV 写到标准输出。",
    "workflow validate file": "流程定义文件（TOML）。",
    "--dry-run": "检查每一行并说明将导入什么；不写入任何数据。",
    "project plan --dry-run": "只显示日期，不作记录。",
    "rules apply --dry-run": "只显示将要发生的变化，不写入任何数据。",
    "--allow-duplicates": "导入与已有项目重名（名称、投资方、单位均相同）或与前面某行重复的行。",
    "--sheet": ".xlsx 工作簿中的工作表（默认：第一张）。",
    "--stage": "只显示此阶段的项目。",
    "audit log --stage": "只显示使项目进入或离开此阶段的事件。",
    "project list --stage": "只显示此阶段的项目（键、英文或中文名称）。",
    "--unit": "只显示此单位的项目。",
    "people add --unit": _UNIT_OF_PERSON,
    "people edit --unit": _UNIT_OF_PERSON,
    "rules add --unit": _UNITS_ANY,
    "rules edit --unit": _UNITS_ANY,
    "audit log --unit": "只显示此责任单位的项目。",
    "project add --unit": "责任单位。",
    "project edit --unit": "责任单位。",
    "project list --unit": "只显示此单位的项目（编号或名称）。",
    "problem list --unit": "只显示此单位承办的问题。",
    "--encoding": "CSV 编码：utf-8-sig（带 BOM 的 UTF-8，Excel 可正确显示中文；默认）、utf-8 或 gb18030。",
    "--projects": "项目个数（默认 60；50000 生成用于性能测试的大县）。",
    "--seed": "相同的种子生成相同的县。",
    "--show": "完成后显示项目看板。",
    "--scenario": ("random：按 --projects N 随机生成的县（默认）；"
                   "seed：2022–2026 年讲话稿中的县，其报表数字与讲话完全一致。"),
    "--as-of": "截至此日期（默认：今天）。",
    "report bulletin --as-of": _AS_OF_REPORT,
    "report dispatch --as-of": _AS_OF_REPORT,
    "report review --as-of": _AS_OF_REPORT,
    "report evaluation --as-of": _AS_OF_REPORT,
    "warnings --as-of": "按此日期计算预警灯（默认：今天）。",
    "board --as-of": "显示此日期的项目看板（默认：今天）。",
    "project list --as-of": "按此日期计算预警灯。",
    "project show --as-of": "按此日期计算预警灯。",
    "--search": "只显示名称、投资方或编号包含 TEXT 的项目（不区分大小写、全半角和空格）。",
    "--sort": "按此键排序（前加 - 为降序，如 -investment；light 按红灯在前）。",
    "--limit": "最多显示 N 个项目。",
    "--offset": "跳过前 N 个项目。",
    "--threshold": "本次运行临时覆盖一个预警阈值，如 screening_red_days=12（可重复；见 pipeline lights show）。",
    "--top": "每个阶段显示的最紧急项目数。",
    "days": "pipeline undo 可撤销的天数（0：仅当天）；省略则显示当前值。",
    "--for": "谁的待办（默认：本人）。",
    "--from": "生效日期在此日期或之后的事件。",
    "--to": "生效日期在此日期或之前的事件。",
    "problem extend --to": "新的办理时限。",
    "--actor": "只显示 LOGIN 录入的事件。",
    "--kind": "只显示此类事件（transition 阶段变更、capital 资金到位、correction 更正……）。",
    "units add --kind": "township（乡镇）或 department（部门）。",
    "units edit --kind": "新的类型。",
    "problem add --kind": "问题类型。",
    "--digest": "由 audit checkpoint 输出的摘要：证明其覆盖的内容均未被改动。",
    "--name": "姓名。",
    "rules add --name": _RULE_NAME,
    "rules edit --name": _RULE_NAME,
    "units add --name": "单位全称，如 新华镇。",
    "units edit --name": "新的单位全称。",
    "project add --name": "项目名称。",
    "project edit --name": "项目名称。",
    "--level": "职级。",
    "--title": "职务，如 副县长。",
    "people edit --title": "职务。",
    "--cap": "最多可包保的在办重点项目数。",
    "--no-cap": "取消上限。",
    "--active": "不在任的人员不再被规则选中；已包保的项目保持不变。",
    "--role": "lead_leader（包保县级领导）、first_responsible（第一责任人）或 team_member（专班成员）。",
    "users add --role": "角色。",
    "users edit --role": "新的角色。",
    "--investor": "投资方。",
    "project edit --investor": "投资方。",
    "--industry": "行业（可重复：满足其一即可）。",
    "project add --industry": "行业。",
    "project edit --industry": "行业。",
    "plan templates set --industry": "模板适用的行业（可重复；替换原有列表）。",
    "--investment": "计划总投资，如 6.6亿、5600万元、120000000。",
    "project edit --investment": "计划总投资。",
    "targets set --investment": "完成投资目标，人民币（如 6.6亿）。",
    "--origin": "投资方来源（可重复：满足其一即可）。",
    "project add --origin": "投资方来源。",
    "project edit --origin": "投资方来源。",
    "--category": "项目类别（可重复：满足其一即可）。",
    "project add --category": "类别。",
    "project edit --category": "类别。",
    "--key": "只限重点项目（--key）或只限非重点项目（--no-key）。",
    "project add --key": "手动指定是否重点项目（默认：计划总投资 ≥ 1亿 即为重点项目）。",
    "project edit --key": "手动指定是否重点项目。",
    "--plan": ("计划节点日期：sign=、fund=、break_ground= 或 commission=YYYY-MM-DD"
               "（可重复；也可用 签约=、到资=、开工=、投产=）。"),
    "--allow-duplicate": "即使与已有记录相似（项目名称和投资方相同；或金额、币种和日期相同）也照样记录。",
    "--year-plan": "年度计划投资，人民币，如 2026=8000万（可重复；0 清除该年）。",
    "--leader": "只显示此人包保的项目（账号或姓名）。",
    "--light": "只显示此预警灯（red/yellow/green 或 红/黄/绿）。",
    "--no-pager": "在终端上直接输出，不经分页程序（$PAGER，默认 less -FRX）。",
    "--commission": "计划投产日期，如 2027-12-31 或 2027年12月31日。",
    "--template": "所用模板（默认：按项目行业选择）。",
    "--replace": "替换项目已有的计划日期。",
    "kind": ("文件类型：committee_decision（协调委员会意见）|contract（合同）|planning_permit（规划许可）|"
             "land_use（用地）|eia（环评）|safety_assessment（安全评价）|completion_acceptance（竣工验收）"),
    "number": "文号，如 县招委〔2026〕3号。",
    "amount": "金额，如 5600万、4179万美元（美元）、120000000。",
    "investment add amount": "金额，如 3000万。",
    "--source": "资金来源。",
    "problem add --source": "问题来源。",
    "note": "跟进情况：做了什么、了解到什么。",
    "--contact": "联系人。",
    "--next-step": "承诺的下一步。",
    "--next-on": "承诺的下次跟进日期（过期未跟进即亮黄灯）。",
    "--project": "只显示此项目的跟进记录。",
    "problem list --project": "只显示此项目的问题。",
    "--due": "只显示已到期、尚未兑现的跟进承诺。",
    "problem add --due": "办理时限。",
    "--period": ("报告期：2026（年）、2026-H1（半年）、2026-Q3（季度）或 2026-B2（两个月：B1 = 1–2 月 …… "
                 "B6 = 11–12 月），或同类期间的跨度：2022..2025、2026-B1..2026-B5。"),
    "--report": "要比较的报表（默认：bulletin 两月一通报）。",
    "--from-history": "仅由历史事件计算（按回放重建项目及其记录），不读数据表；供审计交叉核对。",
    "unit": "单位编号。",
    "year": "年度，如 2026。",
    "--signed": "年度签约项目数。",
    "--capital": "到位资金，人民币（如 9亿）。",
    "--foreign": "实际利用外资，美元（如 4179万美元，或 4179万）。",
    "--year": "只显示此年度。",
    "values": "要保存的阈值，如 screening_red_days=12。",
    "supervision ladder set values": "如 unit_head_days=10 deduct_points=2 top_leader=LOGIN",
    "names": "要恢复默认的阈值（默认：全部）。",
    "--person": "规则指派的人员。",
    "problem add --person": "责任人。",
    "--priority": "数字小的先尝试；优先级相同按规则编号。",
    "rules edit --priority": "数字小的先尝试。",
    "--min-investment": "计划总投资不少于 AMOUNT，如 1亿。",
    "--max-investment": "计划总投资不超过 AMOUNT，如 5000万。",
    "rule_id": "规则编号。",
    "rules edit rule_id": "规则编号（见 pipeline rules list）。",
    "--clear": "删除一个条件（key|categories|industries|units|origins|min_investment|max_investment）；可重复。",
    "--all": "每条规则的所有版本（历史）。",
    "problem list --all": "包括已销号的问题。",
    "name": "模板名称，如 energy。",
    "--sign-to-fund": "签约到资金到位的天数。",
    "--fund-to-break-ground": "资金到位到开工的天数。",
    "--break-ground-to-commission": "开工到投产的天数。",
    "text": "问题内容，如 用地指标未落实。",
    "problem update text": "办理进展（反馈）。",
    "--owner": "承办单位。",
    "problem": "问题编号。",
    "--resolution": "办理结果。",
    "--overdue": "只显示已超过办理时限的未办结问题。",
    "--min-level": "从此督办等级起发函（默认：升级阶梯的 letter_min_level，即 2）。",
}


def param_key(param: object) -> str:
    """The catalogue name of a click parameter: its first long option (``--period`` for ``-p/--period``),
    else its first option, or an argument's name (``code``)."""
    if getattr(param, "param_type_name", "") == "argument":
        return str(getattr(param, "name", ""))
    opts = list(getattr(param, "opts", []))
    return next((o for o in opts if o.startswith("--")), opts[0] if opts else str(getattr(param, "name", "")))


def option_help_zh(path: str, param: object) -> tuple[str | None, str]:
    """The Chinese help of ``param`` of the command at ``path`` and the catalogue key it came from:
    the command's own entry (``"report close --reason"``) first, else the generic one (``"--reason"``)."""
    name = param_key(param)
    own = f"{path} {name}".strip()
    if own in OPTION_HELP_ZH:
        return OPTION_HELP_ZH[own], own
    return OPTION_HELP_ZH.get(name), name


def localize_help(cmd: object, lang: str, path: str = "") -> None:
    """Put the Chinese (``zh``) or the original help texts on a click command tree, in place."""
    zh = is_zh(lang)
    if not hasattr(cmd, "_help_en"):
        cmd._help_en = (getattr(cmd, "help", None), getattr(cmd, "short_help", None))  # type: ignore[attr-defined]
    help_en, short_en = cmd._help_en  # type: ignore[attr-defined]
    text = HELP_ZH.get(path) if zh else None
    cmd.help = text or help_en  # type: ignore[attr-defined]
    cmd.short_help = None if text else short_en  # type: ignore[attr-defined]
    for p in getattr(cmd, "params", []):
        if not hasattr(p, "_help_en"):
            p._help_en = getattr(p, "help", None)
        zh_text = option_help_zh(path, p)[0] if zh and p._help_en else None
        if hasattr(p, "help"):
            p.help = zh_text or p._help_en
    for name, sub in getattr(cmd, "commands", {}).items():
        localize_help(sub, lang, f"{path} {name}".strip())

# Workbook sheet names under --lang zh (reports' sections by key).
SHEETS_ZH: dict[str, str] = {
    "figures": "汇总", "stages": "分阶段", "bulletin": "通报", "summary": "分单位汇总", "projects": "项目",
    "ranking": "排名", "details": "明细", "info": "说明", "warnings": "预警项目", "review": "观摩项目",
    "dispatch": "调度项目", "evaluation": "考评", "progress": "序时进度", "progress_category": "分类序时进度",
    "series": "逐期对比", "adjustments": "已关账期间补录", "problems_open": "未办结问题",
    "problems_closed": "已销号问题",
}

# Name columns of the directory listings (not a project's name).
LABELS.update({
    "unit_name_h": ("Name", "单位名称"),
    "person_name_h": ("Name", "姓名"),
})

# --- messages (stderr) in both languages ---------------------------------------------------------------
MESSAGES: dict[str, tuple[str, str]] = {
    "unit_added": ("unit {code} added", "已添加单位 {code}"),
    "person_added": ("person {login} added", "已添加人员 {login}"),
    "person_updated": ("person {login} updated", "已修改人员 {login}"),
    "user_role": ("user {login} is {role}", "账号 {login} 的角色为{role}"),
    "project_registered": ("{code} registered: {name}", "已登记 {code}：{name}"),
    "project_updated": ("{code} updated", "已修改 {code}"),
    "role_now": ("{code}: {role} is now {login}", "{code}：{role}现为 {login}"),
    "nothing_changed": ("nothing changed", "未作更改"),
}
LABELS.update({"pass": ("pass", "通过"), "fail": ("fail", "不通过")})
# Progress bars' phases (stderr, on a terminal).
LABELS.update({
    "phase_check": ("check", "检查"), "phase_register": ("register", "登记"), "phase_apply": ("apply", "执行"),
    "phase_checkpoint": ("checkpoint", "生成校验点"), "phase_verify": ("verify", "校验"),
})


def msg(key: str, lang: str, **values: object) -> str:
    """A message in ``lang`` with ``values`` filled in."""
    en, zh = MESSAGES[key]
    return (zh if is_zh(lang) else en).format(**values)


# --- closed periods (关账) -------------------------------------------------------------------------
LABELS.update({
    "sec_adjustments": ("Adjustments to closed periods", "已关账期间的补录调整"),
    "closed_h": ("Closed", "关账"),
    "closed_v": ("frozen figures of a closed period", "已关账期间的冻结数据"),
    "closed_period_h": ("Closed period", "关账期间"),
    "kind_h": ("Entry", "记录"),
    "effective_h": ("Effective", "生效日期"),
    "amount_h": ("Amount (万)", "金额（万）"),
    "currency_h": ("Currency", "币种"),
    "reason_h": ("Reason", "原因"),
})

# --- problems and supervision (督办) -----------------------------------------------------------------
LABELS.update({
    "sec_problems_open": ("Open problems (督办)", "督办问题（未销号）"),
    "problems_open": ("Open problems", "督办问题"),
    "problem_update": ("problem progress", "问题反馈"),
    "problem_extend": ("problem extended", "问题延期"),
    "problem_close": ("problem closed", "问题销号"),
    "problem_reopen": ("problem reopened", "问题退回重办"),
    "letter": ("supervision letter", "督办函"),
    "sec_problems_closed": ("Problems closed in the period", "本期销号问题"),
    "col_problem": ("Problem", "问题编号"),
    "col_problem_kind": ("Kind", "问题类型"),
    "col_problem_text": ("Problem", "督办事项"),
    "col_owner_unit": ("Owner unit", "承办单位"),
    "col_owner_person": ("Responsible", "责任人"),
    "col_due": ("Due", "办理时限"),
    "col_level": ("Level", "督办等级"),
    "col_overdue_days": ("Days overdue", "逾期天数"),
    "col_status": ("Status", "状态"),
    "col_closed_on": ("Closed", "销号日期"),
    "col_problems_escalated": ("Problems at level ≥2", "督办问题数"),
    "col_problem_deduction": ("Problem deduction", "督办扣分"),
    "col_urgency": ("Urgency", "紧急程度"),
    "col_date": ("Date", "日期"),
    "col_item": ("To do", "待办事项"),
    "col_kind": ("Kind", "类别"),
    "col_addressee": ("Addressee", "督办对象"),
    "col_number": ("Number", "编号"),
    "col_next_on": ("Next follow-up", "下次跟进"),
    "col_next_step": ("Next step", "下一步"),
    "col_contact": ("Contact", "联系人"),
    "col_note": ("Note", "跟进情况"),
    "status_open": ("open", "在办"),
    "status_closed": ("closed", "已销号"),
    "todo_problem": ("problem", "督办问题"),
    "todo_red": ("red", "红灯"),
    "todo_yellow": ("yellow", "黄灯"),
    "todo_plan": ("plan date", "计划节点"),
    "todo_followup": ("promised follow-up", "承诺跟进"),
    "ladder_level": ("Level", "等级"),
    "ladder_when": ("When", "触发条件"),
    "ladder_to": ("Addressed to", "督办对象"),
    "remind_days": ("Reminder: due within (days)", "临期提醒天数"),
    "unit_head_days": ("Level 3 after overdue (days)", "逾期升至单位负责人天数"),
    "county_leader_days": ("Level 4 after overdue (days)", "逾期升至包保县领导天数"),
    "top_leader_days": ("Level 5 after overdue (days)", "逾期升至县主要领导天数"),
    "red_level": ("Project red from level", "项目亮红灯等级"),
    "letter_min_level": ("Letters from level", "发督办函等级"),
    "deduct_min_level": ("Deduct from level", "考评扣分等级"),
    "deduct_points": ("Points deducted each", "每项扣分"),
    "top_leader": ("County's top leader (login)", "县主要领导（登录名）"),
    **{f"problem_kind_{k}": v for k, v in {
        "land": ("land quota", "用地指标"), "energy": ("energy quota", "能耗指标"),
        "environment": ("environmental approval", "环评审批"), "funding": ("funding", "资金"),
        "permit": ("permits", "审批手续"), "power": ("power", "供电"), "water": ("water", "供水"),
        "road": ("roads", "道路"), "other": ("other", "其他")}.items()},
    **{f"level_{n}": v for n, v in {
        0: ("open", "在办"), 1: ("reminder", "提醒"), 2: ("urge the owner unit", "催办"),
        3: ("owner unit's head", "承办单位主要负责人督办"), 4: ("lead county leader", "包保县领导督办"),
        5: ("county's top leader", "县主要领导督办")}.items()},
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


# --- error messages in Chinese (issue 17) -------------------------------------------------------------
# The engine raises its errors in English (``raise NotFound(f"no project {code}")``); under ``--lang zh``
# the command line prints the Chinese of the message, found here by its English template: the f-string
# as written at the raise, each ``{...}`` a field.  A Chinese template uses the same fields (``{code}``);
# ``{field|w}`` also puts a known English word of the value (``disabled``, a role) into Chinese.  A
# value that is itself a message in this catalogue (``write 3 (P-0001 add): no unit 'X'``) is translated
# too.  ``tests/test_i18n_errors.py`` scans workflow/ and cli/ and fails when a message has no entry.
ERRORS: dict[str, str] = {
    "'{actor}' is disabled: it may read but not {what} (an admin may `pipeline users enable {actor}`)":
        "'{actor}' 已停用：可以查看，但不能{what|w}（管理员可执行 `pipeline users enable {actor}` 恢复）",
    "'{txn.actor}' is a leader but not assigned to {proj.code}; leaders add follow-ups on their own projects":
        "'{txn.actor}' 是领导，但不是 {proj.code} 的包保领导；领导只能为自己包保的项目添加跟进记录",
    (
        "--as-of {as_of.isoformat()} lies before the period {period.label} ({period.start.isoformat()} to {period.end"
        ".isoformat()})"
    ):
        (
            "--as-of {as_of.isoformat()} 早于报告期 {period.label}（{period.start.isoformat()} 至 {period.end.isoform"
            "at()}）"
        ),
    "--as-of: {as_of.isoformat()} lies in the future (today is {txn.today.isoformat()})":
        "--as-of：{as_of.isoformat()} 是将来的日期（今天是 {txn.today.isoformat()}）",
    "--cap must be 0 or more": "--cap 须为 0 或更大",
    "--cap must be a whole number, not {cap!r}": "--cap 须为整数，不能是 {cap!r}",
    "--clear: {name!r} is not one of {', '.join(CONDITION_NAMES)}":
        "--clear：{name!r} 不是以下之一：{', '.join(CONDITION_NAMES)}",
    "--db: unknown database URL scheme {scheme!r}; supported: {', '.join(SCHEMES)}, or the path of an SQLite file":
        "--db：未知的数据库地址协议 {scheme!r}；支持：{', '.join(SCHEMES)}，或 SQLite 文件路径",
    "--digest: {digest!r} is not a checkpoint digest (64 hexadecimal characters)":
        "--digest：{digest!r} 不是校验点摘要（应为 64 个十六进制字符）",
    "--due: {due.isoformat()} lies before the problem is opened ({on.isoformat()})":
        "--due：{due.isoformat()} 早于问题登记日期（{on.isoformat()}）",
    "--encoding {encoding}: cannot write {exc.object[exc.start:exc.end]!r}; use utf-8":
        "--encoding {encoding}：无法写入 {exc.object[exc.start:exc.end]!r}；请使用 utf-8",
    "--encoding: {encoding!r} is not one of {', '.join(ENCODINGS)}":
        "--encoding：{encoding!r} 不是以下之一：{', '.join(ENCODINGS)}",
    (
        "--format {fmt} needs --output FILE (a {'workbook' if fmt == 'xlsx' else 'Word document'} cannot go to a term"
        "inal)"
    ):
        "--format {fmt} 须配合 --output FILE（{'workbook' if fmt == 'xlsx' else 'Word document'|w}不能输出到终端）",
    "--format {fmt} writes a report document: use `pipeline report dispatch --format {fmt}`":
        "--format {fmt} 生成的是报告文档：请用 `pipeline report dispatch --format {fmt}`",
    "--format: {fmt!r} is not one of {', '.join(FORMATS)}": "--format：{fmt!r} 不是以下之一：{', '.join(FORMATS)}",
    "--format: {fmt!r} is not one of {', '.join(choices)}": "--format：{fmt!r} 不是以下之一：{', '.join(choices)}",
    "--from {start} lies after --to {end}": "--from {start} 晚于 --to {end}",
    "--investment: the planned investment is in CNY (元)": "--investment：计划总投资以人民币（元）计",
    "--investment: the planned investment is in CNY (元); give e.g. 6.6亿 or 5600万元":
        "--investment：计划总投资以人民币（元）计；请写如 6.6亿 或 5600万元",
    "--json and --format/--output do not go together: choose one": "--json 与 --format/--output 不能同时使用：请选其一",
    "--json reports on a file; with - the CSV itself is the output":
        "--json 用于报告文件导出结果；用 - 时输出的就是 CSV 本身",
    "--key must be yes or no": "--key 须为 yes 或 no",
    "--kind: {kind!r} is not an event kind; one of: {', '.join(KINDS)}":
        "--kind：{kind!r} 不是事件类型；可选：{', '.join(KINDS)}",
    "--kind: {kind!r} is not one of {', '.join(UNIT_KINDS)}": "--kind：{kind!r} 不是以下之一：{', '.join(UNIT_KINDS)}",
    "--lang: {lang!r} is not en or zh": "--lang：{lang!r} 不是 en 或 zh",
    "--late needs --reason TEXT: say why the entry comes after the close":
        "--late 须配合 --reason TEXT：说明为何在关账后才录入",
    "--level: {level!r} is not one of {', '.join(LEVELS)}": "--level：{level!r} 不是以下之一：{', '.join(LEVELS)}",
    "--light: {light!r} is not one of red, yellow, green": "--light：{light!r} 不是 red、yellow、green 之一",
    "--light: {word!r} is not one of red, yellow, green (红, 黄, 绿)":
        "--light：{word!r} 不是 red、yellow、green（红、黄、绿）之一",
    "--limit: must be 0 or more": "--limit：须为 0 或更大",
    "--name is longer than {PROJECT_TEXT_LIMITS['name']} characters":
        "--name 超过 {PROJECT_TEXT_LIMITS['name']} 个字符",
    "--next-on: {promised.isoformat()} lies before the follow-up ({on.isoformat()})":
        "--next-on：{promised.isoformat()} 早于本次跟进日期（{on.isoformat()}）",
    "--offset: must be 0 or more": "--offset：须为 0 或更大",
    "--on: {on.isoformat()} lies before the event it corrects ({target['effective_on']})":
        "--on：{on.isoformat()} 早于被更正事件的日期（{target['effective_on']}）",
    "--on: {on.isoformat()} lies before the problem's last entry ({state['last_on'].isoformat()})":
        "--on：{on.isoformat()} 早于该问题的上一条记录（{state['last_on'].isoformat()}）",
    "--on: {on.isoformat()} lies before {proj.code} was registered ({proj.registered_on.isoformat()})":
        "--on：{on.isoformat()} 早于 {proj.code} 的登记日期（{proj.registered_on.isoformat()}）",
    "--on: {on.isoformat()} lies before {proj.code}'s previous transition ({proj.last_transition_on.isoformat()})":
        "--on：{on.isoformat()} 早于 {proj.code} 上一次阶段变更（{proj.last_transition_on.isoformat()}）",
    "--on: {on.isoformat()} lies in the future (today is {now.isoformat()})":
        "--on：{on.isoformat()} 是将来的日期（今天是 {now.isoformat()}）",
    "--on: {on.isoformat()} lies in the future (today is {today.isoformat()})":
        "--on：{on.isoformat()} 是将来的日期（今天是 {today.isoformat()}）",
    "--output DIR: give the directory the letters are written to": "--output DIR：请给出督办函写入的目录",
    "--output needs --format": "--output 须配合 --format",
    "--output: cannot create {output}: {exc.strerror}": "--output：无法创建 {output}：{exc.strerror}",
    "--output: cannot write {output}: {exc.strerror}": "--output：无法写入 {output}：{exc.strerror}",
    "--output: cannot write {path}: {exc.strerror}": "--output：无法写入 {path}：{exc.strerror}",
    "--output: {output} is a file, not a directory": "--output：{output} 是文件，不是目录",
    "--period {period.label} has not begun (it starts {period.start.isoformat()}, today is {today.isoformat()})":
        "--period {period.label} 尚未开始（开始于 {period.start.isoformat()}，今天是 {today.isoformat()}）",
    (
        "--period {period} is closed: its reports are frozen, so --as-of and --threshold do not apply; `pipeline repo"
        "rt diff {period}` shows what changed since"
    ):
        (
            "--period {period} 已关账：其报表已冻结，--as-of 和 --threshold 不适用；`pipeline report diff {period}` "
            "显示此后的变化"
        ),
    (
        "--plan: unknown milestone {', '.join(sorted(unknown))}; use {', '.join((f'{k}=YYYY-MM-DD' for k in PLAN_FIEL"
        "DS))}"
    ):
        (
            "--plan：未知的计划节点 {', '.join(sorted(unknown))}；请用 {', '.join((f'{k}=YYYY-MM-DD' for k in PLAN_FI"
            "ELDS))}"
        ),
    "--plan: {v!r} is not MILESTONE=YYYY-MM-DD (e.g. sign=2026-06-30)":
        "--plan：{v!r} 不是 节点=YYYY-MM-DD 格式（如 sign=2026-06-30 或 签约=2026-06-30）",
    "--priority must be a whole number, 0 or more (a lower number is tried first)":
        "--priority 须为 0 或更大的整数（数字小的先尝试）",
    "--reason": "--reason",
    "--reason is longer than 4000 characters": "--reason 超过 4000 个字符",
    "--reason is longer than {FREE_TEXT_LIMIT} characters": "--reason 超过 {FREE_TEXT_LIMIT} 个字符",
    "--reason is required: say what was wrong with the event": "--reason 必填：请说明该事件错在哪里",
    "--reason is required: say why the assignment changes": "--reason 必填：请说明调整包保的原因",
    "--reason is required: say why the period is reopened": "--reason 必填：请说明重新打开该期间的原因",
    "--reason must be text, not {type(value).__name__}": "--reason 须为文本，不能是 {type(value).__name__}",
    "--report: {kind!r} is not one of {', '.join(closing.KINDS)}":
        "--report：{kind!r} 不是以下之一：{', '.join(closing.KINDS)}",
    "--role: {role!r} is not one of {', '.join(ASSIGNMENT_ROLES)}":
        "--role：{role!r} 不是以下之一：{', '.join(ASSIGNMENT_ROLES)}",
    "--role: {role!r} is not one of {', '.join(GROUPS)}": "--role：{role!r} 不是以下之一：{', '.join(GROUPS)}",
    "--role: {role!r} is not one of {', '.join(USER_ROLES)}": "--role：{role!r} 不是以下之一：{', '.join(USER_ROLES)}",
    "--scenario: {scenario!r} is not one of random, seed": "--scenario：{scenario!r} 不是 random 或 seed",
    "--sheet applies to .xlsx files only": "--sheet 只适用于 .xlsx 文件",
    "--sheet: no sheet {sheet!r} in {path.name}; sheets: {', '.join(wb.sheetnames)}":
        "--sheet：{path.name} 中没有工作表 {sheet!r}；已有工作表：{', '.join(wb.sheetnames)}",
    "--signed: {signed!r} is not a count of projects (0 or more)": "--signed：{signed!r} 不是项目个数（0 或更大）",
    "--sort: {sort!r} is not one of {', '.join(SORT_KEYS)} (a leading - sorts descending)":
        "--sort：{sort!r} 不是以下之一：{', '.join(SORT_KEYS)}（前加 - 为降序）",
    "--template: no template {name!r}; known: {', '.join(known)}":
        "--template：没有模板 {name!r}；已有：{', '.join(known)}",
    "--threshold: {item!r} is not NAME=DAYS (e.g. screening_red_days=12)":
        "--threshold：{item!r} 不是 名称=天数 格式（如 screening_red_days=12）",
    "--threshold: {name} must be a whole number, not {value!r}": "--threshold：{name} 须为整数，不能是 {value!r}",
    "--to: give the new due date": "--to：请给出新的办理时限",
    "--to: {due.isoformat()} does not move the due date ({state['due'].isoformat()}) later":
        "--to：{due.isoformat()} 没有把办理时限（{state['due'].isoformat()}）往后延",
    "--top must be 0 or more": "--top 须为 0 或更大",
    "--year-plan: year {year} lies outside {lo}–{hi}": "--year-plan：年度 {year} 不在 {lo}–{hi} 之间",
    "--year-plan: {year!r} is not a year; use YEAR=AMOUNT (e.g. 2026=8000万)":
        "--year-plan：{year!r} 不是年份；请用 年份=金额（如 2026=8000万）",
    "--{gap.replace('_', '-')}: a whole number of days from 0 to 3650, not {v!r}":
        "--{gap.replace('_', '-')}：须为 0 到 3650 之间的整数天数，不能是 {v!r}",
    "--{name} is longer than {NAME_LIMIT} characters": "--{name} 超过 {NAME_LIMIT} 个字符",
    "--{name}: an empty value is not a condition": "--{name}：空值不能作为条件",
    "--{name}: the target is in {currency}, got {money.currency} ({hint})":
        "--{name}：该目标以 {currency} 计，给出的是 {money.currency}（{hint}）",
    (
        "AMOUNT: the project's {what} would reach {total + amount_minor:,} minor units, past the limit of {MAX_MINOR:"
        ",} (its total now: {total:,})"
    ):
        (
            "AMOUNT：项目的{what|w}将达到 {total + amount_minor:,}（以分计），超过上限 {MAX_MINOR:,}（目前合计：{tota"
            "l:,}）"
        ),
    "FILE: cannot write {path}: {exc.strerror}": "FILE：无法写入 {path}：{exc.strerror}",
    "FILE: {file!r} must end in .csv or .xlsx (or be - for CSV on stdout)":
        "FILE：{file!r} 须以 .csv 或 .xlsx 结尾（或用 - 表示以 CSV 写到标准输出）",
    "FILE: {file} does not exist": "FILE：{file} 不存在",
    (
        "FILE: {path.name} expands to {total:,} bytes, past the limit of {XLSX_MAX_UNCOMPRESSED:,}; split it or save "
        "it as CSV"
    ):
        "FILE：{path.name} 解压后有 {total:,} 字节，超过上限 {XLSX_MAX_UNCOMPRESSED:,}；请拆分或另存为 CSV",
    "FILE: {path.name} is an old Excel .xls workbook; save it as .xlsx or CSV and import that":
        "FILE：{path.name} 是旧版 Excel .xls 工作簿；请另存为 .xlsx 或 CSV 后再导入",
    "FILE: {path.name} is not a readable .xlsx workbook ({exc})":
        "FILE：{path.name} 不是可读取的 .xlsx 工作簿（{exc}）",
    (
        "FILE: {path.name}: its part {clip(i.filename)} is compressed {i.file_size // max(i.compress_size, 1):,} to 1"
        ", past the limit of {XLSX_MAX_RATIO} to 1 (a workbook that would expand far beyond its size is not read)"
    ):
        (
            "FILE：{path.name}：其中 {clip(i.filename)} 的压缩比为 {i.file_size // max(i.compress_size, 1):,} 比 1，"
            "超过上限 {XLSX_MAX_RATIO} 比 1（解压后远大于文件本身的工作簿不予读取）"
        ),
    "FILE: {path.name}: unknown file type {suffix or '(none)'}; import .csv or .xlsx":
        "FILE：{path.name}：未知的文件类型 {suffix or '(none)'}；请导入 .csv 或 .xlsx",
    "FILE: {path} does not exist": "FILE：{path} 不存在",
    "FILE: {path} is a directory": "FILE：{path} 是目录",
    "PIPELINE_BUSY_TIMEOUT={value!r} is not a number of seconds": "PIPELINE_BUSY_TIMEOUT={value!r} 不是秒数",
    "PIPELINE_BUSY_TIMEOUT={value!r} must lie between 0 and 86400 seconds":
        "PIPELINE_BUSY_TIMEOUT={value!r} 须在 0 到 86400 秒之间",
    "PIPELINE_TZ={tz!r} is not a known time zone (e.g. Asia/Shanghai)":
        "PIPELINE_TZ={tz!r} 不是已知的时区（如 Asia/Shanghai）",
    "SEQ must be a whole number, not {seq!r}": "SEQ 须为整数，不能是 {seq!r}",
    "YEAR: {year!r} is not a year between 2000 and 2100": "YEAR：{year!r} 不是 2000 到 2100 之间的年份",
    "a new template needs {', '.join(('--' + m.replace('_', '-') for m in missing))}":
        "新模板须给出 {', '.join(('--' + m.replace('_', '-') for m in missing))}",
    "a span holds at most {SPAN_LIMIT} periods": "一个区间最多包含 {SPAN_LIMIT} 个报告期",
    "a template needs a name of at most 40 characters": "模板名称不能超过 40 个字符",
    "cannot connect to the database {_where()}: {text}": "无法连接数据库 {_where()}：{text}",
    "cannot edit {', '.join(sorted(unknown))}": "不能修改 {', '.join(sorted(unknown))}",
    (
        "cannot move from stage {self._named(current)} to {self._named(self._stages[target])}; {self._open_text(stage"
        ", held_from)}"
    ):
        (
            "不能从阶段 {self._named(current)} 变更到 {self._named(self._stages[target])}；{self._open_text(stage, he"
            "ld_from)}"
        ),
    "cannot open the database {_where()}: {text} (does its folder exist?)":
        "无法打开数据库 {_where()}：{text}（所在文件夹是否存在？）",
    "cannot read workflow definition {origin}: {err.strerror or err}":
        "无法读取流程定义 {origin}：{err.strerror or err}",
    "cannot use the database {_where()}: {text}": "无法使用数据库 {_where()}：{text}",
    "cannot {trigger} from stage {named}: it is a final stage, there is no way out":
        "不能在阶段 {named} 执行 {trigger}：这是最终阶段，无法再变更",
    "cannot {trigger} from stage {named}: it was held from {held_from!r}, a stage it cannot return to":
        "不能在阶段 {named} 执行 {trigger}：项目暂缓前处于 {held_from!r}，无法回到该阶段",
    "cannot {trigger} from stage {named}: no held-from stage is recorded":
        "不能在阶段 {named} 执行 {trigger}：没有记录暂缓前的阶段",
    "cannot {trigger} from stage {named}; open triggers from here: {listed}":
        "不能在阶段 {named} 执行 {trigger}；此阶段可执行的操作：{listed}",
    "cannot {trigger} from stage {self._named(current)}; {self._open_text(stage, held_from)}":
        "不能在阶段 {self._named(current)} 执行 {trigger}；{self._open_text(stage, held_from)}",
    "control character {escape_char(bad)}": "含有控制字符 {escape_char(bad)}",
    "currency {value!r} is not one of {', '.join(CURRENCIES)}": "币种 {value!r} 不是以下之一：{', '.join(CURRENCIES)}",
    "entries were recorded while {period.label} was being closed; nothing was written; retry":
        "关账 {period.label} 期间有新的录入；未写入任何数据；请重试",
    "event {seq} of {code} has no stage before it to return to": "{code} 的事件 {seq} 之前没有可返回的阶段",
    (
        "event {seq} of {code} is a correction that moved no stage; there is nothing to undo (record the right value "
        "again instead)"
    ):
        "{code} 的事件 {seq} 是未改变阶段的更正；没有可撤销的内容（请重新录入正确的值）",
    "event {seq} of {code} is not its latest stage change; correct event {later[-1]} first":
        "{code} 的事件 {seq} 不是最近一次阶段变更；请先更正事件 {later[-1]}",
    "event {seq} of {code} was already corrected by event {done[0]}": "{code} 的事件 {seq} 已被事件 {done[0]} 更正",
    "give --cap N or --no-cap, not both": "--cap N 与 --no-cap 只能给出其一",
    "give --name or --kind (or both)": "请给出 --name 或 --kind（或两者）",
    "give at least one NAME=DAYS (see `pipeline lights show`)": "请至少给出一个 名称=天数（见 `pipeline lights show`）",
    "give at least one NAME=VALUE (see `pipeline supervision ladder show`)":
        "请至少给出一个 名称=值（见 `pipeline supervision ladder show`）",
    "give at least one of --sign-to-fund, --fund-to-break-ground, --break-ground-to-commission, --industry":
        "请至少给出 --sign-to-fund、--fund-to-break-ground、--break-ground-to-commission、--industry 之一",
    (
        "history failed verification ({failures.total} problems); no checkpoint was taken — run `pipeline audit verif"
        "y` for the list"
    ):
        "历史校验未通过（{failures.total} 个问题）；未生成校验点——运行 `pipeline audit verify` 查看清单",
    (
        "history failed verification: {report['failures_total']} problem(s) in {report['projects']} projects, {report"
        "['events']} events; nothing was changed"
    ):
        (
            "历史校验未通过：{report['projects']} 个项目、{report['events']} 条记录中有 {report['failures_total']} 个"
            "问题；未作任何更改"
        ),
    "invalid workflow definition {name or '?'}: {len(problems.items)} problem(s)":
        "流程定义 {name or '?'} 无效：{len(problems.items)} 个问题",
    "known guards: {', '.join(known_guard_names())}": "已有的条件：{', '.join(known_guard_names())}",
    "known items: {known}": "已有的审核项：{known}",
    "known kinds: {known}": "已有的文件类型：{known}",
    "known stages: {', '.join(self.stage_keys)}": "已有的阶段：{', '.join(self.stage_keys)}",
    "known triggers: {', '.join(self.triggers)}": "已有的操作：{', '.join(self.triggers)}",
    "known: {DEFAULT_NAME} v{DEFAULT_VERSION}": "已有：{DEFAULT_NAME} v{DEFAULT_VERSION}",
    "ladder setting {key} must be a whole number, not {value!r}": "升级阶梯设置 {key} 须为整数，不能是 {value!r}",
    "ladder setting {key} must not be negative, got {value}": "升级阶梯设置 {key} 不能为负数，给出的是 {value}",
    "ladder setting {name} must be a level from 0 to 5, got {getattr(ladder, name)}":
        "升级阶梯设置 {name} 须为 0 到 5 之间的等级，给出的是 {getattr(ladder, name)}",
    (
        "ladder settings must rise: unit_head_days ≤ county_leader_days ≤ top_leader_days (got {ladder.unit_head_days"
        "}, {ladder.county_leader_days}, {ladder.top_leader_days})"
    ):
        (
            "升级阶梯须逐级递增：unit_head_days ≤ county_leader_days ≤ top_leader_days（给出的是 {ladder.unit_head_da"
            "ys}、{ladder.county_leader_days}、{ladder.top_leader_days}）"
        ),
    "more than one trigger leads from {stage} to {target} ({names}); name the trigger":
        "从 {stage} 到 {target} 有多个操作（{names}）；请指明操作",
    "name the transition: `pipeline advance {code} TRIGGER_OR_STAGE` (or run on a terminal to choose)":
        "请指明操作：`pipeline advance {code} 操作或目标阶段`（或在终端上运行以从菜单选择）",
    "no data rows": "没有数据行",
    "no period after {self.label}": "{self.label} 之后没有报告期",
    "no period before {self.label}": "{self.label} 之前没有报告期",
    "no person or user {login!r}": "没有人员或账号 {login!r}",
    "no person {login!r}": "没有人员 {login!r}",
    "no person {login!r}; add them with `pipeline people add`": "没有人员 {login!r}；请用 `pipeline people add` 添加",
    "no person {owner_person!r}; add one with `pipeline people add`":
        "没有人员 {owner_person!r}；请用 `pipeline people add` 添加",
    "no problem {problem_id}": "没有问题 {problem_id}",
    "no problem {problem}": "没有问题 {problem}",
    "no project {', '.join(missing[:5])}": "没有项目 {', '.join(missing[:5])}",
    "no project {', '.join(missing[:5])} …": "没有项目 {', '.join(missing[:5])} …",
    "no project {code}": "没有项目 {code}",
    "no project {code}; did you mean {listed}?": "没有项目 {code}；是否要找：{listed}？",
    "no project {project}": "没有项目 {project}",
    "no rule {rule_id}; see `pipeline rules list`": "没有规则 {rule_id}；见 `pipeline rules list`",
    "no unit {code!r}": "没有单位 {code!r}",
    "no unit {fields.unit_code!r}": "没有单位 {fields.unit_code!r}",
    "no unit {text!r}; known units: {known} (add one with `pipeline units add`)":
        "没有单位 {text!r}；已有单位：{known}（用 `pipeline units add` 添加）",
    "no unit {unit!r}": "没有单位 {unit!r}",
    "no unit {unit!r}; add one with `pipeline units add`": "没有单位 {unit!r}；请用 `pipeline units add` 添加",
    "no unit {unit!r}; known units: {', '.join(known)}": "没有单位 {unit!r}；已有单位：{', '.join(known)}",
    "no user {login!r}; add it with `pipeline users add`": "没有账号 {login!r}；请用 `pipeline users add` 添加",
    "not a report period: {text!r}; accepted forms: {_FORMS_TEXT['en']}":
        "无法识别的报告期：{text!r}；可接受的格式：{_FORMS_TEXT['en']}",
    "not readable as CSV ({exc})": "无法按 CSV 读取（{exc}）",
    "not {encoding} text": "不是 {encoding} 编码的文本",
    "nothing to change on rule {rule_id}: give at least one new value":
        "规则 {rule_id} 没有需要修改的内容：请至少给出一个新值",
    "nothing to change on unit {code}: give a new value": "单位 {code} 没有需要修改的内容：请给出新值",
    "nothing to change on {proj.code}: give at least one new value":
        "{proj.code} 没有需要修改的内容：请至少给出一个新值",
    "nothing to change: give at least one option (see `pipeline people edit -h`)":
        "没有需要修改的内容：请至少给出一个选项（见 `pipeline people edit -h`）",
    "nothing to change: give at least one option (see `pipeline project edit -h`)":
        "没有需要修改的内容：请至少给出一个选项（见 `pipeline project edit -h`）",
    "nothing to set: give at least one of --signed, --capital, --foreign, --investment":
        "没有需要设置的内容：请至少给出 --signed、--capital、--foreign、--investment 之一",
    "one of: {', '.join(DIAGRAM_FORMATS)}": "可选：{', '.join(DIAGRAM_FORMATS)}",
    "one of: {names}": "可选：{names}",
    "period {period.label} has no {kind} report": "报告期 {period.label} 没有{kind|w}报表",
    "period {period.label} has not ended (it ends {period.end.isoformat()}); close it afterwards":
        "报告期 {period.label} 尚未结束（结束于 {period.end.isoformat()}）；请在此后关账",
    "period {period.label} is already closed": "报告期 {period.label} 已关账",
    "period {period.label} is not closed": "报告期 {period.label} 未关账",
    "period {period.label} is not closed; there is nothing to compare":
        "报告期 {period.label} 未关账；没有可比较的内容",
    "person {login!r} already exists": "人员 {login!r} 已存在",
    "problem {problem_id} was not yet opened on {as_of.isoformat()}":
        "问题 {problem_id} 在 {as_of.isoformat()} 尚未登记",
    "problem {problem} is closed (on {state['closed_on'].isoformat()}); reopen it first":
        "问题 {problem} 已于 {state['closed_on'].isoformat()} 销号；请先退回重办",
    "problem {problem} is not a problem of {proj.code}": "问题 {problem} 不属于项目 {proj.code}",
    "problem {problem} is open; only a closed problem can be reopened":
        "问题 {problem} 尚未办结；只有已销号的问题才能退回重办",
    (
        "problem {problem} was due on {state['due'].isoformat()}; an extension must be granted by its due date, not o"
        "n {on.isoformat()}"
    ):
        "问题 {problem} 的办理时限是 {state['due'].isoformat()}；延期须在到期前申请，不能在 {on.isoformat()}",
    "registered_on: {registered.isoformat()} lies in the future (today is {today.isoformat()})":
        "registered_on：{registered.isoformat()} 是将来的日期（今天是 {today.isoformat()}）",
    "rule {rule.id} v{rule.version} was saved by someone else first; nothing was written; retry":
        "规则 {rule.id} v{rule.version} 已被他人先保存；未写入任何数据；请重试",
    "rule {rule_id} was changed by someone else; nothing was written; retry":
        "规则 {rule_id} 已被他人修改；未写入任何数据；请重试",
    "setting {key} = {value!r} is not a whole number of days; fix it with `pipeline lights set`":
        "设置 {key} = {value!r} 不是整数天数；请用 `pipeline lights set` 修正",
    "setting {key} = {value!r} is not a whole number; fix it with `pipeline supervision ladder set`":
        "设置 {key} = {value!r} 不是整数；请用 `pipeline supervision ladder set` 修正",
    "setting {key} is not a valid plan template; set it again with `pipeline plan templates set`":
        "设置 {key} 不是有效的倒排工期模板；请用 `pipeline plan templates set` 重新设置",
    "someone else changed the data first; nothing was written; retry ({text})":
        "他人已先修改了数据；未写入任何数据；请重试（{text}）",
    (
        "the database has an admin already; only an admin may make {login!r} admin (use `pipeline users add {login} -"
        "-role admin` as an admin)"
    ):
        (
            "数据库已有管理员；只有管理员才能使 {login!r} 成为管理员（请由管理员执行 `pipeline users add {login} --ro"
            "le admin`）"
        ),
    "the database is busy: another program has held it for {held:g} s; nothing was written; retry when it is done":
        "数据库忙：另一个程序已占用 {held:g} 秒；未写入任何数据；请在其完成后重试",
    (
        "the database login lacks the {privilege} privilege{target} ({text}); ask the database owner to grant it (`pi"
        "peline init` as the owner sets the grants up)"
    ):
        (
            "数据库账号缺少 {privilege} 权限{target}（{text}）；请数据库所有者授权（由所有者执行 `pipeline init` "
            "即可设置授权）"
        ),
    "the database refused the change: {text}": "数据库拒绝了此更改：{text}",
    (
        "the database refused to make {login!r} a {role} login: {reason}; a pipeline admin's login may manage plain l"
        "ogins only (the database owner runs `pipeline init` to set this up)"
    ):
        (
            "数据库拒绝将 {login!r} 设为 {role|w} 账号：{reason}；本程序的管理员账号只能管理普通账号（请数据库所有者"
            "执行 `pipeline init` 进行设置）"
        ),
    (
        "the database role {group} does not exist and {me['name']!r} may not create roles; run `pipeline init` once a"
        "s the database owner"
    ):
        "数据库角色 {group} 不存在，且 {me['name']!r} 无权创建角色；请由数据库所有者执行一次 `pipeline init`",
    "the database stayed busy with writes; the checkpoint was not taken; retry":
        "数据库一直忙于写入；未生成校验点；请重试",
    (
        "the database {_where()} is read-only for this user (no write permission on the file or its folder): reading "
        "works; changes need write access"
    ):
        "当前用户对数据库 {_where()} 只有只读权限（文件或其所在文件夹不可写）：可以查看；修改须有写权限",
    (
        "the database {safe_url(engine)} already holds {len(others)} other table(s) ({listing(others, 10)}): it is no"
        "t a pipeline database; choose another file, or give --force to add the pipeline's tables to it"
    ):
        (
            "数据库 {safe_url(engine)} 已有 {len(others)} 个其他数据表（{listing(others, 10)}）：不是本程序的数据库；"
            "请另选文件，或加 --force 在其中添加本程序的数据表"
        ),
    (
        "the database {safe_url(engine)} holds {found['projects']} projects, {found['units']} units and {found['peopl"
        "e']} people that are not a demo's; refusing to touch it. Give --force to move it aside and build the demo, o"
        "r --db FILE for another database"
    ):
        (
            "数据库 {safe_url(engine)} 中有 {found['projects']} 个项目、{found['units']} 个单位和 {found['people']} "
            "名人员不是演示数据；拒绝改动。加 --force 可先将其移到一旁再生成演示数据，或用 --db FILE 指定另一个数据库"
        ),
    "the demo rebuilds only an SQLite file; on a server database it needs an empty database":
        "演示数据只能重建 SQLite 文件；在服务器数据库上须使用空数据库",
    (
        "the file is neither UTF-8 nor GB18030 (GBK) text (bad byte at offset {at}); save it from Excel as CSV UTF-8 "
        "or as .xlsx"
    ):
        (
            "该文件既不是 UTF-8 也不是 GB18030（GBK）文本（偏移 {at} 处有无效字节）；请在 Excel 中另存为“CSV UTF-8”或"
            " .xlsx"
        ),
    "the file starts with a {label} byte-order mark but is not {label} text (bad byte at offset {at})":
        "该文件以 {label} 字节顺序标记开头，但不是 {label} 文本（偏移 {at} 处有无效字节）",
    "the project is already at stage {self._named(current)}": "项目已处于阶段 {self._named(current)}",
    "the seed scenario is dated up to January 2026; today is {today.isoformat()}":
        "种子场景的数据截至 2026 年 1 月；今天是 {today.isoformat()}",
    "the undo window must be a whole number of days from 0 to 366, not {days!r}":
        "撤销期限须为 0 到 366 之间的整数天数，不能是 {days!r}",
    "top_leader: no person {login!r}; add one with `pipeline people add`":
        "top_leader：没有人员 {login!r}；请用 `pipeline people add` 添加",
    "unit {code!r} already exists": "单位 {code!r} 已存在",
    "unknown batch action {op.action!r}; known: {', '.join(BATCH_COMMANDS)}":
        "未知的批量操作 {op.action!r}；已有：{', '.join(BATCH_COMMANDS)}",
    "unknown check item {key!r}; known items: {known}": "未知的审核项 {key!r}；已有的审核项：{known}",
    "unknown diagram format {fmt!r}; one of: {', '.join(DIAGRAM_FORMATS)}":
        "未知的图形格式 {fmt!r}；可选：{', '.join(DIAGRAM_FORMATS)}",
    "unknown document kind {key!r}; known kinds: {known}": "未知的文件类型 {key!r}；已有的文件类型：{known}",
    "unknown field(s) {', '.join(sorted(set(row) - _IMPORT_KEYS))}":
        "未知的字段 {', '.join(sorted(set(row) - _IMPORT_KEYS))}",
    "unknown guard {name!r}": "未知的条件 {name!r}",
    "unknown label kind {of!r}; one of: {', '.join(getters)}": "未知的标签类型 {of!r}；可选：{', '.join(getters)}",
    "unknown ladder setting(s): {', '.join(map(str, unknown))}; known: {', '.join(known)}":
        "未知的升级阶梯设置：{', '.join(map(str, unknown))}；已有：{', '.join(known)}",
    "unknown milestone {milestone!r}; known: {', '.join(MILESTONES)}":
        "未知的计划节点 {milestone!r}；已有：{', '.join(MILESTONES)}",
    "unknown stage {key!r}; known stages: {', '.join(self.stage_keys)}":
        "未知的阶段 {key!r}；已有的阶段：{', '.join(self.stage_keys)}",
    "unknown trigger or stage {word!r}; triggers: {', '.join(self.triggers)}; stages: {', '.join(self.stage_keys)}":
        "无法识别的操作或阶段 {word!r}；操作：{', '.join(self.triggers)}；阶段：{', '.join(self.stage_keys)}",
    "unknown trigger {trigger!r}; known triggers: {', '.join(self.triggers)}":
        "未知的操作 {trigger!r}；已有的操作：{', '.join(self.triggers)}",
    "unknown warning threshold(s): {', '.join(map(str, unknown))}; known: {', '.join(known)}":
        "未知的预警阈值：{', '.join(map(str, unknown))}；已有：{', '.join(known)}",
    "unknown warning threshold(s): {', '.join(unknown)}; known: {', '.join(known)}":
        "未知的预警阈值：{', '.join(unknown)}；已有：{', '.join(known)}",
    "unknown workflow {name!r} version {version!r}; known: {DEFAULT_NAME} v{DEFAULT_VERSION}":
        "未知的流程 {name!r} 版本 {version!r}；已有：{DEFAULT_NAME} v{DEFAULT_VERSION}",
    "user {login!r} already exists": "账号 {login!r} 已存在",
    (
        "warning threshold progress_red_ratio_pct ({t.progress_red_ratio_pct}) must not exceed progress_yellow_ratio_"
        "pct ({t.progress_yellow_ratio_pct})"
    ):
        (
            "预警阈值 progress_red_ratio_pct（{t.progress_red_ratio_pct}）不能大于 progress_yellow_ratio_pct（{t.prog"
            "ress_yellow_ratio_pct}）"
        ),
    "warning threshold {key} is a switch: 0 or 1, not {value}": "预警阈值 {key} 是开关：只能为 0 或 1，不能是 {value}",
    "warning threshold {key} must be a whole number, not {value!r}": "预警阈值 {key} 须为整数，不能是 {value!r}",
    "warning threshold {key} must not be negative, got {value}": "预警阈值 {key} 不能为负数，给出的是 {value}",
    "warning threshold {yellow} ({getattr(t, yellow)}) must not exceed {red} ({getattr(t, red)})":
        "预警阈值 {yellow}（{getattr(t, yellow)}）不能大于 {red}（{getattr(t, red)}）",
    "workflow definition {origin} is not UTF-8": "流程定义 {origin} 不是 UTF-8 编码",
    "workflow definition {origin} is not valid TOML: {err}": "流程定义 {origin} 不是有效的 TOML：{err}",
    "write {n} ({op.code} {op.action}): {exc}": "第 {n} 条写入（{op.code} {op.action}）：{exc}",
    (
        "{_where()} is not a pipeline database or is damaged ({text}); give the path of a pipeline database, or resto"
        "re it from a backup"
    ):
        "{_where()} 不是本程序的数据库或已损坏（{text}）；请给出本程序数据库的路径，或从备份恢复",
    (
        "{code} ({other_name} / {other_investor}, stage {stage}) has the same name and investor; give --allow-duplica"
        "te if this is a different project"
    ):
        (
            "{code}（{other_name} / {other_investor}，阶段 {stage}）的名称和投资方相同；如确是另一个项目，请加 --allo"
            "w-duplicate"
        ),
    "{code} has no event {seq} (its events are 1 to {len(events)})":
        "{code} 没有事件 {seq}（其事件为 1 到 {len(events)}）",
    (
        "{code} was changed by someone else (version {proj.version}, expected {expect_version}); nothing was written;"
        " re-read and retry"
    ):
        "{code} 已被他人修改（版本 {proj.version}，预期 {expect_version}）；未写入任何数据；请重新查看后重试",
    (
        "{code}: the latest entry (event {latest[0]['seq']}) is {latest[0]['actor']}'s, not yours; you may undo only "
        "your own entries (an admin may `correct` it)"
    ):
        (
            "{code}：最近一条录入（事件 {latest[0]['seq']}）是 {latest[0]['actor']} 的，不是您的；只能撤销自己的录入"
            "（管理员可用 `correct` 更正）"
        ),
    (
        "{code}: your latest entry (event {mine[-1][0]['seq']}) is not the project's latest: {latest[0]['actor']} rec"
        "orded event {latest[0]['seq']} after it; ask an admin to correct it"
    ):
        (
            "{code}：您最近的录入（事件 {mine[-1][0]['seq']}）不是该项目最近的录入：{latest[0]['actor']} 在其后录入了"
            "事件 {latest[0]['seq']}；请管理员更正"
        ),
    "{code}: your latest entry (events {_span(seqs)}) is a correction or an undo; there is nothing of yours to undo":
        "{code}：您最近的录入（事件 {_span(seqs)}）是更正或撤销；没有可撤销的录入",
    (
        "{code}: your latest entry (events {_span(seqs)}) was recorded on {clock.local_date(recorded).isoformat()}, o"
        "utside the undo window ({window}); ask an admin to correct it"
    ):
        (
            "{code}：您最近的录入（事件 {_span(seqs)}）录入于 {clock.local_date(recorded).isoformat()}，已超出可撤销"
            "期限（{window}）；请管理员更正"
        ),
    (
        "{code}: your latest entry registered the project; a registration is not undone (withdraw it: `pipeline advan"
        "ce {code} withdraw --reason ...`)"
    ):
        "{code}：您最近的录入是项目登记；登记不能撤销（请终止项目：`pipeline advance {code} withdraw --reason ...`）",
    "{code}: your latest entry was already corrected": "{code}：您最近的录入已被更正",
    "{field}: {day.isoformat()} lies in the future (today is {now.isoformat()})":
        "{field}：{day.isoformat()} 是将来的日期（今天是 {now.isoformat()}）",
    "{field}: {parsed.isoformat()} lies outside the dates accepted, {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()}":
        "{field}：{parsed.isoformat()} 不在可接受的日期范围 {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()} 内",
    "{field}: {value!r} is not a date; use YYYY-MM-DD (e.g. 2026-03-31, or 2026/3/31, 2026年3月31日)":
        "{field}：{value!r} 不是日期；请用 YYYY-MM-DD（如 2026-03-31，或 2026/3/31、2026年3月31日）",
    "{file.name}: no data rows under the header (line {table.header_line}); nothing was imported":
        "{file.name}：表头（第 {table.header_line} 行）下没有数据行；未导入任何项目",
    "{item!r} is not NAME=VALUE (e.g. unit_head_days=10)": "{item!r} 不是 名称=值 格式（如 unit_head_days=10）",
    "{len(problems)} of {n} rows refused; nothing was imported": "{n} 行中有 {len(problems)} 行被拒绝；未导入任何项目",
    "{login!r} already has the role {role}": "{login!r} 的角色已是 {role|w}",
    "{login!r} already holds {role} on {proj.code}": "{login!r} 已是 {proj.code} 的{role|w}",
    "{login!r} cannot be a PostgreSQL login name": "{login!r} 不能作为 PostgreSQL 登录名",
    "{login!r} is a database role of the pipeline itself (or a reserved name); it cannot be a user's login":
        "{login!r} 是本程序自身的数据库角色（或保留名称）；不能作为用户账号",
    "{login!r} is a superuser; the pipeline does not manage it": "{login!r} 是超级用户；本程序不管理该账号",
    "{login!r} is already {'disabled' if disabled else 'enabled'}":
        "{login!r} 已经是{'disabled' if disabled else 'enabled'|w}状态",
    "{login!r} is the last admin; make another login admin first":
        "{login!r} 是最后一个管理员；请先使另一个账号成为管理员",
    "{login!r} is the last enabled admin; it cannot be disabled": "{login!r} 是最后一个在用的管理员；不能停用",
    "{login!r} is {level} level; a lead leader must be county level":
        "{login!r} 的级别为 {level|w}；包保县级领导须为县级",
    "{name} must be a whole number, not {value!r}": "{name} 须为整数，不能是 {value!r}",
    "{name} must be an amount of 0 or more": "{name} 须为 0 或更大的金额",
    "{option}: planned investment is in CNY (元); give e.g. 1亿 or 5000万元":
        "{option}：计划总投资以人民币（元）计；请写如 1亿 或 5000万元",
    (
        "{proj.code}: the same {kind} entry ({amount_minor} minor units {currency} on {on.isoformat()}) was recorded "
        "as event {seq} at {format_utc(recorded)}; give --allow-duplicate if this is a second, separate entry"
    ):
        (
            "{proj.code}：同样的{kind|w}记录（{amount_minor} 分 {currency}，{on.isoformat()}）已于 {format_utc(record"
            "ed)} 作为事件 {seq} 录入；如确是另一笔，请加 --allow-duplicate"
        ),
    "{proj.code}: {transition.trigger} refused: {reasons}": "{proj.code}：操作 {transition.trigger} 被拒绝：{reasons}",
    "{project_code(code)} was changed by someone else; nothing was written; retry":
        "{project_code(code)} 已被他人修改；未写入任何数据；请重试",
    "{source}: line {line}: not readable as CSV ({exc})": "{source}：第 {line} 行：无法按 CSV 读取（{exc}）",
    "{source}: line {line}: not {encoding} text ({exc.reason})":
        "{source}：第 {line} 行：不是 {encoding} 编码的文本（{exc.reason}）",
    (
        "{source}: the file is empty; the first row must hold the headers ({', '.join((c.zh for c in COLUMNS if c.req"
        "uired))} …)"
    ):
        "{source}：文件为空；第一行须为表头（{', '.join((c.zh for c in COLUMNS if c.required))} …）",
    (
        "{what} dated {on.isoformat()} falls in the closed period {label}; its reports are frozen. Record it as a lat"
        "e entry (补录) with --late --reason TEXT, or ask an admin to `pipeline report reopen {label}`"
    ):
        (
            "日期为 {on.isoformat()} 的{what}落在已关账期间 {label} 内，该期报表已冻结。请用 --late --reason TEXT "
            "作为补录记录，或请管理员执行 `pipeline report reopen {label}`"
        ),
    "{what} holds {kind}; it takes {allowed}": "{what} 含有{kind|w}；只接受{allowed|w}",
    "the control character {escape_char(bad)}": "控制字符 {escape_char(bad)}",
    "{what} is larger than the limit of {MAX_MINOR:,} minor units": "{what} 超过上限 {MAX_MINOR:,}（以分计）",
    "{what} is longer than {limit} characters": "{what} 超过 {limit} 个字符",
    "{what} must be a level from 0 to 5, got {value}": "{what} 须为 0 到 5 之间的等级，给出的是 {value}",
    "{what} must be a whole number of minor units (分), not {value!r}": "{what} 须为整数（以分计），不能是 {value!r}",
    "{what} must be greater than 0": "{what} 须大于 0",
    "{what} must be text, not {type(value).__name__}": "{what} 须为文本，不能是 {type(value).__name__}",
    "{what} must not be empty": "{what} 不能为空",
    "{what} must not be negative": "{what} 不能为负数",
    "{what}: a yearly plan is in CNY (元), not {money.currency}":
        "{what}：年度计划以人民币（元）计，不能是 {money.currency}",
    "{what}: no person {word!r}{hint}": "{what}：没有人员 {word!r}{hint}",
    "{what}: no stage {word!r}; known stages: {known}": "{what}：没有阶段 {word!r}；已有的阶段：{known}",
    "{what}: no unit {word!r}; add one with `pipeline units add`":
        "{what}：没有单位 {word!r}；请用 `pipeline units add` 添加",
    "{what}: no unit {word!r}; known units: {known}": "{what}：没有单位 {word!r}；已有单位：{known}",
    "{what}: the year {year} is given twice": "{what}：年度 {year} 重复给出",
    "{what}: {item!r} is not {YEAR_PLAN_FORMS}": "{what}：{item!r} 不是 {YEAR_PLAN_FORMS}",
    "{what}: {value!r} is not a date; use YYYY-MM-DD (e.g. 2026-03-31)":
        "{what}：{value!r} 不是日期；请用 YYYY-MM-DD（如 2026-03-31）",
    "{what}: {value!r} is not one of {', '.join(allowed)}": "{what}：{value!r} 不是以下之一：{', '.join(allowed)}",
    "{what}: {value.isoformat()} lies outside {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()}":
        "{what}：{value.isoformat()} 不在 {FIRST_DAY.isoformat()} .. {LAST_DAY.isoformat()} 之间",
    "{who} may not {what}; it needs the role {' or '.join(roles)}":
        "{who} 无权{what|w}；须有以下角色：{' or '.join(roles)|w}",
    "{who}{thing} may not be recorded at stage {self._named(s)}; that stage allows: {', '.join(allowed)}{hint}":
        "{who}在阶段 {self._named(s)} 不能记录{thing|w}；该阶段可记录：{', '.join(allowed)}{hint}",
    "'{actor}' (role {role})": "'{actor}'（角色：{role|w}）",
    "'{actor}' (not a known user)": "'{actor}'（未登记的账号）",
    "open triggers from here: {parts}": "此阶段可执行的操作：{parts}",
    "{stage} is a final stage: there is no way out": "{stage} 是最终阶段，无法再变更",
    "no transition leads out of it": "没有可离开此阶段的操作",
    "; did you mean {listed}?": "；是否要找：{listed}？",
    "; {thing} may be recorded in: {stages}": "；{thing|w}可在以下阶段记录：{stages}",
    "an entry": "录入",
    "a {kind} entry": "{kind|w}录入",
}

# Messages on stderr (``say``), by the same rule: ``tests/test_i18n_errors.py`` fails when one has no entry.
ERRORS.update({
    "aborted": "已中止",
    "interrupted": "已中断",
    "error: {exc.format_message()}": "错误：{exc.format_message()}",
    "error: {message}": "错误：{message}",
    "error: {exc}": "错误：{exc}",
    "error: already in the shell": "错误：已在 shell 中",
    "internal error ({name}: {detail}); set PIPELINE_DEBUG=1 for the traceback":
        "内部错误（{name}：{detail}）；设置 PIPELINE_DEBUG=1 可查看调用栈",
    "warning: {code}'s history fails verification — run `pipeline audit verify`":
        "警告：{code} 的历史未通过校验——请运行 `pipeline audit verify`",
    "{n} events": "{n} 条记录",
    (
        "stored in the database; keep the digest elsewhere too: `pipeline audit verify --digest {doc['digest']}` prov"
        "es nothing before it changed"
    ):
        (
            "已保存在数据库中；请另在别处保存摘要：`pipeline audit verify --digest {doc['digest']}` 可证明此前的记录"
            "均未被改动"
        ),
    (
        "not stored (only an admin's checkpoint is kept in the database); keep the digest: `pipeline audit verify --d"
        "igest {doc['digest']}` needs nothing else"
    ):
        (
            "未保存（只有管理员的校验点保存在数据库中）；请保存摘要：`pipeline audit verify --digest {doc['digest']}`"
            " 无需其他信息"
        ),
    "… and {more} more": "…… 另有 {more} 项",
    "… and {count - limit} more rows": "…… 另有 {count - limit} 行",
    "{code}: event {seq} corrected by event {event['seq']}{tail}":
        "{code}：事件 {seq} 已由事件 {event['seq']} 更正{tail}",
    " — reversed {amount}": " —— 冲销 {amount}",
    "unit {code}: {doc['name']} ({doc['kind']})": "单位 {code}：{doc['name']}（{doc['kind']|w}）",
    "user {login}: {doc['previous']} → {role}": "账号 {login}：{doc['previous']|w} → {role|w}",
    "user {login} disabled (may read, not write)": "已停用账号 {login}（可查看，不能写入）",
    "user {login} enabled ({doc['role']})": "已启用账号 {login}（{doc['role']|w}）",
    "{code}: check {item} {result}": "{code}：审核项 {item} {result|w}",
    "{code}: {kind} {number} recorded": "{code}：已记录文件 {kind} {number}",
    "nothing changed": "未作更改",
    "{code}: capital {format_money(money.amount_minor, money.currency, STATE.lang)}":
        "{code}：到位资金 {format_money(money.amount_minor, money.currency, STATE.lang)}",
    "{code}: investment {format_money(money.amount_minor, money.currency, STATE.lang)}":
        "{code}：完成投资 {format_money(money.amount_minor, money.currency, STATE.lang)}",
    "{code}: follow-up recorded": "{code}：已记录跟进",
    "waiting for the database: another program is holding it (up to {busy_timeout_ms() / 1000:g} s) …":
        "正在等待数据库：另一个程序正在占用（最多等待 {busy_timeout_ms() / 1000:g} 秒）……",
    (
        "demo county built in {summary['database']}: {summary['projects']} projects over {len(summary['stages'])} sta"
        "ges, {summary['units']} units, {summary['people']} people, {summary['events']} events (seed {seed})"
    ):
        (
            "示范县已建成（{summary['database']}）：{summary['projects']} 个项目，分布于 {len(summary['stages'])} 个"
            "阶段，{summary['units']} 个单位，{summary['people']} 名人员，{summary['events']} 条记录（种子 {seed}）"
        ),
    (
        "demo county built in {summary['database']}: {summary['projects']} projects over {len(summary['stages'])} sta"
        "ges, {summary['units']} units, {summary['people']} people, {summary['events']} events (the seed county, 2022"
        "-2026)"
    ):
        (
            "示范县已建成（{summary['database']}）：{summary['projects']} 个项目，分布于 {len(summary['stages'])} 个"
            "阶段，{summary['units']} 个单位，{summary['people']} 名人员，{summary['events']} 条记录（讲话稿中的县，2"
            "022–2026）"
        ),
    "plan template {doc['name']} saved": "已保存倒排工期模板 {doc['name']}",
    "wrote {output}": "已写入 {output}",
    "period {doc['period']} closed ({', '.join(doc['reports'])}); digest {doc['digest']}":
        "报告期 {doc['period']} 已关账（{', '.join(doc['reports'])}）；摘要 {doc['digest']}",
    "period {doc['period']} reopened": "报告期 {doc['period']} 已重新打开",
    "{doc['period']}: no change since the close": "{doc['period']}：关账以来没有变化",
    "no red or yellow projects as of {doc['as_of']}": "截至 {doc['as_of']} 没有红灯或黄灯项目",
    "targets of {unit} for {year} set": "已设置 {unit} {year} 年的目标",
    "no targets set; set one with `pipeline targets set UNIT YEAR --signed N ...`":
        "尚未设置目标；请用 `pipeline targets set UNIT YEAR --signed N ...` 设置",
    "thresholds stored: {listed}": "已保存预警阈值：{listed}",
    "thresholds reset: all": "已恢复全部默认阈值",
    "thresholds reset: {', '.join(names)}": "已恢复默认阈值：{', '.join(names)}",
    "no rules yet; add one with `pipeline rules add --role lead_leader --person LOGIN --priority 10 --key`":
        "尚无规则；请用 `pipeline rules add --role lead_leader --person LOGIN --priority 10 --key` 添加",
    "dry run: {n} assignment(s) would be made over {doc['projects']} open project(s); nothing written":
        "试运行：将在 {doc['projects']} 个在办项目上作出 {n} 项指派；未写入任何数据",
    "{n} assignment(s) made over {doc['projects']} open project(s)":
        "已在 {doc['projects']} 个在办项目上作出 {n} 项指派",
    "{len(doc['notices'])} assignment(s) kept whose rule was disabled or person deactivated":
        "保留了 {len(doc['notices'])} 项指派，其规则已停用或人员已不在任",
    (
        "rule {doc['id']} v{doc['version']} {verb}{state}: {rule['role']} → {rule['person']}, priority {rule['priorit"
        "y']}, {conds}"
    ):
        (
            "规则 {doc['id']} 第 {doc['version']} 版{verb|w}{state|w}：{rule['role']|w} → {rule['person']}，优先级 {r"
            "ule['priority']}，{conds}"
        ),
    "existing assignments are kept; run `pipeline rules apply --dry-run` to see what it would fill":
        "已有的指派保持不变；运行 `pipeline rules apply --dry-run` 查看将补齐哪些指派",
    "schema is current ({dbm.SCHEMA_HEAD})": "数据库结构已是最新（{dbm.SCHEMA_HEAD}）",
    "{file}: valid — {defn.name} v{defn.version}, {len(defn.stages)} stages, {len(defn.transitions)} transitions":
        "{file}：有效——{defn.name} v{defn.version}，{len(defn.stages)} 个阶段，{len(defn.transitions)} 个操作",
    "database {what} at revision {after}: {doc['database']}": "数据库{what|w}，结构版本 {after}：{doc['database']}",
    "{login} is admin": "{login} 是管理员",
    "schema at {after} (already current)": "数据库结构版本 {after}（已是最新）",
    "schema at {after} (was {before})": "数据库结构版本 {after}（原为 {before}）",
    "ladder settings stored: {listed}": "已保存升级阶梯设置：{listed}",
    "no new letters": "没有新的督办函",
    "{code}: problem #{doc['id']} opened": "{code}：已登记问题 #{doc['id']}",
    "problem #{problem} ({doc['project']}): {done}": "问题 #{problem}（{doc['project']}）：{done|w}",
    "extended to {to}": "已延期至 {to}",
    "{code}: undone event(s) {span}; now at {stage_label(doc['stage'], STATE.lang)}":
        "{code}：已撤销事件 {span}；现处于 {stage_label(doc['stage'], STATE.lang)}",
    "undo window: {value} day(s)": "可撤销期限：{value} 天",
    "undo window: {value} day(s) (entries recorded today)": "可撤销期限：{value} 天（当天的录入）",
})

# Problems found by `audit verify` and `workflow validate` (listed, not raised), by the same rule.
ERRORS.update({
    "the checkpoint row of {row['digest']} has unreadable heads": "校验点 {row['digest']} 的记录中链头无法读取",
    "event {max_seq} is out of order: it was written after event {seq}":
        "事件 {max_seq} 顺序错乱：它写在事件 {seq} 之后",
    "prev_hash does not match the hash of event {seq - 1}": "prev_hash 与事件 {seq - 1} 的哈希不符",
    "prev_hash of the first event is not 64 zeros": "第一条事件的 prev_hash 不是 64 个 0",
    "event with a non-integer seq {seq!r}": "事件的序号 {seq!r} 不是整数",
    "{missing} (the next event found is {seq})": "{missing}（其后找到的事件为 {seq}）",
    "event {seq} is out of order or duplicated (found after event {last_seq})":
        "事件 {seq} 顺序错乱或重复（出现在事件 {last_seq} 之后）",
    "{kind} from {from_stage!r}, but history had the project in {ch.stage!r}":
        "{kind|w}从 {from_stage!r} 出发，但历史记录中项目处于 {ch.stage!r}",
    "a stored field cannot be read ({type(exc).__name__}: {exc}); the event was edited":
        "有存储字段无法读取（{type(exc).__name__}：{exc}）；该事件已被改动",
    "the stored fields no longer hash to the event's hash: the event was edited":
        "存储字段的哈希与事件哈希不符：该事件已被改动",
    "the payload text was rewritten (same content, no longer canonical JSON)":
        "事件内容文本被改写（内容相同，但不再是规范 JSON）",
    "the project has no history: event 1 (its registration) is missing": "项目没有历史：缺少事件 1（登记）",
    (
        "the project row's head (seq {head_seq}, {str(head_hash)[:12]}…) is not the last event of its history (seq {c"
        "h.last_seq}, {str(ch.last_hash)[:12]}…)"
    ):
        (
            "项目记录的链头（序号 {head_seq}，{str(head_hash)[:12]}…）不是其历史的最后一条事件（序号 {ch.last_seq}，{"
            "str(ch.last_hash)[:12]}…）"
        ),
    "the project row says stage {stage!r}, but its history (event {ch.stage_seq}) leaves it in {ch.stage!r}":
        "项目记录的阶段为 {stage!r}，但其历史（事件 {ch.stage_seq}）表明处于 {ch.stage!r}",
    "the project row says it was held from {held_from!r}, but its history says {ch.held_from!r}":
        "项目记录的暂缓前阶段为 {held_from!r}，但其历史为 {ch.held_from!r}",
    "the project row's version {version!r} is impossible for its history (between {ch.lo} and {max(ch.last_seq, 1)})":
        "项目记录的版本 {version!r} 与其历史不符（应在 {ch.lo} 与 {max(ch.last_seq, 1)} 之间）",
    "{ch.n} events exist but the project row is missing": "有 {ch.n} 条事件，但项目记录缺失",
    "the project is missing: it had {seq} events at the checkpoint": "项目缺失：校验点时它有 {seq} 条事件",
    "event {seq}, covered by {what}, is missing: history now ends at event {ch.last_seq}":
        "{what}覆盖的事件 {seq} 缺失：历史现止于事件 {ch.last_seq}",
    "event {seq} no longer has the hash it had at the checkpoint: history up to it was rewritten":
        "事件 {seq} 的哈希已不同于校验点时：此前的历史被改写",
    (
        "no prefix of the history reproduces {what}: events covered by it were altered, removed, inserted or reordere"
        "d; {where}"
    ):
        "历史的任何前缀都无法重现{what}：其覆盖的事件被改动、删除、插入或重新排序；{where}",
    "missing {what} {key!r}": "缺少{what|w} {key!r}",
    "{key!r} must be a non-empty string": "{key!r} 须为非空字符串",
    "{value!r} is not a valid key (lowercase letters, digits, '_')": "{value!r} 不是有效的键（小写字母、数字、'_'）",
    "unknown key {k!r}; allowed: {allowed_text}": "未知的键 {k!r}；可用：{allowed_text}",
    "missing {key!r}: at least one [[{key}]] table is required": "缺少 {key!r}：至少需要一个 [[{key}]] 表",
    "{key!r} must be an array of tables ([[{key}]])": "{key!r} 须为表数组（[[{key}]]）",
    "{key!r} is empty: at least one is required": "{key!r} 为空：至少需要一个",
    "duplicate {key[:-1]} {k!r}": "重复的 {key[:-1]} {k!r}",
    "missing 'name'": "缺少 'name'",
    "'name' must be a key (lowercase letters, digits, '_')": "'name' 须为键（小写字母、数字、'_'）",
    "missing 'version'": "缺少 'version'",
    "'version' must be an integer >= 1": "'version' 须为 ≥ 1 的整数",
    "missing 'kind' (one of {', '.join(STAGE_KINDS)})": "缺少 'kind'（可选：{', '.join(STAGE_KINDS)}）",
    "kind {kind!r} is not one of {', '.join(STAGE_KINDS)}": "kind {kind!r} 不是以下之一：{', '.join(STAGE_KINDS)}",
    "duplicate stage {key!r}": "重复的阶段 {key!r}",
    "initial stage {initial!r} is not a declared stage": "初始阶段 {initial!r} 不是已声明的阶段",
    "initial stage {initial!r} must be an active stage": "初始阶段 {initial!r} 须为在办阶段",
    "duplicate trigger {trigger!r}": "重复的操作 {trigger!r}",
    "trigger {trigger!r} has the name of a stage; names must differ": "操作 {trigger!r} 与某个阶段同名；名称须不同",
    "transition {trigger or '?'!r} leads out of final stage {src!r}": "操作 {trigger or '?'!r} 从最终阶段 {src!r} 出发",
    "missing 'dest'": "缺少 'dest'",
    "'dest' must be a stage key or '@held_from'": "'dest' 须为阶段键或 '@held_from'",
    "'@held_from' needs paused sources only; not paused: {', '.join(not_paused)}":
        "'@held_from' 只能用于暂缓类的起始阶段；以下不是：{', '.join(not_paused)}",
    "unknown stage {raw_dest!r} in dest": "dest 中的阶段 {raw_dest!r} 未知",
    "'guards' must be a list of guard names": "'guards' 须为条件名称的列表",
    "unknown guard {g!r}; known guards: {', '.join(known_guard_names())}":
        "未知的条件 {g!r}；已有的条件：{', '.join(known_guard_names())}",
    "guard {g!r} names an undeclared document kind {param!r}": "条件 {g!r} 引用了未声明的文件类型 {param!r}",
    "guard {g!r} names an undeclared check item {param!r}": "条件 {g!r} 引用了未声明的审核项 {param!r}",
    "guard {g!r} is listed twice": "条件 {g!r} 重复列出",
    "{flag!r} must be true or false": "{flag!r} 须为 true 或 false",
    "'recording' must be a table ([recording])": "'recording' 须为表（[recording]）",
    "'{NEEDED}' is only for document and check": "'{NEEDED}' 只适用于 document 和 check",
    "final stage(s) {', '.join(bad)} may record nothing but corrections": "最终阶段 {', '.join(bad)} 只能记录更正",
    "missing 'sources'": "缺少 'sources'",
    "'sources' must be a stage key, a group such as '@active', or a list":
        "'sources' 须为阶段键、'@active' 之类的分组，或列表",
    "unknown group {item!r}; groups: {', '.join(('@' + k for k in STAGE_KINDS))}":
        "未知的分组 {item!r}；分组：{', '.join(('@' + k for k in STAGE_KINDS))}",
    "group {item!r} matches no stage": "分组 {item!r} 不匹配任何阶段",
    "unknown stage {item!r} in sources": "sources 中的阶段 {item!r} 未知",
    "stage {s.key!r} is not reachable from the initial stage {defn.initial!r}":
        "从初始阶段 {defn.initial!r} 无法到达阶段 {s.key!r}",
    "stage {s.key!r} is {s.kind} but has no transition out; make it final":
        "阶段 {s.key!r} 的类型为 {s.kind}，但没有离开它的操作；请设为 final",
    "the project row's {f} is {_show(_norm(got))!r}, but its history makes it {_show(_norm(expected))!r}":
        "项目记录的 {f} 为 {_show(_norm(got))!r}，但按其历史应为 {_show(_norm(expected))!r}",
    "the project row's key_override {override!r} contradicts the key flag history records ({row.key!r})":
        "项目记录的 key_override {override!r} 与历史记录的重点项目标志（{row.key!r}）矛盾",
    "{table}: {what} event {seq} ({_describe(columns, stored[2:])})":
        "{table}：{what|w}事件 {seq}（{_describe(columns, stored[2:])}）",
    "{table}.{col} of event {seq} is {got!r}, but history records {exp!r}":
        "事件 {seq} 的 {table}.{col} 为 {got!r}，但历史记录为 {exp!r}",
    "{table}: the row of event {seq} is missing ({shown})": "{table}：事件 {seq} 的记录缺失（{shown}）",
    "{table}: a row for project id {r[0]}, which has no history":
        "{table}：有一条属于项目 id {r[0]} 的记录，但该项目没有历史",
    "event {expected} is missing": "缺少事件 {expected}",
    "events {expected} to {seq - 1} are missing": "缺少事件 {expected} 到 {seq - 1}",
    "the digest you gave": "您给出的摘要",
    "the latest stored checkpoint ({digest[:12]}…)": "最近保存的校验点（{digest[:12]}…）",
    "no checkpoint with this digest is stored (the row may have been removed, or the digest is mistyped)":
        "数据库中没有此摘要的校验点（记录可能已被删除，或摘要输入有误）",
    "every checkpointed head is intact": "校验点覆盖的链头均完好",
    "a second row for": "重复的记录：",
    "a row no event made, for": "没有事件产生的记录：",
    # the set-up ledger's problems (workflow/ledger.py, audit.py)
    "ledger entry {seq}, covered by {what}, is missing: the ledger now ends at entry {max(ledger_hashes, default=0)}":
        "{what}覆盖的台账记录 {seq} 缺失：台账现止于记录 {max(ledger_hashes, default=0)}",
    "ledger entry {seq} no longer has the hash it had at the checkpoint: the ledger up to it was rewritten":
        "台账记录 {seq} 的哈希已不同于校验点时：此前的台账被改写",
    "ledger entry {expected} is missing": "缺少台账记录 {expected}",
    "prev_hash does not match the previous ledger entry's hash": "prev_hash 与上一条台账记录的哈希不符",
    "the ledger entry's hash does not match its fields (altered)": "台账记录的哈希与其字段不符（已被改动）",
})

# English words that appear as values inside messages.
# ``{field|w}``: a word, or a list of words joined by ", " or " or ", each by this table, else by LABELS.
ERROR_WORDS: dict[str, str] = {
    "disabled": "已停用", "enabled": "已启用", "responsible unit": "责任单位",
    "workbook": "工作簿", "Word document": "Word 文档",
    # what a role may do (``access.require``): "… may not {what}"
    "add people": "添加人员", "add projects": "登记项目", "add units": "添加单位", "add users": "添加账号",
    "change plan templates": "修改倒排工期模板", "change projects": "修改项目",
    "change the supervision ladder": "修改督办升级阶梯", "change the undo window": "修改撤销期限",
    "change the warning thresholds": "修改预警阈值", "change users' roles": "修改账号角色",
    "close periods": "关账", "disable or enable users": "停用或启用账号", "edit people": "修改人员",
    "edit units": "修改单位", "import projects": "导入项目", "reopen periods": "重新打开已关账期间",
    "add follow-ups": "添加跟进记录", "advance projects": "推进项目阶段",
    "apply leader-assignment rules": "执行包保规则", "change problems": "办理督办问题",
    "correct history": "更正历史记录", "edit projects": "修改项目", "issue supervision letters": "生成督办函",
    "open problems": "登记督办问题", "reassign leaders": "调整包保领导", "record capital": "记录到位资金",
    "record documents": "记录文件", "record investment completed": "记录完成投资",
    "record screening checks": "记录准入审核", "change leader-assignment rules": "修改包保规则",
    "undo entries": "撤销录入", "set targets": "设置目标",
    "capital in place": "到位资金", "investment completed": "完成投资",
    # values inside stderr messages
    "created": "已创建", "upgraded": "已升级", "up to date": "已是最新", "added": "已添加", "saved": "已保存",
    "unchanged": "未改变", " (disabled)": "（已停用）", "progress recorded": "已记录进展", "closed out": "已销号",
    "reopened": "已退回重办",
    "a line break": "换行符", "line breaks only": "可打印文本（可含换行）",
    "one line of printable text": "一行可打印文本",
    "document": "文件", "transition": "阶段变更", "stage": "阶段", "trigger": "操作", "label": "标签",
    "bulletin": "两月一通报", "dispatch": "一季一调度", "review": "半年一观摩", "evaluation": "全年一考评",
}

_CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
_LETTERS = re.compile(r"[A-Za-z]")


def mostly_chinese(text: str) -> bool:
    """Whether ``text`` (fields left out) is Chinese rather than English with a Chinese example in it."""
    plain = "".join(lit for lit, _ in template_parts(text)) if "{" in text else text
    cjk = len(_CJK.findall(plain))
    return cjk > 0 and cjk * 2 >= len(_LETTERS.findall(plain))


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """``template`` as (literal text, None) and ("", field) parts; ``{{``/``}}`` are literal braces,
    and a field runs to its matching brace (quotes and nested brackets included)."""
    parts: list[tuple[str, str | None]] = []
    lit: list[str] = []
    i, n = 0, len(template)
    while i < n:
        c = template[i]
        if c in "{}" and template[i + 1:i + 2] == c:
            lit.append(c)
            i += 2
            continue
        if c == "{":
            depth, j, quote = 1, i + 1, ""
            while j < n and depth:
                ch = template[j]
                if quote:
                    quote = "" if ch == quote else quote
                elif ch in "'\"":
                    quote = ch
                elif ch in "{[(":
                    depth += 1
                elif ch in "}])":
                    depth -= 1
                j += 1
            if lit:
                parts.append(("".join(lit), None))
                lit = []
            parts.append(("", template[i + 1:j - 1]))
            i = j
            continue
        lit.append(c)
        i += 1
    if lit:
        parts.append(("".join(lit), None))
    return parts


_COMPILED: list[tuple[re.Pattern[str], list[str], list[tuple[str, str | None]]]] | None = None


def _compiled() -> list[tuple[re.Pattern[str], list[str], list[tuple[str, str | None]]]]:
    """Each English template as a regular expression (built once, on the first Chinese error), the
    most specific (the most literal text) first."""
    global _COMPILED
    if _COMPILED is None:
        out = []
        for en, zh in ERRORS.items():
            parts = template_parts(en)
            fields = [f for _, f in parts if f is not None]
            pattern = "".join(re.escape(lit) if f is None else "(.*?)" for lit, f in parts)
            weight = sum(len(lit) for lit, f in parts if f is None)
            out.append((weight, re.compile(pattern, re.DOTALL), fields, template_parts(zh)))
        out.sort(key=lambda row: -row[0])
        _COMPILED = [(p, f, z) for _, p, f, z in out]
    return _COMPILED


def _word(value: str) -> str:
    if value in ERROR_WORDS:
        return ERROR_WORDS[value]
    pair = LABELS.get(value)
    if pair:
        return pair[1]
    for sep, zh_sep in ((" or ", "或"), (", ", "、")):
        if sep in value:
            return zh_sep.join(_word(v) for v in value.split(sep))
    return _translate(value, {}, 2) or value


def _translate(text: str, extra: dict[str, str], depth: int) -> str | None:
    if text in extra:
        return extra[text]
    if "; " in text and depth < 3:  # parts that are each a known message (a refusal's guards)
        parts = text.split("; ")
        pieces = [_translate(p, extra, depth + 1) for p in parts]
        if all(p is not None for p in pieces):
            return "；".join(p for p in pieces if p is not None)
    for pattern, fields, zh_parts in _compiled():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        values = dict(zip(fields, m.groups(), strict=True))
        out = []
        for lit, field in zh_parts:
            if field is None:
                out.append(lit)
                continue
            name, _, flt = field.partition("|")
            value = values.get(name, "{" + field + "}")
            if flt == "w":
                value = _word(value)
            elif depth < 4 and " " in value:
                value = _translate(value, extra, depth + 1) or value
            out.append(value)
        return "".join(out)
    if "; " in text:  # a message built of parts: each part on its own
        pieces = [_translate(p, extra, depth + 1) for p in text.split("; ")]
        if any(p is not None for p in pieces):
            return "；".join(p if p is not None else orig for p, orig in zip(pieces, text.split("; "), strict=True))
    return None


def error_zh(message: str, details: list[dict] | None = None) -> str:
    """The Chinese of an error ``message`` (and of any detail message with its ``message_zh`` given in
    ``details``); the message itself when it is Chinese already or the catalogue has no entry."""
    if not _LETTERS.search(message):
        return message
    extra = {d["message"]: d["message_zh"] for d in details or ()
             if isinstance(d, dict) and isinstance(d.get("message"), str) and d.get("message_zh")}
    if not extra:
        return _translated(message)
    return _translate(message, extra, 0) or message


@functools.lru_cache(maxsize=4096)
def _translated(message: str) -> str:
    """``error_zh`` of a message alone (the same detail message repeats over many lines)."""
    return _translate(message, {}, 0) or message


# --- the command line's own words (click, typer) in Chinese (issue 17) -------------------------------
# typer's words, looked up by their English text (typer.core's ``_``): section headings and the
# ``[required]``/``[env var: …]``/``[default: …]`` notes of the help.
CLICK_WORDS: dict[str, str] = {
    "Arguments": "参数", "Options": "选项", "Commands": "命令", "required": "必填",
    "default: {default}": "默认：{default}", "env var: {var}": "环境变量：{var}", "(dynamic)": "（动态）",
    "Aborted!": "已中止。",
}
# click's own messages and help lines (its usage errors, ``Usage:``, the help option): each an English
# pattern and its Chinese, applied in order to what click prints, under ``--lang zh`` only.
CLICK_ZH: list[tuple[str, str]] = [
    (r"(?m)^Usage: ", "用法："),
    (r"(?m)^(选项|命令|参数):$", r"\1："),
    (r"(?m)^[A-Z][A-Za-z -]* \(([^()\n]*[\u4e00-\u9fff][^()\n]*)\):$", r"\1："),  # help panels
    (r"(?m)^Try '([^'\n]*)' for help\.$", r"运行 '\1' 查看帮助。"),
    (r"(?m)^Error: ", "错误："),
    (r"Show this message and exit\.", "显示本帮助并退出。"),
    (r"Install completion for the current shell\.", "为当前 shell 安装命令补全。"),
    (r"Show completion for the current shell, to copy it or\s+customize the installation\.",
     "显示当前 shell 的命令补全脚本，可复制或自行安装。"),
    (r"Got unexpected extra arguments? \((.*)\)", r"多余的参数：\1"),
    (r"Got unexpected extra argument\(s\) \((.*)\)", r"多余的参数：\1"),
    (r"No such option: (\S+)", r"没有此选项：\1"),
    (r" ?\(Possible options: ([^)]*)\)", r"（可能的选项：\1）"),
    (r"No such command '([^'\n]*)'\.?", r"没有此命令：'\1'。"),
    (r"\.? ?Did you mean (.*)\?", r"是否要找：\1？"),
    (r"Missing command\.", "缺少命令。"),
    (r"Missing argument (.*?)\.(?= |$)", r"缺少参数 \1。"),
    (r"Missing option (.*?)\.(?= |$)", r"缺少选项 \1。"),
    (r"Missing parameter: (\S+)", r"缺少参数：\1"),
    (r"Invalid value for (.*?): ", r"\1 的值无效："),
    (r"Invalid value: ", "值无效："),
    (r"Option '([^'\n]*)' requires an argument\.", r"选项 '\1' 需要一个值。"),
    (r"Option '([^'\n]*)' requires (\d+) arguments\.", r"选项 '\1' 需要 \2 个值。"),
    (r"Option '([^'\n]*)' does not take a value\.", r"选项 '\1' 不接受值。"),
    (r"Argument '([^'\n]*)' takes (\d+) values\.", r"参数 '\1' 需要 \2 个值。"),
    (r"Value (.*) is not a valid (\w+)\.", r"\1 不是有效的 \2。"),
    (r"(.*) is not one of (.*)\.", r"\1 不是以下之一：\2。"),
    (r"Input should be a valid integer, unable to parse string as an integer", "须为整数"),
    (r"Input should be a valid integer", "须为整数"),
    (r"Input should be a valid number, unable to parse string as a number", "须为数字"),
    (r"Input should be a valid (\w+)", r"须为有效的 \1"),
    (r"(File|Directory|Path) (.*) does not exist\.", r"\2 不存在。"),
    (r"(File|Directory|Path) (.*) is a file\.", r"\2 是文件。"),
    (r"(File|Directory|Path) (.*) is a directory\.", r"\2 是目录。"),
    (r"(File|Directory|Path) (.*) is not readable\.", r"\2 不可读。"),
    (r"(File|Directory|Path) (.*) is not writable\.", r"\2 不可写。"),
]
_CLICK_COMPILED: list[tuple[re.Pattern[str], str]] = []


def click_zh(text: str) -> str:
    """What click printed (help or a usage error), its own English words put into Chinese."""
    if not _CLICK_COMPILED:
        _CLICK_COMPILED.extend((re.compile(p), zh) for p, zh in CLICK_ZH)
    for pattern, zh in _CLICK_COMPILED:
        text = pattern.sub(zh, text)
    return text
