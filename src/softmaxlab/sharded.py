r"""Softmax with its axis split across devices: states, collectives, and their count.

The logits :math:`z \in \mathbb{R}^L` of one row are cut into :math:`R`
contiguous *shards* of :math:`n = L / R` logits, one per device of a
one-dimensional device mesh. Device :math:`r` summarises its shard by the state
:math:`(m_r, d_r)` of :mod:`softmaxlab.online`; the row's state is the merge

.. math::

    (M, d) = \bigoplus_{r=1}^{R} (m_r, d_r), \qquad
    M = \max_r m_r, \quad d = \sum_r d_r\, e^{m_r - M},

and :math:`\operatorname{LSE}(z) = M + \log d`. The functions here compute that
merge with JAX's SPMD collectives inside :func:`jax.shard_map`, in three ways:

- ``"two-collective"``: an all-reduce of the maxima (``pmax``), then an
  all-reduce of the sums re-measured against :math:`M` (``psum``);
- ``"gather-states"``: one all-gather of the :math:`R` states, merged locally
  (every device merges the same gathered values in the same order);
- ``"butterfly"``: :math:`\log_2 R` rounds of pairwise exchange
  (``ppermute``), each merging a device's state with its partner's.

Every maximum is put behind :func:`jax.lax.stop_gradient` *before* it reaches a
collective: the result does not depend on the reference point (the row sums of
the softmax Jacobian are zero), so the stopped term is exactly zero, and JAX's
``pmax`` has no differentiation rule anyway.

:func:`count_collectives` reads the collectives of a program from its lowered
(StableHLO) or compiled (HLO) text, so communication is counted from the
program itself, not from timings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh
from jax.sharding import PartitionSpec as P
from numpy.typing import ArrayLike, DTypeLike

from ._validation import integer

__all__ = [
    "COLLECTIVE_KINDS",
    "SHARDED_METHODS",
    "ShardedState",
    "backward_collectives",
    "count_collectives",
    "device_mesh",
    "normaliser_error_bound",
    "program_collectives",
    "sharded_logsumexp",
    "sharded_softmax",
    "sharded_states",
    "split_k_attention",
    "vocab_parallel_cross_entropy",
]

#: The kinds of collective operation that :func:`count_collectives` counts.
COLLECTIVE_KINDS = (
    "all-reduce",
    "all-gather",
    "reduce-scatter",
    "collective-permute",
    "all-to-all",
)

#: The ways of reducing the shard states, for :func:`sharded_logsumexp` and friends.
SHARDED_METHODS = ("two-collective", "gather-states", "butterfly")

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


class ShardedState(NamedTuple):
    r"""The states :math:`(M, d)` that the devices hold after the reduction.

    ``m`` and ``d`` have shape ``(R,) + rows``: entry ``[r]`` is device
    ``r``'s copy. A correct all-reduce leaves the same state on every device.
    """

    m: jax.Array
    d: jax.Array


# ------------------------------------------------------------------ validation


def _mesh(mesh: Any) -> tuple[Mesh, str, int]:
    if not isinstance(mesh, Mesh):
        raise TypeError(
            "mesh must be a jax.sharding.Mesh (make one with device_mesh), "
            f"got {type(mesh).__name__}"
        )
    if len(mesh.axis_names) != 1:
        raise ValueError(
            f"mesh must have exactly one axis (the devices the softmax axis is split over), "
            f"got axes {tuple(mesh.axis_names)}"
        )
    name = mesh.axis_names[0]
    return mesh, name, int(mesh.shape[name])


def _float_array(x: Any, name: str) -> jax.Array:
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers, got a {type(x).__name__}")
    try:
        arr = jnp.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name} could not be turned into an array of real numbers ({err})"
        ) from None
    if arr.dtype not in _FLOATS:
        raise TypeError(f"{name} has dtype {arr.dtype}; expected float32 or float64")
    return arr


def _logits(z: Any, R: int, name: str = "z") -> jax.Array:
    arr = _float_array(z, name)
    if arr.ndim == 0:
        raise ValueError(
            f"{name} is a scalar; expected logits of shape (..., L), split along the last axis"
        )
    L = arr.shape[-1]
    if L == 0 or L % R:
        raise ValueError(
            f"{name} has {L} logits along its last axis, which the mesh cannot split into "
            f"{R} equal shards; L must be a positive multiple of {R} "
            "(pad with -inf to the next multiple)"
        )
    return arr


def _method(method: Any, R: int, allowed: tuple[str, ...] = SHARDED_METHODS) -> str:
    if not isinstance(method, str):
        raise TypeError(f"method must be one of {allowed}, got {type(method).__name__} {method!r}")
    if method not in allowed:
        raise ValueError(f"method must be one of {allowed}, got {method!r}")
    if method == "butterfly" and R & (R - 1):
        raise ValueError(
            f"the butterfly reduction needs a power-of-two number of devices, the mesh has {R}"
        )
    return method


def _spec(ndim: int, axis: str) -> P:
    """Split the last of ``ndim`` axes over the mesh axis; replicate the others."""
    return P(*([None] * (ndim - 1)), axis)


# --------------------------------------------------------- per-device kernels


def _E(x: jax.Array, M: jax.Array) -> jax.Array:
    r""":math:`e^{x - M}`, and exactly 0 where :math:`x = -\infty`, also for :math:`M = -\infty`.

    The inner ``where`` keeps the NaN of :math:`-\infty - (-\infty)` away from
    the exponential, so that its unused derivative cannot make a gradient NaN.
    """
    absent = x == -jnp.inf
    return jnp.where(absent, 0.0, jnp.exp(jnp.where(absent, 0.0, x - M)))


def _local_state(z: jax.Array) -> tuple[jax.Array, jax.Array]:
    """The state of this device's shard, along the last axis (three passes on chip)."""
    m = jax.lax.stop_gradient(jnp.max(z, axis=-1))
    return m, jnp.sum(_E(z, m[..., None]), axis=-1)


