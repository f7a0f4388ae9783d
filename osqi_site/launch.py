"""The ``osqi-site`` command's entry point: a Ctrl-C while the CLI's modules load is one line and exit 130."""

from __future__ import annotations

import sys

INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as ``cli.main`` returns once it runs."""


def main() -> int:
    """``cli.main``, imported here: its imports (MkDocs' among them) take a fifth of a second, during which a
    Ctrl-C would otherwise print a Python traceback."""
    try:
        from osqi_site.cli import main as run
    except KeyboardInterrupt:
        print("osqi-site: interrupted", file=sys.stderr)
        return INTERRUPTED
    return run()
