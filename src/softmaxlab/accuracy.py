r"""Tables of worst errors: every formula on every family of hard inputs.

:func:`accuracy_table` measures a set of softmax (or log-softmax) formulas
against the exact reference on the seeded families of
:func:`softmaxlab.hard_logits`, in ulps of one dtype, and returns an
:class:`AccuracyTable`: the worst and the median error per family and method,
as arrays for assertions and figures, and as text lines of at most 80
characters for printing. Chapter 5 and ``benchmarks/accuracy.py`` both build
their tables with it.

:func:`reduction_bound` is the worst-case relative error of a reduction
tree of merges (chapter 6), evaluated without the rounding that
:math:`(1 + u)^n` suffers in floating point.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._validation import finite_real, float_dtype, integer
from .exact import exact_softmax
from .hard import HARD_FAMILIES, hard_logits
from .ulps import ulp_error

__all__ = ["AccuracyTable", "accuracy_table", "reduction_bound"]

_WIDTH = 80


def _short(x: float) -> str:
    """An error in ulps in at most 7 characters: ``0.497``, ``513``, ``4.3e14``, ``inf``."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf"
    if x >= 1e4:
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


@dataclass(frozen=True)
class AccuracyTable:
    r"""Worst and median errors in ulps, one row per family, one column per method.

    Attributes
    ----------
    dtype : str
        The dtype measured (``"float64"``, ...); errors are in its ulps.
    families, methods : tuple of str
        Row and column names.
    worst, median : numpy.ndarray, shape (len(families), len(methods))
        The largest and the median error over all entries of the family's
        inputs (``inf`` for a wrong infinity or a NaN, as
        :func:`softmaxlab.ulp_error` scores them).
    """

    dtype: str
    families: tuple[str, ...]
    methods: tuple[str, ...]
    worst: NDArray[np.float64]
    median: NDArray[np.float64]

    def worst_of(self, method: str) -> float:
        """The largest error of ``method`` over every family."""
        if method not in self.methods:
            raise ValueError(
                f"method {method!r} is not in the table; it has {', '.join(self.methods)}"
            )
        return float(np.max(self.worst[:, self.methods.index(method)]))

    def lines(self, statistic: str = "worst") -> list[str]:
        """The table of one statistic (``"worst"`` or ``"median"``) as text lines.

        The first line names the statistic and the unit. Each column is as wide
        as its name or its widest number (at most 7 characters) plus one space:
        short method names keep a line within 80 characters.
        """
        if statistic not in ("worst", "median"):
            raise ValueError(f"statistic must be 'worst' or 'median', got {statistic!r}")
        values = self.worst if statistic == "worst" else self.median
        first = max(len("family"), *(len(f) for f in self.families)) + 1
        text = [[_short(float(v)) for v in row] for row in values]
        cols = [1 + max(len(m), *(len(row[j]) for row in text)) for j, m in enumerate(self.methods)]
        out = [f"{statistic} error in ulps of {self.dtype}"]
        head = "".join(m.rjust(w) for m, w in zip(self.methods, cols, strict=True))
        out.append("family".ljust(first) + head)
        for family, row in zip(self.families, text, strict=True):
            out.append(
                family.ljust(first) + "".join(c.rjust(w) for c, w in zip(row, cols, strict=True))
            )
        return out

    def __str__(self) -> str:
        return "\n".join([*self.lines("worst"), "", *self.lines("median")])


