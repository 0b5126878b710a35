"""The real download path against a stand-in hub on loopback: progress, cache, resume, integrity, cancel.

The hub speaks just enough of the Hugging Face protocol for huggingface_hub's metadata
request and a ranged GET. It can stream slowly (so a download can be stopped mid-way),
drop the connection part-way, or serve bytes that do not match the sha256 it reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import huggingface_hub.constants
import pytest

from photoclip.cli import main
from photoclip.core import DownloadCancelled, ModelManager, ModelUnavailable
from photoclip.core.clip.registry import resolve_model
from photoclip.core.clip.weights import cached_weights, download_weights, weights_path

WEIGHTS = bytes(range(256)) * 12_000  # ~3 MB, so progress has several steps
REPO = "laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K"
CHUNK = 64 * 1024


class _Hub(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    requests: list[tuple[str, str, str]] = []  # (method, path, Range header)
    chunk_delay = 0.0  # seconds between 64 KB chunks: a slow network
    drop_after: int | None = None  # the next GET sends this many bytes, then hangs up
    corrupt = False  # serve damaged bytes under the true sha256

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, *, send_body: bool) -> None:
        self.requests.append((self.command, self.path, self.headers.get("Range", "")))
        match = re.match(r"^/(.+)/resolve/[^/]+/([^/?]+)", self.path)
        data = self.files.get(f"{match.group(1)}/{match.group(2)}") if match else None
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        etag = hashlib.sha256(data).hexdigest()
        if self.corrupt:
            data = data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]
        start = 0
        ranged = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if ranged and send_body:
            start = int(ranged.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("X-Repo-Commit", "a" * 40)
        self.send_header("ETag", f'"{etag}"')
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if not send_body:
            return
        limit = len(data)
        if type(self).drop_after is not None:
            limit, type(self).drop_after = min(limit, start + type(self).drop_after), None  # type: ignore[operator]
        try:
            for offset in range(start, limit, CHUNK):
                self.wfile.write(data[offset : min(offset + CHUNK, limit)])
                self.wfile.flush()
                if self.chunk_delay:
                    time.sleep(self.chunk_delay)
        except (BrokenPipeError, ConnectionResetError):
            pass
        if limit < len(data):
            self.close_connection = True


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Hub]]:
    # huggingface_hub reads (and reports progress) 10 MB at a time; the test file is 3 MB
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", CHUNK)
    spec = resolve_model("vit-b-32")
    assert spec.architecture == "ViT-B-32"
    _Hub.files = {f"{REPO}/open_clip_model.safetensors": WEIGHTS}
    _Hub.requests = []
    _Hub.chunk_delay, _Hub.drop_after, _Hub.corrupt = 0.0, None, False
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    yield _Hub
    server.shutdown()
    server.server_close()


def _gets(hub: type[_Hub]) -> list[str]:
    """The Range header of every GET of the weights ('' for a whole-file request)."""
    return [r for method, path, r in hub.requests if method == "GET" and path.endswith(".safetensors")]


def _part_files(cache: Path) -> list[Path]:
    return list(weights_path(cache, REPO, "x").parent.glob("*.part"))


def test_download_reports_progress_and_then_works_offline(
    hub: type[_Hub], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = resolve_model("vit-b-32")
    assert cached_weights(spec, tmp_path) is None
    progress: list[tuple[int, int | None]] = []
    path = download_weights(spec, tmp_path, lambda done, total: progress.append((done, total)))
    assert path.read_bytes() == WEIGHTS
    assert progress and progress[-1] == (len(WEIGHTS), len(WEIGHTS))
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert len(progress) > 3
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # offline now
    assert cached_weights(spec, tmp_path) == path
    assert download_weights(spec, tmp_path) == path  # no network needed once cached
    assert ModelManager(tmp_path).verify("vit-b-32").status == "ok"


def test_cancel_keeps_the_partial_file_and_the_next_download_resumes_it(hub: type[_Hub], tmp_path: Path) -> None:
    manager = ModelManager(tmp_path, device="cpu")
    cancel = threading.Event()

    def stop_after_a_megabyte(done: int, total: int | None) -> None:
        if done >= 1_000_000:
            cancel.set()

    with pytest.raises(DownloadCancelled) as stopped:
        manager.download("vit-b-32", progress=stop_after_a_megabyte, cancel=cancel)
    (part,) = _part_files(tmp_path)
    kept = part.stat().st_size
    assert 1_000_000 <= kept < len(WEIGHTS) and stopped.value.done == kept and stopped.value.total == len(WEIGHTS)
    assert part.read_bytes() == WEIGHTS[:kept]
    info = manager.info("vit-b-32")
    assert not info.installed and info.disk_bytes == kept

    progress: list[tuple[int, int | None]] = []
    path = manager.download("vit-b-32", progress=lambda done, total: progress.append((done, total)))
    assert path.read_bytes() == WEIGHTS
    assert _gets(hub) == ["", f"bytes={kept}-"]  # the second attempt asked only for the rest
    assert progress[0] == (kept, len(WEIGHTS)) and progress[-1] == (len(WEIGHTS), len(WEIGHTS))
    assert not _part_files(tmp_path)
    assert manager.info("vit-b-32").installed and manager.verify("vit-b-32").ok


def test_a_killed_download_resumes_with_a_range_request(hub: type[_Hub], tmp_path: Path) -> None:
    hub.chunk_delay = 0.05  # ~2.5 s for the whole file: time to kill the process part-way
    code = (
        "import sys; from pathlib import Path; import huggingface_hub.constants as c; "
        f"c.DOWNLOAD_CHUNK_SIZE = {CHUNK}; "
        "from photoclip.core.clip.registry import resolve_model; "
        "from photoclip.core.clip.weights import download_weights; "
        "download_weights(resolve_model('vit-b-32'), Path(sys.argv[1]))"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            parts = _part_files(tmp_path)
            if parts and parts[0].stat().st_size >= 512 * 1024:
                break
            assert process.poll() is None, "the download finished or failed before it could be killed"
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
    (part,) = _part_files(tmp_path)
    kept = part.stat().st_size
    assert 512 * 1024 <= kept < len(WEIGHTS)

    hub.chunk_delay = 0.0
    path = download_weights(resolve_model("vit-b-32"), tmp_path)
    assert path.read_bytes() == WEIGHTS
    assert _gets(hub)[-1] == f"bytes={kept}-"


def test_a_dropped_connection_is_resumed_within_the_same_download(hub: type[_Hub], tmp_path: Path) -> None:
    hub.drop_after = 1_000_000
    path = download_weights(resolve_model("vit-b-32"), tmp_path)
    assert path.read_bytes() == WEIGHTS
    ranges = _gets(hub)
    assert ranges[0] == "" and ranges[1].startswith("bytes=") and int(ranges[1][6:-1]) >= 900_000


def test_a_download_that_fails_its_sha256_is_deleted_and_reported(hub: type[_Hub], tmp_path: Path) -> None:
    hub.corrupt = True
    with pytest.raises(ModelUnavailable, match="damaged"):
        ModelManager(tmp_path).download("vit-b-32")
    assert cached_weights(resolve_model("vit-b-32"), tmp_path) is None
    assert not _part_files(tmp_path)  # resuming damaged bytes would only repeat the failure


def test_a_damaged_cached_file_is_detected_and_downloaded_again(hub: type[_Hub], tmp_path: Path) -> None:
    manager = ModelManager(tmp_path)
    path = manager.download("vit-b-32")
    damaged = bytearray(path.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01  # same size: only the hash can tell
    path.write_bytes(bytes(damaged))
    check = manager.verify("vit-b-32")
    assert check.status == "corrupted" and "sha256" in check.detail
    assert manager.download("vit-b-32").read_bytes() == WEIGHTS
    assert len(_gets(hub)) == 2 and manager.verify("vit-b-32").ok

    path.write_bytes(WEIGHTS[:1000])  # cut short: not even counted as downloaded
    assert cached_weights(resolve_model("vit-b-32"), tmp_path) is None
    assert manager.verify("vit-b-32").status == "corrupted"


def test_offline_download_fails_fast_and_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # a closed port: no server can answer
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match="Cannot reach") as error:
        ModelManager(tmp_path).download("vit-l-14")
    assert time.monotonic() - started < 10
    assert error.value.offline and "--" not in str(error.value), "what to do is the front end's to say"
    assert not (tmp_path / "weights").exists() or not any((tmp_path / "weights").rglob("*.part"))


def _run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_cli_download_list_and_remove(hub: type[_Hub], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHOTOCLIP_CACHE", str(tmp_path / "cache"))
    library = ["--library", str(tmp_path / "library"), "--device", "cpu"]  # a new library uses vit-b-32
    code, out, _ = _run(["models", "download", "vit-b-32", *library])
    assert code == 0 and "vit-b-32 is ready" in out
    code, out, _ = _run(["models", "list", "--json", *library])
    rows = {row["name"]: row for row in __import__("json").loads(out)}
    assert rows["vit-b-32"]["installed"] and rows["vit-b-32"]["disk_bytes"] >= len(WEIGHTS)
    assert rows["vit-b-32"]["in_use"] and rows["vit-b-32"]["speed"]["measured"]
    code, _, err = _run(["models", "remove", "vit-b-32", *library])
    assert code == 1 and "current model" in err and len(err.strip().splitlines()) == 1
    code, out, _ = _run(["models", "remove", "vit-b-32", "--force", *library])
    assert code == 0 and "Removed vit-b-32" in out and "still uses" in out
    assert cached_weights(resolve_model("vit-b-32"), tmp_path / "cache") is None
    code, _, err = _run(["models", "remove", "photoclip-tiny", *library])
    assert code == 1 and "bundled" in err
