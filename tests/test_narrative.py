"""The narrative's plain summary: one line made once per body, then cut at each length asked for."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from osqi_site.core import narrative
from osqi_site.core.narrative import plain_summary, section_text


def _plain_summary_uncached(body: str, limit: int) -> str:
    """``plain_summary`` spelled out in one piece, as it was before the uncut line was cached per body."""
    text = section_text(body, "Summary") or ""
    text = re.sub(r"`([^`]*)`", r"\1", text)
    text = narrative._unlink(text)
    text = re.sub(r"[*_]{1,3}([^*_]+)[*_]{1,3}", r"\1", text)
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


_words = st.lists(st.sampled_from(["word", "`code`", "**bold**", "_em_", "[link](x.html)", "![img](y.png)", "a,",
                                   "b;", " ", "\n", "x" * 30, "é", "…"]), max_size=40).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(summary=_words, other=_words, limits=st.lists(st.integers(min_value=1, max_value=400), min_size=1,
                                                     max_size=5))
def test_plain_summary_at_every_length_is_the_uncached_one(summary: str, other: str, limits: list[int]) -> None:
    body = f"## Summary\n\n{summary}\n\n## Discovery\n\n{other}\n"
    # The same body at several lengths in a row, as a page, a search entry and a CVE description ask for it:
    # the cached line must never carry one length's cut into the next.
    for limit in [*limits, 300, 160, 200, 4095, *reversed(limits)]:
        assert plain_summary(body, limit) == _plain_summary_uncached(body, limit)


def test_plain_summary_is_cut_per_call() -> None:
    body = "## Summary\n\n" + " ".join(f"w{i}" for i in range(100)) + "\n"
    assert plain_summary(body, 20) == "w0 w1 w2 w3 w4 w5…"
    assert plain_summary(body, 1000).endswith("w98 w99")
    assert plain_summary(body, 20) == "w0 w1 w2 w3 w4 w5…"
