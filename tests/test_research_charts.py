"""Research charts: every format, axes that cover the values, Morris mu*-sigma, captions kept."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb

from coprod_sim.experiments.charts import (
    OKABE_ITO,
    plot_convergence,
    plot_indices,
    plot_morris,
    plot_overview,
    save_figure,
    save_plots,
)
from coprod_sim.experiments.sensitivity import Sensitivity


def sobol(values):
    """Sobol indices by hand: {(outcome, lever): (S1, ST)} with intervals of 0.1."""
    rows = []
    for (outcome, lever), (s1, st) in values.items():
        rows += [(outcome, lever, "S1", s1, 0.1), (outcome, lever, "ST", st, 0.1)]
    table = pd.DataFrame(rows, columns=["outcome", "parameter", "measure", "value", "conf"])
    conv = table.assign(half=table["value"] - 0.02, full=table["value"], change=0.02)
    return Sensitivity("saltelli", table, sorted({o for o, _ in values}), [],
                       convergence=conv[["outcome", "parameter", "measure", "half", "full",
                                         "change"]], samples=64, replicates=3)


@pytest.fixture
def overshoot():
    # the case: an estimate of 1.257 (beyond 1) and a negative first-order index
    return sobol({("influence", "power_sharing"): (0.9, 1.257),
                  ("influence", "invitation_reach"): (-0.2, 0.3),
                  ("trust", "power_sharing"): (0.5, 0.6),
                  ("trust", "invitation_reach"): (0.3, 0.4)})


@pytest.fixture(autouse=True)
def _close():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


def test_sobol_axis_covers_bars_beyond_one_and_their_intervals(overshoot):
    fig = plot_indices(overshoot, "influence")
    lo, hi = fig.axes[0].get_xlim()
    assert hi >= 1.257 + 0.1 and lo <= -0.2 - 0.1
    assert "0 to 1" not in fig.axes[0].get_xlabel()
    colours = {tuple(np.round(p.get_facecolor()[:3], 3)) for p in fig.axes[0].patches}
    assert colours == {tuple(np.round(to_rgb(c), 3)) for c in (OKABE_ITO[0], OKABE_ITO[4])}


def test_heat_map_scale_covers_every_cell(overshoot):
    fig = plot_overview(overshoot)
    image = fig.axes[0].images[0]
    vmin, vmax = image.get_clim()
    assert vmin <= 0 and vmax >= 1.257
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert "1.26" in cells


def test_morris_mu_star_sigma_chart():
    rows = [("influence", "power_sharing", "mu_star", 0.3, 0.05),
            ("influence", "power_sharing", "sigma", 0.1, np.nan),
            ("influence", "power_sharing", "mu", 0.3, np.nan),
            ("influence", "pay_expenses", "mu_star", 0.05, 0.02),
            ("influence", "pay_expenses", "sigma", 0.2, np.nan),
            ("influence", "pay_expenses", "mu", -0.01, np.nan)]
    sens = Sensitivity("morris", pd.DataFrame(rows, columns=["outcome", "parameter", "measure",
                                                             "value", "conf"]),
                       ["influence"], [])
    fig = plot_morris(sens, "influence")
    ax = fig.axes[0]
    assert "mu*" in ax.get_xlabel() and "sigma" in ax.get_ylabel()
    assert ax.get_xlim()[1] >= 0.35 and ax.get_ylim()[1] >= 0.2
    labels = {t.get_text() for t in ax.texts}
    assert {"Power shared with service users", "Pay out-of-pocket expenses"} <= labels
    assert fig.alt_text and fig.caption


def test_every_chart_saved_as_svg_pdf_and_300_dpi_png_with_alt_text(overshoot, tmp_path):
    files = save_plots(overshoot, tmp_path)
    names = {p.name for p in files}
    for stem in ("influence", "trust", "overview", "influence.convergence"):
        for ext in ("png", "svg", "pdf"):
            assert f"{stem}.{ext}" in names
    from PIL import Image
    png = Image.open(tmp_path / "influence.png")
    assert round(png.info["dpi"][0]) == 300
    assert "Sobol" in png.info["Description"]
    assert "<title>" in (tmp_path / "influence.svg").read_text()
    assert (tmp_path / "influence.pdf").read_bytes().startswith(b"%PDF")
    alt = (tmp_path / "alt-text.md").read_text()
    assert "overview" in alt and "Caption:" in alt


def test_captions_are_never_cut_off(overshoot, tmp_path):
    # captions are wrapped to the chart's width and kept inside the saved image
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image
    for fig in (plot_convergence(overshoot, "influence"), plot_indices(overshoot, "trust"),
                plot_overview(overshoot)):
        path = save_figure(fig, tmp_path / "chart", formats=["png"], dpi=100)[0]
        renderer = FigureCanvasAgg(fig).get_renderer()
        inches = fig.dpi_scale_trans.inverted()
        tight = fig.get_tightbbox(renderer)
        caption = fig._supxlabel
        box = caption.get_window_extent(renderer).transformed(inches)
        assert box.x0 >= 0 and box.x1 <= fig.get_size_inches()[0]     # wrapped, not wider
        assert tight.x0 <= box.x0 and box.x1 <= tight.x1 and tight.y0 <= box.y0
        width, height = Image.open(path).size
        assert height >= (tight.height - 0.01) * 100 and width >= (tight.width - 0.01) * 100
        assert caption.get_text().replace("\n", " ") == fig.caption
