"""How long the 'why' after a wrong guess takes, for every moment (seconds).

The money moments (notebook 06) are explained from the reveal's own runs, year by
year, so they need no extra runs; the others run each mechanism switched off, as
one batch of the engine.

    python benchmarks/bench_why.py [KEY ...]
"""

import sys
import time

from coprod_sim.curriculum.moments import MOMENTS
from coprod_sim.curriculum.predict import SAME, Compare, Direction, Estimate
from coprod_sim.curriculum.teach import explain_wrong


def wrong_guess(m):
    if isinstance(m, Estimate):
        return m.high if m.high != m.low else None
    r = m.reveal(None)
    if isinstance(m, Direction):
        return next(o for o in m.options if o != r.answer)
    return next(o for o in m.options if o != r.answer and o != SAME) \
        if isinstance(m, Compare) else None


def main(keys):
    for key in keys or list(MOMENTS):
        m = MOMENTS[key]
        r = m.reveal(wrong_guess(m))
        t0 = time.perf_counter()
        lines = explain_wrong(m, r)
        print(f"{key:<16} why: {time.perf_counter() - t0:6.2f} s  ({len(lines)} parts)",
              flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
