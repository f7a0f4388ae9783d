"""Shared fixtures: a throw-away project tree, a one-call check of it, and the named invalid fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from factory import SETTINGS
from hypothesis import HealthCheck, settings

from osqi_site.build import pipeline

FIXTURES = Path(__file__).parent / "fixtures"
INVALID = FIXTURES / "invalid"

# Property tests run against a fixed clock and pure functions: no deadline flakiness on slow CI machines.
settings.register_profile("osqi", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("osqi")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with an empty ``disclosures/`` folder."""
    (tmp_path / "disclosures").mkdir()
    return tmp_path


@pytest.fixture
def disclosures_dir(project: Path) -> Path:
    return project / "disclosures"


@pytest.fixture
def run_check(project: Path) -> Callable[[], pipeline.Checked]:
    """``pipeline.check`` of the temporary project, exactly as the CLI runs it."""

    def run() -> pipeline.Checked:
        return pipeline.check(project / "disclosures", project, SETTINGS)

    return run

