"""Which file names MkDocs builds into pages (else it copies the file as it is): its rule, without importing MkDocs."""

from __future__ import annotations

MARKDOWN_SUFFIXES = (".markdown", ".mdown", ".mkdn", ".mkd", ".md")
"""``mkdocs.utils.markdown_extensions``, copied so the core needs no MkDocs; tests/test_content_gate.py pins
them equal."""


def mkdocs_reads_as_page(rel: str) -> bool:
    """Whether MkDocs builds a page from the file ``rel`` (``mkdocs.utils.is_markdown_file``), case and all."""
    return rel.endswith(MARKDOWN_SUFFIXES)
