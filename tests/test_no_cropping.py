"""Tables wrap instead of cropping (docs/usage.md, `PIPELINE_WIDTH`): each table rendered at 80 and 200 columns still
prints every word of the names, reasons and notes stored."""

from __future__ import annotations

import re

import pytest

from tests.conftest import invoke

NAME = "Northern Frontier Precision Bearings Manufacturing Expansion 黑龙江北疆精密轴承制造扩建项目"
INVESTOR = "Harbin Consolidated Heavy Industry Investment Holdings 哈尔滨重工投资控股集团有限公司"
REASON = "waiting for the provincial land quota and the environmental review of the northern parcel 等待省级用地指标"
NOTE = "visited the site with the township head; capital has not arrived yet 资金尚未到位"
_BOX = re.compile(r"[\s│┃─━╭╮╰╯├┤┬┴┼═║╔╗╚╝╠╣╦╩╬]")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s;,()（）]+", text) if w]


def _printed(screen: str, text: str) -> list[str]:
    """The words of ``text`` not found in ``screen``: a short ASCII word (which fits any column) must
    appear whole; a longer one, or a Chinese run (which wraps between characters), must appear in
    order once spacing and borders are removed (and no ellipsis stands for the rest)."""
    plain = _ANSI.sub("", screen)
    if "…" in plain:
        return ["… (cropped)"]
    squeezed = _BOX.sub("", plain)
    missing = []
    for w in _words(text):
        if w.isascii() and len(w) <= 8:
            if w not in plain:
                missing.append(w)
        else:
            it = iter(squeezed)
            if not all(ch in it for ch in w):
                missing.append(w)
    return missing


@pytest.mark.sqlite_only
@pytest.mark.parametrize("width", [80, 200])
def test_every_stored_word_is_printed(cli, width, monkeypatch):
    code = cli("project", "add", "--name", NAME, "--investor", INVESTOR, "--industry", "manufacturing",
               "--investment", "2亿", "--unit", "XH", json=True, ok=True).json["code"]
    cli("followup", "add", code, NOTE, ok=True)
    cli("advance", code, "submit", ok=True)
    cli("advance", code, "hold", "--reason", REASON, ok=True)
    other = cli("project", "add", "--name", "寒地黑土绿色食品产业园 Green Food Park", "--investor", INVESTOR,
                "--industry", "agriculture", "--investment", "3亿", "--unit", "XH", json=True, ok=True).json["code"]
    cli("advance", other, "submit", ok=True)  # a red light by 2099: reasons to print
    monkeypatch.setenv("PIPELINE_WIDTH", str(width))
    monkeypatch.setenv("PAGER", "cat")

    def screen(*args: str) -> str:
        res = invoke(list(args), db=cli.db, actor="coord")
        assert res.code == 0, (args, res.out, res.err)
        return res.out

    checks = {
        ("project", "list"): [NAME],
        ("project", "show", code): [NAME, INVESTOR],
        ("history", code): [REASON, NOTE],
        ("audit", "log"): [REASON, NOTE],
        ("people", "list"): ["王县长 副县长"],
        ("units", "list"): ["新华镇 发改局"],
    }
    for args, texts in checks.items():
        out = screen(*args)
        for text in texts:
            assert _printed(out, text) == [], (args, width, out)
    # the warnings' reasons, as stored in their JSON, all printed in the table
    warn = invoke(["warnings", "--as-of", "2099-01-01", "--json"], db=cli.db, actor="coord")
    reasons = [r for p in __import__("json").loads(warn.out)["projects"] for r in p["reasons"]]
    assert reasons
    out = screen("warnings", "--as-of", "2099-01-01")
    for r in reasons:
        assert _printed(out, r) == [], (width, r, out)
