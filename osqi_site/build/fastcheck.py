"""The check → publication problems → alarms stages as builds run them: on every core, each file looked at once.

The check loads and validates each file in a worker (``pool``), and while a valid disclosure is at hand there it
also finds the IDs it mentions and its alarms, so the later stages need not look at it again (``memo``); ``serve``
keeps each file's result until the file changes. Each function gives exactly what its plain, serial counterpart
gives (``core.check.check``, ``pipeline.publication_problems``, ``core.alarms.alarms``): tests/test_parallel.py
compares them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from osqi_site.build.cache import BuildCache
from osqi_site.build.memo import found_or_made
from osqi_site.build.pipeline import Mentions, mentions, unpublished_mentions
from osqi_site.build.pool import gc_paused, map_chunks
from osqi_site.core import gate
from osqi_site.core.alarms import AlarmFacts, alarm_facts, alarms_due
from osqi_site.core.check import Checked, FileChecked, Source, check_bytes, check_file, combined
from osqi_site.core.loader import MAX_FILE_BYTES, list_tree
from osqi_site.core.model import Disclosure
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings


@dataclass(frozen=True)
class CheckedWithFacts(Checked):
    """The check, with what was found on the way about each valid disclosure, by source path."""

    mentions: Mapping[str, Mentions]
    """For ``publication_problems``."""
    alarms: Mapping[str, AlarmFacts]
    """For ``alarms``."""
    fresh: Mapping[str, tuple[str, bytes | None]] = field(default_factory=dict, compare=False, repr=False)
    """``Disclosure.source`` → (``check_key``, pickled result) of each valid file checked through a ``cache``, for
    ``keep``: the result is ``None`` when it was read from the cache."""


Facts = tuple[Mentions, AlarmFacts] | None
"""What ``check`` finds out about one valid disclosure beyond its validity."""

FileMemo = dict[tuple[Source, Settings, tuple[int, ...] | None], tuple[FileChecked, Facts]]
"""Each file's result under its source, the settings and its ``_stat_key``."""

MEMO = "checked files"
"""The name ``serve`` keeps its ``FileMemo`` under in the build cache (``BuildCache.kept``)."""


def check(disclosures_dir: Path, project_root: Path, settings: Settings, *, parallel: bool = True,
          memo: FileMemo | None = None, cache: BuildCache | None = None, code: str = "") -> CheckedWithFacts:
    """``core.check.check``, each file on every core when there are enough of them to pay for the processes
    (``parallel=False`` keeps it all in this process); only the rules that span files run here, in path order.

    ``memo`` (kept by a long-lived caller such as ``serve`` between rebuilds) remembers each file's result
    under its inode, size, mtime and ctime: any write changes ctime, which no tool can set back, so an
    edited file is always read again. It is replaced by this call's entries, so it never grows.

    Without a memo, ``cache`` (a build's) gives the result of each file checked by an earlier build, under a key
    of its bytes and everything else it was checked with (``check_key``; ``code`` is the package's
    ``code_digest``); the others are checked now and come back in ``fresh``, for ``keep``.
    """
    listing = list_tree(disclosures_dir, project_root)

    def one(source: Source) -> tuple[FileChecked, Facts]:
        # Only the validation crosses back from a worker, never the parsed document: it is what pickling costs.
        # The checks that need one valid disclosure at a time run here too, while it is at hand on every core.
        return _checked_here(source, project_root, settings)

    fresh: dict[str, tuple[str, bytes | None]] = {}
    if memo is None and cache is not None:
        results = _via_cache(listing.sources, project_root, settings, cache, code, fresh, parallel=parallel)
    elif memo is None:
        results = map_chunks(one, listing.sources, parallel=parallel, pause_gc=True)
    else:
        keys = [(source, settings, _stat_key(source[0])) for source in listing.sources]
        missing = [source for source, key in zip(listing.sources, keys, strict=True) if key not in memo]
        made = dict(zip(missing, map_chunks(one, missing, parallel=parallel, pause_gc=True), strict=True))
        results = [memo[key] if key in memo else made[source]
                   for source, key in zip(listing.sources, keys, strict=True)]
        memo.clear()
        memo.update(zip(keys, results, strict=True))
    plain = combined(listing.problems, [checked for checked, _ in results])
    facts = [f for _, f in results if f is not None]
    return CheckedWithFacts(plain.disclosures, plain.problems, {m.of.source: m for m, _ in facts},
                            {a.of.source: a for _, a in facts}, fresh)


