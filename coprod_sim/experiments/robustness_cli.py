r"""``coprod-sim robustness``, ``features`` and ``convergence``, registered with the CLI.

::

    coprod-sim robustness results/plans.parquet --policy plan --outcome net_benefit \
        --threshold "net_benefit>=0" --threshold "trust>=0.5"
    coprod-sim features results/discover.parquet --outcome influence --above 0.3
    coprod-sim convergence results/sens.parquet --outcome participation_rate

Each reads the results of a sweep (``.parquet`` or ``.csv`` with its
manifest) or any table with one row per run (``.csv`` or ``.parquet``). Kept
apart from :mod:`coprod_sim.experiments.robustness` so that building the
command line imports nothing heavy.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from coprod_sim.cli import UsageError, register, whole_number


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def _names(text: str | None) -> list[str] | None:
    return [x.strip() for x in text.split(",") if x.strip()] if text else None


def load_tables(path: str, weekly_path: str | None = None) -> tuple[Any, Any, Any]:
    """``(runs, weekly or None, sweep result or None)`` from a sweep's results or a table."""
    import pandas as pd

    from coprod_sim.experiments.execute import load_results, output_paths

    if str(path).lower().endswith(".toml"):
        raise UsageError(f"{path} is an experiment file, not results; run it first "
                         f"(coprod-sim sweep {path} --out results/plans.parquet)")
    result = None
    try:
        if output_paths(path).manifest.exists():
            result = load_results(path)
    except UsageError:
        result = None
    if result is not None:
        runs, weekly = result.runs, result.weekly
    else:
        p = Path(path)
        if not p.exists():
            raise UsageError(f"no results at {path}")
        suffix = p.suffix.lower()
        if suffix == ".csv":
            runs = pd.read_csv(p)
        elif suffix == ".parquet" or p.is_dir():
            runs = pd.read_parquet(p)
        else:
            raise UsageError(f"results file is {p.name!r}; allowed: a sweep's results, or a "
                             "table ending in .csv or .parquet")
        weekly = None
    if weekly_path:
        wp = Path(weekly_path)
        if not wp.exists():
            raise UsageError(f"--weekly: no file {weekly_path}")
        weekly = pd.read_csv(wp) if wp.suffix.lower() == ".csv" else pd.read_parquet(wp)
    return runs, weekly, result


def _with_week(runs: Any, weekly: Any, outcomes: list[str], week: int | None
               ) -> tuple[Any, list[str]]:
    """``runs`` with ``outcome@wWEEK`` columns for each outcome (when a week is asked)."""
    from coprod_sim.experiments.robustness import at_week

    if week is None:
        return runs, outcomes
    if weekly is None:
        raise UsageError("--week needs the weekly table: run the sweep with [outputs] weekly "
                         "= true, or give --weekly FILE")
    names = []
    for o in outcomes:
        runs = at_week(runs, weekly, o, week)
        names.append(f"{o}@w{week}")
    return runs, names


def _folder(args: argparse.Namespace, suffix: str) -> Path:
    from coprod_sim.experiments.execute import output_paths

    if args.charts:
        return Path(args.charts)
    try:
        return Path(str(output_paths(args.results).stem) + suffix)
    except UsageError:
        return Path(str(Path(args.results).with_suffix("")) + suffix)


def cmd_robustness(args: argparse.Namespace) -> int:
    """Regret, satisficing and the pairing gain of plans across uncertainties."""
    from coprod_sim.experiments.robustness import parse_threshold, robustness
    from coprod_sim.experiments.robustness_charts import (
        plot_regret,
        plot_satisficing,
        regret_per_state,
        save_charts,
    )

    thresholds = [parse_threshold(t) for t in args.threshold]
    runs, weekly, _ = load_tables(args.results, args.weekly)
    runs, (outcome,) = _with_week(runs, weekly, [args.outcome], args.week)
    if args.week is not None and thresholds:
        runs, _ = _with_week(runs, weekly, sorted({t.outcome for t in thresholds}), args.week)
        thresholds = [type(t)(f"{t.outcome}@w{args.week}", t.op, t.value) for t in thresholds]
    policy = _names(args.policy) or []
    rob = robustness(runs, policy, outcome, maximize=not args.minimize, thresholds=thresholds,
                     states=_names(args.states), percentile=args.percentile)
    print(rob.report())
    folder = _folder(args, ".robustness")
    figures = [(f"{outcome}.regret", plot_regret(
        rob, regret_per_state(runs, policy, outcome, maximize=not args.minimize,
                              states=rob.states), large_text=args.large_text))]
    if rob.satisficing is not None:
        figures.append((f"{outcome}.satisficing", plot_satisficing(rob,
                                                                   large_text=args.large_text)))
    save_charts(figures, folder)
    rob.regret.to_csv(folder / f"{outcome}.regret.csv", index=False)
    rob.gain.to_csv(folder / f"{outcome}.pairing.csv", index=False)
    if rob.satisficing is not None:
        rob.satisficing.to_csv(folder / f"{outcome}.satisficing.csv", index=False)
    print(f"\nCharts and tables: {folder}/ (PNG, SVG and PDF; CSV)")
    return 0


