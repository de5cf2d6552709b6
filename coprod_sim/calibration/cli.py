"""``coprod-sim calibrate`` and ``coprod-sim validate``, registered with :mod:`coprod_sim.cli`.

::

    coprod-sim calibrate calibration/evidence.toml              # fit and print; change nothing
    coprod-sim calibrate calibration/evidence.toml --write my_fit.toml   # ... and write them
    coprod-sim calibrate evidence --trials 0                    # check the current defaults
    coprod-sim calibrate my_service.toml --out my_constants.toml         # (same as --write)
    coprod-sim validate --out docs/validation.md
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from coprod_sim.cli import UsageError, register, whole_number


def fit_table(result: Any) -> str:
    """The fit per target as a plain-text table."""
    from coprod_sim.calibration.measures import MEASURES, format_figure

    rows = [("target", "measured", "target", "range", "within?", "loss")]
    for f in result.best.fits:
        t = f.target
        unit = MEASURES[t.measure].unit
        rows.append((t.name, format_figure(f.figure, unit), format_figure(t.value, unit),
                     f"{format_figure(t.low, unit)}-{format_figure(t.high, unit)}",
                     "yes" if f.holds else ("no: known gap" if t.known_gap else "NO"),
                     "-" if t.known_gap else f"{f.loss:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for r in rows:
        lines.append("  ".join(c.ljust(w) if i in (0, 4) else c.rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths, strict=True))))
    for f in result.best.fits:
        if f.problem:
            lines.append(f"  {f.target.name}: cannot be measured: {f.problem}")
    return "\n".join(lines)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit the model's constants to a targets file and print the fit per target."""
    from coprod_sim.calibration.constants import FITTED, ConstantsError
    from coprod_sim.calibration.fit import calibrate, write_fitted
    from coprod_sim.calibration.targets import CalibrationError, load

    try:
        targets = load(args.targets)
        target = _target_file(args, FITTED)  # refused before any run
        seeds = args.seeds if args.seeds is not None else targets.settings["seeds"]
        trials = args.trials if args.trials is not None else targets.settings["trials"]
        if _quick():  # a quick try (docs/research.md): one seed, at most two trials
            seeds, trials = 1, min(trials, 2)
        print(f"Calibrating to {targets.path.name} ({len(targets.targets)} targets, "
              f"{len(targets.fit)} constants to tune, {seeds} seeds, {trials} trials).",
              flush=True)
        result = calibrate(targets, trials=trials, seeds=seeds,
                           progress=not args.no_progress and sys.stderr.isatty())
    except (CalibrationError, ConstantsError) as err:
        raise UsageError(str(err)) from None
    held = sum(f.holds for f in result.best.fits)
    gaps = [f.target.name for f in result.best.fits if f.target.known_gap]
    what = "Current constants (no fit)" if trials == 0 else (
        f"Best of {trials} trials (optuna {result.optuna_version} TPE, sampler seed "
        f"{targets.settings['sampler_seed']})")
    print(f"\n{what}, over seeds 0-{seeds - 1}:\n")
    print(fit_table(result))
    print(f"\n{held} of {len(result.best.fits)} targets within range; total loss "
          f"{result.best.loss:.2f} (1.0 for a target at the edge of its range).")
    if gaps:
        print(f"Known gaps (measured, left out of the loss; see the file): {', '.join(gaps)}.")
    if trials:
        print(f"At the current constants the loss is {result.current.loss:.2f} "
              f"({sum(f.holds for f in result.current.fits)} within range).")
    if result.values:
        print("Constants: " + ", ".join(f"{k} = {v:g}" for k, v in result.values.items()))
    _print_heldout(targets, result, args.heldout if args.heldout is not None else max(seeds, 8))
    if target is not None:
        try:  # atomic: a temporary file beside it, then renamed over it
            write_fitted(result, target, base_text=FITTED.read_text(encoding="utf-8"),
                         targets_name=_shown_name(args.targets, targets.path))
        except OSError as err:
            raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
        print(f"Written: {target}. Use it with constants = \"{target}\" in an experiment "
              "file, or Constants.load() in Python.")
    else:
        print("Nothing written (add --write FILE.toml to keep these constants).")
    return 0