def _merge_stacked(m: jax.Array, d: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Merge the states stacked along axis 0, in one fixed order."""
    M = jnp.max(m, axis=0)
    return M, jnp.sum(d * _E(m, M), axis=0)


def _reduce(
    m: jax.Array, d: jax.Array, method: str, axis: str, R: int
) -> tuple[jax.Array, jax.Array]:
    """The row state from this device's state, by the chosen collectives."""
    if method == "two-collective":
        M = jax.lax.pmax(m, axis)
        return M, jax.lax.psum(d * _E(m, M), axis)
    if method == "gather-states":
        both = jax.lax.all_gather(jnp.stack([m, d]), axis, to="invarying")
        return _merge_stacked(both[:, 0], both[:, 1])
    step = 1
    while step < R:  # butterfly: exchange with the device whose index differs in one bit
        perm = [(r, r ^ step) for r in range(R)]
        m2, d2 = jax.lax.ppermute(jnp.stack([m, d]), axis, perm)  # one message
        M = jnp.maximum(m, m2)
        m, d = M, d * _E(m, M) + d2 * _E(m2, M)
        step *= 2
    return m, d


def _state_program(
    mesh: Mesh, axis: str, R: int, ndim: int, method: str, per_device: bool
) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    def body(z: jax.Array) -> tuple[jax.Array, jax.Array]:
        M, d = _reduce(*_local_state(z), method, axis, R)
        if per_device:
            return M[None], d[None]  # this device's copy
        return M, d

    out = P(axis) if per_device else P()
    return jax.shard_map(body, mesh=mesh, in_specs=_spec(ndim, axis), out_specs=(out, out))


# ------------------------------------------------------------------ public API


def device_mesh(
    n_devices: int | None = None,
    *,
    devices: Sequence[jax.Device] | None = None,
    axis_name: str = "shards",
) -> Mesh:
    """A one-dimensional mesh of devices, to split the softmax axis over.

    On this book's CPU the devices are the ``jax_num_cpu_devices`` CPU devices
    that :func:`softmaxlab.book_settings` asked for; on a GPU or TPU cluster,
    after :func:`jax.distributed.initialize`, pass ``devices=jax.devices()``
    and nothing else changes.

    Parameters
    ----------
    n_devices : int, optional
        Use the first ``n_devices`` devices; by default all of them.
    devices : sequence of jax.Device, optional
        The devices to choose from; by default :func:`jax.devices`.
    axis_name : str, default "shards"
        The name of the mesh axis, used by the collectives.

    Returns
    -------
    jax.sharding.Mesh
        A mesh with one axis of size ``n_devices``.

    Raises
    ------
    TypeError
        If ``n_devices`` is not an int or ``axis_name`` not a string.
    ValueError
        If ``n_devices`` is not between 1 and the number of devices.

    Examples
    --------
    >>> from softmaxlab import device_mesh
    >>> mesh = device_mesh(1)
    >>> mesh.axis_names, mesh.size
    (('shards',), 1)
    """
    pool = list(jax.devices() if devices is None else devices)
    n = len(pool) if n_devices is None else integer(n_devices, "n_devices")
    if not isinstance(axis_name, str):
        raise TypeError(f"axis_name must be a str, got {type(axis_name).__name__}")
    if not 1 <= n <= len(pool):
        raise ValueError(
            f"n_devices={n} but {len(pool)} device(s) are available; ask for between 1 and "
            f"{len(pool)} (more CPU devices: sl.book_settings(cpu_devices=N) before JAX starts)"
        )
    return Mesh(np.array(pool[:n]), (axis_name,))


def normaliser_error_bound(
    L: int,
    R: int,
    *,
    method: str = "two-collective",
    dtype: DTypeLike = np.float64,
    gamma: float | None = None,
) -> float:
    r"""First-order bound on the relative error of the sharded normaliser :math:`d`.

    .. math::

        \frac{|\hat d - d|}{d} \le 2\gamma + \Big(n + R - 1 + \frac{2L}{e}\Big) u,
        \qquad n = L / R,

    for either reduction (two collectives or gathered states): every term
    passes through two computed exponentials (within :math:`\gamma` each, plus
    the rounding of their arguments, which adds at most :math:`u/e` per unit of
    the sum), :math:`n - 1` additions on its device, one product and
    :math:`R - 1` additions across devices (chapter 8, the error proposition).
    The butterfly merges :math:`h = \log_2 R` times, each with one computed
    factor, one product and one addition:
    :math:`(1 + h)\gamma + (n - 1 + 2h + (1 + h) L / e)\,u`.

    Parameters
    ----------
    L, R : int
        Logits per row and devices; ``L`` a multiple of ``R``.
    method : {"two-collective", "gather-states", "butterfly"}
    dtype : float32 or float64, default float64
        Gives the unit roundoff :math:`u`.
    gamma : float, optional
        Relative error of one computed exponential; default :math:`4u`.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``L`` or ``R`` is not an int, or ``dtype`` is not float32/float64.
    ValueError
        If ``R < 1`` or ``L`` is not a positive multiple of ``R``, or ``gamma < 0``.

    Examples
    --------
    >>> from softmaxlab import normaliser_error_bound
    >>> u = 2.0**-53
    >>> round(normaliser_error_bound(16, 4) / u, 3)  # 8 + 4 + 3 + 32/e
    26.772
    """
    L, R = integer(L, "L"), integer(R, "R")
    if R < 1 or L < 1 or L % R:
        raise ValueError(f"need R >= 1 and L a positive multiple of R, got L={L}, R={R}")
    meth = _method(method, R)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt not in _FLOATS:  # (np.dtype(float) == None is True)
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}")
    u = float(np.finfo(dt).eps) / 2
    g = 4 * u if gamma is None else float(gamma)
    if not g >= 0:
        raise ValueError(f"gamma must be non-negative, got {gamma!r}")
    n = L // R
    if meth == "butterfly":
        h = R.bit_length() - 1
        return (1 + h) * g + (n - 1 + 2 * h + (1 + h) * L / np.e) * u
    return 2 * g + (n + R - 1 + 2 * L / np.e) * u


