"""Provenance: the in-toto Statement names the commit, the clock and the tools, its subject is SHA256SUMS' digest."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gpgkey import ThrowawayKey, use_key
from sitefixture import AS_OF, build, make_project

from osqi_site.publish import provenance, signing
from osqi_site.publish.provenance import Source, SourceError, source

C1 = "a" * 40
C2 = "b" * 40


def test_the_commit_comes_from_git_or_the_environment_and_both_must_agree() -> None:
    assert source(C1, True, "https://h/r.git", None, None) == Source(C1, "https://h/r.git", True)
    assert source(None, True, None, C2.upper(), "https://h/r") == Source(C2, "https://h/r", False)
    assert source(C1, False, None, C1, None).commit == C1
    with pytest.raises(SourceError, match="but the source tree is at commit"):
        source(C1, False, None, C2, None)
    for bad in ("abc123", "g" * 40, C1 + "0"):
        with pytest.raises(SourceError, match="not a full commit hash"):
            source(None, False, None, bad, None)
    assert source(None, False, None, None, None) == Source()
    assert Source().footer == "Built from an unknown source commit"
    assert Source(C1, "", True).footer == f"Built from commit {C1[:12]} with uncommitted changes"


@pytest.mark.parametrize(("remote", "shown"), [
    ("https://x-access-token:ghs_SECRET@github.com/osqi/site.git", "https://github.com/osqi/site.git"),
    ("https://user@example.org:8443/r?token=SECRET#x", "https://example.org:8443/r"),
    ("git@github.com:osqi/site.git", "github.com:osqi/site.git"),
    ("/srv/git/site", "/srv/git/site"),
])
def test_no_credential_of_a_remote_is_published(remote: str, shown: str) -> None:
    assert provenance.public_repository(remote) == shown


def test_the_statement_is_in_toto_v1_with_slsa_v1_and_sums_as_subject() -> None:
    sums = b"00  index.html\n"
    as_of = datetime(2026, 6, 1, tzinfo=UTC)
    data = provenance.statement(sums, Source(C1, "https://h/r", False), as_of, "https://s/", {"mkdocs": "1"})
    body = json.loads(data)
    assert body["_type"] == "https://in-toto.io/Statement/v1"
    assert body["predicateType"] == "https://slsa.dev/provenance/v1"
    assert body["subject"] == [{"name": "SHA256SUMS", "digest": {"sha256": hashlib.sha256(sums).hexdigest()}}]
    definition = body["predicate"]["buildDefinition"]
    assert definition["externalParameters"]["asOf"] == "2026-06-01T00:00:00Z"
    assert definition["externalParameters"]["source"] == {"repository": "https://h/r", "commit": C1, "dirty": False}
    assert definition["resolvedDependencies"] == [{"uri": "git+https://h/r", "digest": {"gitCommit": C1}}]
    assert body["predicate"]["runDetails"]["builder"]["version"] == {"mkdocs": "1"}
    assert provenance.subject_digest(data) == hashlib.sha256(sums).hexdigest()
    assert data == provenance.statement(sums, Source(C1, "https://h/r", False), as_of, "https://s/", {"mkdocs": "1"})
    assert provenance.subject_digest(b"{}") is None and provenance.subject_digest(b"not json") is None


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.org", *args],
                          check=True, capture_output=True, text=True).stdout.strip()


def _repo(tmp_path: Path) -> tuple[Path, str]:
    root = make_project(tmp_path)
    _git(root, "init", "-q")
    _git(root, "remote", "add", "origin", "https://ci:SECRETTOKEN@git.example.org/osqi/site.git")
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "site")
    return root, _git(root, "rev-parse", "HEAD")


def test_a_build_states_its_commit_in_the_provenance_and_every_page(tmp_path: Path) -> None:
    root, commit = _repo(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    body = json.loads((site / provenance.PATH).read_bytes())
    assert body["subject"][0]["digest"]["sha256"] == hashlib.sha256((site / "SHA256SUMS").read_bytes()).hexdigest()
    params = body["predicate"]["buildDefinition"]["externalParameters"]
    assert params["source"] == {"repository": "https://git.example.org/osqi/site.git", "commit": commit,
                                "dirty": False}
    assert params["asOf"] == AS_OF
    assert set(body["predicate"]["runDetails"]["builder"]["version"]) == {"osqi-site", "mkdocs", "mkdocs-material",
                                                                          "python"}
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        if "/.well-known/" in page.as_posix():
            continue  # the CSAF folder listings are plain files, not theme pages
        assert f"Built from commit {commit[:12]}<" in page.read_text(), page
    assert b"SECRETTOKEN" not in b"".join(p.read_bytes() for p in site.rglob("*") if p.is_file())


def test_a_dirty_tree_says_so(tmp_path: Path) -> None:
    root, commit = _repo(tmp_path)
    (root / "content" / "index.md").write_text((root / "content" / "index.md").read_text() + "\nMore.\n")
    site = tmp_path / "site"
    assert build(root, site) == 0
    assert json.loads((site / provenance.PATH).read_bytes())["predicate"]["buildDefinition"][
        "externalParameters"]["source"]["dirty"] is True
    assert f"Built from commit {commit[:12]} with uncommitted changes" in (site / "index.html").read_text()


def test_a_commit_named_by_ci_that_the_tree_contradicts_fails_the_build(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = _repo(tmp_path)
    monkeypatch.setenv(provenance.COMMIT_ENV, C2)
    assert build(root, tmp_path / "site") == 1
    assert "but the source tree is at commit" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_without_git_ci_names_the_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path)
    monkeypatch.setenv(provenance.COMMIT_ENV, C2)
    assert build(root, tmp_path / "site") == 0
    assert f"Built from commit {C2[:12]}<" in (tmp_path / "site" / "index.html").read_text()


def test_the_signed_provenance_verifies(tmp_path: Path, test_key: ThrowawayKey,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    use_key(test_key, monkeypatch)
    root = make_project(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    checked = signing.verify((site / signing.KEY_PATH).read_bytes(), (site / provenance.PATH).read_bytes(),
                             (site / provenance.SIGNATURE).read_bytes())
    assert checked.by(test_key.fingerprint)
    listed = (site / "SHA256SUMS").read_text()
    assert provenance.PATH not in listed and provenance.SIGNATURE not in listed


def test_the_provenance_is_leak_scanned_before_it_is_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    real = provenance.statement
    monkeypatch.setattr(provenance, "statement", lambda *a: real(*a) + b"OSQI-2026-0004")
    root = make_project(tmp_path)
    assert build(root, tmp_path / "site") == 1
    assert f"{provenance.PATH}: " in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_a_cache_committed_to_git_is_refused_before_the_build_loads_anything_from_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A pull request that commits a cache folder would have the build load its pickles and compiled templates.
    root, _ = _repo(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    last_good = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    capsys.readouterr()
    _git(root, "add", "-f", ".osqi-cache")
    _git(root, "commit", "-qm", "planted cache")
    assert build(root, site) == 1
    err = capsys.readouterr().err
    assert "cache_dir: .osqi-cache is tracked by git" in err and "git rm -r --cached" in err
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == last_good
    _git(root, "rm", "-r", "-q", "--cached", ".osqi-cache")
    _git(root, "commit", "-qm", "cache untracked again")
    assert build(root, site) == 0


def test_cache_refusal_decides_on_real_paths_in_whichever_repository_holds_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from osqi_site.build import finish

    root, _ = _repo(tmp_path)
    (root / "scratch").mkdir()
    (root / "scratch" / "untracked.txt").write_text("x")
    assert finish.cache_refusal(root / "scratch") is None
    assert finish.cache_refusal(tmp_path / "missing") is None  # made afresh
    assert "is tracked by git" in str(finish.cache_refusal(root / "disclosures"))
    (root / "linked").symlink_to(root / "disclosures")  # an untracked link to a tracked folder
    assert "is tracked by git" in str(finish.cache_refusal(root / "linked"))
    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    (other / "cache").mkdir()
    (other / "cache" / "cache.sqlite3").write_text("planted")
    _git(other, "add", "-A")
    _git(other, "commit", "-qm", "planted")
    assert "is tracked by git" in str(finish.cache_refusal(other / "cache"))
    # A committed link to a folder no repository tracks: the link itself is tracked.
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "committed-link").symlink_to(outside)
    _git(root, "add", "committed-link")
    _git(root, "commit", "-qm", "link")
    assert "is tracked by git" in str(finish.cache_refusal(root / "committed-link"))
    # Inside an untracked cache: a link (into a repository, say) or a named pipe.
    (root / "scratch" / "jinja").symlink_to(other / "cache")
    assert "holds 'jinja'" in str(finish.cache_refusal(root / "scratch"))
    (root / "scratch" / "jinja").unlink()
    os.mkfifo(root / "scratch" / "pipe")
    assert "holds 'pipe'" in str(finish.cache_refusal(root / "scratch"))
    (root / "scratch" / "pipe").unlink()
    # Git missing: refused inside a repository (it cannot say), accepted outside any.
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    assert "git cannot tell" in str(finish.cache_refusal(root / "scratch"))
    assert finish.cache_refusal(outside) is None


def test_a_cache_dir_linked_or_elsewhere_is_refused_when_a_repository_tracks_it(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    site = tmp_path / "site"
    assert build(root, site) == 0
    (root / ".osqi-cache").rename(root / "committed-cache")
    _git(root, "add", "-f", "committed-cache")
    _git(root, "commit", "-qm", "planted cache")
    (root / ".osqi-cache").symlink_to(root / "committed-cache")  # untracked itself
    assert build(root, site) == 1


def test_cache_refusal_ignores_git_variables_and_refuses_when_a_broken_repository_holds_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from osqi_site.build import finish

    root, _ = _repo(tmp_path)
    (root / "planted").mkdir()
    (root / "planted" / "jinja.cache").write_text("planted")
    _git(root, "add", "-f", "planted")
    _git(root, "commit", "-qm", "planted")
    for name, value in (("GIT_DIR", str(tmp_path / "nowhere")), ("GIT_INDEX_FILE", str(tmp_path / "noindex")),
                        ("GIT_DIR", str(root / ".git"))):
        monkeypatch.setenv(name, value)  # as inside a git hook, or set by whoever runs the build
        assert "is tracked by git ('planted/jinja.cache')" in str(finish.cache_refusal(root / "planted"))
        monkeypatch.delenv(name)
    (root / ".git" / "HEAD").rename(root / ".git" / "HEAD.bak")  # a repository git no longer reads
    assert "git cannot tell" in str(finish.cache_refusal(root / "planted"))


def test_a_tracked_name_is_shown_on_one_line_without_terminal_codes(tmp_path: Path) -> None:
    from osqi_site.build import finish

    root, _ = _repo(tmp_path)
    (root / "planted").mkdir()
    (root / "planted" / "a\n\x1b[31mRED").write_text("x")
    _git(root, "add", "-f", "planted")
    _git(root, "commit", "-qm", "planted")
    why = str(finish.cache_refusal(root / "planted"))
    assert "is tracked by git" in why and "\n" not in why and "\x1b" not in why


def test_any_cache_dir_is_ignored_by_git_whatever_its_name(tmp_path: Path) -> None:
    root, _ = _repo(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("      embargo_register: true",
                                                 "      embargo_register: true\n      cache_dir: mycache", 1))
    _git(root, "commit", "-qam", "cache_dir")
    assert build(root, tmp_path / "site") == 0
    assert (root / "mycache" / "cache.sqlite3").exists()
    assert "mycache" not in _git(root, "status", "--porcelain", "--untracked-files=all")
    assert build(root, tmp_path / "site") == 0  # its own .gitignore is a plain file the refusal accepts
