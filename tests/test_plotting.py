"""The book's figure style: column-sized, sharp, colour-blind-safe, one colour a method."""

from __future__ import annotations

import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

import softmaxlab as sl
from softmaxlab import plotting
from softmaxlab.interactive import coordinate_small_multiples, plot_coordinate_view


def test_style_applies_palette_and_sizes() -> None:
    plotting.use_book_style()
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(plotting.PALETTE)
    # Drawn for the 672 px column at 100 px an inch, rendered at twice that.
    assert mpl.rcParams["figure.figsize"] == [plotting.COLUMN_WIDTH, 4.2]
    assert pytest.approx(672) == plotting.COLUMN_WIDTH * 100
    assert mpl.rcParams["figure.dpi"] == 200
    # No text smaller than the book's smallest size (12 pt: about 17 CSS px in
    # the column, 9 px on a 400 px phone).
    assert plotting.SMALLEST_TEXT_PT >= 12
    for key in (
        "font.size",
        "axes.titlesize",
        "axes.labelsize",
        "xtick.labelsize",
        "ytick.labelsize",
        "legend.fontsize",
    ):
        size = mpl.font_manager.FontProperties(size=mpl.rcParams[key]).get_size_in_points()
        assert size >= plotting.SMALLEST_TEXT_PT, key


def _smallest_text(fig: Figure) -> float:
    """The smallest size in points of any visible text the figure draws."""
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]
    assert sizes, "the figure draws no text"
    return min(sizes)


def test_the_helpers_figures_have_no_small_text() -> None:
    """Bar numbers, heatmap cells, ticks and legends of the helpers' figures."""
    plotting.use_book_style()
    z = np.array([1.0, 2.0, 0.5])
    figures = [
        sl.jacobian_heatmap(sl.softmax_jacobian(z)),
        plot_coordinate_view(z, 1, 2.5),
        coordinate_small_multiples(z, 0, [-1.0, 0.0, 1.0]),
    ]
    fig, ax = plotting.new_figure()
    ax.plot([0, 1], [0, 1], label="a line")
    ax.legend()
    ax.set_title("a title")
    figures.append(fig)
    try:
        for fig in figures:
            assert _smallest_text(fig) >= plotting.SMALLEST_TEXT_PT
        # The check can fail: a cell number at 10 pt is caught.
        figures[0].axes[0].texts[0].set_fontsize(10)
        assert _smallest_text(figures[0]) == 10
    finally:
        for fig in figures:
            plt.close(fig)


def test_one_colour_per_method() -> None:
    colours = list(plotting.METHOD_COLORS.values())
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(plotting.PALETTE) | {plotting.GREY}
    assert plotting.METHOD_COLORS["softmaxlab"] == plotting.PALETTE[0]


def test_new_figure_is_column_wide() -> None:
    fig, axes = plotting.new_figure(1, 3)
    try:
        assert fig.get_size_inches().tolist() == [plotting.COLUMN_WIDTH, 3.4]
        assert len(axes) == 3
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    ("nrows", "ncols", "error", "message"),
    [
        (1.5, 1, TypeError, r"nrows must be an int >= 1, got float 1.5"),
        (True, 1, TypeError, r"nrows must be an int >= 1, got bool True"),
        (1, 0, ValueError, r"ncols must be an int >= 1, got 0"),
    ],
)
def test_new_figure_rejects_bad_grids(
    nrows: object, ncols: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        plotting.new_figure(nrows, ncols)  # type: ignore[arg-type]


def test_plotting_does_not_import_pyplot() -> None:
    """Importing the module leaves matplotlib unloaded (pyplot loads with the first figure)."""
    code = (
        "import sys, softmaxlab.plotting\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
