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
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import logits

__all__ = ["softmax", "log_softmax", "logsumexp", "softmax_naive", "softmax_shifted"]


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    """float16 and float32 inputs are computed in float64 and rounded once."""
    return np.dtype(np.float64)


def _shifted_parts(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split ``x - max(x)`` into a rounded part and its exact rounding error.

    Returns ``(m, d, e)`` with ``d = fl(x - m)`` and ``d + e == x - m``
    exactly (Knuth's TwoSum), where ``m`` is the maximum along ``axis``
    (replaced by 0 in rows whose maximum is not finite, so no ``inf - inf``
    is formed). ``e`` is 0 wherever ``d`` is not finite.
    """
    m = np.max(x, axis=axis, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(invalid="ignore"):
        d = x - m_safe
        b_virtual = d - x
        a_virtual = d - b_virtual
        e = (x - a_virtual) + (-m_safe - b_virtual)
    e = np.where(np.isfinite(e), e, 0.0)
    return m, d, e


def _exp_terms(x: np.ndarray, axis: int):
    """``exp(x - max)`` with the subtraction's rounding error folded back in."""
    m, d, e = _shifted_parts(x, axis)
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.exp(d)
        t = t + t * e
    return m, d, e, t


def _sum_without_argmax(t: np.ndarray, x: np.ndarray, axis: int) -> np.ndarray:
    """Sum of ``t`` along ``axis`` leaving out one maximal entry (whose term is 1)."""
    k = np.argmax(x, axis=axis, keepdims=True)
    idx = np.arange(x.shape[axis]).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
    return np.sum(np.where(idx == k, 0.0, t), axis=axis, keepdims=True)


def softmax(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Softmax along one axis, accurate and overflow-free.

    .. math::

        a_j = \frac{e^{z_j - \hat z}}{\sum_k e^{z_k - \hat z}},
        \qquad \hat z = \max_k z_k .

    Subtracting :math:`\hat z` changes nothing mathematically (softmax is
    shift invariant) and keeps every exponential in :math:`(0, 1]`. The
    rounding error of :math:`z_j - \hat z` is recovered exactly and folded back
    into the exponential, so wide spreads of logits do not cost accuracy.

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
    x = arr.astype(_compute_dtype(arr.dtype), copy=False)
    m, _, _, t = _exp_terms(x, ax)
    with np.errstate(invalid="ignore"):
        a = t / np.sum(t, axis=ax, keepdims=True)
    a = np.where(np.isfinite(m), a, np.nan)
    return a.astype(arr.dtype, copy=False)


def log_softmax(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Logarithm of the softmax, computed without forming the softmax.

    .. math::

        \log a_j = (z_j - \hat z) - \operatorname{log1p}\Big(\sum_{k \ne k^\ast}
        e^{z_k - \hat z}\Big),

    where :math:`k^\ast` is an index of the maximum, whose term
    :math:`e^0 = 1` is taken out of the sum so that ``log1p`` keeps the tiny
    remainder (Blanchard, Higham and Higham, 2021).

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
    x = arr.astype(_compute_dtype(arr.dtype), copy=False)
    m, d, e, t = _exp_terms(x, ax)
    log_norm = np.log1p(_sum_without_argmax(t, x, ax))
    with np.errstate(invalid="ignore"):
        out = (d - log_norm) + e
    out = np.where(np.isfinite(m), out, np.nan)
    return out.astype(arr.dtype, copy=False)


def logsumexp(z: Any, axis: Any = -1) -> np.ndarray:
    r"""Log-sum-exp along one axis, :math:`\operatorname{LSE}(z) = \log\sum_k e^{z_k}`.

    Computed as :math:`\hat z + \operatorname{log1p}(\sum_{k \ne k^\ast}
    e^{z_k - \hat z})`, which neither overflows nor loses the small terms.

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
    >>> logsumexp([[0.0, 0.0], [1.0, -float("inf")]])
    array([0.69314718, 1.        ])
    """
    arr, ax = logits(z, axis)
    x = arr.astype(_compute_dtype(arr.dtype), copy=False)
    m, d, e, t = _exp_terms(x, ax)
    # The dropped remainders e only matter below the rounding of the result
    # except through the sum, where they are already folded into t.
    rest = _sum_without_argmax(t, x, ax)
    out = np.where(np.isfinite(m), m + np.log1p(rest), m)
    return np.squeeze(out, axis=ax).astype(arr.dtype, copy=False)


def softmax_shifted(z: Any, axis: Any = -1) -> np.ndarray:
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


def softmax_naive(z: Any, axis: Any = -1) -> np.ndarray:
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
