"""Memo: serve's per-object results between reloads."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from osqi_site.build.memo import Memo, found_or_made


class Item:
    def __init__(self, value: int) -> None:
        self.value = value


def test_only_new_objects_and_changed_tags_or_context_are_computed() -> None:
    seen: list[int] = []

    def double(items: Sequence[Item]) -> list[int]:
        seen.extend(i.value for i in items)
        return [2 * i.value for i in items]

    memo: Memo[Item, int] = Memo()
    a, b, c = Item(1), Item(2), Item(3)
    assert memo.map(double, [a, b], context="x") == [2, 4]
    assert memo.map(double, [a, b, c], context="x") == [2, 4, 6]
    assert seen == [1, 2, 3]  # a and b were remembered
    b2 = Item(2)  # equal content, another object: an edited file is a new object
    assert memo.map(double, [a, b2], context="x") == [2, 4]
    assert seen == [1, 2, 3, 2]
    assert memo.map(double, [a, b2], context="y") == [2, 4]  # other settings: all again
    assert seen == [1, 2, 3, 2, 1, 2]
    assert memo.map(double, [a, b2], context="y", tag=lambda i: i is a) == [2, 4]  # a's tag changed
    assert seen == [1, 2, 3, 2, 1, 2, 1, 2]
    memo.map(double, [b2], context="y", tag=lambda i: False)
    memo.map(double, [a], context="y", tag=lambda i: True)  # forgotten: the previous call did not have it
    assert seen[-1] == 1


@given(st.lists(st.tuples(st.lists(st.integers(0, 9), max_size=12), st.sampled_from("xy"), st.integers(0, 2))))
def test_results_are_always_what_a_fresh_computation_gives(calls: list[tuple[list[int], str, int]]) -> None:
    pool = [Item(v) for v in range(10)]  # the same objects come back, in any order and number
    memo: Memo[Item, tuple[int, str, int]] = Memo()
    for picks, context, modulus in calls:
        items = [pool[p] for p in picks]

        def fn(todo: Sequence[Item], context: str = context, modulus: int = modulus) -> list[tuple[int, str, int]]:
            return [(i.value, context, i.value % (modulus + 1)) for i in todo]

        def tag(item: Item, modulus: int = modulus) -> int:
            return item.value % (modulus + 1)

        got = memo.map(fn, items, context=context, tag=tag)
        assert got == fn(items)


class Fact:
    def __init__(self, of: Item, value: int) -> None:
        self.of = of
        self.value = value


@given(st.lists(st.tuples(st.integers(0, 4), st.sampled_from(["same object", "another object", "none"])),
                max_size=12))
def test_found_or_made_gives_what_making_all_gives(picks: list[tuple[int, str]]) -> None:
    """What was found is taken only for the very object it was found in; anything else is made, in order."""
    items = [Item(v) for v, _ in picks]
    found: dict[str, Fact] = {}
    for item, (_, how) in zip(items, picks, strict=True):
        if how != "none":  # found under the item's name; in another object, it is stale (value -1)
            found[str(id(item))] = Fact(item if how == "same object" else Item(item.value), item.value * 10
                                        if how == "same object" else -1)
    made: list[Item] = []

    def make(todo: Sequence[Item]) -> list[Fact]:
        made.extend(todo)
        return [Fact(i, i.value * 10) for i in todo]

    got = found_or_made(items, found, lambda i: str(id(i)), make)
    assert [(f.of, f.value) for f in got] == [(i, i.value * 10) for i in items]
    assert made == [i for i, (_, how) in zip(items, picks, strict=True) if how != "same object"]
