"""MemoryBudget: threads reserve before they allocate, wait while the budget is spent, and give back after."""

from __future__ import annotations

import random
import threading
import time

import pytest

from photoclip.core.errors import DecodeError
from photoclip.core.util import memory
from photoclip.core.util.memory import TRIM_ABOVE, MemoryBudget, default_decode_budget, give_back_freed


def _no_trim() -> None:
    pass


def test_a_reservation_holds_its_bytes_until_the_block_ends() -> None:
    budget = MemoryBudget(100, trim=_no_trim)
    with budget.reserve(60):
        assert budget.free == 40
        with budget.reserve(40):
            assert budget.free == 0
        assert budget.free == 40
    assert budget.free == 100


def test_an_error_inside_the_block_still_gives_the_bytes_back() -> None:
    budget = MemoryBudget(100, trim=_no_trim)
    with pytest.raises(RuntimeError), budget.reserve(70):
        raise RuntimeError("decoder crashed")
    assert budget.free == 100


def test_more_than_the_whole_budget_is_refused_at_once_as_too_many_pixels() -> None:
    budget = MemoryBudget(1_500_000_000, trim=_no_trim)
    with pytest.raises(DecodeError) as caught, budget.reserve(2_400_000_000, what="a 14100x14100 image"):
        pytest.fail("the block must not run")
    assert caught.value.reason == "too_many_pixels"
    assert "a 14100x14100 image" in caught.value.message and "2.4 GB" in caught.value.message
    assert "1.5 GB" in caught.value.message
    assert budget.free == 1_500_000_000  # nothing was taken, nobody waits for it


def test_a_reservation_waits_while_another_thread_holds_the_budget() -> None:
    budget = MemoryBudget(100, trim=_no_trim)
    holding, release, inside = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with budget.reserve(60):
            holding.set()
            release.wait(5)

    def second() -> None:
        with budget.reserve(60):
            inside.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert holding.wait(5)
    threads[1].start()
    assert not inside.wait(0.3)  # 60 + 60 > 100: the second waits ...
    assert budget.free == 40
    release.set()
    assert inside.wait(5)  # ... and goes on as soon as the first gives its bytes back
    for thread in threads:
        thread.join(5)
    assert budget.free == 100


def test_many_threads_never_hold_more_than_the_budget_together() -> None:
    total = 1000
    budget = MemoryBudget(total, trim=_no_trim)
    lock = threading.Lock()
    held, most = 0, 0
    sizes = [random.Random(i).randint(1, total) for i in range(40)]

    def work(nbytes: int) -> None:
        nonlocal held, most
        with budget.reserve(nbytes):
            with lock:
                held += nbytes
                most = max(most, held)
            time.sleep(0.002)
            with lock:
                held -= nbytes

    threads = [threading.Thread(target=work, args=(n,)) for n in sizes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not any(t.is_alive() for t in threads)  # nobody starved or deadlocked
    assert 0 < most <= total and budget.free == total


def test_big_reservations_hand_freed_memory_back_before_the_next_may_start() -> None:
    free_when_trimmed: list[int] = []
    budget = MemoryBudget(4 * TRIM_ABOVE, trim=lambda: free_when_trimmed.append(budget.free))
    with budget.reserve(TRIM_ABOVE - 1):
        pass
    assert free_when_trimmed == []  # small decodes do not pay for a trim
    with budget.reserve(TRIM_ABOVE):
        pass
    assert free_when_trimmed == [3 * TRIM_ABOVE]  # trimmed while the bytes were still held
    assert budget.free == 4 * TRIM_ABOVE


def test_a_failing_trim_neither_fails_the_decode_nor_keeps_the_bytes() -> None:
    def broken() -> None:
        raise OSError("no malloc_trim")

    budget = MemoryBudget(2 * TRIM_ABOVE, trim=broken)
    with budget.reserve(TRIM_ABOVE):
        decoded = "pixels"
    assert decoded == "pixels" and budget.free == 2 * TRIM_ABOVE


def test_giving_back_freed_memory_is_safe_to_call_anywhere() -> None:
    give_back_freed()  # glibc: malloc_trim; elsewhere nothing
    memory._malloc_trim.cache_clear()
    give_back_freed()


def test_the_default_budget_and_its_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PHOTOCLIP_DECODE_MEMORY_MB", raising=False)
    default = default_decode_budget()
    assert 0 < default <= 1536 << 20
    monkeypatch.setenv("PHOTOCLIP_DECODE_MEMORY_MB", "300")
    assert default_decode_budget() == 300 << 20
    monkeypatch.setenv("PHOTOCLIP_DECODE_MEMORY_MB", "lots")  # not a number: ignored
    assert default_decode_budget() == default
