"""Start-up cost: `pipeline --help` against importing typer and rich, and `pipeline project show` on a
large database against importing the stack it stands on."""

from __future__ import annotations

from pathlib import Path

from bench.common import PIPELINE, PYTHON, init_db, populate, row, time_command

NAME = "startup"
SIZES = {"tiny": (50, 1), "small": (5_000, 7), "full": (50_000, 15)}


def run(size: str, workdir: Path) -> list[dict]:
    n, repeat = SIZES[size]
    db = workdir / "show.db"
    url = init_db(db)
    populate(url, n)
    env = {"PIPELINE_DB": str(db), "PIPELINE_USER": "bench", "NO_COLOR": "1"}
    code = f"P-{n // 2:04d}"
    # interleave ours and baseline so drift on the machine hits both alike
    help_ours = time_command([PIPELINE, "--help"], repeat=repeat, env=env)
    help_base = time_command([PYTHON, "-c", "import typer, rich.console"], repeat=repeat)
    show_ours = time_command([PIPELINE, "project", "show", code], repeat=repeat, env=env)
    show_base = time_command([PYTHON, "-c", "import sqlmodel, typer, rich.console, transitions"], repeat=repeat)
    return [
        row("pipeline --help", help_ours, help_base, "s", "≤ 1.5×", limit=1.5),
        row(f"pipeline project show ({n:,} projects)", show_ours, show_base, "s", "≤ 1.3×", limit=1.3),
    ]
