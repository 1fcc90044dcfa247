"""Reports against the loaded data (``bench/generate.py`` writes events and ratings):

    python bench/reports.py [--runs 30] [--days 90] [--rebuild]

1. The report facts replayed from the logs (``sahayak analytics rebuild``) when there are
   none yet (or with ``--rebuild``): conversations per second.
2. The overview dashboard for the last ``--days`` (headline figures with the previous
   period, chart series, heat map) and a table by team: p50/p95 all computed afresh, with
   only the ended previous period's figures cached (``SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS``),
   and as served within the cache's lifetime (``SAHAYAK_REPORTS_CACHE_SECONDS``).
3. The per-conversation CSV export of every cycle: rows per second and peak memory.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from datetime import date

import _setup  # noqa: F401
from _timing import measure
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from sahayak.accounts.models import User
from sahayak.analytics import dashboard, exports, facts
from sahayak.analytics.models import Cycle
from sahayak.analytics.periods import Period, last_days
from sahayak.analytics.reports import Scope


def rebuild() -> None:
    total = 0
    started = time.monotonic()

    def progress(done: int, n: int) -> None:
        nonlocal total
        total = done
        rate = done / max(time.monotonic() - started, 1e-9)
        print(f"\r  replayed {done:>10,}/{n:,} conversations  {rate:,.0f}/s ", end="", flush=True)

    facts.rebuild(batch=2000, progress=progress)
    elapsed = time.monotonic() - started
    print(f"\n  facts: {total:,} conversations in {elapsed:,.1f}s ({total / elapsed:,.0f}/s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild or not Cycle.objects.exists():
        rebuild()
    print(f"  {Cycle.objects.count():,} cycles")
    scope = Scope(last_days(args.days, "Asia/Kolkata"))

    settings.SAHAYAK_REPORTS_CACHE_SECONDS = 0
    settings.SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS = 0
    measure(f"overview, {args.days} days, all afresh", lambda: dashboard.overview(scope), args.runs)
    settings.SAHAYAK_REPORTS_HISTORY_CACHE_SECONDS = 600
    cache.clear()
    p95 = measure(
        f"overview, {args.days} days, current period afresh",
        lambda: dashboard.overview(scope),
        args.runs,
    )
    measure(
        f"table by team, {args.days} days, afresh",
        lambda: dashboard.table(scope, "team"),
        args.runs,
    )
    settings.SAHAYAK_REPORTS_CACHE_SECONDS = 30
    cache.clear()
    measure(
        f"overview, {args.days} days, served in the cache lifetime",
        lambda: dashboard.overview(scope),
        args.runs,
    )
    user = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser(
        "bench-reports", "bench-reports@support.example", "bench-reports-password"
    )
    client = Client()
    client.force_login(user)
    settings.SAHAYAK_REPORTS_CACHE_SECONDS = 0
    measure(
        f"GET /reports/?days={args.days} (page, afresh)",
        lambda: client.get(f"/reports/?days={args.days}"),
        max(5, args.runs // 3),
    )
    print(f"  overview p95, current period afresh: {p95:.0f} ms (target 300 ms)")

    everything = Scope(Period(date(2000, 1, 1), date.today(), "UTC"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    rows = size = 0
    for chunk in exports.conversation_rows_csv(everything):
        rows += chunk.count("\n")
        size += len(chunk)
    elapsed = time.monotonic() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"  CSV export: {rows - 1:,} rows, {size / 1e6:,.1f} MB in {elapsed:,.1f}s = "
        f"{(rows - 1) / elapsed:,.0f} rows/s; max RSS growth {(rss_after - rss_before) / 1024:,.1f} MB"
    )
    tracemalloc.start()  # a second pass, traced (slower): the Python heap's peak
    for _chunk in exports.conversation_rows_csv(everything):
        pass
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  CSV export: Python heap peak {peak / 1e6:,.1f} MB while streaming")


if __name__ == "__main__":
    main()
