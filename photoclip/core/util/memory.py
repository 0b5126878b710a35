"""A memory budget shared by threads, so concurrent work on big inputs stays within a fixed bound."""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator

from photoclip.core.errors import DecodeError

logger = logging.getLogger(__name__)

TRIM_ABOVE = 64 << 20
"""Reservations at least this big give their memory back to the system when they end (see `give_back_freed`)."""


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
    """Bytes that threads reserve before they allocate, and give back after; waits while the budget is spent.

    A reservation of `TRIM_ABOVE` bytes or more hands the memory freed inside it back to
    the system before the next one may start (`give_back_freed`): otherwise each thread's
    malloc arena keeps what its last big decode used, and six decode threads would hold
    six images' worth between them although no more than the budget was ever in use.
    """

    def __init__(self, total: int, *, trim: Callable[[], None] | None = None) -> None:
        self.total = total
        self._free = total
        self._condition = threading.Condition()
        self._trim = trim if trim is not None else give_back_freed

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
            if nbytes >= TRIM_ABOVE:
                try:
                    self._trim()
                except Exception as e:  # memory handed back late is no reason to fail a decode
                    logger.debug("cannot give freed memory back: %s", e)
            with self._condition:
                self._free += nbytes
                self._condition.notify_all()


def give_back_freed() -> None:
    """Return memory the C heap holds free to the system (glibc's malloc_trim; elsewhere nothing to do)."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the C library Python runs on: glibc only
    except (OSError, AttributeError) as e:
        logger.debug("malloc_trim is not available: %s", e)
        return None
    return trim
