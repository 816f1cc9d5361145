"""The printed table of ``sensors_bench.py``: figures side by side, ratios to the ceilings
measured in the same run, and the issue's targets marked met or not met."""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import import_bench as ib

#: The issue's targets.
TARGET_INGEST = 10_000.0
TARGET_BROKER = 0.5
TARGET_VISIBLE_MS = 1000.0
TARGET_BACKFILL = 0.3
TARGET_READER_MS = 100.0
TARGET_LATEST_MS = 500.0
TARGET_ROLLUP_MS = 50.0
TARGET_FILTER_MS = 1000.0


def render(
    args: argparse.Namespace,
    mode: str,
    ceiling: Any,
    results: list[Any],
    seconds: float,
    istsos: str,
) -> dict[str, Any]:
    """Print the report; the targets and settings for the JSON."""
    print(
        f"\n{mode} — {args.things:,} devices × {args.per_thing} Datastreams, QoS 1, "
        f"{args.publishers} publishers × {args.connections} connections, {args.duration} s"
    )
    print(f"broker only (bare counting subscriber): {ceiling.per_second:>10,.0f} msg/s")
    print(
        f"\n{'MQTT ingest':<24} {'obs/s':>9} {'/broker':>8} {'/raw':>6} {'lost':>5} "
        f"{'visible p50':>12} {'p95 ms':>7}"
    )
    targets: list[tuple[str, str, bool]] = []
    for r in results:
        for i in r.ingest:
            raw = r.raw_ingest_per_second
            print(
                f"{r.name + f', {i.workers} worker(s)':<24} {i.per_second:>9,.0f} "
                f"{i.per_second / ceiling.per_second:>8.0%} {i.per_second / raw:>6.0%} "
                f"{i.accepted - i.stored:>5} {i.probe_p50_ms:>12.0f} {i.probe_p95_ms:>7.0f}"
            )
        print(f"{r.name + ', raw write':<24} {r.raw_ingest_per_second:>9,.0f}")
    print(
        f"\n{'back-fill (dataArray)':<24} {'obs/s':>9} {'raw obs/s':>10} {'/raw':>6} "
        f"{'reader p50':>11} {'p95 ms':>7}"
    )
    for r in results:
        print(
            f"{r.name:<24} {r.backfill_per_second:>9,.0f} {r.raw_backfill_per_second:>10,.0f} "
            f"{r.backfill_per_second / r.raw_backfill_per_second:>6.0%} {r.reader_p50_ms:>11.0f} "
            f"{r.reader_p95_ms:>7.0f}"
        )
    print(
        f"\n{'reads':<24} {'latest ms':>10} {'rollups p95':>12} {'$filter ms':>11} "
        f"{'bytes/obs':>10}"
    )
    for r in results:
        print(
            f"{r.name + f' ({r.read_rows / 1e6:g} M)':<24} "
            f"{statistics.median(r.latest_ms):>10.0f} {r.rollup_p95_ms:>12.2f} "
            f"{statistics.median(r.filter_ms):>11.0f} {r.bytes_per_observation:>10.0f}"
        )
    print(
        "  latest: Datastreams?$expand=Observations($top=1;$orderby=phenomenonTime desc)"
        f"&$top={results[0].datastreams if results else 0} (median of {args.repeats}); "
        "rollups: a week of hourly rows by SQL (no HTTP endpoint yet); $filter: one "
        f"Datastream, one month, result gt 25, $count=true (median of {args.repeats})"
    )
    for r in results:
        best = max(r.ingest, key=lambda i: i.per_second)
        targets += [
            (
                f"{r.name}: ingest ≥ {TARGET_INGEST:,.0f} obs/s",
                f"{best.per_second:,.0f}",
                best.per_second >= TARGET_INGEST,
            ),
            (
                f"{r.name}: ingest ≥ {TARGET_BROKER:.0%} of broker only",
                f"{best.per_second / ceiling.per_second:.0%}",
                best.per_second / ceiling.per_second >= TARGET_BROKER,
            ),
            (
                f"{r.name}: visible over HTTP p95 < {TARGET_VISIBLE_MS:.0f} ms",
                f"{max(i.probe_p95_ms for i in r.ingest):.0f}",
                all(i.probe_p95_ms < TARGET_VISIBLE_MS and not i.probes_missed for i in r.ingest),
            ),
            (
                f"{r.name}: back-fill ≥ {TARGET_BACKFILL:.0%} of raw",
                f"{r.backfill_per_second / r.raw_backfill_per_second:.0%}",
                r.backfill_per_second / r.raw_backfill_per_second >= TARGET_BACKFILL,
            ),
            (
                f"{r.name}: reads during back-fill p95 < {TARGET_READER_MS:.0f} ms",
                f"{r.reader_p95_ms:.0f}",
                r.reader_p95_ms < TARGET_READER_MS,
            ),
            (
                f"{r.name}: latest of every Datastream < {TARGET_LATEST_MS:.0f} ms",
                f"{statistics.median(r.latest_ms):.0f}",
                statistics.median(r.latest_ms) < TARGET_LATEST_MS,
            ),
            (
                f"{r.name}: week of hourly rollups p95 < {TARGET_ROLLUP_MS:.0f} ms",
                f"{r.rollup_p95_ms:.2f}",
                r.rollup_p95_ms < TARGET_ROLLUP_MS,
            ),
            (
                f"{r.name}: month $filter with $count < {TARGET_FILTER_MS:.0f} ms",
                f"{max(r.filter_ms):.0f}",
                max(r.filter_ms) < TARGET_FILTER_MS,
            ),
        ]
    print("\nMục tiêu / targets:")
    for name, value, ok in targets:
        print(f"  {name:<48} {value:>8}  {ib._mark(ok)}")
    print(f"\n{istsos}.")
    print(f"Tổng thời gian / total wall time: {seconds:.0f} s")
    return {
        "mode": mode,
        "settings": {k: v for k, v in vars(args).items()},
        "istsos4": istsos,
        "targets": [{"target": n, "value": v, "met": ok} for n, v, ok in targets],
        "seconds": seconds,
    }
