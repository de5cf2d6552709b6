"""The compare dashboard's "Who is missing in each" chart, as a trainer projects it.

It clipped its labels ("...ot afford travel and other costs"), said "who not
online", and drew groups a scenario never invited as missing.
"""

from __future__ import annotations

import pytest

from coprod_sim import plots, presets
from coprod_sim.outcomes import GROUP_COLUMNS
from coprod_sim.runner import run
from coprod_sim.widgets.dashboards import not_invited


@pytest.fixture(scope="module")
def tables():
    a, b = presets.get("tokenistic_consultation"), presets.get("full_coproduction")
    return (a, run(a, seed=1).weekly), (b, run(b, seed=1).weekly)


@pytest.mark.parametrize("large_text", [False, True])
def test_no_label_is_cut_off_and_groups_never_invited_are_not_missing(tables, large_text,
                                                                      tmp_path):
    (sa, a), (sb, b) = tables
    assert not_invited(sa) == ("part_families", "part_community") and not_invited(sb) == ()
    fig = plots.compare_who_is_missing(a, b, ("A: tokenistic", "B: full"),
                                       large_text=large_text,
                                       not_invited=[not_invited(sa), not_invited(sb)])
    plots.save_png(fig, tmp_path / f"compare-missing-{large_text}.png", dpi=100)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    ax = fig.axes[0]
    texts = [t for t in ax.get_yticklabels() if t.get_text()]
    assert len(texts) == len(GROUP_COLUMNS)
    for t in texts:  # every label inside the picture
        box = t.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0, t.get_text()
    words = " ".join(t.get_text().replace("\n", " ") for t in texts)
    assert "people not online" in words and "who not online" not in words
    assert "who cannot afford travel and other costs" in words
    notes = [t.get_text() for t in ax.texts]
    assert notes.count("not invited") == 2
    assert "families: A: tokenistic not invited" in fig.alt_text
    assert "Not invited in one of them: families, community members." in fig.caption
    assert "among families" not in fig.caption and "among community" not in fig.caption


def test_without_invitations_given_every_group_is_compared(tables):
    (_, a), (_, b) = tables
    fig = plots.compare_who_is_missing(a, b)
    assert "not invited" not in fig.alt_text and "Not invited" not in fig.caption
