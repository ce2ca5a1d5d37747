r"""Figures of the softmax Jacobian (chapter 3).

:func:`jacobian_heatmap` draws a Jacobian as a signed heatmap with every entry
written in its cell, in the book's layout: row :math:`j` is the output
:math:`a_j`, column :math:`i` the input :math:`z_i`, so the cell in row
:math:`j` and column :math:`i` shows :math:`J_{ji} = \partial a_j / \partial
z_i`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from ._validation import as_float_array
from .plotting import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["jacobian_heatmap"]


def jacobian_heatmap(J: ArrayLike, *, fmt: str = "{:+.3f}", dark: float = 0.6) -> Figure:
    r"""A signed heatmap of a square matrix, each entry printed in its cell.

    The colour scale is symmetric about zero (red positive, blue negative),
    rows and columns are numbered from 1, and the axis labels say which index
    is the output (rows) and which the input (columns).

    Parameters
    ----------
    J : array_like, shape (L, L)
        A real, finite square matrix, for example
        :func:`softmaxlab.softmax_jacobian` of one logit vector.
    fmt : str, default ``"{:+.3f}"``
        Format of the number written in each cell.
    dark : float, default 0.6
        Cells whose absolute value exceeds ``dark`` times the largest absolute
        entry get white text (they are drawn in the darkest colours).

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with the heatmap and its colour bar.

    Raises
    ------
    TypeError
        If ``J`` is not real-valued.
    ValueError
        If ``J`` is not a non-empty square matrix, has a non-finite entry, or
        ``dark`` is not in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import jacobian_heatmap, softmax_jacobian
    >>> fig = jacobian_heatmap(softmax_jacobian(np.array([1.0, 0.0, -1.0])))
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.texts][:3]
    ['+0.223', '-0.163', '-0.060']
    >>> ax.get_xlabel()
    'column $i$: the input $z_i$ that moves'
    """
    M = as_float_array(J, "J").astype(np.float64)
    if M.ndim != 2 or M.shape[0] != M.shape[1] or M.size == 0:
        raise ValueError(
            f"J must be a non-empty square matrix of shape (L, L), got shape {M.shape}"
        )
    if not np.all(np.isfinite(M)):
        raise ValueError(
            "J must have finite entries only (the colour scale is set by the largest |entry|)"
        )
    if not (isinstance(dark, (int, float, np.floating)) and 0 <= dark <= 1):
        raise ValueError(f"dark must be a number in [0, 1], got {dark!r}")
    L = M.shape[0]
    vmax = float(np.max(np.abs(M))) or 1.0
    fig, ax = new_figure(width=6.4, height=5.0)
    im = ax.imshow(M, cmap="RdBu_r", vmin=-vmax, vmax=vmax)
    for j in range(L):
        for i in range(L):
            white = abs(M[j, i]) > dark * vmax
            ax.text(
                i,
                j,
                fmt.format(M[j, i]),
                ha="center",
                va="center",
                color="white" if white else "black",
            )
    ax.set_xticks(range(L), [str(i + 1) for i in range(L)])
    ax.set_yticks(range(L), [str(j + 1) for j in range(L)])
    ax.set_xlabel(r"column $i$: the input $z_i$ that moves")
    ax.set_ylabel(r"row $j$: the output $a_j$ that responds")
    ax.grid(False)
    fig.colorbar(im, ax=ax, label=r"$J_{ji} = \partial a_j / \partial z_i$")
    return fig
