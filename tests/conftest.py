"""Shared fixtures, one per concept: the site project, an empty project, its check, a signing key; named fixtures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from factory import SETTINGS
from gpgkey import ThrowawayKey, key_for_tests
from hypothesis import HealthCheck, settings
from sitefixture import make_project

from osqi_site.build import pipeline

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = FIXTURES / "invalid"

# Property tests run against a fixed clock and pure functions: no deadline flakiness on slow CI machines.
settings.register_profile("osqi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("osqi")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The small real site project of ``sitefixture.make_project``: public, revised, withdrawn, embargoed, draft."""
    return make_project(tmp_path)


@pytest.fixture
def empty_project(tmp_path: Path) -> Path:
    """A project root with nothing but an empty ``disclosures/`` folder."""
    (tmp_path / "disclosures").mkdir()
    return tmp_path


@pytest.fixture
def disclosures_dir(empty_project: Path) -> Path:
    return empty_project / "disclosures"


@pytest.fixture
def run_check(empty_project: Path) -> Callable[[], pipeline.Checked]:
    """``pipeline.check`` of the empty project once a test has written into it, exactly as the CLI runs it."""

    def run() -> pipeline.Checked:
        return pipeline.check(empty_project / "disclosures", empty_project, SETTINGS)

    return run


@pytest.fixture(scope="module")
def test_key() -> Iterator[ThrowawayKey]:
    """A throwaway signing key in its own GnuPG home, shared by one test module."""
    yield from key_for_tests()
