"""Published weights on disk: finding, downloading (resumable, verified, cancellable) and records.

Downloads happen only when the user asked for that model: they resume after an
interruption, are checked against the hub's sha256 before use, and can be
cancelled; being offline fails within seconds with a message that says what to
do instead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import posixpath
import shutil
import socket
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from photoclip.core.clip.registry import ModelSpec, open_clip_module, published_hub
from photoclip.core.errors import ModelUnavailable, PhotoclipError
from photoclip.core.util.atomic import fsync_dir, write_json_atomic

log = logging.getLogger(__name__)

DownloadProgress = Callable[[int, int | None], None]
"""Called with (bytes done, bytes total or None) while weights download."""


class DownloadCancelled(PhotoclipError):
    """A download was stopped on request; its partial file is kept and the next attempt resumes it."""

    def __init__(self, model: str, done: int, total: int | None) -> None:
        kept = f"{done / 1e6:.0f} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
        super().__init__(f"Download of {model} cancelled; {kept} kept, the next download resumes from there.")
        self.model = model
        self.done = done
        self.total = total


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def _check_reachable(endpoint: str, timeout: float = 4.0) -> None:
    """Fail in seconds instead of after huggingface_hub's retries (~25 s) when offline."""
    parsed = urllib.parse.urlparse(endpoint)
    host = parsed.hostname or ""
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as e:
        raise ModelUnavailable(f"Cannot reach {host} to download the model ({e.strerror or e}).", offline=True) from e


