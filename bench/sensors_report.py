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

Target = tuple[str, str, bool]


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
    targets: list[Target] = []
    if any(r.ingest for r in results):
        _ingest(results, ceiling, targets)
    if any(r.backfill_rows for r in results):
        _backfill(results, targets)
    if any(r.read_rows for r in results):
        _reads(results, args, targets)
    print("\nMục tiêu / targets:")
    for name, value, ok in targets:
        print(f"  {name:<52} {value:>8}  {ib._mark(ok)}")
    print(f"\n{istsos}.")
    print(f"Tổng thời gian / total wall time: {seconds:.0f} s")
    settings = {k: sorted(v) if isinstance(v, set) else v for k, v in vars(args).items()}
    return {
        "mode": mode,
        "settings": settings,
        "istsos4": istsos,
        "targets": [{"target": n, "value": v, "met": ok} for n, v, ok in targets],
        "seconds": seconds,
    }


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.0%}" if b else "—"


def _ingest(results: list[Any], ceiling: Any, targets: list[Target]) -> None:
    print(
        f"\n{'MQTT ingest':<22} {'obs/s':>8} {'/broker':>8} {'/raw':>6} {'lost':>5} "
        f"{'visible p50':>12} {'p95 ms':>7} {'½ rate':>8} {'p50':>6} {'p95 ms':>7}"
    )
    for r in results:
        for i in r.ingest:
            print(
                f"{r.name + f', {i.workers} worker(s)':<22} {i.per_second:>8,.0f} "
                f"{_ratio(i.per_second, ceiling.per_second):>8} "
                f"{_ratio(i.per_second, r.raw_ingest_per_second):>6} "
                f"{i.accepted - i.stored:>5} {i.probe_p50_ms:>12.0f} {i.probe_p95_ms:>7.0f} "
                f"{i.paced_per_second:>8,.0f} {i.paced_p50_ms:>6.0f} {i.paced_p95_ms:>7.0f}"
            )
        if r.ingest:
            print(f"{r.name + ', raw write':<22} {r.raw_ingest_per_second:>8,.0f}")
    print(
        "  visible: publish → GET …/Observations?$top=1&$orderby=phenomenonTime desc shows it; "
        "flat out (backlog up to --backlog messages), then at half that rate (½ rate)"
    )
    for r in results:
        if not r.ingest:
            continue
        best = max(r.ingest, key=lambda i: i.per_second)
        worst = max(i.paced_p95_ms for i in r.ingest)
        targets.extend(
            [
                (
                    f"{r.name}: ingest ≥ {TARGET_INGEST:,.0f} obs/s",
                    f"{best.per_second:,.0f}",
                    best.per_second >= TARGET_INGEST,
                ),
                (
                    f"{r.name}: ingest ≥ {TARGET_BROKER:.0%} of broker only",
                    _ratio(best.per_second, ceiling.per_second),
                    best.per_second / ceiling.per_second >= TARGET_BROKER,
                ),
                (
                    f"{r.name}: visible p95 < {TARGET_VISIBLE_MS:.0f} ms (½ rate)",
                    f"{worst:.0f}",
                    worst < TARGET_VISIBLE_MS and not any(i.probes_missed for i in r.ingest),
                ),
            ]
        )


def _backfill(results: list[Any], targets: list[Target]) -> None:
    print(
        f"\n{'back-fill (dataArray)':<22} {'obs/s':>8} {'raw obs/s':>10} {'/raw':>6} "
        f"{'reader p50':>11} {'p95 ms':>7}"
    )
    for r in results:
        if not r.backfill_rows:
            continue
        print(
            f"{r.name:<22} {r.backfill_per_second:>8,.0f} {r.raw_backfill_per_second:>10,.0f} "
            f"{_ratio(r.backfill_per_second, r.raw_backfill_per_second):>6} "
            f"{r.reader_p50_ms:>11.0f} {r.reader_p95_ms:>7.0f}"
        )
        share = r.backfill_per_second / r.raw_backfill_per_second
        targets.extend(
            [
                (
                    f"{r.name}: back-fill ≥ {TARGET_BACKFILL:.0%} of raw",
                    f"{share:.0%}",
                    share >= TARGET_BACKFILL,
                ),
                (
                    f"{r.name}: reads during back-fill p95 < {TARGET_READER_MS:.0f} ms",
                    f"{r.reader_p95_ms:.0f}",
                    r.reader_p95_ms < TARGET_READER_MS,
                ),
            ]
        )


def _reads(results: list[Any], args: argparse.Namespace, targets: list[Target]) -> None:
    print(
        f"\n{'reads':<22} {'latest ms':>10} {'rollups p95':>12} {'$filter ms':>11} "
        f"{'bytes/obs':>10}"
    )
    for r in results:
        if not r.read_rows:
            continue
        latest = statistics.median(r.latest_ms)
        print(
            f"{r.name + f' ({r.read_rows / 1e6:g} M)':<22} {latest:>10.0f} "
            f"{r.rollup_p95_ms:>12.2f} {statistics.median(r.filter_ms):>11.0f} "
            f"{r.bytes_per_observation:>10.0f}"
        )
        targets.extend(
            [
                (
                    f"{r.name}: latest of every Datastream < {TARGET_LATEST_MS:.0f} ms",
                    f"{latest:.0f}",
                    latest < TARGET_LATEST_MS,
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
        )
    n = next(r.datastreams for r in results if r.read_rows)
    print(
        "  latest: Datastreams?$expand=Observations($top=1;$orderby=phenomenonTime desc)"
        f"&$top={n} (median of {args.repeats}); rollups: a week of hourly rows by SQL (no "
        "HTTP endpoint yet); $filter: one Datastream, one month, result gt 25, $count=true "
        f"(median of {args.repeats}, target on the slowest)"
    )
