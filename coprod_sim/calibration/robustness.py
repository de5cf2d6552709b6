"""Whether the curriculum's conclusions survive the model's unsourced assumptions.

A chapter teaches a conclusion when its predict-then-reveal moment has an
answer the briefing paper leads us to expect (``curriculum.moments.EXPECTED``):
"feedback with reasons keeps more people involved", "over five years full
coproduction returns more". Such a conclusion is only as strong as the
assumptions behind it. This module re-runs every taught conclusion with each
**assumption** of the model scaled to half and to one and a half times its
value, one at a time, on seeds the kit never uses elsewhere, with common random
numbers across the plans of a moment (the same seeds), and says where it still
holds, where the plans come out about the same, and where it **flips** (another
plan wins by more than the moment's threshold).

What counts as an assumption (no published figure behind its value):

- every constant of ``fitted.toml`` that calibration does not fit and whose
  comment cites no source (a fitted constant is pinned by the evidence targets;
  its uncertainty is the calibration's, not a guess);
- every numeric lever of the parameter table labelled ``assumption`` that the
  plans of a moment do not themselves set differently (scaling what a moment
  compares would change the question).

A share, chance, pace or factor scaled past 1 is capped at 1. A conclusion that
flips under some assumption must either be fixed in the model or be taught as
depending on it: :data:`DEPENDS_ON` holds what the chapter says it depends on,
and the report (``coprod-sim validate``) counts a flip as a failure otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from coprod_sim.calibration.constants import FITTED, Constants

#: Seeds of the robustness runs: never used by the calibration, the moments or the tests.
SEEDS: tuple[int, ...] = tuple(range(30_000, 30_008))
#: The two scalings of every assumption.
FACTORS: tuple[float, ...] = (0.5, 1.5)
#: Words in a constant's comment that make it a share (capped at 1 when scaled up).
_SHARE_WORDS = re.compile(r"\b(chance|share|factor|pace|rate|probability)\b", re.I)
#: A citation in a constant's comment: an author's name and a year.
_CITATION = re.compile(r"[A-Z][A-Za-z&.' -]+\(?\b(19|20)\d\d\b")

#: What a chapter says a taught conclusion depends on (moment key -> plain words).
#: A flip under the named assumption is then reported, not counted as a failure.
DEPENDS_ON: dict[str, str] = {
    "06_five_years": "the assumed return per £1 (`benefit_cost_ratio`) being well above "
                     "1: at 1 the deep plan only breaks even by construction; the "
                     "moment's 'why' and the trainer guide say so",
}


@dataclass(frozen=True)
class Assumption:
    """One unsourced number of the model: a constant or a lever's default."""

    name: str
    kind: str  # "constant" or "lever"
    value: Any
    capped: bool
    note: str

    def scaled(self, factor: float) -> Any:
        """The value times ``factor`` (a share capped at 1; an int rounded, at least 1)."""
        def one(v: float) -> float:
            x = float(v) * factor
            return min(x, 1.0) if self.capped else x
        if isinstance(self.value, (list, tuple)):
            return [one(v) for v in self.value]
        out = one(self.value)
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return max(1, int(round(out)))
        return out


@dataclass(frozen=True)
class Conclusion:
    """A conclusion a chapter teaches: a Compare moment and its expected answer."""

    key: str
    chapter: str
    outcome: str
    lowest: bool
    threshold: float
    weeks: int
    expected: str
    plans: tuple[tuple[str, Any], ...]  # (label, Scenario)


def _comments() -> dict[str, str]:
    """Each constant's comment in ``fitted.toml`` (the lines just above its key)."""
    out: dict[str, str] = {}
    pending: list[str] = []
    for raw in FITTED.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("# ---") or not line:
            pending = []
        elif line.startswith("#"):
            pending.append(line.lstrip("# "))
        elif "=" in line:
            out[line.split("=", 1)[0].strip()] = " ".join(pending)
            pending = []
    return out


def fitted_names() -> set[str]:
    """Constants the calibration fits (from the record at the top of ``fitted.toml``)."""
    for line in FITTED.read_text(encoding="utf-8").splitlines():
        if line.startswith("# fitted:"):
            return {re.sub(r"\[\d+\]$", "", part.split("=")[0].strip())
                    for part in line.split(":", 1)[1].split(",") if "=" in part}
    return set()


@cache
def assumptions() -> tuple[Assumption, ...]:
    """Every unsourced constant and assumption-labelled numeric lever, in file order."""
    from coprod_sim.parameters import PARAMETERS

    constants = Constants.load()
    fitted = fitted_names()
    out = []
    for name, note in _comments().items():
        if name not in Constants.names() or name in fitted:
            continue
        if _CITATION.search(note) and "ASSUMPTION" not in note:
            continue
        value = getattr(constants, name)
        values = value if isinstance(value, tuple) else (value,)
        if not any(float(v) != 0 for v in values):
            continue  # zero scales to zero: nothing to learn
        capped = bool(_SHARE_WORDS.search(note)) and all(0 <= float(v) <= 1 for v in values)
        out.append(Assumption(name, "constant", value, capped, note))
    for p in PARAMETERS.values():
        if (p.kind in ("float", "int") and "assumption" in p.evidence.lower()
                and p.group not in ("run", "mechanisms") and p.default not in (0, None)):
            capped = p.high is not None and float(p.high) <= 1.0
            out.append(Assumption(p.name, "lever", p.default, capped, p.label))
    return tuple(out)