def sharded_states(z: ArrayLike, mesh: Mesh, *, method: str = "two-collective") -> ShardedState:
    r"""The row state :math:`(M, d)` as each device holds it after the reduction.

    The logits are split along their last axis into ``R = mesh.size`` shards;
    each device forms the state of its shard and the states are reduced by
    ``method`` (see the module docstring).

    Parameters
    ----------
    z : array_like, shape (..., L)
        float32 or float64 logits; ``L`` a multiple of the number of devices.
    mesh : jax.sharding.Mesh
        A one-axis mesh, from :func:`device_mesh`.
    method : {"two-collective", "gather-states", "butterfly"}

    Returns
    -------
    ShardedState
        ``m`` and ``d`` of shape ``(R,) + z.shape[:-1]``, one copy per device.

    Raises
    ------
    TypeError
        If ``z`` is not a float32/float64 array, ``mesh`` not a Mesh, or
        ``method`` not a string.
    ValueError
        If ``L`` is not a multiple of ``R``, the mesh has more than one axis,
        ``method`` is unknown, or ``"butterfly"`` meets a ``R`` that is not a
        power of two.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, sharded_states
    >>> s = sharded_states(np.array([1.0, 3.0, 2.0, 3.0]), device_mesh(1))
    >>> float(s.m[0]), round(float(s.d[0]), 12)  # 3 and e^-2 + 1 + e^-1 + 1
    (3.0, 2.503214724408)
    """
    mesh, axis, R = _mesh(mesh)
    meth = _method(method, R)
    arr = _logits(z, R)
    m, d = _state_program(mesh, axis, R, arr.ndim, meth, per_device=True)(arr)
    return ShardedState(m, d)


