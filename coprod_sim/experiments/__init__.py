"""Research tooling: reproducible sweeps, sensitivity analysis and scale-out on Dask.

>>> from coprod_sim.experiments import load_experiment, run_experiment, analyse
>>> exp = load_experiment("experiments/example_sweep.toml")      # doctest: +SKIP
>>> result = run_experiment(exp, "results.parquet", workers=2)   # doctest: +SKIP
>>> result.runs.groupby("power_sharing")["influence"].mean()     # doctest: +SKIP

See ``docs/research.md`` for the experiment file format.
"""

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

__all__ = [
    "DEFAULT_OUTCOMES", "Experiment", "ExperimentError", "Factor", "OKABE_ITO", "Plan",
    "Reproduction", "Sensitivity", "SweepResult", "analyse", "build_plan", "check_plan_size",
    "check_size",
    "design_size",
    "experiment_from_dict", "load_experiment", "load_results", "make_factor", "output_paths",
    "plot_indices", "plot_overview", "reproduce_run", "resume", "run_experiment", "run_seed",
    "save_plots", "evaluate", "plan_from_points", "load_constants", "make_uncertainty",
    "read_posterior",
]