def conclusions() -> tuple[Conclusion, ...]:
    """Every conclusion the chapters teach (Compare moments with an expected answer)."""
    from coprod_sim.curriculum.moments import EXPECTED, MOMENTS
    from coprod_sim.curriculum.predict import Compare

    out = []
    for key, expected in EXPECTED.items():
        m = MOMENTS.get(key)
        if not isinstance(m, Compare):
            continue
        out.append(Conclusion(key, m.section, m.outcome, m.lowest, float(m.same_within),
                              int(m.weeks), expected,
                              tuple((p.label, p.scenario) for p in m.plans)))
    return tuple(out)


def _lever_clipped(name: str, value: Any) -> Any:
    from coprod_sim.parameters import PARAMETERS

    p = PARAMETERS[name]
    if p.high is not None:
        value = min(value, p.high)
    if p.low is not None:
        value = max(value, p.low)
    return value


def _plans_for(c: Conclusion, a: Assumption | None, factor: float) -> list[Any] | None:
    """The conclusion's scenarios under one scaled assumption (None: does not apply)."""
    scenarios = [s.replace(weeks=c.weeks) for _, s in c.plans]
    if a is None or a.kind == "constant":
        return scenarios
    values = {getattr(s, a.name) for s in scenarios}
    if len(values) > 1:
        return None  # the moment compares this lever itself
    base = values.pop()
    value = _lever_clipped(a.name, Assumption(a.name, "lever", base, a.capped, "").scaled(factor))
    return [s.replace(**{a.name: value}) for s in scenarios]


def _final(result: Any, outcome: str) -> float:
    v = result.summary[outcome]
    if outcome == "payback_week" and v is None:
        v = result.summary["weeks"] + 1
    return float(v)


def judge(c: Conclusion, medians: dict[str, float]) -> tuple[str, float]:
    """``("holds" | "same" | "flips", gap)``: the moment's answer against the expected one.

    The expected answer is a plan's label (it leads), ``"not:LABEL"`` (that plan does
    not lead by the threshold or more) or the moment's "about the same" option (every
    plan within the threshold). The gap is the margin in the conclusion's favour, in
    the direction the moment asks (negative when it goes against it).
    """
    from coprod_sim.curriculum.predict import SAME

    sign = -1.0 if c.lowest else 1.0
    if c.expected == SAME:
        values = [sign * v for v in medians.values()]
        gap = c.threshold - (max(values) - min(values))
        return ("holds" if gap > 0 else "flips"), gap
    negated = c.expected.startswith("not:")
    label = c.expected[4:] if negated else c.expected
    mine = sign * medians[label]
    best_other = max(sign * v for k, v in medians.items() if k != label)
    if negated:
        gap = best_other - mine
        return ("holds" if gap > -c.threshold else "flips"), gap
    gap = mine - best_other
    if gap >= c.threshold:
        return "holds", gap
    if gap > -c.threshold:
        return "same", gap
    return "flips", gap


def evaluate_variant(args: tuple[str | None, float, tuple[str, ...] | None, Sequence[int]]
                     ) -> list[dict[str, Any]]:
    """Every conclusion under one assumption at one factor (``None``: as shipped)."""
    from coprod_sim.runner import run_many

    name, factor, keys, seeds = args
    a = next((x for x in assumptions() if x.name == name), None) if name else None
    constants = Constants.load()
    if a is not None and a.kind == "constant":
        constants = constants.replace(**{a.name: a.scaled(factor)})
    todo, runs = [], []
    for c in conclusions():
        if keys is not None and c.key not in keys:
            continue
        scen = _plans_for(c, a, factor)
        if scen is None:
            continue
        todo.append((c, len(runs)))
        runs += [(s, seed) for s in scen for seed in seeds]
    results = run_many(runs, constants=constants) if runs else []
    rows = []
    n = len(seeds)
    for c, start in todo:
        medians = {}
        for i, (label, _) in enumerate(c.plans):
            chunk = results[start + i * n:start + (i + 1) * n]
            medians[label] = float(np.median([_final(r, c.outcome) for r in chunk]))
        status, gap = judge(c, medians)
        rows.append({"conclusion": c.key, "chapter": c.chapter, "assumption": name or "",
                     "factor": factor, "status": status, "gap": gap,
                     "threshold": c.threshold, "medians": medians})
    return rows


