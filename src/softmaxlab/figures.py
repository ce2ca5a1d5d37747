r"""Figure helpers the chapters share: the probability triangle for L = 3.

For :math:`L = 3` the simplex :math:`\mathcal{S}_3 = \{a \in \mathbb{R}^3 :
a_j \ge 0,\ a_1 + a_2 + a_3 = 1\}` is a triangle. :func:`simplex_xy` places a
probability vector in the plane as :math:`a_1 c_1 + a_2 c_2 + a_3 c_3`, with
the corners :math:`c_j` of an equilateral triangle (:data:`SIMPLEX_CORNERS`),
and :func:`draw_simplex` draws the triangle with its corners labelled and the
three segments on which the two largest probabilities are equal: from the
centre :math:`\mathbf{1}/3` to the midpoint of each edge.

Nothing here imports :mod:`matplotlib.pyplot`: the functions draw on axes the
caller made (with :func:`softmaxlab.new_figure`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["SIMPLEX_CORNERS", "draw_simplex", "simplex_xy"]

#: Where the corners e_1, e_2, e_3 of the triangle are drawn: an equilateral
#: triangle with side 1, e_1 at the origin and e_3 at the top.
SIMPLEX_CORNERS = np.array([[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3.0) / 2.0]])


def simplex_xy(a: ArrayLike) -> NDArray[np.float64]:
    r"""Plane coordinates of probability vectors of length 3.

    .. math::

        (x, y) = a_1 c_1 + a_2 c_2 + a_3 c_3,

    with the corners :math:`c_j` of :data:`SIMPLEX_CORNERS`, so a one-hot
    vector :math:`e_j` lands on corner :math:`c_j` and the uniform vector on
    the centre.

    Parameters
    ----------
    a : array_like, shape (..., 3)
        Real vectors along the last axis (normally probability vectors; they
        are not renormalised).

    Returns
    -------
    numpy.ndarray, shape (..., 2), float64
        ``x`` and ``y`` along the last axis.

    Raises
    ------
    TypeError
        If ``a`` is not real-valued.
    ValueError
        If the last axis of ``a`` does not have length 3.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import simplex_xy
    >>> simplex_xy(np.eye(3)).round(3)
    array([[0.   , 0.   ],
           [1.   , 0.   ],
           [0.5  , 0.866]])
    >>> simplex_xy([1 / 3, 1 / 3, 1 / 3]).round(3)
    array([0.5  , 0.289])
    """
    arr = as_float_array(a, "a").astype(np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 3:
        raise ValueError(
            f"a must have a last axis of length 3 (a point of the triangle), got shape {arr.shape}"
        )
    return arr @ SIMPLEX_CORNERS


def draw_simplex(ax: Axes, *, colour: str = "0.2") -> Axes:
    r"""Draw the triangle of probability vectors for L = 3 on ``ax``.

    Draws the outline, the label :math:`e_j` (:math:`a_j = 1`) at each corner,
    a ``+`` at the uniform vector :math:`\mathbf{1}/3`, and dashed the three
    segments from the centre to the midpoints of the edges: the points where
    the two largest probabilities are equal (on the segment towards the
    midpoint of the edge opposite :math:`e_j`, the two entries other than
    :math:`j` are equal and at least :math:`a_j`). Hides the axes frame and
    keeps the aspect ratio 1.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Where to draw.
    colour : str, default "0.2"
        Colour of the outline, the segments and the labels.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax``, for chaining.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from softmaxlab import draw_simplex, new_figure
    >>> fig, ax = new_figure()
    >>> _ = draw_simplex(ax)
    >>> len(ax.get_lines()), [t.get_text() for t in ax.texts][0]
    (5, '$e_1$ ($a_1 = 1$)')
    >>> plt.close(fig)
    """
    outline = simplex_xy(np.vstack([np.eye(3), [1.0, 0.0, 0.0]]))
    ax.plot(outline[:, 0], outline[:, 1], color=colour, linewidth=1.2)
    centre = np.full(3, 1 / 3)
    for j in range(3):
        mid = np.full(3, 0.5)
        mid[j] = 0.0  # the midpoint of the edge opposite corner j
        seg = simplex_xy(np.vstack([centre, mid]))
        ax.plot(seg[:, 0], seg[:, 1], color=colour, linestyle="--", linewidth=1.0)
    ax.plot(*simplex_xy(centre), "+", color=colour, markersize=12, mew=2)
    offsets = [(-0.04, -0.05), (0.04, -0.05), (0.0, 0.04)]
    for j, (dx, dy) in enumerate(offsets):
        x, y = SIMPLEX_CORNERS[j]
        ax.text(
            x + dx, y + dy, f"$e_{j + 1}$ ($a_{j + 1} = 1$)", ha="center", va="center", color=colour
        )
    ax.set_aspect("equal")
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.1, 0.95)
    ax.axis("off")
    return ax
