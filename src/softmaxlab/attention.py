r"""Masked softmax and attention, forward and backward, without the L x L matrix.

For one query :math:`q \in \mathbb{R}^{d_k}`, keys :math:`k_i` and values
:math:`v_i`, attention computes scores :math:`z_i = \langle q, k_i\rangle / \sqrt{d_k}`
(``-inf`` where masked), :math:`P = \operatorname{softmax}(z)` and
:math:`o = \sum_i P_i v_i`. With the incoming gradient :math:`\bar o = \partial
\ell / \partial o` the backward pass is

.. math::

    \bar v_i = P_i\, \bar o, \qquad
    \bar z_i = P_i \big(\langle \bar o, v_i\rangle - D\big), \quad D = \langle \bar o, o\rangle,

    \bar q = \tfrac{1}{\sqrt{d_k}} \sum_i \bar z_i k_i, \qquad
    \bar k_i = \tfrac{1}{\sqrt{d_k}}\, \bar z_i\, q .

:func:`attention_forward` streams over blocks of keys with the online normaliser
and keeps only :math:`(m, d, o)` per query; it returns :math:`o` and
:math:`\operatorname{LSE}(z)`. :func:`attention_backward` recomputes
:math:`P_i = e^{z_i - \operatorname{LSE}(z)}` block by block from the saved
log-sum-exp, the form that memory-efficient kernels use. A fully masked query
(no key allowed) gets the output 0, the log-sum-exp :math:`+\infty` (so that
every recomputed :math:`P_i` is exactly 0) and zero gradients.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, finite_real, integer, logits

__all__ = ["attention_backward", "attention_forward", "masked_softmax"]


def _mask(mask: ArrayLike, shape: tuple[int, ...], name: str = "mask") -> NDArray[np.bool_]:
    arr = np.asarray(mask)
    if arr.dtype != np.bool_:
        raise TypeError(
            f"{name} must be a boolean array (True = keep, False = masked out), got dtype "
            f"{arr.dtype}; "
            "an additive bias of 0 and -inf is a different convention: convert with bias == 0"
        )
    if arr.shape != shape:
        raise ValueError(
            f"{name} has shape {arr.shape} but the scores have shape {shape}; they must match "
            "exactly"
        )
    return arr


def _E(x: np.ndarray, M: np.ndarray) -> np.ndarray:
    """e^(x - M) for x <= M, and exactly 0 where x = -inf (even if M = -inf)."""
    absent = x == -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(absent, 0.0, np.exp(np.where(absent, 0.0, x - M))).astype(
            x.dtype, copy=False
        )


def masked_softmax(z: ArrayLike, mask: ArrayLike, axis: int = -1) -> NDArray[np.floating]:
    r"""Softmax over the kept entries only, with 0 for masked entries and for fully masked slices.

    For a slice with kept set :math:`S \ne \emptyset`,
    :math:`a_j = e^{z_j} / \sum_{k \in S} e^{z_k}` for :math:`j \in S` and
    :math:`a_j = 0` otherwise; that is :func:`softmaxlab.softmax` of the logits
    with the masked ones set to ``-inf``, and its maximum is taken over
    :math:`S` only. A slice with :math:`S = \emptyset` has no softmax (0/0);
    this function returns the zero vector for it, as ``jax.nn.softmax(z,
    where=mask)`` does, so that a fully masked query attends to nothing.
    Masked logits are never read, so they may be anything, NaN included.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits (float16, float32, float64 or integers).
    mask : array_like of bool, the shape of ``z``
        True where the entry is kept.
    axis : int, default -1
        The softmax axis.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype as :func:`softmaxlab.softmax` would give.

    Raises
    ------
    TypeError
        If ``z`` is not real-valued, ``mask`` is not boolean, or ``axis`` is not an int.
    ValueError
        If ``z`` is a scalar or empty along ``axis``, or the shapes differ.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import masked_softmax
    >>> masked_softmax([0.0, 5.0, 0.0], [True, False, True])
    array([0.5, 0. , 0.5])
    >>> masked_softmax([[1.0, 2.0], [3.0, np.nan]], [[True, True], [False, False]]).round(4)
    array([[0.2689, 0.7311],
           [0.    , 0.    ]])
    """
    from .numerics import softmax

    arr, ax = logits(z, axis)
    keep = _mask(mask, arr.shape)
    any_kept = np.any(keep, axis=ax, keepdims=True)
    # Fully masked slices are replaced by zeros before softmax (so no 0/0 is
    # ever evaluated) and their result by zeros after it.
    x = np.where(keep, arr, -np.inf).astype(arr.dtype, copy=False)
    x = np.where(any_kept, x, np.zeros_like(x))
    a = softmax(x, axis=ax)
    return np.where(any_kept, a, np.zeros_like(a))


def _scale(scale: Any, n: int) -> float:
    """``1/sqrt(n)`` for None, else ``scale`` as a finite positive float."""
    if scale is None:
        return 1.0 / math.sqrt(n)
    return finite_real(scale, "scale", positive=True)


def _qkv(
    q: ArrayLike, k: ArrayLike, v: ArrayLike, mask: ArrayLike | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Validate queries, keys, values and mask; return 2-D arrays and whether q was one vector."""
    Q, K, V = as_float_array(q, "q"), as_float_array(k, "k"), as_float_array(v, "v")
    one = Q.ndim == 1
    if one:
        Q = Q[None, :]
    if Q.ndim != 2 or K.ndim != 2 or V.ndim != 2:
        raise ValueError(
            "expected q of shape (d_k,) or (Lq, d_k), k of shape (L, d_k) "
            "and v of shape (L, d_v); "
            f"got q {np.shape(q)}, k {K.shape}, v {V.shape}"
        )
    if K.shape[0] == 0 or Q.shape[0] == 0 or K.shape[1] == 0:
        raise ValueError(
            "need at least one query, one key and a head dimension d_k >= 1; "
            f"got q {np.shape(q)}, k {K.shape}"
        )
    if Q.shape[1] != K.shape[1]:
        raise ValueError(
            f"q and k must have the same head dimension d_k: q has {Q.shape[1]}, k has {K.shape[1]}"
        )
    if V.shape[0] != K.shape[0]:
        raise ValueError(
            f"k and v must have one row per key: k has {K.shape[0]} rows, v has {V.shape[0]}"
        )
    dtype = np.result_type(Q, K, V)
    if mask is None:
        keep = np.ones((Q.shape[0], K.shape[0]), dtype=bool)
    else:
        want = (K.shape[0],) if one else (Q.shape[0], K.shape[0])
        keep = _mask(mask, want).reshape(Q.shape[0], K.shape[0])
    return Q.astype(dtype), K.astype(dtype), V.astype(dtype), keep, one


