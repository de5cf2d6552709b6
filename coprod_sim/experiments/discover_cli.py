"""The ``coprod-sim discover`` command (scenario discovery with PRIM).

::

    coprod-sim sweep experiments/example_discover.toml --workers 2 --out results/discover.parquet
    coprod-sim discover results/discover.parquet --outcome influence --above 0.4

Kept apart from :mod:`coprod_sim.experiments.discover` so that building the
command line imports nothing heavy.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _share(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a share above 0 and at most 1, got {text}")
    return value


def _boxes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= 10:
        raise argparse.ArgumentTypeError(f"expected 1 to 10, got {value}")
    return value


def cmd_discover(args: argparse.Namespace) -> int:
    """Find the ranges of levers where an outcome is above (or below) a threshold."""
    from coprod_sim.cli import UsageError
    from coprod_sim.experiments.discover import discover, save_discovery
    from coprod_sim.experiments.execute import output_paths

    if str(args.results).lower().endswith(".toml"):
        raise UsageError(f"{args.results} is an experiment file, not results; run it first "
                         f"(coprod-sim sweep {args.results} --out results/discover.parquet), "
                         "then discover on results/discover.parquet")
    levers = [x.strip() for x in args.levers.split(",") if x.strip()] if args.levers else None
    found = discover(args.results, args.outcome, above=args.above, below=args.below,
                     levers=levers, min_coverage=args.min_coverage, boxes=args.boxes)
    print(found.report())
    folder = Path(args.charts) if args.charts else Path(
        str(output_paths(args.results).stem) + ".discover")
    files = save_discovery(found, folder, large_text=args.large_text)
    if files:
        print(f"\nCharts:       {folder}/ (peeling trajectory and box: PNG, SVG and PDF; "
              "trajectory as CSV)")
    return 0


def add_discover(sub: Any) -> None:
    """Add ``coprod-sim discover``."""
    p = sub.add_parser("discover", help="scenario discovery: the ranges of levers where an "
                       "outcome is above or below a threshold (PRIM)")
    p.add_argument("results", help="results of a sweep (.parquet or .csv)")
    p.add_argument("--outcome", required=True, help="an outcome column, e.g. influence")
    side = p.add_mutually_exclusive_group(required=True)
    side.add_argument("--above", type=_number, help="runs of interest: outcome above this")
    side.add_argument("--below", type=_number, help="runs of interest: outcome below this")
    p.add_argument("--levers", help="comma-separated levers PRIM may restrict (default: "
                   "every lever that varied)")
    p.add_argument("--min-coverage", type=_share, default=0.5,
                   help="describe the purest box holding at least this share of the runs "
                   "of interest (default 0.5)")
    p.add_argument("--boxes", type=_boxes, default=1, help="how many boxes to find (default 1)")
    p.add_argument("--charts", help="folder for the charts (default: beside the results)")
    p.add_argument("--large-text", action="store_true", help="larger text in the charts")
    p.set_defaults(func=cmd_discover)
