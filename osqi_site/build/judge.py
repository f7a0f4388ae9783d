"""The judgement of a site's disclosures at one instant, check → gate → problems → alarms: one function for the
``osqi-site`` commands and the MkDocs plugin alike."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from osqi_site.build import fastcheck
from osqi_site.build.cache import BuildCache
from osqi_site.core import gate
from osqi_site.core.alarms import config_alarms
from osqi_site.core.model import Disclosure
from osqi_site.core.problems import Problem
from osqi_site.core.settings import Settings


@dataclass(frozen=True)
class Judged:
    disclosures: tuple[Disclosure, ...]
    """Every valid disclosure, public or withheld."""
    publication: gate.Publication
    invalid: tuple[Problem, ...]
    """The problems of the disclosure files themselves (unreadable, malformed, invalid): true at any instant."""
    problems: tuple[Problem, ...]
    """Everything that forbids publishing at this instant: ``invalid``, mentions of IDs that are not public,
    CVE IDs claimed twice, and under ``strict`` the transparency alarms."""
    warnings: tuple[Problem, ...]
    """The transparency alarms (of the configuration and of each disclosure) when not ``strict``, else none."""
    checked: fastcheck.CheckedWithFacts | None = field(default=None, compare=False, repr=False)
    """The check itself, for ``fastcheck.keep``."""


def judge(disclosures_dir: Path, root: Path, settings: Settings, now: datetime, *, config_name: str,
          strict: bool, memo: fastcheck.FileMemo | None = None, cache: BuildCache | None = None,
          code: str = "") -> Judged:
    """Load and validate every disclosure, gate them at ``now``, and find every problem and alarm.

    ``config_name`` is how problems of the configuration name its file; ``memo`` (``serve`` keeps one between
    rebuilds), ``cache`` and ``code`` are ``fastcheck.check``'s.
    """
    checked = fastcheck.check(disclosures_dir, root, settings, memo=memo, cache=cache, code=code)
    pub = gate.publish(checked.disclosures, now)
    problems = [*checked.problems, *fastcheck.publication_problems(pub, settings, facts=checked.mentions)]
    warnings = [*config_alarms(settings, config_name),
                *fastcheck.alarms(checked.disclosures, settings, now, facts=checked.alarms)]
    if strict:
        problems, warnings = [*problems, *warnings], []
    return Judged(checked.disclosures, pub, checked.problems, tuple(problems), tuple(warnings), checked)
