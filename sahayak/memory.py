"""Garbage-collector settings for the long-running server process.

A full collection walks every tracked object. With thousands of open websockets that is a
few hundred thousand objects, and the pass holds the interpreter for a fifth of a second:
every socket of the process waits. CPython starts full passes on its own whenever enough
objects survived the young collections (a busy server reaches that every few seconds).

So: what start-up loaded (Django, the apps, their modules) is frozen and never walked; the
young generations are collected as usual (they free most cyclic garbage, and quickly);
full passes run on a timer instead, every ``SAHAYAK_GC_FULL_EVERY`` seconds (0 keeps
CPython's own schedule).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import time

logger = logging.getLogger(__name__)

# Gen1 collections between full passes: high enough that CPython never starts one itself.
NO_AUTOMATIC_FULL_PASS = 1_000_000_000


def tune_collector() -> None:
    gc.collect()
    gc.freeze()
    every = float(os.environ.get("SAHAYAK_GC_FULL_EVERY", "300"))
    if every <= 0:
        return
    young, middle, _full = gc.get_threshold()
    gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_PASS)
    threading.Thread(target=_full_passes, args=(every,), name="gc-full", daemon=True).start()


def _full_passes(every: float) -> None:
    while True:
        time.sleep(every)
        started = time.perf_counter()
        found = gc.collect()
        took = (time.perf_counter() - started) * 1000
        logger.info("full garbage collection: %d objects freed in %.0f ms", found, took)
