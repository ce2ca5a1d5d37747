r"""Move one logit, watch every output: an explorer and its static fallback.

With every logit but :math:`z_j` fixed, softmax is a one-parameter family

.. math::

    t \mapsto a(z_{j \leftarrow t}), \qquad
    (z_{j \leftarrow t})_k = \begin{cases} t & k = j \\ z_k & k \ne j, \end{cases}

in which :math:`a_j` rises with :math:`t` and every other output falls.
:func:`coordinate_explorer` lets a reader running the notebook drag
:math:`t` with a slider and redraws all outputs; the HTML book cannot run a
kernel, so it shows :func:`coordinate_small_multiples`, the same picture at a
few fixed values of :math:`t`. Both draw with :func:`plot_coordinate_view`.

The explorer sends finished PNG images to an ``ipywidgets.Image``: it needs
no ``Output`` widget capture and no interactive matplotlib backend, so it
prints nothing, writes nothing to stderr and behaves the same in a kernel,
in a test and in a script.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, finite_real, index, logits
from .numerics import softmax

if TYPE_CHECKING:
    from ipywidgets import VBox
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

# matplotlib.pyplot and ipywidgets are imported inside the functions that draw,
# so that ``import softmaxlab`` stays quick for code that never plots.

__all__ = [
    "coordinate_explorer",
    "coordinate_small_multiples",
    "plot_coordinate_view",
    "softmax_along_coordinate",
]


def _vector(z: ArrayLike) -> NDArray[np.float64]:
    """Finite float64 logits of shape (L,)."""
    arr, _ = logits(z, -1)
    if arr.ndim != 1:
        raise ValueError(f"z must be a vector of shape (L,), got shape {arr.shape}")
    vec: NDArray[np.float64] = arr.astype(np.float64)
    if not np.all(np.isfinite(vec)):
        raise ValueError(
            "z must be finite: this view moves one logit and redraws the others, "
            "so inf and NaN are refused"
        )
    return vec


def _values(values: ArrayLike, name: str = "values") -> NDArray[np.float64]:
    """Finite float64 values of shape (n,), n >= 1."""
    arr = as_float_array(values, name).astype(np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty vector of shape (n,), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr!r}")
    return arr


def _outputs(z: NDArray[np.float64], j: int, t: NDArray[np.float64]) -> NDArray[np.float64]:
    zs = np.repeat(z[None, :], t.size, axis=0)
    zs[:, j] = t
    return np.asarray(softmax(zs, axis=-1), dtype=np.float64)  # float64 in, float64 out


def softmax_along_coordinate(z: ArrayLike, j: int, values: ArrayLike) -> NDArray[np.float64]:
    r"""Softmax of ``z`` with logit ``j`` replaced by each of ``values``.

    .. math::

        A_{nk} = \operatorname{softmax}(z_{j \leftarrow t_n})_k,
        \qquad t_n = \texttt{values}[n].

    Column ``j`` increases along increasing ``values`` and every other column
    decreases (strictly, when :math:`L \ge 2`), up to rounding.

    Parameters
    ----------
    z : array_like, shape (L,)
        Finite logits (integers are read as float64).
    j : int
        Index of the logit to move; negative indices count from the end.
    values : array_like, shape (n,)
        Finite values for :math:`z_j`.

    Returns
    -------
    numpy.ndarray, shape (n, L), float64
        Row ``n`` is the softmax at :math:`z_{j \leftarrow t_n}`.

    Raises
    ------
    TypeError
        If ``z`` or ``values`` are not real-valued, or ``j`` is not an int.
    ValueError
        If ``z`` is not a non-empty finite vector, ``values`` is not a
        non-empty finite vector, or ``j`` is out of range.

    Examples
    --------
    >>> from softmaxlab import softmax_along_coordinate
    >>> softmax_along_coordinate([0.0, 1.0, 2.0], 0, [-1.0, 0.0, 1.0]).round(4)
    array([[0.0351, 0.2595, 0.7054],
           [0.09  , 0.2447, 0.6652],
           [0.2119, 0.2119, 0.5761]])
    """
    x = _vector(z)
    return _outputs(x, index(j, x.size), _values(values))


def _draw_bars(
    ax: Axes, z: NDArray[np.float64], j: int, t: float, *, show_reference: bool = True
) -> None:
    """Bars of a(z_{j<-t}) on ``ax``, with a(z) as outlines."""
    from .plotting import PALETTE

    L = z.size
    a0 = _outputs(z, j, np.array([z[j]]))[0]
    a = _outputs(z, j, np.array([t]))[0]
    k = np.arange(L)
    colours = [PALETTE[1] if i == j else PALETTE[0] for i in range(L)]
    ax.bar(k, a, color=colours, width=0.7)
    if show_reference:
        ax.bar(k, a0, fill=False, edgecolor=PALETTE[6], linestyle="--", linewidth=1.0, width=0.7)
    for i in range(L):
        # Above the bar or its outline, whichever is higher, so that the
        # number never sits on the dashed line (the style's size, SMALLEST_TEXT_PT).
        ax.annotate(
            f"{a[i]:.2f}",
            (k[i], max(a[i], a0[i]) if show_reference else a[i]),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
        )
    ax.set_xticks(k, [f"$a_{{{i + 1}}}$" for i in range(L)])
    ax.set_ylim(0.0, 1.12)
    ax.set_ylabel("output")
    ax.set_title(f"$z_{{{j + 1}}} = {t:.2f}$")


def plot_coordinate_view(z: ArrayLike, j: int, value: float, *, span: float = 4.0) -> Figure:
    r"""Two stacked panels: every output against :math:`z_j`, and the outputs at one value.

    Top: the curves :math:`t \mapsto a_k(z_{j \leftarrow t})` for every
    :math:`k` on :math:`[z_j - \text{span}, z_j + \text{span}]` (widened to
    include ``value``), with a marker at :math:`t = \text{value}`. Bottom: bars
    of :math:`a(z_{j \leftarrow \text{value}})`, output :math:`j` in
    vermillion, with the outputs at the original :math:`z` as dashed outlines.
    Indices in labels are 1-based, as in the text.

    Parameters
    ----------
    z : array_like, shape (L,)
        Finite logits.
    j : int
        Index of the logit to move (0-based, as in NumPy).
    value : float
        The value of :math:`z_j` to show.
    span : float, default 4.0
        Half-width of the range of :math:`z_j` on the left panel; positive.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure; the caller shows or closes it.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax_along_coordinate`; ``TypeError`` if ``value`` or
        ``span`` is not a finite real number, ``ValueError`` if ``span`` is
        not positive.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from softmaxlab import plot_coordinate_view
    >>> fig = plot_coordinate_view([0.0, 1.0, 2.0], 0, 1.5)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['$z_{1}$ (the others fixed)', 'dashed: the outputs at the original $z$']
    >>> plt.close(fig)
    """
    from .plotting import PALETTE, new_figure

    x = _vector(z)
    jj = index(j, x.size)
    t0 = finite_real(value, "value")
    s = finite_real(span, "span", positive=True)
    lo, hi = min(x[jj] - s, t0), max(x[jj] + s, t0)
    grid = np.linspace(lo, hi, 241)
    curves = _outputs(x, jj, grid)
    at = _outputs(x, jj, np.array([t0]))[0]
    # Stacked at 6.4 inches, so that 10-pt text is still 8 CSS px when a
    # phone shows the figure 370 px wide (side by side, 7 inches, it was not).
    fig, (left, right) = new_figure(2, 1, width=6.4, height=6.4)
    for k in range(x.size):
        mine = k == jj
        left.plot(
            grid,
            curves[:, k],
            color=PALETTE[1] if mine else PALETTE[0],
            linewidth=2.4 if mine else 1.2,
            alpha=1.0 if mine else 0.8,
            label=f"$a_{{{jj + 1}}}$"
            if mine
            else ("the others" if k == (1 if jj == 0 else 0) else None),
        )
        left.plot([t0], [at[k]], "o", color=PALETTE[1] if mine else PALETTE[0], markersize=5)
    left.axvline(t0, color=PALETTE[6], linewidth=0.8, linestyle=":")
    left.set_xlabel(f"$z_{{{jj + 1}}}$ (the others fixed)")
    left.set_ylabel("output")
    left.set_ylim(-0.02, 1.02)
    left.legend(loc="center left")
    _draw_bars(right, x, jj, t0)
    right.set_xlabel("dashed: the outputs at the original $z$")
    return fig


def coordinate_small_multiples(
    z: ArrayLike, j: int, values: ArrayLike, *, panel_width: float = 2.3
) -> Figure:
    r"""One bar panel per value of :math:`z_j`: the static stand-in for the explorer.

    Panel ``n`` shows :math:`a(z_{j \leftarrow t_n})` as bars (output
    :math:`j` in vermillion) over dashed outlines of :math:`a(z)`, with each
    output's value printed above its bar. Panels fill rows of at most three,
    so that they stay legible on a page.

    Parameters
    ----------
    z : array_like, shape (L,)
        Finite logits.
    j : int
        Index of the logit to move (0-based).
    values : array_like, shape (n,)
        Finite values of :math:`z_j`, one panel each; at most 8.
    panel_width : float, default 2.3
        Width of one panel in inches (the figure is three panels wide at
        most); positive.

    Returns
    -------
    matplotlib.figure.Figure
        A new figure with ``n`` axes (in reading order) sharing the y axis.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax_along_coordinate`; ``ValueError`` if there are
        more than 8 values.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> from softmaxlab import coordinate_small_multiples
    >>> fig = coordinate_small_multiples([0.0, 1.0, 2.0], 0, [-2.0, 0.0, 2.0])
    >>> [ax.get_title() for ax in fig.axes]
    ['$z_{1} = -2.00$', '$z_{1} = 0.00$', '$z_{1} = 2.00$']
    >>> plt.close(fig)
    """
    from .plotting import new_figure

    x = _vector(z)
    jj = index(j, x.size)
    t = _values(values)
    if t.size > 8:
        raise ValueError(f"at most 8 panels fit on a page; got {t.size} values")
    pw = finite_real(panel_width, "panel_width", positive=True)
    ncols = min(3, int(t.size))
    nrows = -(-int(t.size) // ncols)
    # ``panel_width`` inches a panel (2.3 by default); the book passes 6.4 / 3,
    # so that its 10-pt text stays 8 CSS px on a phone 370 px wide.
    fig, axes = new_figure(
        nrows, ncols, width=pw * ncols, height=2.2 * nrows, sharey=True, squeeze=False
    )
    for n, ax in enumerate(axes.ravel()):
        if n >= t.size:
            fig.delaxes(ax)  # an empty slot in the last row
            continue
        _draw_bars(ax, x, jj, float(t[n]))
        if n % ncols:
            ax.set_ylabel("")
    return fig


def _png(fig: Figure) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def coordinate_explorer(z: ArrayLike, j: int, *, span: float = 4.0, step: float = 0.1) -> VBox:
    r"""A slider on :math:`z_j` that redraws every output (needs a running kernel).

    The widget is a vertical box: an ``ipywidgets.FloatSlider`` for
    :math:`z_j` on :math:`[z_j - \text{span}, z_j + \text{span}]`, starting at
    :math:`z_j`, above an ``ipywidgets.Image`` holding
    :func:`plot_coordinate_view` at the slider's value. Moving the slider
    replaces the image. Figures are rendered to PNG and closed at once, so
    nothing is printed, nothing goes to stderr and no figure is left open.

    In a static page (the HTML book) a widget cannot update; show
    :func:`coordinate_small_multiples` there instead.

    Parameters
    ----------
    z : array_like, shape (L,)
        Finite logits.
    j : int
        Index of the logit to move (0-based).
    span : float, default 4.0
        Half-width of the slider's range; positive.
    step : float, default 0.1
        The slider's step; positive and at most ``span``.

    Returns
    -------
    ipywidgets.VBox
        ``children[0]`` is the slider and ``children[1]`` the image.

    Raises
    ------
    TypeError, ValueError
        As for :func:`plot_coordinate_view`; ``ValueError`` if ``step`` is
        not in ``(0, span]``.

    Examples
    --------
    >>> from softmaxlab import coordinate_explorer
    >>> box = coordinate_explorer([0.0, 1.0, 2.0], 0)
    >>> slider, image = box.children
    >>> slider.min, slider.value, slider.max
    (-4.0, 0.0, 4.0)
    >>> before = image.value
    >>> slider.value = 2.0  # what dragging does: the image is redrawn
    >>> image.value != before
    True
    """
    import ipywidgets as widgets

    x = _vector(z)
    jj = index(j, x.size)
    s = finite_real(span, "span", positive=True)
    h = finite_real(step, "step")
    if not 0 < h <= s:
        raise ValueError(f"step must be in (0, span] = (0, {s}], got {step!r}")
    slider = widgets.FloatSlider(
        value=float(x[jj]),
        min=float(x[jj] - s),
        max=float(x[jj] + s),
        step=h,
        description=f"z_{jj + 1}",
        continuous_update=False,
        readout_format=".2f",
    )
    image = widgets.Image(
        value=_png(plot_coordinate_view(x, jj, float(x[jj]), span=s)), format="png"
    )

    def redraw(change: dict[str, Any]) -> None:  # ipywidgets' change record
        image.value = _png(plot_coordinate_view(x, jj, float(change["new"]), span=s))

    slider.observe(redraw, names="value")

    class Explorer(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
        """The slider above the image; a one-line text form where widgets cannot show."""

        def __repr__(self) -> str:
            return f"coordinate explorer of z_{jj + 1} (needs a running kernel)"

    return Explorer([slider, image])
