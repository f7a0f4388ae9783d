"""What the publisher may read and publish from the project's folders: real files with readable names, no link.

Every symbolic link in ``disclosures/``, in ``docs_dir`` and in the site's theme folder is refused, whatever it
points at: a link's target can change after review, and a link to a withheld attachment, to a whole withheld
folder or out of the project is what a hostile pull request would use. Refusing them all is simpler to prove
than judging each target. A file name that is not valid UTF-8, or holds a control or invisible character, is
refused too: such names cannot be written into ``SHA256SUMS``, a URL or a problem line unambiguously.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from osqi_site.core.problems import Problem


def name_problem(name: str) -> str | None:
    """Why a file or folder name (as ``os.scandir`` gives it: undecodable bytes as surrogates) is refused."""
    if name.isprintable():  # the common case: one C call
        return None
    bad = next(ch for ch in name if not ch.isprintable())
    if "\udc80" <= bad <= "\udcff":
        return "file name is not valid UTF-8; rename it"
    return f"file name holds a control or invisible character (U+{ord(bad):04X}); rename it"


def shown(path: str) -> str:
    """``path`` as a problem line can show it: undecodable bytes as ``\\xNN``, other unprintables as ``\\uNNNN``."""
    if path.isprintable():
        return path
    out = []
    for ch in path:
        if ch.isprintable():
            out.append(ch)
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)


def rel(path: Path | str, project_root: Path) -> str:
    """``path`` relative to the project root where it lies below it, ``/``-separated, printable."""
    p = Path(path)
    try:
        text = p.relative_to(project_root).as_posix()
    except ValueError:
        text = p.as_posix()
    return shown(text)


def link_problem(path: Path, real_root: Path, folder_name: str) -> str:
    """Why the symbolic link ``path`` is refused (every link is); never raises, loops and dead links included."""
    try:
        st = os.stat(path)  # follows the link, and the links it leads to
    except OSError as e:
        if e.errno == errno.ELOOP:
            return "symbolic link loop; remove it"
        return "broken symbolic link; remove it"
    target = Path(os.path.realpath(path))
    if not target.is_relative_to(real_root):
        return f"symbolic link points outside the {folder_name} folder; refused"
    if stat.S_ISDIR(st.st_mode):
        # A linked folder inside the tree is a copy of something already read: refused, not read twice.
        return "symbolic link to a folder; use a real folder"
    return (f"symbolic link to {shown(target.relative_to(real_root).as_posix())}; symbolic links are refused "
            "(a link can publish what its target withholds): put the file itself here")


def linked_root(folder: Path, project_root: Path, field: str) -> Problem | None:
    """A problem if ``folder`` itself, or a folder between the project root and it, is a symbolic link."""
    try:
        parts = folder.relative_to(project_root).parts
    except ValueError:
        parts = ()
    here = project_root
    for part in parts:
        here = here / part
        if here.is_symlink():
            return Problem(rel(here, project_root), 0, field,
                           "is a symbolic link; use a real folder (symbolic links are refused)")
    return None


def walk(root: Path, project_root: Path, problems: list[Problem], folders: set[str] | None = None) -> Iterator[Path]:
    """Every regular file below ``root``, top-down in name order, dotfiles included; never follows a link.

    Each symbolic link, each special file (named pipe, socket, device) and each unreadable name becomes a
    problem instead (an unreadable folder name is not
    descended into). Each folder walked into is added to ``folders`` (as ``str``) when given.
    ``os.scandir`` rather than ``os.walk`` and ``Path.is_symlink``: a directory entry already knows whether
    it is a link, which spares two system calls per file (a third of ``check`` on a large tree).
    """
    real_root = Path(os.path.realpath(root))
    todo = [str(root)]
    while todo:
        folder = todo.pop()
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            continue  # unreadable or vanished meanwhile: as os.walk, skip it
        subfolders: list[str] = []
        for entry in entries:
            bad_name = name_problem(entry.name)
            if bad_name is not None:
                problems.append(Problem(rel(entry.path, project_root), 0, "file", bad_name))
                continue
            if entry.is_symlink():
                problems.append(Problem(rel(entry.path, project_root), 0, "file",
                                        link_problem(Path(entry.path), real_root, root.name)))
                continue
            if _is_dir(entry):
                subfolders.append(entry.path)
                if folders is not None:
                    folders.add(entry.path)
            elif _is_file(entry):
                yield Path(entry.path)
            else:  # reading a named pipe waits forever; a socket or device is no content either
                problems.append(Problem(rel(entry.path, project_root), 0, "file",
                                        "not a regular file (a named pipe, socket or device); use a plain file"))
        todo.extend(reversed(subfolders))  # popped in name order: top-down, as os.walk


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:
        return False


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def tree_problems(root: Path, project_root: Path, field: str) -> list[Problem]:
    """Every symbolic link and unreadable name in ``root`` (and ``root`` itself a link): what ``walk`` refuses."""
    problems: list[Problem] = []
    linked = linked_root(root, project_root, field)
    if linked is not None:
        return [linked]
    for _ in walk(root, project_root, problems):
        pass
    return problems
