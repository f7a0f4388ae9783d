"""Generated pages' theme HTML cache: keyed by everything it depends on, never stale, never withheld."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
import pytest
from mkdocs.config import load_config
from mkdocs.structure.files import File, Files, InclusionLevel, get_files
from mkdocs.structure.nav import get_navigation
from mkdocs.utils import meta as mkdocs_meta
from sitefixture import AS_OF, CANARY, build, digest

from osqi_site.adapter import prerender
from osqi_site.build import pipeline, pool
from osqi_site.core.gate import publish
from osqi_site.core.settings import settings_from
from osqi_site.core.timefmt import parse_instant
from osqi_site.pages import convert


def _html(project: Path) -> list[Path]:
    return sorted((project / ".osqi-cache" / "html").rglob("*.html"))


def _theme(project: Path, **overrides: object) -> str:
    config = load_config(str(project / "mkdocs.yml"), **overrides)  # type: ignore[arg-type]
    files = get_files(config)
    return prerender.theme_fingerprint(config, get_navigation(files, config))


def test_theme_fingerprint_is_stable_and_follows_config_and_templates(project: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1000")
    first = _theme(project)
    assert _theme(project) == first  # two loads of one config: the same key, or the cache would never hit
    assert _theme(project, site_name="Another name") != first
    (project / "theme" / "main.html").write_text((project / "theme" / "main.html").read_text() + "\n{# changed #}\n")
    changed_template = _theme(project)
    assert changed_template != first
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "2000")
    assert _theme(project) != changed_template


def test_unstable_values_never_match() -> None:
    class Opaque:
        pass

    assert prerender._unstable(Opaque()) != prerender._unstable(Opaque())
    assert prerender._unstable("x") == prerender._unstable("x")


@pytest.mark.parametrize(("one", "other"), [
    ({"x": float("nan")}, {"x": None}),  # orjson would spell both null
    ({"x": float("inf")}, {"x": None}),
    ({"x": 2**70}, {"x": 2**70 + 1}),  # beyond orjson's integers
    ({"x": 1e-5}, {"x": 1e-4}),
    ({"x": {"a": 1, "b": 2}}, {"x": {"a": 1, "b": 3}}),
])
def test_key_spelling_keeps_different_values_apart(one: dict[str, object], other: dict[str, object]) -> None:
    assert prerender._key_json(one) != prerender._key_json(other)
    assert prerender._key_json(one) == prerender._key_json(dict(one))  # and the same value alike


def test_a_value_no_encoder_can_spell_never_matches() -> None:
    # NaN keeps it from orjson, and json cannot sort keys of mixed types.
    mixed = {"n": float("nan"), "x": {1: "a", "b": 2}}
    assert prerender._key_json(mixed) != prerender._key_json(mixed)


def test_front_matter_as_data_equals_what_yaml_reads(project: Path) -> None:
    config = load_config(str(project / "mkdocs.yml"))
    settings = settings_from(config.site_url, config.site_name, config.site_description,
                             dict(config.plugins["osqi"].config.items()))
    checked = pipeline.check(project / "disclosures", project, settings)
    out = pipeline.build_outputs(publish(checked.disclosures, parse_instant(AS_OF)), settings)
    assert out.pages
    for page in out.pages:
        assert page.meta == mkdocs_meta.get_data(page.markdown)[1], page.src_path


def test_page_key_follows_every_page_attribute(project: Path) -> None:
    config = load_config(str(project / "mkdocs.yml"))
    config.plugins._current_plugin = None  # what MkDocs sets while it runs plugin events
    file = File.generated(config, "disclosures/X.md", content="---\n\"title\": \"T\"\n---\nbody\n",
                          inclusion=InclusionLevel.NOT_IN_NAV)
    from osqi_site.pages import generated

    page = prerender.GeneratedPage(file, config, generated.Page("disclosures/X.md", file.content_string),
                                    convert.Converted("<p>body</p>", []))
    page.read_source(config)
    page.render(config, Files([file]))
    base = prerender.page_key(page, "theme")
    assert prerender.page_key(page, "theme") == base
    assert prerender.page_key(page, "other theme") != base
    changes: list[Callable[[], object]] = [lambda: setattr(page, "content", "<p>other</p>"),
                                           lambda: page.meta.update(title="U"),
                                           lambda: setattr(page, "update_date", "2030-01-01")]
    for change in changes:
        change()
        assert prerender.page_key(page, "theme") != base
        base = prerender.page_key(page, "theme")


def test_warm_build_renders_nothing_again_and_gives_the_same_bytes(project: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert build(project, tmp_path / "cold") == 0
    cached = {p: p.stat().st_mtime_ns for p in _html(project)}
    assert cached
    rendering: list[int] = []
    real = pool.map_chunks

    def counting(fn: Callable[[Any], Any], items: Sequence[Any], **kw: Any) -> list[Any]:
        rendering.append(len(items))
        return real(fn, items, **kw)

    monkeypatch.setattr(prerender, "map_chunks", counting)
    assert build(project, tmp_path / "warm") == 0
    assert rendering == [0]  # every page found rendered in the cache
    assert {p: p.stat().st_mtime_ns for p in _html(project)}.keys() == cached.keys()
    assert digest(tmp_path / "cold") == digest(tmp_path / "warm")


def test_template_change_is_never_served_stale(project: Path, tmp_path: Path) -> None:
    assert build(project, tmp_path / "a") == 0
    main = project / "theme" / "main.html"
    main.write_text(main.read_text().replace("{% extends", "{# x #}{% extends", 1)
                    + '\n{% block footer %}<p id="osqi-test-footer">new footer</p>{% endblock %}\n')
    assert build(project, tmp_path / "b") == 0
    page = (tmp_path / "b" / "disclosures" / "OSQI-2026-0002" / "index.html").read_text()
    assert "new footer" in page


def test_config_change_is_never_served_stale(project: Path, tmp_path: Path) -> None:
    assert build(project, tmp_path / "a") == 0
    cfg = project / "mkdocs.yml"
    cfg.write_text(cfg.read_text().replace("copyright:", "copyright: Changed-Copyright-Line", 1)
                   if "copyright:" in cfg.read_text() else cfg.read_text() + "\ncopyright: Changed-Copyright-Line\n")
    assert build(project, tmp_path / "b") == 0
    page = (tmp_path / "b" / "disclosures" / "OSQI-2026-0002" / "index.html").read_text()
    assert "Changed-Copyright-Line" in page


def test_clock_change_with_a_warm_cache_publishes_and_withholds_exactly(project: Path, tmp_path: Path) -> None:
    # Lifted first, so the cache holds the render of the embargoed page; then an earlier clock must not use it.
    assert build(project, tmp_path / "later", as_of="2026-06-01T00:01:00Z") == 0
    assert (tmp_path / "later" / "disclosures" / "OSQI-2026-0004" / "index.html").is_file()
    assert build(project, tmp_path / "now") == 0
    for path in (tmp_path / "now").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert CANARY.encode() not in data and b"OSQI-2026-0004" not in data, path


def test_prune_keeps_what_this_kind_used_and_what_other_kinds_used_lately(tmp_path: Path) -> None:
    import os

    own, other = tmp_path / "build", tmp_path / "preview"
    own.mkdir()
    other.mkdir()
    used, unused = own / "used.html", own / "unused.html"
    recent, old = other / "recent.html", other / "old.html"
    legacy_recent, legacy_old = tmp_path / "recent.html", tmp_path / "old.html"  # beside them, as before kinds
    now = 10 * prerender.STALE_AFTER
    for p, when in ((used, 0), (unused, now - 10), (recent, now - 10), (old, 0), (legacy_recent, now - 10),
                    (legacy_old, 0)):
        p.write_text("x")
        os.utime(p, (when, when))
    prerender.prune(own, [used], now)
    assert used.exists() and not unused.exists()  # this kind's own unused render goes at once, however young
    assert recent.exists() and not old.exists() and legacy_recent.exists() and not legacy_old.exists()


def test_meta_of_a_page_without_front_matter_is_empty() -> None:
    from osqi_site.pages import generated

    assert generated.Page("a.md", "# Title\n").meta == {}
    assert generated.Page("a.md", "---\n\n---\nx").meta == {}


def test_serve_writes_fresh_pages_first_and_keeps_every_other_order(project: Path) -> None:
    from mkdocs.structure.pages import Page

    from osqi_site.adapter.files import write_first as _write_first

    config = load_config(str(project / "mkdocs.yml"))
    config.plugins._current_plugin = None
    files = Files([File.generated(config, name, content="x") for name in ("a.md", "b.css", "c.md", "d.md")])
    pages = {f.src_uri: Page(None, f, config) for f in files if f.src_uri.endswith(".md")}
    _write_first(files, {id(pages["d.md"])})
    assert [f.src_uri for f in files] == ["d.md", "a.md", "b.css", "c.md"]


def test_a_nav_title_names_the_generated_listing(project: Path, tmp_path: Path) -> None:
    cfg = project / "mkdocs.yml"
    text = cfg.read_text()
    assert "disclosures/index.md" in text
    cfg.write_text(text.replace("- Disclosures: disclosures/index.md", "- All advisories: disclosures/index.md"))
    assert build(project, tmp_path / "site") == 0
    home = (tmp_path / "site" / "index.html").read_text()
    assert "All advisories" in home


def test_a_page_mkdocs_converts_itself_is_sanitised_too(project: Path) -> None:
    from xss import active_content

    from osqi_site.pages import generated

    config = load_config(str(project / "mkdocs.yml"))
    config.plugins._current_plugin = None
    body = "## Summary\n\n<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3))\n"
    file = File.generated(config, "disclosures/X.md", content=body, inclusion=InclusionLevel.NOT_IN_NAV)
    page = prerender.GeneratedPage(file, config, generated.Page("disclosures/X.md", body), None)
    page.read_source(config)
    page.render(config, Files([file]))
    assert page.content and "Summary" in page.content
    assert active_content(page.content) == []


class _CountingLoader(jinja2.DictLoader):
    """Counts how often each template is read: a read after the warm-up is a compile a worker would repeat."""

    def __init__(self, mapping: dict[str, str]) -> None:
        super().__init__(mapping)
        self.reads: list[str] = []

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, None, Callable[[], bool]]:
        self.reads.append(template)
        return super().get_source(environment, template)


_THEME = {
    "main.html": '{% extends "base.html" %}{% block body %}[{{ page }}]{% endblock %}',
    "base.html": '{% import "macros.html" as m %}<{% block body %}{% endblock %}{% include "footer.html" %}'
                 '{{ m.hello() }}{% include "icons/" ~ icon ~ ".svg" %}'
                 '{% if broken %}{% include "broken.html" %}{% include "missing.html" %}{% endif %}>',
    "macros.html": "{% macro hello() %}hi{% endmacro %}",
    "footer.html": "(footer)",
    "icons/x.svg": "<svg/>",
    "broken.html": "{% if %}",
}


def test_warm_templates_loads_what_pages_name_and_never_fails() -> None:
    loader = _CountingLoader(_THEME)
    env = jinja2.Environment(loader=loader, auto_reload=False)
    prerender.warm_templates(env, ["main.html", "main.html"])
    # Everything named by a constant is compiled now; the broken and the missing one are left for a render.
    assert {"main.html", "base.html", "macros.html", "footer.html"} <= set(loader.reads)
    assert "icons/x.svg" not in loader.reads  # named by an expression: loaded when first rendered
    loader.reads.clear()
    assert env.get_template("main.html").render(page="p", icon="x", broken=False) == "<[p](footer)hi<svg/>>"
    assert loader.reads == ["icons/x.svg"]  # nothing the warm-up loaded is read again
    with pytest.raises(jinja2.TemplateSyntaxError):  # the render meets the broken template as it always did
        env.get_template("main.html").render(page="p", icon="x", broken=True)


def test_a_warmed_render_is_the_cold_render() -> None:
    cold = jinja2.Environment(loader=jinja2.DictLoader(_THEME))
    warm = jinja2.Environment(loader=jinja2.DictLoader(_THEME))
    prerender.warm_templates(warm, ["main.html", "absent.html"])
    assert warm.get_template("main.html").render(page="<p>", icon="x") == \
        cold.get_template("main.html").render(page="<p>", icon="x")


_MATERIAL = Path(str(__import__("material").__file__)).parent / "templates"
_OURS = Path(prerender.__file__).parents[1] / "theme" / "partials" / "language.html"


def _statements(template: str) -> list[tuple[str, str]]:
    """A template's tags and expressions, comments and whitespace out."""
    import re

    plain = re.sub(r"{#.*?#}", "", template, flags=re.S)
    found: list[tuple[str, str]] = re.findall(r"{%-?\s*(.*?)\s*-?%}|{{\s*(.*?)\s*}}", plain)
    return found


