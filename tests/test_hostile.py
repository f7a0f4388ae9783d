"""Hostile files, environment and arguments: the real CLI answers each with located errors and exit 1, never a
traceback; an unexpected exception becomes one line and exit 70; the last good site stays as it was."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import INVALID
from factory import disclosure_text
from sitefixture import AS_OF, build, digest, make_project

from osqi_site import cli, launch
from osqi_site.build import fastcheck, outputs

NEW_INVALID = ("control-char-in-title.md", "control-char-in-body.md", "lone-carriage-return.md",
               "calendar-edge-embargo.md", "leap-second-embargo.md", "timeline-before-1970.md", "huge-number.md",
               "explicit-int-tag.md")


def swap(text: str, old: str, new: str, count: int = -1) -> str:
    """``text.replace(old, new, count)``, which must change something: a case must never be a valid file."""
    assert old in text, old
    return text.replace(old, new, count)


def _valid(ident: str, **overrides: Any) -> str:
    return disclosure_text(id=ident, **overrides)


def corpus() -> dict[str, bytes]:
    """File name (an ID) → bytes, one hostile case each; every one must be a located error."""
    ids = (f"OSQI-2026-{n:04d}" for n in range(100, 1000))
    cases: dict[str, bytes] = {}

    def add(raw: bytes | str, ident: str | None = None) -> None:
        ident = ident or next(ids)
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        cases[ident] = data.replace(b"OSQI-2026-0001", ident.encode())  # the fixtures' own ID

    for name in NEW_INVALID:
        add((INVALID / name).read_bytes())
    base = _valid("OSQI-2026-0001")
    add(swap(base, "## Discovery", "## Disc\x00overy"))  # NUL
    add(base.encode().replace(b"Ada Lovelace", b"Ada \xed\xa0\x80Lovelace"))  # an encoded surrogate
    add(swap(swap(base, "\n", "\r\n", 5), "## Discovery\n\n", "## Discovery\r\r\n"))  # CRLF, LF and a lone CR
    add(swap(base, "## Discovery", "## Disc\ufeffovery"))  # a BOM in the middle: allowed, but no section
    add(b"")  # empty
    add("---\nid: OSQI-2026-0001\n---\n")  # frontmatter only
    add(b"---\r\n---\r\n")
    add("---\nid: OSQI-2026-0001\naffected: " + "[\n " * 400 + "]" * 400 + "\n---\n")  # huge YAML nesting
    add(base + "".join(">" * i + " a\n" for i in range(1, 200)) + "[" * 40 + "\n")  # deep quotes, brackets
    add(base + "x" * 20_000 + "\n")  # a long line
    add(base + ("<a " * 30) + "\n")
    add(swap(base, "title: Heap overflow in libfoo archive parser", 'title: "a\\x07b\\u0085c"'))
    add(swap(base, "title: Heap overflow in libfoo archive parser", "title: " + "x" * 5_000))
    add(swap(base, "'2026-11-01T12:00:00Z'", "'9999-12-31T23:59:59-14:00'"))
    add(swap(base, "'2026-11-01T12:00:00Z'", "'2026-11-01T12:00:00+24:00'"))
    add(swap(base, "'2026-11-01T12:00:00Z'", "2026-11-01T12:00:00.1234567891Z"))
    add(swap(base, "- date: '2026-10-01'", "- date: 0001-01-01"))
    add(swap(base, "cwe:\n- CWE-787", "cwe:\n- " + "9" * 5_000))
    add(swap(base, "type: FINDER", "type: !!bool maybe"))
    add(swap(base, "https://example.org/advisories/libfoo-1", "https://" + "a." * 4_000 + " x"))
    ident = "OSQI-\uff12\uff10\uff12\uff16-0001"  # fullwidth digits, in the file name too
    add(_valid("OSQI-2026-0001").replace("id: OSQI-2026-0001", f"id: {ident}"), ident)
    ident = "OSQI-2026-\u0660\u0660\u0660\u0667"  # Arabic-Indic digits
    add(_valid("OSQI-2026-0001").replace("id: OSQI-2026-0001", f"id: {ident}"), ident)
    return cases


def _hostile_project(tmp_path: Path) -> Path:
    root = make_project(tmp_path)
    folder = root / "disclosures" / "hostile"
    folder.mkdir()
    for ident, raw in corpus().items():
        (folder / f"{ident}.md").write_bytes(raw)
    return root


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "osqi-site"), *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, **(env or {})})


def test_the_corpus_covers_every_case() -> None:
    assert len(corpus()) == len(NEW_INVALID) + 22


def test_check_and_build_on_the_hostile_corpus_report_located_errors_and_no_traceback(tmp_path: Path) -> None:
    root = _hostile_project(tmp_path)
    site = tmp_path / "site"
    for args in (["check"], ["build", "-d", str(site), "--as-of", AS_OF]):
        done = _run(*args, "-f", str(root / "mkdocs.yml"))
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert "Traceback" not in out and "This is a bug" not in out
        for ident in corpus():
            assert f"disclosures/hostile/{ident}.md:" in out, f"no located error for {ident}:\n{out}"
    assert not site.exists()
    assert not list(tmp_path.glob(".site.*"))  # no temporary folder left behind


@pytest.mark.parametrize(("raw", "line"), [
    (b"\xff\xfe bad\n", 1),  # MkDocs failed on it: "internal error: UnicodeDecodeError", exit 70
    (b"\xef\xbb\xbf# Title\n\nok\n\ncaf\xe9\n", 5),  # after a BOM, which MkDocs reads
    (b"---\ntitle: Bad\n---\n\nbad \xc3\n", 5),  # with frontmatter: reported once
])
def test_a_content_page_not_in_utf8_is_a_located_error_from_check_and_build(raw: bytes, line: int,
                                                                           tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "content" / "bad.md").write_bytes(raw)
    site = tmp_path / "site"
    for args in (["check"], ["build", "-d", str(site), "--as-of", AS_OF]):
        done = _run(*args, "-f", str(root / "mkdocs.yml"))
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert "Traceback" not in out and "This is a bug" not in out
        assert out.count("content/bad.md:") == 1, out
        assert f"content/bad.md:{line}: file: not valid UTF-8 (byte 0x" in out, out
    assert not site.exists()


def test_a_failed_build_on_hostile_input_leaves_the_last_good_site_untouched(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    before = digest(site)
    (root / "disclosures" / "2026" / "OSQI-2026-0009.md").write_bytes(corpus()["OSQI-2026-0100"])
    assert build(root, site) == 1
    assert digest(site) == before


@pytest.mark.parametrize("value", ["abc", "-1", "12 ", " 12", "1.5", "", "99999999999", "4294967296",
                                   "9" * 5_000, "\uff11\uff12"])
def test_a_malformed_source_date_epoch_is_one_line_and_exit_1(value: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert build(root, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "SOURCE_DATE_EPOCH" in line] == [
        f"ERROR: osqi: SOURCE_DATE_EPOCH {value[:40]!a} is not a whole number of seconds since 1970 from 0 "
        "to 4294967295 (as `date +%s` prints it); fix it or unset it"]
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("value", ["0", "4294967295", "1780000000"])
def test_a_well_formed_source_date_epoch_builds(value: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    assert build(make_project(tmp_path), tmp_path / "site") == 0


@pytest.mark.parametrize(("value", "message"), [
    ("0001-01-01T00:00:00+14:00", "is outside the years 1970 to 9999 once converted to UTC"),
    ("2026-01-01T23:59:60Z", "is not a valid instant (second must be in 0..59)"),
    ("2026-01-01T00:00:00+24:00", "is not an RFC 3339 instant with offset"),
    ("\uff12\uff10\uff12\uff16-01-01T00:00:00Z", "is not an RFC 3339 instant with offset"),
    ("9" * 5_000, "is not an RFC 3339 instant with offset"),
])
def test_a_malformed_as_of_is_one_line(value: str, message: str, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert build(make_project(tmp_path), tmp_path / "site", as_of=value) == 2  # a usage error, as argparse's
    err = capsys.readouterr().err.strip()
    assert err.startswith("--as-of ") and message in err and "\n" not in err


def test_an_unexpected_exception_in_check_is_one_line_and_exit_70(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom \x1b[2J here")

    monkeypatch.setattr(fastcheck, "check", broken)
    root = make_project(tmp_path)
    assert cli.main(["check", "-f", str(root / "mkdocs.yml")]) == cli.BUG_EXIT
    assert capsys.readouterr().err.splitlines() == [
        "osqi-site: internal error: RuntimeError: boom [2J here. This is a bug, please report it; run again with "
        "OSQI_DEBUG=1 or --debug for the full traceback. Nothing was published."]
    with pytest.raises(RuntimeError):
        cli.main(["--debug", "check", "-f", str(root / "mkdocs.yml")])
    monkeypatch.setenv("OSQI_DEBUG", "1")
    with pytest.raises(RuntimeError):
        cli.main(["check", "-f", str(root / "mkdocs.yml")])


def test_an_unexpected_exception_in_the_plugin_fails_the_build_closed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    before = digest(site)
    capsys.readouterr()

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(outputs, "site", broken)
    assert build(root, site) == cli.BUG_EXIT
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "osqi-site: internal error: KeyError: 'surprise'. This is a bug, please report it" in err
    assert digest(site) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


def test_under_plain_mkdocs_an_unexpected_exception_is_a_plugin_error(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    from osqi_site.adapter.plugin import InternalError

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(outputs, "site", broken)
    root = make_project(tmp_path)
    config = load_config(str(root / "mkdocs.yml"), site_dir=str(tmp_path / "site"))
    with pytest.raises(Abort) as raised:  # MkDocs' clean failure, not the KeyError's traceback
        mkdocs_build(config)
    assert isinstance(raised.value.__context__, InternalError)
    assert not (tmp_path / "site").exists()


def test_a_ctrl_c_while_the_cli_loads_is_one_line_and_exit_130(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    real_import = builtins.__import__

    def interrupted(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "osqi_site.cli":
            raise KeyboardInterrupt  # what SIGINT raises in the first fifth of a second of ``osqi-site``
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", interrupted)
    assert launch.main() == 130
    assert capsys.readouterr().err == "osqi-site: interrupted\n"
    scripts = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["osqi-site"] == "osqi_site.launch:main"  # the command starts there


@pytest.mark.parametrize("where", ["disclosures/2026/OSQI-2026-0009.md", "disclosures/2026/OSQI-2026-0002/pipe.txt",
                                   "content/pipe.md"])
def test_a_named_pipe_is_a_located_error_never_a_hang(tmp_path: Path, where: str) -> None:
    # Reading a named pipe waits for a writer forever: check and build must refuse it without opening it.
    root = make_project(tmp_path)
    pipe = root / where
    pipe.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(pipe)
    site = tmp_path / "site"
    for args in (["check"], ["build", "-d", str(site), "--as-of", AS_OF]):
        done = _run(*args, "-f", str(root / "mkdocs.yml"))  # _run's timeout fails the test on a hang
        out = done.stdout + done.stderr
        assert done.returncode == 1, out
        assert f"{where}:0: file: not a regular file" in out and "Traceback" not in out, out
    assert not site.exists()
