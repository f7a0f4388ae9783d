"""How a build completes its publication, MkDocs aside: the outputs added to the pipeline's (project pages, the
public log and embargo register, the signing key and signed security.txt), and the seal over the written site
(every file scanned for withheld text and hashed into SHA256SUMS, with the provenance and signatures made from
it), plus the source tree's identity and the preview banner. Files are read here; the shell writes them."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import NamedTuple, TypeVar

from osqi_site.build import leakscan, verdicts
from osqi_site.build.pipeline import SiteOutput
from osqi_site.core import gate
from osqi_site.core.problems import BuildError
from osqi_site.core.sanitize import shown
from osqi_site.core.settings import Settings
from osqi_site.formats import checksums, securitytxt
from osqi_site.pages import projects
from osqi_site.publish import history, provenance, register, signing

T = TypeVar("T")


# -- outputs added to the pipeline's -----------------------------------------------------------------------------


def with_projects(output: SiteOutput, found: projects.ProjectSet, present: bool, pub: gate.Publication,
                  settings: Settings, coverage_request: str | None) -> SiteOutput:
    """The build's outputs with /projects/ and each project's feeds, from public disclosures only; unchanged
    when the site has no project pages folder (``present``)."""
    if not present:
        return output
    request = coverage_request or settings.contact[0]
    listing = projects.listing_page(found.public, pub.public, request)
    files = {**output.files, **projects.feed_files(found.public, pub.public, settings)}
    return dataclasses.replace(output, pages=(*output.pages, listing), files=dict(sorted(files.items())))


@dataclass(frozen=True)
class Recorded:
    """The outputs with the public log (and the embargo register), and what the pages need of the register."""

    output: SiteOutput
    embargo_count: int | None
    """Open commitments of the embargo register, for the home figures; None with the register off."""
    reveals: dict[str, str]
    """Disclosure page source path → its embargo register reveal (``register.pages_reveals``)."""


def with_history(output: SiteOutput, previous: Path | None, now: datetime, pub: gate.Publication,
                 settings: Settings) -> Recorded:
    """The log carried from the previous site (``previous``: its folder or its log), with this build's entry, and
    the /history/ page; with the embargo register on, the register made from the log before this entry
    (register.py), its pages, and the commitments new to the log recorded in this build's entry."""
    entries: list[history.Entry] = []
    if previous is not None:
        path = previous / history.PATH if previous.is_dir() else previous
        try:
            data = path.read_bytes()
        except OSError as e:
            raise BuildError(f"osqi: --previous: cannot read {path}: {e.strerror}; download the deployed "
                             f"site's /{history.PATH} (omit --previous only for the very first deploy)") from None
        entries, problems = history.parse(data, str(path))
        if problems:
            raise BuildError("osqi: the previous log cannot be extended:\n  " + "\n  ".join(problems))
    content = output.files[history.CONTENT]
    reg = register.make(pub, entries) if settings.embargo_register else None
    try:
        entry = history.next_entry(entries, history.published_state(content), content, now,
                                   [c for _, c in reg.open] if reg else ())
    except history.LogError as e:
        raise BuildError(f"osqi: {e}") from None
    if entry is not None:
        entries.append(entry)
    files = {**output.files, history.PATH: history.dump(entries)}
    pages = (*output.pages, history.page(entries))
    if reg is not None:
        files[register.PATH] = register.dump(reg)
        pages = (*pages, register.page(reg, settings.max_embargo_days))
    return Recorded(dataclasses.replace(output, pages=pages, files=dict(sorted(files.items()))),
                    len(reg.open) if reg else None,
                    register.pages_reveals(reg, {d.id: d.published for d in pub.public}) if reg else {})


class Signer(NamedTuple):
    """GnuPG, the key and the signature time of one build."""

    gpg: signing.Gpg
    key: signing.Key
    when: int


def find_signer(named: str, now: datetime, gnupghome: str | None) -> Signer:
    """The key ``named`` (a whole fingerprint) in GnuPG's home: a key that is configured but unusable fails the
    build, so a site meant to be signed is never deployed unsigned."""
    gpg = signing.Gpg(gnupghome)
    key = _signed(lambda: signing.find_key(gpg, named))
    return Signer(gpg, key, signing.signing_time(now, key))


