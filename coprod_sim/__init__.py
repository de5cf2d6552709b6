"""coprod-sim: an agent-based training and simulation kit about coproduction.

Public API::

    from coprod_sim import Scenario, run, presets, CoproductionModel
    s = presets.get("full_coproduction")
    r = run(s.replace(power_sharing=0.6), seed=1, weeks=52)
    r.weekly, r.summary
"""

from coprod_sim import presets
from coprod_sim._version import __version__
from coprod_sim.model import CoproductionModel
from coprod_sim.outcomes import OUTCOMES, define
from coprod_sim.parameters import GROUPS, PARAMETERS, Param
from coprod_sim.runner import RunResult, bands, run, run_replicates
from coprod_sim.scenario import Scenario, ScenarioError

__all__ = [
    "CoproductionModel", "GROUPS", "OUTCOMES", "PARAMETERS", "Param", "RunResult",
    "Scenario", "ScenarioError", "bands", "define", "presets", "run", "run_replicates",
    "__version__",
]