def keep(cache: BuildCache, checked: CheckedWithFacts, pub: gate.Publication) -> None:
    """Keep in ``cache`` the fresh results of the disclosures ``pub`` publishes as they were checked: call it only
    once the build is judged free of problems. The cache then holds nothing a build at that clock did not publish:
    no withheld, draft or invalid disclosure, and none whose file holds a revision the gate kept back."""
    checked_as = {d.source: d for d in checked.disclosures}
    kept = [checked.fresh[d.source] for d in pub.public if d.source in checked.fresh and checked_as.get(d.source) is d]
    # Entries found but not kept now (a disclosure withheld at this clock) are pruned: deleted and overwritten.
    cache.store(KIND, {key: blob for key, blob in kept if blob is not None},
                found=[key for key, blob in kept if blob is None])


def facts_of(checked: FileChecked, settings: Settings) -> Facts:
    """What ``check`` finds out about a file's disclosure beyond its validity, when it is valid."""
    d = None if checked.validated is None else checked.validated.disclosure
    return None if d is None else (mentions(d, settings), alarm_facts(d, settings))


KIND = "checked"
"""The build cache's kind (``BuildCache.lookup`` and ``store``) for each file's result."""


def check_key(source: Source, raw: bytes, project_root: Path, settings: Settings, code: str) -> str:
    """The key of one file's result: its bytes, its path and attachments as listed, the project folder (problems
    name paths relative to it), the settings and the code. ``core.check.check_bytes`` reads nothing else, and
    frozen dataclasses print every field, so their ``repr`` is a complete description of the input."""
    described = f"{code}\0{settings!r}\0{project_root}\0{source!r}\0".encode("utf-8", "surrogateescape")
    return hashlib.sha256(described + raw).hexdigest()


def _via_cache(sources: Sequence[Source], project_root: Path, settings: Settings, cache: BuildCache,
                   code: str, fresh: dict[str, tuple[str, bytes | None]], *,
                   parallel: bool) -> list[tuple[FileChecked, Facts]]:
    """Each file's result from ``cache``, or checked now on every core; ``fresh`` gets the key and pickled
    result of each file checked now (``keep`` decides which to keep).

    Every file is read here, once: its key and its check come from the same bytes, so an edit saved while the
    build runs can never be kept under the key of what was there before. A file that cannot be read, or is
    over the size limit, is checked as ``check_file`` checks it and never kept.
    """
    raw = [_read(source[0]) for source in sources]
    keys = [None if data is None else check_key(source, data, project_root, settings, code)
            for source, data in zip(sources, raw, strict=True)]
    results: dict[int, tuple[FileChecked, Facts]] = {}
    with gc_paused():  # as map_chunks(pause_gc=True): results are kept, and making them makes no cycles
        stored = cache.lookup(KIND, [k for k in keys if k is not None])
        for i, key in enumerate(keys):
            if key is not None and key in stored:
                with contextlib.suppress(ValueError):  # unreadable: checked again below
                    results[i] = found = _load(stored[key])
                    d = None if found[0].validated is None else found[0].validated.disclosure
                    if d is not None:
                        fresh[d.source] = (key, None)
        del stored
        todo = [i for i in range(len(sources)) if i not in results and raw[i] is not None]

        def made(i: int) -> bytes:
            data = raw[i]
            assert data is not None  # only files read are in todo
            checked = check_bytes(sources[i], data, project_root, settings)
            # Pickled here, where it is made: it crosses back to this process as these bytes anyway.
            return _dump((checked, facts_of(checked, settings)))

        for i, blob in zip(todo, map_chunks(made, todo, parallel=parallel, pause_gc=True), strict=True):
            results[i] = result = _load(blob)  # the same reader as for stored entries
            d = None if result[0].validated is None else result[0].validated.disclosure
            if d is not None:  # only a valid disclosure can be published, so kept
                fresh[d.source] = (str(keys[i]), blob)
    return [results[i] if i in results else _checked_here(source, project_root, settings)
            for i, source in enumerate(sources)]