def with_signing(output: SiteOutput, settings: Settings, signer: Signer) -> SiteOutput:
    """The public key and a cleartext-signed security.txt."""
    gpg, key, when = signer
    text = signing.signed_security_txt(output.files[securitytxt.PATH], key, settings.url(signing.KEY_PATH))
    files = {**output.files, signing.KEY_PATH: key.public,
             securitytxt.PATH: _signed(lambda: signing.cleartext(gpg, key, text, when))}
    return dataclasses.replace(output, files=dict(sorted(files.items())))


def _signed(sign: Callable[[], T]) -> T:
    try:
        return sign()
    except signing.SigningError as e:
        raise BuildError(f"osqi: {e}") from None


# -- the seal ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LookedFor:
    """What the seal looks for in every output file: nothing of a withheld disclosure or page may be there."""

    markers: tuple[str, ...]
    """Withheld disclosures' markers that no public one shares, and withheld content and project pages'."""
    attachments: Mapping[str, str]
    """SHA-256 digest → source path of each withheld attachment whose bytes no public attachment shares."""

    @property
    def identity(self) -> tuple[str, ...]:
        """Everything looked for, attachments as ``sha256:<hex>``: verdicts are reused only for an equal one."""
        return (*self.markers, *sorted(f"sha256:{d}" for d in self.attachments))


def looked_for(pub: gate.Publication, page_markers: Sequence[str], root: Path) -> LookedFor:
    public = leakscan.attachment_digests(a.source for d in pub.public for a in d.attachments)
    withheld = leakscan.attachment_digests(a.source for d in pub.withheld for a in d.attachments)
    return LookedFor((*leakscan.withheld_markers(pub.withheld, pub.public), *page_markers),
                     {digest: os.path.relpath(path, root) for digest, path in withheld.items() if digest not in public})


@dataclass(frozen=True)
class Seal:
    files: dict[str, bytes]
    """SHA256SUMS and the files made from it, scanned like every other: the shell writes them into the site."""
    clean: frozenset[str]
    """The contents proven clean (``verdicts.Sealed.clean``), to skip next time against the same ``LookedFor``."""


def seal(site: Path, looked: LookedFor, *, known_clean: frozenset[str], parallel: bool,
         made_from_sums: Callable[[bytes], Mapping[str, bytes]]) -> Seal:
    """Hash and scan every file of ``site``, then SHA256SUMS and what is made from it (``made_from_sums``: its
    signature, the provenance), all before anything is written; any withheld text found stops the build."""
    sealed = verdicts.seal(site, site_files(site), looked.markers, known_clean=known_clean, parallel=parallel,
                           attachments=looked.attachments)
    sums = checksums.from_digests(sealed.digests)
    last = {checksums.NAME: sums, **made_from_sums(sums)}
    leaks = [*sealed.leaks, *leakscan.find_leaks(last, looked.markers, looked.attachments)]
    if leaks:
        raise BuildError("osqi: withheld disclosure text found in the output; nothing was published:\n  "
                         + "\n  ".join(leaks))
    return Seal(last, sealed.clean)


def sealing_files(sums: bytes, source: provenance.Source, now: datetime, site_url: str,
                  signer: Signer | None) -> dict[str, bytes]:
    """The files made from the final SHA256SUMS, which it therefore cannot list: the provenance, whose subject is
    its digest, and the signatures of both."""
    versions = {name: dist_version(name) for name in provenance.TOOLS}
    versions["python"] = ".".join(str(n) for n in sys.version_info[:3])
    made = {provenance.PATH: provenance.statement(sums, source, now, site_url, versions)}
    if signer is None:
        return made
    gpg, key, when = signer
    return {**made,
            signing.SUMS_SIGNATURE: _signed(lambda: signing.detached(gpg, key, sums, when)),
            provenance.SIGNATURE: _signed(lambda: signing.detached(gpg, key, made[provenance.PATH], when))}


def site_files(site: Path) -> list[str]:
    """Every file below ``site`` as a sorted ``/``-separated relative path (os.walk: pathlib's rglob is
    several times slower over the tens of thousands of files of a large site)."""
    out: list[str] = []
    for folder, _, names in os.walk(site):
        rel = os.path.relpath(folder, site)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        out.extend(prefix + name for name in names)
    return sorted(out)


# -- the source tree, the tools, the preview ---------------------------------------------------------------------


