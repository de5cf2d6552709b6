"""Research tooling: reproducible sweeps, sensitivity analysis and scale-out on Dask.

>>> from coprod_sim.experiments import load_experiment, run_experiment, analyse
>>> exp = load_experiment("experiments/example_sweep.toml")      # doctest: +SKIP
>>> result = run_experiment(exp, "results.parquet", workers=2)   # doctest: +SKIP
>>> result.runs.groupby("power_sharing")["influence"].mean()     # doctest: +SKIP

See ``docs/research.md`` for the experiment file format.
"""

from typing import TYPE_CHECKING

# Names are imported when first used (PEP 562): the command line imports
# ``coprod_sim.experiments.cli`` without the engine, SALib or matplotlib.
_WHERE = {
    "design": ("DEFAULT_OUTCOMES", "Experiment", "ExperimentError", "Factor", "Plan",
               "build_plan", "check_plan_size", "check_size", "design_size",
               "experiment_from_dict", "load_experiment", "load_constants", "make_factor",
               "make_uncertainty", "read_posterior", "run_seed"),
    "api": ("evaluate", "plan_from_points"),
    "execute": ("SweepResult", "load_results", "output_paths", "resume", "run_experiment"),
    "reproduce": ("Reproduction", "reproduce_run"),
    "sensitivity": ("OKABE_ITO", "Sensitivity", "analyse", "plot_indices", "plot_overview",
                    "save_plots"),
}
_LAZY = {name: module for module, names in _WHERE.items() for name in names}

if TYPE_CHECKING:
    from coprod_sim.experiments.api import evaluate, plan_from_points
    from coprod_sim.experiments.design import (
        DEFAULT_OUTCOMES,
        Experiment,
        ExperimentError,
        Factor,
        Plan,
        build_plan,
        check_plan_size,
        check_size,
        design_size,
        experiment_from_dict,
        load_constants,
        load_experiment,
        make_factor,
        make_uncertainty,
        read_posterior,
        run_seed,
    )
    from coprod_sim.experiments.execute import (
        SweepResult,
        load_results,
        output_paths,
        resume,
        run_experiment,
    )
    from coprod_sim.experiments.reproduce import Reproduction, reproduce_run
    from coprod_sim.experiments.sensitivity import (
        OKABE_ITO,
        Sensitivity,
        analyse,
        plot_indices,
        plot_overview,
        save_plots,
    )


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'coprod_sim.experiments' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"coprod_sim.experiments.{_LAZY[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "DEFAULT_OUTCOMES",
    "Experiment",
    "ExperimentError",
    "Factor",
    "OKABE_ITO",
    "Plan",
    "Reproduction",
    "Sensitivity",
    "SweepResult",
    "analyse",
    "build_plan",
    "check_plan_size",
    "check_size",
    "design_size",
    "evaluate",
    "experiment_from_dict",
    "load_constants",
    "load_experiment",
    "load_results",
    "make_factor",
    "make_uncertainty",
    "output_paths",
    "plan_from_points",
    "plot_indices",
    "plot_overview",
    "read_posterior",
    "reproduce_run",
    "resume",
    "run_experiment",
    "run_seed",
    "save_plots",
]
