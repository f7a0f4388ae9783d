"""Regenerates ``cwe.json``, MITRE's CWE weaknesses (ID → latest name, status, mapping usage), from a catalogue file.

Run as ``python -m osqi_site.data.extract_cwe CATALOG > osqi_site/data/cwe.json`` where CATALOG is the CWE
catalogue that the ``csaf`` package (PyPI, a test dependency) ships at ``csaf/csaf/v21/cwe/catalog.json``: MITRE's
list (https://cwe.mitre.org/data/downloads.html) with each weakness's name history. That is the catalogue the
``csaf validate`` mandatory test 6.1.11 compares names against, so both always agree; ``tests/test_cwe.py``
fails when the installed ``csaf`` carries a newer catalogue than the extract.
"""

from __future__ import annotations

import json
import sys
from typing import Any

NOTICE = ("MITRE CWE Catalog, https://cwe.mitre.org/. Terms of Use: https://cwe.mitre.org/about/termsofuse.html. "
          "The MITRE Corporation grants a non-exclusive, royalty-free license to use, reproduce, and distribute the "
          "Common Weakness Enumeration (CWE) list for research, development, and commercial purposes, subject to the "
          "following conditions: 1. Any copy or substantial portion of the CWE list must include this notice. "
          "2. The name and logo of MITRE or CWE shall not be used to endorse or promote products derived from this "
          "list without prior written permission from MITRE. 3. THIS MATERIAL IS PROVIDED \"AS IS\" AND ANY EXPRESS "
          "OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND "
          "FITNESS FOR A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL MITRE BE LIABLE FOR ANY DAMAGES "
          "ARISING FROM USE OF THIS LIST. Copyright 2005-2026, The MITRE Corporation.")


def extract(catalog: dict[str, Any]) -> dict[str, Any]:
    """Each weakness the newest catalogue still has (a ``null`` latest name marks one MITRE removed)."""
    version = str(catalog["latest_version"])
    entries: dict[str, dict[str, str]] = {}
    for number, w in catalog["weaknesses"].items():
        name = w["history"][-1][1]
        if name is not None:
            entries[f"CWE-{number}"] = {"name": str(name), "status": str(w.get("status", "")),
                                        "usage": str(w.get("usage", ""))}
    return {
        "catalogue": f"CWE {version}",
        "date": catalog["version_dates"][version],
        "origin": "MITRE Common Weakness Enumeration (https://cwe.mitre.org/data/downloads.html), as carried by "
                  "the csaf package on PyPI (csaf/csaf/v21/cwe/catalog.json); extracted by "
                  "osqi_site/data/extract_cwe.py",
        "licence": NOTICE,
        "entries": dict(sorted(entries.items(), key=lambda kv: int(kv[0][4:]))),
    }


def main() -> None:
    with open(sys.argv[1], "rb") as fh:
        data = extract(json.load(fh))
    sys.stdout.write(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
