"""Imported once by the fork server: load the simulation and run one tiny model.

Running one tiny model loads every module a run needs (some are imported
lazily on first use), so each worker forked from the server starts warm.
"""

import gc

from coprod_sim.experiments.worker import run_one

run_one("warm-up", {"n_people": 20, "weeks": 2}, 0)

# Move everything imported so far out of the garbage collector's sight: a worker
# forked from this server then never walks (and so never copies) these pages.
gc.freeze()
