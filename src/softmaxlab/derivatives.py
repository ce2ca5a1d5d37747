r"""The softmax Jacobian, and products with it that never form it.

Layout, used throughout the book: :math:`J_{ji} = \partial a_j / \partial z_i`,
row = output, column = input, so that

.. math::

    J = \operatorname{diag}(a) - a a^\top, \qquad
    J v = a \odot (v - \langle a, v\rangle \mathbf{1}).

:math:`J` is symmetric, so the vector-Jacobian product :math:`u^\top J` is the
same formula with :math:`u` in place of :math:`v`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, logits, same_shape
from .numerics import _split_sum, _two_sum, softmax

__all__ = [
    "MAX_JACOBIAN_BYTES",
    "JacobianTooLargeError",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
]

#: Default cap on the memory of a dense Jacobian: 1 GiB.
MAX_JACOBIAN_BYTES = 2**30


class JacobianTooLargeError(ValueError):
    """The dense Jacobian would need more memory than the cap allows."""


def softmax_jacobian(
    z: ArrayLike, *, max_bytes: int = MAX_JACOBIAN_BYTES
) -> NDArray[np.floating[Any]]:
    r"""Dense softmax Jacobian :math:`J = \operatorname{diag}(a) - a a^\top`.

    :math:`J_{ji} = \partial a_j / \partial z_i = a_j(\delta_{ij} - a_i)`:
    row ``j`` is output :math:`a_j`, column ``i`` is input :math:`z_i`.

    Parameters
    ----------
    z : array_like, shape (..., L)
        Logits; softmax is taken along the last axis.
    max_bytes : int, default 2**30
        Refuse to allocate a result larger than this many bytes.

    Returns
    -------
    numpy.ndarray, shape (..., L, L)
        Same dtype rule as :func:`softmaxlab.softmax`.

    Raises
    ------
    JacobianTooLargeError
        (a ``ValueError``) if the result would exceed ``max_bytes``: it needs
        :math:`L^2` numbers per vector, while :func:`softmax_jvp` and
        :func:`softmax_vjp` need only :math:`L`.
    TypeError, ValueError
        For bad logits, as for :func:`softmaxlab.softmax`.

    Examples
    --------
    >>> from softmaxlab import softmax_jacobian
    >>> softmax_jacobian([0.0, 0.0])
    array([[ 0.25, -0.25],
           [-0.25,  0.25]])
    """
    arr, _ = logits(z, -1)
    if (
        isinstance(max_bytes, bool)
        or not isinstance(max_bytes, (int, np.integer))
        or max_bytes <= 0
    ):
        raise TypeError(f"max_bytes must be a positive int, got {max_bytes!r}")
    L = arr.shape[-1]
    n_bytes = int(np.prod(arr.shape[:-1], dtype=np.int64)) * L * L * arr.dtype.itemsize
    if n_bytes > max_bytes:
        raise JacobianTooLargeError(
            f"the dense Jacobian for z of shape {arr.shape} would take {n_bytes / 2**30:.1f} GiB "
            f"(L = {L}: L*L = {L * L:,} numbers per vector), more than max_bytes = "
            f"{max_bytes / 2**30:.1f} GiB. Use softmax_jvp(z, v) or softmax_vjp(z, g), "
            "which compute J v and g^T J in O(L) memory without forming J"
        )
    a = softmax(arr)
    jac = -(a[..., :, None] * a[..., None, :])
    # The diagonal a_j (1 - a_j), with 1 - a_j computed without cancellation:
    # for an entry below 1/2 the subtraction is accurate; the one entry that
    # can be near 1 is the largest, and there 1 - a_k is the sum of the other
    # outputs, each of them accurate. (a - a*a loses every digit of a tiny
    # diagonal: for z = (40, 0) it returns 0 or a multiple of 2^-53 instead of
    # 4.2e-18.)
    rest = 1.0 - a
    k = np.argmax(a, axis=-1)[..., None]
    others = a.copy()
    np.put_along_axis(others, k, 0.0, axis=-1)
    np.put_along_axis(rest, k, np.sum(others, axis=-1, keepdims=True), axis=-1)
    diag = np.einsum("...jj->...j", jac)  # a writable view of the diagonal
    diag[...] = a * rest
    return jac


def _product(z: ArrayLike, w: ArrayLike, wname: str, axis: int) -> NDArray[np.floating[Any]]:
    arr, ax = logits(z, axis)
    vec = as_float_array(w, wname)
    same_shape(arr, vec, "z", wname)
    dtype = np.result_type(arr.dtype, vec.dtype)
    a = softmax(arr.astype(dtype, copy=False), axis=ax)
    w = vec.astype(dtype, copy=False)
    with np.errstate(invalid="ignore", over="ignore"):
        # (J w)_j = a_j sum_i a_i (w_j - w_i) = a_j (w_j - mu), mu = <a, w> / sum(a).
        # Computed so that nothing cancels the digits that matter:
        # 1. w is centred exactly on w_k, k the largest output (TwoSum:
        #    w - w_k = hi + lo), so a common offset of w drops out and J 1 = 0
        #    exactly, although the computed a sum to 1 only to rounding;
        # 2. then on the weighted mean mu1 of hi, and once more on the
        #    weighted mean of what is left, so that each difference formed is
        #    w_j - mu to first order (for a dominant a_k, w_k - mu is tiny and
        #    comes from the small outputs alone);
        # 3. that second mean is summed nearly error-free (_split_sum): its
        #    rounding errors are the only first-order ones that a plain sum
        #    would multiply by its number of roundings. See softmax_jvp for
        #    the componentwise bound.
        k = np.argmax(a, axis=ax)
        wk = np.take_along_axis(w, np.expand_dims(k, ax), axis=ax)
        hi, lo = _two_sum(w, -wk)
        total = np.sum(a, axis=ax, keepdims=True)
        mu1 = np.sum(a * hi, axis=ax, keepdims=True) / total
        centred = (hi - mu1) + lo
        delta = _split_sum(a * centred, ax) / total
        return a * (centred - delta)


def softmax_jvp(z: ArrayLike, v: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Jacobian-vector product :math:`J v = a \odot (v - \langle a, v\rangle\mathbf{1})`.

    The directional derivative of softmax at ``z`` along ``v``, in
    :math:`O(L)` time and memory: :math:`J` is never formed. Computed as
    :math:`a_j \sum_i a_i (v_j - v_i)`, centred exactly on the largest
    output's :math:`v_k` and then on the weighted mean, so that the result is
    *componentwise* accurate even where one output dominates and
    :math:`v_j - \langle a, v\rangle` is tiny: in float64,
    :math:`|\mathrm{err}_j| \le C\, u\, a_j D_j`,
    :math:`D_j = \sum_i a_i |v_j - v_i|`, with :math:`C` = 49.19 for
    :math:`L \le 10^4` (``softmaxlab.promise("softmax_jvp")``), plus, for
    outputs in the subnormal range (where an ulp is :math:`2^{-1074}`, not a
    relative size), :math:`6.53 \cdot 2^{-1074} (D_j + a_j \sum_i |v_i -
    \mu|)` (:math:`\mu = \langle a, v\rangle`) and :math:`2^{-1075}`.

    The bound, to first order in :math:`u = 2^{-53}`, assuming what
    :mod:`softmaxlab.promises` assumes of ``np.exp`` (a relative error of at
    most ``EXP_REL`` = 1.5 u; ``log1p`` is not used). The computed
    :math:`\hat a_i = a_i(1 + \theta_i)` are within the softmax promise,
    6.53 ulp, so :math:`|\theta_i| \le \beta u`, :math:`\beta = 13.06`.
    With :math:`x_i = v_i - v_k` formed exactly (TwoSum, :math:`k` the
    largest output) and :math:`\mu' = \sum_i a_i x_i`, the product is
    :math:`a_j(x_j - \mu')`. The first weighted mean :math:`\mu_1` is off
    by some :math:`\phi`; the centred :math:`\tilde x_i = (x_i - \mu_1) + \eta_i`
    carries two roundings, :math:`|\eta_i| \le 2u|x_i - \mu'|`. The
    second mean :math:`\psi = \sum_i \hat a_i \tilde x_i / \sum_i \hat a_i` is
    :math:`-\phi + E` with :math:`|E| \le (\beta + 3) u A`,
    :math:`A = \sum_i a_i |x_i - \mu'|`: :math:`\beta` from the
    :math:`\theta_i` (their normalisation drops out, since
    :math:`\sum_i a_i (x_i - \mu') = 0`), 2 from the :math:`\eta_i`, 1 from
    the products, and its sum is nearly error-free (Rump, Ogita and Oishi's
    extraction: below :math:`4 \cdot 10^{-6} u A`, where NumPy's plain sum
    would add about :math:`25 u A`). So
    :math:`\phi` cancels, and the result
    :math:`\hat a_j\,\mathrm{fl}(\tilde x_j - \psi)` is off by at most
    :math:`a_j[(\beta + 4) u |x_j - \mu'| + (\beta + 3) u A]`. Since
    :math:`|x_j - \mu'| \le D_j` and :math:`A \le 2 D_j`, that is
    :math:`(3\beta + 10) u a_j D_j = 49.18\, u\, a_j D_j`; the promise
    adds 0.01 for second-order terms (below :math:`10^{-8}` for
    :math:`L \le 10^4`).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits.
    v : array_like, same shape as ``z``
        Tangent vector(s). Not broadcast: shapes must match exactly.
    axis : int, default -1
        The softmax axis.

    Returns
    -------
    numpy.ndarray
        Same shape as ``z``; dtype is the common floating type of ``z`` and ``v``.

    Raises
    ------
    ValueError
        If ``v``'s shape differs from ``z``'s, or for bad logits or axis.
    TypeError
        If either input is not real-valued.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import softmax_jvp, softmax_jacobian
    >>> z, v = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 0.0])
    >>> np.allclose(softmax_jvp(z, v), softmax_jacobian(z) @ v)
    True
    >>> bool(np.all(np.abs(softmax_jvp(z, np.ones(3))) < 1e-15))  # J 1 = 0, to rounding
    True
    """
    return _product(z, v, "v", axis)


def softmax_vjp(z: ArrayLike, g: ArrayLike, axis: int = -1) -> NDArray[np.floating[Any]]:
    r"""Vector-Jacobian product :math:`g^\top J = a \odot (g - \langle a, g\rangle\mathbf{1})`.

    The pull-back of an output cotangent ``g`` (for example
    :math:`\partial \ell / \partial a`) to the logits, as in backpropagation.
    :math:`J` is symmetric, so this is the same formula as :func:`softmax_jvp`
    (and the same componentwise bound); both names exist so that code says
    which product it means.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits.
    g : array_like, same shape as ``z``
        Cotangent vector(s). Not broadcast: shapes must match exactly.
    axis : int, default -1
        The softmax axis.

    Returns
    -------
    numpy.ndarray
        Same shape as ``z``; dtype is the common floating type of ``z`` and ``g``.

    Raises
    ------
    ValueError
        If ``g``'s shape differs from ``z``'s, or for bad logits or axis.
    TypeError
        If either input is not real-valued.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import softmax_vjp, softmax_jacobian
    >>> z, g = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0])
    >>> np.allclose(softmax_vjp(z, g), g @ softmax_jacobian(z))
    True
    """
    return _product(z, g, "g", axis)
