r"""Softmax, log-softmax and log-sum-exp, computed stably.

Every function here normalises along one axis of an array of logits ``z`` of
any shape. The book's notation: for a vector :math:`z \in \mathbb{R}^L`,

.. math::

    a_j = \operatorname{softmax}(z)_j = \frac{e^{z_j}}{\sum_{k=1}^{L} e^{z_k}},
    \qquad
    \operatorname{LSE}(z) = \log \sum_{k=1}^{L} e^{z_k}.

Three formulas for the same function are kept side by side, because the book
compares them:

* :func:`softmax_naive` exponentiates ``z`` directly and overflows;
* :func:`softmax_shifted` subtracts the maximum first (the textbook fix);
* :func:`softmax` is the accurate version that the rest of the package uses.

:mod:`softmaxlab.exact` and :mod:`softmaxlab.ulps` measure all of them against an exact reference.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from typing import Any, NamedTuple, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import logits

__all__ = ["log_softmax", "logsumexp", "softmax", "softmax_naive", "softmax_shifted"]


# ------------------------------------------------------------------ kernels ----
#
# One kernel (_kernel) serves softmax, log_softmax and logsumexp. It views the
# logits as a matrix X of shape (rows, L), one slice per row, and walks over it
# in blocks of about _BLOCK elements (several whole rows when L is short,
# chunks of _COLS columns of one row when L is long), so that the dozen
# elementwise passes of a block run from cache. For float64 input, in three
# phases:
#
# A. Per block:
#    1. d + e = z - zhat exactly (Knuth's TwoSum, _two_sum; Fast2Sum, three
#       operations instead of six, for rows where it is exact), so the
#       exponential is taken of the exact difference: e^(d + e) = e^d (1 + e)
#       to within e^2/2 < 10^-26 (|e| <= ulp(d)/2 <= 2^-43 wherever e^d is not 0).
#    2. t = e^d (1 + e), formed as e^d + e^d e (softmax keeps t in its output,
#       log_softmax keeps d there).
#    3. The sum of t without one maximal term (exactly 1), split error-free
#       (after Rump, Ogita and Oishi) on one fixed scale, 2^(bitlength(cols) + 1),
#       with no per-row max and no per-row broadcast: see _block_sums_wide.
# B. Once, on (rows, 1) arrays: rest + rest_lo, the normalised sum. Rare rows
#    are redone (_fix_rows): a NaN sum beside a finite maximum (-inf entries,
#    or differences beyond float64's range); a rest below _fixed_sigma_floor,
#    split again on its own scale, so that a tiny rest keeps every digit
#    log1p needs; and, in log space, a rest below 2^-900, whose subnormal terms
#    have no relative accuracy.
# C. One pass: softmax multiplies t by fl(1 / (1 + rest + rest_lo)), formed
#    within u (1 + 7u) (_reciprocal); log_softmax subtracts log1p(rest) from
#    d. logsumexp adds log1p(rest) to zhat.
#
# float16 and float32 input is computed in float64 without steps 1 and 3
# (float64 carries 29 or more spare bits, so its plain rounding errors are far
# below half an ulp of the input's dtype), each block finished while in
# cache; the maximal term is left out of the sum by its index. The bounds
# this gives are derived in softmaxlab.promises.
#
# The summation order along a row is fixed by _COLS alone (np.sum of each
# chunk, chunks added left to right), and every per-row decision depends on
# the row alone, so how many rows a block holds (_BLOCK) changes no result,
# bit for bit.

#: Elements per block: a block of logits and its four float64 work arrays, 256 KiB each.
_BLOCK = 1 << 15
#: Columns per chunk of a long row; fixes the order in which a row is summed.
_COLS = 1 << 15
#: Roundings per term of NumPy's pairwise sum of a chunk (at most 16 + 3 + log2(_COLS / 128))
#: plus the sequential sum over at most 31 chunks (L <= 10^6), rounded up.
_SMALL_SUM_ROUNDINGS = 60
#: Below this, the rest of a row is recomputed from scaled terms (subnormal terms).
_TINY_REST = 2.0**-900
#: e^-512 as a sum of two float64 numbers (computed with mpmath at 60 digits).
_EXP_M512 = (float.fromhex("0x1.44109edb20931p-739"), float.fromhex("0x1.68e232c6d0cfbp-793"))


_Real = float | np.floating[Any] | np.ndarray
_Out = tuple[np.ndarray, np.ndarray, np.ndarray]


@overload
def _two_sum(a: np.ndarray, b: _Real, out: _Out | None = None) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _two_sum(a: _Real, b: np.ndarray, out: _Out | None = None) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def _two_sum(a: float, b: float, out: None = None) -> tuple[float, float]: ...
def _two_sum(a: _Real, b: _Real, out: _Out | None = None) -> tuple[_Real, _Real]:
    """Knuth's TwoSum: ``s + err == a + b`` exactly, ``s = fl(a + b)``.

    The package's one TwoSum (the online normaliser calls it too). Works on
    scalars and on broadcasting arrays; ``out = (s, err, scratch)`` gives
    three distinct buffers of the result's shape (none of them ``a`` or ``b``)
    so that a kernel allocates nothing. The intermediates ``s - a`` and
    ``s - (s - a)`` are near ``b`` and ``a``; they can only overflow when
    ``a + b`` itself is beyond float64's range or next to it, and then
    ``err`` is NaN (the kernel's callers replace it where they need to).
    """
    if out is None:
        s = a + b
        bv = s - a
        return s, (a - (s - bv)) + (b - bv)
    s, err, tmp = out
    np.add(a, b, out=s)
    bv = np.subtract(s, a, out=tmp)
    av = np.subtract(s, bv, out=err)
    np.subtract(a, av, out=err)
    np.subtract(b, bv, out=tmp)
    err += tmp
    return s, err


def _split_sum(p: np.ndarray, axis: int) -> np.ndarray:
    """``sum(p, axis, keepdims=True)`` of float64 terms of any sign, nearly error-free.

    Rump, Ogita and Oishi's extraction: with ``2^e >= max |p|`` and ``sigma
    = 2^(e + bitlength(L) + 1)``, ``q = (p + sigma) - sigma`` and ``r = p -
    q`` are exact, the ``q`` are multiples of ``ulp(sigma) / 2`` whose sum is
    exact in any order, and ``|r| <= ulp(sigma) / 2``. NumPy's pairwise sum of
    the ``r`` (at most ``g`` roundings each) is then off by at most ``g u L
    2^(bitlength(L) + 1 - 52) max|p|``, and the result by that plus one
    rounding, ``u |sum|``: for ``L <= 10^4`` and ``g <= 24``, below ``2 *
    10^-6 u sum |p|``, where the plain sum's bound is ``g u sum |p|``.
    Where ``sigma`` would overflow (``max |p|`` near float64's limit), the
    plain sum is returned.
    """
    length = p.shape[axis]
    amax = np.max(np.abs(p), axis=axis, keepdims=True)
    one = np.ones((), dtype=p.dtype)  # sigma in p's dtype: no promotion
    sigma = np.ldexp(one, np.frexp(amax)[1] + int(length).bit_length() + 1)
    with np.errstate(over="ignore", invalid="ignore"):
        q = (p + sigma) - sigma
        split = np.sum(q, axis=axis, keepdims=True) + np.sum(p - q, axis=axis, keepdims=True)
    return np.where(np.isfinite(sigma), split, np.sum(p, axis=axis, keepdims=True))


def _terms(
    xb: np.ndarray,
    neg_m: np.ndarray,
    bufs: list[np.ndarray],
    target: np.ndarray,
    kind: int,
    d_out: np.ndarray | None = None,
) -> np.ndarray:
    """``target = e^(x - m) (1 + e)`` for a float64 block, ``e`` the exact error of ``fl(x - m)``.

    ``bufs`` are two work arrays of the block's shape. ``kind`` says how ``e``
    is found, all three exactly: 0, TwoSum; 1, Fast2Sum with ``x`` first
    (every row has ``m <= 0``, so ``|x| >= |m|``); 2, Fast2Sum with ``-m``
    first (every row has ``m > 0`` and every ``x`` an exponent at most
    ``m``'s); 3, TwoSum with ``e`` replaced by 0 where it is not finite. Where
    ``x - m`` is ``-inf`` or near float64's limit, ``e`` can be NaN
    (``-inf - (-inf)``, or an overflowing intermediate) while ``e^d = 0``;
    the caller redoes such slices with kind 3, so the common case pays
    nothing for them. ``neg_m`` is ``-m`` of shape (rows, 1) or already
    broadcast to the block's shape (NumPy's loops over a stride-0 column are
    about twice as slow as over a full array, so a kernel that uses ``-m``
    twice fills one first). ``d_out``, when given, receives ``d = fl(x - m)``
    (log_softmax's first term); otherwise ``d`` is formed in ``target``.
    """
    d_buf = target if d_out is None else d_out
    if kind == 1:  # Fast2Sum(x, -m): d = x - m, e = -m - (d - x)
        d = np.add(xb, neg_m, out=d_buf)
        e = np.subtract(d, xb, out=bufs[0])
        np.subtract(neg_m, e, out=e)
    elif kind == 2:  # Fast2Sum(-m, x): d = x - m, e = x - (d + m)
        d = np.add(xb, neg_m, out=d_buf)
        e = np.subtract(d, neg_m, out=bufs[0])
        np.subtract(xb, e, out=e)
    else:
        d, e = _two_sum(neg_m, xb, out=(d_buf, bufs[0], bufs[1]))
        if kind == 3:
            np.copyto(e, 0.0, where=~np.isfinite(e))
    t = np.exp(d, out=target)
    np.multiply(t, e, out=e)
    return np.add(t, e, out=t)


def _fast_kinds(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per row of ``x``, the Fast2Sum exact for ``x - m`` (1 or 2), or 0 for TwoSum.

    Fast2Sum(a, b) is exact when the exponent of ``a`` is at least that of
    ``b`` (Dekker, 1971). For ``m <= 0`` every ``x <= m`` has ``|x| >= |m|``
    (kind 1). For ``m > 0`` with ``m = f 2^k``, ``1/2 <= f < 1``, every ``x``
    in ``(-2^k, m]`` has an exponent at most ``m``'s (kind 2).
    """
    kinds = np.where(m[:, 0] <= 0, 1, 0)
    positive = m[:, 0] > 0
    if positive.any():
        low = np.min(x, axis=1)
        limit = np.ldexp(1.0, np.frexp(m[:, 0])[1])
        kinds[positive & (low > -limit)] = 2
    return kinds


def _block_kind(kinds: np.ndarray) -> tuple[int, np.ndarray]:
    """How a row block finds the errors of ``x - m``: one kind for the block, and rows to redo.

    A block whose rows all have one kind uses it. Otherwise, when at least
    three rows in four share a Fast2Sum kind (1 or 2), the block uses that
    kind and the other rows are redone with TwoSum (``redo``, their indices):
    a few rows of large negative logits no longer cost the whole block the
    six-operation TwoSum. Else the block uses TwoSum. Every kind gives the
    exact error, so the choice changes no result, bit for bit.
    """
    counts = np.bincount(kinds, minlength=4)
    first = int(kinds[0])
    if counts[first] == kinds.size:
        return first, _NO_ROWS
    fast = 1 + int(np.argmax(counts[1:3]))
    if 4 * counts[fast] >= 3 * kinds.size:
        return fast, np.flatnonzero(kinds != fast)
    return 0, _NO_ROWS


_NO_ROWS = np.empty(0, dtype=np.intp)


def _block_sums_wide(
    x: np.ndarray,
    m: np.ndarray,
    kstar: np.ndarray,
    kinds: np.ndarray,
    target: np.ndarray | None,
    work: list[np.ndarray],
    *,
    fixed: bool = False,
    d_out: np.ndarray | None = None,
    normalise: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """``rest + rest_lo = sum_{k != k*} e^(x_k - m)(1 + e_k)`` per row of a float64 row block ``x``.

    The split sum, chunk by chunk: with ``tmax`` a power of two at least the
    chunk's largest term (the maximal term ``k*`` set aside) and ``sigma =
    2^(bitlength(cols) + 1) tmax``, the leading parts ``q = (t + sigma) -
    sigma`` are multiples of ``ulp(sigma)`` whose sum over the chunk is exact
    in any order, and the remainders ``r = t - q`` are exact and below
    ``ulp(sigma) / 2``. The chunks' exact leading sums are accumulated with
    TwoSum. Two choices of ``tmax``:

    * ``fixed=False``: the chunk's largest term, rounded up to a power of two
      (a max pass per chunk). The remainders are about ``2^-36`` of ``tmax``,
      so their sum's rounding errors are far below ``u`` times the rest,
      however small the rest is.
    * ``fixed=True``: ``tmax = 1`` (every term is at most 1), one scalar
      ``sigma`` for every row: no max pass, no per-row broadcast. The
      remainders' sum then has an absolute error below ``_SMALL_SUM_ROUNDINGS
      u L ulp(sigma) / 2``, which is below ``u`` times the rest / 100 only when
      the rest is at least :func:`_fixed_sigma_floor`; the caller redoes the
      rows below it with ``fixed=False``.

    ``target`` (shape of ``x``, float64) receives the terms when given (with
    1 at ``k*``); ``d_out`` (shape of ``x``) receives ``fl(x - m)`` when
    given; ``work`` holds four float64 arrays of at least a chunk's shape.
    With ``normalise=False`` the two parts are returned as summed (``hi``
    exact, ``lo`` far smaller), for the caller to pass through TwoSum once
    for all rows.
    """
    rows, length = x.shape
    cols = min(length, _COLS)
    bits = int(cols).bit_length() + 1
    neg_m = -m
    kind, redo = _block_kind(kinds)
    hi = np.zeros((rows, 1))
    lo = np.zeros((rows, 1))
    small = np.zeros((rows, 1))
    full_neg_m = None
    if rows > 1 and kind in (1, 2):  # -m is used twice per element: broadcast it once
        full_neg_m = work[3][:rows, :cols]
        np.copyto(full_neg_m, neg_m)
    for c0 in range(0, length, cols):
        c1 = min(length, c0 + cols)
        bufs = [w[:rows, : c1 - c0] for w in work]
        into = bufs[2] if target is None else target[:, c0:c1]
        nm = neg_m if full_neg_m is None else full_neg_m[:, : c1 - c0]
        dd = None if d_out is None else d_out[:, c0:c1]
        t = _terms(x[:, c0:c1], nm, bufs[:2], into, kind, dd)
        if redo.size:  # the few rows the block's Fast2Sum does not fit: TwoSum
            w = c1 - c0
            t_r, d_r = np.empty((redo.size, w)), None if dd is None else np.empty((redo.size, w))
            scratch = [np.empty((redo.size, w)) for _ in range(2)]
            t[redo] = _terms(x[redo, c0:c1], neg_m[redo], scratch, t_r, 0, d_r)
            if dd is not None:
                dd[redo] = d_r
        if cols == length:
            at: tuple[np.ndarray, np.ndarray] = (_arange(rows), kstar)
        else:
            here = np.flatnonzero((kstar >= c0) & (kstar < c1))
            at = (here, kstar[here] - c0)
        t[at] = 0.0  # the maximal term, exactly 1, is set aside
        if fixed:
            sigma: float | np.ndarray = math.ldexp(1.0, bits)
        else:
            sigma = np.ldexp(1.0, np.frexp(np.max(t, axis=1, keepdims=True))[1] + bits)
        q = np.add(t, sigma, out=bufs[0])
        q -= sigma
        if cols == length:  # one chunk: its leading sum is exact, nothing to accumulate
            hi = np.sum(q, axis=1, keepdims=True)
        else:
            hi, err = _two_sum(hi, np.sum(q, axis=1, keepdims=True))
            lo += err
        np.subtract(t, q, out=q)
        small += np.sum(q, axis=1, keepdims=True)
        t[at] = 1.0
    if not normalise:
        return hi, lo + small
    return _two_sum(hi, lo + small)


_ARANGE = np.arange(_BLOCK)


def _arange(n: int) -> np.ndarray:
    """``np.arange(n)``, a view of one array made once when ``n <= _BLOCK``."""
    return _ARANGE[:n] if n <= _ARANGE.size else np.arange(n)


def _fixed_sigma_floor(length: int) -> float:
    """The smallest rest that :func:`_block_sums_wide` sums accurately with ``fixed=True``.

    With ``sigma = 2^bits``, ``bits = bitlength(cols) + 1``, every remainder is
    at most ``ulp(sigma) / 2 = 2^(bits - 53)``; NumPy's pairwise sum of a
    chunk and the chunks' sequential sum make at most ``_SMALL_SUM_ROUNDINGS``
    roundings per remainder, so the remainders' sum is off by at most
    ``_SMALL_SUM_ROUNDINGS u L 2^(bits - 53)``. That is at most ``u rest /
    100`` when ``rest >= 100 _SMALL_SUM_ROUNDINGS L 2^(bits - 53)``: the
    error the promises budget for the split sum (``promises._SUM``, 0.03 u)
    then covers it.
    """
    bits = int(min(length, _COLS)).bit_length() + 1
    return 100.0 * _SMALL_SUM_ROUNDINGS * length * math.ldexp(1.0, bits - 53)


def _block_sums_narrow(
    x: np.ndarray, m: np.ndarray, kstar: np.ndarray, target: np.ndarray | None, work: np.ndarray
) -> np.ndarray:
    """``sum_{k != k*} e^(x_k - m)`` per row of a float16/float32 row block, in float64."""
    rows, length = x.shape
    cols = min(length, _COLS)
    rest = np.zeros((rows, 1))
    for c0 in range(0, length, cols):
        c1 = min(length, c0 + cols)
        t = work[:rows, : c1 - c0] if target is None else target[:, c0:c1]
        np.subtract(x[:, c0:c1], m, out=t)
        np.exp(t, out=t)
        here = np.flatnonzero((kstar >= c0) & (kstar < c1))
        at = (here, kstar[here] - c0)
        t[at] = 0.0  # leave the maximal term out of the sum
        rest += np.sum(t, axis=1, keepdims=True)
        t[at] = 1.0
    return rest


_SOFTMAX, _LOG_SOFTMAX, _LOGSUMEXP = 0, 1, 2


class _Slices(NamedTuple):
    """What the kernel knows about every slice (row) of ``x``; (rows, 1) arrays but ``kstar``.

    ``rest + rest_lo`` is ``sum_{k != k*} e^(z_k - zhat)``, filled in block by block.
    """

    kstar: np.ndarray  # (rows,): an index of the maximum
    m: np.ndarray  # zhat
    m0: np.ndarray  # zhat where finite, else 0 (no inf - inf is formed)
    finite: np.ndarray  # where zhat is finite; elsewhere the slice is undefined
    rest: np.ndarray
    rest_lo: np.ndarray


def _kernel(x: np.ndarray, mode: int) -> np.ndarray:
    """softmax or log_softmax (``x``'s shape and dtype), or logsumexp ((rows,)), of ``x``'s rows.

    ``x`` is a C-contiguous (rows, L) matrix, one slice per row, float64 or
    narrower. float64 runs in three phases: (A) over blocks of about
    ``_BLOCK`` elements, the terms (softmax: in the output), ``d = fl(z -
    zhat)`` (log_softmax: in the output) and the split sums; (B) once for all
    rows, the rare rows redone and the normaliser; (C) one pass that
    multiplies by the reciprocal (softmax) or subtracts the log (log_softmax).
    Per-row arithmetic thus runs once on (rows, 1) arrays, not once per
    block. Narrower input finishes each block while it is in cache.
    """
    rows, length = x.shape
    cols = min(length, _COLS)
    per = max(1, min(rows, _BLOCK // cols))
    kstar = np.argmax(x, axis=1)
    m = x[_arange(rows), kstar][:, None].astype(np.float64)
    finite = np.isfinite(m)
    m0 = np.where(finite, m, 0.0)
    sl = _Slices(kstar, m, m0, finite, np.empty((rows, 1)), np.zeros((rows, 1)))
    out = None if mode == _LOGSUMEXP else np.empty(x.shape, dtype=x.dtype)
    if x.dtype != np.float64:
        return _kernel_narrow(x, mode, sl, out, per)
    kinds = _fast_kinds(x, m0)
    work = [np.empty((per, cols)) for _ in range(4)]
    store = out if mode == _SOFTMAX else None  # softmax keeps the terms in its output
    d_store = out if mode == _LOG_SOFTMAX else None  # log_softmax keeps d there
    for r0 in range(0, rows, per):  # phase A
        rs = slice(r0, min(rows, r0 + per))
        sl.rest[rs], sl.rest_lo[rs] = _block_sums_wide(
            x[rs],
            m0[rs],
            kstar[rs],
            kinds[rs],
            None if store is None else store[rs],
            work,
            fixed=True,
            d_out=None if d_store is None else d_store[rs],
            normalise=False,
        )
    # phase B
    sl.rest[:], sl.rest_lo[:] = _two_sum(sl.rest, sl.rest_lo)
    _fix_rows(x, sl, kinds, store, work, log_space=mode != _SOFTMAX)
    if mode == _LOGSUMEXP:
        return np.where(finite, m + np.log1p(np.where(finite, sl.rest, 0.0)), m)[:, 0]
    assert out is not None
    if mode == _SOFTMAX:  # phase C: a = t * fl(1 / S), S = 1 + rest + rest_lo
        s_hi, s_lo = _two_sum(1.0, sl.rest)
        out *= np.where(finite, _reciprocal(s_hi, s_lo + sl.rest_lo), np.nan)
    else:  # phase C: log a = d - log1p(rest)
        out -= np.where(finite, np.log1p(np.where(finite, sl.rest, 0.0)), np.nan)
    return out


def _kernel_narrow(
    x: np.ndarray, mode: int, sl: _Slices, out: np.ndarray | None, per: int
) -> np.ndarray:
    """:func:`_kernel` for float16/float32 rows, computed in float64."""
    rows, length = x.shape
    cols = min(length, _COLS)
    one_pass = cols == length
    work = [np.empty((per, cols)) for _ in range(2)]
    store = None  # where softmax keeps the terms e^(z - zhat) (float64)
    if mode == _SOFTMAX:
        store = work[1] if one_pass else np.empty(x.shape)
    for r0 in range(0, rows, per):
        rs = slice(r0, min(rows, r0 + per))
        n = rs.stop - r0
        terms = None if store is None else (store[:n] if store is work[1] else store[rs])
        sl.rest[rs] = _block_sums_narrow(x[rs], sl.m0[rs], sl.kstar[rs], terms, work[0])
        if one_pass and out is not None:
            _finish_narrow(x, rs, sl, out, terms, mode, work[0])
    if mode == _LOGSUMEXP:
        finite = sl.finite
        return np.where(finite, sl.m + np.log1p(np.where(finite, sl.rest, 0.0)), sl.m)[:, 0]
    assert out is not None
    if not one_pass:
        for r0 in range(0, rows, per):
            rs = slice(r0, min(rows, r0 + per))
            _finish_narrow(x, rs, sl, out, None if store is None else store[rs], mode, work[0])
    return out


def _fix_rows(
    x: np.ndarray,
    sl: _Slices,
    kinds: np.ndarray,
    terms: np.ndarray | None,
    work: list[np.ndarray],
    log_space: bool,
) -> None:
    """The rare float64 slices: NaN sums redone, small rests re-split, subnormal rests rescaled."""
    m0, kstar, finite, rest, rest_lo = sl.m0, sl.kstar, sl.finite, sl.rest, sl.rest_lo
    floor = _fixed_sigma_floor(x.shape[1])
    per = work[0].shape[0]  # rows per redo, as many as the work arrays hold
    if not np.any(finite & ~(rest >= floor)):  # the common case: nothing to redo
        return
    # A sum that is NaN although zhat is finite comes from -inf entries or
    # differences beyond float64's range (a NaN rounding error beside e^d = 0):
    # redo those rows with the error cleaned.
    bad = np.flatnonzero(finite[:, 0] & np.isnan(rest[:, 0]))
    for chunk in np.array_split(bad, max(1, -(-bad.size // per))):
        if chunk.size:
            redo = None if terms is None else np.empty((chunk.size, x.shape[1]))
            rest[chunk], rest_lo[chunk] = _block_sums_wide(
                x[chunk], m0[chunk], kstar[chunk], np.full(chunk.size, 3), redo, work
            )
            if terms is not None:
                terms[chunk] = redo
    # A rest below the fixed split's floor is split again on its own scale
    # (the terms do not change, only how their sum is formed).
    low = np.flatnonzero(finite[:, 0] & (rest[:, 0] < floor))
    low = np.setdiff1d(low, bad, assume_unique=True)
    for chunk in np.array_split(low, max(1, -(-low.size // per))):
        if chunk.size:
            rest[chunk], rest_lo[chunk] = _block_sums_wide(
                x[chunk], m0[chunk], kstar[chunk], kinds[chunk], None, work
            )
    if log_space:
        for k in np.flatnonzero(finite[:, 0] & (rest[:, 0] < _TINY_REST)):
            rest[k, 0], rest_lo[k, 0] = _scaled_rest(x[k], float(m0[k, 0]))


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Veltkamp's split: ``hi + lo == a`` exactly, each of at most 26 bits (``|a| < 2^995``)."""
    c = a * 134217729.0  # 2^27 + 1
    hi = c - (c - a)
    return hi, a - hi


def _reciprocal(s_hi: np.ndarray, s_lo: np.ndarray) -> np.ndarray:
    """``1 / (s_hi + s_lo)`` within ``u (1 + 7u)``, for ``1 <= s_hi <= 2^52``, ``|s_lo| <= u s_hi``.

    ``r = fl(1 / s_hi)``; Dekker's product gives ``p + pe = r s_hi``
    exactly (no FMA needed); ``rho = ((1 - p) - pe) - r s_lo`` is ``1 - r S``
    to within ``3u |rho| + u^2``, ``1 - p`` exactly (Sterbenz: ``p`` is within
    ``2u`` of 1) and ``|rho| <= 2u``; then ``1/S = r (1 + rho + rho^2 + ...)``
    and ``fl(r + r rho)`` rounds once, the rest being ``O(u^2)``.
    """
    r = 1.0 / s_hi
    p = r * s_hi
    rh, rl = _split(r)
    sh, sl_ = _split(s_hi)
    pe = ((rh * sh - p) + rh * sl_ + rl * sh) + rl * sl_
    rho = ((1.0 - p) - pe) - r * s_lo
    return r + r * rho


def _finish_narrow(
    x: np.ndarray,
    rs: slice,
    sl: _Slices,
    out: np.ndarray,
    terms: np.ndarray | None,
    mode: int,
    work: np.ndarray,
) -> None:
    """Write softmax (from float64 terms) or log_softmax for a float16/float32 row block."""
    m0, finite, rest = sl.m0, sl.finite, sl.rest
    length = x.shape[1]
    cols = min(length, _COLS)
    n = rs.stop - rs.start
    if mode == _SOFTMAX:
        # float64 has 29 or more spare bits: a reciprocal and a product cost
        # far less than half an ulp of the result's dtype.
        assert terms is not None
        s_hi = 1.0 + rest[rs]
        inv = np.where(finite[rs], 1.0 / s_hi, np.nan)
        for c0 in range(0, length, cols):
            np.multiply(terms[:, c0 : c0 + cols], inv, out=out[rs, c0 : c0 + cols])
        return
    log_norm = np.where(finite[rs], np.log1p(np.where(finite[rs], rest[rs], 0.0)), np.nan)
    for c0 in range(0, length, cols):
        o = out[rs, c0 : c0 + cols]
        w = np.subtract(x[rs, c0 : c0 + cols], m0[rs], out=work[:n, : o.shape[1]])
        np.subtract(w, log_norm, out=o)


def _scaled_rest(row: np.ndarray, m: float) -> tuple[float, float]:
    """``rest`` of one float64 row whose rest is below 2^-900, from terms scaled by e^512.

    Every term of such a row except the maximal one is below 2^-900, so
    ``d = z - zhat < -623`` and ``d + 512`` is exact (both are multiples of
    ulp(d) and ``|d + 512| < 2^9``) as long as ``d >= -1024``; smaller terms
    are below 2^-1477 and cannot matter. ``e^(d + 512)`` is then a normal
    number with its full precision, where ``e^d`` would be subnormal and lose
    digits; the terms are summed exactly (``math.fsum``) and scaled back by
    e^-512 in two parts.
    """
    d, e = _two_sum(-m, row)
    with np.errstate(invalid="ignore"):
        e = np.where(np.isfinite(e), e, 0.0)
        t = np.exp(d + 512.0)
        t += t * e
    t[d == 0] = 0.0  # the maximal term (d = 0 exactly where z = zhat)
    s = Decimal(math.fsum(t.tolist()))  # the correctly rounded sum
    with localcontext() as ctx:
        ctx.prec = 60
        p = s * (Decimal(_EXP_M512[0]) + Decimal(_EXP_M512[1]))
        hi = float(p)
        return hi, float(p - Decimal(hi))


def _as_rows(arr: np.ndarray, ax: int) -> np.ndarray:
    """The logits as a C-contiguous (rows, L) matrix, one slice per row (a view when possible)."""
    moved = np.moveaxis(arr, ax, -1)
    return np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))


def _from_rows(out: np.ndarray, arr: np.ndarray, ax: int) -> np.ndarray:
    """Undo :func:`_as_rows` for a result of the logits' shape."""
    moved_shape = np.moveaxis(arr, ax, -1).shape
    return np.ascontiguousarray(np.moveaxis(out.reshape(moved_shape), -1, ax))


def softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Softmax along one axis, accurate and overflow-free.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{\sum_k e^{z_k - \hat z}},
        \qquad \hat z = \max_k z_k .

    Subtracting :math:`\hat z` changes nothing mathematically (softmax is
    shift invariant) and keeps every exponential in :math:`(0, 1]`. For
    float64 input three more steps remove the formula's rounding errors that
    matter: the rounding error :math:`e_j` of :math:`d_j = \mathrm{fl}(z_j -
    \hat z)` is recovered exactly (TwoSum, or Fast2Sum where it is exact) and
    folded in as :math:`e^{d_j}(1 + e_j)`; the sum is split without error into
    exact leading parts and small remainders; and the terms are multiplied by
    the reciprocal of the whole sum, formed within :math:`u(1 + 7u)`
    (Dekker's exact product, no FMA needed). The promised
    error (:func:`softmaxlab.promise`, derived in :mod:`softmaxlab.promises`
    assuming that NumPy's ``exp`` has a relative error of at most 1.5 u) is
    6.53 ulp in float64, for every finite input, against hundreds for
    :func:`softmax_shifted`. float16 and float32 input is computed in float64
    (the shifted formula, the maximal term left out of the sum) and rounded
    once to its dtype: within 0.5 + 2^-21 ulp, *faithful* (the float64 value
    is rounded a second time, so correct rounding is not guaranteed). The work
    is O(L): a few passes over blocks of about 32768 elements that stay in
    cache (whole rows, or chunks of one long row).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits: float16, float32, float64 or integers (read as float64).
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape as ``z``; same dtype for floating input, float64 for
        integer input. Entries along ``axis`` are in [0, 1] and sum to one.
        ``-inf`` logits get probability 0. A slice whose maximum is not finite
        (all ``-inf``, any ``+inf``, or any NaN) is undefined and gives NaN.

    Raises
    ------
    TypeError
        If ``z`` holds strings, booleans, complex numbers or objects, or
        ``axis`` is not an int.
    ValueError
        If ``z`` is a scalar, ragged, empty along ``axis``, or ``axis`` is out
        of range.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import softmax
    >>> softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])
    >>> softmax([1000.0, 1000.0])  # no overflow
    array([0.5, 0.5])
    >>> softmax(np.array([0.0, -np.inf], dtype=np.float32))
    array([1., 0.], dtype=float32)
    """
    arr, ax = logits(z, axis)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        return _from_rows(_kernel(_as_rows(arr, ax), _SOFTMAX), arr, ax)


def log_softmax(z: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Logarithm of the softmax, computed without forming the softmax.

    .. math::

        \log a_j = (z_j - \hat z) - \operatorname{log1p}\Big(\sum_{k \ne k^\ast}
        e^{z_k - \hat z}\Big),

    where :math:`k^\ast` is an index of the maximum, whose term
    :math:`e^0 = 1` is taken out of the sum so that ``log1p`` keeps the tiny
    remainder (Blanchard, Higham and Higham, 2021). The terms and their sum are
    formed as in :func:`softmax` (exact remainder of :math:`z_j - \hat z`,
    error-free split of the sum), always in float64; when the remainder is
    below :math:`2^{-900}` (terms in float64's subnormal range, whose rounding
    errors are not relative ones) it is recomputed from the terms scaled by
    :math:`e^{512}`. The two parts of the difference have the same sign, so
    nothing cancels. Promised (:func:`softmaxlab.promise`): 6.03 ulp in
    float64, and 0.5 + 2^-21 ulp (faithful) in float16 and float32.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`. Entries are
        :math:`\le 0`; ``-inf`` logits give ``-inf``; a slice whose maximum is
        not finite gives NaN.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import log_softmax
    >>> log_softmax([0.0, 0.0]).round(6)
    array([-0.693147, -0.693147])
    >>> float(log_softmax([0.0, -800.0])[1])  # log(softmax) would give -inf
    -800.0
    """
    arr, ax = logits(z, axis)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        return _from_rows(_kernel(_as_rows(arr, ax), _LOG_SOFTMAX), arr, ax)


def logsumexp(z: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Log-sum-exp along one axis, :math:`\operatorname{LSE}(z) = \log\sum_k e^{z_k}`.

    Computed as :math:`\hat z + \operatorname{log1p}(\sum_{k \ne k^\ast}
    e^{z_k - \hat z})` in float64 (with the sum formed as in
    :func:`log_softmax`), which neither overflows nor loses the small terms.
    The error is promised in ulps of :math:`\max(|\hat z|,
    |\operatorname{LSE}(z)|, \operatorname{LSE}(z) - \hat z)`: 5.53 in
    float64, 0.5 + 2^-21 in float16 and float32 (:func:`softmaxlab.promise`).
    When :math:`\hat z < 0` and the result is close to 0 the two terms cancel,
    and the *relative* error of a result near 0 can then be large.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to reduce.

    Returns
    -------
    numpy.ndarray
        ``z``'s shape without ``axis``; same dtype rule as :func:`softmax`.
        All ``-inf`` gives ``-inf``; any ``+inf`` gives ``+inf``; NaN
        propagates.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import logsumexp
    >>> float(logsumexp([1000.0, 1000.0]))  # 1000 + log 2, no overflow
    1000.6931471805599
    >>> logsumexp([[0.0, 0.0], [1.0, -float("inf")]]).round(8).tolist()
    [0.69314718, 1.0]
    """
    arr, ax = logits(z, axis)
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        out = _kernel(_as_rows(arr, ax), _LOGSUMEXP)
        return out.reshape(arr.shape[:ax] + arr.shape[ax + 1 :]).astype(arr.dtype, copy=False)


def softmax_shifted(z: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""The textbook stable softmax: subtract the maximum, exponentiate, divide.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{\sum_k e^{z_k - \hat z}}

    evaluated directly in the input's precision. It never overflows, but the
    rounding of :math:`z_j - \hat z` is amplified by the exponential, which
    :func:`softmax` corrects. Kept for teaching and comparison.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import softmax_shifted
    >>> softmax_shifted([1000.0, 1000.0])
    array([0.5, 0.5])
    """
    arr, ax = logits(z, axis)
    m = np.max(arr, axis=ax, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.exp(arr - m)
        return t / np.sum(t, axis=ax, keepdims=True)


def softmax_naive(z: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""The unshifted formula :math:`e^{z_j} / \sum_k e^{z_k}`, as printed in textbooks.

    Evaluated in the input's precision with floating-point warnings silenced,
    so that the book can show its failures: large logits overflow to ``inf``
    and give ``inf / inf = nan``; very negative logits underflow to 0 and give
    ``0 / 0 = nan``.

    Parameters
    ----------
    z : array_like
        Logits, as for :func:`softmax`.
    axis : int, default -1
        The axis to normalise along.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmax`; may contain NaN.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from softmaxlab import softmax_naive
    >>> softmax_naive([1.0, 1.0])
    array([0.5, 0.5])
    >>> softmax_naive([1000.0, 1000.0])  # exp(1000) overflows
    array([nan, nan])
    """
    arr, ax = logits(z, axis)
    with np.errstate(all="ignore"):
        t = np.exp(arr)
        return t / np.sum(t, axis=ax, keepdims=True)
