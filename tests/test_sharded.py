"""softmaxlab.sharded: sharded normaliser, cross-entropy, split-K attention, collective counts.

conftest.py gives JAX four CPU devices, so every mesh here is a real SPMD mesh.
Tolerances: a sharded sum of n non-negative terms, each exponential within
gamma = 4u (u the unit roundoff), has relative error at most about
gamma + (n + D) u (chapter 8); the references (sl.logsumexp, sl.softmax) are
within a few u. For n <= 64 and D <= 4 in float64 that is below 1e-13.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import softmaxlab as sl
from softmaxlab import sharded

RTOL = 1e-13  # float64, n + D < 100 terms: (4 + 100) u < 1.2e-14, with room for the reference
# float32: (4 + 100) u32 = 6.2e-6, with room for the float64 reference's
# rounding to float32
RTOL32 = 2e-5


@pytest.fixture(scope="module")
def meshes():
    assert len(jax.devices()) == 4, "conftest.py should give JAX four CPU devices"
    return {D: sl.device_mesh(D) for D in (1, 2, 4)}


def rows(seed=0, shape=(3, 16)):
    return np.random.default_rng(seed).normal(scale=3.0, size=shape)


# The edge cases are rows of one matrix (rows are independent), so that each
# program is compiled once: random rows, a shard all -inf, the maximum tied
# across shards, one shard holding all the mass (the others underflow).
EDGE = {
    "L = 16": np.concatenate(
        [
            rows(1),
            np.concatenate([np.full((2, 4), -np.inf), rows(2, (2, 12))], axis=1),
            np.tile(np.array([5.0, 1.0, 0.0, -2.0]), (2, 4)),
            np.concatenate([np.full((2, 4), 800.0), np.full((2, 12), -100.0)], axis=1),
        ]
    ),
    "L = D": rows(3, (2, 4)),
}


# ------------------------------------------------------------------ values


@pytest.mark.parametrize("name", list(EDGE))
@pytest.mark.parametrize("D", [1, 2, 4])
@pytest.mark.parametrize("method", ["two-collective", "gather-states"])
def test_logsumexp_and_softmax_match_single_device(meshes, name, D, method):
    z = EDGE[name]
    got = np.asarray(sl.sharded_logsumexp(z, meshes[D], method=method))
    np.testing.assert_allclose(got, sl.logsumexp(z, axis=-1), rtol=RTOL, atol=0)
    np.testing.assert_allclose(got, np.asarray(jax.nn.logsumexp(z, axis=-1)), rtol=RTOL, atol=0)
    a = np.asarray(sl.sharded_softmax(z, meshes[D], method=method))
    np.testing.assert_allclose(a, sl.softmax(z), rtol=RTOL, atol=0)


@pytest.mark.parametrize("method", sl.SHARDED_METHODS)
def test_every_device_holds_the_same_state_bit_for_bit(meshes, method):
    z = rows(4, (5, 32))
    s = sl.sharded_states(z, meshes[4], method=method)
    assert s.m.shape == (4, 5) and s.d.shape == (4, 5)
    assert np.array_equal(np.asarray(s.m), np.broadcast_to(np.asarray(s.m[0]), (4, 5)))
    assert np.array_equal(np.asarray(s.d), np.broadcast_to(np.asarray(s.d[0]), (4, 5)))
    ref = sl.online_state(z)
    assert np.array_equal(np.asarray(s.m[0]), ref.m)  # comparisons are exact
    np.testing.assert_allclose(np.asarray(s.d[0]), ref.d, rtol=RTOL, atol=0)


@pytest.mark.slow
def test_all_minus_inf_row_gives_minus_inf_and_nan(meshes):
    z = np.full((1, 8), -np.inf)
    assert np.asarray(sl.sharded_logsumexp(z, meshes[4]))[0] == -np.inf
    assert np.asarray(sl.sharded_logsumexp(z, meshes[4], method="gather-states"))[0] == -np.inf
    assert np.isnan(np.asarray(sl.sharded_softmax(z, meshes[4]))).all()
    s = sl.sharded_states(z, meshes[4], method="butterfly")
    assert np.all(np.asarray(s.m) == -np.inf) and np.all(np.asarray(s.d) == 0)


def test_float32_stays_float32_and_accurate(meshes):
    z = rows(5, (4, 16)).astype(np.float32)
    got = sl.sharded_logsumexp(z, meshes[4])
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(
        np.asarray(got), sl.logsumexp(z.astype(np.float64), axis=-1), rtol=RTOL32, atol=0
    )


def test_a_planted_error_is_caught(meshes):
    # dropping the rescaling factor e^(m_r - M) must break the agreement
    z = rows(6)
    m, d = sl.online_state(z.reshape(3, 4, 4)).m, sl.online_state(z.reshape(3, 4, 4)).d
    wrong = np.max(m, axis=1) + np.log(np.sum(d, axis=1))
    assert not np.allclose(wrong, np.asarray(sl.sharded_logsumexp(z, meshes[4])), rtol=RTOL)


# --------------------------------------------------------------- gradients


@pytest.mark.slow
@pytest.mark.parametrize("name", list(EDGE))
@pytest.mark.parametrize("method", ["two-collective", "gather-states"])
def test_gradient_of_sharded_lse_is_softmax(meshes, name, method):
    z = EDGE[name]
    g = jax.grad(lambda x: sl.sharded_logsumexp(x, meshes[4], method=method).sum())(z)
    np.testing.assert_allclose(np.asarray(g), sl.softmax(z), rtol=RTOL, atol=1e-300)


def test_pmax_without_stop_gradient_has_no_derivative(meshes):
    mesh = meshes[4]

    def lse(z):
        m = jax.lax.pmax(jnp.max(z), "shards")
        return m + jnp.log(jax.lax.psum(jnp.sum(jnp.exp(z - m)), "shards"))

    f = jax.shard_map(lse, mesh=mesh, in_specs=jax.P("shards"), out_specs=jax.P())
    with pytest.raises(
        NotImplementedError, match="Differentiation rule for 'pmax' not implemented"
    ):
        jax.grad(f)(jnp.arange(8.0))


@pytest.mark.slow
@pytest.mark.parametrize("gradient", ["formula", "autodiff"])
@pytest.mark.parametrize("name", list(EDGE))
def test_cross_entropy_value_and_gradient(meshes, gradient, name):
    z = EDGE[name]
    y = np.arange(z.shape[0]) * 5 % z.shape[1]

    def ref(x):
        return jax.nn.logsumexp(x, axis=-1) - x[np.arange(x.shape[0]), y]

    def mine(x):
        return sl.vocab_parallel_cross_entropy(x, y, meshes[4], gradient=gradient)

    np.testing.assert_allclose(np.asarray(mine(z)), np.asarray(ref(z)), rtol=RTOL, atol=1e-13)
    g = np.asarray(jax.grad(lambda x: mine(x).sum())(z))
    np.testing.assert_allclose(g, sl.softmax(z) - np.eye(z.shape[1])[y], rtol=RTOL, atol=1e-15)


@pytest.mark.slow
def test_cross_entropy_weighted_cotangent(meshes):
    z, y, w = rows(7, (3, 16)), np.array([0, 9, 15]), np.array([0.5, -2.0, 3.0])
    for gradient in ("formula", "autodiff"):
        g = jax.grad(
            lambda x, gradient=gradient: (
                w * sl.vocab_parallel_cross_entropy(x, y, meshes[2], gradient=gradient)
            ).sum()
        )(z)
        np.testing.assert_allclose(
            np.asarray(g), w[:, None] * (sl.softmax(z) - np.eye(16)[y]), rtol=RTOL, atol=1e-15
        )


def attention_reference(q, k, v, mask):
    s = jnp.where(mask, q @ k.T / np.sqrt(q.shape[1]), -jnp.inf)
    return jax.nn.softmax(s, axis=-1) @ v


@pytest.mark.slow
@pytest.mark.parametrize("method", ["two-collective", "gather-states"])
@pytest.mark.parametrize("D", [1, 2, 4])
def test_split_k_attention_values_and_gradients(meshes, method, D):
    rng = np.random.default_rng(8)
    q, k, v = rng.normal(size=(3, 5)), rng.normal(size=(16, 5)), rng.normal(size=(16, 2))
    # causal-style mask: query 0 sees keys 0..2 only, so shards 2..4 are empty for it
    mask = np.arange(16)[None, :] <= np.array([2, 9, 15])[:, None]
    o = sl.split_k_attention(q, k, v, meshes[D], key_mask=mask, method=method)
    s = np.where(mask, q @ k.T / np.sqrt(5), -np.inf)
    np.testing.assert_allclose(np.asarray(o), sl.softmax(s) @ v, rtol=1e-12, atol=1e-14)
    w = rng.normal(size=(3, 2))
    grads = jax.grad(
        lambda *a: (w * sl.split_k_attention(*a, meshes[D], key_mask=mask, method=method)).sum(),
        (0, 1, 2),
    )(q, k, v)
    refs = jax.grad(lambda *a: (w * attention_reference(*a, mask)).sum(), (0, 1, 2))(q, k, v)
    for g, r in zip(grads, refs, strict=True):
        assert not np.isnan(np.asarray(g)).any()
        np.testing.assert_allclose(np.asarray(g), np.asarray(r), rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------- counts


def test_count_collectives_reads_both_texts():
    hlo = (
        "%a = f64[] all-reduce(f64[] %x), to_apply=%add\n"
        "%all-gather.3 = f64[4]{0} all-gather-start(f64[1]{0} %y)\n"
        "%d = f64[4]{0} all-gather-done(%all-gather.3)\n"
        "%p = f64[2] collective-permute(f64[2] %z), source_target_pairs={{0,1},{1,0}}"
    )
    assert sl.count_collectives(hlo) == {
        "all-reduce": 1,
        "all-gather": 1,
        "reduce-scatter": 0,
        "collective-permute": 1,
        "all-to-all": 0,
    }
    mlir = '%1 = "stablehlo.all_reduce"(%0) ...\n%2 = "stablehlo.reduce_scatter"(%1)'
    assert sl.count_collectives(mlir)["all-reduce"] == 1
    assert sl.count_collectives(mlir)["reduce-scatter"] == 1
    assert sum(sl.count_collectives("%r = f64[] add(%x, %y)").values()) == 0


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["lowered", "compiled"])
def test_collective_counts_of_the_programs(meshes, stage):
    mesh, z = meshes[4], rows(9)
    y = np.array([1, 2, 3])

    def count(f, *args):
        c = sl.program_collectives(f, *args, stage=stage)
        return {k: n for k, n in c.items() if n}

    def back(f, *args):
        c = sl.backward_collectives(f, *args, stage=stage)
        return {k: n for k, n in c.items() if n}

    two = lambda x: sl.sharded_logsumexp(x, mesh)  # noqa: E731
    one = lambda x: sl.sharded_logsumexp(x, mesh, method="gather-states")  # noqa: E731
    assert count(two, z) == {"all-reduce": 2} and back(two, z) == {}
    assert count(one, z) == {"all-gather": 1} and back(one, z) == {}
    butterfly = lambda x: sl.sharded_states(x, mesh, method="butterfly")  # noqa: E731
    assert count(butterfly, z) == {"collective-permute": 2}
    for gradient in ("formula", "autodiff"):
        xent = partial(sl.vocab_parallel_cross_entropy, y=y, mesh=mesh, gradient=gradient)
        assert count(xent, z) == {"all-reduce": 2} and back(xent, z) == {}
    rng = np.random.default_rng(10)
    q, k, v = rng.normal(size=(1, 4)), rng.normal(size=(16, 4)), rng.normal(size=(16, 3))
    att = lambda q, k, v: sl.split_k_attention(q, k, v, mesh)  # noqa: E731
    assert count(att, q, k, v) == {"all-reduce": 2}
    assert back(att, q, k, v) == {"all-reduce": 1}  # dq sums the contributions of every shard
    assert back(lambda k, v: sl.split_k_attention(q, k, v, mesh), k, v) == {}


# ----------------------------------------------------------------- bad input


def test_device_mesh_and_settings_errors():
    with pytest.raises(TypeError, match="n_devices must be an int, got float"):
        sl.device_mesh(2.0)
    with pytest.raises(TypeError, match="n_devices must be an int, got bool"):
        sl.device_mesh(True)
    with pytest.raises(ValueError, match=r"n_devices=5 but 4 device\(s\) are available"):
        sl.device_mesh(5)
    with pytest.raises(ValueError, match="n_devices=0"):
        sl.device_mesh(0)
    with pytest.raises(TypeError, match="axis_name must be a str"):
        sl.device_mesh(2, axis_name=3)
    assert sl.device_mesh(2, devices=jax.devices()[2:]).devices.tolist() == jax.devices()[2:]
    with pytest.raises(TypeError, match="cpu_devices must be an int >= 1, got str"):
        sl.book_settings(cpu_devices="4")
    with pytest.raises(ValueError, match="cpu_devices must be an int >= 1, got 0"):
        sl.book_settings(cpu_devices=0)
    jax.devices()  # JAX has started with four devices
    with pytest.raises(
        RuntimeError, match=r"already started with 4 CPU device\(s\), so it cannot show 3"
    ):
        sl.book_settings(cpu_devices=3)
    sl.book_settings(cpu_devices=4)  # the count it has: nothing to do
    assert len(jax.devices()) == 4


def test_sharded_bad_input_messages(meshes):
    mesh = meshes[4]
    z = rows(11)
    two_axes = jax.sharding.Mesh(np.array(jax.devices()).reshape(2, 2), ("a", "b"))
    cases = [
        (TypeError, "mesh must be a jax.sharding.Mesh", lambda: sl.sharded_logsumexp(z, "mesh")),
        (
            ValueError,
            r"mesh must have exactly one axis .* got axes \('a', 'b'\)",
            lambda: sl.sharded_softmax(z, two_axes),
        ),
        (
            TypeError,
            "z must be an array of real numbers, got a str",
            lambda: sl.sharded_logsumexp("z", mesh),
        ),
        (
            TypeError,
            "z has dtype int64; expected float32 or float64",
            lambda: sl.sharded_logsumexp(np.arange(8), mesh),
        ),
        (TypeError, "z has dtype complex128", lambda: sl.sharded_states(np.ones(8, complex), mesh)),
        (
            TypeError,
            "z could not be turned into an array",
            lambda: sl.sharded_logsumexp([object()], mesh),
        ),
        (ValueError, "z is a scalar", lambda: sl.sharded_logsumexp(np.float64(1.0), mesh)),
        (
            ValueError,
            "z has 6 logits .* cannot split into 4 equal shards",
            lambda: sl.sharded_logsumexp(np.ones(6), mesh),
        ),
        (ValueError, "z has 0 logits", lambda: sl.sharded_softmax(np.ones((2, 0)), mesh)),
        (
            TypeError,
            "method must be one of .* got int 2",
            lambda: sl.sharded_logsumexp(z, mesh, method=2),
        ),
        (
            ValueError,
            "method must be one of .* got 'psum'",
            lambda: sl.sharded_states(z, mesh, method="psum"),
        ),
        (
            ValueError,
            "method must be one of .* got 'butterfly'",
            lambda: sl.sharded_logsumexp(z, mesh, method="butterfly"),
        ),
        (
            ValueError,
            "power-of-two number of devices, the mesh has 3",
            lambda: sl.sharded_states(np.ones(6), sl.device_mesh(3), method="butterfly"),
        ),
    ]
    for err, message, call in cases:
        with pytest.raises(err, match=message):
            call()


def test_cross_entropy_bad_input_messages(meshes):
    mesh, z, y = meshes[4], rows(12), np.array([0, 1, 2])
    cases = [
        (
            ValueError,
            r"z must have shape \(B, L\), got shape \(16,\)",
            lambda: sl.vocab_parallel_cross_entropy(z[0], y[:1], mesh),
        ),
        (
            TypeError,
            "gradient must be 'formula' or 'autodiff', got int",
            lambda: sl.vocab_parallel_cross_entropy(z, y, mesh, gradient=1),
        ),
        (
            ValueError,
            "gradient must be 'formula' or 'autodiff', got 'manual'",
            lambda: sl.vocab_parallel_cross_entropy(z, y, mesh, gradient="manual"),
        ),
        (
            TypeError,
            "y must hold integer class indices, got dtype float64",
            lambda: sl.vocab_parallel_cross_entropy(z, y * 1.0, mesh),
        ),
        (
            ValueError,
            r"y has shape \(2,\) but z has 3 rows",
            lambda: sl.vocab_parallel_cross_entropy(z, y[:2], mesh),
        ),
        (
            ValueError,
            r"y must lie in \[0, 16\), got 16",
            lambda: sl.vocab_parallel_cross_entropy(z, np.array([0, 16, 1]), mesh),
        ),
        (
            ValueError,
            r"y must lie in \[0, 16\), got -1",
            lambda: sl.vocab_parallel_cross_entropy(z, np.array([-1, 0, 1]), mesh),
        ),
    ]
    for err, message, call in cases:
        with pytest.raises(err, match=message):
            call()


def test_attention_bad_input_messages(meshes):
    mesh = meshes[4]
    q, k, v = np.ones((2, 3)), np.ones((8, 3)), np.ones((8, 5))
    cases = [
        (ValueError, "q, k, v must be matrices", lambda: sl.split_k_attention(q[0], k, v, mesh)),
        (ValueError, "shapes do not fit", lambda: sl.split_k_attention(q, k[:, :2], v, mesh)),
        (ValueError, "shapes do not fit", lambda: sl.split_k_attention(q, k, v[:4], mesh)),
        (
            ValueError,
            "k \\(its key axis\\) has 6 logits",
            lambda: sl.split_k_attention(q, k[:6], v[:6], mesh),
        ),
        (
            TypeError,
            "key_mask must be boolean",
            lambda: sl.split_k_attention(q, k, v, mesh, key_mask=np.ones((2, 8))),
        ),
        (
            ValueError,
            r"key_mask has shape \(8,\); expected \(Q, L\) = \(2, 8\)",
            lambda: sl.split_k_attention(q, k, v, mesh, key_mask=np.ones(8, bool)),
        ),
        (
            TypeError,
            "v has dtype int64",
            lambda: sl.split_k_attention(q, k, np.ones((8, 5), int), mesh),
        ),
        (
            ValueError,
            "method must be one of",
            lambda: sl.split_k_attention(q, k, v, mesh, method="butterfly"),
        ),
    ]
    for err, message, call in cases:
        with pytest.raises(err, match=message):
            call()


def test_counting_bad_input_messages():
    with pytest.raises(
        TypeError, match="text must be the str of a lowered or compiled program, got bytes"
    ):
        sl.count_collectives(b"all-reduce(")
    with pytest.raises(TypeError, match="f must be callable, got int"):
        sl.program_collectives(3, np.ones(2))
    with pytest.raises(TypeError, match="f must be callable, got str"):
        sl.backward_collectives("f", np.ones(2))
    with pytest.raises(ValueError, match="stage must be 'lowered' or 'compiled', got 'optimised'"):
        sl.program_collectives(jnp.sin, np.ones(2), stage="optimised")
    with pytest.raises(ValueError, match="stage must be 'lowered' or 'compiled', got None"):
        sl.backward_collectives(jnp.sin, np.ones(2), stage=None)


def test_module_lists_its_public_names():
    assert set(sharded.__all__) <= set(sl.__all__)


def test_normaliser_error_bound_values_and_bad_input():
    u = 2.0**-53
    assert sl.normaliser_error_bound(16, 4) == pytest.approx((8 + 4 + 3 + 32 / np.e) * u, rel=1e-15)
    assert sl.normaliser_error_bound(16, 4, method="gather-states") == sl.normaliser_error_bound(
        16, 4
    )
    # butterfly on 4 devices: h = 2 merges, (1 + h) gamma + (n - 1 + 2h + (1 + h) L / e) u
    assert sl.normaliser_error_bound(16, 4, method="butterfly") == pytest.approx(
        (12 + 3 + 4 + 48 / np.e) * u, rel=1e-15
    )
    assert sl.normaliser_error_bound(8, 2, dtype=np.float32, gamma=0.0) == pytest.approx(
        (4 + 1 + 16 / np.e) * 2.0**-24
    )
    cases = [
        (TypeError, "L must be an int, got float", lambda: sl.normaliser_error_bound(16.0, 4)),
        (TypeError, "R must be an int, got bool", lambda: sl.normaliser_error_bound(16, True)),
        (
            ValueError,
            "L a positive multiple of R, got L=10, R=4",
            lambda: sl.normaliser_error_bound(10, 4),
        ),
        (ValueError, "need R >= 1", lambda: sl.normaliser_error_bound(16, 0)),
        (
            TypeError,
            "dtype must be float32 or float64, got 'float16'",
            lambda: sl.normaliser_error_bound(16, 4, dtype="float16"),
        ),
        (
            TypeError,
            "dtype must be float32 or float64, got 'nonsense'",
            lambda: sl.normaliser_error_bound(16, 4, dtype="nonsense"),
        ),
        (
            ValueError,
            "gamma must be non-negative, got -1.0",
            lambda: sl.normaliser_error_bound(16, 4, gamma=-1.0),
        ),
        (
            ValueError,
            "power-of-two number of devices, the mesh has 3",
            lambda: sl.normaliser_error_bound(12, 3, method="butterfly"),
        ),
    ]
    for err, message, call in cases:
        with pytest.raises(err, match=message):
            call()
