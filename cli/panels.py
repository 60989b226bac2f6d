"""The panels ``pipeline --help`` groups its commands in (typer's ``rich_help_panel``), in order.

Plain help (``rich_markup_mode=None``) has no panels in typer, so ``PanelGroup`` writes one section
per panel itself; a command that no panel names is listed under the last, "Other commands".
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperGroup

PANELS: dict[str, tuple[str, ...]] = {
    "Set-up (安装与数据)": ("init", "db", "demo", "import", "workflow"),
    "Projects (项目)": ("project", "doc", "check", "history", "plan", "shell"),
    "Stages (阶段)": ("next", "advance", "correct"),
    "Money (资金)": ("capital", "investment", "rates", "commitment", "performance"),
    "Follow-up and supervision (跟进与督办)": ("followup", "reassign", "warnings", "board", "lights"),
    "Reports (报表)": ("report", "targets", "export", "documents"),
    "Audit (审计)": ("audit",),
    "Administration (管理)": ("units", "people", "users", "rules"),
    "City (市级汇总)": ("county", "keys", "bundle", "city"),
}
OTHER = "Other commands (其他)"


def panel_of(name: str | None) -> str:
    for panel, names in PANELS.items():
        if name in names:
            return panel
    return OTHER


def assign(app: Any) -> None:
    """Set ``rich_help_panel`` on every command and group registered on ``app``."""
    from typer.main import get_command_name

    for c in app.registered_commands:
        name = c.name or (get_command_name(c.callback.__name__) if c.callback else None)
        c.rich_help_panel = panel_of(name)
    for g in app.registered_groups:
        g.rich_help_panel = panel_of(g.name)


class PanelGroup(TyperGroup):
    """The root group: its commands listed panel by panel (in ``PANELS`` order)."""

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        found = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                found.append((name, cmd))
        if not found:
            return
        limit = formatter.width - 6 - max(len(n) for n, _ in found)
        order = [*PANELS, OTHER]
        by_panel: dict[str, list[tuple[str, str]]] = {p: [] for p in order}
        for name, cmd in found:
            panel = getattr(cmd, "rich_help_panel", None) or panel_of(name)
            by_panel.setdefault(panel, []).append((name, cmd.get_short_help_str(limit)))
        for panel, rows in by_panel.items():
            names = PANELS.get(panel, ())
            rows.sort(key=lambda r: names.index(r[0]) if r[0] in names else len(names))
            if rows:
                with formatter.section(panel):
                    formatter.write_dl(rows)
