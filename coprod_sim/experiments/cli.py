"""Command-line sub-commands for experiments, registered with :mod:`coprod_sim.cli`.

::

    coprod-sim sweep experiments/example_sweep.toml --workers 2 --out results/sweep.parquet
    coprod-sim sensitivity experiments/example_sensitivity.toml --out results/sens.parquet
    coprod-sim resume results/sweep.parquet --workers 2
    coprod-sim reproduce results/sweep.parquet --run 17
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from coprod_sim.cli import UsageError, register


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
    return value


def _run_options(p: argparse.ArgumentParser, out_required: bool = True) -> None:
    p.add_argument("--workers", type=_positive, default=os.cpu_count() or 1,
                   help="local worker processes (default: all CPUs; 1 runs in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a Dask cluster instead, e.g. tcp://10.0.0.5:8786")
    p.add_argument("--chunk-size", type=_positive, default=None,
                   help="runs per task (default: large first, smaller as the work runs out)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def _start_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--restart", action="store_true",
                   help="discard an unfinished sweep of a different experiment (or a damaged "
                   "checkpoint) at --out")
    p.add_argument("--force", action="store_true",
                   help="replace finished results (or other files) at --out")
    p.add_argument("--yes", action="store_true",
                   help="confirm a design of more than 200,000 runs")


def _stopped(out: Any) -> None:
    print(f"\nStopped. Finished runs are saved; carry on with: coprod-sim resume {out}",
          file=sys.stderr)


class Terminated(KeyboardInterrupt):
    """The sweep was asked to stop (SIGTERM): stop like Ctrl+C, keeping finished runs."""


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[None]:
    """Treat SIGTERM (``kill``, a batch system's time limit) like Ctrl+C while running."""
    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _report(result: Any) -> int:
    from coprod_sim.experiments.execute import describe_failure

    for note in result.notes:
        print(note)
    paths = result.paths
    manifest = result.manifest
    if "seconds_this_session" not in manifest:  # already finished: nothing ran now
        print(f"{result.runs_finished} of {len(result.plan.runs)} runs finished.")
    else:
        print(f"{result.runs_finished} of {len(result.plan.runs)} runs finished "
              f"({manifest['backend']}, {manifest['seconds_this_session']:.1f} s).")
    layout = " (a folder of Parquet files)" if paths.fmt == "parquet" else ""
    print(f"Runs table:   {paths.runs} (one row per run){layout}")
    if result.plan.weekly:
        print(f"Weekly table: {paths.weekly} (one row per run and week){layout}")
    print(f"Manifest:     {paths.manifest}")
    if result.failures:
        print(f"\n{len(result.failures)} run(s) failed; the other results are saved. "
              f"Details: {paths.failures}", file=sys.stderr)
        for failure in result.failures[:10]:
            print("  " + describe_failure(failure), file=sys.stderr)
        if len(result.failures) > 10:
            print(f"  ... and {len(result.failures) - 10} more", file=sys.stderr)
        print(f"Retry the failed runs with: coprod-sim resume {paths.out}", file=sys.stderr)
        return 1
    return 0


def _analyse_and_plot(result: Any, large_text: bool = False) -> None:
    from coprod_sim.experiments.sensitivity import analyse_and_report

    print(analyse_and_report(result, large_text=large_text))


def _run(args: argparse.Namespace, command: str) -> int:
    from coprod_sim.experiments.design import SAMPLED, check_size, describe_size, load_experiment
    from coprod_sim.experiments.execute import check_writable, output_paths, run_experiment

    paths = output_paths(args.out)
    exp = load_experiment(args.experiment)
    if command == "sensitivity" and exp.kind not in SAMPLED:
        raise UsageError(f"design kind in {args.experiment} is {exp.kind!r}; `sensitivity` "
                         "needs 'saltelli', 'morris' or 'latin' (use `sweep` for grids)")
    print(describe_size(exp), flush=True)
    check_size(exp, confirmed=args.yes)
    check_writable(paths)
    try:
        with _stop_on_sigterm():
            result = run_experiment(exp, args.out, workers=args.workers,
                                    scheduler=args.scheduler, chunk_size=args.chunk_size,
                                    progress=not args.no_progress, restart=args.restart,
                                    force=args.force, yes=args.yes, command=command)
    except KeyboardInterrupt:
        if paths.parts.exists():
            _stopped(paths.out)
        raise
    status = _report(result)
    if command == "sensitivity" and status == 0:
        _analyse_and_plot(result, getattr(args, "large_text", False))
    return status


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run every run of an experiment file and write tidy tables and a manifest."""
    return _run(args, "sweep")


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Run a sampled design, then compute sensitivity indices and charts."""
    return _run(args, "sensitivity")


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish an interrupted sweep or sensitivity analysis."""
    from coprod_sim.experiments.execute import pending_header, resume

    header = pending_header(args.results)
    try:
        with _stop_on_sigterm():
            result = resume(args.results, workers=args.workers, scheduler=args.scheduler,
                            chunk_size=args.chunk_size, progress=not args.no_progress,
                            yes=args.yes)
    except KeyboardInterrupt:
        _stopped(args.results)
        raise
    status = _report(result)
    if header and header.get("command") == "sensitivity" and status == 0:
        _analyse_and_plot(result)
    return status


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Re-run one run from the manifest and check it matches the stored results."""
    from coprod_sim.experiments.reproduce import reproduce_run

    rep = reproduce_run(args.results, args.run)
    changed = {k: v for k, v in rep.scenario.changes().items()}
    print(f"Run {rep.run}: scenario {rep.scenario.name!r}, seed {rep.seed}, "
          f"{rep.scenario.weeks} weeks")
    print(f"Recorded with: {rep.recorded}")
    if rep.software_differences:
        print("Software differs from the recorded run, so numbers may differ for that "
              "reason alone:")
        for line in rep.software_differences:
            print("  " + line)
    else:
        print("Installed software matches the recorded versions.")
    for line in rep.software_cautions:
        print(f"  Note: {line}.")
    if rep.constants_note:
        print(rep.constants_note)
    for line in rep.constants_differences[:10]:
        print("  " + line)
    if changed:
        print("  Levers changed from the defaults: "
              + ", ".join(f"{k}={v!r}" for k, v in changed.items()))
    if rep.matches:
        print(f"Reproduced exactly: all {rep.checked} stored values match.")
        return 0
    if rep.checked == 0:
        print("Nothing to compare: the run is not in the stored tables (it failed or has "
              "not finished).")
        return 1
    print(f"Does NOT match: {len(rep.differences)} of {rep.checked} values differ, e.g.")
    for line in rep.differences[:5]:
        print("  " + line)
    return 1


def add_sweep(sub: Any) -> None:
    """Add ``coprod-sim sweep``."""
    p = sub.add_parser("sweep", help="run an experiment file (many scenarios x seeds)")
    p.add_argument("experiment", help="experiment file (.toml), see docs/research.md")
    p.add_argument("--out", required=True, help="results file (.parquet, or .csv)")
    _start_options(p)
    _run_options(p)
    p.set_defaults(func=cmd_sweep)


def add_sensitivity(sub: Any) -> None:
    """Add ``coprod-sim sensitivity``."""
    p = sub.add_parser("sensitivity",
                       help="run a sampled design and compute sensitivity indices with charts")
    p.add_argument("experiment", help="experiment file (.toml) with design kind saltelli, "
                   "morris or latin")
    p.add_argument("--out", required=True, help="results file (.parquet, or .csv)")
    _start_options(p)
    p.add_argument("--large-text", action="store_true", help="larger text in the charts")
    _run_options(p)
    p.set_defaults(func=cmd_sensitivity)


def add_resume(sub: Any) -> None:
    """Add ``coprod-sim resume``."""
    p = sub.add_parser("resume", help="finish an interrupted sweep (or retry failed runs)")
    p.add_argument("results", help="the --out file of the interrupted sweep")
    p.add_argument("--yes", action="store_true",
                   help="confirm a design of more than 200,000 runs (not needed when the "
                   "sweep was started with --yes: that is recorded)")
    _run_options(p)
    p.set_defaults(func=cmd_resume)


def add_reproduce(sub: Any) -> None:
    """Add ``coprod-sim reproduce``."""
    p = sub.add_parser("reproduce", help="re-run one run from a manifest and check it matches")
    p.add_argument("results", help="results file (.parquet/.csv) or its .manifest.json")
    p.add_argument("--run", type=int, required=True, help="the run number (the 'run' column)")
    p.set_defaults(func=cmd_reproduce)


register("sweep", add_sweep)
register("sensitivity", add_sensitivity)
register("resume", add_resume)
register("reproduce", add_reproduce)

from coprod_sim.experiments.discover_cli import add_discover  # noqa: E402 - light module

register("discover", add_discover)
