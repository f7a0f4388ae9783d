"""The publishing transaction without MkDocs: the destination changes only by a swap of a build marked complete;
late failures, Ctrl-C and kills leave it byte for byte as it was, and what they leave behind goes next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from osqi_site.build import transaction
from osqi_site.build.transaction import BUILD_MARKER, PREVIEW_MARKER, TEMP_TAG, Refused, Transaction

_NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _begin(final: Path, *, preview: bool = False, sources: Sequence[tuple[str, Path]] = (),
           build_dir: Path | None = None, project: Path | None = None) -> Transaction:
    """A transaction of a project (by default ``project/`` beside ``final``), as the plugin begins one."""
    project = final.parent / "project" if project is None else project
    return Transaction.begin(final, preview=preview, config_file=project / "mkdocs.yml", sources=sources,
                             build_dir=build_dir)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def _tree(root: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) below ``root``."""
    return {p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else None for p in sorted(root.rglob("*"))}


def _last_good(final: Path) -> dict[str, bytes | None]:
    """A previous public build at ``final``; its tree as it stands."""
    _write(final, {BUILD_MARKER: "osqi-site build\n", "index.html": "<p>last good</p>\n",
                   "disclosures/OSQI-2026-0001/index.html": "<p>published</p>\n"})
    return _tree(final)


def _fill(site: Path, count: int, *, interrupt_at: int | None = None) -> None:
    """Write ``count`` pages into ``site``, Ctrl-C arriving before page ``interrupt_at``."""
    for i in range(count):
        if i == interrupt_at:
            raise KeyboardInterrupt
        _write(site, {f"disclosures/OSQI-2026-{i:04d}/index.html": f"<p>new {i}</p>\n"})


def _temporary(final: Path) -> list[str]:
    return sorted(p.name for p in final.parent.iterdir() if TEMP_TAG in p.name)


# -- a failure after the temporary folder holds files ----------------------------------------------------------

def test_a_late_failure_leaves_the_destination_byte_identical_and_no_temporary_folder(tmp_path: Path) -> None:
    final = tmp_path / "site"
    before, inode = _last_good(final), final.stat().st_ino
    txn = _begin(final)
    _fill(txn.site_dir, 30)
    assert txn.site_dir.parent == final.parent and len(list(txn.site_dir.rglob("*.html"))) == 30
    with pytest.raises(RuntimeError, match="leak"):
        try:
            raise RuntimeError("the leak scan found withheld text")  # as on_post_build fails
        except Exception:
            txn.abort()  # on_build_error
            raise
        finally:
            txn.commit()  # on_shutdown, always called
    assert _tree(final) == before and final.stat().st_ino == inode
    assert not txn.site_dir.exists() and _temporary(final) == []


# -- Ctrl-C and kill ---------------------------------------------------------------------------------------

def test_ctrl_c_while_the_temporary_folder_fills_leaves_the_destination_and_no_folder(tmp_path: Path) -> None:
    final = tmp_path / "site"
    before = _last_good(final)
    txn = _begin(final)
    with pytest.raises(KeyboardInterrupt):
        try:
            _fill(txn.site_dir, 30, interrupt_at=12)
            txn.mark_complete()
        finally:
            txn.commit()  # on_shutdown: no on_build_error for Ctrl-C, which is no Exception
    assert _tree(final) == before
    assert _temporary(final) == []


def test_ctrl_c_after_the_build_was_marked_complete_still_never_swaps(tmp_path: Path) -> None:
    # MkDocs counts strict-mode warnings after the last plugin event: the build has not ended well yet.
    final = tmp_path / "site"
    before = _last_good(final)
    txn = _begin(final)
    with pytest.raises(KeyboardInterrupt):
        try:
            _fill(txn.site_dir, 30)
            txn.mark_complete()
            raise KeyboardInterrupt
        finally:
            txn.commit()
    assert _tree(final) == before
    assert _temporary(final) == []


CHILD = """
import sys, time
from pathlib import Path
from osqi_site.build.transaction import Transaction

final = Path(sys.argv[1])
txn = Transaction.begin(final, preview=False, config_file=final.parent / "project" / "mkdocs.yml")
try:
    for i in range(100_000):
        (txn.site_dir / f"page-{i}.html").write_text("half built")
        if i == 20:
            print(txn.site_dir, flush=True)
        time.sleep(0.005)
    txn.mark_complete()
finally:
    txn.commit()
"""


