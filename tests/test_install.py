"""Packaging: a non-editable `pip install .` into a fresh venv carries the top-level migrations."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "workflow", "cli", "migrations")

PROBE = """
import json
from importlib.resources import files
from pathlib import Path

import migrations
import workflow
from workflow.db import alembic_config

root = Path(str(files("migrations")))
print(json.dumps({
    "migrations": migrations.__file__,
    "workflow": workflow.__file__,
    "script_location": alembic_config("sqlite://").get_main_option("script_location"),
    "files": sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts),
}))
"""


@pytest.mark.slow
def test_non_editable_install_carries_the_migrations_and_init_works(tmp_path):
    # A copy of the sources, deleted before the installed program runs: nothing may come from the tree.
    src = tmp_path / "src"
    src.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, src / name)

    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIPELINE_DB")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    out = subprocess.run([str(py), "-m", "pip", "install", "--quiet", "."], cwd=src, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    shutil.rmtree(src)

    work = tmp_path / "elsewhere"
    work.mkdir()
    out = subprocess.run([str(py), "-c", PROBE], cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    where = json.loads(out.stdout)
    site = str(venv / "lib")
    assert where["migrations"].startswith(site) and where["workflow"].startswith(site), where
    assert where["script_location"].startswith(site), where
    assert {"env.py", "script.py.mako", "versions/0001_initial_schema.py"} <= set(where["files"]), where
    assert not (Path(where["workflow"]).parent / "migrations").exists(), "migrations live at the top level"

    db = work / "installed.db"
    run_env = {**env, "PIPELINE_DB": str(db), "PIPELINE_USER": "coord", "PIPELINE_LANG": "en"}
    exe = str(venv / "bin" / "pipeline")
    init = subprocess.run([exe, "init"], cwd=work, env=run_env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stdout + init.stderr
    assert db.exists()
    current = subprocess.run([exe, "db", "current"], cwd=work, env=run_env, capture_output=True, text=True,
                             timeout=120)
    assert current.returncode == 0, current.stdout + current.stderr
    assert "current" in current.stdout, current.stdout
    check = subprocess.run([exe, "db", "check"], cwd=work, env=run_env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
