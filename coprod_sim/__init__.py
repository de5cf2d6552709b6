"""coprod-sim: an agent-based training and simulation kit about coproduction.

Public API::

    from coprod_sim import Scenario, run, presets, CoproductionModel
    s = presets.get("full_coproduction")
    r = run(s.replace(power_sharing=0.6), seed=1, weeks=52)
    r.weekly, r.summary
"""

from typing import TYPE_CHECKING

from coprod_sim._version import __version__

# The public names are imported when first used (PEP 562), so that a light
# command (``coprod-sim --help``, ``params``) does not import Mesa, pandas and
# the engine.
_LAZY = {
    "presets": ("coprod_sim.presets", None),
    "CoproductionModel": ("coprod_sim.model", "CoproductionModel"),
    "OUTCOMES": ("coprod_sim.outcomes", "OUTCOMES"),
    "define": ("coprod_sim.outcomes", "define"),
    "GROUPS": ("coprod_sim.parameters", "GROUPS"),
    "PARAMETERS": ("coprod_sim.parameters", "PARAMETERS"),
    "Param": ("coprod_sim.parameters", "Param"),
    "RunResult": ("coprod_sim.runner", "RunResult"),
    "bands": ("coprod_sim.runner", "bands"),
    "run": ("coprod_sim.runner", "run"),
    "run_replicates": ("coprod_sim.runner", "run_replicates"),
    "Scenario": ("coprod_sim.scenario", "Scenario"),
    "ScenarioError": ("coprod_sim.scenario", "ScenarioError"),
}

if TYPE_CHECKING:  # for type checkers and editors: the same names, eagerly
    from coprod_sim import presets
    from coprod_sim.model import CoproductionModel
    from coprod_sim.outcomes import OUTCOMES, define
    from coprod_sim.parameters import GROUPS, PARAMETERS, Param
    from coprod_sim.runner import RunResult, bands, run, run_replicates
    from coprod_sim.scenario import Scenario, ScenarioError


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'coprod_sim' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "CoproductionModel", "GROUPS", "OUTCOMES", "PARAMETERS", "Param", "RunResult",
    "Scenario", "ScenarioError", "bands", "define", "presets", "run", "run_replicates",
    "__version__",
]
