"""The model's fitted and assumed constants, kept in one place.

Every hidden number that calibration may tune (baseline chances, biases,
weights, paces) lives in ``coprod_sim/calibration/fitted.toml``, one key per
constant with a one-line comment. :class:`Constants` is that file as a frozen
dataclass; mechanisms read ``model.constants.NAME``. Levers that are evidence
figures (``questionnaire_response_rate``, ``adoption_rate``, ``age_gap`` ...)
stay in the parameter table; calibration fits these constants so that the
model's measured rates reproduce those figures.

>>> c = Constants.load()
>>> c.replace(voice_exponent=2.0).voice_exponent
2.0

This module is imported by the model: it must stay light (no optimiser or
plotting imports here, nor in ``coprod_sim/calibration/__init__.py``).
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

#: The file of fitted values shipped with the package.
FITTED = Path(__file__).with_name("fitted.toml")


class ConstantsError(ValueError):
    """A constants file or value is not allowed (the message names it)."""


@dataclass(frozen=True)
class Constants:
    """The model's hidden constants (see ``fitted.toml`` for what each one is).

    Tuples hold one value per method (forum, focus group, interview,
    questionnaire), per need, or per band, as the file's comment says.
    """

    # attendance: who takes part
    base_chance: tuple[float, ...]
    questionnaire_calibration: float
    confidence_bias: tuple[float, ...]
    articulacy_bias: tuple[float, ...]
    barrier_strength: tuple[float, ...]
    drive_motivation: float
    drive_trust: float
    drive_efficacy: float
    drive_purpose: float
    show_base: float
    threshold_mean: float
    peer_degree: float
    threshold_sd: float
    peer_support_boost: float
    peer_hold: float
    awareness_skew: float
    recruit_skew: float
    commitment_gain: float
    commitment_decay: float
    commitment_weight: float
    commitment_hold: float
    payment_incentive: float
    # population: baseline willingness by segment
    age_gap_exponents: tuple[float, ...]
    deprivation_gap_exponents: tuple[float, ...]
    # voice in meetings
    voice_exponent: float
    ground_rules_flatten: float
    vision_flatten: float
    buddy_lift: float
    manager_weight: float
    manager_seat_weight: float
    view_chance: tuple[float, ...]
    voice_noise_shape: float
    understanding_from_confidence: float
    # decisions
    power_slope: float
    openness_slope: float
    resistance_slope: float
    friction_slope: float
    in_stage: float
    staff_agenda_rate: float
    agenda_overlap: float
    email_trust_loss: float
    email_efficacy_loss: float
    # feedback, learning, fatigue
    rationale_softening: float
    ignored_loss: float
    fatigue_recovery: float
    fatigue_per_hour: float
    fatigue_motivation: float
    roles_tolerance: float
    heard_weight: float
    confidence_growth: float
    wariness_weight: float
    wariness_decay: float
    word_of_mouth: float
    # staff
    trained_skill: float
    training_pace: float
    anxiety_pace: float
    risk_sensitivity: float
    risk_shape: float
    openness_pace: float
    openness_decay: float
    contact_weight: float
    alliance_boost: float
    governance_relief: float
    step_gain: float
    # benefits
    room_per_person: float
    benefit_lag_shape: float
    stage_depth_gain: float
    co_delivery_value: float
    representative_floor: float
    # turnover
    leave_hazard: float
    life_exit_rate: float

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The constants' names, in file order."""
        return tuple(f.name for f in fields(cls))

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "constants") -> Constants:
        """Build from a mapping holding every constant (lists become tuples).

        Raises:
            ConstantsError: naming unknown, missing or non-numeric keys.
        """
        known = set(cls.names())
        unknown = sorted(set(data) - known)
        missing = [n for n in cls.names() if n not in data]
        if unknown or missing:
            parts = []
            if unknown:
                parts.append("unknown " + ", ".join(repr(k) for k in unknown))
            if missing:
                parts.append("missing " + ", ".join(repr(k) for k in missing))
            raise ConstantsError(f"{source}: {'; '.join(parts)}; allowed: {', '.join(cls.names())}")
        clean: dict[str, Any] = {}
        for f in fields(cls):
            value = data[f.name]
            clean[f.name] = _clean(f.name, value, f.type, source)
        return cls(**clean)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Constants:
        """Read the constants from ``path`` (default: the shipped ``fitted.toml``)."""
        if path is None:
            return _default()
        from coprod_sim.fileio import read_text_capped

        path = Path(path)
        try:  # the limits of scenario files: a regular file, not too large or deep
            data = tomllib.loads(read_text_capped(path))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise ConstantsError(f"{path}: not a readable TOML file of constants ({err})") from None
        except RecursionError:
            raise ConstantsError(f"{path}: not a readable TOML file of constants (nested "
                                 "too deeply)") from None
        return cls.from_dict(data, str(path))

    def replace(self, **changes: Any) -> Constants:
        """Return a copy with some constants changed (checked like a file)."""
        data = self.to_dict()
        data.update(changes)
        return type(self).from_dict(data, "Constants.replace")

    def to_dict(self) -> dict[str, Any]:
        """Return the constants as a plain dict (tuples as lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    def array(self, name: str) -> np.ndarray:
        """Return a tuple constant as a float array."""
        return np.asarray(getattr(self, name), dtype=float)

    # Addressing single values (experiments vary them like levers) -------------
    def get(self, address: str) -> float:
        """The value at an address: ``"voice_exponent"`` or a list entry ``"base_chance[0]"``.

        Raises:
            ConstantsError: naming the address and what is allowed.
        """
        name, index = parse_address(address, self)
        value = getattr(self, name)
        return float(value if index is None else value[index])

    def with_values(self, values: dict[str, Any], source: str = "constants") -> Constants:
        """A copy with some values changed, by address (``{"base_chance[0]": 0.3}``).

        Raises:
            ConstantsError: for an unknown address or a value that is not a number.
        """
        if not values:
            return self
        data = self.to_dict()
        for address, value in values.items():
            name, index = parse_address(address, self)
            if index is None:
                data[name] = value
            else:
                data[name] = list(data[name])
                data[name][index] = value
        return type(self).from_dict(data, source)

    def canonical_json(self) -> str:
        """The values as sorted, compact JSON (what :meth:`sha256` hashes)."""
        import json

        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        """SHA-256 of the values (:meth:`canonical_json`): the same constants, the same hash."""
        import hashlib

        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    # Pickling: plain values (a frozen dataclass pickles, but say so explicitly) -
    def __reduce__(self) -> tuple[Any, ...]:
        return (_from_values, (self.to_dict(),))


def _from_values(data: dict[str, Any]) -> Constants:
    return Constants.from_dict(data, "pickled constants")


def parse_address(address: str, constants: Constants | None = None) -> tuple[str, int | None]:
    """Split ``"base_chance[0]"`` into ``("base_chance", 0)``; ``"x"`` into ``("x", None)``.

    Raises:
        ConstantsError: naming the address and what is allowed.
    """
    constants = constants if constants is not None else _default()
    text = str(address).strip()
    name, index = text, None
    if text.endswith("]") and "[" in text:
        name, _, rest = text[:-1].partition("[")
        if not rest.isdigit():
            raise ConstantsError(f"{address!r} is not a constant's address; allowed: a name "
                                 "such as 'voice_exponent' or a list entry such as "
                                 "'base_chance[0]'")
        index = int(rest)
    if name not in Constants.names():
        raise ConstantsError(f"{address!r} is not a constant; allowed: a name of "
                             "fitted.toml, such as 'voice_exponent' or 'base_chance[0]' "
                             "(see coprod_sim.calibration.constants.addresses())")
    value = getattr(constants, name)
    if isinstance(value, tuple):
        if index is None:
            raise ConstantsError(f"{address!r} is a list of {len(value)} values; allowed: "
                                 f"one entry, {name}[0] to {name}[{len(value) - 1}]")
        if index >= len(value):
            raise ConstantsError(f"{address!r}: index {index} is out of range; allowed: "
                                 f"{name}[0] to {name}[{len(value) - 1}]")
    elif index is not None:
        raise ConstantsError(f"{address!r}: {name} is a single value; allowed: {name!r}")
    return name, index


def addresses(constants: Constants | None = None) -> tuple[str, ...]:
    """Every single value's address, in file order (``base_chance[0]``, ...)."""
    constants = constants if constants is not None else _default()
    out: list[str] = []
    for name in Constants.names():
        value = getattr(constants, name)
        if isinstance(value, tuple):
            out.extend(f"{name}[{i}]" for i in range(len(value)))
        else:
            out.append(name)
    return tuple(out)


def _clean(name: str, value: Any, kind: Any, source: str) -> Any:
    text = str(kind)
    if text.startswith("tuple"):
        if not isinstance(value, (list, tuple)) or not value:
            raise ConstantsError(f"{source}: {name!r} is {value!r}; allowed: a list of numbers")
        return tuple(_number(name, v, source) for v in value)
    number = _number(name, value, source)
    return int(number) if text == "int" else number


def _number(name: str, value: Any, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ConstantsError(f"{source}: {name!r} is {value!r}; allowed: a number")
    number = float(value)
    if not np.isfinite(number):
        raise ConstantsError(f"{source}: {name!r} is {value!r}; allowed: a finite number")
    return number


@cache
def _default() -> Constants:
    return Constants.load(FITTED)


__all__ = ["Constants", "ConstantsError", "FITTED", "addresses", "parse_address"]