def robustness_rows(names: Iterable[str] | None = None, keys: Iterable[str] | None = None,
                    seeds: Sequence[int] = SEEDS, factors: Sequence[float] = FACTORS,
                    workers: int = 1, progress: Callable[[str], None] | None = None
                    ) -> list[dict[str, Any]]:
    """Every conclusion as shipped and under each assumption at each factor."""
    chosen = [a.name for a in assumptions()] if names is None else list(names)
    keys = None if keys is None else tuple(keys)
    jobs: list[tuple[str | None, float, tuple[str, ...] | None, Sequence[int]]] = [
        (None, 1.0, keys, tuple(seeds))]
    jobs += [(n, f, keys, tuple(seeds)) for n in chosen for f in factors]
    rows: list[dict[str, Any]] = []
    if workers <= 1:
        for k, job in enumerate(jobs):
            rows += evaluate_variant(job)
            if progress and k % 10 == 0:
                progress(f"robustness {k + 1} of {len(jobs)}")
        return rows
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for k, part in enumerate(pool.map(evaluate_variant, jobs)):
            rows += part
            if progress and k % 10 == 0:
                progress(f"robustness {k + 1} of {len(jobs)}")
    return rows


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per conclusion: as shipped, and which assumptions weaken or flip it."""
    out = []
    for key in dict.fromkeys(r["conclusion"] for r in rows):
        mine = [r for r in rows if r["conclusion"] == key]
        base = next(r for r in mine if not r["assumption"])
        varied = [r for r in mine if r["assumption"]]
        flips = [r for r in varied if r["status"] == "flips"]
        same = [r for r in varied if r["status"] == "same"]
        depends = DEPENDS_ON.get(key, "")
        holds = base["status"] == "holds" and (not flips or bool(depends))
        out.append({"conclusion": key, "chapter": base["chapter"], "base": base["status"],
                    "gap": base["gap"], "threshold": base["threshold"],
                    "variants": len(varied), "flips": flips, "same": same,
                    "depends_on": depends, "holds": holds})
    return out


def _pct(outcome: str, value: float) -> str:
    from coprod_sim.outcomes import OUTCOMES

    if outcome in OUTCOMES and OUTCOMES[outcome].unit == "share":
        return f"{value * 100:+.1f} points"
    if outcome in ("net_benefit", "cost", "benefit"):
        return f"£{value:+,.0f}"
    return f"{value:+.3g}"


def _names(rows: list[dict[str, Any]], most: int = 4) -> str:
    """The first few assumptions of a list, and how many more."""
    if not rows:
        return "none"
    names = [f"{r['assumption']} ×{r['factor']:g}" for r in rows]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return f"{len(names)}: " + ", ".join(names[:most]) + more


def section_text(rows: list[dict[str, Any]], seeds: Sequence[int] = SEEDS,
                 factors: Sequence[float] = FACTORS) -> tuple[str, list[dict[str, Any]]]:
    """The report's robustness section: Markdown and one check per conclusion."""
    lines_ = summarise(rows)
    outcome_of = {c.key: c.outcome for c in conclusions()}
    named = {r["assumption"] for r in rows if r["assumption"]}
    n_const = sum(1 for a in assumptions() if a.kind == "constant" and a.name in named)
    n_lever = sum(1 for a in assumptions() if a.kind == "lever" and a.name in named)
    text = [
        "Every conclusion a chapter teaches (a predict-then-reveal moment with the answer "
        "the briefing paper leads us to expect) is re-run with each of the model's "
        f"assumptions ({n_const} constants of `fitted.toml` that calibration does not fit "
        f"and that cite no source, and {n_lever} numeric levers labelled *assumption*) "
        "scaled to " + " and ".join(f"×{f:g}" for f in factors) + " of its value, one at a "
        f"time, on {len(seeds)} seeds the kit uses nowhere else ({seeds[0]}-{seeds[-1]}), "
        "the same seeds for every plan. A conclusion *holds* when the expected plan leads "
        "by at least the moment's threshold (the middle result of the seeds), is *about "
        "the same* within it, and *flips* when another plan leads by more. A check fails "
        "when a conclusion flips under some assumption and its chapter does not say it "
        "depends on that assumption (`coprod_sim/calibration/robustness.py`, "
        "`DEPENDS_ON`). A share scaled past 1 is capped at 1.", "",
        "| conclusion | chapter | lead as shipped | threshold | variants | about the same "
        "| flips | holds |", "|---|---|---|---|---|---|---|---|"]
    checks = []
    for s in lines_:
        out = outcome_of.get(s["conclusion"], "")
        same = _names(s["same"])
        flips = ", ".join(f"{r['assumption']} ×{r['factor']:g} ({_pct(out, r['gap'])})"
                          for r in s["flips"]) or "none"
        text.append(f"| {s['conclusion']} | {s['chapter']} | {_pct(out, s['gap'])} | "
                    f"{_pct(out, s['threshold']).lstrip('+')} | {s['variants']} | {same} | "
                    f"{flips} | {'yes' if s['holds'] else '**NO**'} |")
        checks.append({"name": f"robust {s['conclusion']}", "conclusion": s["conclusion"],
                       "figure": round(float(s["gap"]), 6), "flips": len(s["flips"]),
                       "same": len(s["same"]), "holds": bool(s["holds"])})
    depends = [s for s in lines_ if s["depends_on"]]
    if depends:
        text += ["", "What the chapters say their conclusions depend on:", ""]
        text += [f"- {s['conclusion']}: {s['depends_on']}" for s in depends]
    return "\n".join(text) + "\n", checks
