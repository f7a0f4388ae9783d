"""Preview and temporary folders can never be deployed by accident: no preview inside (or around) a build
folder and the reverse, leftovers of an interrupted run deleted by the next, all of them git-ignored."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sitefixture import AS_OF, CANARY, build

from osqi_site import cli, scaffold
from osqi_site.build import transaction
from osqi_site.core.timefmt import parse_instant

FUTURE = "2999-01-01T00:00:00Z"


def _preview(root: Path, site: Path) -> int:
    return cli.main(["preview", "-f", str(root / "mkdocs.yml"), "-d", str(site), "--as-of", FUTURE])


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    return capsys.readouterr().err


def test_a_preview_inside_a_build_folder_is_refused(project: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    _err(capsys)
    assert _preview(project, site / "deep" / "review") == 1
    assert f"lies inside {site}, which holds a public build" in _err(capsys)
    assert not (site / "deep").exists()


def test_a_build_inside_a_preview_folder_is_refused(project: Path, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    review = tmp_path / "review"
    assert _preview(project, review) == 0
    _err(capsys)
    assert build(project, review / "public") == 1
    assert f"lies inside {review}, which holds a preview" in _err(capsys)
    assert not (review / "public").exists()


def test_a_build_folder_containing_a_preview_is_refused(project: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert build(project, site) == 0
    (site / "old" / "review").mkdir(parents=True)  # as an older version, or a hand, could have left it
    (site / "old" / "review" / transaction.PREVIEW_MARKER).write_text("preview\n")
    _err(capsys)
    assert build(project, site) == 1
    assert f"contains {site / 'old' / 'review'}, which holds a preview" in _err(capsys)


def test_a_preview_folder_containing_a_build_is_refused(project: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    review = tmp_path / "review"
    assert _preview(project, review) == 0
    (review / "copy").mkdir()
    (review / "copy" / transaction.BUILD_MARKER).write_text("osqi-site build\n")
    _err(capsys)
    assert _preview(project, review) == 1
    assert f"contains {review / 'copy'}, which holds a public build" in _err(capsys)


@pytest.mark.parametrize("where", ["site", "site/review", "."])
def test_a_preview_never_goes_near_the_build_folder_of_mkdocs_yml(project: Path, where: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # The configured build folder (MkDocs' default: site/) does not exist yet; it counts all the same.
    target = (project / where).resolve()
    if where == ".":
        target = project.parent / "empty"
        (project.parent / "empty").mkdir()
        config = project / "mkdocs.yml"
        config.write_text(config.read_text() + f"site_dir: {target / 'public'}\n")
    assert _preview(project, target) == 1
    assert "the build folder" in _err(capsys)
    assert not any(target.iterdir()) if target.exists() else True


def _leftover(parent: Path, name: str) -> Path:
    folder = parent / name
    (folder / "disclosures" / "OSQI-2026-0004").mkdir(parents=True)
    (folder / "disclosures" / "OSQI-2026-0004" / "index.html").write_text(CANARY)
    return folder


def test_leftovers_of_an_interrupted_build_are_deleted_by_the_next(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    leftovers = [_leftover(tmp_path, ".site.osqi-tmp-building-abc123"),
                 _leftover(tmp_path, ".site.osqi-tmp-old-def456"),
                 _leftover(tmp_path, ".site.building-legacy1")]  # as versions before the tag named them
    others = [_leftover(tmp_path, ".other.osqi-tmp-building-x"), _leftover(tmp_path, "site.osqi-tmp-building-x")]
    assert build(project, site) == 0
    assert [p for p in leftovers if p.exists()] == []
    assert all(p.exists() for p in others)  # another destination's, or not ours at all
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


def test_leftovers_of_an_interrupted_preview_are_deleted_by_the_next(project: Path, tmp_path: Path) -> None:
    leftover = _leftover(tmp_path, ".review.osqi-tmp-building-abc123")
    assert _preview(project, tmp_path / "review") == 0
    assert not leftover.exists()


def test_the_temporary_folder_is_named_with_the_tag_while_building(project: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    real = transaction._swap_in

    def spy(built: Path, final: Path) -> None:
        seen.extend(p.name for p in final.parent.iterdir())
        real(built, final)

    monkeypatch.setattr(transaction, "_swap_in", spy)
    assert build(project, tmp_path / "site") == 0
    assert [n for n in seen if n.startswith(".site")] and all(
        n.startswith(f".site{transaction.TEMP_TAG}building-") for n in seen if n.startswith(".site"))


def test_init_gitignore_covers_preview_and_temporary_folders(tmp_path: Path) -> None:
    root = tmp_path / "new"
    scaffold.write_project(root, parse_instant(AS_OF))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    paths = ["site/index.html", "site-preview/index.html", ".site.osqi-tmp-building-abc/index.html",
             ".site.osqi-tmp-old-abc/index.html", ".site-preview.osqi-tmp-building-x/disclosures/a.html",
             ".osqi-cache/cache.sqlite3"]
    for p in paths:
        (root / p).parent.mkdir(parents=True, exist_ok=True)
        (root / p).write_text("x")
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    ignored = subprocess.run(["git", "-C", str(root), "check-ignore", *paths], capture_output=True, text=True,
                             env=env).stdout.split()
    assert ignored == paths
    tracked = subprocess.run(["git", "-C", str(root), "check-ignore", "content/index.md", "mkdocs.yml"],
                             capture_output=True, text=True, env=env).stdout.split()
    assert tracked == []


# -- the destination is never a folder the project is made of ---------------------------------------------------

def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(root.rglob("*")) if not p.is_symlink()}


@pytest.mark.parametrize("command", ["build", "preview"])
@pytest.mark.parametrize(("where", "what"), [
    ("disclosures", "the disclosures_dir"), ("disclosures/2026", "the disclosures_dir"),
    ("content/../disclosures", "the disclosures_dir"), ("via-link", "the disclosures_dir"),
    ("via-link/2026/x", "the disclosures_dir"), ("theme", "the theme folder"), ("theme/partials", "the theme folder"),
    (".osqi-cache", "the cache_dir"), (".osqi-cache/html", "the cache_dir"), (".git", "the git folder"),
    (".git/objects", "the git folder"), ("mkdocs.yml", "is a file, not a folder"), (".", "docs_dir"),
    ("..", "docs_dir"),
])
def test_the_destination_is_never_a_source_folder(project: Path, command: str, where: str, what: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (project / "via-link").symlink_to("disclosures")
    # A real repository: a .git git cannot read would have the build refuse the cache folder first.
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    for folder in (".osqi-cache", ".git", "theme/partials"):
        (project / folder).mkdir(parents=True, exist_ok=True)
        (project / folder / "keep").write_text("a source\n")
    before = _tree(project.parent)
    argv = [command, "-f", str(project / "mkdocs.yml"), "-d", str(project / where)]
    assert cli.main([*argv, "--as-of", FUTURE] if command == "preview" else argv) == 1
    err = _err(capsys)
    assert what in err and "Traceback" not in err
    after = _tree(project.parent)
    assert {k: after.get(k) for k in before} == before  # nothing deleted or changed
    # No site written: at most the cache's own files.
    assert [k for k in after if k not in before] in (
        [], ["proj/.osqi-cache/cache.sqlite3"], ["proj/.osqi-cache/.gitignore", "proj/.osqi-cache/cache.sqlite3"])


def test_a_source_folder_is_refused_by_its_real_path(project: Path, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # Reached from outside the project, by a link to the project itself: still the disclosures folder.
    (tmp_path / "elsewhere").symlink_to(project)
    assert build(project, tmp_path / "elsewhere" / "disclosures") == 1
    assert f"lies inside or contains the disclosures_dir {project.resolve() / 'disclosures'}" in _err(capsys)
    assert (project / "disclosures" / "2026" / "OSQI-2026-0004.md").is_file()


def test_a_folder_beside_the_sources_is_a_fine_destination(project: Path) -> None:
    assert build(project, project / "site") == 0
    assert build(project, project / "public" / "site") == 0


def test_the_project_folder_is_refused_when_docs_dir_lies_elsewhere(project: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # MkDocs refuses a site folder around docs_dir itself; with docs_dir elsewhere, only this guard is left.
    (project / "content").rename(tmp_path / "docs")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("docs_dir: content\n", f"docs_dir: {tmp_path / 'docs'}\n"))
    before = _tree(project)
    assert build(project, project) == 1
    assert f"is or contains the project folder {project.resolve()} (it holds mkdocs.yml)" in _err(capsys)
    after = _tree(project)
    assert {k: after.get(k) for k in before} == before


def test_a_build_never_replaces_a_folder_that_is_not_a_previous_build(project: Path, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # A mistyped -d (a home folder, another repository's checkout) would be deleted whole by the swap.
    other = tmp_path / "checkout"
    (other / ".git").mkdir(parents=True)
    (other / "notes.txt").write_text("not ours\n")
    assert build(project, other) == 1
    assert f"site folder {other} is not empty and is not a previous build (it has no .osqi-build)" in _err(capsys)
    assert (other / "notes.txt").read_text() == "not ours\n" and (other / ".git").is_dir()
    (tmp_path / "empty").mkdir()
    assert build(project, tmp_path / "empty") == 0
    assert build(project, tmp_path / "empty") == 0  # a previous build is replaced, as always
