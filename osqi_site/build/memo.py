"""Results reused for the very objects they were made from: across serve reloads, and from loading to checking."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Found(Protocol):
    @property
    def of(self) -> object:
        """The very object this was found in."""


F = TypeVar("F", bound=Found)


def found_or_made(items: Sequence[T], found: Mapping[str, F] | None, source: Callable[[T], str],
                  make: Callable[[Sequence[T]], list[F]]) -> list[F]:
    """For each item, what ``found`` holds under ``source(item)`` if it was found in that very object (an
    item rebuilt since, say by the gate, is not it); ``make`` of all the others, in one call, in order."""
    known = {id(x): f for x in items if found and (f := found.get(source(x))) is not None and f.of is x}
    todo = [x for x in items if id(x) not in known]
    known.update(zip(map(id, todo), make(todo), strict=True))
    return [known[id(x)] for x in items]


class Memo(Generic[T, R]):
    """Remembers ``fn(item)`` per item across calls, by the item's identity.

    ``serve`` re-reads only the disclosure files that changed, so every other disclosure is the very same
    object on the next reload. Comparing by identity costs nothing, where hashing or printing a large
    frozen dataclass to recognise it costs as much as the work saved. The entry of an object is kept
    with the object, so its ``id`` cannot be reused while remembered; each call keeps only its own items.
    """

    def __init__(self) -> None:
        self._context: Hashable = None
        self._entries: dict[int, tuple[T, Hashable, R]] = {}

    def map(self, fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], *, context: Hashable,
            tag: Callable[[T], Hashable] = lambda item: None) -> list[R]:
        """``fn(items)``, computing only items the previous call did not see (same object, same ``tag``)
        in an equal ``context``; ``tag`` names what else an item's result depends on (e.g. the clock)."""
        if context != self._context:
            self._entries = {}
        tags = [tag(item) for item in items]
        fresh = [i for i, item in enumerate(items) if not self._knows(item, tags[i])]
        made = dict(zip(fresh, fn([items[i] for i in fresh]), strict=True))
        results = [made[i] if i in made else self._entries[id(item)][2] for i, item in enumerate(items)]
        self._context = context
        self._entries = {id(item): (item, t, r) for item, t, r in zip(items, tags, results, strict=True)}
        return results

    def _knows(self, item: T, tag: Hashable) -> bool:
        entry = self._entries.get(id(item))
        return entry is not None and entry[0] is item and entry[1] == tag
