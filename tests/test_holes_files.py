"""Files the product writes are created exclusively and never written through a symbolic link
(workflow/files.py, docs/text-and-errors.md)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.test_supervision import problem, project
from workflow import files
from workflow.errors import BadInput, os_reason


def _plant(tmp_path: Path, name: str) -> tuple[Path, Path]:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    link = tmp_path / name
    link.symlink_to(victim)
    return link, victim


def test_files_refuse_a_link_and_replace_a_file_whole(tmp_path):
    link, victim = _plant(tmp_path, "out.csv")
    with pytest.raises(BadInput):
        files.write_text(link, "x")
    assert victim.read_text(encoding="utf-8") == "precious" and link.is_symlink()
    target = tmp_path / "plain.csv"
    target.write_text("old", encoding="utf-8")
    files.write_text(target, "new")
    assert target.read_text(encoding="utf-8") == "new"
    with pytest.raises(RuntimeError), files.created(target, "w", encoding="utf-8") as fh:
        fh.write("half")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "new"  # a failed write leaves the old file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "plain.csv", "victim.txt"]  # no leftovers
    files.write_bytes(os.devnull, b"ignored")  # a device is written in place


def test_a_link_planted_after_the_check_is_replaced_not_followed(tmp_path, monkeypatch):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    target = tmp_path / "report.csv"
    real = files.check_target

    def racing(path):
        st = real(path)
        os.symlink(victim, path)  # planted between the check and the write
        return st

    monkeypatch.setattr(files, "check_target", racing)
    files.write_text(target, "report")
    assert victim.read_text(encoding="utf-8") == "precious"
    assert not target.is_symlink() and target.read_text(encoding="utf-8") == "report"


def test_every_output_option_refuses_a_planted_link(cli, tmp_path):
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", ok=True)
    for name, args in (("e.csv", ("export",)), ("e.xlsx", ("export",)),
                       ("r.csv", ("report", "bulletin", "--period", "2026", "--format", "csv", "--output")),
                       ("r.xlsx", ("report", "bulletin", "--period", "2026", "--format", "xlsx", "--output")),
                       ("r.docx", ("report", "bulletin", "--period", "2026", "--format", "docx", "--output"))):
        link, victim = _plant(tmp_path, name)
        res = cli(*args, str(link), json=args[0] == "export")
        assert res.code == 2 and "symbolic link" in res.out + res.err, (args, res.out, res.err)
        assert victim.read_text(encoding="utf-8") == "precious" and link.is_symlink()
        link.unlink()


def test_an_empty_or_folder_output_is_refused_naming_the_option(cli, tmp_path, monkeypatch):
    """``--output ""`` (read as the current folder) and a folder are refused (exit 2) by every output
    option, in both languages, and nothing is written."""
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", ok=True)
    for target in ("", str(here), "/"):
        for args in (("report", "bulletin", "--period", "2026", "--format", "csv", "--output"),
                     ("report", "bulletin", "--period", "2026", "--format", "docx", "--output"),
                     ("report", "bulletin", "--period", "2026", "--format", "xlsx", "--output"),
                     ("report", "keyprojects", "--format", "md", "--output"),
                     ("export",)):
            for lang in ("en", "zh"):
                res = cli(*args, target, lang=lang, json=args[0] == "export")
                assert res.code == 2 and "internal error" not in res.err and "内部错误" not in res.err, \
                    (target, args, res.out, res.err)
    assert list(here.iterdir()) == []  # nothing written, no leftover
    with pytest.raises(IsADirectoryError):
        files.write_text("", "x")


def test_why_the_system_refused_a_file_is_said_in_the_runs_language(cli, tmp_path):
    """An output no file can be made at (its folder missing, or a file where a folder should be) is
    refused (exit 2) with the system's reason in the run's language, the C library's words in
    English (workflow/errors.py, ``os_reason``).  (``keys init`` makes a missing folder.)"""
    cli("project", "add", "--name", "风电场", "--investor", "华能", "--industry", "energy", "--investment", "1亿",
        "--unit", "XH", ok=True)
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    for target, en, zh in ((tmp_path / "missing" / "r.csv", "No such file or directory", "没有该文件或文件夹"),
                           (tmp_path / "plain" / "r.csv", "Not a directory", "不是文件夹")):
        for args in (("report", "bulletin", "--period", "2026", "--format", "csv", "--output", str(target)),
                     ("export", str(target)),
                     *([("keys", "init", "--key-file", str(target))] if "plain" in str(target) else [])):
            for lang, words in (("en", en), ("zh", zh)):
                res = cli(*args, lang=lang, json=args[0] == "export")
                assert res.code == 2 and words in res.err + res.out, (args, lang, res.out, res.err)
                if lang == "zh":
                    assert en not in res.err + res.out
    assert not (tmp_path / "missing").exists()
    assert os_reason(OSError(12345, "Strange thing")) == "Strange thing"  # a reason not in the catalogue


def test_supervision_letters_do_not_follow_a_link_in_the_output_folder(cli, tmp_path):
    code = project(cli)
    pid = problem(cli, code, "用地指标未落实", due="2026-03-01", on="2026-02-01")
    out = tmp_path / "letters"
    out.mkdir()
    link, victim = _plant(out, f"letter-2026-0001-problem-{pid}.html")
    res = cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(out), json=True)
    assert res.code == 2, (res.out, res.err)
    assert victim.read_text(encoding="utf-8") == "precious" and link.is_symlink()
    assert cli("supervision", "letters", "--as-of", "2026-03-10", "--output", str(tmp_path / "fresh"), json=True,
               ok=True).json["letters"][0]["number"] == "〔2026〕1号"  # nothing was issued by the refused run


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="a POSIX device")
def test_zip_files_to_a_device_or_a_pipe(tmp_path):
    """A workbook or a Word document written to /dev/null (which reports position 0 whatever was
    written) or to a FIFO is written forward only: no internal error, and through a pipe a whole file."""
    import io
    import threading
    import zipfile

    def package(fh) -> None:
        with zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("word/document.xml", "<w:document>翠宏山</w:document>" * 1000)

    with files.created("/dev/null") as fh:
        package(fh)
    fifo = tmp_path / "out.docx"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    with files.created(fifo) as fh:
        package(fh)
    reader.join(10)
    with zipfile.ZipFile(io.BytesIO(got[0])) as zf:
        assert zf.read("word/document.xml").decode() == "<w:document>翠宏山</w:document>" * 1000
    with files.created("/dev/null", "w", encoding="utf-8") as fh:
        assert fh.write("文本") == 2