def read_source(root: Path) -> provenance.Source:
    """The commit, remote and state of the git tree holding ``root``, or what CI's environment names."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60,
                                  check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    status = git("status", "--porcelain", "--untracked-files=normal") if commit else ""
    try:
        # A status git could not give counts as dirty: the provenance never claims a clean tree it did not see.
        return provenance.source(commit, status != "", git("config", "--get", "remote.origin.url") if commit
                                 else None, os.environ.get(provenance.COMMIT_ENV),
                                 os.environ.get(provenance.REPOSITORY_ENV))
    except provenance.SourceError as e:
        raise BuildError(f"osqi: {e}") from None


def cache_refusal(given: Path) -> str | None:
    """Why the cache folder named ``given`` must not be used, or ``None``; decided on real paths, failing closed.

    A build loads the cache's compiled templates and check results, so the cache must be the build's own: not
    tracked by any repository (itself, a link to it, or the real folder, in whichever repository holds it), and
    holding only plain files and folders (a link could lead into a repository; a named pipe would hang a read).
    When a repository holds it and git cannot say what it tracks (git missing, or refusing a folder another
    user owns), it is refused too.
    """
    real = given.resolve()
    if not real.is_dir():
        return None  # made afresh by the build: nothing in it yet
    for where, names in ((given.parent.resolve(), [given.name]), (real, [])):
        tracked, failure = _tracked(where, names)
        if failure is not None:
            return failure
        if tracked:
            more = " and more" if len(tracked) > 1 else ""
            return (f"is tracked by git ({shown(tracked[0])}{more}); a build loads the cache's compiled "
                    "templates and check results, so a cache must never come from a repository: remove it from the "
                    "repository (git rm -r --cached)")
    odd = _not_plain(real)
    if odd is not None:
        return (f"holds {shown(odd)}, which a build never makes there (a link, or a named pipe, socket or "
                "device): delete the cache folder; the next build makes it again")
    return None


def _tracked(where: Path, names: list[str]) -> tuple[list[str], str | None]:
    """What git tracks at ``names`` in ``where`` (all below it when none), or why that cannot be known."""
    # Git's own variables (set inside hooks, or by whoever runs the build) would point it at another repository or
    # index; it must look only at the folders themselves.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    held = any(os.path.lexists(folder / ".git") for folder in (where, *where.parents))
    try:
        done = subprocess.run(["git", "-C", str(where), "ls-files", "-z", "--", *names], capture_output=True,
                              timeout=60, check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [], None if not held else f"lies in a git repository, and git cannot tell what it tracks: {e}"
    if done.returncode != 0:
        if not held:
            return [], None  # no repository holds it: nothing can be tracked
        said = done.stderr.decode("utf-8", "replace").strip()
        first = said.splitlines()[0] if said else f"git exited with {done.returncode}"
        return [], f"lies in a git repository, and git cannot tell what it tracks: {shown(first)}"
    return sorted(n.decode("utf-8", "backslashreplace") for n in done.stdout.split(b"\0") if n), None


def _not_plain(root: Path) -> str | None:
    """The first entry below ``root`` that is neither a plain file nor a folder (links are not followed)."""
    todo = [str(root)]
    while todo:
        with os.scandir(todo.pop()) as entries:
            for entry in entries:
                if entry.is_symlink() or not (entry.is_dir(follow_symlinks=False)
                                              or entry.is_file(follow_symlinks=False)):
                    return os.path.relpath(entry.path, root)
                if entry.is_dir(follow_symlinks=False):
                    todo.append(entry.path)
    return None


def dist_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "unknown"


def with_preview_banner(html: str, now: datetime) -> str:
    """A preview page: a banner saying what it is, and ``noindex``."""
    when = now.isoformat()
    banner = (f'<div class="osqi-preview-banner" role="alert" style="background:#8b0000;color:#fff;padding:.6rem 1rem;'
              f'font-weight:700;text-align:center">PREVIEW as of {when}: may show embargoed disclosures. '
              "Confidential; never deploy or share.</div>")
    html = html.replace("</head>", '<meta name="robots" content="noindex, nofollow"></head>', 1)
    head_end = html.find("<body")
    if head_end != -1:
        body_open = html.find(">", head_end) + 1
        html = html[:body_open] + banner + html[body_open:]
    return html

