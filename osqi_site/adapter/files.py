"""MkDocs' files and server, adapted: generated files the plugin writes itself, attachments copied as they are,
page order and nav titles, links between pages, and serve's polling interval."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from osqi_site.build import pool
from osqi_site.build.pool import Background

WRITE_CHUNK = 128
"""Files per task of ``write_files``' threads: large enough that handing out tasks costs nothing."""


def write_files(contents: Mapping[str, bytes], *, threads: int = 4) -> None:
    """Write each absolute path's bytes, several files at once.

    Creating tens of thousands of files is system time that MkDocs' copy would spend on one core. Threads,
    not forked workers: a write waits in the kernel with the GIL released, and a forked worker would
    privately copy every memory page whose objects it touches. The threads are gone when this returns, so
    workers may be forked after it.
    """
    for folder in sorted({os.path.dirname(path) for path in contents}):
        os.makedirs(folder, exist_ok=True)  # here, once each, not by the threads for every file
    items = sorted(contents.items())
    runs = (items[start:start + WRITE_CHUNK] for start in range(0, len(items), WRITE_CHUNK))
    with ThreadPoolExecutor(threads) as writers:
        # A run of files per task, not one: a thread pool's map hands out every item as a task of its own
        # (it ignores ``chunksize``), which cost more than the writes at tens of thousands of files.
        list(writers.map(_write_run, runs))  # list(): errors raise here


def _write_run(items: list[tuple[str, bytes]]) -> None:
    for path, data in items:
        with open(path, "wb") as f:
            f.write(data)


def make_folders(paths: Iterable[str], *, parallel: bool) -> Background | None:
    """Make the folder of each of ``paths`` (files MkDocs will write) in a forked child (``pool.in_background``)
    while this process goes on reading the pages; ``None`` when not ``parallel`` or for a few (MkDocs makes them).

    MkDocs makes a page's folder as it writes the page: with a folder per disclosure, ten thousand new folders
    cost that one busy core about 0.4 s, and finding each one made a sixth of that. Whatever the child could not
    make, MkDocs makes or reports as it always does, so its answer is not needed.
    """
    folders = sorted({os.path.dirname(path) for path in paths})
    if not parallel or len(folders) < pool.MIN_ITEMS:  # a few folders cost less than forking
        return None

    def make() -> str | None:
        try:
            for folder in folders:
                os.makedirs(folder, exist_ok=True)
        except OSError as e:
            return str(e)
        return None

    return pool.in_background(make)


class AttachmentFile(File):
    """An attachment: copied as it is, whatever its name; MkDocs would build a page of a ``.md`` one."""

    def is_documentation_page(self) -> bool:
        return False


class WrittenFile(File):
    """A generated file that the plugin writes into site_dir itself, so MkDocs need not copy it.

    Its source is its own destination: until ``written`` is set, MkDocs copies it the way it copies
    such a file (it skips it if it is there, and fails the build if it is missing).
    """

    written = False

    def copy_file(self, dirty: bool = False) -> None:
        if not self.written:  # a dozen thousand files: MkDocs' check costs four system calls each
            super().copy_file(dirty)


def poll_interval(watched_files: int) -> float:
    """Seconds between two looks at the watched files: 0.1 s for a few hundred, MkDocs' 0.5 s from 2,500."""
    return min(0.5, max(0.1, watched_files / 5000))


def set_poll_interval(server: Any, seconds: float) -> bool:
    """Make MkDocs' polling watcher look every ``seconds``; False (and MkDocs' default kept) if it cannot.

    watchdog has no public setter: its observer and emitters keep the interval in ``_timeout``. The
    observer's applies to folders watched from now on (disclosures_dir is added after ``on_serve``).
    """
    observer = getattr(server, "observer", None)
    targets = [observer, *getattr(observer, "emitters", ())] if observer is not None else []
    if not targets or not all(hasattr(t, "_timeout") for t in targets):
        return False
    for target in targets:
        target._timeout = seconds
    return True


def write_first(files: Files, pages: set[int]) -> None:
    """Move the files of ``pages`` (by ``id``) to the front, keeping every other order: MkDocs writes pages
    in this order, so serve shows the page just edited before rewriting the unchanged ones."""
    ordered = sorted(files, key=lambda f: id(f.page) not in pages if f.page is not None else True)
    for f in ordered:
        files.remove(f)
    for f in ordered:
        files.append(f)


def nav_titles(nav: Any) -> dict[str, str]:
    """``{path: title}`` of every titled page entry in a nav configuration."""
    out: dict[str, str] = {}
    items = nav if isinstance(nav, list) else [nav] if isinstance(nav, dict) else []
    for item in items:
        if isinstance(item, dict):
            for title, value in item.items():
                if isinstance(value, str):
                    out.setdefault(value, str(title))
                else:
                    out.update({k: v for k, v in nav_titles(value).items() if k not in out})
    return out


def linker(files: Files, page: Page) -> Callable[[str], str]:
    """Maps a page's source path to its URL relative to ``page``."""
    def href(src_path: str) -> str:
        target = files.get_file_from_path(src_path)
        if target is None:
            raise PluginError(f"osqi: {page.file.src_uri}: no page {src_path} to link to")
        return target.url_relative_to(page.file)
    return href
