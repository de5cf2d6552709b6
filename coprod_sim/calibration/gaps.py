"""Known gaps: the validation checks that do not hold yet, each with its figure.

This is the one list of what the model does not yet reproduce (issue 8 stays
open for it). ``docs/validation.md`` marks each failing check as a known gap
or not; ``tests/test_validation.py`` fails when a check does not hold and is
not listed here, and when a listed gap starts to hold (then remove it from the
list). The tests that assert these claims directly are marked
``xfail(strict=True)`` with the same figures, so they too must keep failing
until someone fixes the model.

Empty when every check holds (the report then says so).
"""

from __future__ import annotations

#: Report check name -> the claim it fails (the report shows the figure it measured beside
#: it; the figures when the list was made are in docs/validation.md and the xfail reasons).
KNOWN_GAPS: dict[str, str] = {
    "pattern 12: room_per_person x0.5: full coproduction > default > tokenistic, "
    "questionnaire (five-year net, 6 seeds)":
        "with half the room for improvement, full coproduction still nets more over five "
        "years than the default",
}

#: What the known gaps come from, in plain words (the "Known gaps" section of the report).
GAP_NOTES: tuple[str, ...] = (
    "How far full coproduction pulls ahead of the default over five years depends on the "
    "room for improvement a service has (`room_per_person`, an assumption): with half the "
    "room, the many views full coproduction adopts fill it, each adds less, and the default "
    "nets more unless the return per £1 is above about 2.1 (it stays ahead of tokenism and "
    "a questionnaire alone). Notebook 06 and the trainer guide say the long game's size "
    "depends on it; the model's saturation of benefit is the open question.",
)


def is_known(name: str) -> bool:
    """Whether the check called ``name`` is a listed known gap."""
    return name in KNOWN_GAPS


__all__ = ["GAP_NOTES", "KNOWN_GAPS", "is_known"]
