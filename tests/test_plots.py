"""The shared charts: titles, captions and alt text that follow the data, bands, export."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex
from PIL import Image

from coprod_sim import plots, run, run_replicates
from coprod_sim.outcomes import GROUP_COLUMNS, LADDER_CUTS


@pytest.fixture(scope="module")
def weekly() -> pd.DataFrame:
    return run(seed=1, weeks=20).weekly


@pytest.fixture(scope="module")
def reps() -> pd.DataFrame:
    return run_replicates(seeds=range(4), weeks=20)


def synthetic(base: pd.DataFrame, **columns) -> pd.DataFrame:
    """A weekly table with some columns replaced (a value, or one value per week)."""
    df = base.copy()
    for name, value in columns.items():
        df[name] = value
    return df


@pytest.mark.parametrize("name", list(plots.CHARTS))
def test_every_chart_has_title_caption_and_alt_text(name, weekly):
    fig = plots.chart(name, weekly)
    assert isinstance(fig, plots.Chart)
    assert fig.title and fig.title in fig.axes[0].get_title(loc="left")
    assert fig.caption.endswith(".") and "\n" not in fig.caption
    assert 20 < len(fig.caption) < 200, "one plain line"
    assert fig.alt_text.startswith(fig.title) and len(fig.alt_text) > len(fig.title) + 20
    assert plots.CHART_NAMES[name]


@pytest.mark.parametrize("name", list(plots.CHARTS))
def test_bands_only_with_several_seeds(name, weekly, reps):
    def bands(fig):
        return [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]

    single, many = plots.chart(name, weekly), plots.chart(name, reps)
    if name == "who_is_missing":  # bars: error bars for the spread instead of bands
        assert len(many.axes[0].collections) > len(single.axes[0].collections)
        return
    assert len(bands(many)) > len(bands(single))
    assert "4 runs" in many.alt_text and "runs" not in single.alt_text


def test_lines_use_the_colour_blind_safe_palette(weekly):
    safe = {c.lower() for c in plots.OKABE_ITO.values()}
    for name in plots.CHARTS:
        fig = plots.chart(name, weekly)
        for line in fig.axes[0].lines:
            assert to_hex(line.get_color()).lower() in safe, (name, line.get_label())


def test_caption_follows_the_data(weekly):
    low = plots.participation(synthetic(weekly, participation_rate=0.1, retention=0.5))
    high = plots.participation(synthetic(weekly, participation_rate=0.6, retention=0.9))
    assert "10%" in low.caption and "60%" in high.caption
    assert low.caption != high.caption


def test_who_is_missing_names_the_group_far_below_everyone(weekly):
    values = {col: 0.4 for col in GROUP_COLUMNS}
    values["part_families"] = 0.0
    values["part_age_16_34"] = 0.1
    fig = plots.who_is_missing(synthetic(weekly, participation_rate=0.4, **values))
    assert "families" in fig.caption and "aged 16-34" in fig.caption
    assert "carers" not in fig.caption
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == 2
    even = plots.who_is_missing(synthetic(weekly, participation_rate=0.4,
                                          **{col: 0.4 for col in GROUP_COLUMNS}))
    assert "No group is far below" in even.caption


@pytest.mark.parametrize("score,rung", [(LADDER_CUTS[0] / 2, "description"),
                                        ((LADDER_CUTS[0] + LADDER_CUTS[1]) / 2, "recognition"),
                                        ((LADDER_CUTS[1] + 1) / 2, "transformation")])
def test_ladder_uses_the_cut_points(weekly, score, rung):
    fig = plots.ladder(synthetic(weekly, ladder_score=score))
    assert rung in fig.caption
    assert f"{score:.2f}" in fig.alt_text


def test_cost_benefit_marks_payback_and_the_long_game(weekly):
    n = len(weekly)
    cost = np.linspace(100, 1000, n)
    benefit = np.where(np.arange(n) < n // 2, 0.0, np.linspace(0, 3000, n))
    paid = synthetic(weekly, cost=cost, benefit=benefit, net_benefit=benefit - cost)
    week = int(paid["week"][(paid["net_benefit"] >= 0).to_numpy()].iloc[0])
    assert f"week {week}" in plots.cost_benefit(paid).caption
    unpaid = synthetic(weekly, cost=cost, benefit=0.0, net_benefit=-cost)
    assert "long game" in plots.cost_benefit(unpaid).caption


def test_large_text_is_bigger(weekly):
    normal, large = plots.trust(weekly), plots.trust(weekly, large_text=True)
    assert large.axes[0].xaxis.label.get_fontsize() > normal.axes[0].xaxis.label.get_fontsize()
    assert large.get_size_inches()[0] > normal.get_size_inches()[0]
    assert large.caption == normal.caption


def test_redraw_in_place_matches_a_fresh_chart(weekly, reps):
    for name in plots.CHARTS:
        fig = plots.chart(name, weekly)
        again = plots.chart(name, reps, fig=fig)
        assert again is fig
        fresh = plots.chart(name, reps)
        a = np.asarray(Image.open(io.BytesIO(plots.to_png(again))))
        b = np.asarray(Image.open(io.BytesIO(plots.to_png(fresh))))
        assert a.shape == b.shape and np.abs(a.astype(int) - b).max() == 0, name
        assert again.caption == fresh.caption


def test_switching_style_in_place_redraws(weekly):
    fig = plots.voice(weekly)
    plots.voice(weekly, large_text=True, fig=fig)
    assert fig.large_text and fig.get_size_inches()[0] == plots.style(True)["figsize"][0]


def test_save_png_writes_a_png_with_alt_text(tmp_path, weekly):
    fig = plots.staff(weekly)
    path = plots.save_png(fig, tmp_path / "sub" / "staff")
    assert path.name == "staff.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        assert im.info.get("Description") == fig.alt_text
        assert im.info.get("Title") == fig.title
    assert [p.name for p in path.parent.iterdir()] == ["staff.png"], "no temporary file left"


def test_chart_html_carries_alt_text_and_caption(weekly):
    fig = plots.influence(weekly)
    text = plots.chart_html(fig)
    assert 'alt="Influence or tokenism?' in text and "<figcaption>" in text
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_unknown_chart_is_a_clear_error(weekly):
    with pytest.raises(KeyError, match="unknown chart 'nope'; known: participation"):
        plots.chart("nope", weekly)


def test_compare_who_is_missing_names_the_bigger_gap(weekly):
    a = synthetic(weekly, **{c: 0.2 for c in GROUP_COLUMNS})
    b = synthetic(weekly, **{**{c: 0.2 for c in GROUP_COLUMNS}, "part_carers": 0.7})
    fig = plots.compare_who_is_missing(a, b, ("Plan A", "Plan B"))
    assert "carers" in fig.caption and "Plan B" in fig.caption
    assert "Plan A" in fig.alt_text
