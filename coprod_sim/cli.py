"""The ``coprod-sim`` command line.

Examples::

    coprod-sim run --preset full_coproduction --seed 1 --weeks 52 --out weekly.csv
    coprod-sim run --scenario plan.toml --set power_sharing=0.8
    coprod-sim params            # the parameter table
    coprod-sim presets           # the presets
    coprod-sim outcomes          # what each outcome means
    coprod-sim start             # a trainee's own folder, opened in JupyterLab
    coprod-sim dashboard --room  # serve a dashboard to a room (see coprod_sim.serve)

Bad input prints one readable message (no traceback) and exits with status 2.
Other commands (``sweep``, ``sensitivity``) are added by modules that
register with :data:`COMMANDS`.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# Only light modules at the top: every command imports what it needs when it
# runs, so `coprod-sim --help` and `params` do not import the model (measured
# in the changelog). Modules that import UsageError from here stay light too.
if TYPE_CHECKING:
    from coprod_sim.runner import RunResult
    from coprod_sim.scenario import Scenario

#: Extra sub-commands: name -> function(subparsers) that adds the parser and
#: sets ``func`` (see :func:`register`).
COMMANDS: dict[str, Callable[[Any], None]] = {}

#: Modules that add sub-commands when importable.
PLUGINS = ("coprod_sim.experiments.cli", "coprod_sim.calibration.cli", "coprod_sim.workspace_cli",
           "coprod_sim.room.cli", "coprod_sim.classroom.cli",
           "coprod_sim.calibration.posterior_cli", "coprod_sim.experiments.robustness_cli")

#: Packages of the optional extras (pyproject.toml), for the one-line hint when missing.
EXTRA_OF = {**dict.fromkeys(("dask", "distributed", "pyarrow", "SALib", "optuna",
                             "ema_workbench", "cloudpickle", "pyabc"), "research"),
            **dict.fromkeys(("jupyterhub", "jupyterhub_idle_culler"), "class")}

SUMMARY_ROWS = ("participation_rate", "ever_took_part", "retention", "representativeness",
                "voice_equality", "influence", "user_plan_share", "tokenism", "trust",
                "efficacy", "staff_openness", "staff_anxiety", "cost", "benefit",
                "net_benefit")


class UsageError(Exception):
    """A command-line mistake, reported in one line."""


def whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum`` (one clear line otherwise)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected at least {minimum}, got {value}")
        return value
    return parse


def register(name: str, add_parser: Callable[[Any], None]) -> None:
    """Register an extra sub-command (used by ``coprod_sim.experiments``)."""
    COMMANDS[name] = add_parser


def parse_setting(text: str) -> tuple[str, Any]:
    """Parse ``name=value`` where value is written as in TOML (``0.5``, ``true``, ``"cafa"``).

    A bare word that is not a number or true/false is taken as text.
    """
    if "=" not in text:
        raise UsageError(f"--set expects name=value, got {text!r}")
    name, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return name, value


def load_scenario(preset: str | None, scenario_file: str | None,
                  settings: Sequence[str] = ()) -> Scenario:
    """Build the scenario from a preset or file plus ``--set`` changes."""
    from coprod_sim import presets
    from coprod_sim.scenario import Scenario

    if preset and scenario_file:
        raise UsageError("give --preset or --scenario, not both")
    if scenario_file:
        scenario = Scenario.from_file(scenario_file)
    else:
        scenario = presets.get(preset or "default")
    changes = dict(parse_setting(s) for s in settings)
    return scenario.replace(**changes) if changes else scenario


def format_value(name: str, value: Any) -> str:
    """Format an outcome value for people: shares as %, money as GBP."""
    from coprod_sim.outcomes import OUTCOMES

    unit = OUTCOMES[name].unit if name in OUTCOMES else ""
    if isinstance(value, str) or value is None:
        return str(value)
    if isinstance(value, float) and value != value:  # NaN: the outcome does not apply
        return "does not apply"
    if unit == "GBP":
        return f"£{value:,.0f}"
    if unit == "share":
        return f"{100 * value:.0f}%"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def summary_text(result: RunResult) -> str:
    """A readable summary of one run."""
    from coprod_sim.outcomes import OUTCOMES

    s = result.summary
    lines = [f"Scenario: {result.scenario.name} (seed {result.seed}, {s['weeks']} weeks)"]
    if result.scenario.description:
        lines.append(f"  {result.scenario.description}")
    lines.append(f"Where the project sits: {s['ladder']} "
                 f"(partnership score {s['ladder_score']:.2f})")
    lines.append("")
    width = max(len(OUTCOMES[k].label) for k in SUMMARY_ROWS)
    for key in SUMMARY_ROWS:
        lines.append(f"  {OUTCOMES[key].label:<{width}}  {format_value(key, s[key]):>9}"
                     f"  {OUTCOMES[key].definition}")
    payback = s["payback_week"]
    lines.append("")
    lines.append(f"Benefit caught up with cost in week {payback}." if payback else
                 "Benefit has not caught up with cost yet: benefits come late "
                 "(try more weeks).")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, print its summary and write files asked for."""
    from coprod_sim.runner import run
    from coprod_sim.scenario import atomic_write_text

    if not 0 <= args.seed < 2**63:
        raise UsageError(f"--seed is {args.seed}; allowed: a whole number from 0 to 2**63 - 1")
    if args.out and Path(args.out).suffix.lower() not in (".csv", ".json"):
        raise UsageError(f"--out must end in .csv or .json, got {Path(args.out).name!r}")
    scenario = load_scenario(args.preset, args.scenario, args.set)
    result = run(scenario, seed=args.seed, weeks=args.weeks)
    print(summary_text(result))
    if args.out:
        out = Path(args.out)
        text = (result.weekly.to_csv(index=False) if out.suffix.lower() == ".csv"
                else result.weekly.to_json(orient="records", indent=1))
        try:
            atomic_write_text(out, text)
        except OSError as err:
            raise UsageError(f"cannot write {out}: {err.strerror or err}") from None
        print(f"\nWeekly table written to {out} ({len(result.weekly)} rows).")
    if args.save_scenario:
        print(f"Scenario saved to {scenario.to_file(args.save_scenario)}.")
    return 0


def cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter table: name, default, unit, allowed values, evidence, label."""
    from coprod_sim.parameters import PARAMETERS, table_markdown

    if args.markdown:
        print(table_markdown())
        return 0
    # one line per lever (the first word is its name): default, unit, allowed
    # values, evidence and label; --markdown gives the same with a header
    rows = [(p.name, repr(p.default), p.unit or "-", p.allowed(), f"[{p.evidence}]", p.label)
            for p in PARAMETERS.values()]
    widths = [min(42, max(len(r[i]) for r in rows)) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    """Print the presets."""
    from coprod_sim import presets

    for name in presets.names():
        print(f"{name:<26} {presets.describe(name)}")
    return 0


def cmd_outcomes(args: argparse.Namespace) -> int:
    """Print every column of the weekly and runs tables: outcomes, then summary-only ones."""
    from coprod_sim.columns import DROPPED, IDS, RENAMED, SUMMARY_ONLY
    from coprod_sim.outcomes import OUTCOMES

    width = 26
    print("Outcomes (one column each in the weekly table; in a sweep's runs table each is "
          "its value in the last week of the run):")
    for o in OUTCOMES.values():
        note = ""
        if o.name in RENAMED:
            note = f" [runs table: {RENAMED[o.name]}]"
        elif o.name in DROPPED:
            note = " [weekly table only]"
        print(f"  {o.name:<{width}} {o.definition} ({o.unit}){note}")
    print("\nRun summary only (the runs table of a sweep):")
    for c in SUMMARY_ONLY.values():
        print(f"  {c.name:<{width}} {c.definition} ({c.unit})")
    print("\nIdentifiers (every row of a sweep's tables; every lever is a column too, see "
          "`coprod-sim params`):")
    for c in IDS.values():
        print(f"  {c.name:<{width}} {c.definition}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser, with any registered sub-commands."""
    parser = argparse.ArgumentParser(
        prog="coprod-sim",
        description="Simulate how a service's engagement choices shape coproduction.")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run one scenario and print a summary")
    p.add_argument("--preset", help="a preset name (see `coprod-sim presets`)")
    p.add_argument("--scenario", help="a .toml or .json scenario file")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="change one lever (repeatable), e.g. --set power_sharing=0.8")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--weeks", type=int, default=None, help="weeks to simulate")
    p.add_argument("--out", help="write the weekly table (.csv or .json)")
    p.add_argument("--save-scenario", help="save the scenario used (.toml or .json)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("params", help="list every lever")
    p.add_argument("--markdown", action="store_true", help="as a Markdown table")
    p.set_defaults(func=cmd_params)
    sub.add_parser("presets", help="list the presets").set_defaults(func=cmd_presets)
    sub.add_parser("outcomes", help="what each outcome and table column means"
                   ).set_defaults(func=cmd_outcomes)
    # its options are coprod_sim.serve's; main() hands them over unparsed
    sub.add_parser("dashboard", add_help=False,
                   help="serve a dashboard in the browser (--dashboard, --room, --port ...)")

    for module in PLUGINS:
        try:
            __import__(module)
        except ModuleNotFoundError as err:
            if err.name is None or not module.startswith(err.name):
                raise
    # Plug-ins register with the imported module, which is not this one when
    # run as ``python -m coprod_sim.cli``.
    from coprod_sim import cli as registry

    for add_parser in registry.COMMANDS.values():
        add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``coprod-sim``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["dashboard"]:
        from coprod_sim import serve

        return serve.main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except UsageError as err:
        print(f"coprod-sim: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        from coprod_sim.scenario import ScenarioError

        if not isinstance(err, ScenarioError):
            raise
        print(f"coprod-sim: {err}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as err:  # a light install without an extra's packages
        extra = EXTRA_OF.get((err.name or "").split(".")[0])
        if extra is None:
            raise
        print(f"coprod-sim: this command needs {err.name}: install coprod-sim[{extra}]",
              file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except OSError as err:  # a file that cannot be read or written
        where = f": {err.filename}" if err.filename else ""
        print(f"coprod-sim: {err.strerror or err}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("coprod-sim: stopped.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
