"""Scenario: one validated set of lever values, with TOML and JSON files.

A :class:`Scenario` is immutable. Change it with :meth:`Scenario.replace`, which
returns a new, validated scenario. Files are read with ``tomllib`` / ``json``
only (no ``eval``, no pickle) and written atomically, so a failed write never
leaves half a file behind.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import sys
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import tomli_w

from coprod_sim.fileio import MAX_TEXT_BYTES, FileProblem, atomic_write, read_text_capped
from coprod_sim.parameters import PARAMETERS, Param, defaults

#: Keys a scenario file may hold besides parameters.
META_KEYS = ("name", "description")

#: Role shares that must leave room for patients (checked across parameters).
_ROLE_SHARES = ("carer_share", "family_share", "community_share")


class ScenarioError(ValueError):
    """A scenario value or file is not allowed.

    The message names each parameter, the value given and what is allowed.

    Attributes:
        problems: One ``(parameter, value, allowed)`` tuple per problem found.
    """

    def __init__(self, problems: list[tuple[str, Any, str]], source: str | None = None):
        self.problems = problems
        self.source = source
        where = f" in {source}" if source else ""
        lines = [f"'{name}' is {value!r}; allowed: {allowed}."
                 for name, value, allowed in problems]
        head = f"Scenario problem{'s' if len(lines) > 1 else ''}{where}: "
        super().__init__(head + " ".join(lines))


def _check_value(p: Param, value: Any) -> tuple[Any, str | None]:
    """Return ``(clean value, None)`` or ``(value, allowed)`` when not allowed."""
    if p.kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value), None
        return value, p.allowed()
    if p.kind == "choice":
        if isinstance(value, str) and value in p.choices:
            return value, None
        return value, p.allowed()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return value, p.allowed()
    try:
        number = float(value)
    except OverflowError:
        return value, p.allowed()
    if not math.isfinite(number):
        return value, p.allowed()
    if p.kind == "int":
        if number != int(number):
            return value, p.allowed()
        number = int(number)
    if not (p.low <= number <= p.high):
        return value, p.allowed()
    return number, None


def validate(values: Mapping[str, Any], source: str | None = None) -> dict[str, Any]:
    """Validate a full or partial mapping of parameter values.

    Args:
        values: Parameter names and values; missing names take their defaults.
        source: Where the values came from (a file name), for the message.

    Returns:
        A complete dict of clean values, in table order.

    Raises:
        ScenarioError: naming every unknown key or bad value.
    """
    problems: list[tuple[str, Any, str]] = []
    clean = defaults()
    for key, value in values.items():
        p = PARAMETERS.get(key)
        if p is None:
            problems.append((key, value, "a known parameter name (see `coprod-sim params`)"))
            continue
        value, allowed = _check_value(p, value)
        if allowed:
            problems.append((key, value, allowed))
        else:
            clean[key] = value
    if not problems:
        total = sum(clean[k] for k in _ROLE_SHARES)
        if total > 0.9:
            problems.append((" + ".join(_ROLE_SHARES), round(total, 3),
                             "a sum of at most 0.9, so that patients are at least 10%"))
        if clean["young_share"] + clean["older_share"] > 0.9:
            problems.append(("young_share + older_share",
                             round(clean["young_share"] + clean["older_share"], 3),
                             "a sum of at most 0.9, so that ages 35-64 are at least 10%"))
    if problems:
        raise ScenarioError(problems, source)
    return clean


class Scenario(Mapping[str, Any]):
    """An immutable, validated set of lever values.

    Read values as attributes (``s.power_sharing``) or keys (``s["power_sharing"]``).

    Args:
        name: A short name (presets use theirs).
        description: A sentence on what the scenario is.
        **values: Parameter values; the rest take their defaults.

    Raises:
        ScenarioError: if any value is not allowed.
    """

    __slots__ = ("_values", "name", "description")

    def __init__(self, name: str = "custom", description: str = "", **values: Any):
        object.__setattr__(self, "_values", validate(values))
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "description", str(description))

    # Mapping protocol --------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        # Mesa's batch_run sweeps over any iterable parameter value; a Scenario is
        # one value (one set of levers), not a list of its field names, so it
        # refuses to be iterated there (batch_run then uses it whole).
        if sys._getframe(1).f_globals.get("__name__") == "mesa.batchrunner":
            raise TypeError("a Scenario is one parameter value")
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):  # e.g. while unpickling, before _values exists
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"Scenario has no parameter {key!r}") from None

    # Pickling and copying: rebuilt (and checked) from its values -------------
    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.name, self.description, dict(self._values)))

    def __copy__(self) -> Scenario:
        return self  # immutable

    def __deepcopy__(self, memo: dict[int, Any]) -> Scenario:
        return self

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Scenario is immutable: use .replace(...)")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        changed = {k: v for k, v in self._values.items() if PARAMETERS[k].default != v}
        inner = ", ".join(f"{k}={v!r}" for k, v in changed.items())
        return f"Scenario(name={self.name!r}{', ' if inner else ''}{inner})"

    # Changing and exporting --------------------------------------------------
    def replace(self, name: str | None = None, description: str | None = None,
                **changes: Any) -> Scenario:
        """Return a new validated scenario with some values changed."""
        return Scenario(name=self.name if name is None else name,
                        description=self.description if description is None else description,
                        **{**self._values, **changes})

    def to_dict(self, meta: bool = False) -> dict[str, Any]:
        """Return the values as a plain dict (with name and description if ``meta``)."""
        out = dict(self._values)
        if meta:
            out = {"name": self.name, "description": self.description, **out}
        return out

    def changes(self) -> dict[str, Any]:
        """Return only the values that differ from the defaults."""
        return {k: v for k, v in self._values.items() if PARAMETERS[k].default != v}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str | None = None) -> Scenario:
        """Build a scenario from a mapping that may include ``name``/``description``.

        Raises:
            ScenarioError: for unknown keys, wrong types or out-of-range values.
        """
        if not isinstance(data, Mapping):
            raise ScenarioError([("(file)", type(data).__name__,
                                  "a table of parameter names and values")], source)
        values = {k: v for k, v in data.items() if k not in META_KEYS}
        clean = validate(values, source)
        name = data.get("name", "custom")
        description = data.get("description", "")
        for key, value in (("name", name), ("description", description)):
            if not isinstance(value, str):
                raise ScenarioError([(key, value, "text")], source)
        return cls(name=name, description=description, **clean)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> Scenario:
        """Load a scenario from a ``.toml`` or ``.json`` file.

        Raises:
            ScenarioError: if the file is missing, malformed or holds bad values.
        """
        path = Path(path)
        kind = path.suffix.lower()
        if kind not in (".toml", ".json"):
            raise ScenarioError([("file type", path.suffix or "(none)", "'.toml' or '.json'")],
                                str(path))
        try:
            text = read_text_capped(path)
        except FileProblem as err:
            raise ScenarioError([("file", str(path), f"a readable regular text file of at "
                                  f"most {MAX_TEXT_BYTES:,} bytes (it {err.strerror})")],
                                str(path)) from None
        try:
            data = (tomllib.loads(text) if kind == ".toml"
                    else json.loads(text, object_pairs_hook=_unique_keys))
        except _DuplicateKey as err:
            raise ScenarioError([("file", path.name, f"JSON with each key once ({err} is "
                                  "given twice)")], str(path)) from None
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as err:
            raise ScenarioError([("file", path.name, f"valid {kind[1:].upper()} ({err})")],
                                str(path)) from None
        except RecursionError:
            raise ScenarioError([("file", path.name, f"valid {kind[1:].upper()} that is not "
                                  "nested hundreds of levels deep")], str(path)) from None
        return cls.from_dict(data, source=str(path))

    def to_file(self, path: str | os.PathLike) -> Path:
        """Write the scenario to ``.toml`` or ``.json``, atomically.

        Returns:
            The path written.
        """
        path = Path(path)
        kind = path.suffix.lower()
        if kind not in (".toml", ".json"):
            raise ScenarioError([("file type", path.suffix or "(none)", "'.toml' or '.json'")],
                                str(path))
        data = self.to_dict(meta=True)
        text = tomli_w.dumps(data) if kind == ".toml" else json.dumps(data, indent=2) + "\n"
        atomic_write_text(path, text)
        return path


def _rebuild(name: str, description: str, values: dict[str, Any]) -> Scenario:
    """Unpickle a :class:`Scenario` (its values are checked again)."""
    return Scenario(name=name, description=description, **values)


class _DuplicateKey(ValueError):
    """A JSON object names a key twice (the later value would silently win)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(repr(key))
        out[key] = value
    return out


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write text to ``path`` atomically (see :func:`coprod_sim.fileio.atomic_write`)."""
    atomic_write(path, text)
