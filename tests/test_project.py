"""The plugin options' one set of defaults (core/settings.py) as the plugin, ``settings_from`` and project.py's
reading of mkdocs.yml without MkDocs all see them."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from osqi_site import scaffold
from osqi_site.adapter.plugin import OsqiConfig
from osqi_site.core.settings import OPTION_DEFAULTS, SETTING_OPTIONS, Settings, settings_from
from osqi_site.project import find_project

URL = "https://publisher.test/"
README = Path(__file__).parents[1] / "README.md"


def _plugin_options(given: dict[str, Any]) -> dict[str, Any]:
    """The plugin's options as MkDocs hands them to it, after its own validation of ``given``."""
    config = OsqiConfig()
    config.load_dict(given)
    failed, _ = config.validate()
    assert failed == []
    return dict(config.items())


def _plain(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def test_the_plugin_schema_takes_every_default_from_the_one_definition() -> None:
    options = _plugin_options({})
    assert {k for k, v in options.items() if v is not None} == set(OPTION_DEFAULTS)
    assert {k: _plain(v) for k, v in options.items() if v is not None} == dict(OPTION_DEFAULTS)


def test_the_settings_options_default_to_the_settings_own_fields() -> None:
    fields = {f.name: f.default for f in dataclasses.fields(Settings)}
    assert {name: OPTION_DEFAULTS[name] for name in SETTING_OPTIONS} == {name: fields[name] for name in SETTING_OPTIONS}


def test_no_option_given_gives_the_default_settings_through_the_plugin_and_the_commands(tmp_path: Path) -> None:
    # The plugin's path (MkDocs' validated options) and the commands' path (mkdocs.yml read by find_project)
    # agree with Settings' own defaults, field for field.
    assert settings_from(URL, None, None, _plugin_options({})) == Settings(URL)
    assert settings_from(URL, None, None, {}) == Settings(URL)
    (tmp_path / "mkdocs.yml").write_text(f"site_url: {URL}\nplugins:\n  - osqi\n", encoding="utf-8")
    project, problems = find_project(tmp_path / "mkdocs.yml")
    assert problems == [] and project is not None
    assert project.settings == Settings(URL)
    assert project.disclosures_dir == tmp_path.resolve() / OPTION_DEFAULTS["disclosures_dir"]


@pytest.mark.parametrize("name", sorted(SETTING_OPTIONS))
def test_a_given_option_overrides_its_default_on_both_paths(name: str, tmp_path: Path) -> None:
    other = {"id_prefix": "ACME", "feed_limit": 7, "contact": ["https://acme.test/report"],
             "publisher_namespace": "https://acme.test/", "policy_path": "rules/", "security_txt_days": 30,
             "max_embargo_days": 60, "embargo_register": not Settings.embargo_register}[name]
    expected = dataclasses.replace(Settings(URL), **{name: _plain(other)})
    assert settings_from(URL, None, None, _plugin_options({name: other})) == expected
    (tmp_path / "mkdocs.yml").write_text(yaml.safe_dump({"site_url": URL, "plugins": [{"osqi": {name: other}}]}),
                                         encoding="utf-8")
    project, _ = find_project(tmp_path / "mkdocs.yml")
    assert project is not None and project.settings == expected


def test_the_readme_and_a_new_site_state_the_same_defaults() -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("## Configuration (`mkdocs.yml`)", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    documented = next(p["osqi"] for p in yaml.safe_load(block)["plugins"] if isinstance(p, dict))
    # The two the README sets on purpose say so in their comment ("default ...").
    on_purpose = {"embargo_register", "coverage_request"}
    assert {k: _plain(v) for k, v in documented.items() if k not in on_purpose} == {
        k: v for k, v in OPTION_DEFAULTS.items() if k not in on_purpose}
    # A new site's .gitignore keeps the default cache folder out of the repository.
    # Without a trailing slash: a link of that name (to a folder elsewhere) is ignored too.
    assert str(OPTION_DEFAULTS["cache_dir"]) in (scaffold.FILES / "gitignore").read_text(encoding="utf-8").split()
