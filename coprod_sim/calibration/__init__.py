"""Calibration as code: the model's constants fitted to figures from the evidence.

- :mod:`coprod_sim.calibration.constants`: the fitted constants (``fitted.toml``),
  read by the model. Light: the model imports it.
- :mod:`coprod_sim.calibration.targets`: the targets file format (TOML).
- :mod:`coprod_sim.calibration.measures`: how each target's figure is measured
  from runs of the model.
- :mod:`coprod_sim.calibration.fit`: the loss, and the fit with optuna.
- :mod:`coprod_sim.calibration.report`: the validation report
  (``docs/validation.md``).

``coprod-sim calibrate TARGETS.toml`` and ``coprod-sim validate`` are the
command-line doors (see ``docs/research.md``). This file imports nothing, so
that importing the model does not import the optimiser.
"""
