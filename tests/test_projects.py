"""Projects under care: validation of their pages, the matching rule, figures, feeds, and that no withheld
disclosure changes a single byte of any of it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest
import yaml
from conftest import INVALID
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from sitefixture import CANARY, all_bytes, build, digest, disclosure_text, make_project

from osqi_site import cli, scaffold
from osqi_site import schema as osqi_schema
from osqi_site.build import pipeline
from osqi_site.core import ecosystems, gate
from osqi_site.core.loader import parse_text
from osqi_site.core.model import Affected, Disclosure, Range, TimelineEvent, Withdrawal
from osqi_site.core.settings import Settings
from osqi_site.formats.feeds import JSON_FEED_VERSION
from osqi_site.pages import projects, stats
from osqi_site.pages.projects import PackageRef, Project, covers
from osqi_site.publish import history, register

PROJECT_INVALID = INVALID / "projects"
VALID = """---
name: Example project
care: life-support
since: 2025-06-01
repo: https://example.org/example
packages:
  - ecosystem: PyPI
    package: example
  - ecosystem: GIT
    repo: https://example.org/example.git
contacts:
  - mailto:example@osqi.example
---

## Why we look after it

Because.
"""
SETTINGS = Settings(site_url="https://osqi.example.org/")
T0 = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def _read(tmp_path: Path, name: str, text: str | bytes) -> projects.ProjectSet:
    docs = tmp_path / "content"
    (docs / "projects").mkdir(parents=True, exist_ok=True)
    target = docs / "projects" / name
    target.write_bytes(text.encode() if isinstance(text, str) else text)
    return projects.read_projects(docs)


# -- validation ---------------------------------------------------------------------------------------------

# Each fixture is read as content/projects/<its name>; every problem of the run, as "line: field: message".
INVALID_CASES: list[tuple[str, tuple[str, ...]]] = [
    ("Bad_Slug.md", ("1: file: 'Bad_Slug.md': a project's file name is its URL: lower-case letters, digits and '-'",)),
    ("bad-care.md", ("3: care: 'hospice' is not one of: maintenance, life-support, watch",)),
    ("bad-contact.md", ("12: contacts[0]: 'example@osqi.example' must be an https:// or mailto: URL",)),
    ("duplicate-key.md", ("4: frontmatter: duplicate key 'care' (first on line 3)",)),
    ("duplicate-package.md", ("9: packages[1]: is listed twice (first as packages[0])",)),
    ("git-without-repo.md", ("9: packages[1].repo: is required when ecosystem is GIT: the upstream repository URL",
                             "10: packages[1].package: a GIT entry is matched by its repo alone; remove package")),
    ("malformed-yaml.md", ("3: frontmatter: malformed YAML: did not find expected ',' or ']'",)),
    ("missing-name.md", ("1: name: is required",)),
    ("no-frontmatter.md", ("1: frontmatter: missing: a project page starts with '---', its fields (name, care, "
                           "since, repo, packages) and a closing '---'",)),
    ("repo-not-http.md", ("5: repo: 'javascript:alert(1)' is not an http(s) URL",)),
    ("repo-on-package.md", ("9: packages[0].repo: only a GIT entry is matched by repository; remove repo or use "
                            "ecosystem: GIT",)),
    ("since-instant.md", ("4: since: is an instant; write the day alone, e.g. 2024-04-01",)),
    ("since-not-a-date.md", ("4: since: 'June 2025' is not a date; write the day as 2024-04-01",)),
    ("unknown-ecosystem.md", ("7: packages[0].ecosystem: 'pypi' is not an OSV ecosystem (PyPI, npm, crates.io, Go, "
                              "Maven, Debian, ...) nor GIT",)),
    ("unknown-key.md", ("1: care: is required", "3: carre: unknown field; did you mean 'care'?")),
    ("unknown-package-key.md", ("7: packages[0].package: is required",
                                "8: packages[0].pakage: unknown field; did you mean 'package'?")),
]


@pytest.mark.parametrize(("name", "expected"), INVALID_CASES, ids=[c[0] for c in INVALID_CASES])
def test_each_invalid_project_fixture_gives_exactly_its_problems(tmp_path: Path, name: str,
                                                                 expected: tuple[str, ...]) -> None:
    found = _read(tmp_path, name, (PROJECT_INVALID / name).read_bytes())
    assert found.public == ()
    assert [str(p) for p in sorted(found.problems)] == [f"content/projects/{name}:{e}" for e in expected]


def test_every_invalid_project_fixture_is_listed() -> None:
    assert sorted(p.name for p in PROJECT_INVALID.glob("*.md")) == sorted(n for n, _ in INVALID_CASES)


def test_invalid_project_fixtures_differ_from_the_valid_page_only_by_their_defect() -> None:
    # The one-line defects: every other line is the valid page's (so each fixture tests one thing).
    valid = VALID.splitlines()
    for name in ("bad-care.md", "bad-contact.md", "repo-not-http.md", "since-instant.md", "unknown-key.md"):
        lines = (PROJECT_INVALID / name).read_text().splitlines()
        assert len(lines) == len(valid) and sum(a != b for a, b in zip(lines, valid, strict=True)) == 1, name


def test_a_valid_page_is_a_project(tmp_path: Path) -> None:
    found = _read(tmp_path, "example.md", VALID)
    assert found.problems == ()
    assert found.public == (Project(
        slug="example", name="Example project", care="life-support", since=date(2025, 6, 1),
        repo="https://example.org/example",
        packages=(PackageRef("PyPI", "example"), PackageRef("GIT", None, "https://example.org/example.git")),
        source="content/projects/example.md", contacts=("mailto:example@osqi.example",)),)


def test_index_and_nested_pages_are_refused(tmp_path: Path) -> None:
    _read(tmp_path, "index.md", VALID)
    (tmp_path / "content" / "projects" / "deep").mkdir()
    (tmp_path / "content" / "projects" / "deep" / "x.md").write_text(VALID)
    found = projects.read_projects(tmp_path / "content")
    assert [str(p) for p in found.problems] == [
        "content/projects/deep/x.md:0: file: a project page lies directly in projects/; move it",
        "content/projects/index.md:0: file: projects/index.md is made by the build; remove this file"]


@pytest.mark.parametrize("name", ["zq.markdown", "zq.mdown", "zq.mkdn", "zq.mkd", "deep/zq.markdown"])
def test_a_page_in_another_markdown_spelling_is_a_located_error(tmp_path: Path, name: str) -> None:
    (tmp_path / "content" / "projects" / "deep").mkdir(parents=True)
    (tmp_path / "content" / "projects" / name).write_text("---\nname: Zq project\nbogus_field: 1\n---\n")
    (tmp_path / "content" / "projects" / "logo.png").write_bytes(b"\x89PNG")  # copied as it is: not a page
    (tmp_path / "content" / "projects" / "notes.MD").write_text("# copied as it is: MkDocs' rule is case-sensitive")
    found = projects.read_projects(tmp_path / "content")
    stem = name.rsplit("/", 1)[-1].split(".")[0]
    assert [str(p) for p in found.problems] == [
        f"content/projects/{name}:0: file: a page in projects/ is a project page, named <slug>.md; "
        f"rename it '{stem}.md'"]


def test_a_withheld_project_page_in_another_spelling_fails_check_and_build(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    (root / "content" / "projects" / "zq.mkd").write_text(
        VALID.replace("since: 2025-06-01", "since: 2025-06-01\nembargo_until: 2099-01-01T00:00:00Z"))
    expected = ("content/projects/zq.mkd:0: file: a page in projects/ is a project page, named <slug>.md; "
                "rename it 'zq.md'")
    assert cli.main(["check", "-f", str(root / "mkdocs.yml")]) == 1
    assert expected in capsys.readouterr().err.splitlines()
    assert build(root, tmp_path / "site") == 1
    err = capsys.readouterr().err
    assert expected in err and "this is a bug" not in err
    assert not (tmp_path / "site").exists()


def test_a_withheld_page_is_validated_and_only_its_name_kept(tmp_path: Path) -> None:
    found = _read(tmp_path, "example.md", VALID)
    docs = tmp_path / "content"
    hidden = projects.read_projects(docs, withheld={"content/projects/example.md"})
    assert hidden.public == () and hidden.withheld_names == ("Example project",)
    (docs / "projects" / "example.md").write_text(VALID.replace("care: life-support", "care: x"))
    assert projects.read_projects(docs, withheld={"content/projects/example.md"}).problems != ()
    assert found.withheld_names == ()


def test_the_schema_agrees_with_the_validator() -> None:
    schema = osqi_schema.projects_frontmatter_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)

    def meta(text: str) -> Any:
        return yaml.load(text.split("---\n")[1], Loader=yaml.BaseLoader)  # values as written, as editors see them

    assert list(validator.iter_errors(meta(VALID))) == []
    for name, _ in INVALID_CASES:
        text = (PROJECT_INVALID / name).read_text()
        if name in ("Bad_Slug.md", "duplicate-key.md", "malformed-yaml.md", "no-frontmatter.md",
                    "duplicate-package.md", "bad-contact.md"):
            continue  # file names, YAML itself and list-wide rules are the validator's alone
        assert list(validator.iter_errors(meta(text))) != [], name
    assert set(schema["properties"]) == set(projects.TOP_LEVEL_FIELDS)


# -- matching ------------------------------------------------------------------------------------------------


def _affected(ecosystem: str, package: str, repo: str | None = None) -> Affected:
    return Affected(ecosystem, package, repo=repo, ranges=(Range("0", "1.0"),))


@pytest.mark.parametrize(("ref", "affected", "expected"), [
    (PackageRef("PyPI", "example"), _affected("PyPI", "example"), True),
    (PackageRef("PyPI", "example"), _affected("PyPI", "Example"), False),  # names exactly as written
    (PackageRef("PyPI", "example"), _affected("npm", "example"), False),
    (PackageRef("Debian", "xz-utils"), _affected("Debian:12", "xz-utils"), True),  # no suffix: every release
    (PackageRef("Debian:12", "xz-utils"), _affected("Debian:11", "xz-utils"), False),
    (PackageRef("Debian:12", "xz-utils"), _affected("Debian", "xz-utils"), False),
    (PackageRef("GIT", None, "https://github.com/tukaani-project/xz"),
     _affected("GIT", "xz", "https://GitHub.com/tukaani-project/xz.git/"), True),
    (PackageRef("GIT", None, "https://github.com/tukaani-project/xz"),
     _affected("GIT", "xz", "https://github.com/tukaani-project/xz-java"), False),
    (PackageRef("GIT", None, "https://github.com/x/y"), _affected("PyPI", "y", "https://github.com/x/y"), True),
    (PackageRef("GIT", None, "https://github.com/x/y"), _affected("PyPI", "y"), False),
])
def test_the_matching_rule(ref: PackageRef, affected: Affected, expected: bool) -> None:
    assert covers(ref, affected) is expected


_names = st.text(st.characters(min_codepoint=33, max_codepoint=0x2FF), min_size=1, max_size=12)


@given(ecosystem=st.sampled_from(sorted(ecosystems.OSV_ECOSYSTEMS)), package=_names, other=_names)
def test_a_package_entry_matches_its_own_package_and_no_other(ecosystem: str, package: str, other: str) -> None:
    assert covers(PackageRef(ecosystem, package), _affected(ecosystem, package))
    assert covers(PackageRef(ecosystem, package), _affected(ecosystem, other)) is (package == other)
    assert not covers(PackageRef(ecosystem, package), _affected(ecosystems.GIT, package, "https://x.example/a"))


@given(path=st.from_regex(r"[a-z0-9]{1,8}(/[a-z0-9._-]{1,8}){0,3}", fullmatch=True), suffix=st.sampled_from(
    ["", "/", ".git", ".git/"]))
def test_a_repository_matches_whatever_its_spelling(path: str, suffix: str) -> None:
    ref = PackageRef(ecosystems.GIT, None, f"https://example.org/{path}")
    assert covers(ref, _affected(ecosystems.GIT, "p", f"HTTPS://Example.ORG/{path}{suffix}"))
    assert not covers(ref, _affected(ecosystems.GIT, "p", f"https://example.org/{path}x"))


# -- figures -------------------------------------------------------------------------------------------------


def _disclosure(n: int, package: str, *, events: tuple[tuple[str, str], ...] = (),
                withdrawn: bool = False) -> Disclosure:
    return Disclosure(
        id=f"OSQI-2024-{n:04d}", title=f"Title {n}", embargo_until=T0.replace(day=n), body="## Summary\n\nS.\n",
        source=f"disclosures/OSQI-2024-{n:04d}.md", affected=(_affected("PyPI", package),),
        timeline=tuple(TimelineEvent(date.fromisoformat(d), e) for d, e in events),
        withdrawn=Withdrawal(T0.replace(day=20), "Duplicate.") if withdrawn else None)


EXAMPLE = Project("example", "Example", "watch", date(2024, 1, 1), "https://example.org/e",
                  (PackageRef("PyPI", "example"),), "content/projects/example.md")


def test_figures_use_the_home_pages_definitions_over_the_projects_disclosures() -> None:
    public = [
        _disclosure(1, "example", events=(("2024-01-01", "reported"), ("2024-01-11", "fixed"))),
        _disclosure(2, "example", events=(("2024-01-01", "reported"), ("2024-01-21", "fix_released"),
                                          ("2024-01-05", "fixed"))),
        _disclosure(3, "example", events=(("2024-02-01", "reported"),)),
        _disclosure(4, "example", events=(("2024-01-01", "reported"), ("2024-01-02", "fixed")), withdrawn=True),
        _disclosure(5, "other", events=(("2023-01-01", "reported"), ("2023-01-02", "fixed"))),
    ]
    f = projects.project_figures(EXAMPLE, public)
    mine = [d for d in public if d.id != "OSQI-2024-0005"]
    assert f.figures == stats.figures(mine)  # the same function as the home page, over the project's records
    assert (f.figures.total, f.figures.withdrawn) == (3, 1)
    assert f.median_days_to_fix == 7.0 and f.with_fix_date == 2  # 10 and 4 days: the first fix counts
    assert [d.id for d in projects.disclosures_of(EXAMPLE, public)] == [
        "OSQI-2024-0004", "OSQI-2024-0003", "OSQI-2024-0002", "OSQI-2024-0001"]  # newest first


def test_days_to_fix_needs_a_report_and_a_fix() -> None:
    assert stats.days_to_fix(_disclosure(1, "e", events=(("2024-01-01", "reported"),))) is None
    assert stats.days_to_fix(_disclosure(1, "e", events=(("2024-01-01", "fixed"),))) is None
    assert stats.days_to_fix(_disclosure(1, "e", events=(("2024-01-03", "reported"), ("2024-01-01", "reported"),
                                                         ("2024-01-09", "fixed")))) == 8
    # The first fix counts, committed or released, in whatever order the timeline lists them.
    assert stats.days_to_fix(_disclosure(1, "e", events=(("2024-01-01", "reported"), ("2024-01-09", "fixed"),
                                                         ("2024-01-20", "fix_released")))) == 8
    assert stats.days_to_fix(_disclosure(1, "e", events=(("2024-01-01", "reported"), ("2024-01-20", "fix_released"),
                                                         ("2024-01-09", "fixed")))) == 8


# -- feeds -----------------------------------------------------------------------------------------------------


def _check_feeds(files: dict[str, bytes], folder: str, ids: list[str]) -> None:
    """The site-wide feeds' checks (tests/test_feeds.py), for one project's feeds."""
    site, home = SETTINGS.site_url, SETTINGS.url(folder)
    rss, atom = feedparser.parse(files[f"{folder}feed.xml"]), feedparser.parse(files[f"{folder}atom.xml"])
    assert rss.version == "rss20" and not rss.bozo, rss.get("bozo_exception")
    assert atom.version == "atom10" and not atom.bozo, atom.get("bozo_exception")
    for parsed in (rss, atom):
        assert [e.link for e in parsed.entries] == [f"{site}disclosures/{i}/" for i in ids]
        assert parsed.feed.link == home
    root = etree.fromstring(files[f"{folder}feed.xml"])
    ns = {"atom": "http://www.w3.org/2005/Atom"}
    assert [ln.get("href") for ln in root.findall("channel/atom:link[@rel='self']", ns)] == [f"{home}feed.xml"]
    a = etree.fromstring(files[f"{folder}atom.xml"])
    assert a.findtext("atom:id", namespaces=ns) == home
    assert [ln.get("href") for ln in a.findall("atom:link[@rel='self']", ns)] == [f"{home}atom.xml"]
    feed = json.loads(files[f"{folder}feed.json"])
    assert feed["version"] == JSON_FEED_VERSION and feed["feed_url"] == f"{home}feed.json"
    assert feed["home_page_url"] == home and [i["_osqi"]["id"] for i in feed["items"]] == ids
    for item in feed["items"]:
        assert {"id", "url", "title", "content_html", "date_published", "date_modified"} <= set(item)


def test_each_project_gets_the_site_feeds_narrowed_to_its_disclosures() -> None:
    public = [_disclosure(1, "example"), _disclosure(2, "other"), _disclosure(3, "example", withdrawn=True)]
    other = Project("other", "Other", "maintenance", date(2024, 1, 1), "https://example.org/o",
                    (PackageRef("PyPI", "other"),), "content/projects/other.md")
    files = projects.feed_files([EXAMPLE, other], public, SETTINGS)
    assert sorted(files) == [f"projects/{s}/{n}" for s in ("example", "other")
                             for n in ("atom.xml", "feed.json", "feed.xml")]
    _check_feeds(files, "projects/example/", ["OSQI-2024-0003", "OSQI-2024-0001"])
    _check_feeds(files, "projects/other/", ["OSQI-2024-0002"])
    assert json.loads(files["projects/example/feed.json"])["title"] == f"{SETTINGS.site_name}: Example"


def test_a_project_without_disclosures_has_valid_empty_feeds() -> None:
    files = projects.feed_files([EXAMPLE], [], SETTINGS)
    _check_feeds(files, "projects/example/", [])


# -- the built site ------------------------------------------------------------------------------------------

PROJECT_PAGE = """---
name: Public package
care: maintenance
since: 2025-01-01
repo: https://example.org/public
packages:
  - ecosystem: PyPI
    package: publicpkg
