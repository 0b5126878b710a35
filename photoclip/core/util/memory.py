"""A memory budget shared by threads, so concurrent work on big inputs stays within a fixed bound."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from photoclip.core.errors import DecodeError


def default_decode_budget() -> int:
    """1.5 GB, or a quarter of the machine's memory when that is less (PHOTOCLIP_DECODE_MEMORY_MB overrides)."""
    override = os.environ.get("PHOTOCLIP_DECODE_MEMORY_MB")
    if override and override.isdigit():
        return int(override) << 20
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 8 << 30
    return int(min(1536 << 20, total // 4))


class MemoryBudget:
    """Bytes that threads reserve before they allocate, and give back after; waits while the budget is spent."""

    def __init__(self, total: int) -> None:
        self.total = total
        self._free = total
        self._condition = threading.Condition()

    @property
    def free(self) -> int:
        return self._free

    @contextlib.contextmanager
    def reserve(self, nbytes: int, *, what: str = "this") -> Iterator[None]:
        """Hold `nbytes` of the budget for the block; more than the whole budget is refused with a DecodeError."""
        if nbytes > self.total:
            raise DecodeError(
                "too_many_pixels",
                f"Decoding {what} would take {nbytes / 1e9:.1f} GB of memory, more than the "
                f"{self.total / 1e9:.1f} GB photoclip allows itself for decoding.",
            )
        with self._condition:
            self._condition.wait_for(lambda: self._free >= nbytes)
            self._free -= nbytes
        try:
            yield
        finally:
            with self._condition:
                self._free += nbytes
                self._condition.notify_all()
