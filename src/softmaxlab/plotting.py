"""One look for every figure in the book.

The palette is Okabe and Ito's colour-blind-safe set. Figures have a white
background, so they read the same on the book's light and dark themes.
Helpers return the figure; notebooks add the story.
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["PALETTE", "BOOK_STYLE", "use_book_style", "new_figure"]

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

#: Matplotlib settings shared by every figure.
BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=list(PALETTE)),
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
    >>> mpl.rcParams["axes.spines.top"]
    False
    """
    mpl.rcParams.update(BOOK_STYLE)


def new_figure(nrows: int = 1, ncols: int = 1, *, width: float | None = None, height: float | None = None, **kwargs: Any):
    """A figure and its axes in the book's style.

    Parameters
    ----------
    nrows, ncols : int
        Grid of axes, as for :func:`matplotlib.pyplot.subplots`.
    width, height : float, optional
        Size in inches; by default 6.4 wide per two columns and 4.0 high per row.
    **kwargs
        Passed to :func:`matplotlib.pyplot.subplots`.

    Returns
    -------
    (matplotlib.figure.Figure, axes)
        ``axes`` is a single Axes when ``nrows == ncols == 1``, else an array.

    Raises
    ------
    ValueError
        If a grid dimension is not a positive int.

    Examples
    --------
    >>> from softmaxlab import new_figure
    >>> fig, ax = new_figure()
    >>> fig.get_size_inches().tolist()
    [6.4, 4.0]
    >>> import matplotlib.pyplot as plt; plt.close(fig)
    """
    for name, n in (("nrows", nrows), ("ncols", ncols)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    use_book_style()
    w = width if width is not None else max(6.4, 3.4 * ncols)
    h = height if height is not None else 4.0 * nrows if nrows > 1 or ncols < 3 else 3.4
    kwargs.setdefault("layout", "constrained")
    return plt.subplots(nrows, ncols, figsize=(w, h), **kwargs)
