"""Every benchmark in one command, each figure printed next to a baseline measured in the same run.

    .venv/bin/python bench/run_all.py            # the full run (about 10 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --quick    # CI: about a minute; fails when a ratio is below half its target

A shared 2-core machine makes absolute figures noisy, so each figure is judged by its ratio to a
baseline taken minutes apart at most: bare aiogram for dispatch, a single-row write transaction for
bookings, the bare BEGIN IMMEDIATE + lock race for the booking race, the configured rate for the
outbox and broadcasts. The issue's absolute targets are printed beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import booking_race, broadcast, digest, e2e_load, outbox, updates
from bench.figures import Figure, print_table

BELOW_TARGET = 3
"""The exit code of a quick run with a figure below half its target ratio (a broken benchmark exits 1)."""


async def dispatch(quick: bool) -> list[Figure]:
    if quick:
        return await updates.run(400, seconds=2.0, memory=False)
    return await updates.run(3000)


async def bookings(quick: bool) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        result = await booking_race.run(f"sqlite+aiosqlite:///{tmp}/booking.db", "SQLite")
    winners = int(result["winners"])
    return [
        Figure(
            "50-way race for the last place: p95",
            result["race_p95"],
            "ms",
            result["lock_p95"],
            "bare BEGIN IMMEDIATE + lock race",
            target=1.5,
            higher=False,
            absolute="≤ 1.5 × lock baseline, one winner",
            absolute_ok=winners == 1,
            note=f"winners: {winners} (must be exactly 1)",
        ),
        Figure(
            "300 bookings, 50 at a time",
            result["bookings_rate"],
            "/s",
            result["single_rate"],
            "single-row ORM transactions",
            target=0.3,
            absolute="≥ 0.3 × single-row rate",
            note=f"booked {int(result['booked'])} of 300",
        ),
    ]


async def outbox_figures(quick: bool) -> list[Figure]:
    args = outbox.parser().parse_args(
        ["--notices", "120", "--chats", "100"] if quick else ["--notices", "900", "--chats", "600"]
    )
    with tempfile.TemporaryDirectory() as tmp:
        result = await outbox.paced_run(f"sqlite+aiosqlite:///{tmp}/outbox.db", "SQLite", args)
    problems = int(result["duplicates"] + result["missing"] + result["violations"])
    return [
        Figure(
            "outbox: sends answered",
            result["pace"],
            "/s",
            result["configured"],
            "configured rate",
            target=0.8,
            absolute="the configured rate, nothing twice or lost",
            absolute_ok=problems == 0,
            note=(
                f"duplicates {int(result['duplicates'])}, missing {int(result['missing'])}, limit "
                f"violations {int(result['violations'])}; peak memory {result['peak_mb']:.1f} MB; "
                "the pace counts sends answered (5 % of chats blocked the bot: refused, not sent) and "
                f"leaves out the {result['ordered_pause']:.0f} s Telegram ordered to wait (429 retry_after); "
                f"delivered over the whole time {result['rate']:.1f}/s"
            ),
        )
    ]


async def broadcast_figures(quick: bool) -> list[Figure]:
    args = broadcast.parser().parse_args(["-n", "150" if quick else "2000"])
    result = await broadcast.run(args)
    return [
        Figure(
            "broadcast: sends answered",
            result["pace"],
            "/s",
            result["configured"],
            "configured rate",
            target=0.9 if quick else 0.95,
            absolute="≥ 95 % of the configured rate, 0 duplicates, 0 missing",
            absolute_ok=bool(result["ok"]),
            note=(
                f"duplicates {result['duplicates']}, missing {result['missing']}; the pace leaves out the "
                f"{result['ordered_pause']} s Telegram ordered to wait (429 retry_after); over the whole "
                f"time {result['rate']:.1f}/s"
            ),
        )
    ]


async def report_figures(quick: bool) -> list[Figure]:
    path = Path(__file__).with_name("report.py")
    if not path.exists():
        print("report: not built yet")
        return []
    spec = importlib.util.spec_from_file_location("bench_report", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures_of = getattr(module, "figures", None)
    if figures_of is None:
        print("report: bench/report.py has no figures(quick) function yet; run it on its own")
        return []
    result = figures_of(quick)
    return list(await result if asyncio.iscoroutine(result) else result)


async def digest_figures(quick: bool) -> list[Figure]:
    """The weekly digest queued for 10,000 and 100,000 subscribers (1,000 and 5,000 quick)."""
    return await digest.run(1000, 5000) if quick else await digest.run(10_000, 100_000)


async def e2e_figures(quick: bool) -> list[Figure]:
    """The real `python -m bot` with people registering and booking at once (100 quick, 500 full)."""
    return await e2e_load.run(100 if quick else 500)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI run: about a minute")
    parser.add_argument(
        "--only", nargs="*", help="dispatch, bookings, outbox, broadcast, report, digest, e2e (default: all)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    parts = {
        "dispatch": dispatch,
        "bookings": bookings,
        "outbox": outbox_figures,
        "broadcast": broadcast_figures,
        "report": report_figures,
        "digest": digest_figures,
        "e2e": e2e_figures,
    }
    figures: list[Figure] = []
    began = time.perf_counter()
    for name, part in parts.items():
        if args.only and name not in args.only:
            continue
        print(f"== {name}", flush=True)
        figures.extend(await part(args.quick))
    print()
    print(f"== all figures ({'quick' if args.quick else 'full'} run, {time.perf_counter() - began:.0f} s)")
    print_table(figures)
    below = [f for f in figures if f.ok(slack=0.5) is False]
    if args.quick and below:
        print("FAIL: below half the target ratio: " + ", ".join(f.name for f in below))
        return BELOW_TARGET
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
