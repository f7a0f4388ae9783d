"""The embargo register: commitments while embargoed, the reveal when the embargo lifts, and the audit of both."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from factory import make_disclosure
from sitefixture import AS_OF, CANARY, all_bytes, build, built, make_project, seal_of

from osqi_site import cli
from osqi_site.build import leakscan
from osqi_site.core import gate
from osqi_site.publish import history, register

LIFT = "2026-06-02T00:00:00Z"
"""After OSQI-2026-0004's embargo lifts (2026-06-01T00:01:00Z)."""
WITHHELD = "OSQI-2026-0004"
SEAL = seal_of(WITHHELD, CANARY + "E")
DRAFT_SEAL = seal_of("OSQI-2026-0005", CANARY + "D")


def test_the_commitment_is_sha256_of_tag_salt_and_id() -> None:
    # The layout the README gives readers, spelled out independently of the module's constant.
    expected = hashlib.sha256(b"osqi-embargo-register-v1\x00" + SEAL.encode() + b"\x00" + WITHHELD.encode())
    assert register.commitment(SEAL, WITHHELD) == expected.hexdigest()
    assert register.commitment(SEAL, "OSQI-2026-0003") != expected.hexdigest()


def test_a_withheld_seal_is_a_leak_marker_and_a_public_one_is_not() -> None:
    secret = make_disclosure(id=WITHHELD, seal=SEAL, embargo_until=datetime(2027, 1, 1, tzinfo=UTC))
    public = make_disclosure(seal=DRAFT_SEAL)
    assert SEAL in leakscan.withheld_markers([secret], [public])
    assert DRAFT_SEAL not in leakscan.withheld_markers([secret], [public])


def _register(site: Path) -> dict[str, object]:
    doc: dict[str, object] = json.loads((site / register.PATH).read_bytes())
    return doc


def _audit(capsys: pytest.CaptureFixture[str], site: Path, *more: str) -> list[str]:
    """The audit's problems other than the site being unsigned (these builds have no key)."""
    capsys.readouterr()
    cli.main(["audit", str(site), *more])
    return [line for line in capsys.readouterr().err.splitlines()
            if line and "SHA256SUMS.asc: missing" not in line and not line.startswith("osqi-site")]


