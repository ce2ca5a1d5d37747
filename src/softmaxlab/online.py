r"""Softmax in one streaming pass: the online normaliser, merging, and fused outputs.

A stream of logits :math:`z_1, z_2, \dots` is summarised by a *state*
:math:`(m, d)`: the largest logit seen so far and the sum of the exponentials
seen so far, each shifted by that maximum,

.. math::

    m = \max_{k \le n} z_k, \qquad d = \sum_{k \le n} e^{z_k - m}.

The state of the empty stream is the identity :math:`(-\infty, 0)`. Reading one
more logit :math:`x` (Milakov and Gimelshein, 2018) and merging the states of
two disjoint parts of the stream are

.. math::

    m' &= \max(m, x), \quad d' = d\,e^{m - m'} + e^{x - m'}; \\
    (m_1, d_1) \oplus (m_2, d_2) &= \big(M,\; d_1 e^{m_1 - M} + d_2 e^{m_2 - M}\big),
    \quad M = \max(m_1, m_2).

The merge is associative and commutative, so chunks of the logits can be
summarised independently and reduced in any order; then
:math:`a_j = e^{z_j - m} / d`. Throughout, :math:`e^{-\infty - M}` is taken
to be 0 even when :math:`M = -\infty` (never the NaN of
:math:`-\infty - (-\infty)`), which is what makes :math:`(-\infty, 0)` an exact
identity.

Every exponential :math:`e^{x - M}` here folds the exact rounding error of
:math:`x - M` back in (Knuth's TwoSum), as :func:`softmaxlab.softmax` does, and
float16/float32 inputs are computed in float64 unless a ``work_dtype`` is given.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from ._validation import SUPPORTED_FLOATS, as_float_array, logits
from .numerics import _two_sum

__all__ = [
    "OnlineState",
    "chunk_states",
    "chunked_softmax",
    "online_identity",
    "online_merge",
    "online_softmax",
    "online_state",
    "online_update",
    "online_weighted_sum",
    "reduce_states",
]


class OnlineState(NamedTuple):
    r"""The summary :math:`(m, d)` of a stream of logits.

    ``m`` is the running maximum :math:`\max_k z_k` and ``d`` the running
    normaliser :math:`\sum_k e^{z_k - m}`; both are NumPy arrays of one shape
    (one state per softmax slice; shape ``()`` for a single vector). The empty
    stream is :math:`(-\infty, 0)`. Whenever ``m`` is finite, ``d >= 1``,
    because the largest logit contributes :math:`e^0 = 1`.
    """

    m: np.ndarray
    d: np.ndarray


# ------------------------------------------------------------------ validation


def _work_dtype(work_dtype: Any, name: str = "work_dtype") -> np.dtype:
    if work_dtype is None:
        return np.dtype(np.float64)
    try:
        dt = np.dtype(work_dtype)
    except TypeError:
        dt = None
    if dt not in SUPPORTED_FLOATS:
        raise TypeError(f"{name} must be float16, float32 or float64, got {work_dtype!r}")
    return dt


def _component(x: Any, name: str) -> np.ndarray:
    """A real array of any shape, including the 0-d shape of a single state."""
    if np.isscalar(x) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return as_float_array([x], name).reshape(())
    return as_float_array(x, name)


def _as_state(s: Any, name: str = "state") -> OnlineState:
    if not isinstance(s, tuple) or len(s) != 2:
        raise TypeError(
            f"{name} must be an OnlineState or a pair (m, d), got {type(s).__name__}; "
            "make one with online_identity, online_state or chunk_states"
        )
    m = _component(s[0], f"{name}.m")
    d = _component(s[1], f"{name}.d")
    if m.shape != d.shape:
        raise ValueError(
            f"{name}.m has shape {m.shape} but {name}.d has shape {d.shape}; they must match exactly"
        )
    with np.errstate(invalid="ignore"):
        if np.any(d < 0):
            raise ValueError(
                f"{name}.d has a negative entry; a normaliser is a sum of exponentials, so d >= 0"
            )
        if np.any((m == -np.inf) & (d != 0)):
            raise ValueError(
                f"{name} has m = -inf with d != 0; the only state with m = -inf is the identity (-inf, 0)"
            )
    dt = np.result_type(m.dtype, d.dtype)
    return OnlineState(m.astype(dt, copy=False), d.astype(dt, copy=False))


def _same_state_shape(s: OnlineState, t: OnlineState, sname: str, tname: str) -> None:
    if s.m.shape != t.m.shape:
        raise ValueError(
            f"{tname} has shape {t.m.shape} but {sname} has shape {s.m.shape}; states merge "
            "only with states of the same shape (nothing is broadcast)"
        )


def _chunk_size(chunk_size: Any) -> int:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, numbers.Integral):
        raise TypeError(
            f"chunk_size must be a positive int, got {type(chunk_size).__name__} {chunk_size!r}"
        )
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive int, got {chunk_size}")
    return int(chunk_size)


# --------------------------------------------------------------------- kernels


def _exp_sub(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r""":math:`e^{a - b}` for :math:`a \le b`, with 0 wherever :math:`a = -\infty`.

    The rounding error of ``a - b`` is recovered exactly (TwoSum) and folded
    back in: :math:`e^{s + r} \approx e^s (1 + r)`. NaN and ``+inf`` inputs
    give NaN, as they must.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        s, r = _two_sum(a, -b)
        r = np.where(np.isfinite(r), r, 0.0).astype(s.dtype, copy=False)
        t = np.exp(s)
        t = t + t * r
    # -inf - (-inf) is NaN, but an absent term contributes exactly nothing.
    return np.where(a == -np.inf, np.zeros_like(t), t)


