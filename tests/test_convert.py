"""Markdown conversion of generated pages: one reused Markdown instance per process gives what a fresh one does."""

from __future__ import annotations

from osqi_site.pages import convert

RECIPE = convert.Recipe(("toc", "tables", "fenced_code", "attr_list", "md_in_html", "admonition"),
                        {"toc": {"permalink": True}})

TEXTS = [
    "# Title\n\n## Summary\n\nText with `code` and a [link](https://example.org).\n\n## Summary\n\nAgain.\n",
    # The same headings again: a leftover of the previous page's ids would give "summary_1" here.
    "## Summary\n\nFirst.\n\n## Discovery {#found .note}\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    "```python\nprint('<not html>')\n```\n\n<div markdown>\n*inside* html\n</div>\n\n!!! note \"Heads up\"\n    body\n",
    "No headings at all, only a paragraph with <span>raw html</span>.\n",
    "## Summary\n\n<!--osqi-block:X:0-->\n\nAfter the block.\n",
]


def test_reused_instance_converts_exactly_as_a_fresh_one() -> None:
    texts = TEXTS * 3  # every text after a different one, and after itself
    fresh = [convert.to_html(t, RECIPE) for t in texts]
    converter = convert.Converter(RECIPE)
    assert [converter(t) for t in texts] == fresh
    assert fresh[1].toc[0]["id"] == "summary"  # the state that must not leak between pages