def test_our_language_partial_is_material_s_but_for_the_translation_it_keeps() -> None:
    # A Material upgrade that changes its partials/language.html fails here, so the override is looked at again.
    material = _statements((_MATERIAL / "partials" / "language.html").read_text())
    ours = _statements(_OURS.read_text())
    imports = [s for s in material if s[0].startswith("import")]
    assert imports == [s for s in ours if s[0].startswith("import")] and len(imports) == 2
    macro_of = {s for s in material if s[0].startswith("macro") or s[1]}
    assert macro_of == {("macro t(key)", ""), ("", "lang.t(key) or fallback.t(key) or key")}
    assert macro_of <= set(ours)  # the fallback, where the plugin's function is not there
    assert ("", "osqi_translated(lang, fallback, key)") in ours


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_a_kept_translation_is_what_material_prints_for_every_key(language: str) -> None:
    import re

    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(_OURS.parents[1]), str(_MATERIAL)]))
    keys = re.findall(r'^\s*"([^"]+)":', (_MATERIAL / "partials" / "languages" / "en.html").read_text(), re.M)
    config = {"theme": {"language": language}}
    plain: Any = env.get_template("partials/language.html").make_module({"config": config})
    env.globals["osqi_translated"] = prerender.translated
    kept: Any = env.get_template("partials/language.html").make_module({"config": config})
    for key in [*keys, "no.such.key"]:
        assert str(kept.t(key)) == str(plain.t(key)) == str(plain.t(key)), key
        assert str(kept.t(key)) == str(kept.t(key))  # asked again: kept, and the same
    assert prerender.translated.cache_info().hits > 0
