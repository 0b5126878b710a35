"""The real download path (huggingface_hub) against a stand-in hub on loopback: progress, cache, resume."""

from __future__ import annotations

import hashlib
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from photoclip.core.models import cached_weights, download_weights, resolve_model

WEIGHTS = bytes(range(256)) * 12_000  # ~3 MB, so progress has several steps


class _Hub(http.server.BaseHTTPRequestHandler):
    files: dict[str, bytes] = {}
    requests: list[str] = []

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def _respond(self, *, send_body: bool) -> None:
        self.requests.append(f"{self.command} {self.path}")
        match = re.match(r"^/(.+)/resolve/[^/]+/([^/?]+)", self.path)
        data = self.files.get(f"{match.group(1)}/{match.group(2)}") if match else None
        if data is None:
            self.send_response(404)
            self.send_header("X-Error-Code", "EntryNotFound")
            self.send_header("X-Repo-Commit", "0" * 40)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        start = 0
        ranged = re.match(r"bytes=(\d+)-", self.headers.get("Range", ""))
        if ranged and send_body:
            start = int(ranged.group(1))
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("X-Repo-Commit", "a" * 40)
        self.send_header("ETag", f'"{hashlib.sha256(data).hexdigest()}"')
        self.send_header("Content-Length", str(len(data) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        if send_body:
            self.wfile.write(data[start:])


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Hub]:
    spec = resolve_model("vit-b-32")
    repo = "laion/CLIP-ViT-B-32-DataComp.XL-s13B-b90K"
    assert spec.architecture == "ViT-B-32"
    _Hub.files = {f"{repo}/open_clip_model.safetensors": WEIGHTS}
    _Hub.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}")
    yield _Hub
    server.shutdown()
    server.server_close()


def test_download_reports_progress_and_then_works_offline(
    hub: _Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = resolve_model("vit-b-32")
    assert cached_weights(spec, tmp_path) is None
    progress: list[tuple[int, int | None]] = []
    path = download_weights(spec, tmp_path, lambda done, total: progress.append((done, total)))
    assert path.read_bytes() == WEIGHTS
    assert progress and progress[-1] == (len(WEIGHTS), len(WEIGHTS))
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # offline now
    assert cached_weights(spec, tmp_path) == path
    assert download_weights(spec, tmp_path) == path  # no network needed once cached