def sharded_logsumexp(z: ArrayLike, mesh: Mesh, *, method: str = "two-collective") -> jax.Array:
    r"""Log-sum-exp of each row, with the row split across the devices of ``mesh``.

    .. math::

        \operatorname{LSE}(z) = M + \log d,

        (M, d) = \bigoplus_{r} \Big(m_r,\; \sum_{i \in r} e^{z_i - m_r}\Big),
        \qquad m_r = \max_{i \in r} z_i.

    Differentiable with :func:`jax.grad` (the gradient is
    :math:`\operatorname{softmax}(z)`): the maxima are behind ``stop_gradient``,
    which is exact. A row of all ``-inf`` gives ``-inf``. (The butterfly
    reduction is offered by :func:`sharded_states` only: its result is
    replicated in value, but JAX's type system cannot know that.)

    Parameters
    ----------
    z : array_like, shape (..., L)
        float32 or float64 logits; ``L`` a multiple of the number of devices.
    mesh : jax.sharding.Mesh
    method : {"two-collective", "gather-states"}

    Returns
    -------
    jax.Array, shape z.shape[:-1]
        In ``z``'s dtype.

    Raises
    ------
    TypeError, ValueError
        As for :func:`sharded_states`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, logsumexp, sharded_logsumexp
    >>> z = np.array([[0.5, -1.0, 2.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    >>> got = sharded_logsumexp(z, device_mesh(1), method="gather-states")
    >>> bool(np.allclose(got, logsumexp(z, axis=-1), rtol=1e-15))
    True
    """
    mesh, axis, R = _mesh(mesh)
    meth = _method(method, R, SHARDED_METHODS[:2])
    arr = _logits(z, R)
    M, d = _state_program(mesh, axis, R, arr.ndim, meth, per_device=False)(arr)
    return M + jnp.log(d)