---

## Why we look after it

It is public.
"""


def _withheld_for_the_project(root: Path) -> None:
    """An embargoed and a draft disclosure that affect the project, canaries in every field."""
    d = root / "disclosures" / "2026"
    for ident, embargo, draft, tag in (("OSQI-2026-0008", "2026-06-01T00:01:00Z", False, CANARY + "P"),
                                       ("OSQI-2026-0009", "2026-01-01T00:00:00Z", True, CANARY + "Q")):
        text = disclosure_text(ident, embargo=embargo, draft=draft, tag=tag)
        (d / f"{ident}.md").write_text(text.replace(f"    package: {tag}pkg", "    package: publicpkg"))


def test_project_pages_listing_feeds_and_links_in_a_build(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "content" / "projects" / "public-pkg.md").write_text(PROJECT_PAGE)
    site = tmp_path / "site"
    assert build(root, site) == 0
    files = all_bytes(site)
    page = files["projects/public-pkg/index.html"].decode()
    assert "<h1" in page and "Public package" in page and "Maintenance" in page
    # Newest first by publication; OSQI-2026-0003 is withdrawn: listed, not counted.
    assert page.index("OSQI-2026-0002") < page.index("OSQI-2026-0003") and "OSQI-2026-0001" not in page
    assert 'href="../../disclosures/OSQI-2026-0002/"' in page
    assert 'Disclosures published</dt><dd class="osqi-figure__value">1</dd>' in page
    listing = files["projects/index.html"].decode()
    assert 'href="public-pkg/"' in listing and 'href="exampleparse/"' in listing
    assert 'data-care="maintenance"' in listing and "mailto:security@osqi.example" in listing
    disclosure = files["disclosures/OSQI-2026-0002/index.html"].decode()
    assert 'href="../../projects/public-pkg/">Public package</a>' in disclosure
    for folder, ids in (("projects/public-pkg/", ["OSQI-2026-0003", "OSQI-2026-0002"]),
                        ("projects/exampleparse/", ["OSQI-2026-0001"])):
        assert all(f"{folder}{n}" in files for n in ("feed.xml", "atom.xml", "feed.json"))
        rss = feedparser.parse(files[f"{folder}feed.xml"])
        assert not rss.bozo and [e.link.rsplit("/", 2)[-2] for e in rss.entries] == ids


def test_no_withheld_disclosure_changes_a_byte_of_any_project_output(tmp_path: Path) -> None:
    sites = {}
    for variant in ("without", "with"):
        root = make_project(tmp_path / variant)
        (root / "content" / "projects" / "public-pkg.md").write_text(PROJECT_PAGE)
        if variant == "with":
            _withheld_for_the_project(root)
        sites[variant] = tmp_path / variant / "site"
        assert build(root, sites[variant]) == 0
    without, with_ = digest(sites["without"]), digest(sites["with"])
    project_files = [p for p in without if p.startswith("projects/")]
    assert {"projects/index.html", "projects/public-pkg/index.html", "projects/public-pkg/feed.xml",
            "projects/public-pkg/atom.xml", "projects/public-pkg/feed.json"} <= set(project_files)
    # The project's page, figures, feeds and the list of projects, byte for byte; and the whole site but for
    # what the embargo register publishes by design: one more commitment (its log entry, pages and count on
    # the home page) and the digests that cover those files.
    assert {p: with_.get(p) for p in project_files} == {p: without[p] for p in project_files}
    assert {p for p in {*with_, *without} if with_.get(p) != without.get(p)} <= {
        register.PATH, "embargoes/index.html", history.PATH, "history/index.html", "index.html",
        "search/search_index.json", "SHA256SUMS", "provenance.intoto.json"}
    for path, data in all_bytes(sites["with"]).items():
        assert CANARY.encode() not in data, path


def test_a_withheld_project_page_is_in_no_output(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    hidden = PROJECT_PAGE.replace("name: Public package", f"name: Secret {CANARY}project\ndraft: true")
    (root / "content" / "projects" / "secret.md").write_text(hidden)
    site = tmp_path / "site"
    assert build(root, site) == 0
    assert not (site / "projects" / "secret").exists()
    for path, data in all_bytes(site).items():
        assert CANARY.encode() not in data, path


def test_a_withheld_project_pages_name_is_looked_for_in_the_output(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    hidden = PROJECT_PAGE.replace("name: Public package", f"name: Secret {CANARY}project\ndraft: true")
    (root / "content" / "projects" / "secret.md").write_text(hidden)
    # A public page naming it (without linking it) would reveal it: the leak scan refuses the build.
    with (root / "content" / "index.md").open("a") as page:
        page.write(f"\nSoon: Secret {CANARY}project.\n")
    assert build(root, tmp_path / "site") == 1
    assert f"Secret {CANARY}project" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_the_share_fixed_is_rounded_alike_on_the_list_and_the_page(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    (root / "content" / "projects" / "public-pkg.md").write_text(PROJECT_PAGE)
    site = tmp_path / "site"
    assert build(root, site) == 0
    page = (site / "projects" / "public-pkg" / "index.html").read_text()
    listing = (site / "projects" / "index.html").read_text()
    share = page.split("Fixed before disclosure</dt><dd class=\"osqi-figure__value\">")[1].split("<")[0]
    assert f'<td data-label="Fixed before disclosure">{share}%</td>' in listing


def test_an_invalid_project_page_fails_the_build_and_check(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    (root / "content" / "projects" / "bad.md").write_text(PROJECT_PAGE.replace("care: maintenance", "care: x"))
    assert build(root, tmp_path / "site") == 1
    assert not (tmp_path / "site").exists()
    assert cli.main(["check", "-f", str(root / "mkdocs.yml")]) == 1
    err = capsys.readouterr().err
    assert "content/projects/bad.md:3: care: 'x' is not one of: maintenance, life-support, watch" in err


def test_new_project_writes_a_page_the_build_accepts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    args = ["new-project", "-f", str(root / "mkdocs.yml"), "--care", "watch", "--repo", "https://example.org/n"]
    assert cli.main([*args[:1], "new-thing", *args[1:], "--name", 'New "thing": #1']) == 0
    page = root / "content" / "projects" / "new-thing.md"
    doc, problems = parse_text("content/projects/new-thing.md", page.read_bytes())
    assert problems == [] and doc is not None
    project, invalid = projects.validate_project(doc)
    assert invalid == [] and project is not None and project.name == 'New "thing": #1'
    assert cli.main([*args[:1], "new-thing", *args[1:], "--name", "Again"]) == 1  # never overwrites
    assert cli.main([*args[:1], "Bad_Slug", *args[1:], "--name", "x"]) == 2
    assert "'Bad_Slug' is not a slug" in capsys.readouterr().err
    assert not (root / "content" / "projects" / "Bad_Slug.md").exists()
    assert build(root, tmp_path / "site") == 0


@pytest.mark.parametrize("slug", ["../escaped", "../../../newdir/deep", "/ABS", "ok/../x", "a/b", "ok\n", "x.md",
                                  "x-", "\uff41", "a" * 65, "", "."])
def test_new_project_takes_a_bare_slug_never_a_path(tmp_path: Path, slug: str,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path / "p")
    before = sorted(p for p in tmp_path.rglob("*"))
    target = str(tmp_path / "outside" / "abs") if slug == "/ABS" else slug
    args = ["new-project", target, "-f", str(root / "mkdocs.yml"), "--care", "watch",
            "--repo", "https://example.org/n", "--name", "N"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{target!r} is not a slug" in err
    assert sorted(p for p in tmp_path.rglob("*")) == before  # nothing written, no folder made


def test_init_into_a_file_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a-file").write_text("kept")
    assert cli.main(["init", str(tmp_path / "a-file")]) == 1
    assert capsys.readouterr().err == (f"{tmp_path / 'a-file'}: not a folder; init writes a new site into a new "
                                       "or empty folder\n")
    assert (tmp_path / "a-file").read_text() == "kept"


def test_init_ships_an_example_project_matching_its_example_disclosure(tmp_path: Path) -> None:
    root = tmp_path / "site"
    scaffold.write_project(root, T0)
    found = projects.read_projects(root / "content")
    assert found.problems == () and [p.slug for p in found.public] == ["exampleparse"]
    assert (root / osqi_schema.PROJECTS_SCHEMA_FILE).read_text() == osqi_schema.projects_schema_text()
    assert build(root, tmp_path / "out", "2026-06-01T00:00:00Z") == 0
    page = (tmp_path / "out" / "projects" / "exampleparse" / "index.html").read_text()
    assert "OSQI-2026-0001" in page


def test_the_sample_site_has_projects_linked_from_their_disclosures() -> None:
    sample = Path(__file__).resolve().parents[1]
    found = projects.read_projects(sample / "content")
    assert found.problems == ()
    pub = gate.publish(pipeline.check(sample / "disclosures", sample, SETTINGS).disclosures,
                       datetime(2026, 6, 1, tzinfo=UTC))
    cared = {p.care: p for p in found.public}
    for care in ("life-support", "maintenance"):
        assert projects.disclosures_of(cared[care], pub.public), care


@given(items=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_project_outputs_are_made_from_public_disclosures_only(items: list[tuple[bool, bool]]) -> None:
    ds = [Disclosure(id=f"OSQI-2024-{i + 1:04d}", title=f"Title QX{i}QZ", draft=draft,
                     embargo_until=T0.replace(year=2025 if later else 2024), body=f"## Summary\n\nQX{i}QZ\n",
                     source=f"d/{i}.md", affected=(_affected("PyPI", "example"),), aliases=(f"CVE-2024-{9000 + i}",))
          for i, (draft, later) in enumerate(items)]
    pub = gate.publish(ds, datetime(2024, 6, 1, tzinfo=UTC))
    blobs = [projects.project_block(EXAMPLE, pub.public, lambda src: src).encode(),
             projects.listing_page([EXAMPLE], pub.public, "mailto:x@example.org").source.encode(),
             *projects.feed_files([EXAMPLE], pub.public, SETTINGS).values()]
    for d in pub.withheld:
        for marker in (d.id, d.title, *d.aliases):
            assert not any(marker.encode() in b for b in blobs), marker
    for d in pub.public:
        assert d.id.encode() in blobs[0]