def accuracy_table(
    methods: Mapping[str, Callable[[NDArray[np.floating]], ArrayLike]],
    dtype: DTypeLike = np.float64,
    *,
    reference: Callable[[NDArray[np.floating]], ArrayLike] = exact_softmax,
    families: Sequence[str] = HARD_FAMILIES,
    rows: int = 32,
    length: int = 32,
    long_length: int = 10_000,
    seed: int = 2026,
) -> AccuracyTable:
    r"""Measure formulas on the families of hard inputs, in ulps of ``dtype``.

    For every family :math:`F` and method :math:`f`, the inputs
    ``z = hard_logits(F, dtype, rows=rows, length=length, seed=seed)``
    (one row of ``long_length`` for ``"long vectors"``) are passed to
    :math:`f`, its result is converted to ``dtype`` and graded with
    :func:`softmaxlab.ulp_error` against ``reference(z)``. Floating-point
    warnings are silenced: the naive formula overflows on purpose.

    Parameters
    ----------
    methods : mapping of str to callable
        Column name to a function of a ``(rows, length)`` array, normalising
        along the last axis (NumPy, JAX or anything ``numpy.asarray`` accepts).
    dtype : float16, float32 or float64, default float64
        The dtype of the inputs and of the ulps.
    reference : callable, default :func:`softmaxlab.exact_softmax`
        The exact values, e.g. :func:`softmaxlab.exact_log_softmax`.
    families : sequence of str, default :data:`softmaxlab.HARD_FAMILIES`
        The rows of the table, each a family of :func:`softmaxlab.hard_logits`.
    rows, length, long_length : int, keyword-only
        The shape of each family's input, and the length of the one long row.
    seed : int, keyword-only
        Passed to :func:`softmaxlab.hard_logits`.

    Returns
    -------
    AccuracyTable
        Print it (``print(table)``, or ``table.lines("worst")``), or read
        ``table.worst`` and ``table.median``.

    Raises
    ------
    TypeError
        If ``methods`` is not a non-empty mapping of names to callables,
        ``dtype`` is not float16, float32 or float64, or a size is not a
        int.
    ValueError
        If a size is below 1, a family is unknown, or a method returns an array of another shape.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import accuracy_table, softmax, softmax_shifted
    >>> t = accuracy_table({"shifted": softmax_shifted, "softmaxlab": softmax},
    ...                    np.float32, families=("wide spread",), rows=4, length=8)
    >>> t.worst.shape, t.methods
    ((1, 2), ('shifted', 'softmaxlab'))
    >>> bool(t.worst_of("softmaxlab") <= 1)
    True
    >>> print(t.lines()[0])
    worst error in ulps of float32
    """
    if not isinstance(methods, Mapping) or not methods:
        raise TypeError(
            "methods must be a non-empty mapping of names to functions, "
            f"got {type(methods).__name__}"
        )
    for name, f in methods.items():
        if not isinstance(name, str) or not callable(f):
            raise TypeError(
                f"methods must map names (str) to functions; entry {name!r} maps to "
                f"{type(f).__name__}"
            )
    dt = float_dtype(dtype)
    if isinstance(families, str) or not families:
        raise TypeError(
            "families must be a non-empty sequence of family names (a list, not one string)"
        )
    for family in families:
        if family not in HARD_FAMILIES:
            raise ValueError(
                f"family {family!r} is unknown; expected one of "
                f"{', '.join(map(repr, HARD_FAMILIES))}"
            )
    rows = integer(rows, "rows", minimum=1)
    length = integer(length, "length", minimum=1)
    long_length = integer(long_length, "long_length", minimum=1)

    worst = np.zeros((len(families), len(methods)))
    median = np.zeros_like(worst)
    for k, family in enumerate(families):
        shape = (1, long_length) if family == "long vectors" else (rows, length)
        z = hard_logits(family, dt, rows=shape[0], length=shape[1], seed=seed)
        exact = reference(z)
        for j, (name, f) in enumerate(methods.items()):
            with np.errstate(all="ignore"):
                got = np.asarray(f(z)).astype(dt)
            if got.shape != z.shape:
                raise ValueError(
                    f"method {name!r} returned shape {got.shape} for input of shape {z.shape}"
                )
            err = ulp_error(got, exact)
            worst[k, j] = np.max(err)
            median[k, j] = np.median(err)
    return AccuracyTable(np.dtype(dt).name, tuple(families), tuple(methods), worst, median)


def reduction_bound(height: int, gamma: float, u: float = 2.0**-53, leaf: float = 0.0) -> float:
    r"""Worst relative error of a normaliser merged along a tree of ``height`` merges.

    .. math::

        (1 + \gamma_0)(1 + \gamma)^{h}(1 + u)^{2h} - 1

        = \operatorname{expm1}\big(\operatorname{log1p}(\gamma_0)
          + h \operatorname{log1p}(\gamma) + 2h \operatorname{log1p}(u)\big),

    with :math:`\gamma_0` the relative error of the leaves' normalisers
    (``leaf``), :math:`\gamma` that of each computed factor
    :math:`e^{m_1 - M}` and :math:`u` the unit roundoff. Evaluated through
    ``expm1`` and ``log1p``: in float64, ``(1 + 2**-53) ** n`` is exactly 1.

    Parameters
    ----------
    height : int
        Number of merges on the longest path from a leaf to the root, >= 0.
    gamma, u, leaf : float
        Non-negative relative errors, each below 1.

    Returns
    -------
    float
        The bound (0.0 for a single exact leaf).

    Raises
    ------
    TypeError
        If ``height`` is not an int or an error is not a real number.
    ValueError
        If ``height`` is negative or an error is negative, not finite or >= 1.

    Examples
    --------
    >>> from softmaxlab import reduction_bound
    >>> u = 2.0**-53
    >>> round(reduction_bound(99, 4 * u) / u, 3)  # 99 (4 + 2) u, to first order
    594.0
    >>> (1 + u) ** 198 - 1  # what floating point makes of it
    0.0
    """
    h = integer(height, "height", minimum=0)
    for name, v in (("gamma", gamma), ("u", u), ("leaf", leaf)):
        if not 0 <= finite_real(v, name) < 1:
            raise ValueError(f"{name} must be a relative error in [0, 1), got {v!r}")
    return math.expm1(math.log1p(leaf) + h * math.log1p(gamma) + 2 * h * math.log1p(u))
