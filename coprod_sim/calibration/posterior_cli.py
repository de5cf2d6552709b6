"""``coprod-sim posterior``: calibration with uncertainty (ABC-SMC), registered with the CLI.

::

    coprod-sim posterior calibration/evidence.toml --out results/posterior.csv --workers 2
    coprod-sim posterior my_service.toml --particles 200 --generations 5 --out post.csv

Kept apart from :mod:`coprod_sim.calibration.posterior` so that building the
command line imports nothing heavy.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from coprod_sim.cli import UsageError, register, whole_number


def summary_table(post: Any) -> str:
    """Per constant: the weighted median, the 90% interval, the prior range, the spread."""
    s = post.summary()
    rows = [("constant", "median", "90% interval", "prior range", "spread")]
    for _, r in s.iterrows():
        rows.append((r["constant"], f"{r['median']:.4g}", f"{r['low']:.4g}-{r['high']:.4g}",
                     f"{r['prior_low']:g}-{r['prior_high']:g}", f"{r['spread']:.0%}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                     for r in rows)


def fresh_table(ev: Any) -> str:
    """Per target: the figure on fresh seeds, the range and whether it is within it."""
    from coprod_sim.calibration.measures import MEASURES, format_figure

    rows = [("target", "fresh seeds", "range", "within?", "loss")]
    for f in ev.fits:
        t = f.target
        unit = MEASURES[t.measure].unit
        rows.append((t.name, format_figure(f.figure, unit),
                     f"{format_figure(t.low, unit)}-{format_figure(t.high, unit)}",
                     "yes" if f.holds else ("no: known gap" if t.known_gap else "NO"),
                     f"{f.loss:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) if i in (0, 3) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                     for r in rows)


def cmd_posterior(args: argparse.Namespace) -> int:
    """Estimate a posterior over the fitted constants and check it on fresh seeds."""
    from coprod_sim.calibration.constants import ConstantsError
    from coprod_sim.calibration.posterior import heldout_seeds, identifiability, posterior, span
    from coprod_sim.calibration.targets import CalibrationError, load

    out = Path(args.out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise UsageError(f"--out must end in .csv or .parquet, got {out.name!r}")
    if out.exists() and not args.force:
        raise UsageError(f"{out} exists; add --force to replace it")
    if not out.parent.exists():
        raise UsageError(f"--out: the folder {out.parent} does not exist")
    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise UsageError("coprod-sim posterior needs pyabc: pip install "
                         "'coprod-sim[research]'") from None
    try:
        targets = load(args.targets)
        seeds = args.seeds if args.seeds is not None else targets.settings["seeds"]
        fresh = args.heldout if args.heldout is not None else max(seeds, 8)
        backend = ("Dask " + args.scheduler if args.scheduler else
                   f"{args.workers} local worker{'s' if args.workers > 1 else ''}"
                   if args.workers > 1 else "this process")
        print(f"Posterior for {targets.path.name}: {len(targets.fit)} constants, "
              f"{sum(not t.known_gap for t in targets.targets)} targets; ABC-SMC with "
              f"{args.particles} particles x {args.generations} generations, each particle "
              f"run on {seeds} fresh seeds; on {backend}.", flush=True)
        result = posterior(targets, particles=args.particles, generations=args.generations,
                           seeds=seeds, sampler_seed=args.sampler_seed, workers=args.workers,
                           scheduler=args.scheduler,
                           progress=not args.no_progress and sys.stderr.isatty(),
                           report=lambda line: print(line, flush=True))
        post = result.posterior
        print(f"\nPosterior (last generation, {len(post.samples)} weighted particles, "
              f"effective sample size {post.effective_size:.0f}; "
              f"{result.seconds:.0f} s, {post.info['evaluations']} particles run, "
              f"{post.info['calibration_evaluations']} of them from the prior to set the first "
              "tolerance):\n")
        print(summary_table(post))
        print("\nspread: the posterior's standard deviation as a share of the prior's "
              "(near 100%: the targets say little about it).")
        warnings = identifiability(targets, post)
        if warnings:
            print("\nWhat the targets cannot identify:")
            for w in warnings:
                print(f"  - {w}")
        written = post.save(out)
        print(f"\nWritten: {', '.join(map(str, written))} (a row per particle: each "
              "constant and its weight; an experiment can name it as an uncertainty, "
              "posterior = { file = ... }; how it was computed is recorded "
              f"{'beside it' if out.suffix.lower() == '.csv' else 'in its metadata'}).")
        from coprod_sim.experiments.robustness_charts import plot_posterior, save_charts

        folder = Path(args.charts) if args.charts else out.with_name(out.stem + ".plots")
        save_charts([("posterior", plot_posterior(post, large_text=args.large_text))], folder)
        print(f"Chart: {folder}/posterior (PNG, SVG and PDF): each constant's posterior "
              "within its prior range.")
        from coprod_sim.calibration.fit import evaluate

        median = post.constants(post.median_values())
        check = evaluate(targets, median, heldout_seeds(fresh))
        print(f"\nHeld-out check: the posterior median on {fresh} fresh seeds "
              f"({span(check.seeds)}), never run by any particle:\n")
        print(fresh_table(check))
        d = post.samples["distance"].dropna()
        n = len(check.fits)
        inside = sum(f.holds for f in check.fits)
        if len(d):
            print(f"\nIn sample: the accepted particles' loss on their own seeds, median "
                  f"{d.median():.2f} (from {d.min():.2f} to {d.max():.2f}).")
        print(f"Out of sample: loss {check.loss:.2f}, {inside} of {n} targets within range "
              f"on fresh seeds.")
    except (CalibrationError, ConstantsError) as err:
        raise UsageError(str(err)) from None
    return 0


def add_posterior(sub: Any) -> None:
    """Add ``coprod-sim posterior``."""
    p = sub.add_parser("posterior", help="calibration with uncertainty: a posterior over the "
                       "constants (ABC-SMC), intervals, and a check on fresh seeds")
    p.add_argument("targets", help="a targets file (.toml), or 'evidence' for the shipped "
                   "figures")
    p.add_argument("--out", required=True, help="the posterior file to write (.csv or .parquet)")
    p.add_argument("--particles", type=whole_number(4), default=100,
                   help="particles per generation (default 100)")
    p.add_argument("--generations", type=whole_number(1), default=4,
                   help="generations of ABC-SMC (default 4)")
    p.add_argument("--seeds", type=whole_number(1), default=None,
                   help="seeds each particle is run on (default: the file's)")
    p.add_argument("--sampler-seed", type=whole_number(0), default=None,
                   help="seed of the proposals (default: the file's sampler_seed)")
    p.add_argument("--heldout", type=whole_number(1), default=None,
                   help="fresh seeds for the held-out check (default: the file's seeds, at "
                   "least 8)")
    p.add_argument("--workers", type=whole_number(1), default=os.cpu_count() or 1,
                   help="local worker processes (default: all CPUs; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--charts", help="folder for the chart (default: beside --out)")
    p.add_argument("--large-text", action="store_true", help="larger text in the chart")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_posterior)


register("posterior", add_posterior)
