"""Research tooling: reproducible sweeps, sensitivity analysis and scale-out on Dask.

>>> from coprod_sim.experiments import load_experiment, run_experiment, analyse
>>> exp = load_experiment("experiments/example_sweep.toml")      # doctest: +SKIP
>>> result = run_experiment(exp, "results.parquet", workers=2)   # doctest: +SKIP
>>> result.runs.groupby("power_sharing")["influence"].mean()     # doctest: +SKIP

See ``docs/research.md`` for the experiment file format.
"""

from importlib import import_module
from typing import Any

# Names are imported on first use (PEP 562), so that ``import coprod_sim.experiments``
# (and the command line, which registers the research commands) works without the
# research extra; a research command then says "install coprod-sim[research]".
_WHERE = {
    **dict.fromkeys(("DEFAULT_OUTCOMES", "Experiment", "ExperimentError", "Factor", "Plan",
                     "build_plan", "check_plan_size", "check_size", "design_size",
                     "experiment_from_dict", "load_experiment", "make_factor", "run_seed"),
                    "design"),
    **dict.fromkeys(("SweepResult", "load_results", "output_paths", "resume",
                     "run_experiment"), "execute"),
    **dict.fromkeys(("Reproduction", "reproduce_run"), "reproduce"),
    **dict.fromkeys(("OKABE_ITO", "Sensitivity", "analyse", "plot_indices", "plot_overview",
                     "save_plots"), "sensitivity"),
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for."""
    if name in _WHERE:
        value = getattr(import_module(f"{__name__}.{_WHERE[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))


__all__ = [
    "DEFAULT_OUTCOMES", "Experiment", "ExperimentError", "Factor", "OKABE_ITO", "Plan",
    "Reproduction", "Sensitivity", "SweepResult", "analyse", "build_plan", "check_plan_size",
    "check_size",
    "design_size",
    "experiment_from_dict", "load_experiment", "load_results", "make_factor", "output_paths",
    "plot_indices", "plot_overview", "reproduce_run", "resume", "run_experiment", "run_seed",
    "save_plots",
]
