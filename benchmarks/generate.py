"""Deterministic synthetic disclosures for the scale benchmark.

``python -m benchmarks.generate DIR --n 1000`` writes a complete site project (the ``osqi-site init``
skeleton) with N disclosures under ``disclosures/<YYYY>/<ID>.md``:

* ~85% public (embargo in the past), ~10% embargoed (embargo in ``EMBARGO_YEAR``), ~5% withdrawn,
  and a few drafts (1%, at least one);
* a 2-4 KB narrative with ``## Summary``, ``## Discovery``, ``## Root cause``, ``## Impact`` and ``## Fix``,
  a table and a fenced code block;
* 1-3 affected packages across PyPI, npm, crates.io, Go, Maven and GIT (with ``repo``), a timeline
  (discovered, reported, fix_released, ...), credits, a valid canonical CVSS v3.1 vector, CWE and aliases.

The same ``(n, seed)`` always gives the same bytes. :func:`write_baseline` writes the vanilla
mkdocs-material project with the same narratives as plain pages, kept out of the nav.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from packageurl import PackageURL

from osqi_site.scaffold import write_project

SEED = 20261122
EMBARGO_YEAR = 2030
"""Embargoed disclosures lift in this year: far enough ahead that the benchmark stays valid for years."""
PUBLIC_FROM = datetime(2016, 1, 4, tzinfo=UTC)
PUBLIC_UNTIL = datetime(2026, 9, 30, tzinfo=UTC)
"""Public embargo instants lie in this window, so they are in the past for anyone running this."""
ID_PREFIX = "OSQI"

STATUS_PUBLIC = "public"
STATUS_EMBARGOED = "embargoed"
STATUS_WITHDRAWN = "withdrawn"
STATUS_DRAFT = "draft"


@dataclass
class Synthetic:
    """One generated disclosure: what the benchmark needs to know about it besides its file."""

    id: str
    status: str
    title: str
    narrative: str
    path: Path
    aliases: list[str]
    packages: list[str]

    @property
    def public(self) -> bool:
        return self.status in (STATUS_PUBLIC, STATUS_WITHDRAWN)


@dataclass
class GeneratedSet:
    root: Path
    items: list[Synthetic] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.items if s.status == status)

    @property
    def public(self) -> list[Synthetic]:
        return [s for s in self.items if s.public]


# -- vocabularies --------------------------------------------------------------------------------------

_BUGS: tuple[tuple[str, str, str], ...] = (
    # (title phrase, CWE, short noun used in the narrative)
    ("Heap buffer overflow", "CWE-122", "heap overflow"),
    ("Out-of-bounds read", "CWE-125", "out-of-bounds read"),
    ("Out-of-bounds write", "CWE-787", "out-of-bounds write"),
    ("Path traversal", "CWE-22", "path traversal"),
    ("SQL injection", "CWE-89", "SQL injection"),
    ("Stored cross-site scripting", "CWE-79", "script injection"),
    ("Server-side request forgery", "CWE-918", "request forgery"),
    ("Use after free", "CWE-416", "use-after-free"),
    ("Integer overflow", "CWE-190", "integer overflow"),
    ("Regular expression denial of service", "CWE-1333", "catastrophic backtracking"),
    ("XML external entity expansion", "CWE-611", "external entity expansion"),
    ("Unsafe deserialization", "CWE-502", "unsafe deserialization"),
    ("OS command injection", "CWE-78", "command injection"),
    ("Prototype pollution", "CWE-1321", "prototype pollution"),
    ("Uncontrolled recursion", "CWE-674", "unbounded recursion"),
    ("Timing side channel", "CWE-208", "timing leak"),
    ("Missing authorization check", "CWE-862", "missing authorization"),
    ("Open redirect", "CWE-601", "open redirect"),
    ("NULL pointer dereference", "CWE-476", "null dereference"),
    ("Improper certificate validation", "CWE-295", "certificate validation bypass"),
    ("Double free", "CWE-415", "double free"),
    ("Decompression bomb", "CWE-409", "decompression amplification"),
)
_COMPONENTS = (
    "chunk decoder", "header parser", "include resolver", "template loader", "session store", "URL normaliser",
    "archive extractor", "query builder", "image scaler", "config merger", "token validator", "cookie jar",
    "multipart reader", "cache layer", "redirect handler", "schema validator", "LZ77 window", "glob matcher",
    "plugin loader", "CSV dialect sniffer", "Unicode normaliser", "pagination helper", "webhook verifier",
    "font subsetter", "TLS session resumption", "markdown sanitiser", "YAML anchor resolver", "rate limiter",
    "path joiner", "gzip trailer check",
)
_CONSEQUENCES = (
    "lets a crafted document crash the process", "allows reading arbitrary files",
    "lets a remote client execute code", "exposes other users' sessions", "allows bypassing authentication",
    "lets an unauthenticated request exhaust memory", "corrupts memory on malformed input",
    "allows writing outside the target directory", "leaks secrets through error messages",
    "hangs the worker on a short input", "lets a web page run script in the admin console",
    "reaches internal services", "accepts forged signatures", "spins the CPU for minutes",
    "overwrites files on extraction",
)
_PREFIXES = ("fast", "tiny", "py", "lib", "micro", "open", "safe", "simple", "quick", "hyper", "zen", "star",
             "iron", "cloud", "data", "net", "deep", "flux", "nano", "meta", "omni", "sky", "turbo", "pure")
_ROOTS = ("json", "yaml", "xml", "parse", "router", "cache", "auth", "img", "zip", "tar", "http", "sql", "csv",
          "log", "crypt", "config", "template", "queue", "mail", "proto", "font", "glob", "hash", "pdf", "sock")
_SUFFIXES = ("", "kit", "lib", "x", "2", "-core", "-utils", "ify", "er", "-lite", "-ng", "io")
_ORGS = ("acme", "lighthouse", "northwind", "contoso", "globex", "initech", "umbrella", "hooli", "vandelay",
         "wayne-labs", "stark-oss", "tyrell", "oscorp", "aperture", "cyberdyne", "soylent")
_FIRST = ("Ada", "Bjorn", "Chiara", "Dmitri", "Esi", "Farah", "Goran", "Hana", "Ilse", "Jonas", "Kofi", "Lena",
          "Mateo", "Nadia", "Oskar", "Priya", "Quentin", "Rosa", "Sven", "Tamar", "Ugo", "Vera", "Wen", "Xavier",
          "Yara", "Zoltan", "Amara", "Bruno", "Cleo", "Dario", "Elif", "Fenna", "Gideon", "Hiro", "Ines", "Jun")
_LAST = ("Abernathy", "Brannigan", "Castellanos", "Duarte", "Eriksen", "Fujimoto", "Gallagher", "Haddad",
         "Ivanova", "Jovanovic", "Kowalczyk", "Lindqvist", "Mbeki", "Nakamura", "Okonkwo", "Petrov", "Quispe",
         "Rasmussen", "Szabo", "Takahashi", "Umarov", "Varga", "Wojcik", "Xu", "Yilmaz", "Zanetti", "Achebe",
         "Bergstrom", "Cardenas", "Delacroix")
_TOOLS = ("Marzipan Lighthouse differential fuzzer", "libFuzzer harness", "AFL++ campaign", "CodeQL variant query",
          "Semgrep rule set", "manual audit", "property-based test suite", "taint-tracking prototype",
          "syzkaller-style grammar fuzzer", "differential parser oracle")
_FUNCS = ("decode_chunk", "read_header", "resolve_include", "load_template", "merge_config", "check_token",
          "normalise_url", "extract_member", "build_query", "scale_image", "parse_cookie", "read_part",
          "verify_signature", "expand_entity", "match_glob", "join_path", "inflate_block", "sniff_dialect",
          "paginate", "render_markdown", "restore_session", "walk_tree", "copy_window", "parse_date")
_FILES = ("decoder.c", "header.py", "resolve.go", "loader.rs", "merge.js", "token.py", "url.go", "extract.rs",
          "query.java", "scale.c", "cookie.js", "multipart.py", "verify.go", "entity.c", "glob.rs", "join.py",
          "inflate.c", "dialect.py", "pager.js", "sanitize.rs")
_ECOSYSTEMS = ("PyPI", "npm", "crates.io", "Go", "Maven", "GIT")
_ECO_WEIGHTS = (30, 25, 12, 13, 10, 10)
_LANG = {"PyPI": "python", "npm": "javascript", "crates.io": "rust", "Go": "go", "Maven": "java", "GIT": "c"}

_AV = ("N", "A", "L", "P")
_AC = ("L", "H")
_PR = ("N", "L", "H")
_UI = ("N", "R")
_S = ("U", "C")
_CIA = ("N", "L", "H")


# -- building blocks -----------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _version(rng: random.Random) -> tuple[str, str]:
    major, minor = rng.randint(0, 6), rng.randint(0, 20)
    intro = f"{major}.{minor}.{rng.randint(0, 9)}"
    fixed = f"{major}.{minor + rng.randint(1, 4)}.{rng.randint(0, 5)}"
    return intro, fixed


def _purl(kind: str, name: str, namespace: str | None = None) -> str:
    """The package's purl as packageurl-python writes it, the form ``check`` requires."""
    purl: str = PackageURL(type=kind, namespace=namespace, name=name).to_string()
    return purl


