"""build/finish.py: what a build adds to its outputs and the seal over the written site, over plain inputs."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from factory import NOW, make_disclosure

from osqi_site.build import finish
from osqi_site.core import gate
from osqi_site.core.model import Attachment
from osqi_site.core.problems import BuildError
from osqi_site.formats import checksums

MARKER = "ZQXWITHHELDMARKER"


def _site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text("<p>public</p>")
    (site / "a" / "b.json").write_text("{}")
    return site


def test_the_seal_lists_every_file_and_returns_what_the_shell_writes(tmp_path: Path) -> None:
    site = _site(tmp_path)
    looked = finish.LookedFor((MARKER,), {})
    sealed = finish.seal(site, looked, known_clean=frozenset(), parallel=False,
                         made_from_sums=lambda sums: {"sums.sig": b"signature of " + hashlib.sha256(sums).digest()})
    assert sealed.files[checksums.NAME].decode().splitlines() == [
        f"{hashlib.sha256(b'{}').hexdigest()}  a/b.json", f"{hashlib.sha256(b'<p>public</p>').hexdigest()}  index.html"]
    assert set(sealed.files) == {checksums.NAME, "sums.sig"}
    assert sorted(p.name for p in site.iterdir()) == ["a", "index.html"]  # nothing written here
    assert len(sealed.clean) == 2


@pytest.mark.parametrize("where", ["site", "made from the sums"])
def test_the_seal_stops_on_withheld_text_anywhere_before_anything_is_written(tmp_path: Path, where: str) -> None:
    site = _site(tmp_path)
    if where == "site":
        (site / "a" / "b.json").write_text(f'{{"x": "{MARKER}"}}')
    with pytest.raises(BuildError) as raised:
        finish.seal(site, finish.LookedFor((MARKER,), {}), known_clean=frozenset(), parallel=False,
                    made_from_sums=lambda sums: {"provenance.json": MARKER.encode()} if where != "site" else {})
    assert str(raised.value).startswith("osqi: withheld disclosure text found in the output; nothing was published")
    assert MARKER in str(raised.value)
    assert not (site / checksums.NAME).exists()


def test_withheld_attachments_are_looked_for_unless_a_public_one_has_the_same_bytes(tmp_path: Path) -> None:
    files = {name: tmp_path / name for name in ("poc.c", "same.txt", "public.txt")}
    files["poc.c"].write_text("int main() { exploit(); }")
    files["same.txt"].write_text("shared bytes")
    files["public.txt"].write_text("shared bytes")
    public = make_disclosure(attachments=(Attachment("public.txt", str(files["public.txt"])),))
    withheld = make_disclosure(id="OSQI-2026-0999", embargo_until=NOW.replace(year=2099), attachments=(
        Attachment("poc.c", str(files["poc.c"])), Attachment("same.txt", str(files["same.txt"]))))
    pub = gate.publish((public, withheld), NOW)
    assert [d.id for d in pub.withheld] == ["OSQI-2026-0999"]
    looked = finish.looked_for(pub, ("launch-plan/",), tmp_path)
    digest = hashlib.sha256(b"int main() { exploit(); }").hexdigest()
    assert looked.attachments == {digest: "poc.c"}
    assert "launch-plan/" in looked.markers and "OSQI-2026-0999" in looked.markers
    assert looked.identity[-1] == f"sha256:{digest}"


def test_a_preview_page_says_what_it_is_and_asks_not_to_be_indexed() -> None:
    html = finish.with_preview_banner('<html><head><title>t</title></head><body class="x"><p>y</p></body></html>', NOW)
    assert '<meta name="robots" content="noindex, nofollow"></head>' in html
    assert '<body class="x"><div class="osqi-preview-banner" role="alert"' in html
    assert f"PREVIEW as of {NOW.isoformat()}: may show embargoed disclosures." in html


def test_an_unreadable_previous_log_stops_the_build(tmp_path: Path) -> None:
    from osqi_site.build import pipeline
    from osqi_site.core.settings import Settings

    settings = Settings("https://osqi.example/")
    pub = gate.publish((make_disclosure(),), NOW)
    output = pipeline.build_outputs(pub, settings)
    with pytest.raises(BuildError, match=r"^osqi: --previous: cannot read .*history/log.json: No such file"):
        finish.with_history(output, tmp_path, NOW, pub, settings)
    recorded = finish.with_history(output, None, NOW, pub, settings)  # the very first deploy
    assert "history/log.json" in recorded.output.files and recorded.embargo_count is None
