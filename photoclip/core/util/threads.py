"""Threads that do background work politely."""

from __future__ import annotations

import os
import sys
import threading


def lower_thread_priority(step: int = 5) -> None:
    """Let indexing yield the CPU to interactive work (the app's window, the user's other programs).

    Linux gives each thread its own nice value, so the decode workers and the thread
    running the model can run below the GUI thread; elsewhere this does nothing. Without
    competition for the CPU it costs no throughput.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + step))
    except OSError:
        pass