def cmd_features(args: argparse.Namespace) -> int:
    """Feature scores, and with a threshold CART leaves and PRIM's box stability."""
    from coprod_sim.experiments.robustness import (
        cart_boxes,
        feature_scores,
        outcome_columns,
        prim_stability,
    )

    runs, weekly, result = load_tables(args.results, args.weekly)
    outcomes = _names(args.outcome) or []
    runs, outcomes = _with_week(runs, weekly, outcomes, args.week)
    for o in outcomes:
        if o not in runs.columns:
            raise UsageError(f"outcome {o!r} is not in the results")
    factors = _names(args.factors)
    if factors is None:
        if result is not None:
            factors = [f["name"] for f in result.plan.experiment.get("factors", [])]
        if not factors:
            skip = outcome_columns() | {"run", "point", "replicate", "seed", "error", *outcomes}
            factors = [c for c in runs.columns if c not in skip and "@w" not in c
                       and runs[c].nunique(dropna=False) > 1]
    missing = [f for f in factors if f not in runs.columns]
    if missing or not factors:
        raise UsageError(f"factors {missing or '(none)'} are not varying columns of the "
                         "results; name them with --factors a,b,c")
    scores = feature_scores(runs, outcomes, factors, seed=args.seed)
    print("Feature scores (extra trees, EMA Workbench): each factor's share of what the "
          "trees explain; a column sums to 1.\n")
    print(scores.sort_values(outcomes[0], ascending=False).round(3).to_string())
    if args.above is not None or args.below is not None:
        o = outcomes[0]
        side = f"above {args.above:g}" if args.above is not None else f"below {args.below:g}"
        leaves = cart_boxes(runs, o, factors, above=args.above, below=args.below)
        print(f"\nCART (EMA Workbench): leaves of the tree for {o} {side}, purest first.\n")
        print(leaves.round(3).to_string(index=False))
        stab = prim_stability(runs, o, factors, above=args.above, below=args.below,
                              iterations=args.iterations, seed=args.seed)
        print(f"\nPRIM box stability ({args.iterations} resamples of half the runs, EMA "
              "Workbench): how often each factor is restricted in a box of the same "
              "coverage or density. Near 100: a stable restriction; near 0: it rests on the "
              "particular runs.\n")
        print(stab.round(1).to_string(index=False))
    return 0


