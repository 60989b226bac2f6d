"""User-facing labels in English and Chinese (SPEC: labels in both languages)."""

from __future__ import annotations

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


# --- words inside messages (the ``word`` fields of workflow/catalogue) ---------------------------------
# English words that appear as values inside messages: a ``{field:word}`` (or ``{field:list/word}``) of a
# catalogue entry shows its Chinese from this table, else from LABELS, else as given.
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