def sharded_softmax(z: ArrayLike, mesh: Mesh, *, method: str = "two-collective") -> jax.Array:
    r"""Softmax of each row, the row (and the result) split across the devices.

    Each device computes :math:`a_i = e^{z_i - M} / d` for its own shard from
    the reduced state; the probabilities never leave their device.

    Parameters
    ----------
    z : array_like, shape (..., L)
    mesh : jax.sharding.Mesh
    method : {"two-collective", "gather-states"}

    Returns
    -------
    jax.Array, shape z.shape
        Sharded along the last axis like ``z``; NaN for an all ``-inf`` row.

    Raises
    ------
    TypeError, ValueError
        As for :func:`sharded_states` (``"butterfly"`` is not offered here).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, sharded_softmax, softmax
    >>> z = np.array([0.5, -1.0, 2.0, 0.0])
    >>> bool(np.allclose(sharded_softmax(z, device_mesh(1)), softmax(z), rtol=1e-15))
    True
    """
    mesh, axis, R = _mesh(mesh)
    meth = _method(method, R, SHARDED_METHODS[:2])
    arr = _logits(z, R)

    def body(x: jax.Array) -> jax.Array:
        M, d = _reduce(*_local_state(x), meth, axis, R)
        return _E(x, M[..., None]) / d[..., None]

    spec = _spec(arr.ndim, axis)
    return jax.shard_map(body, mesh=mesh, in_specs=spec, out_specs=spec)(arr)


def _xent_forward(
    z: jax.Array, y: jax.Array, axis: str, R: int
) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
    """Per device: loss of each row, and what the backward pass needs."""
    n = z.shape[-1]
    first = jax.lax.axis_index(axis) * n  # the first vocabulary index on this device
    local = y - first
    here = (local >= 0) & (local < n)
    picked = jnp.take_along_axis(z, jnp.clip(local, 0, n - 1)[..., None], axis=-1)[..., 0]
    M = jax.lax.pmax(jax.lax.stop_gradient(jnp.max(z, axis=-1)), axis)
    w = _E(z, M[..., None])
    # one all-reduce carries both sums: the normaliser and the target logit
    d, z_k = jax.lax.psum(jnp.stack([jnp.sum(w, axis=-1), jnp.where(here, picked, 0.0)]), axis)
    onehot = (jnp.arange(n) == local[..., None]) & here[..., None]
    return M + jnp.log(d) - z_k, (w / d[..., None], onehot)


