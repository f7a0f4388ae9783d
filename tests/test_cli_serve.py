"""Where ``osqi-site serve`` puts its preview: in memory when the machine offers it, never against the user's say."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from osqi_site.cli import MEMORY_DIR_MIN_FREE, dev_addr_problem, main, memory_tempdir

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


def test_poll_interval_grows_with_the_watched_files() -> None:
    from osqi_site.adapter.files import poll_interval

    assert poll_interval(5) == 0.1
    assert poll_interval(1000) == 0.2
    assert poll_interval(2500) == poll_interval(10_000) == 0.5  # MkDocs' own interval, never slower


def test_serve_watcher_takes_the_poll_interval(tmp_path: Path) -> None:
    """Reaches into watchdog's private ``_timeout``: this fails, rather than serve silently slowing, if it moves."""
    from mkdocs.livereload import LiveReloadServer

    from osqi_site.adapter.files import set_poll_interval

    (tmp_path / "docs").mkdir()
    (tmp_path / "later").mkdir()
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    try:
        server.watch(str(tmp_path / "docs"))
        assert set_poll_interval(server, 0.2)
        server.watch(str(tmp_path / "later"))  # as disclosures_dir is, after on_serve
        assert {e.timeout for e in server.observer.emitters} == {0.2}
    finally:
        server.server_close()


def test_set_poll_interval_leaves_an_unknown_server_alone() -> None:
    from osqi_site.adapter.files import set_poll_interval

    assert not set_poll_interval(object(), 0.2)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_stops_on_a_signal_and_removes_its_preview(project: Path, tmp_path: Path, stop: int) -> None:
    """Even started in the background, where SIGINT arrives ignored, the server stops and cleans up."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    port = _free_port()
    env = {**os.environ, "TMPDIR": str(temp), "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.Popen([sys.executable, "-c", "import sys; from osqi_site.cli import main; sys.exit(main())",
                             "serve", "-f", str(project / "mkdocs.yml"), "-a", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    try:
        deadline = time.monotonic() + 60
        while not _serving(port) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert _serving(port) and any(temp.iterdir())  # serving, from a preview folder in TMPDIR
        proc.send_signal(stop)
        assert proc.wait(timeout=20) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list(temp.iterdir()) == []


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.parametrize(("addr", "problem"), [
    ("127.0.0.1:\uff15\uff18\uff15", "the port '\uff15\uff18\uff15' must be a whole number from 1 to 65535 in "
                                      "ASCII digits"),
    ("127.0.0.1:99999", "the port '99999' must be a whole number from 1 to 65535 in ASCII digits"),
    ("127.0.0.1:-1", "the port '-1' must be a whole number from 1 to 65535 in ASCII digits"),
    ("127.0.0.1:0", "the port '0' must be a whole number from 1 to 65535 in ASCII digits"),
    ("127.0.0.1:", "the port '' must be a whole number from 1 to 65535 in ASCII digits"),
    ("127.0.0.1: 80", "the port ' 80' must be a whole number from 1 to 65535 in ASCII digits"),
    ("x", "must be HOST:PORT, e.g. 127.0.0.1:8000"),
    (":8000", "must be HOST:PORT, e.g. 127.0.0.1:8000"),
    ("example.org:8000", "the host 'example.org' must be localhost or an IP address (IPv6 in brackets: [::1])"),
    ("\uff11\uff12\uff17.0.0.1:8000",
     "the host '\uff11\uff12\uff17.0.0.1' must be localhost or an IP address (IPv6 in brackets: [::1])"),
])
def test_a_malformed_serve_address_is_named(addr: str, problem: str) -> None:
    assert dev_addr_problem(addr) == problem


@pytest.mark.parametrize("addr", ["127.0.0.1:8000", "localhost:1", "[::1]:65535", "0.0.0.0:8000"])
def test_a_good_serve_address_passes(addr: str) -> None:
    assert dev_addr_problem(addr) is None


def _isolated_temp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))  # serve keeps the default temporary folder: this one
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    return temp


@pytest.mark.parametrize("addr", ["127.0.0.1:\uff18\uff10\uff10\uff10", "127.0.0.1:99999", "127.0.0.1:-1", "x",
                                  ":8000"])
def test_serve_refuses_a_malformed_address_before_starting(project: Path, tmp_path: Path, addr: str,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    temp = _isolated_temp(tmp_path, monkeypatch)
    assert main(["serve", "-f", str(project / "mkdocs.yml"), "-a", addr]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"serve -a {addr!r}: ") and err.count("\n") == 1
    assert list(temp.iterdir()) == []


def test_serve_that_cannot_start_is_one_line_and_leaves_no_folder(project: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    temp = _isolated_temp(tmp_path, monkeypatch)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["serve", "-f", str(project / "mkdocs.yml"), "-a", f"127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert f"serve: cannot serve on 127.0.0.1:{port}: " in err and "internal error" not in err
    assert list(temp.iterdir()) == []  # MkDocs' folder, made before the port was tried, is gone
    assert tempfile.tempdir == str(temp)  # and the process's temporary folder is as it was
    assert {s: signal.getsignal(s) for s in handlers} == handlers
