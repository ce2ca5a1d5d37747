r"""Seeded logits that are hard for softmax: one registry of families.

Each family is a small generator function registered under its name with the
number of its random stream; :data:`HARD_FAMILIES` (the names, in the book's
order) and the list of families in :func:`hard_logits`'s docstring are both
read from that one registry, so a family is added in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike, NDArray

from ._validation import choice, float_dtype, integer

__all__ = ["HARD_FAMILIES", "hard_logits"]


class _Ranges(NamedTuple):
    """What a family's generator needs: the shape and the dtype's ranges."""

    rows: int
    length: int
    dtype: np.dtype[np.floating]
    largest: float  # the largest finite number
    R: float  # -log(smallest subnormal): the widest spread with a nonzero output
    omega: float  # log(largest finite): where e^z overflows
    normal: float  # -log(smallest normal)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.rows, self.length)


_Generator = Callable[[np.random.Generator, _Ranges], NDArray[np.float64]]


class _Family(NamedTuple):
    stream: int  # the family's own random stream, fixed once and for all
    make: _Generator


_FAMILIES: dict[str, _Family] = {}


def _family(name: str, stream: int) -> Callable[[_Generator], _Generator]:
    """Register a generator under ``name``, its docstring as its description.

    ``stream`` is a fixed number, not the family's position, so that adding a
    family changes no other family's logits (2 was "huge magnitudes", replaced
    by the three families 7, 8 and 9).
    """

    def register(make: _Generator) -> _Generator:
        _FAMILIES[name] = _Family(stream, make)
        return make

    return register


def _wide(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    return rng.uniform(0.0, 1.0, (r.rows, 1)) + rng.uniform(-r.R, 0.0, r.shape)


@_family("wide spread", stream=0)
def _wide_spread(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_i = c + U(-R, 0)` with :math:`c \sim U(0, 1)` per row, so that
    :math:`\hat z` and the :math:`z_i` have unrelated low bits;"""
    return _wide(rng, r)