def _package(rng: random.Random, ecosystem: str) -> dict[str, Any]:
    base = rng.choice(_PREFIXES) + rng.choice(_ROOTS) + rng.choice(_SUFFIXES)
    org = rng.choice(_ORGS)
    intro, fixed = _version(rng)
    out: dict[str, Any] = {"ecosystem": ecosystem}
    if ecosystem == "PyPI":
        name = base.replace("-", "_") if rng.random() < 0.2 else base
        out.update(package=name, purl=_purl("pypi", name))
    elif ecosystem == "npm":
        name = f"@{org}/{base}" if rng.random() < 0.3 else base
        out.update(package=name, purl=_purl("npm", *reversed(name.split("/"))))
    elif ecosystem == "crates.io":
        name = base.replace("-", "_")
        out.update(package=name, purl=_purl("cargo", name))
    elif ecosystem == "Go":
        name = f"github.com/{org}/{base}"
        # OSV writes Go versions without the "v" (SEMVER ranges); check refuses "v1.2.3" in a Go range.
        out.update(package=name, purl=_purl("golang", base, f"github.com/{org}"), repo=f"https://github.com/{org}/{base}")
    elif ecosystem == "Maven":
        group = f"org.{org.replace('-', '')}"
        name = f"{group}:{base}"
        out.update(package=name, purl=_purl("maven", base, group))
    else:  # GIT: an upstream known by its repository
        name = "lib" + base if not base.startswith("lib") else base
        out.update(package=name, repo=f"https://github.com/{org}/{name}")
        if rng.random() < 0.25:  # commit-precise range: OSV type GIT
            intro = "".join(rng.choice("0123456789abcdef") for _ in range(40))
            fixed = "".join(rng.choice("0123456789abcdef") for _ in range(40))
    out["ranges"] = [{"introduced": "0" if rng.random() < 0.15 else intro, "fixed": fixed}]
    return out