def _push(
    m: np.ndarray, d: np.ndarray, x: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One step of the recurrence; also returns the two scale factors."""
    m_new = np.maximum(m, x)
    old = _exp_sub(m, m_new)
    new = _exp_sub(x, m_new)
    return m_new, d * old + new, old, new


def _merge(s: OnlineState, t: OnlineState) -> OnlineState:
    m = np.maximum(s.m, t.m)
    # max(-0, +0) is either zero, depending on the order; -0 + +0 = +0 is not,
    # so a tie of zeros takes their sum and the merge is commutative bit for bit.
    m = np.where((s.m == 0) & (t.m == 0), s.m + t.m, m)[
        ()
    ]  # [()]: a 0-d result stays a NumPy scalar
    return OnlineState(m, s.d * _exp_sub(s.m, m) + t.d * _exp_sub(t.m, m))


def _stream(x: np.ndarray) -> OnlineState:
    """The state of ``x`` along its last axis, read one entry at a time."""
    m = np.full(x.shape[:-1], -np.inf, dtype=x.dtype)
    d = np.zeros(x.shape[:-1], dtype=x.dtype)
    for k in range(x.shape[-1]):
        m, d, _, _ = _push(m, d, x[..., k])
    return OnlineState(m, d)


def _block_state(x: np.ndarray) -> OnlineState:
    """The state of ``x`` along its last axis by the three-pass method."""
    m = np.max(x, axis=-1)
    d = np.sum(_exp_sub(x, m[..., None]), axis=-1)
    return OnlineState(m, d)


def _normalise(x: np.ndarray, state: OnlineState) -> np.ndarray:
    m = state.m[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = _exp_sub(x, m) / state.d[..., None]
    # A slice whose maximum is not finite has no softmax, as in softmaxlab.softmax.
    return np.where(np.isfinite(m), a, np.nan)


def _prepare(z: Any, axis: Any, work_dtype: Any) -> tuple[np.ndarray, int, np.ndarray]:
    arr, ax = logits(z, axis)
    wd = _work_dtype(work_dtype)
    return arr, ax, np.moveaxis(arr, ax, -1).astype(wd, copy=False)


# ------------------------------------------------------------------ public API


def online_identity(shape: Any = (), dtype: Any = np.float64) -> OnlineState:
    r"""The state of the empty stream, :math:`(m, d) = (-\infty, 0)`.

    It is the identity of :func:`online_merge`:
    :math:`(-\infty, 0) \oplus (m, d) = (m, d)` exactly, because
    :math:`e^{-\infty - m}` is taken as 0 and :math:`e^{m - m} = 1`.

    Parameters
    ----------
    shape : int or tuple of int, default ()
        Shape of ``m`` and ``d`` (one state per softmax slice).
    dtype : float16, float32 or float64, default float64

    Returns
    -------
    OnlineState
        ``m`` full of ``-inf`` and ``d`` full of 0.

    Raises
    ------
    TypeError
        If ``dtype`` is not a supported float or ``shape`` is not a shape.
    ValueError
        If ``shape`` has a negative entry.

    Examples
    --------
    >>> from softmaxlab import online_identity, online_merge
    >>> e = online_identity()
    >>> float(e.m), float(e.d)
    (-inf, 0.0)
    >>> s = online_merge(e, (2.0, 1.5))
    >>> float(s.m), float(s.d)
    (2.0, 1.5)
    """
    if dtype is None:
        raise TypeError("dtype must be float16, float32 or float64, got None")
    dt = _work_dtype(dtype, "dtype")
    try:
        m = np.full(shape, -np.inf, dtype=dt)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    except ValueError as err:
        raise ValueError(f"shape {shape!r} is not a valid array shape ({err})") from None
    return OnlineState(m, np.zeros_like(m))


def online_update(state: Any, x: Any) -> OnlineState:
    r"""Read one more logit :math:`x` into the state :math:`(m, d)`.

    .. math::

        m' = \max(m, x), \qquad d' = d\, e^{m - m'} + e^{x - m'}.

    The old sum is rescaled from the old maximum to the new one; at most one
    of the two factors differs from 1.

    Parameters
    ----------
    state : OnlineState or pair (m, d)
        The state so far; ``m`` and ``d`` of one shape ``S``.
    x : float or array_like of shape ``S``
        One new logit per state. ``-inf`` leaves the state unchanged.

    Returns
    -------
    OnlineState
        Shape ``S``; dtype the common float type of the state and ``x``.

    Raises
    ------
    TypeError
        If the state is not a pair or holds non-real values, or ``x`` is not real.
    ValueError
        If ``x``'s shape differs from the state's, or the state is impossible
        (``d < 0``, or ``m = -inf`` with ``d != 0``).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import online_identity, online_update
    >>> s = online_identity()
    >>> for x in [1.0, 3.0, 2.0]:
    ...     s = online_update(s, x)
    >>> float(s.m), round(float(s.d), 12)  # max 3, sum e^-2 + 1 + e^-1
    (3.0, 1.503214724408)
    """
    s = _as_state(state)
    xv = _component(x, "x")
    if xv.shape != s.m.shape:
        raise ValueError(
            f"x has shape {xv.shape} but the state has shape {s.m.shape}; pass one logit per "
            "state (nothing is broadcast)"
        )
    dt = np.result_type(s.m.dtype, xv.dtype)
    m, d, _, _ = _push(s.m.astype(dt), s.d.astype(dt), xv.astype(dt))
    return OnlineState(m, d)


def online_merge(s: Any, t: Any) -> OnlineState:
    r"""Merge the states of two disjoint parts of a stream.

    .. math::

        (m_1, d_1) \oplus (m_2, d_2) = \big(M,\; d_1 e^{m_1 - M} + d_2 e^{m_2 - M}\big),
        \qquad M = \max(m_1, m_2),

    with :math:`e^{-\infty - M} = 0` also when :math:`M = -\infty`. The merge
    is commutative bit for bit (signed zeros included: two zero maxima merge
    to their sum, so ``(-0, .)`` and ``(+0, .)`` give ``+0`` in either order)
    and associative (exactly in real arithmetic, to rounding in floating
    point), with identity :math:`(-\infty, 0)`.

    Parameters
    ----------
    s, t : OnlineState or pair (m, d)
        States of one shape ``S``.

    Returns
    -------
    OnlineState
        Shape ``S``, the common float dtype of the inputs.

    Raises
    ------
    TypeError
        If an argument is not a pair of real arrays.
    ValueError
        If the shapes differ (nothing is broadcast) or a state is impossible.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import online_merge, online_state
    >>> z = np.array([0.5, 4.0, -1.0, 2.0])
    >>> s = online_merge(online_state(z[:2]), online_state(z[2:]))
    >>> t = online_state(z)
    >>> bool(s.m == t.m), bool(np.isclose(s.d, t.d, rtol=1e-15))
    (True, True)
    """
    a = _as_state(s, "s")
    b = _as_state(t, "t")
    _same_state_shape(a, b, "s", "t")
    dt = np.result_type(a.m.dtype, b.m.dtype)
    return _merge(
        OnlineState(a.m.astype(dt), a.d.astype(dt)), OnlineState(b.m.astype(dt), b.d.astype(dt))
    )


def online_state(z: Any, axis: Any = -1, *, work_dtype: Any = None) -> OnlineState:
    r"""The state :math:`(m, d)` of the logits, read in one streaming pass.

    Starting from :math:`(-\infty, 0)`, each :math:`z_k` along ``axis`` is
    read once, in order, with :func:`online_update`:

    .. math::

        m_k &= \max(m_{k-1}, z_k), \\ d_k &= d_{k-1} e^{m_{k-1} - m_k} + e^{z_k - m_k},

    and at the end :math:`m_L = \hat z` and :math:`d_L = \sum_k e^{z_k - \hat z}`.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`softmaxlab.softmax`.
    axis : int, default -1
        The axis to stream along.
    work_dtype : float16, float32 or float64, optional
        Precision of the arithmetic; by default float64.

    Returns
    -------
    OnlineState
        ``m`` and ``d`` of shape ``z.shape`` without ``axis``, in ``work_dtype``.

    Raises
    ------
    TypeError, ValueError
        For bad logits or axis, as for :func:`softmaxlab.softmax`, or an
        unsupported ``work_dtype``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import online_state, logsumexp
    >>> s = online_state([1.0, 2.0, 3.0])
    >>> float(s.m), bool(np.isclose(s.m + np.log(s.d), logsumexp([1.0, 2.0, 3.0])))
    (3.0, True)
    """
    _, _, x = _prepare(z, axis, work_dtype)
    return _stream(x)


def online_softmax(z: Any, axis: Any = -1, *, work_dtype: Any = None) -> np.ndarray:
    r"""Softmax from the online normaliser: one pass for :math:`(m, d)`, one to write.

    .. math::

        a_j = \frac{e^{z_j - m}}{d}, \qquad (m, d) = \operatorname{online\_state}(z).

    The logits are read twice (the safe three-pass method reads them three
    times); the result is the same function as :func:`softmaxlab.softmax`,
    with NaN in the same places. Its rounding error grows with the length,
    because every step rescales and rounds the running sum: within
    :func:`softmaxlab.online_bound` ulps (``0.5 + 3.5 + 4.5 L`` in float64,
    against a bound independent of L for :func:`softmaxlab.softmax`).

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`softmaxlab.softmax`.
    axis : int, default -1
        The axis to normalise along.
    work_dtype : float16, float32 or float64, optional
        Precision of the arithmetic; by default float64, rounded once to
        ``z``'s dtype at the end.

    Returns
    -------
    numpy.ndarray
        Same shape as ``z``; same dtype rule as :func:`softmaxlab.softmax`.
        ``-inf`` logits get 0; a slice whose maximum is not finite gives NaN.

    Raises
    ------
    TypeError, ValueError
        As for :func:`online_state`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import online_softmax, softmax
    >>> z = np.array([1000.0, 999.0, -np.inf])
    >>> bool(np.allclose(online_softmax(z), softmax(z), rtol=1e-15, atol=0))
    True
    >>> online_softmax([0.0, 0.0])
    array([0.5, 0.5])
    """
    arr, ax, x = _prepare(z, axis, work_dtype)
    a = _normalise(x, _stream(x))
    return np.moveaxis(a, -1, ax).astype(arr.dtype, copy=False)


def chunk_states(
    z: Any, chunk_size: Any, axis: Any = -1, *, work_dtype: Any = None
) -> list[OnlineState]:
    r"""The states of consecutive chunks of the logits, each computed on its own.

    Chunk :math:`c` holds entries :math:`cB, \dots, \min(cB + B, L) - 1` of
    ``axis`` (:math:`B` = ``chunk_size``; the last chunk may be shorter). Its
    state is :math:`(\max_{k \in c} z_k, \sum_{k \in c} e^{z_k - \max_{k \in c} z_k})`,
    computed in three passes over the chunk, as a kernel does in fast memory.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`softmaxlab.softmax`.
    chunk_size : int
        Entries per chunk, at least 1.
    axis : int, default -1
        The axis to split.
    work_dtype : float16, float32 or float64, optional
        Precision of the arithmetic; by default float64.

    Returns
    -------
    list of OnlineState
        :math:`\lceil L / B \rceil` states, each of shape ``z.shape`` without ``axis``.

    Raises
    ------
    TypeError
        If ``chunk_size`` is not an int, or for bad logits, as for
        :func:`softmaxlab.softmax`.
    ValueError
        If ``chunk_size < 1``, or for bad logits or axis.

    Examples
    --------
    >>> from softmaxlab import chunk_states
    >>> [(float(s.m), float(s.d)) for s in chunk_states([0.0, 0.0, 5.0], 2)]
    [(0.0, 2.0), (5.0, 1.0)]
    """
    _, _, x = _prepare(z, axis, work_dtype)
    size = _chunk_size(chunk_size)
    return [_block_state(x[..., k : k + size]) for k in range(0, x.shape[-1], size)]


def _check_tree(node: Any, n: int, seen: list[int]) -> None:
    if isinstance(node, numbers.Integral) and not isinstance(node, bool):
        if not 0 <= node < n:
            raise ValueError(
                f"order names state {node}, but there are only {n} states (indices 0 to {n - 1})"
            )
        seen.append(int(node))
        return
    if isinstance(node, (list, tuple)):
        if not node:
            raise ValueError(
                "order contains an empty group; every group must hold at least one index"
            )
        for child in node:
            _check_tree(child, n, seen)
        return
    raise TypeError(
        f"order must be nested lists or tuples of ints, but contains {type(node).__name__} {node!r}"
    )


def _balanced(lo: int, hi: int) -> Any:
    if hi - lo == 1:
        return lo
    mid = (lo + hi) // 2
    return (_balanced(lo, mid), _balanced(mid, hi))


def _reduce(node: Any, states: list[OnlineState]) -> OnlineState:
    if isinstance(node, numbers.Integral):
        return states[node]
    out = _reduce(node[0], states)
    for child in node[1:]:
        out = _merge(out, _reduce(child, states))
    return out


def reduce_states(states: Sequence[Any], order: Any = "tree") -> OnlineState:
    r"""Merge a list of states into one, in the order (tree) you choose.

    Because :func:`online_merge` is associative and commutative, every order
    gives the same state in real arithmetic; in floating point they agree to
    rounding.

    Parameters
    ----------
    states : sequence of OnlineState or pairs (m, d)
        At least one state; all of one shape.
    order : {"tree", "left", "right"} or nested sequence of int, default "tree"
        ``"left"`` folds :math:`((s_0 \oplus s_1) \oplus s_2) \oplus \cdots`;
        ``"right"`` folds :math:`s_0 \oplus (s_1 \oplus (s_2 \oplus \cdots))`;
        ``"tree"`` merges halves recursively (a balanced tree, as on a GPU).
        Otherwise a tree of indices, each used exactly once: an int is that
        state, a list or tuple is the left fold of its members, so
        ``[2, 0, 1]`` is :math:`(s_2 \oplus s_0) \oplus s_1` and
        ``((0, 2), (1, 3))`` is :math:`(s_0 \oplus s_2) \oplus (s_1 \oplus s_3)`.

    Returns
    -------
    OnlineState
        The state of all the chunks together.

    Raises
    ------
    TypeError
        If a state is not a pair of real arrays, or ``order`` is neither a known
        name nor nested sequences of ints.
    ValueError
        If ``states`` is empty, the shapes differ, a state is impossible, or
        ``order`` misses, repeats or invents an index.

    Examples
    --------
    >>> from softmaxlab import chunk_states, reduce_states
    >>> parts = chunk_states([3.0, 1.0, 4.0, 1.0, 5.0], 2)
    >>> a, b = reduce_states(parts, "left"), reduce_states(parts, [2, (1, 0)])
    >>> float(a.m), float(b.m), abs(float(a.d) - float(b.d)) < 1e-15
    (5.0, 5.0, True)
    """
    if isinstance(states, OnlineState) or not isinstance(states, Sequence):
        raise TypeError(f"states must be a list of states, got {type(states).__name__}")
    if len(states) == 0:
        raise ValueError(
            "states is empty; pass at least one state (online_identity() is the empty stream)"
        )
    checked = [_as_state(s, f"states[{k}]") for k, s in enumerate(states)]
    for k, s in enumerate(checked[1:], start=1):
        _same_state_shape(checked[0], s, "states[0]", f"states[{k}]")
    dt = np.result_type(*[s.m.dtype for s in checked])
    checked = [OnlineState(s.m.astype(dt), s.d.astype(dt)) for s in checked]
    n = len(checked)
    if isinstance(order, str):
        trees = {"left": list(range(n)), "right": None, "tree": _balanced(0, n)}
        if order not in trees:
            raise ValueError(
                f"order={order!r} is not known; use 'tree', 'left', 'right' or a tree of indices"
            )
        if order == "right":
            out = checked[-1]
            for s in reversed(checked[:-1]):
                out = _merge(s, out)
            return out
        tree = trees[order]
    else:
        tree = order
        seen: list[int] = []
        _check_tree(tree, n, seen)
        if sorted(seen) != list(range(n)):
            missing = sorted(set(range(n)) - set(seen))
            repeated = sorted({k for k in seen if seen.count(k) > 1})
            raise ValueError(
                f"order must use every index 0 to {n - 1} exactly once; missing {missing}, repeated {repeated}"
            )
    return _reduce(tree, checked)


def chunked_softmax(
    z: Any, chunk_size: Any, axis: Any = -1, *, order: Any = "tree", work_dtype: Any = None
) -> np.ndarray:
    r"""Softmax from chunk states merged in any order: the blocked form of the online method.

    .. math::

        (m, d) = \bigoplus_{c} \Big(\max_{k \in c} z_k,\ \sum_{k \in c} e^{z_k - \max_{k \in c} z_k}\Big),
        \qquad a_j = \frac{e^{z_j - m}}{d}.

    ``chunk_size = 1`` is the online recurrence read one logit at a time (with
    ``order="left"``); ``chunk_size >= L`` is the three-pass safe softmax.

    Accuracy (float64 work, the default): within
    :func:`softmaxlab.promises.chunked_bound` ``(L, chunk_size)`` ulps for any
    ``order``, :math:`0.5 + (\mathrm{EXP\_REL} + 2) + (\mathrm{EXP\_REL} + 1) +
    (b - 1) + h\,(\mathrm{EXP\_REL} + 3)` with :math:`b` the chunk size,
    :math:`n = \lceil L / b \rceil` chunks and :math:`h` the most merges on a
    chunk's path (:math:`n - 1`; :math:`\lceil \log_2 n \rceil` for
    ``order="tree"``, pass it as ``height``): the leaf sums' and the merges'
    roundings, derived there as :func:`softmaxlab.online_bound` is.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`softmaxlab.softmax`.
    chunk_size : int
        Entries per chunk, at least 1.
    axis : int, default -1
        The axis to normalise along.
    order : str or nested sequence of int, default "tree"
        How the chunk states are merged; see :func:`reduce_states`.
    work_dtype : float16, float32 or float64, optional
        Precision of the arithmetic; by default float64, rounded once at the end.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype rule as :func:`softmaxlab.softmax`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`chunk_states` and :func:`reduce_states`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import chunked_softmax, softmax
    >>> z = np.random.default_rng(0).normal(size=10)
    >>> bool(np.allclose(chunked_softmax(z, 3, order=[3, 1, (0, 2)]), softmax(z), rtol=1e-14, atol=0))
    True
    """
    arr, ax, x = _prepare(z, axis, work_dtype)
    size = _chunk_size(chunk_size)
    parts = [_block_state(x[..., k : k + size]) for k in range(0, x.shape[-1], size)]
    a = _normalise(x, reduce_states(parts, order))
    return np.moveaxis(a, -1, ax).astype(arr.dtype, copy=False)


def online_weighted_sum(z: Any, v: Any, axis: Any = -1, *, work_dtype: Any = None) -> np.ndarray:
    r"""The softmax-weighted sum :math:`\sum_i a_i v_i` in one pass over ``z`` and ``v``.

    With :math:`a = \operatorname{softmax}(z)`, this is the output of one query
    of attention (the scores ``z`` against the values ``v``). An unnormalised
    accumulator :math:`o` is rescaled whenever the maximum grows:

    .. math::

        m_k &= \max(m_{k-1}, z_k), \\
        d_k &= d_{k-1} e^{m_{k-1} - m_k} + e^{z_k - m_k}, \\
        o_k &= o_{k-1} e^{m_{k-1} - m_k} + e^{z_k - m_k} v_k,

    from :math:`(-\infty, 0, 0)`, and the result is :math:`o_L / d_L`. No
    probability is ever stored.

    Parameters
    ----------
    z : array_like, shape (..., L, ...)
        Logits, as for :func:`softmaxlab.softmax`.
    v : array_like, shape ``z.shape`` or ``z.shape + (p,)``
        One value (a scalar or a vector of length p) per logit; its axis
        ``axis`` is the same as ``z``'s. Not broadcast.
    axis : int, default -1
        The softmax axis of ``z``.
    work_dtype : float16, float32 or float64, optional
        Precision of the arithmetic; by default float64.

    Returns
    -------
    numpy.ndarray
        Shape ``z.shape`` without ``axis``, followed by ``(p,)`` if ``v`` has
        the extra axis; dtype the common float type of ``z`` and ``v``. NaN for
        a slice whose maximum is not finite.

    Raises
    ------
    TypeError
        If ``z`` or ``v`` is not real-valued, or for a bad ``work_dtype``.
    ValueError
        If ``v``'s shape is neither ``z.shape`` nor ``z.shape + (p,)``, or for
        bad logits or axis.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import online_weighted_sum, softmax
    >>> z = np.array([0.0, 1.0, 2.0])
    >>> v = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    >>> bool(np.allclose(online_weighted_sum(z, v), softmax(z) @ v, rtol=1e-15))
    True
    >>> float(online_weighted_sum([5.0, -np.inf], [2.0, 7.0]))
    2.0
    """
    arr, ax, x = _prepare(z, axis, work_dtype)
    vals = as_float_array(v, "v")
    if vals.shape == arr.shape:
        vector = False
        w = np.moveaxis(vals, ax, -1)[..., None]
    elif vals.ndim == arr.ndim + 1 and vals.shape[:-1] == arr.shape:
        vector = True
        w = np.moveaxis(vals, ax, -2)
    else:
        raise ValueError(
            f"v has shape {vals.shape} but z has shape {arr.shape}; v must have z's shape "
            f"{arr.shape} (one number per logit) or z's shape plus one trailing axis "
            f"{arr.shape + ('p',)} (one vector per logit); nothing is broadcast"
        )
    w = w.astype(x.dtype, copy=False)
    m = np.full(x.shape[:-1], -np.inf, dtype=x.dtype)
    d = np.zeros(x.shape[:-1], dtype=x.dtype)
    o = np.zeros(x.shape[:-1] + w.shape[-1:], dtype=x.dtype)
    for k in range(x.shape[-1]):
        m, d, old, new = _push(m, d, x[..., k])
        o = o * old[..., None] + new[..., None] * w[..., k, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = o / d[..., None]
    out = np.where(np.isfinite(m)[..., None], out, np.nan)
    if not vector:
        out = out[..., 0]
    return out.astype(np.result_type(arr.dtype, vals.dtype), copy=False)
