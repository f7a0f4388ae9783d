"""The pipeline in one place: load → validate → gate → render → exports, plus the checks that span outputs.

Each stage here is plain and serial. Builds run the same stages on every core and through the build cache
(``fastcheck``, ``outputs.site``, ``convert_pages``), with the same results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from osqi_site.build import leakscan
from osqi_site.core import gate

# The first stage, the check of every disclosure, is the core's; named here with the stages that follow it.
from osqi_site.core.check import Checked as Checked
from osqi_site.core.check import check as check
from osqi_site.core.loader import (
    bidi_control_problem,
)
from osqi_site.core.model import Disclosure
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings

if TYPE_CHECKING:
    from osqi_site.build import outputs
    from osqi_site.pages import generated


@dataclass(frozen=True)
class SiteOutput:
    """Everything the shell must publish for one build."""

    pages: tuple[generated.Page, ...]
    files: Mapping[str, bytes]
    """Site-relative path → bytes of every feed and export."""
    attachments: Mapping[str, str]
    """Site-relative path → absolute source path, for files copied beside public disclosure pages."""
    search: tuple[dict[str, str], ...] = ()
    """The search-index entry of each public disclosure, in ID order."""


def mention_problems(path: str, text: str, first_line: int, public_ids: frozenset[str],
                     settings: Settings) -> list[Problem]:
    """Every mention of a disclosure ID that is not public, in any spelling (see ``leakscan``), and a
    bidirectional control, which would show readers text in another order than the check reads it."""
    bidi = bidi_control_problem(path, text, first_line, "body")
    return [*([bidi] if bidi else []), *(Problem(path, line, "body", _not_public(ident))
            for line, ident in leakscan.mention_lines(text, first_line, settings.id_prefix)
            if ident not in public_ids)]


@dataclass(frozen=True)
class Mentions:
    """Every disclosure ID a disclosure mentions. ``of`` is that very disclosure."""

    of: Disclosure
    found: tuple[tuple[int, str, str], ...]
    """``(line, field, ID)``: the narrative first, then every other published field (``leakscan.text_fields``)."""


def mentions(d: Disclosure, settings: Settings) -> Mentions:
    """The IDs one disclosure mentions, looked at alone: what ``publication_problems`` does for each."""
    found = [(line, "body", ident) for line, ident in leakscan.mention_lines(d.body, d.body_line, settings.id_prefix)]
    fields = [(name, text) for name, text in leakscan.text_fields(d) if name != "id"]
    if leakscan.any_ids_in((text for _, text in fields), settings.id_prefix):  # all at once: most mention none
        for name, text in fields:
            found.extend((1, name, ident) for ident in leakscan.ids_in(text, settings.id_prefix))
    return Mentions(d, tuple(found))


def publication_problems(pub: gate.Publication, settings: Settings) -> list[Problem]:
    """Mentions of non-public IDs inside public disclosures (their narrative, fields and attachments' names);
    a disclosure the gate changed (a revision not yet dated) is looked at as the gate passed it."""
    return unpublished_mentions(pub, [mentions(d, settings) for d in pub.public])


def unpublished_mentions(pub: gate.Publication, each: Sequence[Mentions]) -> list[Problem]:
    """The problems of ``publication_problems`` from ``each`` public disclosure's ``mentions``, in order."""
    from osqi_site.formats.cve import claim_problems

    public_ids = frozenset(d.id for d in pub.public)
    return [*(Problem(d.source, line, field, _not_public(ident))
              for d, m in zip(pub.public, each, strict=True) for line, field, ident in m.found
              if ident not in public_ids), *claim_problems(pub.public)]


def _not_public(ident: str) -> str:
    return (f"mentions {ident}, which is not a public disclosure (embargoed, draft or unknown); remove the "
            "mention until it is published")


def build_outputs(pub: gate.Publication, settings: Settings,
                  projects: Mapping[str, outputs.ProjectLinks] | None = None) -> SiteOutput:
    """Every page and file of the site; ``projects`` names the projects each disclosure belongs to (by ID)."""
    from osqi_site.build import outputs

    links = projects or {}
    return assemble(pub, settings, {d.id: outputs.make(d, settings, links.get(d.id, ())) for d in pub.public})


def assemble(pub: gate.Publication, settings: Settings, own: Mapping[str, outputs.DisclosureOutput]) -> SiteOutput:
    """Every page and file of the site, from each public disclosure's own outputs (``outputs.make``, by ID)."""
    # Imported here: `check` (a pre-commit hook) never renders, and Jinja, feedgen, lxml and the exporters
    # would add a quarter of a second to every run of it.
    from osqi_site.formats import csaf, cve, osv, securitytxt
    from osqi_site.formats.feeds import feed_files
    from osqi_site.formats.index_json import index_files
    from osqi_site.pages import generated

    parts = [(d, own[d.id]) for d in pub.public]
    pages = [p.page for _, p in parts]
    pages.extend(generated.listing_pages(pub))
    files: dict[str, bytes] = {}
    files.update(feed_files(pub.public, settings))
    files.update(osv.osv_tree((p.id, p.osv) for _, p in parts))
    files.update(index_files(pub.public))  # the listing's filter index
    files.update(csaf.csaf_tree([(d, p.csaf) for d, p in parts], settings, pub.now))
    # CNA containers, for CVE Services: each CVE's file is its owner's container.
    files.update({cve.cve_path(ident): own[d.id].cve for ident, d in cve.cve_owners(pub.public)})
    files[securitytxt.PATH] = securitytxt.security_txt(settings, pub.now)
    attachments = {f"disclosures/{d.id}/{a.name}": a.source for d in pub.public for a in d.attachments}
    entries = tuple(p.search for _, p in sorted(parts, key=lambda x: x[0].id))
    return SiteOutput(tuple(pages), dict(sorted(files.items())), dict(sorted(attachments.items())), entries)


def newest_change(pub: gate.Publication) -> datetime | None:
    """The newest public date of the site; stands in for "last updated" everywhere, never the build time."""
    return max((d.modified for d in pub.public), default=None)