def vocab_parallel_cross_entropy(
    z: ArrayLike, y: ArrayLike, mesh: Mesh, *, gradient: str = "formula"
) -> jax.Array:
    r"""Cross-entropy :math:`\operatorname{LSE}(z) - z_k` with the vocabulary split across devices.

    Each device holds ``L / R`` consecutive logits of every row. The forward
    pass sends two all-reduces per row: the maximum :math:`M`, then one
    all-reduce of two numbers, the normaliser :math:`\sum_i e^{z_i - M}` and
    the target logit :math:`z_k` (which only its owner contributes). The
    gradient :math:`a - e_k` is formed on each device from its own
    probabilities, with no communication.

    Parameters
    ----------
    z : array_like, shape (B, L)
        float32 or float64 logits; ``L`` a multiple of the number of devices.
    y : array_like of int, shape (B,)
        Target classes in ``[0, L)``.
    mesh : jax.sharding.Mesh
    gradient : {"formula", "autodiff"}, default "formula"
        ``"formula"``: a custom VJP that returns :math:`g\,(a - e_k)` from the
        saved local probabilities (as Megatron-LM does); ``"autodiff"``: JAX
        differentiates the sharded forward program itself.

    Returns
    -------
    jax.Array, shape (B,)
        The loss of each row.

    Raises
    ------
    TypeError
        For non-float logits, non-integer targets, a non-Mesh, or a
        non-string ``gradient``.
    ValueError
        For shapes that do not fit, targets outside ``[0, L)`` (when ``y`` is
        concrete), or an unknown ``gradient``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, logsumexp, vocab_parallel_cross_entropy
    >>> z, y = np.array([[0.5, -1.0, 2.0, 0.0]]), np.array([2])
    >>> loss = vocab_parallel_cross_entropy(z, y, device_mesh(1))
    >>> bool(np.isclose(loss[0], logsumexp(z[0]) - 2.0, rtol=1e-15))
    True
    """
    mesh, axis, R = _mesh(mesh)
    arr = _logits(z, R)
    if arr.ndim != 2:
        raise ValueError(f"z must have shape (B, L), got shape {arr.shape}")
    if not isinstance(gradient, str):
        raise TypeError(f"gradient must be 'formula' or 'autodiff', got {type(gradient).__name__}")
    if gradient not in ("formula", "autodiff"):
        raise ValueError(f"gradient must be 'formula' or 'autodiff', got {gradient!r}")
    t = jnp.asarray(y)
    if not jnp.issubdtype(t.dtype, jnp.integer):
        raise TypeError(f"y must hold integer class indices, got dtype {t.dtype}")
    if t.shape != arr.shape[:1]:
        raise ValueError(
            f"y has shape {t.shape} but z has {arr.shape[0]} rows; expected shape ({arr.shape[0]},)"
        )
    if not isinstance(t, jax.core.Tracer):
        bad = (np.asarray(t) < 0) | (np.asarray(t) >= arr.shape[-1])
        if bad.any():
            raise ValueError(f"y must lie in [0, {arr.shape[-1]}), got {np.asarray(t)[bad][0]}")
    in_specs = (P(None, axis), P())
    loss_only = jax.shard_map(
        lambda x, c: _xent_forward(x, c, axis, R)[0], mesh=mesh, in_specs=in_specs, out_specs=P()
    )
    if gradient == "autodiff":
        return loss_only(arr, t)
    with_residuals = jax.shard_map(
        partial(_xent_forward, axis=axis, R=R),
        mesh=mesh,
        in_specs=in_specs,
        out_specs=(P(), (P(None, axis), P(None, axis))),
    )
    local_grad = jax.shard_map(
        lambda g, a, e: g[:, None] * (a - e),
        mesh=mesh,
        in_specs=(P(), P(None, axis), P(None, axis)),
        out_specs=P(None, axis),
    )

    @jax.custom_vjp
    def loss(x: jax.Array) -> jax.Array:
        return loss_only(x, t)

    def fwd(x: jax.Array) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
        value, (a, e) = with_residuals(x, t)
        return value, (a, e.astype(a.dtype))

    def bwd(res: tuple[jax.Array, jax.Array], g: jax.Array) -> tuple[jax.Array]:
        return (local_grad(g, *res),)

    loss.defvjp(fwd, bwd)
    return loss(arr)