def attention_forward(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    scale: float | None = None,
    block_size: int = 64,
) -> tuple[NDArray[np.floating], NDArray[np.floating]]:
    r"""Attention output and log-sum-exp, streaming over blocks of keys.

    For each query, :math:`z = \text{scale}\cdot K q` (``-inf`` where masked),
    :math:`o = \operatorname{softmax}(z)^\top V` and :math:`\mathrm{lse} = \operatorname{LSE}(z)`.
    Each block of ``block_size`` keys updates a running maximum :math:`m`,
    normaliser :math:`d` and accumulator :math:`o` per query (the online
    normaliser of chapter 6), so the memory is :math:`O(d_v + \text{block\_size})`
    per query; the :math:`L_q \times L` matrix of probabilities is never formed.

    Parameters
    ----------
    q : array_like, shape (d_k,) or (Lq, d_k)
        One query or a block of queries.
    k : array_like, shape (L, d_k)
        Keys.
    v : array_like, shape (L, d_v)
        Values.
    mask : array_like of bool, shape (L,) or (Lq, L), optional
        True where query and key may interact (shape (L,) for one query).
    scale : float, optional
        The score scale, :math:`1/\sqrt{d_k}` by default.
    block_size : int, default 64
        Keys per block.

    Returns
    -------
    o : numpy.ndarray, shape (d_v,) or (Lq, d_v)
        The outputs; 0 for a query with no kept key.
    lse : numpy.ndarray, shape () or (Lq,)
        :math:`\operatorname{LSE}(z)` per query, ``+inf`` for a fully masked one
        (so that :math:`e^{z_i - \mathrm{lse}} = 0` in the backward pass).

    Raises
    ------
    TypeError
        For non-real inputs, a non-boolean mask, or a non-numeric ``scale`` or ``block_size``.
    ValueError
        For inconsistent shapes, no query or key, or a non-positive ``scale`` or ``block_size``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import attention_forward
    >>> o, lse = attention_forward([0.0, 0.0], np.eye(2), [[1.0], [3.0]])
    >>> o, float(lse) == float(np.log(2))
    (array([2.]), True)
    >>> o, lse = attention_forward([1.0], [[1.0]], [[5.0]], mask=[False])
    >>> o, float(lse)  # no key allowed: output 0, log-sum-exp +inf
    (array([0.]), inf)
    """
    Q, K, V, keep, one = _qkv(q, k, v, mask)
    c = _scale(scale, Q.shape[1])
    B = integer(block_size, "block_size", minimum=1)
    dt = Q.dtype
    m = np.full(Q.shape[0], -np.inf, dtype=dt)
    d = np.zeros(Q.shape[0], dtype=dt)
    acc = np.zeros((Q.shape[0], V.shape[1]), dtype=dt)
    for start in range(0, K.shape[0], B):
        blk = slice(start, start + B)
        s = np.where(keep[:, blk], (Q @ K[blk].T) * dt.type(c), -np.inf).astype(dt, copy=False)
        m_new = np.maximum(m, s.max(axis=1))
        old = _E(m, m_new)
        t = _E(s, m_new[:, None])
        d = d * old + t.sum(axis=1)
        acc = acc * old[:, None] + t @ V[blk]
        m = m_new
    empty = d == 0
    with np.errstate(divide="ignore"):
        o = np.where(empty[:, None], 0.0, acc / np.where(empty, 1.0, d)[:, None]).astype(
            dt, copy=False
        )
        lse = np.where(empty, np.inf, m + np.log(np.where(empty, 1.0, d))).astype(dt, copy=False)
    return (o[0], lse[0]) if one else (o, lse)