def cmd_convergence(args: argparse.Namespace) -> int:
    """Sobol indices at 1/8, 1/4, 1/2 and all of the sample; S2 as a heat map."""
    import numpy as np

    from coprod_sim.experiments.robustness import s2_matrix, sobol_convergence
    from coprod_sim.experiments.robustness_charts import (
        plot_s2,
        plot_sobol_convergence,
        save_charts,
    )

    runs, weekly, result = load_tables(args.results)
    if result is None:
        raise UsageError(f"{args.results} is not the results of a sweep (the Sobol sample is "
                         "read from its manifest)")
    plan = result.plan
    if plan.experiment.get("kind") != "saltelli":
        raise UsageError(f"design kind is {plan.experiment.get('kind')!r}; the convergence "
                         "curve of Sobol indices needs a 'saltelli' design")
    outcomes = _names(args.outcome) or list(plan.experiment.get("outcomes", []))
    runs, shown = _with_week(runs, weekly, outcomes, args.week)
    names = [f["name"] for f in plan.experiment["factors"]]
    second = bool(plan.experiment.get("second_order"))
    figures = []
    import pandas as pd

    from coprod_sim.experiments.sensitivity import _indices, salib_problem_from_names

    for o in shown:
        if o not in runs.columns:
            raise UsageError(f"outcome {o!r} is not in the results")
        y = pd.to_numeric(runs[o], errors="coerce").groupby(runs["point"]).mean()
        Y = y.reindex(range(len(plan.points))).to_numpy(float)
        if not np.isfinite(Y).all():
            print(f"{o}: some design points have no value; skipped.")
            continue
        conv = sobol_convergence(Y, names, second_order=second, seed=args.seed, outcome=o)
        if conv.empty:
            raise UsageError("the sample is too small for a convergence curve (at least 32 "
                             "base samples are needed for 1/8 of it to hold 4)")
        table = conv.pivot_table(index=["measure", "parameter"], columns="base_samples",
                                 values="value").round(3)
        print(f"\n{o}: Sobol indices from growing shares of the sample (base samples in "
              "columns)\n")
        print(table.to_string())
        last = conv["base_samples"].max()
        prev = sorted(conv["base_samples"].unique())[-2] if conv["base_samples"].nunique() > 1 \
            else last
        a = conv[conv["base_samples"] == prev].set_index(["measure", "parameter"])["value"]
        b = conv[conv["base_samples"] == last].set_index(["measure", "parameter"])["value"]
        change = float((b - a).abs().max())
        print(f"Largest change from {prev} to {last} base samples: {change:.3f} "
              f"({'settled' if change <= 0.1 else 'not settled: more samples'}).")
        figures.append((f"{o}.convergence_curve",
                        plot_sobol_convergence(conv, o, large_text=args.large_text)))
        if second:
            rows = _indices("saltelli", salib_problem_from_names(names), np.zeros((0, 0)), Y, o,
                            plan, args.seed, 0.95)
            idx = pd.DataFrame(rows)
            m = s2_matrix(idx, o)
            print(f"\n{o}: second-order indices (S2)\n")
            print(m.round(3).to_string())
            figures.append((f"{o}.s2", plot_s2(m, o, large_text=args.large_text)))
    folder = _folder(args, ".plots")
    save_charts(figures, folder)
    print(f"\nCharts: {folder}/ (PNG, SVG and PDF)")
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("results", help="results of a sweep (.parquet or .csv), or a table with "
                   "one row per run")
    p.add_argument("--week", type=whole_number(0), default=None,
                   help="analyse the outcome in this week (needs the weekly table) instead "
                   "of the last week")
    p.add_argument("--charts", help="folder for the charts (default: beside the results)")
    p.add_argument("--large-text", action="store_true", help="larger text in the charts")


def add_robustness(sub: Any) -> None:
    """Add ``coprod-sim robustness``."""
    p = sub.add_parser("robustness", help="which plan holds up whatever turns out true: "
                       "regret, satisficing and the gain of pairing runs by seed")
    _common(p)
    p.add_argument("--policy", required=True,
                   help="the column naming the plans (e.g. scenario), or comma-separated "
                   "lever columns that together make a plan")
    p.add_argument("--outcome", required=True, help="the outcome compared, e.g. net_benefit")
    p.add_argument("--minimize", action="store_true", help="lower is better (e.g. cost)")
    p.add_argument("--threshold", action="append", default=[], metavar="OUTCOME>=VALUE",
                   help="a threshold for satisficing, e.g. 'trust>=0.5' (repeatable)")
    p.add_argument("--states", help="comma-separated columns that make a state of the world "
                   "(default: seed and every column that varies within a plan)")
    p.add_argument("--percentile", type=_number, default=90,
                   help="the regret percentile reported beside the maximum (default 90)")
    p.add_argument("--weekly", help="a weekly table (.csv or .parquet) for --week, when the "
                   "results are a plain table")
    p.set_defaults(func=cmd_robustness)


def add_features(sub: Any) -> None:
    """Add ``coprod-sim features``."""
    p = sub.add_parser("features", help="which factors drive an outcome: feature scores, "
                       "CART and PRIM's box stability (EMA Workbench)")
    _common(p)
    p.add_argument("--outcome", required=True, help="outcome(s), comma-separated")
    p.add_argument("--factors", help="comma-separated factors (default: the design's)")
    side = p.add_mutually_exclusive_group()
    side.add_argument("--above", type=_number, help="CART and PRIM: runs of interest above")
    side.add_argument("--below", type=_number, help="CART and PRIM: runs of interest below")
    p.add_argument("--iterations", type=whole_number(2), default=10,
                   help="PRIM resamples for box stability (default 10)")
    p.add_argument("--seed", type=whole_number(0), default=1,
                   help="seed of the trees and resamples")
    p.add_argument("--weekly", help="a weekly table for --week, when the results are a table")
    p.set_defaults(func=cmd_features)


def add_convergence(sub: Any) -> None:
    """Add ``coprod-sim convergence``."""
    p = sub.add_parser("convergence", help="Sobol indices at 1/8, 1/4, 1/2 and all of the "
                       "sample, and second-order indices as a heat map")
    _common(p)
    p.add_argument("--outcome", help="outcome(s), comma-separated (default: the experiment's)")
    p.add_argument("--seed", type=whole_number(1), default=1,
                   help="seed of the bootstrap intervals")
    p.set_defaults(func=cmd_convergence)


register("robustness", add_robustness)
register("features", add_features)
register("convergence", add_convergence)