def _read(path: Path) -> bytes | None:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) <= MAX_FILE_BYTES else None


def _checked_here(source: Source, project_root: Path, settings: Settings) -> tuple[FileChecked, Facts]:
    checked = check_file(source, project_root, settings)
    return checked, facts_of(checked, settings)


def _dump(result: tuple[FileChecked, Facts]) -> bytes:
    # Pickled: a result is a tree of the model's frozen dataclasses, and pickle keeps the one disclosure the
    # validation and the facts share as one object. Read back by _ResultUnpickler only.
    return pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)


_MODEL_MODULES = frozenset({"osqi_site.core.model", "osqi_site.core.problems", "osqi_site.core.check",
                            "osqi_site.core.validate", "osqi_site.core.alarms", "osqi_site.build.pipeline"})
"""Where the classes of a check result live: only their dataclasses may be named by a stored result."""
_DATETIME = frozenset({"date", "datetime", "timedelta", "timezone"})


class _ResultUnpickler(pickle.Unpickler):
    """Unpickles only what a check result is made of: the model's dataclasses and datetime's types.

    Pickle can name and call any function: an entry that names anything else (``os.system``, say, in a cache
    someone else wrote) is refused before it is looked up, so reading the cache never runs foreign code.
    """

    def find_class(self, module: str, name: str) -> Any:
        if module == "datetime" and name in _DATETIME:
            return super().find_class(module, name)
        if module in _MODEL_MODULES:
            found = super().find_class(module, name)
            if isinstance(found, type) and dataclasses.is_dataclass(found):
                return found
        raise pickle.UnpicklingError(f"a check result does not hold {module}.{name}")


def _load(data: bytes) -> tuple[FileChecked, Facts]:
    try:
        result = _ResultUnpickler(io.BytesIO(data)).load()
    except Exception as e:  # any unreadable entry is made again
        raise ValueError(f"unreadable check result: {e}") from None
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], FileChecked)):
        raise ValueError("not a check result")
    return result


def _stat_key(path: Path) -> tuple[int, ...] | None:
    try:
        st = path.stat()
    except OSError:
        return None  # unreadable: never remembered as anything but what loading it reports
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def publication_problems(pub: gate.Publication, settings: Settings, *, facts: Mapping[str, Mentions] | None = None,
                         parallel: bool = True) -> list[Problem]:
    """``pipeline.publication_problems``; ``facts`` (``check``'s, with the same settings) spares looking again at
    the disclosures they were found in. A disclosure the gate changed (a revision not yet dated) is another
    object than the one found: it is looked at as the gate passed it."""
    each = found_or_made(pub.public, facts, lambda d: d.source,
                         lambda todo: map_chunks(lambda d: mentions(d, settings), todo, parallel=parallel))
    return unpublished_mentions(pub, each)


def alarms(disclosures: Iterable[Disclosure], settings: Settings, now: datetime, *,
           facts: Mapping[str, AlarmFacts] | None = None, parallel: bool = True) -> list[Problem]:
    """``core.alarms.alarms``; ``facts`` (``check``'s, with the same settings) spares looking again at the
    disclosures they were found in."""
    ordered = list(disclosures)
    each = found_or_made(ordered, facts, lambda d: d.source,
                         lambda todo: map_chunks(lambda d: alarm_facts(d, settings), todo, parallel=parallel))
    return alarms_due(each, now)
