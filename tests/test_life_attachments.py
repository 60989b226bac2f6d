"""Attachments (docs/audit.md, "Attachments"): `doc add --file` stores the scan by its SHA-256 (SQLite:
a folder beside the database file; PostgreSQL: a table) and records the hash in the event;
`audit verify --files` names the project, document and file of a changed one; replay catches a
tampered document row; `doc export` gives the file back into a new file only — on both engines."""

from __future__ import annotations

import hashlib
import os
import pathlib

from sqlalchemy import text

from tests.stages import to_approved
from tests.test_verify_replay import _engine, tamper

SCAN = b"%PDF-1.4 committee decision scan \x00\x01\x02" * 100


def project(cli) -> str:
    code = cli("project", "add", "--name", "木材加工", "--investor", "林木公司", "--industry", "agriculture",
               "--investment", "5000万", "--unit", "XH", json=True, ok=True).json["code"]
    to_approved(cli, code)  # records committee_decision 县招委〔2026〕{code}号 without a file
    return code


def attach(cli, tmp_path, code: str, number: str = "HT-1", data: bytes = SCAN, name: str = "合同扫描件.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return cli("doc", "add", code, "contract", number, "--file", str(path), json=True, ok=True).json


def verify_files(cli):
    return cli.admin("audit", "verify", "--files", json=True)


def test_a_file_is_stored_by_hash_and_given_back(cli, tmp_path):
    code = project(cli)
    attach(cli, tmp_path, code)
    sha = hashlib.sha256(SCAN).hexdigest()
    (event,) = [e for e in cli("history", code, json=True, ok=True).json["events"] if e["kind"] == "document"
                and e["payload"].get("file")]
    assert event["payload"]["file"] == {"sha256": sha, "name": "合同扫描件.pdf", "size": len(SCAN)}
    if cli.engine_kind == "sqlite":
        stored = pathlib.Path(cli.db + "-files") / sha[:2] / sha
        assert stored.read_bytes() == SCAN
    res = verify_files(cli)
    assert res.code == 0 and res.json["files"] == 1
    out = tmp_path / "out" / "back.pdf"
    out.parent.mkdir()
    doc = cli("doc", "export", code, "contract", "--output", str(out), json=True, ok=True).json
    assert out.read_bytes() == SCAN and doc["sha256"] == sha and doc["number"] == "HT-1"
    # never over an existing file, never through a symlink, and --output is required
    assert cli("doc", "export", code, "contract", "--output", str(out)).code == 2
    link = tmp_path / "out" / "link.pdf"
    os.symlink(tmp_path / "out" / "elsewhere.pdf", link)
    assert cli("doc", "export", code, "contract", "--output", str(link)).code == 2
    assert not (tmp_path / "out" / "elsewhere.pdf").exists()
    assert cli("doc", "export", code, "contract").code == 2
    # a document without a file, an unknown kind, an unknown project
    assert cli("doc", "export", code, "committee_decision", "--output", str(tmp_path / "x")).code == 4
    assert cli("doc", "export", code, "nonsense", "--output", str(tmp_path / "x")).code == 2
    assert cli("doc", "export", "P-9999", "contract", "--output", str(tmp_path / "x")).code == 4
    # two numbers of one kind: --number says which
    attach(cli, tmp_path, code, "HT-2", b"second contract", "补充协议.pdf")
    assert cli("doc", "export", code, "contract", "--output", str(tmp_path / "y")).code == 2
    cli("doc", "export", code, "contract", "--number", "HT-2", "--output", str(tmp_path / "y"), ok=True)
    assert (tmp_path / "y").read_bytes() == b"second contract"
    assert verify_files(cli).json["files"] == 2


def test_bad_files_are_refused_and_change_nothing(cli, tmp_path):
    code = project(cli)
    version = cli("project", "show", code, json=True, ok=True).json["version"]
    assert cli("doc", "add", code, "contract", "HT-1", "--file", str(tmp_path / "missing.pdf")).code == 2
    assert cli("doc", "add", code, "contract", "HT-1", "--file", str(tmp_path)).code == 2
    big = tmp_path / "big.pdf"
    with open(big, "wb") as f:
        f.truncate(20 * 1024 * 1024 + 1)
    res = cli("doc", "add", code, "contract", "HT-1", "--file", str(big))
    assert res.code == 2 and "20 MiB" in res.err
    assert cli("project", "show", code, json=True, ok=True).json["version"] == version


def test_a_changed_file_fails_verify_files_naming_it(cli, tmp_path):
    code = project(cli)
    attach(cli, tmp_path, code)
    sha = hashlib.sha256(SCAN).hexdigest()
    if cli.engine_kind == "sqlite":
        stored = pathlib.Path(cli.db + "-files") / sha[:2] / sha
        stored.write_bytes(SCAN.replace(b"committee", b"COMMITTEE"))
    else:
        import base64

        changed = base64.b64encode(SCAN.replace(b"committee", b"COMMITTEE")).decode()
        tamper(cli, f"UPDATE attachment_blob SET content = '{changed}'")
    assert cli.admin("audit", "verify", json=True).code == 0  # history itself is intact
    res = cli.admin("audit", "verify", "--files")
    assert res.code == 7
    assert code in res.out and "合同扫描件.pdf" in res.out and "HT-1" in res.out and "changed" in res.out
    (failure,) = verify_files(cli).json["failures"]
    assert failure["code"] == code and failure["table"] == "document" and failure["expected"] == sha
    assert cli("doc", "export", code, "contract", "--output", str(tmp_path / "z")).code == 7
    assert not (tmp_path / "z").exists()


def test_a_missing_file_fails_verify_files(cli, tmp_path):
    code = project(cli)
    attach(cli, tmp_path, code)
    sha = hashlib.sha256(SCAN).hexdigest()
    if cli.engine_kind == "sqlite":
        (pathlib.Path(cli.db + "-files") / sha[:2] / sha).unlink()
    else:
        tamper(cli, "DELETE FROM attachment_blob")
    res = cli.admin("audit", "verify", "--files")
    assert res.code == 7 and "missing" in res.out and code in res.out


def test_a_tampered_document_row_fails_the_replay(cli, tmp_path):
    code = project(cli)
    attach(cli, tmp_path, code)
    tamper(cli, "UPDATE document SET file_sha256 = '" + "0" * 64 + "' WHERE file_sha256 IS NOT NULL")
    res = cli.admin("audit", "verify", json=True)
    assert res.code == 7
    assert any(f["table"] == "document" and f["field"] == "file_sha256" and f["code"] == code
               for f in res.json["failures"])


def test_a_tampered_hash_in_history_fails_the_chain(cli, tmp_path):
    code = project(cli)
    attach(cli, tmp_path, code)
    engine = _engine(cli)
    with engine.connect() as conn:
        payload = conn.execute(text("SELECT payload FROM event WHERE kind = 'document' ORDER BY id DESC")).scalar()
    engine.dispose()
    forged = payload.replace(hashlib.sha256(SCAN).hexdigest(), "f" * 64)
    tamper(cli, "UPDATE event SET payload = '" + forged.replace(":", "\\:") + "' WHERE kind = 'document' AND "
                "payload LIKE '%sha256%'")
    assert cli.admin("audit", "verify", json=True).code == 7
