r"""Temperature as a parameter: derivatives of :math:`\operatorname{softmax}(z/T)` in T.

With :math:`a(T) = \operatorname{softmax}(z / T)` and the *mean logit*
:math:`\mu(T) = \langle a(T), z \rangle`, the chain rule through
:math:`w = z / T` gives

.. math::

    \frac{\partial a_j}{\partial T} = -\frac{a_j\,(z_j - \mu(T))}{T^2},
    \qquad
    \frac{\partial a_j}{\partial \beta} = a_j\,(z_j - \mu),
    \quad \beta = 1/T,

so the sign of :math:`\partial a_j / \partial T` is that of
:math:`\mu(T) - z_j`. The free energy :math:`\Phi(T) = T \operatorname{LSE}(z/T)`
has :math:`\Phi'(T) = H(a(T))`, the entropy of the output.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, finite_real, index, logits, same_shape
from .numerics import logsumexp, softmax

__all__ = [
    "cross_entropy_temperature_derivative",
    "free_energy",
    "mean_logit",
    "peak_temperature",
    "softmax_beta_derivative",
    "softmax_entropy",
    "softmax_temperature_derivative",
]


def _finite_logits(z: Any) -> np.ndarray:
    arr, _ = logits(z, -1)
    if not np.all(np.isfinite(arr)):
        raise ValueError(
            "z must be finite here (no inf or NaN): the temperature derivatives are "
            "stated for real logits; mask classes with softmaxlab.masked_softmax instead"
        )
    return arr


def _weighted_mean(a: np.ndarray, z: np.ndarray) -> np.ndarray:
    # <a, z> along the last axis, as an array with that axis kept.
    return np.sum(a * z, axis=-1, keepdims=True)


def _deviation(a: np.ndarray, z: np.ndarray) -> np.ndarray:
    r"""z_j - <a, z>, computed as c_j - <a, c> with c = z - max z.

    When one output is close to 1, <a, z> is close to its logit and z_j - <a, z>
    would cancel; with the centred c the largest logit's deviation is
    -<a, c> = sum_k a_k (max z - z_k), a sum of non-negative terms.
    """
    c = z - np.max(z, axis=-1, keepdims=True)
    return c - _weighted_mean(a, c)


def mean_logit(z: ArrayLike, T: float = 1.0) -> NDArray[np.floating]:
    r"""The mean logit :math:`\mu(T) = \sum_k a_k(T)\, z_k` at temperature :math:`T`.

    Here :math:`a(T) = \operatorname{softmax}(z/T)`. :math:`\mu` decreases
    strictly in :math:`T` (unless all logits are equal), from :math:`\hat z` as
    :math:`T \to 0^+` to the plain mean
    :math:`\operatorname{mean}(z) = \frac1L \sum_k z_k` as :math:`T \to \infty`.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits; the softmax axis is the last one.
    T : float, default 1.0
        The temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (...)
        One value per row, in the dtype of :func:`softmaxlab.softmax`.

    Raises
    ------
    TypeError
        If ``z`` is not real-valued or ``T`` is not a real number.
    ValueError
        If ``z`` is empty, a scalar or not finite, or ``T`` is not positive and finite.

    Examples
    --------
    >>> from softmaxlab import mean_logit
    >>> round(float(mean_logit([0.0, 0.0, 3.0], T=1e6)), 6)  # near the plain mean 1
    1.000002
    """
    arr = _finite_logits(z)
    T = finite_real(T, "T", positive=True)
    a = softmax(arr / T)
    top = np.max(arr, axis=-1, keepdims=True)
    return (top + _weighted_mean(a, arr - top))[..., 0]


def softmax_temperature_derivative(z: ArrayLike, T: float) -> NDArray[np.floating]:
    r"""The derivative of :math:`a = \operatorname{softmax}(z/T)` in the temperature.

    :math:`\partial a_j / \partial T = -a_j (z_j - \mu(T)) / T^2`.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits; the softmax axis is the last one.
    T : float
        The temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (..., L)
        The derivative of every output; each row sums to zero.

    Raises
    ------
    TypeError, ValueError
        As for :func:`mean_logit`.

    Examples
    --------
    >>> from softmaxlab import softmax_temperature_derivative
    >>> softmax_temperature_derivative([0.0, 0.0], T=2.0) + 0.0  # ties: nothing moves
    array([0., 0.])
    >>> bool(softmax_temperature_derivative([1.0, 0.0], T=1.0)[0] < 0)  # the top falls
    True
    """
    arr = _finite_logits(z)
    T = finite_real(T, "T", positive=True)
    a = softmax(arr / T)
    return -a * _deviation(a, arr) / (T * T)


def softmax_beta_derivative(z: ArrayLike, beta: float) -> NDArray[np.floating]:
    r"""The derivative of :math:`a = \operatorname{softmax}(\beta z)` in :math:`\beta`.

    .. math::

        \frac{\partial a_j}{\partial \beta} = a_j (z_j - \langle a, z \rangle).

    The inverse temperature :math:`\beta = 1/T`. This is the JVP of softmax at
    :math:`\beta z` in the direction :math:`z`.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits; the softmax axis is the last one.
    beta : float
        The inverse temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (..., L)

    Raises
    ------
    TypeError, ValueError
        As for :func:`mean_logit` (with ``beta`` in place of ``T``).

    Examples
    --------
    >>> from softmaxlab import softmax_beta_derivative
    >>> softmax_beta_derivative([1.0, -1.0], beta=1e-9).round(6)  # near uniform
    array([ 0.5, -0.5])
    """
    arr = _finite_logits(z)
    beta = finite_real(beta, "beta", positive=True)
    a = softmax(beta * arr)
    return a * _deviation(a, arr)


def cross_entropy_temperature_derivative(
    z: ArrayLike, y: ArrayLike, T: float
) -> NDArray[np.floating]:
    r"""Derivative in :math:`T` of the cross-entropy of :math:`\operatorname{softmax}(z/T)`.

    .. math::

        \ell(T) = -\sum_j y_j \log \operatorname{softmax}(z/T)_j, \qquad
        \frac{d\ell}{dT} = \frac{\langle y, z\rangle - (\textstyle\sum_j y_j)\, \mu(T)}{T^2}.

    For a target that sums to one its sign is that of :math:`\langle y, z \rangle
    - \mu(T)`: raising the temperature lowers the loss exactly when the target's
    mean logit is below the model's.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits.
    y : array_like, shape (..., L)
        The target weights, the same shape as ``z`` (one-hot or soft).
    T : float
        The temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (...)
        One derivative per row.

    Raises
    ------
    TypeError
        For non-real ``z`` or ``y``, or a ``T`` that is not a real number.
    ValueError
        If ``z`` or ``y`` is not finite, their shapes differ, or ``T`` is not
        positive and finite.

    Examples
    --------
    >>> from softmaxlab import cross_entropy_temperature_derivative
    >>> float(cross_entropy_temperature_derivative([2.0, 0.0], [1.0, 0.0], T=1.0)) > 0
    True
    """
    arr = _finite_logits(z)
    target = as_float_array(y, "y")
    same_shape(arr, target, "z", "y")
    if not np.all(np.isfinite(target)):
        raise ValueError("y must be finite (no inf or NaN): it holds the target weights")
    T = finite_real(T, "T", positive=True)
    a = softmax(arr / T)
    # <y, z> - (sum y) <a, z> = <y, c> - (sum y) <a, c> for c = z - max z.
    c = arr - np.max(arr, axis=-1, keepdims=True)
    return (
        np.sum(target * c, axis=-1) - np.sum(target, axis=-1) * _weighted_mean(a, c)[..., 0]
    ) / (T * T)


def free_energy(z: ArrayLike, T: float) -> NDArray[np.floating]:
    r"""The free energy :math:`\Phi(T) = T \operatorname{LSE}(z / T)`, a smooth maximum.

    :math:`\hat z \le \Phi(T) \le \hat z + T \log L`; its derivative in
    :math:`T` is the entropy :func:`softmax_entropy` and its gradient in
    :math:`z` is :math:`\operatorname{softmax}(z/T)`. (In physics, with energies
    :math:`-z_j`, the free energy is :math:`-\Phi`.)

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits.
    T : float
        The temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (...)

    Raises
    ------
    TypeError, ValueError
        As for :func:`mean_logit`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import free_energy
    >>> bool(np.isclose(free_energy([0.0, 0.0], T=0.5), 0.5 * np.log(2)))
    True
    """
    arr = _finite_logits(z)
    T = finite_real(T, "T", positive=True)
    return T * logsumexp(arr / T)


def softmax_entropy(z: ArrayLike, T: float = 1.0) -> NDArray[np.floating]:
    r"""Shannon entropy :math:`H(a) = -\sum_j a_j \log a_j` of :math:`\operatorname{softmax}(z/T)`.

    In nats (natural logarithms), with :math:`a = \operatorname{softmax}(z/T)`.

    Computed as :math:`\operatorname{LSE}(w) - \langle a, w \rangle` with
    :math:`w = z / T`, which never takes the logarithm of an underflowed
    probability. :math:`0 \le H \le \log L`.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Finite logits.
    T : float, default 1.0
        The temperature, finite and positive.

    Returns
    -------
    numpy.ndarray, shape (...)

    Raises
    ------
    TypeError, ValueError
        As for :func:`mean_logit`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import softmax_entropy
    >>> bool(np.isclose(softmax_entropy([3.0, 3.0, 3.0, 3.0]), np.log(4)))
    True
    """
    arr = _finite_logits(z)
    T = finite_real(T, "T", positive=True)
    w = arr / T
    a = softmax(w)
    # Centre w at its maximum first: LSE(w) - <a, w> is shift invariant, and the
    # centred form does not cancel two large numbers when |w| is large.
    w = w - np.max(w, axis=-1, keepdims=True)
    h = logsumexp(w) - np.sum(a * w, axis=-1)
    return np.maximum(h, 0.0)


def peak_temperature(z: ArrayLike, j: int) -> float:
    r"""The temperature at which :math:`a_j(T) = \operatorname{softmax}(z/T)_j` is largest.

    By the monotonicity criterion of the practice chapter, with
    :math:`\operatorname{mean}(z)` the plain mean of the logits:

    * ``0.0`` if :math:`z_j = \hat z` (a largest logit: :math:`a_j` decreases
      in :math:`T`, its supremum is the limit :math:`T \to 0^+`);
    * ``inf`` if :math:`z_j \le \operatorname{mean}(z)` (:math:`a_j` increases towards
      :math:`1/L`);
    * otherwise the unique :math:`T^\ast > 0` with :math:`\mu(T^\ast) = z_j`,
      found by bisection on :math:`\log T` to a relative width of
      :math:`10^{-13}`;
    * ``nan`` if all logits are equal (then :math:`a_j = 1/L` at every :math:`T`).

    Parameters
    ----------
    z : array_like, shape (L,)
        Finite logits, one vector.
    j : int
        The output, ``0 <= j < L`` (negative indices count from the end).

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``z`` is not real-valued or ``j`` is not an int.
    ValueError
        If ``z`` is not one finite non-empty vector or ``j`` is out of range.

    Examples
    --------
    >>> from softmaxlab import peak_temperature
    >>> z = [1.0, 2.5, 0.0, 2.0, -1.0]
    >>> peak_temperature(z, 1), peak_temperature(z, 2)
    (0.0, inf)
    >>> round(peak_temperature(z, 0), 3)
    16.244
    """
    arr = _finite_logits(z)
    if arr.ndim != 1:
        raise ValueError(f"z must be one vector of logits, got shape {arr.shape}")
    k = index(j, arr.size)
    x = np.asarray(arr, dtype=np.float64)
    zj, top, mean = float(x[k]), float(x.max()), float(x.mean())
    if top == float(x.min()):
        return math.nan
    if zj == top:
        return 0.0
    if zj <= mean:
        return math.inf

    def excess(log_T: float) -> float:  # mu(T) - z_j, decreasing in T
        return float(_weighted_mean(softmax(x / math.exp(log_T)), x - top)[0]) - (zj - top)

    lo, hi = 0.0, 0.0  # log T with excess(lo) > 0 > excess(hi)
    while excess(lo) <= 0:
        lo -= 1.0
    while excess(hi) >= 0:
        hi += 1.0
    while hi - lo > 1e-13 * max(1.0, abs(lo), abs(hi)) / 2:
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if excess(mid) > 0:
            lo = mid
        else:
            hi = mid
    return math.exp(0.5 * (lo + hi))
