"""Taking a test project to a stage through the command line (the [recording] rules of the workflow
definition allow capital and investment from ``signed`` on)."""

from __future__ import annotations

CHECK_ITEMS = ("industrial_policy", "environment", "energy", "land_use")


def to_approved(cli, code: str, *, actor: str = "coord") -> None:
    cli("advance", code, "submit", actor=actor, ok=True)
    for item in CHECK_ITEMS:
        cli("check", code, item, "pass", actor=actor, ok=True)
    cli("doc", "add", code, "committee_decision", f"县招委〔2026〕{code}号", actor=actor, ok=True)
    cli("advance", code, "approve", actor=actor, ok=True)


def to_signed(cli, code: str, *, actor: str = "coord") -> None:
    """``code`` (not a key project, or one with its lead leader) taken from ``lead`` to ``signed``."""
    to_approved(cli, code, actor=actor)
    cli("doc", "add", code, "contract", f"合同{code}", actor=actor, ok=True)
    cli("advance", code, "sign", actor=actor, ok=True)


def service_to_signed(service, code: str, on=None) -> None:
    """The same through the Python API (``on``: the effective date of every step)."""
    service.advance(code, "submit", on=on)
    for item in CHECK_ITEMS:
        service.record_check(code, item, "pass", on=on)
    service.add_document(code, "committee_decision", f"县招委〔2026〕{code}号", on=on)
    service.advance(code, "approve", on=on)
    service.add_document(code, "contract", f"合同{code}", on=on)
    service.advance(code, "sign", on=on)