def _cvss(rng: random.Random) -> str:
    parts = (("AV", _AV), ("AC", _AC), ("PR", _PR), ("UI", _UI), ("S", _S), ("C", _CIA), ("I", _CIA), ("A", _CIA))
    metrics = {k: rng.choice(v) for k, v in parts}
    if metrics["C"] == metrics["I"] == metrics["A"] == "N":
        metrics["A"] = "L"  # a zero score is not a vulnerability
    return "CVSS:3.1/" + "/".join(f"{k}:{v}" for k, v in metrics.items())


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _code_block(rng: random.Random, ecosystem: str, package: str, func: str) -> str:
    lang = _LANG[ecosystem]
    n = rng.randint(3, 64)
    short = _short(package).replace("-", "_")
    if lang == "python":
        code = (f"import {short}\n\npayload = b\"\\x00\" * {n} + b\"{'A' * 8}\"\n"
                f"# raises MemoryError or returns bytes outside the buffer\n{short}.{func}(payload)")
    elif lang == "javascript":
        code = (f"const lib = require('{package}');\n"
                f"const input = JSON.parse('{{\"__proto__\": {{\"polluted\": {n}}}}}');\n"
                f"lib.{func}(input);\nconsole.log({{}}.polluted); // {n}")
    elif lang == "rust":
        code = (f"fn main() {{\n    let data = vec![0xffu8; {n}];\n"
                f"    let _ = {short}::{func}(&data); // panics: index out of bounds\n}}")
    elif lang == "go":
        code = (f"package main\n\nimport \"{package}\"\n\nfunc main() {{\n"
                f"\t_, _ = {short.split('.')[-1]}.{func.title().replace('_', '')}([]byte(\"{'%' * (n % 9 + 1)}\"))\n}}")
    elif lang == "java":
        code = (f"var reader = new {short.title().replace('_', '')}Reader();\n"
                f"reader.{func}(\"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/hostname'>]><x>&e;</x>\");")
    else:
        code = (f"$ printf '\\x{n:02x}\\xff\\xff\\xff' > crash.bin\n$ ./{short}-fuzz crash.bin\n"
                f"==4242==ERROR: AddressSanitizer: heap-buffer-overflow in {func} at {rng.choice(_FILES)}:{n * 7}")
    return f"```{lang if lang != 'c' else 'text'}\n{code}\n```"