def attention_backward(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    o: ArrayLike,
    lse: ArrayLike,
    do: ArrayLike,
    mask: ArrayLike | None = None,
    *,
    scale: float | None = None,
    block_size: int = 64,
) -> tuple[NDArray[np.floating], NDArray[np.floating], NDArray[np.floating]]:
    r"""Gradients of a scalar loss with respect to queries, keys and values.

    Given the forward outputs ``o`` and ``lse`` of :func:`attention_forward`
    and the incoming gradient ``do`` :math:`= \partial \ell / \partial o`,
    computes :math:`D = \langle \bar o, o \rangle` per query (``rowsum(do * o)``),
    then for each block of keys recomputes the scores :math:`Z` and
    :math:`P = e^{Z - \mathrm{lse}}` and accumulates

    .. math::

        \bar V \mathrel{+}= P^\top \bar O, \quad
        \bar Z = P \odot (\bar O V^\top - D \mathbf{1}^\top),

        \bar Q \mathrel{+}= \text{scale}\, \bar Z K, \quad
        \bar K \mathrel{+}= \text{scale}\, \bar Z^\top Q .

    Memory is :math:`O(d_k + d_v + \text{block\_size})` per query besides the
    gradients themselves.

    Parameters
    ----------
    q, k, v, mask, scale, block_size
        As for :func:`attention_forward` (use the same values).
    o : array_like, shape (d_v,) or (Lq, d_v)
        The forward output.
    lse : array_like, shape () or (Lq,)
        The forward log-sum-exp (``+inf`` for fully masked queries).
    do : array_like, the shape of ``o``
        :math:`\partial \ell / \partial o`.

    Returns
    -------
    dq : numpy.ndarray, the shape of ``q``
    dk : numpy.ndarray, shape (L, d_k)
    dv : numpy.ndarray, shape (L, d_v)

    Raises
    ------
    TypeError, ValueError
        As for :func:`attention_forward`, and if ``o``, ``lse`` or ``do`` do not
        have the shapes above.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import attention_backward, attention_forward
    >>> q, k, v = [0.0, 0.0], np.eye(2), [[1.0], [3.0]]
    >>> o, lse = attention_forward(q, k, v)
    >>> dq, dk, dv = attention_backward(q, k, v, o, lse, [1.0])
    >>> dv  # each value gets its probability, 1/2
    array([[0.5],
           [0.5]])
    >>> dq.round(6)  # (1/sqrt 2) sum_i P_i (v_i - o) k_i
    array([-0.353553,  0.353553])
    """
    Q, K, V, keep, one = _qkv(q, k, v, mask)
    c = _scale(scale, Q.shape[1])
    B = integer(block_size, "block_size", minimum=1)
    dt = Q.dtype
    want_o = (V.shape[1],) if one else (Q.shape[0], V.shape[1])
    Out = as_float_array(o, "o")
    dO = as_float_array(do, "do")
    lse_arr = as_float_array(np.reshape(lse, (-1,)) if np.ndim(lse) == 0 else lse, "lse")
    want_lse = (1,) if one else (Q.shape[0],)
    for name, arr, want in (("o", Out, want_o), ("do", dO, want_o), ("lse", lse_arr, want_lse)):
        if arr.shape != want:
            raise ValueError(
                f"{name} has shape {arr.shape}; expected {want} for these queries and values"
            )
    Out, dO = Out.reshape(Q.shape[0], -1).astype(dt), dO.reshape(Q.shape[0], -1).astype(dt)
    lse_arr = lse_arr.reshape(Q.shape[0]).astype(dt)
    D = np.sum(dO * Out, axis=1)
    dQ, dK, dV = np.zeros_like(Q), np.zeros_like(K), np.zeros_like(V)
    for start in range(0, K.shape[0], B):
        blk = slice(start, start + B)
        s = (Q @ K[blk].T) * dt.type(c)
        with np.errstate(under="ignore"):
            P = np.where(keep[:, blk], np.exp(s - lse_arr[:, None]), 0.0).astype(dt, copy=False)
        dV[blk] = P.T @ dO
        dS = P * (dO @ V[blk].T - D[:, None])
        dQ += (dS @ K[blk]) * dt.type(c)
        dK[blk] = (dS.T @ Q) * dt.type(c)
    return (dQ[0] if one else dQ), dK, dV