def split_k_attention(
    q: ArrayLike,
    k: ArrayLike,
    v: ArrayLike,
    mesh: Mesh,
    *,
    key_mask: ArrayLike | None = None,
    method: str = "two-collective",
) -> jax.Array:
    r"""Attention :math:`o = \operatorname{softmax}(K q / \sqrt{d_k})^\top V`, keys on devices.

    Device :math:`r` holds :math:`L / R` keys and values and forms the partial
    state :math:`(m_r, d_r, o_r)` with :math:`o_r = \sum_{i \in r} e^{z_i - m_r} v_i`;
    the states merge like :math:`(m, d)`, the accumulators rescaled by the
    same factors :math:`e^{m_r - M}`, and :math:`o = o_{\text{merged}} / d`.

    Parameters
    ----------
    q : array_like, shape (Q, d_k)
        Queries, replicated on every device.
    k : array_like, shape (L, d_k)
        Keys, split along ``L``.
    v : array_like, shape (L, d_v)
        Values, split along ``L``.
    mesh : jax.sharding.Mesh
    key_mask : array_like of bool, shape (Q, L), optional
        ``False`` where a query may not see a key (a causal mask, padding);
        a shard may be entirely masked for a query. Every query needs one
        visible key.
    method : {"two-collective", "gather-states"}
        ``"two-collective"``: ``pmax`` of the maxima, then one ``psum`` of
        :math:`(d_r, o_r)` rescaled; ``"gather-states"``: one all-gather of the
        :math:`d_v + 2` numbers of each state per query.

    Returns
    -------
    jax.Array, shape (Q, d_v)

    Raises
    ------
    TypeError
        For non-float arrays, a non-boolean mask, a non-Mesh or a non-string method.
    ValueError
        For shapes that do not fit, ``L`` not a multiple of ``R``, or an
        unknown method.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, softmax, split_k_attention
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(1, 3)), rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    >>> o = split_k_attention(q, k, v, device_mesh(1))
    >>> bool(np.allclose(o, softmax(k @ q[0] / np.sqrt(3)) @ v, rtol=1e-14))
    True
    """
    mesh, axis, R = _mesh(mesh)
    meth = _method(method, R, SHARDED_METHODS[:2])
    qa, ka, va = _float_array(q, "q"), _float_array(k, "k"), _float_array(v, "v")
    if qa.ndim != 2 or ka.ndim != 2 or va.ndim != 2:
        raise ValueError(
            "q, k, v must be matrices (Q, d_k), (L, d_k), (L, d_v); "
            f"got shapes {qa.shape}, {ka.shape}, {va.shape}"
        )
    if ka.shape[1] != qa.shape[1] or va.shape[0] != ka.shape[0]:
        raise ValueError(
            f"shapes do not fit: q {qa.shape}, k {ka.shape}, v {va.shape}; "
            "q and k need the same p, k and v the same number L of keys"
        )
    _logits(ka.T, R, "k (its key axis)")
    if key_mask is None:
        mask = jnp.ones((qa.shape[0], ka.shape[0]), dtype=bool)
    else:
        mask = jnp.asarray(key_mask)
        if mask.dtype != jnp.bool_:
            raise TypeError(f"key_mask must be boolean (True = visible), got dtype {mask.dtype}")
        if mask.shape != (qa.shape[0], ka.shape[0]):
            raise ValueError(
                f"key_mask has shape {mask.shape}; expected (Q, L) = {(qa.shape[0], ka.shape[0])}"
            )
    dt = jnp.result_type(qa.dtype, ka.dtype, va.dtype)
    scale = 1.0 / np.sqrt(qa.shape[1])

    def body(qq: jax.Array, kk: jax.Array, vv: jax.Array, mm: jax.Array) -> jax.Array:
        s = jnp.where(mm, (qq @ kk.T) * scale, -jnp.inf)  # (Q, n) scores on this device
        m = jax.lax.stop_gradient(jnp.max(s, axis=-1))
        w = _E(s, m[:, None])
        d, o = jnp.sum(w, axis=-1), w @ vv
        if meth == "two-collective":
            M = jax.lax.pmax(m, axis)
            f = _E(m, M)
            both = jax.lax.psum(jnp.concatenate([(d * f)[:, None], o * f[:, None]], axis=1), axis)
            return both[:, 1:] / both[:, :1]
        st = jax.lax.all_gather(
            jnp.concatenate([m[:, None], d[:, None], o], axis=1), axis, to="invarying"
        )
        M = jnp.max(st[:, :, 0], axis=0)
        f = _E(st[:, :, 0], M)  # (R, Q)
        return (
            jnp.sum(st[:, :, 2:] * f[:, :, None], axis=0)
            / jnp.sum(st[:, :, 1] * f, axis=0)[:, None]
        )

    run = jax.shard_map(
        body, mesh=mesh, in_specs=(P(), P(axis), P(axis), P(None, axis)), out_specs=P()
    )
    return run(qa.astype(dt), ka.astype(dt), va.astype(dt), mask)


# ------------------------------------------------------------ counting collectives

_STABLEHLO = {
    kind: re.compile(rf"stablehlo\.{kind.replace('-', '_')}\b") for kind in COLLECTIVE_KINDS
}
# An HLO instruction reads `%name = type op(operands)`; asynchronous collectives
# appear as an op-start / op-done pair, counted once (the start).
_HLO = {kind: re.compile(rf"\s{kind}(?:-start)?\(") for kind in COLLECTIVE_KINDS}