_FILLER = (
    "The harness kept a corpus of {k} seed inputs drawn from the project's own test fixtures and from public "
    "bug reports, and minimised every interesting input before anyone looked at it.",
    "A second run with sanitizers enabled confirmed that `{func}` touched memory it did not own; without them the "
    "symptom was an occasional wrong result rather than a crash, which is why nobody had noticed.",
    "We reproduced the behaviour on {os} with the release wheels and with a build from the tagged source, to rule "
    "out a packaging accident.",
    "Variant analysis over the rest of the code base found {k} other call sites with the same pattern; all but "
    "one were guarded by an earlier length check.",
    "The maintainers asked for a proof of concept that did not rely on a debug build; the reproducer above works "
    "against the default configuration.",
    "Bisecting the history pointed at a refactoring that moved validation out of `{func}` into its callers, one "
    "of which was later rewritten without it.",
    "The public issue tracker had a report from {year} describing the same crash as a flaky test; it had been "
    "closed as not reproducible.",
    "Coverage data showed that the fuzzer reached the vulnerable branch only after it learned the magic bytes of "
    "the format, about {k} minutes into the campaign.",
    "We also checked downstream users: {k} packages with more than a thousand weekly downloads pass untrusted "
    "input straight to the affected API.",
    "Differential testing against an independent implementation of the format made the disagreement obvious: "
    "one side rejected the input, the other accepted it and returned garbage.",
)
_OSES = ("Debian 12", "Ubuntu 24.04", "Fedora 40", "Alpine 3.20", "macOS 14", "Windows Server 2022")


