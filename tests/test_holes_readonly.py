"""A database in a folder this user may not write is read (immutable) and refuses writes clearly
(workflow/db.py, docs/usage.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                                reason="needs root and setpriv to run without the permission override")


def _as_plain_user(args: list[str], db: str) -> subprocess.CompletedProcess:
    """``pipeline ARGS`` as root without CAP_DAC_OVERRIDE: file and folder modes apply as to any user."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPELINE_DB": db, "PIPELINE_USER": "admin",
           "PIPELINE_LANG": "en"}
    return subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
                           "cli.app", *args], capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.sqlite_only
def test_reads_work_in_a_read_only_folder_and_writes_are_refused(cli, tmp_path):
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", ok=True)
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "county.db"
    shutil.copy(cli.db, db)  # a copy: no -wal or -shm beside it
    os.chmod(db, 0o444)
    os.chmod(folder, 0o555)
    try:
        for args in (["project", "list", "--json"], ["users", "list"], ["audit", "verify"]):
            res = _as_plain_user(args, str(db))
            assert res.returncode == 0, (args, res.stderr)
        assert "风电场" in _as_plain_user(["project", "list", "--json"], str(db)).stdout
        res = _as_plain_user(["followup", "add", "P-0001", "x"], str(db))
        assert res.returncode == 6 and "read-only" in res.stderr, res.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["county.db"]
    finally:
        os.chmod(folder, 0o755)
        os.chmod(db, 0o644)
