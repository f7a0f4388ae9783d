"""The scale benchmark (issue 5) runs end to end at a small N, so the script cannot rot."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import generate, run

N = 20


def _table(report: str) -> dict[str, dict[str, str]]:
    """The measurement table as {step label: {column header: cell}}."""
    all_lines = report.splitlines()
    starts = [i for i, line in enumerate(all_lines) if line.startswith("| Step |")]
    assert len(starts) == 1
    rows = all_lines[starts[0]:]
    header = [c.strip() for c in rows[0].strip("|").split("|")]
    out: dict[str, dict[str, str]] = {}
    for line in rows[2:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        out[cells[0]] = dict(zip(header, cells, strict=True))
    return out


def _number(cell: str) -> float:
    m = re.fullmatch(r"([\d,]+(?:\.\d+)?)x?", cell)
    assert m, f"not a number: {cell!r}"
    return float(m.group(1).replace(",", ""))


def test_generator_is_deterministic_and_mixed(tmp_path: Path) -> None:
    a = generate.generate(tmp_path / "a", N)
    b = generate.generate(tmp_path / "b", N)
    assert [(s.id, s.path.read_bytes()) for s in a.items] == [(s.id, s.path.read_bytes()) for s in b.items]
    assert len(a.items) == N
    assert {s.status for s in a.items} == {"public", "embargoed", "withdrawn", "draft"}
    for s in a.items:
        assert 2000 <= len(s.narrative.encode()) <= 4096, s.id
        for heading in ("## Summary", "## Discovery", "## Root cause", "## Impact", "## Fix"):
            assert heading in s.narrative
        assert "| --- |" in s.narrative and "```" in s.narrative
        assert s.path.relative_to(tmp_path / "a" / "disclosures").parts[0] == s.id.split("-")[1]


def test_the_median_round_is_reported_with_every_rounds_wall() -> None:
    rounds = [run.Measurement("x", wall, 1, 0) for wall in (3.0, 1.0, 2.0)]
    chosen = run.median_round(rounds)
    assert chosen.wall == 2.0 and chosen.walls == [3.0, 1.0, 2.0]
    assert run.median_round(rounds[:2]).wall == 1.0  # even count: the lower middle
    failed = [*rounds, run.Measurement("x", 0.5, 1, 1)]
    assert run.median_round(failed).rc == 1  # a failed round is never hidden by a median
    assert run.median_round(rounds[:1]).walls == []


def test_benchmark_runs_and_reports_every_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, raw = tmp_path / "results.md", tmp_path / "results.json"
    rc = run.main(["--n", str(N), "--workdir", str(tmp_path / "work"), "--out", str(out), "--json", str(raw),
                   "--timeout", "300", "--serve", "--serve-n", str(N), "--repeat", "2"])
    assert rc == 0, capsys.readouterr().err
    report = out.read_text(encoding="utf-8")
    assert f"### N = {N}" in report
    table = _table(report)
    assert set(run.ROWS) <= set(table), sorted(table)
    for label in run.ROWS:
        row = table[label]
        for column in ("Wall (s)", "Peak RSS (MiB)", "Peak tree PSS (MiB)", "ms per disclosure", "CPU (s)"):
            assert _number(row[column]) > 0, (label, column)
    for label in (run.ROW_FULL, run.ROW_REBUILD, run.ROW_BASELINE):
        row = table[label]
        for column in ("Output (MB)", "Files", "Search index (MB)", "Wall ÷ baseline", "Memory ÷ baseline",
                       "Index ÷ baseline"):
            assert _number(row[column]) > 0, (label, column)
    for target in ("Full build ÷ baseline", "Rebuild, nothing changed ÷ full build", "`check` ÷ full build",
                   "Peak memory of full build ÷ baseline", "Search index ÷ baseline"):
        assert re.search(rf"^\| {re.escape(target)}.*\| (met|\*\*not met\*\*) \|$", report, re.MULTILINE), target
    # Two rounds: each ratio is the median of the rounds' ratios, which are listed.
    full_row = next(line for line in report.splitlines() if line.startswith("| Full build ÷ baseline"))
    got = re.search(r"\| ([\d.]+)x \(median of 2 rounds: ([\d.]+)x, ([\d.]+)x\)", full_row)
    assert got, full_row
    assert abs(float(got.group(1)) - (float(got.group(2)) + float(got.group(3))) / 2) <= 0.011
    # serve: every timed edit was served; the row reports their median.
    serve = next(line for line in report.splitlines() if line.startswith(f"| {run.ROW_SERVE}"))
    timed = re.search(r"median of (\d+) edits: ([\d., ]+) s \| ([\d.]+) \|", serve)
    assert timed and int(timed.group(1)) == run.SERVE_EDITS, serve
    latencies = sorted(float(x) for x in timed.group(2).split(", "))
    assert len(latencies) == run.SERVE_EDITS and float(timed.group(3)) == latencies[len(latencies) // 2]
    assert re.search(r"^\| `serve`: edit saved → page served .*\| (met|\*\*not met\*\*) \|$", report, re.MULTILINE)
    found = re.search(r"(\d+)/(\d+) sampled disclosures findable", report)
    assert found and found.group(1) == found.group(2) and int(found.group(1)) > 0
    # The raw figures re-render to the same tables.
    again = tmp_path / "again.md"
    assert run.main(["--report", str(raw), "--out", str(again)]) == 0
    rows = [line for line in report.splitlines() if line.startswith("| ")]
    assert rows == [line for line in again.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    # The built site carries the public disclosures and nothing withheld (the build's own leak scan passed).
    site = tmp_path / "work" / f"n{N}" / "site"
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert any(doc["location"].startswith("disclosures/OSQI-") for doc in index["docs"])