@pytest.fixture(scope="module")
def lifted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The project, a build while OSQI-2026-0004 is embargoed, and one after it lifted (with --previous)."""
    tmp = tmp_path_factory.mktemp("register")
    root = make_project(tmp)
    one = built(root, tmp / "one", AS_OF)
    return root, one, built(root, tmp / "two", LIFT, previous=one)


def test_an_embargo_lifting_between_two_builds_is_committed_then_revealed(
        lifted: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, one, two = lifted
    c = register.commitment(SEAL, WITHHELD)
    assert _register(one)["open"] == [{"commitment": c, "sealed_since": AS_OF}]
    first = history.parse((one / history.PATH).read_bytes())[0]
    assert first[-1][history.SEALED] == [c]  # "first seen" is the public log's, not the build clock's
    page = (one / "embargoes" / "index.html").read_text()
    assert c in page and "It holds <strong>1</strong> now" in page
    assert "1 vulnerability under embargo" in (one / "index.html").read_text()

    assert _register(two)["open"] == []
    revealed = {r["id"]: r for r in _register(two)["revealed"]}  # type: ignore[attr-defined]
    assert revealed[WITHHELD] == {"id": WITHHELD, "seal": SEAL, "commitment": c, "sealed_since": AS_OF}
    shown = (two / "disclosures" / WITHHELD / "index.html").read_text()
    assert SEAL in shown and f'Sealed since <time datetime="{AS_OF}">2026-06-01</time>' in shown
    assert "held 0 days until its embargo lifted" in shown
    assert register.SLOT not in shown
    assert "0 vulnerabilities under embargo" in (two / "index.html").read_text()
    assert _audit(capsys, two, "--previous", str(one)) == []
    assert _audit(capsys, one) == []


def test_the_register_never_shows_a_withheld_id_title_or_seal(lifted: tuple[Path, Path, Path]) -> None:
    _, one, _ = lifted
    files = all_bytes(one)
    assert register.PATH in files
    for path, data in files.items():
        for secret in (WITHHELD, CANARY, SEAL, DRAFT_SEAL):
            assert secret.encode() not in data, (path, secret)
            assert secret not in path


def test_a_published_withheld_seal_fails_thebuilt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(tmp_path)
    about = root / "content" / "policy.md"
    about.write_text(about.read_text() + f"\nA salt, for the curious: {SEAL}\n")
    assert build(root, tmp_path / "site") == 1
    assert f"policy/index.html: {SEAL}" in capsys.readouterr().err
    assert not (tmp_path / "site").exists()


def test_a_dropped_commitment_is_reported(lifted: tuple[Path, Path, Path], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    root, one, _ = lifted
    project = tmp_path / "proj"
    shutil.copytree(root, project)
    # The secret is dropped before its embargo lifts: made a draft again, so no commitment stays open.
    source = project / "disclosures" / "2026" / f"{WITHHELD}.md"
    source.write_text(source.read_text().replace("draft: false", "draft: true"))
    dropped = built(project, tmp_path / "dropped", "2026-06-01T00:00:30Z", previous=one)
    c = register.commitment(SEAL, WITHHELD)
    assert _register(dropped)["open"] == []
    assert _audit(capsys, dropped, "--previous", str(one)) == [
        f"{register.PATH}: commitment {c} (in {history.PATH}) is neither open nor revealed: a secret was dropped"]
    # The log alone, without the previous copy, names the dropped commitment too.
    found = _audit(capsys, dropped)
    assert found == [f"{register.PATH}: commitment {c} (in {history.PATH}) is neither open nor revealed: "
                     "a secret was dropped"]


def test_a_removed_commitment_is_reported_against_the_previous_register(lifted: tuple[Path, Path, Path],
                                                                        tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _, one, _ = lifted
    copy = tmp_path / "copy"
    shutil.copytree(one, copy)
    doc = _register(copy)
    (copy / register.PATH).write_bytes(json.dumps({**doc, "open": []}).encode())
    c = register.commitment(SEAL, WITHHELD)
    found = _audit(capsys, copy, "--previous", str(one))
    assert f"{register.PATH}: its SHA-256 differs from SHA256SUMS: changed after it was published" in found
    assert f"{register.PATH}: commitment {c} (in previous {register.PATH}) is neither open nor revealed: " \
           "a secret was dropped" not in found  # the log already names it: one line per problem
    assert f"{register.PATH}: commitment {c} (in {history.PATH}) is neither open nor revealed: " \
           "a secret was dropped" in found
    assert register.vanished([c], [], [], f"previous {register.PATH}") == [
        f"{register.PATH}: commitment {c} (in previous {register.PATH}) is neither open nor revealed: "
        "a secret was dropped"]


def test_a_wrong_salt_is_reported(lifted: tuple[Path, Path, Path], tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    _, one, two = lifted
    copy = tmp_path / "copy"
    shutil.copytree(two, copy)
    text = (copy / register.PATH).read_text()
    wrong = "0" * 64
    (copy / register.PATH).write_text(text.replace(SEAL, wrong))
    c = register.commitment(SEAL, WITHHELD)
    found = _audit(capsys, copy, "--previous", str(one))
    assert f"{register.PATH}: {WITHHELD}: the revealed seal does not match its commitment {c}" in found
    # A reveal that does not match accounts for nothing: the commitment counts as dropped.
    assert f"{register.PATH}: commitment {c} (in {history.PATH}) is neither open nor revealed: " \
           "a secret was dropped" in found


def test_with_the_register_off_no_seal_is_needed_and_nothing_is_published(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(re.sub(r"embargo_register: true", "embargo_register: false", config.read_text()))
    for source in (root / "disclosures").rglob("*.md"):
        source.write_text(re.sub(r'(?m)^seal: .*\n', "", source.read_text()))
    site = built(root, tmp_path / "site", AS_OF)
    assert not (site / "embargoes").exists()
    assert all(b"osqi-seal" not in data and b"under embargo</a>" not in data for data in all_bytes(site).values())
    assert history.SEALED not in history.parse((site / history.PATH).read_bytes())[0][0]


def test_init_turns_the_register_on_and_new_writes_a_seal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["init", str(tmp_path / "site")]) == 0
    assert "embargo_register: true" in (tmp_path / "site" / "mkdocs.yml").read_text()
    capsys.readouterr()
    assert cli.main(["new", "-f", str(tmp_path / "site" / "mkdocs.yml"), "--title", "A bug", "--package", "p",
                     "--ecosystem", "PyPI", "--embargo-until", "2030-01-01T00:00:00Z"]) == 0
    created = tmp_path / "site" / capsys.readouterr().out.strip().splitlines()[-1]
    seals = re.findall(r'(?m)^seal: "([0-9a-f]{64})"', created.read_text())
    starter = re.findall(r'(?m)^seal: "([0-9a-f]{64})"',
                         next((tmp_path / "site" / "disclosures").rglob("OSQI-2026-0001.md")).read_text())
    assert len(seals) == 1 and len(starter) == 1 and seals != starter
    assert cli.main(["check", "-f", str(tmp_path / "site" / "mkdocs.yml")]) == 0


def test_register_make_is_first_seen_from_the_log() -> None:
    secret = make_disclosure(id=WITHHELD, seal=SEAL, embargo_until=datetime(2027, 1, 1, tzinfo=UTC))
    draft = make_disclosure(id="OSQI-2026-0005", seal=DRAFT_SEAL, draft=True, embargo_until=None)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    pub = gate.publish([secret, draft], now)
    c = register.commitment(SEAL, WITHHELD)
    assert register.make(pub, []).open == ((("2026-12-01T00:00:00Z", c)),)
    logged = [{"as_of": "2026-07-01T00:00:00Z", history.SEALED: [c]}]
    reg = register.make(pub, logged)
    assert reg.open == (("2026-07-01T00:00:00Z", c),)
    html = register.page(reg, 120).blocks[0][1]
    assert "153 (over 120)" in html and "osqi-register__late" in html
    assert "osqi-register__late" not in register.page(reg, 200).blocks[0][1]


def test_a_new_commitment_alone_adds_a_log_entry_once() -> None:
    c = register.commitment(SEAL, WITHHELD)
    state = {"OSQI-2026-0001": ("2026-05-01T00:00:00Z", False)}
    first = history.next_entry([], state, b"[]", datetime(2026, 6, 1, tzinfo=UTC))
    assert first is not None and history.SEALED not in first
    second = history.next_entry([first], state, b"[]", datetime(2026, 6, 2, tzinfo=UTC), [c])
    assert second is not None and second[history.SEALED] == [c] and second["published"] == []
    assert history.next_entry([first, second], state, b"[]", datetime(2026, 6, 3, tzinfo=UTC), [c]) is None
    assert history.parse(history.dump([first, second]))[1] == []
    assert history.parse(history.dump([first, {**second, history.SEALED: ["x"]}]))[1] == [
        f"{history.PATH}: entry 1: {history.SEALED} must be a non-empty list of SHA-256 commitments in hex"]