def _narrative(rng: random.Random, *, pkg: dict[str, Any], bug: tuple[str, str, str], component: str,
               tool: str, finder: str, year: int, target: int) -> str:
    package, ecosystem = pkg["package"], pkg["ecosystem"]
    rng_ = pkg["ranges"][0]
    intro, fixed = rng_["introduced"], rng_["fixed"]
    func, src = rng.choice(_FUNCS), rng.choice(_FILES)
    noun = bug[2]
    versions = "every version" if intro == "0" else f"versions from {intro}"
    k = rng.randint(3, 900)
    summary = (
        f"`{package}` ({ecosystem}) has a {noun} in its {component}: {versions} up to the fix in {fixed} "
        f"process attacker-controlled input in `{func}` without the check that the rest of the code relies on. "
        f"An attacker who can submit a document, request or archive to an application that uses the library can "
        f"trigger it remotely. Upgrade to {fixed} or later; the Fix section lists a workaround for those who "
        "cannot upgrade yet."
    )
    table_rows = "\n".join(
        f"| `{rng.choice(('A', 'B', 'Z', '%', '0'))* rng.randint(1, 6)}{i}` | {rng.randint(1, 4096)} bytes "
        f"| {rng.choice(('rejected', 'accepted', 'crash', 'hang (timeout)', 'wrong result'))} |"
        for i in range(rng.randint(3, 6)))
    discovery = (
        f"{finder} found the bug in {year} with the {tool}, while looking at {component} code paths across "
        f"several {ecosystem} packages. The first signal was a crash report in `{src}` that only reproduced "
        f"with one input in about {k} thousand.\n\n"
        f"| Input | Size | Result |\n| --- | --- | --- |\n{table_rows}\n\n"
        f"The reproducer, reduced to the smallest form that still triggers the {noun}:\n\n"
        f"{_code_block(rng, ecosystem, package, func)}\n"
    )
    root_cause = (
        f"`{func}` in `{src}` trusts a length, path or type that comes from the input and uses it before it is "
        f"validated. The validation that does exist runs on the raw value, and a later normalisation step turns "
        f"an accepted value into a dangerous one, so the check can be passed by spelling the input differently."
    )
    impact = (
        f"Depending on how the application uses `{package}`, the {noun} gives an attacker anything from a denial "
        f"of service to {rng.choice(('reading files', 'running code', 'reading memory', 'impersonating users'))}. "
        "We are not aware of exploitation in the wild."
    )
    fix = (
        f"- Upgrade to `{package}` {fixed}, which validates the value after normalising it.\n"
        f"- If you cannot upgrade, reject inputs larger than {rng.choice((64, 256, 4096))} KiB before they reach "
        f"`{func}`, or disable the {component}.\n"
        f"- The fix adds the reproducer above to the project's regression tests."
    )
    extra: list[str] = []
    fillers = rng.sample(_FILLER, len(_FILLER))
    text = ""
    while True:
        disc = discovery + ("\n" + "\n\n".join(extra) if extra else "")
        text = (f"## Summary\n\n{summary}\n\n## Discovery\n\n{disc}\n\n## Root cause\n\n{root_cause}\n\n"
                f"## Impact\n\n{impact}\n\n## Fix\n\n{fix}\n")
        if len(text.encode()) >= target or len(extra) == len(fillers):
            break
        extra.append(fillers[len(extra)].format(k=rng.randint(2, 60), func=func, os=rng.choice(_OSES),
                                                year=year - 1))
    return text


