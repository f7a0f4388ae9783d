"""Where ``osqi-site serve`` puts its preview: in memory when the machine offers it, never against the user's say."""

from __future__ import annotations

import pytest

from osqi_site.cli import MEMORY_DIR_MIN_FREE, memory_tempdir

SHM = "tmpfs /dev/shm tmpfs rw,nosuid,nodev 0 0\n/dev/vda / ext4 rw,relatime 0 0\n"


def roomy(_: str) -> int:
    return MEMORY_DIR_MIN_FREE


def test_serve_previews_in_memory_when_dev_shm_is_a_roomy_tmpfs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.access", lambda path, mode: path == "/dev/shm")
    assert memory_tempdir({}, SHM, roomy) == "/dev/shm"


@pytest.mark.parametrize(("environ", "mounts", "free"), [
    ({"TMPDIR": "/scratch"}, SHM, roomy),  # the user's choice wins
    ({"TMP": "/scratch"}, SHM, roomy),
    ({}, "/dev/vda / ext4 rw 0 0\n", roomy),  # no /dev/shm mount
    ({}, "shm /dev/shm ext4 rw 0 0\n", roomy),  # there, but on disk
    ({}, SHM, lambda _: MEMORY_DIR_MIN_FREE - 1),  # too little room
    ({}, "", roomy),  # /proc/self/mounts unreadable
])
def test_serve_keeps_the_default_temporary_folder_otherwise(environ: dict[str, str], mounts: str, free: object,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.access", lambda path, mode: True)
    assert memory_tempdir(environ, mounts, free) is None  # type: ignore[arg-type]


def test_serve_keeps_the_default_when_dev_shm_cannot_be_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_: str) -> int:
        raise OSError("statvfs failed")

    monkeypatch.setattr("os.access", lambda path, mode: True)
    assert memory_tempdir({}, SHM, broken) is None


def test_serve_keeps_the_default_when_dev_shm_is_not_writable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.access", lambda path, mode: False)
    assert memory_tempdir({}, SHM, roomy) is None
