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

from collections.abc import Sequence
from typing import NamedTuple, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ._validation import (
    as_float_array,
    choice,
    float_dtype,
    index,
    integer,
    logits,
    same_shape,
)
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

    m: NDArray[np.floating]
    d: NDArray[np.floating]


#: What the functions that take a state accept: an OnlineState or a pair (m, d).
StateLike: TypeAlias = "OnlineState | tuple[ArrayLike, ArrayLike]"
#: A merge order: a state's index, or a group (a left fold) of smaller orders.
_Tree: TypeAlias = "int | tuple[_Tree, ...]"


# ------------------------------------------------------------------ validation
# Built from the package's vocabulary (softmaxlab._validation); what is left
# here is what only a state has: two components of one shape, and d >= 0
# with d = 0 wherever m = -inf.


def _as_state(s: object, name: str = "state") -> OnlineState:
    if not isinstance(s, tuple) or len(s) != 2:
        raise TypeError(
            f"{name} must be an OnlineState or a pair (m, d), got {type(s).__name__}; "
            "make one with online_identity, online_state or chunk_states"
        )
    m = as_float_array(s[0], f"{name}.m", allow_scalar=True)
    d = as_float_array(s[1], f"{name}.d", allow_scalar=True)
    same_shape(m, d, f"{name}.m", f"{name}.d")
    with np.errstate(invalid="ignore"):
        if np.any(d < 0):
            raise ValueError(
                f"{name}.d has a negative entry; a normaliser is a sum of exponentials, so d >= 0"
            )
        if np.any((m == -np.inf) & (d != 0)):
            raise ValueError(
                f"{name} has m = -inf with d != 0; the only state with m = -inf is the "
                "identity (-inf, 0)"
            )
    dt = np.result_type(m.dtype, d.dtype)
    return OnlineState(m.astype(dt, copy=False), d.astype(dt, copy=False))


def _as_states(states: object) -> list[OnlineState]:
    """A non-empty list of valid states of one shape, cast to their common dtype."""
    if isinstance(states, OnlineState) or not isinstance(states, Sequence):
        raise TypeError(f"states must be a list of states, got {type(states).__name__}")
    if len(states) == 0:
        raise ValueError(
            "states is empty; pass at least one state (online_identity() is the empty stream)"
        )
    checked = [_as_state(s, f"states[{k}]") for k, s in enumerate(states)]
    for k, s in enumerate(checked[1:], start=1):
        same_shape(checked[0].m, s.m, "states[0]", f"states[{k}]")
    dt = np.result_type(*[s.m.dtype for s in checked])
    return [OnlineState(s.m.astype(dt), s.d.astype(dt)) for s in checked]


def _tree(node: object, n: int, seen: list[int], name: str = "order") -> _Tree:
    """Check a merge order over ``n`` states; return it as ints and tuples."""
    if isinstance(node, (list, tuple)):
        if not node:
            raise ValueError(f"{name} is an empty group; every group must hold at least one index")
        return tuple(_tree(child, n, seen, f"{name}[{k}]") for k, child in enumerate(node))
    k = index(node, n, name, from_end=False)
    seen.append(k)
    return k


def _order(order: object, n: int) -> _Tree | None:
    """The merge tree that ``order`` names (``None`` for the right fold)."""
    if isinstance(order, str):
        name = choice(order, "order", ("tree", "left", "right"))
        if name == "right":
            return None
        return tuple(range(n)) if name == "left" else _balanced(0, n)
    if isinstance(order, bool) or not isinstance(order, (list, tuple, int, np.integer)):
        raise TypeError(
            f"order must be 'tree', 'left', 'right' or nested lists or tuples of ints, "
            f"got {type(order).__name__} {order!r:.40}"
        )
    seen: list[int] = []
    tree = _tree(order, n, seen)
    if sorted(seen) != list(range(n)):
        missing = sorted(set(range(n)) - set(seen))
        repeated = sorted({k for k in seen if seen.count(k) > 1})
        raise ValueError(
            f"order must use every index 0 to {n - 1} exactly once; "
            f"missing {missing}, repeated {repeated}"
        )
    return tree


