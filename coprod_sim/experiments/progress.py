"""The progress bar of a sweep (terminal or Jupyter)."""

from __future__ import annotations


def _bar_class() -> type:
    """tqdm.auto's bar (terminal or Jupyter) without its monitor thread.

    The monitor thread would outlive the sweep and stop later sweeps in this
    process from forking their workers.
    """
    from tqdm.auto import tqdm

    class Bar(tqdm):  # type: ignore[misc, valid-type]
        monitor_interval = 0

    return Bar