def count_collectives(text: str) -> dict[str, int]:
    """Count the collective operations in a program's StableHLO or HLO text.

    Parameters
    ----------
    text : str
        ``jax.jit(f).lower(*args).as_text()`` (StableHLO) or
        ``....compile().as_text()`` (optimised HLO).

    Returns
    -------
    dict
        One count per entry of :data:`COLLECTIVE_KINDS`, in that order.

    Raises
    ------
    TypeError
        If ``text`` is not a string.

    Examples
    --------
    >>> from softmaxlab import count_collectives
    >>> hlo = "%r = f64[] all-reduce(f64[] %x), to_apply=%add"
    >>> count_collectives(hlo)["all-reduce"]
    1
    """
    if not isinstance(text, str):
        raise TypeError(
            f"text must be the str of a lowered or compiled program, got {type(text).__name__}"
        )
    table = _STABLEHLO if "stablehlo." in text else _HLO
    return {kind: len(pattern.findall(text)) for kind, pattern in table.items()}


def _program_arguments(f: object, stage: object) -> str:
    """The checks :func:`program_collectives` and :func:`backward_collectives` share."""
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if stage not in ("lowered", "compiled"):
        raise ValueError(f"stage must be 'lowered' or 'compiled', got {stage!r}")
    return str(stage)


def _count_program(f: Callable[..., Any], args: tuple[Any, ...], stage: str) -> dict[str, int]:
    """Count the collectives of ``jax.jit(f)`` on ``args`` (arguments already checked)."""
    lowered = jax.jit(f).lower(*args)
    text = lowered.as_text() if stage == "lowered" else lowered.compile().as_text()
    if text is None:  # a backend that cannot print its executable
        raise RuntimeError(
            "XLA returned no text for the compiled program on this backend; "
            "count the lowered program instead (stage='lowered')"
        )
    return count_collectives(text)


def program_collectives(
    f: Callable[..., Any], *args: Any, stage: str = "compiled"
) -> dict[str, int]:
    """The collectives of the program ``jax.jit(f)`` on ``args``.

    Parameters
    ----------
    f : callable
        A JAX-traceable function.
    *args
        Its arguments (arrays or shapes-and-dtypes).
    stage : {"compiled", "lowered"}, default "compiled"
        Count in XLA's optimised program or in the program JAX emitted.

    Returns
    -------
    dict
        As :func:`count_collectives`.

    Raises
    ------
    TypeError
        If ``f`` is not callable.
    ValueError
        If ``stage`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import device_mesh, program_collectives, sharded_logsumexp
    >>> mesh = device_mesh(1)
    >>> program_collectives(lambda z: sharded_logsumexp(z, mesh), np.zeros(4))["all-reduce"]
    2
    """
    return _count_program(f, args, _program_arguments(f, stage))


def backward_collectives(
    f: Callable[..., Any], *args: Any, stage: str = "compiled"
) -> dict[str, int]:
    """The collectives of the backward pass alone: the pullback of ``f`` at ``args``.

    The forward pass runs once, eagerly (:func:`jax.vjp`); the pullback, with
    the saved residuals as its inputs, is then compiled on its own and its
    collectives are counted.

    Parameters
    ----------
    f : callable
        A JAX-differentiable function of ``args``.
    *args
        The point of differentiation.
    stage : {"compiled", "lowered"}, default "compiled"

    Returns
    -------
    dict
        As :func:`count_collectives`.

    Raises
    ------
    TypeError
        If ``f`` is not callable.
    ValueError
        If ``stage`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import backward_collectives, device_mesh, sharded_logsumexp
    >>> mesh = device_mesh(1)
    >>> backward_collectives(lambda z: sharded_logsumexp(z, mesh), np.zeros(4))["all-reduce"]
    0
    """
    checked = _program_arguments(f, stage)
    out, pullback = jax.vjp(f, *args)
    cotangent = jax.tree_util.tree_map(jnp.ones_like, out)
    return _count_program(lambda pb, g: pb(g), (pullback, cotangent), checked)