# --------------------------------------------------------------------- kernels


def _exp_sub(a: NDArray[np.floating], b: NDArray[np.floating]) -> NDArray[np.floating]:
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


_Arrays4: TypeAlias = tuple[
    NDArray[np.floating], NDArray[np.floating], NDArray[np.floating], NDArray[np.floating]
]


def _push(m: NDArray[np.floating], d: NDArray[np.floating], x: NDArray[np.floating]) -> _Arrays4:
    """One step of the recurrence; also returns the two scale factors."""
    m_new = np.maximum(m, x)
    old = _exp_sub(m, m_new)
    new = _exp_sub(x, m_new)
    return m_new, d * old + new, old, new


def _merge(s: OnlineState, t: OnlineState) -> OnlineState:
    m = np.maximum(s.m, t.m)
    # max(-0, +0) is either zero, depending on the order; -0 + +0 = +0 is not,
    # so a tie of zeros takes their sum and the merge is commutative bit for bit.
    # (The sum is formed everywhere but kept only at the zeros: silence it.)
    with np.errstate(over="ignore", invalid="ignore"):
        zero_sum = s.m + t.m
    m = np.where((s.m == 0) & (t.m == 0), zero_sum, m)[
        ()
    ]  # [()]: a 0-d result stays a NumPy scalar
    return OnlineState(m, s.d * _exp_sub(s.m, m) + t.d * _exp_sub(t.m, m))


def _stream(x: NDArray[np.floating]) -> OnlineState:
    """The state of ``x`` along its last axis, read one entry at a time."""
    m = np.full(x.shape[:-1], -np.inf, dtype=x.dtype)
    d = np.zeros(x.shape[:-1], dtype=x.dtype)
    for k in range(x.shape[-1]):
        m, d, _, _ = _push(m, d, x[..., k])
    return OnlineState(m, d)


def _block_state(x: NDArray[np.floating]) -> OnlineState:
    """The state of ``x`` along its last axis by the three-pass method."""
    m = np.max(x, axis=-1)
    d = np.sum(_exp_sub(x, m[..., None]), axis=-1)
    return OnlineState(m, d)


def _chunks(x: NDArray[np.floating], size: int) -> list[OnlineState]:
    """The states of consecutive chunks of ``size`` entries of ``x``'s last axis."""
    return [_block_state(x[..., k : k + size]) for k in range(0, x.shape[-1], size)]