def hub_location(spec: ModelSpec) -> tuple[str, list[str]]:
    """(hub repository, file names to try) of published weights; curated models need no torch import for this,
    which keeps the app's first window and `photoclip status` instant."""
    hub = published_hub(spec.architecture, spec.pretrained or "")
    if hub is None:
        cfg = open_clip_module().get_pretrained_cfg(spec.architecture, spec.pretrained or "")
        hub = cfg.get("hf_hub", "") if cfg else ""
    if not hub:
        raise ModelUnavailable(f"No download location is published for {spec.model_id}.")
    # open_clip's convention: "org/repo/" (default file names) or "org/repo/file.ext"
    repo, filename = posixpath.split(hub)
    names = [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    if filename.endswith(".bin"):
        names.insert(0, filename[: -len(".bin")] + ".safetensors")
    return repo, names


def weights_path(cache_dir: Path, repo: str, filename: str) -> Path:
    """Where a published weights file lives once downloaded (one folder per hub repository)."""
    return cache_dir / "weights" / repo.replace("/", "--") / filename


def weights_record_path(weights: Path) -> Path:
    """The record written beside a downloaded file: size, sha256, hub etag and commit."""
    return weights.with_name(weights.name + ".json")


def read_weights_record(weights: Path) -> dict[str, Any]:
    try:
        data = json.loads(weights_record_path(weights).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def legacy_hub_folder(cache_dir: Path, repo: str) -> Path:
    """huggingface_hub's own cache layout, used by photoclip before resumable downloads."""
    return cache_dir / ("models--" + repo.replace("/", "--"))


def cached_weights(spec: ModelSpec, cache_dir: Path) -> Path | None:
    """The weights file if it is already on disk (no network).

    A downloaded file counts only when its size matches its record, so a file cut short
    (a full disk, a copy interrupted by hand) is fetched again rather than loaded.
    """
    if spec.is_local:
        return Path(spec.pretrained) if spec.pretrained else None
    repo, names = hub_location(spec)
    for name in names:
        path = weights_path(cache_dir, repo, name)
        if path.is_file() and read_weights_record(path).get("size") == path.stat().st_size:
            return path
    if not legacy_hub_folder(cache_dir, repo).is_dir():
        return None
    from huggingface_hub import hf_hub_download

    for name in names:
        try:
            return Path(hf_hub_download(repo, name, cache_dir=str(cache_dir), local_files_only=True))
        except Exception:  # any failure means "not cached"
            continue
    return None


def download_weights(
    spec: ModelSpec,
    cache_dir: Path,
    progress: DownloadProgress | None = None,
    *,
    cancel: threading.Event | None = None,
) -> Path:
    """Fetch published weights into the cache and return the file.

    huggingface_hub (2.x) writes each attempt to a uniquely named temporary file and deletes
    it on failure, so it cannot resume across attempts; this keeps its own partial file
    (``<name>.<etag>.part``) and asks the hub for the rest with an HTTP Range request. The
    finished file is checked against the sha256 the hub reports as its etag before it is used.

    Args:
        progress: called from this thread with (bytes on disk, total bytes).
        cancel: when set, the download stops at the next chunk with `DownloadCancelled`;
            the partial file stays for the next attempt.
    """
    found = cached_weights(spec, cache_dir)
    if found is not None:
        return found
    if spec.is_local:
        raise ModelUnavailable(f"The weights of {spec.key} are missing: {spec.pretrained}")
    endpoint = hub_endpoint()
    _check_reachable(endpoint)
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    repo, names = hub_location(spec)
    last_error: Exception | None = None
    for name in names:
        try:
            metadata = get_hf_file_metadata(hf_hub_url(repo, name, endpoint=endpoint), timeout=10)
        except Exception as e:  # a missing file name means: try the next one
            status = getattr(getattr(e, "response", None), "status_code", None)
            if status == 404:
                last_error = e
                continue
            raise ModelUnavailable(f"Could not download {spec.model_id} from {endpoint}/{repo}: {e}") from e
        if metadata.size is None:
            raise ModelUnavailable(f"{endpoint}/{repo} did not say how big {name} is; cannot download it safely.")
        return _fetch(
            spec,
            _RemoteFile(repo, name, metadata.location, metadata.size, metadata.etag or "", metadata.commit_hash),
            weights_path(cache_dir, repo, name),
            progress,
            cancel,
        )
    raise ModelUnavailable(f"Could not download {spec.model_id} from {endpoint}/{repo}: {last_error}") from last_error


@dataclass(frozen=True)
class _RemoteFile:
    repo: str
    filename: str
    url: str
    size: int
    etag: str
    commit: str | None

    @property
    def sha256(self) -> str | None:
        """The hub's etag of a large (LFS or Xet) file is the sha256 of its content."""
        etag = self.etag.lower()
        return etag if len(etag) == 64 and all(c in "0123456789abcdef" for c in etag) else None


def _fetch(  # noqa: C901 - one resumable, verified download: its steps in order
    spec: ModelSpec,
    remote: _RemoteFile,
    target: Path,
    progress: DownloadProgress | None,
    cancel: threading.Event | None,
) -> Path:
    from filelock import FileLock, Timeout
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers  # type: ignore[attr-defined]  # documented here, not in __all__

    target.parent.mkdir(parents=True, exist_ok=True)
    tag = "".join(c for c in remote.etag if c.isalnum())[:16] or "unversioned"
    part = target.with_name(f"{remote.filename}.{tag}.part")
    lock = FileLock(str(part) + ".lock")
    try:
        lock.acquire(timeout=0)
    except Timeout as e:
        raise ModelUnavailable(
            f"{spec.key} is being downloaded by another photoclip window or command; wait for it to finish."
        ) from e
    try:
        for stale in target.parent.glob(f"{remote.filename}.*.part"):
            if stale != part:  # an older version of the file: its bytes cannot be resumed
                stale.unlink(missing_ok=True)
        done = part.stat().st_size if part.exists() else 0
        if done > remote.size:
            part.unlink()
            done = 0
        free = shutil.disk_usage(target.parent).free
        if free < remote.size - done:
            raise ModelUnavailable(
                f"Not enough disk space for {spec.key} in {target.parent}: "
                f"{(remote.size - done) / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free."
            )
        if progress is not None:
            progress(done, remote.size)
        if cancel is not None and cancel.is_set():
            raise DownloadCancelled(spec.key, done, remote.size)
        if done < remote.size:
            try:
                with open(part, "ab") as f:
                    http_get(
                        remote.url,
                        f,
                        resume_size=done,
                        headers=build_hf_headers(),
                        expected_size=remote.size,
                        tqdm_class=_progress_tqdm(progress, cancel),
                    )
            except DownloadCancelled:
                raise DownloadCancelled(spec.key, _size(part), remote.size) from None
            except Exception as e:  # network failures become one clear line; the part stays
                kept = _size(part)
                raise ModelUnavailable(
                    f"The download of {spec.key} stopped at {kept / 1e6:.0f} of {remote.size / 1e6:.0f} MB ({e}). "
                    "Run it again to resume."
                ) from e
        digest = file_sha256(part)
        if remote.sha256 is not None and digest != remote.sha256:
            part.unlink()
            raise ModelUnavailable(
                f"The download of {spec.key} is damaged: its sha256 is {digest[:12]}..., the hub says "
                f"{remote.sha256[:12]}...; the damaged file was deleted. Run the download again."
            )
        record = {
            "model": spec.key,
            "model_id": spec.model_id,
            "repo": remote.repo,
            "filename": remote.filename,
            "size": remote.size,
            "sha256": digest,
            "sha256_verified": remote.sha256 is not None,
            "etag": remote.etag,
            "commit": remote.commit,
        }
        write_json_atomic(weights_record_path(target), record)
        os.replace(part, target)
        fsync_dir(target.parent)
        log.info("downloaded %s (%d bytes, sha256 %s)", target, remote.size, digest)
        return target
    finally:
        lock.release()
        Path(lock.lock_file).unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(4 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_tqdm(progress: DownloadProgress | None, cancel: threading.Event | None) -> Any:
    """A tqdm subclass that reports byte counts to our callback instead of drawing a bar, and stops on cancel."""
    from tqdm.auto import tqdm

    class _Reporter(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = False
            kwargs["file"] = open(os.devnull, "w")  # closed in close()
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("", int(self.n), int(self.total) if self.total else None)
            result: bool | None = super().update(n)
            if progress is not None:
                progress(int(self.n), int(self.total) if self.total else None)
            return result

        def close(self) -> None:
            super().close()
            if not self.fp.closed:
                self.fp.close()

    return _Reporter
