"""Tests for softmaxlab.derivatives: the dense Jacobian and its O(L) products."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import logit_vectors

import softmaxlab as sl


def test_two_class_values():
    # L = 2, equal logits: a = (1/2, 1/2), J = [[1/4, -1/4], [-1/4, 1/4]].
    np.testing.assert_array_equal(sl.softmax_jacobian([3.0, 3.0]), [[0.25, -0.25], [-0.25, 0.25]])


def test_single_class_jacobian_is_zero():
    np.testing.assert_array_equal(sl.softmax_jacobian([4.2]), [[0.0]])


def test_layout_row_is_output_column_is_input():
    z = np.array([0.3, -1.2, 2.0])
    a = sl.softmax(z)
    J = sl.softmax_jacobian(z)
    # J[j, i] = da_j/dz_i = a_j (delta_ij - a_i); check one off-diagonal entry by hand.
    assert J[0, 2] == pytest.approx(-a[0] * a[2], rel=1e-15)
    assert J[1, 1] == pytest.approx(a[1] * (1 - a[1]), rel=1e-15)


@pytest.mark.parametrize("gap", [20.0, 40.0, 200.0, 700.0])
def test_jacobian_diagonal_has_no_cancellation(gap):
    # J_00 = a_0 (1 - a_0) = a_0 a_1 with a_0 ~ 1: a - a*a would give 0 or a
    # multiple of 2^-53; the exact value is e^-gap / (1 + e^-gap)^2.
    z = np.array([gap, 0.0, -1.0])
    with mp.workdps(400):  # 1 - a_0 ~ e^-700 needs more than 304 digits
        e = [mp.exp(mp.mpf(x)) for x in z]
        s = mp.fsum(e)
        want = [float(e[j] / s * (1 - e[j] / s)) for j in range(3)]
    got = np.diag(sl.softmax_jacobian(z))
    np.testing.assert_allclose(got, want, rtol=8 * np.finfo(float).eps, atol=0)


# Jitted once, so that JAX compiles each transformation once per shape rather
# than dispatching (and compiling) every primitive for every example.
JAX_JACFWD = jax.jit(jax.jacfwd(jax.nn.softmax))
JAX_JACREV = jax.jit(jax.jacrev(jax.nn.softmax))


@jax.jit
def jax_jvp_and_vjp(z, v):
    _, jvp = jax.jvp(jax.nn.softmax, (z,), (v,))
    _, pullback = jax.vjp(jax.nn.softmax, z)
    return jvp, pullback(v)[0]


@given(logit_vectors(max_size=10, bound=30.0))
def test_jacobian_matches_jax_forward_and_reverse(z):
    J = sl.softmax_jacobian(z)
    np.testing.assert_allclose(J, JAX_JACFWD(jnp.asarray(z)), atol=1e-15, rtol=1e-12)
    np.testing.assert_allclose(J, JAX_JACREV(jnp.asarray(z)), atol=1e-15, rtol=1e-12)


@given(logit_vectors(max_size=8, bound=10.0))
def test_jacobian_matches_finite_differences(z):
    # Central differences with h ~ 6e-6: truncation and rounding errors are
    # both below 1e-9 for these entries, which are at most 1/4.
    np.testing.assert_allclose(
        sl.finite_difference_jacobian(sl.softmax, z), sl.softmax_jacobian(z), atol=1e-9
    )


@given(logit_vectors(max_size=12, bound=40.0))
def test_jacobian_structure(z):
    J = sl.softmax_jacobian(z)
    a = sl.softmax(z)
    np.testing.assert_array_equal(J, J.T)  # symmetric, bit for bit
    np.testing.assert_allclose(J @ np.ones(z.size), 0.0, atol=1e-15)  # J 1 = 0
    np.testing.assert_allclose(np.trace(J), 1.0 - a @ a, atol=1e-15)
    eig = np.linalg.eigvalsh(J)
    assert eig.min() >= -1e-15 and eig.max() <= 0.5 + 1e-15  # PSD, lambda_max <= 1/2


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.tuples(
            hnp.arrays(np.float64, (2, n + 1), elements=st.floats(-20, 20)),
            hnp.arrays(np.float64, (2, n + 1), elements=st.floats(-5, 5)),
        )
    )
)
def test_products_match_dense_jacobian(zv):
    z, v = zv
    J = sl.softmax_jacobian(z)
    np.testing.assert_allclose(sl.softmax_jvp(z, v), np.einsum("bji,bi->bj", J, v), atol=1e-14)
    np.testing.assert_allclose(sl.softmax_vjp(z, v), np.einsum("bj,bji->bi", v, J), atol=1e-14)


@given(logit_vectors(min_size=2, max_size=10, bound=20.0), st.integers(0, 2**32 - 1))
def test_products_match_jax(z, seed):
    v = np.random.default_rng(seed).normal(size=z.shape)
    jvp, vjp = jax_jvp_and_vjp(jnp.asarray(z), jnp.asarray(v))
    np.testing.assert_allclose(sl.softmax_jvp(z, v), jvp, atol=1e-14)
    np.testing.assert_allclose(sl.softmax_vjp(z, v), vjp, atol=1e-14)


def test_products_along_other_axis():
    rng = np.random.default_rng(3)
    z, v = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(sl.softmax_jvp(z, v, axis=0), sl.softmax_jvp(z.T, v.T).T, rtol=1e-14)


def test_batched_jacobian_shape():
    z = np.random.default_rng(2).normal(size=(2, 3, 5))
    J = sl.softmax_jacobian(z)
    assert J.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(J[1, 2], sl.softmax_jacobian(z[1, 2]), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtypes(dtype):
    z = np.array([0.1, 0.2, 0.3], dtype=dtype)
    assert sl.softmax_jacobian(z).dtype == dtype
    assert sl.softmax_jvp(z, np.ones(3, dtype=dtype)).dtype == dtype
    assert sl.softmax_vjp(z, np.ones(3, dtype=np.float64)).dtype == np.float64


# -------------------------------------------------------------- bad input ----


def test_jacobian_refuses_when_too_large():
    z = np.zeros(20_000)  # 20_000^2 * 8 bytes = 3.0 GiB > 1 GiB
    with pytest.raises(
        sl.JacobianTooLargeError,
        match=r"would take 3\.0 GiB .* Use softmax_jvp\(z, v\) or softmax_vjp\(z, g\)",
    ):
        sl.softmax_jacobian(z)
    assert issubclass(sl.JacobianTooLargeError, ValueError)
    with pytest.raises(ValueError, match=r"more than max_bytes = 0\.0 GiB"):
        sl.softmax_jacobian(np.zeros(4), max_bytes=10)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1GiB"])
def test_jacobian_bad_cap(bad):
    with pytest.raises(TypeError, match=r"max_bytes must be a positive int"):
        sl.softmax_jacobian([0.0, 1.0], max_bytes=bad)


@pytest.mark.parametrize("product", [sl.softmax_jvp, sl.softmax_vjp])
def test_products_refuse_to_broadcast(product):
    name = "v" if product is sl.softmax_jvp else "g"
    with pytest.raises(
        ValueError,
        match=rf"{name} has shape \(1, 3\) but z has shape \(2, 3\); they must match exactly",
    ):
        product(np.zeros((2, 3)), np.zeros((1, 3)))
    with pytest.raises(
        ValueError, match=rf"{name} is a scalar; expected an array with at least one dimension"
    ):
        product(np.zeros(3), 1.0)


@pytest.mark.parametrize("product", [sl.softmax_jvp, sl.softmax_vjp])
def test_products_reject_bad_vectors(product):
    name = "v" if product is sl.softmax_jvp else "g"
    with pytest.raises(TypeError, match=rf"{name} has complex dtype"):
        product(np.zeros(2), np.array([1j, 0j]))
    with pytest.raises(TypeError, match=rf"{name} must be an array of real numbers, got a str"):
        product(np.zeros(2), "ab")
    with pytest.raises(ValueError, match=r"z has shape \(0,\): axis 0 is empty"):
        product(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match=r"axis=1 is out of range"):
        product(np.zeros(2), np.zeros(2), axis=1)


# ------------------------------ issue 11: componentwise accuracy of J v ----

from decimal import Decimal, localcontext  # noqa: E402

TINY = Decimal(2) ** -1074
U = Decimal(2) ** -53


def exact_products(z, v):
    """(J v)_j and D_j = sum_i a_i |v_j - v_i| from the exact softmax, in O(L log L).

    Both are centred exactly on v_k (k the largest output), so nothing
    cancels where one output dominates: (J v)_j = a_j (x_j A - sum_i a_i x_i)
    with x_i = v_i - v_k and A = sum_i a_i, and D_j from prefix sums of a_i
    and a_i x_i in the order of x, at 120 digits (a cancellation of up to
    100 digits still leaves D_j, a scale, with 20). sl.exact_jvp, which forms
    every v_j - v_i (L^2 decimals), is the reference up to a few hundred
    entries; this one reaches L = 10^4, and a test checks that the two agree.
    """
    a = sl.exact_softmax(z)
    k = max(range(len(a)), key=lambda i: a[i])
    with localcontext() as ctx:
        ctx.prec = 800  # v_i - v_k exactly, for any two finite float64 numbers
        x = [Decimal(float(vi)) - Decimal(float(v[k])) for vi in v]
    with localcontext() as ctx:
        ctx.prec = 120
        total = sum(a, Decimal(0))
        ax = sum((ai * xi for ai, xi in zip(a, x, strict=True)), Decimal(0))
        jv = [aj * (xj * total - ax) for aj, xj in zip(a, x, strict=True)]
        order = sorted(range(len(x)), key=lambda i: x[i])
        pa, px = [Decimal(0)], [Decimal(0)]
        for i in order:
            pa.append(pa[-1] + a[i])
            px.append(px[-1] + a[i] * x[i])
        spread = [Decimal(0)] * len(x)
        for r, i in enumerate(order):
            below = x[i] * pa[r] - px[r]
            above = (px[-1] - px[r + 1]) - x[i] * (pa[-1] - pa[r + 1])
            spread[i] = below + above
        mean = ax / total
        far = sum((abs(xi - mean) for xi in x), Decimal(0))  # sum_i |v_i - <a, v>|
    return a, jv, spread, far


def componentwise_excess(z, v, product, reference=None):
    """max_j of |err_j| / (u a_j D_j), after the underflow allowance, for one vector.

    ``reference`` (float64, e.g. sl.exact_jvp(z, v)) replaces the decimal
    (J v)_j; it is rounded once, half an ulp, which is at most u a_j D_j: one
    unit of the excess (callers subtract it from the bound).
    """
    c_soft = Decimal(sl.promise("softmax").bound)
    got = product(z, v)
    a, jv, spread, far = exact_products(z, v)
    if reference is not None:
        jv = [Decimal(float(r)) for r in reference]
    worst = 0.0
    for g, e, aj, d in zip(got.tolist(), jv, a, spread, strict=True):
        # Each a_i is accurate to c_soft ulps; below the normal range an ulp is
        # 2^-1074, not a relative size: the promise's subnormal allowance,
        # c_soft 2^-1074 (D_j + a_j sum_i |v_i - <a, v>|) for a_j and for the
        # a_i in the mean, and 2^-1075 for the product's rounding.
        allowance = c_soft * TINY * (d + aj * far) + TINY / 2
        if reference is not None:
            allowance += TINY / 2
        err = abs(Decimal(g) - e) - allowance
        if err <= 0:
            continue
        scale = aj * d * U
        assert scale > 0, (g, e)
        worst = max(worst, float(err / scale))
    return worst


def _vectors(rng, length):
    yield rng.normal(size=length)
    yield rng.normal(size=length) + 1e6  # a common offset: J 1 = 0 must hold exactly
    yield rng.uniform(-1, 1, length) * 10.0 ** rng.uniform(-5, 5, length)


def test_the_fast_reference_agrees_with_exact_jvp():
    # The O(L log L) reference above against the package's exact reference
    # (rounded once: within half an ulp of the decimal value), on a dominant
    # entry, subnormal outputs and a common offset.
    rng = np.random.default_rng(11)
    for family in ("one dominant", "subnormal sums", "wide spread"):
        for z in sl.hard_logits(family, np.float64, rows=3, length=12, seed=4):
            for v in _vectors(rng, z.size):
                _, jv, _, _ = exact_products(z, v)
                ref = sl.exact_jvp(z, v)
                assert np.all(sl.ulp_error(ref, np.array(jv)) <= 0.5)


@pytest.mark.parametrize("product", [sl.softmax_jvp, sl.softmax_vjp])
@pytest.mark.parametrize(
    "family",
    [
        "wide spread",
        "one dominant",
        "ties and near-ties",
        "near overflow",
        "subnormal sums",
        "-inf entries",
    ],
)
def test_products_are_componentwise_accurate(product, family):
    # defect 5: a (w - <a, w>) cancelled for a dominant entry (5.9e-4 relative
    # error on the wide spread logits of chapter 3). The promise:
    # |err_j| <= c u a_j sum_i a_i |w_j - w_i|, c from softmaxlab.promises,
    # checked against sl.exact_jvp (its rounding, one unit, taken off c).
    c = sl.promise(product.__name__).bound
    rng = np.random.default_rng(len(family))
    for z in sl.hard_logits(family, np.float64, rows=6, length=12, seed=2):
        for v in _vectors(rng, z.size):
            assert componentwise_excess(z, v, product, sl.exact_jvp(z, v)) <= c - 1


def test_products_componentwise_on_random_and_long_inputs():
    # Random logits up to L = 10^4, the longest the promise is stated for
    # (against the decimal reference: exact_jvp's L^2 differences are too many).
    c = sl.promise("softmax_jvp").bound
    rng = np.random.default_rng(3)
    for length in (1, 2, 3, 40, 300):
        z = rng.normal(scale=5.0, size=length)
        for v in _vectors(rng, length):
            assert componentwise_excess(z, v, sl.softmax_jvp, sl.exact_jvp(z, v)) <= c - 1
    for z in (rng.normal(scale=5.0, size=10**4), rng.normal(scale=0.01, size=10**4)):
        for v in _vectors(rng, z.size):
            assert componentwise_excess(z, v, sl.softmax_vjp) <= c


def test_chapter3_wide_spread_entry():
    # The case that found defect 5: one output near 1, its product entry tiny.
    z = sl.hard_logits("wide spread", np.float64, rows=1, length=8, seed=0)[0]
    z[0] = z.max() + 30.0
    v = np.arange(8.0)
    c = sl.promise("softmax_jvp").bound
    assert componentwise_excess(z, v, sl.softmax_jvp, sl.exact_jvp(z, v)) <= c - 1
    np.testing.assert_array_equal(sl.softmax_jvp(z, np.full(8, 1e6)), 0.0)  # J 1 = 0 exactly


@pytest.mark.parametrize("product", [sl.softmax_jvp, sl.softmax_vjp])
def test_products_componentwise_with_a_far_value_on_a_flat_softmax(product):
    # No output dominates (a_k ~ 1/L) and the largest output's v_k is far from
    # the rest: centring on v_k alone would round v_j - v_k (an error of
    # u |v_j - v_k| ~ L u D_j), and one centring on the weighted mean would
    # leave that mean's rounding error (~ gamma u |v_k| ~ L u D_j): this pins
    # the exact (TwoSum) centring and the second centring.
    rng = np.random.default_rng(8)
    z = rng.uniform(-0.01, 0.01, 600)
    v = rng.uniform(-1, 1, 600)
    v[np.argmax(z)] = 1e6 * (1 + rng.uniform())
    assert componentwise_excess(z, v, product) <= sl.promise(product.__name__).bound
