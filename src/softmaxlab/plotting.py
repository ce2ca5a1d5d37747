"""One look for every figure in the book.

Figures are drawn for the page they are shown on: 6.72 inches wide at 100
pixels an inch is the 672 CSS pixels of the book's text column, so a point of
text in a figure is the same size as in the page around it. No text is smaller
than :data:`SMALLEST_TEXT_PT` (12 pt): about 17 CSS px in the 672 px column,
a little above the body's 16 px, so that on a phone, where the column is
352 px and the figure shrinks with it, the smallest text is still about 9 CSS
px, and a pinch of the screen brings it to body size. They are rendered at 200
pixels an inch, twice the column, so that they stay sharp on high-density
screens and when zoomed.

The palette is Okabe and Ito's colour-blind-safe set, and each method the book
compares has one colour of it everywhere (:data:`METHOD_COLORS`). Figures have a
white background, so they read the same on the book's light and dark themes.
Helpers return the figure; notebooks add the story.

matplotlib's ``pyplot`` is imported when a figure is first made, not when
``softmaxlab`` is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._validation import integer

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = [
    "BOOK_STYLE",
    "COLUMN_WIDTH",
    "GREY",
    "METHOD_COLORS",
    "PALETTE",
    "SMALLEST_TEXT_PT",
    "new_figure",
    "use_book_style",
]

#: Okabe & Ito (2008): distinguishable under the common colour-vision deficiencies.
PALETTE = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (use last: low contrast on white)
)

#: A neutral grey, outside the palette's eight: for a method that is neither
#: ours nor a baseline (exp(z - LSE) in chapter 5).
GREY = "#737373"

#: One colour per method, the same in every figure of the book: softmaxlab
#: blue, the naive formula vermillion, the plain shifted formula green, JAX
#: purple, the online (one-pass) normaliser orange, SciPy sky blue, the exact
#: reference black, and the division-free exp(z - LSE) grey.
METHOD_COLORS: dict[str, str] = {
    "softmaxlab": PALETTE[0],
    "naive": PALETTE[1],
    "shifted": PALETTE[2],
    "jax": PALETTE[3],
    "online": PALETTE[4],
    "scipy": PALETTE[5],
    "exact": PALETTE[6],
    "exp_lse": GREY,
}

#: Width in inches of a figure that fills the text column (672 CSS px).
COLUMN_WIDTH = 6.72

#: The smallest text in any figure of the book, in points: tick labels,
#: legends and the numbers written on bars and heatmap cells.
SMALLEST_TEXT_PT = 12.0

#: Matplotlib settings shared by every figure.
BOOK_STYLE: dict[RcKeyType, Any] = {
    "figure.figsize": (COLUMN_WIDTH, 4.2),
    # Notebook figures are PNGs rendered at figure.dpi: twice the 100 px an
    # inch at which the column shows them.
    "figure.dpi": 200,
    "savefig.dpi": 200,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": SMALLEST_TEXT_PT,
    "axes.titlesize": 13,
    "axes.labelsize": SMALLEST_TEXT_PT,
    "xtick.labelsize": SMALLEST_TEXT_PT,
    "ytick.labelsize": SMALLEST_TEXT_PT,
    "legend.fontsize": SMALLEST_TEXT_PT,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.edgecolor": "none",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    # A string, which matplotlib parses, so that this module needs no matplotlib import.
    "axes.prop_cycle": f"cycler('color', {list(PALETTE)!r})",
    "lines.linewidth": 2.0,
    "image.cmap": "RdBu_r",
    "svg.hashsalt": "softmaxlab",
}


def use_book_style() -> None:
    """Apply :data:`BOOK_STYLE` to matplotlib's global settings.

    Examples
    --------
    >>> from softmaxlab import use_book_style
    >>> use_book_style()
    >>> import matplotlib as mpl
    >>> mpl.rcParams["axes.spines.top"], mpl.rcParams["figure.dpi"]
    (False, 200.0)
    """
    import matplotlib as mpl

    mpl.rcParams.update(BOOK_STYLE)


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    width: float | None = None,
    height: float | None = None,
    **kwargs: Any,
) -> tuple[Figure, Any]:
    """A figure and its axes in the book's style, as wide as the text column.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes, as for :func:`matplotlib.pyplot.subplots`.
    width, height : float, optional
        Size in inches; by default :data:`COLUMN_WIDTH` wide (a wider figure is
        shrunk to the column, and its text with it) and 4.2 high per row (3.4
        for a single row of three or more panels).
    **kwargs
        Passed to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    (matplotlib.figure.Figure, axes)
        ``axes`` is a single Axes when ``nrows == ncols == 1``, else an array.

    Raises
    ------
    TypeError
        If a grid dimension is not an int.
    ValueError
        If a grid dimension is less than 1.

    Examples
    --------
    >>> from softmaxlab import new_figure
    >>> fig, ax = new_figure()
    >>> fig.get_size_inches().tolist()
    [6.72, 4.2]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    nrows = integer(nrows, "nrows", minimum=1)
    ncols = integer(ncols, "ncols", minimum=1)
    import matplotlib.pyplot as plt

    use_book_style()
    w = width if width is not None else COLUMN_WIDTH
    h = height if height is not None else 4.2 * nrows if nrows > 1 or ncols < 3 else 3.4
    kwargs.setdefault("layout", "constrained")
    # The axes are one Axes or an array of them, by the grid: Any, as in
    # matplotlib's own stubs for plt.subplots.
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)
