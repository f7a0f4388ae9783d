"""The one read of the wall clock: commands and the plugin take their instant here and pass it down as ``now``."""

from __future__ import annotations

from datetime import UTC, datetime


class ClockError(ValueError):
    """A requested instant a build may not use (one in the future)."""


def now() -> datetime:
    """The real instant, in UTC. Nothing else in the package reads the wall clock for a publishing decision."""
    return datetime.now(UTC)


def build_instant(as_of: datetime | None, *, preview: bool) -> datetime:
    """The instant a build publishes as of: the real one, or ``as_of`` when given.

    A build may only look back (``--as-of`` rebuilds the site as it stood); only a preview may look ahead,
    into its own never-deployed folder.
    """
    real = now()
    if as_of is None:
        return real
    if as_of > real and not preview:
        raise ClockError(f"as_of {as_of.isoformat()} is in the future; a build may only look back "
                         "(use `osqi-site preview` to see a future state)")
    return as_of