@contextmanager
def _building(final: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    """Another process building into ``final``, its temporary folder already holding pages."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(final)], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    try:
        assert child.stdout is not None
        yield child, Path(child.stdout.readline().strip())
    finally:
        child.kill()
        child.wait()


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGKILL])
def test_an_interrupted_or_killed_build_leaves_the_destination_and_the_next_run_cleans_up(
        tmp_path: Path, sent: signal.Signals) -> None:
    final = tmp_path / "site"
    before = _last_good(final)
    with _building(final) as (child, building):
        assert len(list(building.glob("page-*.html"))) > 20
        child.send_signal(sent)
        assert child.wait(timeout=60) != 0
    assert _tree(final) == before
    # Ctrl-C: the process threw its folder away; kill -9: it could not, and the next run does.
    assert building.exists() == (sent == signal.SIGKILL)
    _begin(final).abort()
    assert _tree(final) == before
    assert _temporary(final) == []


# -- the swap: only a build marked complete ---------------------------------------------------------------------

def test_commit_without_mark_complete_never_swaps(tmp_path: Path) -> None:
    final = tmp_path / "site"
    before = _last_good(final)
    txn = _begin(final)
    _fill(txn.site_dir, 30)
    assert txn.commit() is False
    assert _tree(final) == before
    assert _temporary(final) == []


def test_a_complete_build_replaces_the_destination_whole_and_readable(tmp_path: Path) -> None:
    final = tmp_path / "site"
    _last_good(final)
    txn = _begin(final)
    _write(txn.site_dir, {BUILD_MARKER: "osqi-site build\n", "index.html": "<p>new</p>\n"})
    built = _tree(txn.site_dir)
    txn.mark_complete()
    assert txn.commit() is True
    assert _tree(final) == built  # nothing of the last site is left in it
    assert (final.stat().st_mode & 0o777) == 0o755  # mkdtemp's folder is private; a site must be readable
    assert _temporary(final) == []
    assert txn.commit() is False and _tree(final) == built  # ended: a second call does nothing


def test_ctrl_c_during_the_swap_waits_until_the_new_site_is_in_place(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # Between the two renames there is no site at all: Ctrl-C there must wait for the second.
    final = tmp_path / "site"
    _last_good(final)
    txn = _begin(final)
    _write(txn.site_dir, {BUILD_MARKER: "osqi-site build\n", "index.html": "<p>new</p>\n"})
    built = _tree(txn.site_dir)
    txn.mark_complete()
    _on_rename(monkeypatch, after_first=lambda: os.kill(os.getpid(), signal.SIGINT))
    with pytest.raises(KeyboardInterrupt):
        txn.commit()
    assert _tree(final) == built
    _begin(final).abort()  # what the interrupt left (the old site, not yet deleted) goes next run
    assert _temporary(final) == []


def test_a_swap_that_fails_halfway_puts_the_last_good_site_back(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    final = tmp_path / "site"
    before = _last_good(final)
    txn = _begin(final)
    _fill(txn.site_dir, 3)
    txn.mark_complete()

    def fail() -> None:
        raise OSError("no space left on device")

    _on_rename(monkeypatch, instead_of_second=fail)
    with pytest.raises(OSError, match="no space"):
        txn.commit()
    assert _tree(final) == before
    assert _temporary(final) == []


def _on_rename(monkeypatch: pytest.MonkeyPatch, *, after_first: Callable[[], None] | None = None,
               instead_of_second: Callable[[], None] | None = None) -> None:
    """Hook the swap's renames: the first moves the destination away, the second moves the build there."""
    real, calls = os.rename, []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(src)
        if len(calls) == 2 and instead_of_second is not None:
            return instead_of_second()
        real(src, dst)
        if len(calls) == 1 and after_first is not None:
            after_first()
        return None

    monkeypatch.setattr(os, "rename", rename)


def test_the_replaced_site_is_not_a_leftover_while_it_is_being_deleted(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    # Another run starting meanwhile must not delete it under this one's feet.
    final = tmp_path / "site"
    _last_good(final)
    txn = _begin(final)
    _fill(txn.site_dir, 3)
    txn.mark_complete()
    real, seen = transaction._remove_tree, []

    def remove(old: Path, threads: int = 4) -> None:
        seen.append(transaction.clean_leftovers(final))
        real(old, threads)

    monkeypatch.setattr(transaction, "_remove_tree", remove)
    assert txn.commit() is True
    assert seen == [[]]


def test_remove_tree_removes_everything_and_never_follows_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("not ours")
    root = tmp_path / "old-site"
    _write(root, {rel: rel for rel in ("index.html", "a/b.json", "a/c/d.html", "e/f/g/h.txt",
                                      ".well-known/csaf/2026/x.json")})
    (root / "a" / "link").symlink_to(outside, target_is_directory=True)
    (root / "toplink").symlink_to(outside, target_is_directory=True)
    transaction._remove_tree(root)
    assert not root.exists() and (outside / "keep.txt").read_text() == "not ours"


# -- leftovers ------------------------------------------------------------------------------------------------

def test_leftovers_of_a_dead_run_are_deleted_and_a_running_ones_kept(tmp_path: Path) -> None:
    final = tmp_path / "site"
    before = _last_good(final)
    dead = tmp_path / f".site{TEMP_TAG}building-dead"
    _write(dead, {"index.html": "half built"})
    with _building(final) as (child, running):
        txn = _begin(final)
        assert not dead.exists()
        assert running.is_dir() and child.poll() is None  # locked by a live process: not a leftover
        txn.abort()
        child.send_signal(signal.SIGKILL)  # the kernel drops its lock with it
        child.wait()
        _begin(final).abort()
        assert not running.exists()
    assert _tree(final) == before
    assert _temporary(final) == []


def test_a_link_named_like_a_leftover_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _write(outside, {"keep.txt": "not ours"})
    link = tmp_path / f".site{TEMP_TAG}building-link"
    link.symlink_to(outside, target_is_directory=True)
    _begin(tmp_path / "site").abort()
    assert link.is_symlink() and (outside / "keep.txt").read_text() == "not ours"


# -- refusals: nothing is written, nothing deleted ---------------------------------------------------------------

def _sources(tmp_path: Path) -> list[tuple[str, Path]]:
    return [("docs_dir", tmp_path / "project" / "content"), ("disclosures_dir", tmp_path / "data" / "disclosures")]


LAYOUT = {
    "project/mkdocs.yml": "site_name: x\n", "project/content/index.md": "# x\n",
    "data/disclosures/OSQI-2026-0001.md": "---\n", "afile": "x\n", "notes/notes.txt": "not ours\n",
    f"built/{BUILD_MARKER}": "osqi-site build\n", f"review/{PREVIEW_MARKER}": "preview\n",
    f"around-preview/{BUILD_MARKER}": "osqi-site build\n", f"around-preview/old/review/{PREVIEW_MARKER}": "preview\n",
    f"around-build/{PREVIEW_MARKER}": "preview\n", f"around-build/copy/{BUILD_MARKER}": "osqi-site build\n",
}


@pytest.mark.parametrize(("preview", "where", "message"), [
    (False, "afile", "is a file, not a folder"),
    (False, "project", "is or contains the project folder"),
    (False, ".", "is or contains the project folder"),
    (False, "project/content", "is, lies inside or contains the docs_dir"),
    (False, "project/content/deep", "is, lies inside or contains the docs_dir"),
    (False, "data", "is, lies inside or contains the disclosures_dir"),
    (False, "via-link/x", "is, lies inside or contains the docs_dir"),
    (False, "notes", "is not empty and is not a previous build"),
    (False, "review/public", "which holds a preview"),
    (False, "around-preview", "which holds a preview"),
    (True, "built", "holds a public build"),
    (True, "built/deep/review", "which holds a public build"),
    (True, "around-build", "which holds a public build"),
    (True, "public", "the build folder"),
    (True, "public/site/review", "the build folder"),
    (True, "public/site", "the build folder"),
    (True, "notes", "is not empty and is not a previous preview"),
])
def test_a_wrong_destination_is_refused_before_anything_is_written(tmp_path: Path, preview: bool, where: str,
                                                                  message: str) -> None:
    _write(tmp_path, LAYOUT)
    (tmp_path / "via-link").symlink_to(tmp_path / "project" / "content")
    final = (tmp_path / where).resolve()
    if final.parent.is_relative_to(tmp_path):  # kept: nothing is cleaned before the refusal
        (final.parent / f".{final.name}{TEMP_TAG}building-old").mkdir(parents=True)
    before = _tree(tmp_path)
    with pytest.raises(Refused, match=message):
        _begin(tmp_path / where, preview=preview, sources=_sources(tmp_path),
               build_dir=tmp_path / "public" / "site", project=tmp_path / "project")
    assert _tree(tmp_path) == before


def test_a_previous_build_or_preview_and_an_empty_folder_are_fine_destinations(tmp_path: Path) -> None:
    _write(tmp_path, LAYOUT)
    for preview, where in ((False, "built"), (True, "review"), (False, "new/site"), (True, "new/review")):
        txn = _begin(tmp_path / where, preview=preview, sources=_sources(tmp_path),
                     build_dir=tmp_path / "public" / "site", project=tmp_path / "project")
        assert txn.site_dir.is_dir() and txn.site_dir.parent == (tmp_path / where).parent
        txn.abort()


def test_marker_files_say_what_a_site_is() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert transaction.marker_files(preview=False, now=now) == {BUILD_MARKER: "osqi-site build\n"}
    preview = transaction.marker_files(preview=True, now=now)
    assert preview[PREVIEW_MARKER] == "osqi-site preview as of 2026-06-01T00:00:00+00:00; never deploy\n"
    assert preview["robots.txt"] == "User-agent: *\nDisallow: /\n" and BUILD_MARKER not in preview


# -- two runs into one destination at once ----------------------------------------------------------------------

@pytest.mark.parametrize("first_preview", [False, True], ids=["build-finishes-first", "preview-finishes-first"])
def test_a_build_and_a_preview_started_at_once_never_replace_each_other(tmp_path: Path, first_preview: bool) -> None:
    # Both start while the destination does not exist yet, so both pass begin's refusals; the second to
    # finish must be refused at its swap, or a preview would replace the site the build just published.
    final = tmp_path / "out"
    first = _begin(final, preview=first_preview)
    second = _begin(final, preview=not first_preview)
    for txn, preview in ((first, first_preview), (second, not first_preview)):
        _write(txn.site_dir, {**transaction.marker_files(preview=preview, now=_NOW), "index.html": "<p>x</p>\n"})
        txn.mark_complete()
    assert first.commit()
    published = _tree(final)
    with pytest.raises(Refused, match="holds a"):
        second.commit()
    assert _tree(final) == published  # still the first run's site, marker and all
    assert _temporary(final) == []  # the refused run's folder is thrown away