def _target_file(args: argparse.Namespace, fitted: Path) -> Path | None:
    """The file ``--write FILE`` (or ``--out FILE``) names; never the package's own fit.

    Raises:
        UsageError: for no file, a file not ending in .toml, or the package's fitted.toml.
    """
    import os

    if args.write is not None and args.out is not None and args.write != args.out:
        raise UsageError("--write and --out both name a file; give one of them")
    given = args.write if args.write is not None else args.out
    if given is None:
        return None
    if given == "":
        raise UsageError("--write needs a file: --write my_fit.toml (the package's own "
                         "fitted.toml is never rewritten)")
    path = Path(given)
    if path.suffix.lower() != ".toml":
        raise UsageError(f"--write is {path.name!r}; allowed: a file ending in .toml")
    same = path.resolve() == fitted.resolve()
    if not same and path.exists():
        try:
            same = os.path.samefile(path, fitted)
        except OSError:
            same = False
    if same:
        raise UsageError(f"--write is {given!r}, the package's own fitted.toml; allowed: "
                         "another file (name it in an experiment with constants = \"...\")")
    if path.is_dir():
        raise UsageError(f"--write is {given!r}, a folder; allowed: a .toml file")
    return path


def _quick() -> bool:
    """True when ``COPROD_SIM_QUICK`` asks for a quick try (as experiment files take it)."""
    import os

    return os.environ.get("COPROD_SIM_QUICK", "") not in ("", "0")


def _print_heldout(targets: Any, result: Any, fresh: int) -> None:
    """The held-out check beside the fit: the same constants on seeds the fit never saw."""
    from coprod_sim.calibration.posterior import held_out, identifiability

    for line in identifiability(targets):
        print(f"Warning: {line}")
    if not fresh:
        return
    check = held_out(targets, result.best.constants, result.best.seeds, fresh,
                     fit_evaluation=result.best)
    print(f"\nHeld-out check: the same constants on {fresh} fresh seeds:\n")
    print(check.table())
    print()
    print(check.summary())
    if check.left:
        print(f"Within range on the fit's seeds but not on fresh ones: {', '.join(check.left)} "
              "(the fit may rest on the luck of its seeds: add seeds, or see "
              "`coprod-sim posterior` for intervals).")


def _shown_name(given: str, path: Path) -> str:
    """How the targets file is named in the record: as given, never an absolute path."""
    text = str(given)
    return text if not Path(text).is_absolute() else path.name


def cmd_validate(args: argparse.Namespace) -> int:
    """Regenerate the validation report (patterns, targets, liveness, scale, tipping)."""
    from coprod_sim.calibration.report import write_report

    out = Path(args.out)
    if out.suffix.lower() != ".md":
        raise UsageError(f"--out must end in .md, got {out.name!r}")
    report = write_report(out, progress=not args.no_progress and sys.stderr.isatty(),
                          workers=args.workers)
    print(f"Validation report written to {out}: {report.held} of {report.checked} checks "
          f"hold.")
    for line in report.failures:
        print(f"  does not hold: {line}")
    return 0


def add_calibrate(sub: Any) -> None:
    """Add ``coprod-sim calibrate``."""
    p = sub.add_parser("calibrate", help="fit the model's constants to target figures")
    p.add_argument("targets", help="a targets file (.toml), or 'evidence' for the shipped "
                   "figures (see docs/research.md)")
    p.add_argument("--trials", type=whole_number(0), default=None,
                   help="optuna trials (default: the file's; 0 checks the current constants)")
    p.add_argument("--seeds", type=whole_number(1), default=None,
                   help="replicate seeds per trial (default: the file's)")
    p.add_argument("--write", nargs="?", const="", default=None, metavar="FILE",
                   help="write the fitted constants to FILE (.toml; never the package's "
                   "own fitted.toml)")
    p.add_argument("--out", default=None, metavar="FILE", help="the same as --write FILE")
    p.add_argument("--heldout", type=whole_number(0), default=None,
                   help="fresh seeds for the held-out check printed beside the fit (default: "
                   "the fit's seeds, at least 8; 0 skips it)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_calibrate)


def add_validate(sub: Any) -> None:
    """Add ``coprod-sim validate``."""
    p = sub.add_parser("validate", help="regenerate the validation report (docs/validation.md)")
    p.add_argument("--out", default="docs/validation.md", help="the report (.md)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument("--workers", type=whole_number(1), default=1,
                   help="processes for the robustness section (default 1)")
    p.set_defaults(func=cmd_validate)


register("calibrate", add_calibrate)
register("validate", add_validate)
