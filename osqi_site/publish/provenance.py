"""What built the site: the source commit, and the in-toto Statement with a SLSA Provenance v1 predicate."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from osqi_site.core import readjson
from osqi_site.core.timefmt import iso_z

PATH = "provenance.intoto.json"
SIGNATURE = "provenance.intoto.json.asc"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://slsa.dev/provenance/v1"
BUILD_TYPE = "urn:osqi-site:build-type:site:v1"
"""What ``externalParameters`` mean: a site built by ``osqi-site build`` from a source tree at a clock."""
BUILDER_ID = "urn:osqi-site:builder"
SUBJECT = "SHA256SUMS"
"""The subject: ``SHA256SUMS`` names every other file by digest, so its digest stands for the whole site."""
TOOLS = ("osqi-site", "mkdocs", "mkdocs-material")
COMMIT_ENV = "OSQI_SOURCE_COMMIT"
REPOSITORY_ENV = "OSQI_SOURCE_REPOSITORY"
_COMMIT = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


class SourceError(ValueError):
    """The source cannot be stated truthfully (a malformed commit, or two that disagree)."""


@dataclass(frozen=True)
class Source:
    """The source tree a build read, as the shell found it."""

    commit: str = ""
    """The full commit hash, or "" when neither git nor the environment named one."""
    repository: str = ""
    """Where the source lives (the remote's URL, credentials removed), or ""."""
    dirty: bool = False
    """The tree had changes not in ``commit``: the site is not what the commit alone builds."""

    @property
    def footer(self) -> str:
        """One line for every page's footer."""
        if not self.commit:
            return "Built from an unknown source commit"
        return f"Built from commit {self.commit[:12]}" + (" with uncommitted changes" if self.dirty else "")


def source(git_commit: str | None, git_dirty: bool, git_remote: str | None,
           env_commit: str | None, env_repository: str | None) -> Source:
    """The build's source from what git said (``None``: no git tree) and the CI environment variables.

    A CI checkout may have no ``.git``: then the environment names the commit. When both exist they must
    agree, or the provenance would state a commit that did not build the site.
    """
    commit = (git_commit or "").strip().lower()
    named = (env_commit or "").strip().lower()
    for value, where in ((commit, "git"), (named, COMMIT_ENV)):
        if value and not _COMMIT.match(value):
            raise SourceError(f"{where}: '{value}' is not a full commit hash")
    if commit and named and commit != named:
        raise SourceError(f"{COMMIT_ENV}={named} but the source tree is at commit {commit}")
    return Source(commit or named, public_repository(env_repository or git_remote or ""),
                  git_dirty if commit else False)


def public_repository(url: str) -> str:
    """A remote URL without the credentials a CI checkout may carry (``https://x-access-token:…@host/…``)."""
    url = url.strip()
    if "://" in url:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    # scp-like "user@host:path": the user of an ssh remote is a login name, dropped with the rest.
    return url.rsplit("@", 1)[-1] if ":" in url else url


def statement(sums: bytes, src: Source, as_of: datetime, site_url: str, versions: Mapping[str, str]) -> bytes:
    """The in-toto Statement v1 with a SLSA Provenance v1 predicate, as canonical JSON bytes.

    Only what a reader can check is in it, and nothing from the clock but the build's as-of instant, so two
    builds of one commit at one clock give the same bytes.
    """
    resolved = [{"uri": f"git+{src.repository}" if src.repository else "git", "digest": {"gitCommit": src.commit}}
                ] if src.commit else []
    body = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": SUBJECT, "digest": {"sha256": hashlib.sha256(sums).hexdigest()}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "source": {"repository": src.repository, "commit": src.commit, "dirty": src.dirty},
                    "asOf": iso_z(as_of),
                    "siteUrl": site_url,
                },
                "resolvedDependencies": resolved,
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": dict(sorted(versions.items()))},
                "metadata": {"invocationId": f"{src.commit or 'unknown'}@{iso_z(as_of)}"},
            },
        },
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def subject_digest(data: bytes) -> str | None:
    """The SHA-256 a provenance file gives for ``SHA256SUMS``, or None if it is not such a statement."""
    try:
        body = readjson.loads(data)  # read from a published site: bounded in size and depth
    except readjson.JSONInputError:
        return None
    if not isinstance(body, dict) or body.get("_type") != STATEMENT_TYPE \
            or body.get("predicateType") != PREDICATE_TYPE:
        return None
    subjects = body.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        return None
    digest = subjects[0].get("digest")
    if subjects[0].get("name") != SUBJECT or not isinstance(digest, dict):
        return None
    value = digest.get("sha256")
    return value if isinstance(value, str) else None