def _normalise(x: NDArray[np.floating], state: OnlineState) -> NDArray[np.floating]:
    m = state.m[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = _exp_sub(x, m) / state.d[..., None]
    # A slice whose maximum is not finite has no softmax, as in softmaxlab.softmax.
    return np.where(np.isfinite(m), a, np.nan)


def _prepare(
    z: ArrayLike, axis: int, work_dtype: DTypeLike | None
) -> tuple[NDArray[np.floating], int, NDArray[np.floating]]:
    """Logits, their axis, and the logits moved to the last axis in the work dtype."""
    arr, ax = logits(z, axis)
    wd = np.dtype(np.float64) if work_dtype is None else float_dtype(work_dtype, "work_dtype")
    return arr, ax, np.moveaxis(arr, ax, -1).astype(wd, copy=False)


# ------------------------------------------------------------------ public API


def online_identity(
    shape: int | tuple[int, ...] = (), dtype: DTypeLike = np.float64
) -> OnlineState:
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
    dt = float_dtype(dtype)
    try:
        m = np.full(shape, -np.inf, dtype=dt)
    except TypeError:
        raise TypeError(f"shape must be an int or a tuple of ints, got {shape!r}") from None
    except ValueError as err:
        raise ValueError(f"shape {shape!r} is not a valid array shape ({err})") from None
    return OnlineState(m, np.zeros_like(m))


def online_update(state: StateLike, x: ArrayLike) -> OnlineState:
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
    xv = as_float_array(x, "x", allow_scalar=True)
    same_shape(s.m, xv, "the state", "x")
    dt = np.result_type(s.m.dtype, xv.dtype)
    m, d, _, _ = _push(s.m.astype(dt), s.d.astype(dt), xv.astype(dt))
    return OnlineState(m, d)


def online_merge(s: StateLike, t: StateLike) -> OnlineState:
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
    same_shape(a.m, b.m, "s", "t")
    dt = np.result_type(a.m.dtype, b.m.dtype)
    return _merge(
        OnlineState(a.m.astype(dt), a.d.astype(dt)), OnlineState(b.m.astype(dt), b.d.astype(dt))
    )


def online_state(
    z: ArrayLike, axis: int = -1, *, work_dtype: DTypeLike | None = None
) -> OnlineState:
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


def online_softmax(
    z: ArrayLike, axis: int = -1, *, work_dtype: DTypeLike | None = None
) -> NDArray[np.floating]:
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
    z: ArrayLike, chunk_size: int, axis: int = -1, *, work_dtype: DTypeLike | None = None
) -> list[OnlineState]:
    r"""The states of consecutive chunks of the logits, each computed on its own.

    With :math:`n_{\mathrm{blk}}` = ``chunk_size``, chunk :math:`c` holds entries
    :math:`c n_{\mathrm{blk}}, \dots, \min((c + 1) n_{\mathrm{blk}}, L) - 1` of
    ``axis`` (the last chunk may be shorter). Its
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
        :math:`\lceil L / n_{\mathrm{blk}} \rceil` states, each of shape ``z.shape``
        without ``axis``.

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
    return _chunks(x, integer(chunk_size, "chunk_size", minimum=1))


def _balanced(lo: int, hi: int) -> _Tree:
    if hi - lo == 1:
        return lo
    mid = (lo + hi) // 2
    return (_balanced(lo, mid), _balanced(mid, hi))


def _reduce(node: _Tree, states: list[OnlineState]) -> OnlineState:
    if isinstance(node, int):
        return states[node]
    out = _reduce(node[0], states)
    for child in node[1:]:
        out = _merge(out, _reduce(child, states))
    return out


def _merge_all(states: list[OnlineState], order: object) -> OnlineState:
    """Merge valid states of one shape and dtype in ``order`` (validated here)."""
    tree = _order(order, len(states))
    if tree is None:  # the right fold
        out = states[-1]
        for s in reversed(states[:-1]):
            out = _merge(s, out)
        return out
    return _reduce(tree, states)


def reduce_states(
    states: Sequence[StateLike], order: str | Sequence[object] = "tree"
) -> OnlineState:
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
    return _merge_all(_as_states(states), order)


def chunked_softmax(
    z: ArrayLike,
    chunk_size: int,
    axis: int = -1,
    *,
    order: str | Sequence[object] = "tree",
    work_dtype: DTypeLike | None = None,
) -> NDArray[np.floating]:
    r"""Softmax from chunk states merged in any order: the blocked form of the online method.

    .. math::

        (m, d) = \bigoplus_{c} \Big(m_c,\ \sum_{k \in c} e^{z_k - m_c}\Big),
        \quad m_c = \max_{k \in c} z_k, \qquad a_j = \frac{e^{z_j - m}}{d}.

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
    >>> a = chunked_softmax(z, 3, order=[3, 1, (0, 2)])
    >>> bool(np.allclose(a, softmax(z), rtol=1e-14, atol=0))
    True
    """
    arr, ax, x = _prepare(z, axis, work_dtype)
    parts = _chunks(x, integer(chunk_size, "chunk_size", minimum=1))
    a = _normalise(x, _merge_all(parts, order))  # the states are valid: not checked again
    return np.moveaxis(a, -1, ax).astype(arr.dtype, copy=False)


def online_weighted_sum(
    z: ArrayLike, v: ArrayLike, axis: int = -1, *, work_dtype: DTypeLike | None = None
) -> NDArray[np.floating]:
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
            f"{(*arr.shape, 'p')} (one vector per logit); nothing is broadcast"
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
