"""Progress lines of long commands (reindex, report facts): "  what: done/total (rate/s)",
rewritten in place at most twice a second, and kept once the work is done."""

from __future__ import annotations

import time
from typing import Any


class Progress:
    def __init__(self, out: Any, label: str = "") -> None:
        self.out, self.label = out, label
        self.started = time.monotonic()
        self.last_print = 0.0

    def __call__(self, done: int, total: int, label: str = "") -> None:
        now = time.monotonic()
        if done < total and now - self.last_print < 0.5:
            return
        self.last_print = now
        rate = done / max(now - self.started, 1e-9)
        end = "\n" if done >= total else "\r"
        what = label or self.label
        self.out.write(f"  {what}: {done:,}/{total:,} ({rate:,.0f}/s)", ending=end)
        self.out.flush()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