@_family("near overflow", stream=1)
def _near_overflow(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_i = \Omega + U(-R, 1)`, where the naive formula overflows;"""
    return r.omega + rng.uniform(-r.R, 1.0, r.shape)


@_family("largest floats", stream=7)
def _largest_floats(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_1 = \max` (the dtype's largest finite number), the others
    :math:`U(-1, 1) \cdot \max`, so that :math:`z_i - \hat z` and the
    intermediates of its exact rounding error overflow;"""
    z = rng.uniform(-1.0, 1.0, r.shape) * r.largest
    z[:, 0] = r.largest
    return z


@_family("-inf beside -max", stream=8)
def _minus_inf_beside_minus_max(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r"""every entry :math:`-\max \cdot U(1/2, 1)` (the first exactly
    :math:`-\max` in about half the rows), a quarter of the others
    :math:`-\infty` and a quarter equal to the first (ties at a huge negative
    value);"""
    z = -r.largest * rng.uniform(0.5, 1.0, r.shape)
    z[rng.random(r.rows) < 0.5, 0] = -r.largest
    pick = rng.random((r.rows, r.length - 1))
    z[:, 1:][pick < 0.25] = -np.inf
    ties = np.broadcast_to(z[:, :1], (r.rows, r.length - 1))
    z[:, 1:] = np.where(pick > 0.75, ties, z[:, 1:])
    return z


@_family("subnormal sums", stream=9)
def _subnormal_sums(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_1 \sim U(0, 1)`, the others :math:`z_1 - N + U(-\min(8, R - N), 1)`
    with :math:`N = -\log(\text{smallest normal})`, so that most terms
    :math:`e^{z_i - \hat z}` are subnormal while their sum may be normal;"""
    c = rng.uniform(0.0, 1.0, (r.rows, 1))
    z = c - r.normal + rng.uniform(-min(8.0, r.R - r.normal), 1.0, r.shape)
    z[:, 0] = c[:, 0]
    return z


@_family("ties and near-ties", stream=3)
def _ties(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r"""half the entries within 3 ulps below a common value (several equal to
    the maximum), the rest as in ``"wide spread"``;"""
    c = rng.uniform(-50.0, 50.0, (r.rows, 1)).astype(r.dtype)
    steps = rng.integers(-3, 1, r.shape)  # 0, 1, 2 or 3 ulps below c
    near = c.astype(np.float64) + steps * np.spacing(np.abs(c)).astype(np.float64)
    pick = rng.random(r.shape) < 0.5  # drawn before the far entries: the stream's order
    far = c.astype(np.float64) - rng.uniform(0.0, r.R, r.shape)
    return np.where(pick, near, far)


@_family("one dominant", stream=4)
def _one_dominant(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_1 \sim U(0, 1)`, the others :math:`U(-R, -R/8)`, so the
    winner's probability is :math:`1 - \text{tiny}`;"""
    z = rng.uniform(-r.R, -r.R / 8, r.shape)
    z[:, 0] = rng.uniform(0.0, 1.0, r.rows)
    return z


@_family("long vectors", stream=5)
def _long_vectors(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r""":math:`z_i \sim N(0, 3^2)`; use a large ``length``;"""
    return rng.normal(0.0, 3.0, r.shape)


@_family("-inf entries", stream=6)
def _minus_inf_entries(rng: np.random.Generator, r: _Ranges) -> NDArray[np.float64]:
    r"""``"wide spread"`` with about 30 % of the entries (never the first) set
    to :math:`-\infty`."""
    z = _wide(rng, r)
    z[:, 1:][rng.random((r.rows, r.length - 1)) < 0.3] = -np.inf
    return z


#: The families of hard inputs that :func:`hard_logits` generates, in the book's order.
HARD_FAMILIES = tuple(_FAMILIES)


def hard_logits(
    family: str, dtype: DTypeLike = np.float64, *, rows: int = 64, length: int = 32, seed: int = 0
) -> NDArray[np.floating]:
    r"""Seeded logits that are hard for softmax in ``dtype``: one family of :data:`HARD_FAMILIES`.

    With :math:`R = -\log(\text{smallest subnormal})` (about 745, 103 and 17
    for float64, float32 and float16: the widest spread over which a softmax
    output can still be nonzero) and :math:`\Omega = \log(\text{largest
    finite})` (where :math:`e^z` overflows), each row is

    FAMILIES

    Parameters
    ----------
    family : str
        One of :data:`HARD_FAMILIES`.
    dtype : float16, float32 or float64
        The dtype of the result; the ranges above are the dtype's own.
    rows, length : int, keyword-only
        The shape ``(rows, length)`` of the result; both at least 1.
    seed : int, keyword-only
        Seed of :func:`numpy.random.default_rng`; the same arguments give the
        same array.

    Returns
    -------
    numpy.ndarray, shape (rows, length), dtype ``dtype``

    Raises
    ------
    ValueError
        If ``family`` is unknown, ``rows`` or ``length`` is below 1, or
        ``seed`` is negative.
    TypeError
        If ``family`` is not a string, ``dtype`` is not float16, float32 or
        float64, or ``rows``, ``length`` or ``seed`` is not an int.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import hard_logits
    >>> z = hard_logits("near overflow", np.float32, rows=2, length=3)
    >>> z.shape, z.dtype, bool(np.all(z > 88.0 - 104.0))
    ((2, 3), dtype('float32'), True)
    """
    make = _FAMILIES[choice(family, "family", HARD_FAMILIES)]
    dt = float_dtype(dtype)
    n_rows = integer(rows, "rows", minimum=1)
    n = integer(length, "length", minimum=1)
    s = integer(seed, "seed", minimum=0)
    fi = np.finfo(dt)
    ranges = _Ranges(
        rows=n_rows,
        length=n,
        dtype=dt,
        largest=float(fi.max),
        R=-math.log(float(fi.smallest_subnormal)),
        omega=math.log(float(fi.max)),
        normal=-math.log(float(fi.tiny)),
    )
    rng = np.random.default_rng([s, make.stream])
    return make.make(rng, ranges).astype(dt)


def _family_list() -> str:
    """The bullet list of families for :func:`hard_logits`'s docstring, from the registry."""
    items = []
    for name, fam in _FAMILIES.items():
        text = "\n      ".join(line.strip() for line in (fam.make.__doc__ or "").splitlines())
        items.append(f'* ``"{name}"``: {text}')
    return "\n    ".join(items)


if hard_logits.__doc__:  # None under python -OO
    hard_logits.__doc__ = hard_logits.__doc__.replace("FAMILIES\n", _family_list() + "\n", 1)
