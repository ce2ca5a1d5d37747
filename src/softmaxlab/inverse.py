r"""The inverse of softmax on the logits that sum to zero.

Softmax is a bijection from the hyperplane :math:`\{z : \sum_k z_k = 0\}` onto
the open simplex; its inverse is the *centred logarithm*

.. math::

    \operatorname{softmax}^{-1}(a) = \log a - \tfrac1L \Big(\sum_k \log a_k\Big) \mathbf{1}.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import logits

__all__ = ["softmax_inverse"]


def softmax_inverse(a: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""The logits with softmax ``a`` whose entries sum to zero.

    .. math::

        z = \log a - \operatorname{mean}(\log a).

    The formula is invariant under scaling ``a`` by a positive number, so a
    vector that sums to one only up to rounding is inverted as
    :math:`a / \sum_k a_k`; in exact arithmetic
    ``softmax(softmax_inverse(a)) == a / a.sum()``.

    Parameters
    ----------
    a : array_like, shape (..., L, ...)
        Strictly positive, finite probabilities (the open simplex).
    axis : int, default -1
        The axis along which the entries form one probability vector.

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``a``; each slice along ``axis`` sums
        to zero up to rounding.

    Raises
    ------
    TypeError
        If ``a`` is not real-valued or ``axis`` is not an int.
    ValueError
        If ``a`` is empty along ``axis``, a scalar, or has an entry that is not
        finite and positive: a zero probability has no logit (its logarithm is
        :math:`-\infty`), so it is not in the image of softmax.

    Examples
    --------
    >>> from softmaxlab import softmax, softmax_inverse
    >>> z = softmax_inverse([0.25, 0.25, 0.5])
    >>> z.round(6), float(abs(z.sum())) < 1e-15
    (array([-0.231049, -0.231049,  0.462098]), True)
    >>> softmax(z).round(12)
    array([0.25, 0.25, 0.5 ])
    """
    arr, ax = logits(a, axis, name="a")
    bad = ~(np.isfinite(arr) & (arr > 0))
    if np.any(bad):
        where = tuple(int(i[0]) for i in np.nonzero(bad))
        index = ", ".join(map(str, where))
        raise ValueError(
            f"a must be strictly positive and finite (a point of the open simplex), but "
            f"a[{index}] = {float(arr[where])!r}; a zero probability has no "
            "logit, since log 0 = -inf"
        )
    log_a = np.log(arr)
    return log_a - np.mean(log_a, axis=ax, keepdims=True)
