"""The book's figure style: column-sized, sharp, colour-blind-safe, one colour a method."""

from __future__ import annotations

import subprocess
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest

from softmaxlab import plotting


def test_style_applies_palette_and_sizes() -> None:
    plotting.use_book_style()
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(plotting.PALETTE)
    # Drawn for the 672 px column at 100 px an inch, rendered at twice that.
    assert mpl.rcParams["figure.figsize"] == [plotting.COLUMN_WIDTH, 4.2]
    assert pytest.approx(672) == plotting.COLUMN_WIDTH * 100
    assert mpl.rcParams["figure.dpi"] == 200
    # No text smaller than 10 pt (about 14 CSS px at 100 px an inch).
    for key in (
        "font.size",
        "axes.labelsize",
        "xtick.labelsize",
        "ytick.labelsize",
        "legend.fontsize",
    ):
        assert mpl.font_manager.FontProperties(size=mpl.rcParams[key]).get_size_in_points() >= 10, (
            key
        )


def test_one_colour_per_method() -> None:
    colours = list(plotting.METHOD_COLORS.values())
    assert len(set(colours)) == len(colours)
    assert set(colours) <= set(plotting.PALETTE)
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
