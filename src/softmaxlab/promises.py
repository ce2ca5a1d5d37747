r"""The accuracy that softmaxlab promises, stated once: one table, with its derivation.

Every bound here is derived from the algorithm (first order in the unit
roundoff :math:`u = 2^{-53}` of float64; the neglected second-order terms are
below :math:`10^{-3}` ulp for :math:`L \le 10^6`), under two assumptions about
NumPy's float64 elementary functions, which are measured rather than
guaranteed (NumPy's ``exp`` is vectorised and not correctly rounded):

* ``np.exp(d)`` for :math:`d \in [-708, 0]` has a relative error of at most
  :data:`EXP_REL` :math:`u`;
* ``np.log1p(r)`` for :math:`r \in (0, 10^6]` has a relative error of at most
  :data:`LOG1P_REL` :math:`u`.

``benchmarks/exp_log1p_error.py`` measures both, with NumPy's default CPU
features and with ``NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL X86_V3"``; on
the machine this was written on the worst relative errors found were about
0.72 u (exp, default) and 0.60 u (log1p), and the promises assume 1.5 u for
margin.

Two conversions are used throughout: an error of :math:`\rho u |y|` is less
than :math:`\rho` ulps of :math:`y` (because :math:`\operatorname{ulp}(y) > u|y|`),
and the final rounding of a result costs at most half an ulp.

The table (:data:`PROMISES`) is read by the docstrings, the tests
(``tests/test_precision.py`` asserts each bound at its stated value), the
README and chapter 5. :func:`promise` looks one up.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

__all__ = [
    "EXP_REL",
    "LOG1P_REL",
    "PROMISES",
    "Promise",
    "chunked_bound",
    "online_bound",
    "promise",
    "promise_table",
]

#: Assumed bound on the relative error of ``np.exp`` (float64, normal results), in u = 2^-53.
EXP_REL = 1.5
#: Assumed bound on the relative error of ``np.log1p`` (float64), in units of u = 2^-53.
LOG1P_REL = 1.5
#: The longest slice the table's numbers are derived for.
MAX_LENGTH = 10**6

# The rounding errors of the split sum's small parts, relative to the sum:
# split on the rest's own scale, at most g * 2^-36 with g < 60 roundings for
# L <= 10^6 (numpy's pairwise sum of a chunk, then the chunks in order): below
# 10^-9 ulp; split on the fixed scale 2^(bitlength(cols) + 1), at most u / 100
# (rows whose rest is below numerics._fixed_sigma_floor are split again on
# their own scale). Bounded here by 0.03 ulp to cover the leading parts'
# TwoSum accumulation as well.
_SUM = 0.03

# float64 softmax, each entry a_j = t_j / S:
#   t_j = exp(d_j) (1 + e_j) rounded: (EXP_REL + 1) u;
#   S, a weighted mean of such errors: (EXP_REL + 1) u (+ the split sum's);
#   the reciprocal of S = S_hi + S_lo, formed in double-double and rounded
#   once: u (1 + 7u) (numerics._reciprocal); the product t_j * fl(1/S) rounds: 0.5 ulp.
_SOFTMAX64 = 0.5 + 2 * (EXP_REL + 1) + 1 + _SUM
# float64 log_softmax, each entry (z_j - zhat) - log S:
#   z_j - zhat rounded: 0.5 ulp of d_j, at most 0.5 ulp of the result (|d_j| <= |result|);
#   log S = log1p(rest): rest's terms (EXP_REL + 1) u, amplified by at most 1
#   (d log1p(r) / d log r <= log1p(r)); rest rounded to one float64: 0.5 u (or,
#   for rows whose rest is below 2^-900 and is summed from scaled terms with
#   math.fsum and scaled back: 0.5 u + 0.5 u); log1p LOG1P_REL u; log S <= |result|;
#   the final subtraction rounds: 0.5 ulp. (Adding the low part of rest,
#   rest_lo / (1 + rest), would save 0.5 u and cost a rounding of u: not done.)
_LOG_NORM = (EXP_REL + 1) + 1 + LOG1P_REL + _SUM
_LOG_SOFTMAX64 = 0.5 + 0.5 + _LOG_NORM
# float64 logsumexp = zhat + log S: log S's error as above (log S <= the scale),
# and the final addition rounds: 0.5 ulp of the result (<= the scale).
_LOGSUMEXP64 = 0.5 + _LOG_NORM
# float16/float32 input is computed in float64 and rounded once: the float64
# value has a relative error below 200 u for L <= 10^6 (z_j - zhat rounded,
# amplified by |z_j - zhat| <= 104 where the result is nonzero in float32;
# exp, the plain float64 sum (< 60 roundings), the reciprocal and the product;
# or log1p and the subtraction), 200 * 2^-53 < 2^-21 of the float32 unit
# roundoff 2^-24 relative, so the result is within 0.5 + 2^-21 ulp: faithful,
# and correctly rounded except when the exact value lies within 2^-21 ulp of
# a midpoint (the float64 value is rounded a second time).
_NARROW = 0.5 + 2.0**-21
# softmax_jvp / softmax_vjp, float64, |err_j| <= c u a_j D_j, D_j = sum_i a_i |v_j - v_i|
# (the derivation, step by step, is in softmax_jvp's docstring):
#   the computed a_i have a relative error of at most beta = 2 * _SOFTMAX64 u
#   (ulps to relative: ulp(y) <= 2 u |y|); with x_i = v_i - v_k exact and
#   mu' = sum_i a_i x_i, the first mean's error nu cancels to first order;
#   the second mean, summed nearly error-free (numerics._split_sum), is off by
#   (beta + 3) u A, A = sum_i a_i |x_i - mu'| <= 2 D_j; the centred entry
#   costs 2 u |x_j - mu'|, the last difference and product u each and a_j's
#   error beta: (beta + 4) u |x_j - mu'| <= (beta + 4) u D_j. In all
#   3 beta + 10, plus 0.01 for the second-order terms (below 10^-8 for
#   L <= 10^4) and the split sum's remainders (below 4 * 10^-6).
_ALPHA = 2 * _SOFTMAX64
_JVP = 3 * _ALPHA + 10 + 0.01


class Promise(NamedTuple):
    """One promised bound: ``function`` in ``dtype`` is within ``bound`` ``unit``."""

    function: str
    dtype: str
    bound: float
    unit: str
    faithful: bool
    note: str


def _ceil2(x: float) -> float:
    """Round up to two decimals (the table prints what it promises)."""
    return math.ceil(x * 100 - 1e-9) / 100


_RESULT = "ulp of the result"
_SCALE = "ulp of max(|zhat|, |LSE|, LSE - zhat)"

#: Every promise of the package, one per function and dtype, in the book's order.
PROMISES: tuple[Promise, ...] = (
    Promise(
        "softmax",
        "float64",
        _ceil2(_SOFTMAX64),
        _RESULT,
        False,
        "each entry; 2 (exp + 1) + 1.5 + sums",
    ),
    Promise("softmax", "float32", _NARROW, _RESULT, True, "computed in float64, rounded once more"),
    Promise("softmax", "float16", _NARROW, _RESULT, True, "computed in float64, rounded once more"),
    Promise(
        "log_softmax",
        "float64",
        _ceil2(_LOG_SOFTMAX64),
        _RESULT,
        False,
        "each entry; 1 + (exp + 1) + log1p + 1",
    ),
    Promise(
        "log_softmax", "float32", _NARROW, _RESULT, True, "computed in float64, rounded once more"
    ),
    Promise(
        "log_softmax", "float16", _NARROW, _RESULT, True, "computed in float64, rounded once more"
    ),
    Promise(
        "logsumexp",
        "float64",
        _ceil2(_LOGSUMEXP64),
        _SCALE,
        False,
        "absolute: zhat and log S may cancel",
    ),
    Promise(
        "logsumexp", "float32", _NARROW, _SCALE, True, "computed in float64, rounded once more"
    ),
    Promise(
        "logsumexp", "float16", _NARROW, _SCALE, True, "computed in float64, rounded once more"
    ),
    Promise(
        "softmax_jvp",
        "float64",
        _ceil2(_JVP),
        "u a_j sum_i a_i |v_j - v_i|",
        False,
        "componentwise, L <= 10^4; plus 6.53 * 2^-1074 (D_j + a_j sum_i |v_i - mu|) + 2^-1075",
    ),
)


def promise(function: str, dtype: DTypeLike = np.float64) -> Promise:
    """The promised accuracy of ``function`` (a name in :data:`PROMISES`) for ``dtype``.

    ``softmax_vjp`` has the promise of ``softmax_jvp`` (the Jacobian is
    symmetric: the same formula).

    Parameters
    ----------
    function : str
        ``"softmax"``, ``"log_softmax"``, ``"logsumexp"``, ``"softmax_jvp"`` or
        ``"softmax_vjp"``.
    dtype : float16, float32 or float64, default float64

    Returns
    -------
    Promise
        With ``bound`` in ``unit``.

    Raises
    ------
    ValueError
        If no promise is stated for that function and dtype.
    TypeError
        If ``function`` is not a str or ``dtype`` is not a dtype.

    Examples
    --------
    >>> from softmaxlab import promise
    >>> p = promise("log_softmax", "float32")
    >>> p.faithful, p.bound < 0.5000005
    (True, True)
    >>> promise("softmax").unit
    'ulp of the result'
    """
    if not isinstance(function, str):
        raise TypeError(f"function must be a str, got {type(function).__name__}")
    try:
        name = np.dtype(dtype).name
    except TypeError:
        raise TypeError(f"dtype must be float16, float32 or float64, got {dtype!r}") from None
    key = "softmax_jvp" if function == "softmax_vjp" else function
    for p in PROMISES:
        if p.function == key and p.dtype == name:
            return p
    known = sorted({f"{p.function}/{p.dtype}" for p in PROMISES})
    raise ValueError(f"no accuracy promise for {function} in {name}; known: {', '.join(known)}")


def promise_table() -> str:
    """The table of :data:`PROMISES` as aligned text (for the README and chapter 5).

    Examples
    --------
    >>> from softmaxlab import promise_table
    >>> print(promise_table().splitlines()[0])
    function     dtype    bound                  unit
    """
    lines = [f"{'function':<13}{'dtype':<9}{'bound':<23}unit"]
    for p in PROMISES:
        bound = f"{p.bound:.8f}"[:10] if p.faithful else f"{p.bound:g}"
        label = bound + (" (faithful)" if p.faithful else "")
        lines.append(f"{p.function:<13}{p.dtype:<9}{label:<23}{p.unit}")
    return "\n".join(lines)


def online_bound(length: int, dtype: DTypeLike = np.float64) -> float:
    r"""The promised error of :func:`softmaxlab.online_softmax` on ``length`` logits, in ulps.

    The stream reads one logit at a time, :math:`d' = d\,e^{m - m'} + e^{x - m'}`
    (work in float64). Each step multiplies the partial sum by a rescaling
    factor with a relative error of at most ``EXP_REL + 1`` u (the exponential,
    and the folded-in rounding error of :math:`m - m'`) and rounds a product
    and a sum: ``EXP_REL + 3`` u per step, so the final normaliser is within
    ``L (EXP_REL + 3)`` u (the leaf terms' own ``EXP_REL + 1`` u included).
    The output :math:`e^{z_j - m} / d` adds ``EXP_REL + 1`` u, a rounded
    quotient (u) and half an ulp:

    .. math::

        0.5 + (\mathrm{EXP\_REL} + 2) + L\,(\mathrm{EXP\_REL} + 3) \text{ ulp},

    for float64 (first order: valid while this is far below :math:`2^{52}`).
    For float16/float32 logits the float64 result is rounded once more: half an
    ulp plus that many float64 ulps scaled by :math:`2^{-29}` (float32) or
    :math:`2^{-42}` (float16). The bound grows with :math:`L` because every
    step rounds; :func:`softmaxlab.softmax` sums without error and does not.

    Parameters
    ----------
    length : int
        The slice's length :math:`L \ge 1`.
    dtype : float16, float32 or float64, default float64
        The logits' dtype (the result's).

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``length < 1``.
    TypeError
        If ``dtype`` is not a supported float.

    Examples
    --------
    >>> from softmaxlab import online_bound
    >>> online_bound(2)  # 0.5 + 3.5 + 2 * 4.5
    13.0
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise TypeError(f"length must be an int, got {type(length).__name__}")
    if length < 1:
        raise ValueError(f"length={length} is too small; expected an integer >= 1")
    name = np.dtype(dtype).name
    wide = 0.5 + (EXP_REL + 2) + int(length) * (EXP_REL + 3)
    if name == "float64":
        return wide
    if name in ("float32", "float16"):
        return 0.5 + wide * 2.0 ** -(29 if name == "float32" else 42)
    raise TypeError(f"dtype must be float16, float32 or float64, got {name}")


