"""The publishing transaction: a site is built in a locked folder beside its destination, swapped in once complete."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from types import FrameType

log = logging.getLogger("mkdocs.plugins.osqi")

BUILD_MARKER = ".osqi-build"
"""In every public build: a preview refuses to go into, around or inside a folder holding it."""
PREVIEW_MARKER = ".osqi-preview"
"""In every preview: a public build refuses to go into, around or inside a folder holding it."""
TEMP_TAG = ".osqi-tmp-"
"""In the name of every temporary folder a build or preview makes beside its destination:
``.<destination>.osqi-tmp-building-<random>`` (the site being built) and ``.<destination>.osqi-tmp-old-<random>``
(the site it replaced, being deleted). ``init``'s ``.gitignore`` ignores them."""
LEGACY_TEMP = (".building-", ".old-")
"""What versions before TEMP_TAG called them."""
REMOVE_CHUNK = 64
"""Entries per task of ``_remove_tree``'s threads."""
DEFERRED = (signal.SIGINT, signal.SIGTERM)
"""Signals held back while the destination is being replaced, so that Ctrl-C never leaves it missing."""


class Refused(Exception):
    """A destination the transaction will not write to: the message says why and what to use instead."""


class Transaction:
    """One build's way into its destination: the only code that replaces or deletes it (builds write elsewhere).

    ``begin`` refuses a wrong destination, deletes what interrupted runs left, and makes a locked temporary
    folder (``site_dir``) beside the destination, where the build writes everything. Once every check has
    passed the build calls ``mark_complete``; ``commit`` then swaps the folder in, and ``abort`` throws it
    away. Every other way out (an exception, Ctrl-C, a kill) leaves the destination as it was: a half-built
    site is never where a deploy would pick it up.
    """

    def __init__(self, final: Path, site_dir: Path, lock: int, *, preview: bool = False,
                 build_dir: Path | None = None) -> None:
        self.final = final
        """The destination, resolved."""
        self.site_dir = site_dir
        """The temporary folder the build writes into, beside ``final`` (a rename away from it)."""
        self._lock: int | None = lock
        self._complete = False
        self._preview = preview
        self._build_dir = build_dir

    @classmethod
    def begin(cls, final: Path, *, preview: bool, config_file: Path, sources: Sequence[tuple[str, Path]] = (),
              build_dir: Path | None = None) -> Transaction:
        """Start building into ``final`` (``Refused`` before anything is written if it must not be used).

        ``sources`` are the folders the project is made of, by what to call them (``config_file``'s folder and
        the file itself count too); ``build_dir`` is where public builds go by default, which a preview keeps
        away from even before it exists.
        """
        final = final.resolve()  # every decision below on the real path: `..` and links lead nowhere else
        _refuse_source_folder(final, config_file, sources, preview=preview)
        _refuse_wrong_folder(final, preview=preview, build_dir=build_dir)
        final.parent.mkdir(parents=True, exist_ok=True)
        clean_leftovers(final)
        temp = Path(tempfile.mkdtemp(prefix=temp_prefix(final, "building"), dir=final.parent))
        lock = _claim(temp)  # held while this process builds: no other run takes it for a leftover
        os.chmod(temp, 0o755)  # mkdtemp makes it private; the published site must be readable
        return cls(final, temp, lock, preview=preview, build_dir=build_dir)

    def mark_complete(self) -> None:
        """The build passed every check: ``commit`` may now swap it in."""
        self._complete = True

    def commit(self) -> bool:
        """Swap the built site in if it was marked complete, else throw it away; True if it was swapped in.

        Never swaps while an exception is on its way out (called from a ``finally`` as MkDocs' ``on_shutdown``
        is): Ctrl-C after ``mark_complete`` but before the build returned still means the build did not end
        well. Ends the transaction either way; a second call does nothing.

        The refusals of ``begin`` are made again here, under a lock on the destination's parent folder that
        every swap into it takes: a preview and a build started at once into a folder that did not exist
        yet both passed ``begin``, and the second to finish must not replace the first (a preview would put
        every embargoed page where the build was just published). ``Refused`` then, nothing swapped.
        """
        if self._lock is None:
            return False
        swapped = False
        try:
            if self._complete and sys.exc_info()[1] is None:
                with _locked(self.final.parent):  # one swap at a time beside each other; the check holds until done
                    _refuse_wrong_folder(self.final, preview=self._preview, build_dir=self._build_dir)
                    _swap_in(self.site_dir, self.final)
                swapped = True
        finally:
            self._end(discard=not swapped)  # after a failed swap too: the next run would only delete it
        return swapped

    def abort(self) -> None:
        """Throw the built folder away and end the transaction; the destination was never touched."""
        if self._lock is not None:
            self._end(discard=True)

    def _end(self, *, discard: bool) -> None:
        self._complete = False
        if discard:
            shutil.rmtree(self.site_dir, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def marker_files(*, preview: bool, now: datetime) -> dict[str, str]:
    """The files by which a site says what it is: the refusals read them wherever they look for the other kind."""
    if preview:
        return {PREVIEW_MARKER: f"osqi-site preview as of {now.isoformat()}; never deploy\n",
                "robots.txt": "User-agent: *\nDisallow: /\n"}
    return {BUILD_MARKER: "osqi-site build\n"}


def temp_prefix(final: Path, kind: str) -> str:
    return f".{final.name}{TEMP_TAG}{kind}-"


def clean_leftovers(final: Path) -> list[Path]:
    """Delete the temporary folders an interrupted build or preview of ``final`` left beside it.

    A build holds a lock on its temporary folder until it ends (the kernel drops it if the process is killed),
    so a folder that can be locked is a leftover, and one that cannot is another build's, still running.
    """
    removed: list[Path] = []
    prefixes = (f".{final.name}{TEMP_TAG}", *(f".{final.name}{legacy}" for legacy in LEGACY_TEMP))
    try:
        entries = sorted(os.scandir(final.parent), key=lambda e: e.name)
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(prefixes) or not entry.is_dir(follow_symlinks=False):
            continue
        try:
            lock = _claim(Path(entry.path), wait=False)
        except OSError:
            continue  # another build's, still running
        try:
            shutil.rmtree(entry.path)
            removed.append(Path(entry.path))
            log.info("osqi: removed %s, left by an interrupted build", entry.path)
        finally:
            os.close(lock)
    return removed


def _refuse_wrong_folder(final: Path, *, preview: bool, build_dir: Path | None) -> None:
    """A preview shows embargoed text: it must never land where a public build goes, nor the reverse.

    Not in the same folder, nor one inside the other, at any depth: a deploy of the outer folder would
    publish the inner one. The build folder of mkdocs.yml counts as a build folder before it exists.
    """
    mine, other = (PREVIEW_MARKER, BUILD_MARKER) if preview else (BUILD_MARKER, PREVIEW_MARKER)
    kind = "a public build" if preview else "a preview"
    if (final / other).exists():
        raise Refused(f"{final} holds {kind} (it has {other}); refusing to write "
                      f"{'a preview' if preview else 'a public build'} into it. Use another folder")
    for folder in final.parents:
        if (folder / other).exists():
            raise Refused(f"{final} lies inside {folder}, which holds {kind} (it has {other}); "
                          "a deploy of it would publish this one too. Use a folder outside it")
    nested = _holding_marker(final, other)
    if nested is not None:
        raise Refused(f"{final} contains {nested}, which holds {kind} (it has {other}); "
                      "a deploy of it would publish that one too. Move it out or use another folder")
    if preview and build_dir is not None and (
            final == build_dir or final.is_relative_to(build_dir) or build_dir.is_relative_to(final)):
        raise Refused(f"{final} is, lies inside or contains the build folder {build_dir} of "
                      "mkdocs.yml; a preview never goes where a public build may. Use another folder")
    if preview and final.exists() and any(final.iterdir()) and not (final / mine).exists():
        raise Refused(f"{final} is not empty and is not a previous preview; refusing to write")


def _refuse_source_folder(final: Path, config_file: Path, sources: Sequence[tuple[str, Path]], *,
                          preview: bool) -> None:
    """A build replaces its destination whole: it must never be, contain or lie inside a folder the project
    is made of, nor contain the configuration file, or the swap would delete those sources. Decided on resolved
    real paths, so ``..`` and symbolic links lead nowhere else."""
    root = config_file.resolve().parent
    if final.exists() and not final.is_dir():
        raise Refused(f"site folder {final} is a file, not a folder; a build replaces its folder "
                      "whole. Use another folder, such as site/")
    if final == root or root.is_relative_to(final):
        raise Refused(f"site folder {final} is or contains the project folder {root} (it holds "
                      f"{config_file.name}); a build replaces its folder whole and would "
                      "delete the project. Use a folder inside it, such as site/")
    for what, folder in sources:
        real = folder.resolve()
        if final == real or final.is_relative_to(real) or real.is_relative_to(final):
            raise Refused(f"site folder {final} is, lies inside or contains the {what} {real}; a "
                          "build replaces its folder whole and would delete these sources. Use another "
                          "folder, such as site/")
    if not preview and final.is_dir() and not (final / BUILD_MARKER).exists() and any(final.iterdir()):
        # Not a previous build (it would hold the marker): whatever it holds would be deleted with it.
        raise Refused(f"site folder {final} is not empty and is not a previous build (it has no "
                      f"{BUILD_MARKER}); a build replaces its folder whole and would delete what it holds. "
                      "Use an empty or new folder")


def _claim(folder: Path, *, wait: bool = True) -> int:
    """A descriptor of ``folder`` holding an exclusive lock on it (``OSError`` if taken and not ``wait``)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (waiting for it) for the ``with`` block."""
    fd = _claim(folder)
    try:
        yield
    finally:
        os.close(fd)


def _holding_marker(root: Path, marker: str) -> Path | None:
    """The first folder below ``root`` (not ``root`` itself) that holds ``marker``, or ``None``."""
    if not root.is_dir():
        return None
    for folder, _, names in os.walk(root):
        if marker in names and folder != str(root):
            return Path(folder)
    return None


def _swap_in(built: Path, final: Path) -> None:
    """Replace ``final`` with ``built`` using renames, so readers never see a half-written site.

    Between the two renames there is no site at ``final``: a failure there puts the old one back, and Ctrl-C
    waits until both are done. (``kill -9`` at that instant leaves both folders beside it, and the next run
    deletes them as leftovers.)
    """
    old = None
    lock = None
    if final.exists():
        lock = _claim(final)  # the lock moves with the folder: no other run takes it for a leftover
        old = Path(tempfile.mkdtemp(prefix=temp_prefix(final, "old"), dir=final.parent))
        old.rmdir()
    try:
        with _signals_deferred():
            if old is not None:
                final.rename(old)
            try:
                built.rename(final)
            except BaseException:
                if old is not None:
                    old.rename(final)  # the last good site back where it was
                raise
        if old is not None:
            _remove_tree(old)
    finally:
        if lock is not None:
            os.close(lock)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM arriving in the block take effect when it ends, as if sent then.

    Python may only set handlers in the main thread; elsewhere the block runs as it is.
    """
    pending: list[int] = []

    def hold(signum: int, frame: FrameType | None) -> None:
        pending.append(signum)

    try:
        saved = {s: signal.signal(s, hold) for s in DEFERRED}
    except ValueError:
        yield
        return
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)  # None: set outside Python
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)  # to the handler the process had: KeyboardInterrupt, termination, ignored


def _remove_tree(root: Path, threads: int = 4) -> None:
    """``shutil.rmtree``, its sub-folders removed by several threads at once.

    Removing a file waits on the disk, with the GIL released: at 10,000 disclosures (45,000 files and
    folders) one thread took 7 s on ext4, four took 3.7 s. Runs last, when no process will be forked.
    """
    entries = [e for top in os.scandir(root) if top.is_dir(follow_symlinks=False) for e in os.scandir(top.path)]

    def remove(batch: list[os.DirEntry[str]]) -> None:
        for entry in batch:
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)

    # A run of entries per task, not one: handing out each of 18,000 files (a folder of OSV records, one of CVE
    # records) as a task of its own cost a tenth of the removal.
    batches = [entries[start:start + REMOVE_CHUNK] for start in range(0, len(entries), REMOVE_CHUNK)]
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(remove, batches))  # list(): an error in any of them is raised here
    shutil.rmtree(root)
