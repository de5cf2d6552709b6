"""The command line stays light: `--help` and `params` import neither the model nor pandas."""

import subprocess
import sys

from coprod_sim.cli import main
from coprod_sim.parameters import PARAMETERS

HEAVY = ("pandas", "mesa", "coprod_sim.model", "coprod_sim.engine", "matplotlib", "SALib",
         "coprod_sim.experiments.design")


def test_help_builds_every_command_without_the_model():
    code = ("import sys; from coprod_sim.cli import build_parser; build_parser(); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_params_shows_units_and_evidence_without_markdown(capsys):
    assert main(["params"]) == 0
    out = capsys.readouterr().out
    rows = out.splitlines()
    assert len(rows) == len(PARAMETERS)
    for p, row in zip(PARAMETERS.values(), rows, strict=True):
        assert row.split()[0] == p.name
        assert f" {p.unit or '-'} " in row and f"[{p.evidence}]" in row