def chunked_bound(
    length: int, chunk_size: int, dtype: DTypeLike = np.float64, *, height: int | None = None
) -> float:
    r"""The promised error of :func:`softmaxlab.chunked_softmax` (float64 work), in ulps.

    Derived as :func:`online_bound` is, with the chunks in place of single
    logits. With :math:`b = \min(\text{chunk\_size}, L)` and
    :math:`n = \lceil L / b \rceil` chunks:

    * each chunk's normaliser is a sum of at most :math:`b` terms
      :math:`e^{z_k - m_c}`, each within ``EXP_REL + 1`` u (the exponential
      and the folded-in rounding error of :math:`z_k - m_c`), summed with at
      most :math:`b - 1` roundings (positive terms: the sum's relative error
      is at most :math:`(b - 1) u` in any order);
    * each merge on a chunk's path to the root multiplies its normaliser by a
      factor :math:`e^{m_c - M}` within ``EXP_REL + 1`` u and rounds a product
      and a sum: ``EXP_REL + 3`` u; a path has at most ``height`` merges,
      :math:`n - 1` for any order (the default), :math:`\lceil \log_2 n
      \rceil` for ``order="tree"``;
    * the output :math:`e^{z_j - m} / d` adds, as in :func:`online_bound`,
      ``EXP_REL + 2`` u and half an ulp.

    .. math::

        0.5 + (\mathrm{EXP\_REL} + 2) + (\mathrm{EXP\_REL} + 1)

        + (b - 1) + h\,(\mathrm{EXP\_REL} + 3) \text{ ulp}.

    ``chunk_size = 1`` with ``height = L - 1`` is at most :func:`online_bound`
    (the stream is the left fold of one-logit chunks). For float16/float32
    logits the float64 result is rounded once more, as in :func:`online_bound`.

    Parameters
    ----------
    length : int
        The slice's length :math:`L \ge 1`.
    chunk_size : int
        Entries per chunk, at least 1.
    dtype : float16, float32 or float64, default float64
        The logits' dtype (the result's); the work is float64.
    height : int, optional
        The most merges on any chunk's path to the root; default :math:`n - 1`.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If a size is not an int or ``dtype`` is not a supported float.
    ValueError
        If ``length`` or ``chunk_size`` is below 1, or ``height`` is negative
        or more than :math:`n - 1`.

    Examples
    --------
    >>> from softmaxlab.promises import chunked_bound
    >>> chunked_bound(1000, 1000)  # one chunk: the three-pass softmax, 999 roundings
    1005.5
    >>> chunked_bound(1000, 100, height=4)  # ten chunks merged as a balanced tree
    123.5
    """
    sizes = {"length": length, "chunk_size": chunk_size}
    if height is not None:
        sizes["height"] = height
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if length < 1 or chunk_size < 1:
        raise ValueError(f"length={length} and chunk_size={chunk_size}: both must be integers >= 1")
    b = min(int(chunk_size), int(length))
    n = -(-int(length) // b)
    h = n - 1 if height is None else int(height)
    if not 0 <= h <= n - 1:
        raise ValueError(f"height={height} is impossible for {n} chunks; expected 0 to {n - 1}")
    wide = 0.5 + (EXP_REL + 2) + (EXP_REL + 1) + (b - 1) + h * (EXP_REL + 3)
    name = np.dtype(dtype).name
    if name == "float64":
        return wide
    if name in ("float32", "float16"):
        return 0.5 + wide * 2.0 ** -(29 if name == "float32" else 42)
    raise TypeError(f"dtype must be float16, float32 or float64, got {name}")