def _statuses(n: int, rng: random.Random) -> list[str]:
    drafts = max(1, n // 100) if n >= 10 else 0
    embargoed = max(1, round(n * 0.10)) if n >= 10 else 0
    withdrawn = max(1, round(n * 0.05)) if n >= 10 else 0
    public = n - drafts - embargoed - withdrawn
    out = ([STATUS_PUBLIC] * public + [STATUS_EMBARGOED] * embargoed + [STATUS_WITHDRAWN] * withdrawn
           + [STATUS_DRAFT] * drafts)
    rng.shuffle(out)
    return out


def _short(package: str) -> str:
    """``github.com/acme/x``, ``@acme/x`` and ``org.acme:x`` all become ``x``."""
    return package.rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def _title(rng: random.Random, bug: tuple[str, str, str], pkg: dict[str, Any], part: str) -> str:
    """Every title has the same shape, so no title is a prefix or substring of another distinct one."""
    return f"{bug[0]} in {_short(pkg['package'])}'s {part} {rng.choice(_CONSEQUENCES)}"


@dataclass
class _Draft:
    index: int
    status: str
    reported: datetime
    embargo: datetime | None
    lines: list[str]
    narrative: str
    title: str
    aliases: list[str]
    packages: list[str]
    year: int = 0


def generate(root: Path, n: int, seed: int = SEED) -> GeneratedSet:
    """Write a fresh project into ``root`` (which must not hold a project yet) with ``n`` disclosures."""
    root.mkdir(parents=True, exist_ok=True)
    write_project(root, datetime(2026, 1, 1, tzinfo=UTC))
    ddir = root / "disclosures"
    for sample in list(ddir.rglob("*")):  # the scaffold's example disclosure: the set is exactly n
        if sample.is_file():
            sample.unlink()
    for folder in sorted((p for p in ddir.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    rng = random.Random(f"{seed}:{n}")
    statuses = _statuses(n, rng)
    cve_numbers = rng.sample(range(10000, 99999), n)
    titles: set[str] = set()
    drafts: list[_Draft] = []
    span = (PUBLIC_UNTIL - PUBLIC_FROM).total_seconds()
    for i, status in enumerate(statuses):
        if status == STATUS_EMBARGOED:
            embargo: datetime = datetime(EMBARGO_YEAR, 1, 6, 12, tzinfo=UTC) + timedelta(
                days=rng.randint(0, 330), hours=rng.randint(0, 11))
        else:
            embargo = PUBLIC_FROM + timedelta(seconds=int(rng.random() * span))
            embargo = embargo.replace(minute=0, second=0)
        reported = embargo - timedelta(days=rng.randint(14, 90), hours=rng.randint(0, 23))
        discovered = reported - timedelta(days=rng.randint(1, 30))
        fix_released = min(embargo - timedelta(days=rng.randint(0, 10)), embargo)
        bug = rng.choice(_BUGS)
        component = rng.choice(_COMPONENTS)
        n_pkgs = rng.choices((1, 2, 3), weights=(60, 30, 10))[0]
        pkgs: list[dict[str, Any]] = []
        seen_pkgs: set[str] = set()
        while len(pkgs) < n_pkgs:
            p = _package(rng, rng.choices(_ECOSYSTEMS, weights=_ECO_WEIGHTS)[0])
            if p["package"] not in seen_pkgs:
                seen_pkgs.add(p["package"])
                pkgs.append(p)
        title = _title(rng, bug, pkgs[0], component)
        while title in titles:  # rare: the same bug, package, component and consequence twice
            title = _title(rng, bug, pkgs[0], f"{rng.choice(_FUNCS)}() in the {rng.choice(_COMPONENTS)}")
        titles.add(title)
        finder = _person(rng)
        tool = rng.choice(_TOOLS)
        year = discovered.year
        target = rng.randint(2300, 3800)
        narrative = _narrative(rng, pkg=pkgs[0], bug=bug, component=component, tool=tool, finder=finder,
                               year=year, target=target)
        aliases = [f"CVE-{reported.year}-{cve_numbers[i]}"]
        if rng.random() < 0.3:
            alphabet = "23456789cfghjmpqrvwx"
            aliases.append("GHSA-" + "-".join("".join(rng.choice(alphabet) for _ in range(4)) for _ in range(3)))
        lines = [f"title: {_q(title)}"]
        if status != STATUS_DRAFT or rng.random() < 0.5:
            lines.append(f"embargo_until: {_instant(embargo)}")
        lines.append(f"draft: {'true' if status == STATUS_DRAFT else 'false'}")
        lines.append(f"aliases: [{', '.join(aliases)}]")
        lines.append("affected:")
        for p in pkgs:
            lines.append(f"  - ecosystem: {p['ecosystem']}")
            lines.append(f"    package: {_q(p['package'])}")
            if "purl" in p:
                lines.append(f"    purl: {_q(p['purl'])}")
            if "repo" in p:
                lines.append(f"    repo: {p['repo']}")
            lines.append("    ranges:")
            for r in p["ranges"]:
                lines.append(f"      - introduced: {_q(r['introduced'])}")
                lines.append(f"        fixed: {_q(r['fixed'])}")
        lines += ["severity:", "  - type: CVSS_V3", f"    vector: {_q(_cvss(rng))}"]
        lines.append(f"cwe: [{bug[1]}]")
        lines += ["credits:", f"  - name: {_q(finder + ' (OSQI)')}", "    type: FINDER"]
        if rng.random() < 0.5:
            lines.append(f"    contact: [mailto:{finder.split()[0].lower()}@osqi.example]")
        lines += [f"  - name: {_q(finder + ' (OSQI)')}", "    type: REPORTER",
                  f"  - name: {_q(tool)}", "    type: TOOL"]
        if rng.random() < 0.7:
            lines += [f"  - name: {_q(_person(rng) + ' (maintainer)')}", "    type: REMEDIATION_DEVELOPER"]
        if rng.random() < 0.3:
            lines += [f"  - name: {_q(_person(rng) + ' (OSQI)')}", "    type: COORDINATOR"]
        first = pkgs[0]
        first_name, first_fixed = first["package"], first["ranges"][0]["fixed"]
        repo = first.get("repo") or f"https://github.com/{rng.choice(_ORGS)}/{_short(first_name)}"
        commit = "".join(rng.choice("0123456789abcdef") for _ in range(12))
        lines += ["references:", "  - type: FIX", f"    url: {repo}/commit/{commit}",
                  "  - type: ADVISORY", f"    url: https://nvd.nist.gov/vuln/detail/{aliases[0]}"]
        if rng.random() < 0.4:
            lines += ["  - type: REPORT", f"    url: {repo}/issues/{rng.randint(10, 9999)}"]
        lines += ["timeline:",
                  f"  - date: {discovered.date().isoformat()}", "    event: discovered",
                  f"    note: {_q(f'The {tool} flags the {component} of {first_name}.')}",
                  f"  - date: {reported.date().isoformat()}", "    event: reported",
                  f"    note: {_q('Report with a minimal reproducer sent to the maintainers.')}"]
        if rng.random() < 0.6:
            ack = reported + timedelta(days=rng.randint(1, 7))
            lines += [f"  - date: {ack.date().isoformat()}", "    event: acknowledged"]
        lines += [f"  - date: {fix_released.date().isoformat()}", "    event: fix_released",
                  f"    note: {_q(f'{first_name} {first_fixed} released.')}"]
        if status in (STATUS_PUBLIC, STATUS_WITHDRAWN) and rng.random() < 0.2:
            rev = min(embargo + timedelta(days=rng.randint(1, 60)), PUBLIC_UNTIL + timedelta(days=30))
            lines += ["revisions:", f"  - date: {_instant(rev)}",
                      f"    summary: {_q('Corrected the affected range and added a reference.')}"]
        if status == STATUS_WITHDRAWN:
            wd = min(embargo + timedelta(days=rng.randint(2, 90)), PUBLIC_UNTIL + timedelta(days=40))
            lines += ["withdrawn:", f"  date: {_instant(wd)}",
                      f"  reason: {_q('Duplicate of an earlier report; the behaviour is documented and intended.')}"]
        drafts.append(_Draft(i, status, reported, embargo, lines, narrative, title, aliases,
                             [p["package"] for p in pkgs]))
    # IDs: per year of report, numbered in report order, as `osqi-site new` would have assigned them.
    per_year: dict[int, int] = {}
    out = GeneratedSet(root)
    for d in sorted(drafts, key=lambda x: (x.reported, x.index)):
        year = d.reported.year
        per_year[year] = per_year.get(year, 0) + 1
        ident = f"{ID_PREFIX}-{year}-{per_year[year]:04d}"
        path = ddir / str(year) / f"{ident}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        # A seal per disclosure (the embargo register), from its ID: the set stays the same for a seed.
        seal = hashlib.sha256(f"benchmark seal {ident}".encode()).hexdigest()
        text = "---\n" + f"id: {ident}\nseal: \"{seal}\"\n" + "\n".join(d.lines) + "\n---\n\n" + d.narrative
        path.write_text(text, encoding="utf-8")
        out.items.append(Synthetic(ident, d.status, d.title, d.narrative, path, d.aliases, d.packages))
    out.items.sort(key=lambda s: s.id)
    _refuse_marker_clashes(out)
    return out


def _refuse_marker_clashes(made: GeneratedSet) -> None:
    """The build's leak scan looks for withheld titles and aliases in every output file; a public title or alias
    that contains a withheld one would be a false alarm, so the generator guarantees there is none."""
    public = "\n".join(f"{s.title}\n{' '.join(s.aliases)}" for s in made.public)
    for s in made.items:
        if s.public:
            continue
        for marker in (s.title, *s.aliases):
            if re.search(re.escape(marker) + r"(?![0-9])", public):
                raise AssertionError(f"generator bug: withheld {s.id} shares {marker!r} with a public disclosure")


# -- the vanilla baseline ------------------------------------------------------------------------------


class _TolerantLoader(yaml.SafeLoader):
    """Reads mkdocs.yml even when it carries ``!ENV`` or ``!!python/name:`` tags."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def write_baseline(target: Path, project_config: Path, items: Sequence[Synthetic]) -> Path:
    """A plain mkdocs-material project: every public narrative as ``docs/adv/<ID>.md``, kept out of the nav.

    Theme (features, palette, font) and Markdown extensions are copied from the osqi project's config;
    plugins are ``[search]`` only and ``strict`` is off. Returns the path of its mkdocs.yml.
    """
    raw = yaml.load(project_config.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    theme = {k: v for k, v in dict(raw.get("theme") or {}).items() if k != "custom_dir"}
    theme.setdefault("name", "material")
    config = {
        "site_name": "Baseline",
        "site_url": raw.get("site_url", "https://baseline.example/"),
        "docs_dir": "docs",
        "strict": False,
        "theme": theme,
        "markdown_extensions": raw.get("markdown_extensions") or [],
        "plugins": ["search"],
        "nav": [{"Home": "index.md"}],
        "not_in_nav": "/adv/*",
    }
    if target.exists():
        shutil.rmtree(target)
    docs = target / "docs" / "adv"
    docs.mkdir(parents=True)
    (target / "docs" / "index.md").write_text("# Baseline\n\nThe same narratives as plain pages.\n",
                                              encoding="utf-8")
    for s in items:
        (docs / f"{s.id}.md").write_text(f"# {s.id}: {s.title}\n\n{s.narrative}", encoding="utf-8")
    cfg = target / "mkdocs.yml"
    cfg.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return cfg


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    p.add_argument("dir", type=Path)
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--seed", type=int, default=SEED)
    args = p.parse_args(argv)
    if args.dir.exists() and any(args.dir.iterdir()):
        p.error(f"{args.dir} is not empty")
    made = generate(args.dir, args.n, args.seed)
    print(f"{len(made.items)} disclosures in {made.root}: {made.count(STATUS_PUBLIC)} public, "
          f"{made.count(STATUS_EMBARGOED)} embargoed, {made.count(STATUS_WITHDRAWN)} withdrawn, "
          f"{made.count(STATUS_DRAFT)} drafts")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


