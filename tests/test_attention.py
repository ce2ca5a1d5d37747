"""Tests for softmaxlab.attention: masked softmax and blocked attention forward/backward."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import ml_dtypes
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import logit_vectors

import softmaxlab as sl


def plain_attention(Q, K, V, mask):
    # The textbook formula with the whole L_q x L matrix of probabilities.
    S = Q @ K.T / jnp.sqrt(Q.shape[-1])
    P = jax.nn.softmax(S, where=mask)  # a fully masked row gives zeros
    return P @ V


@jax.jit
def plain_grads(Q, K, V, mask, G):
    return jax.grad(lambda q, k, v: jnp.sum(G * plain_attention(q, k, v, mask)), argnums=(0, 1, 2))(
        Q, K, V
    )


def random_problem(seed, Lq=5, L=37, n=4, nv=3, masked_rows=(), p_keep=0.7):
    rng = np.random.default_rng(seed)
    Q, K = rng.normal(size=(Lq, n)), rng.normal(scale=2.0, size=(L, n))
    V, G = rng.normal(size=(L, nv)), rng.normal(size=(Lq, nv))
    mask = rng.random((Lq, L)) < p_keep
    mask[:, 0] = True
    for r in masked_rows:
        mask[r] = False
    return Q, K, V, G, mask


# ---------------------------------------------------------------- masked softmax


@given(logit_vectors(min_size=1, max_size=10, bound=30.0), st.integers(0, 2**10 - 1))
def test_masked_softmax_is_softmax_of_kept_entries(z, bits):
    keep = np.array([(bits >> i) & 1 for i in range(z.size)], dtype=bool)
    a = sl.masked_softmax(z, keep)
    assert np.all(a[~keep] == 0)
    if keep.any():
        np.testing.assert_allclose(a[keep], sl.softmax(z[keep]), rtol=1e-14, atol=0)
        np.testing.assert_allclose(
            a, np.asarray(jax.nn.softmax(jnp.asarray(z), where=keep)), rtol=1e-13, atol=1e-300
        )
    else:
        assert np.all(a == 0)


def test_masked_entries_are_never_read():
    z = np.array([np.nan, 1.0, np.inf, 0.0])
    keep = np.array([False, True, False, True])
    np.testing.assert_allclose(
        sl.masked_softmax(z, keep), [0, 1 / (1 + np.exp(-1)), 0, 1 / (1 + np.e)], rtol=1e-15
    )


def test_max_is_taken_over_kept_entries():
    # Kept logits near -1000 next to a masked 0: a shift by the unmasked maximum
    # would underflow every kept exponential and give 0/0.
    z = np.array([0.0, -1000.0, -1001.0])
    a = sl.masked_softmax(z, np.array([False, True, True]))
    np.testing.assert_allclose(a, [0.0, 1 / (1 + np.exp(-1)), 1 / (1 + np.e)], rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_masked_softmax_dtypes_and_batch(dtype):
    z = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=dtype)
    keep = np.array([[True, False, True], [False, False, False]])
    a = sl.masked_softmax(z, keep)
    assert a.dtype == dtype
    np.testing.assert_allclose(
        a[0], [1 / (1 + np.e**2), 0, 1 / (1 + np.e**-2)], rtol=np.finfo(dtype).eps
    )
    assert np.all(a[1] == 0)
    assert np.all(sl.masked_softmax(z.T, keep.T, axis=0) == a.T)


def test_finite_bias_in_bfloat16_swallows_the_logits():
    # The fact the chapter states: adding finfo.min in bfloat16 rounds every
    # logit to the same number, so a fully masked row becomes uniform, not zero.
    bf16 = ml_dtypes.bfloat16
    z = np.array([3.0, -100.0, 0.5], dtype=bf16)
    biased = z + ml_dtypes.finfo(bf16).min
    assert np.all(biased == biased[0])


# ---------------------------------------------------------------- attention


@pytest.mark.parametrize("block_size", [1, 5, 16, 64])
def test_forward_matches_dense(block_size):
    Q, K, V, _, mask = random_problem(1, masked_rows=(2,))
    o, lse = sl.attention_forward(Q, K, V, mask, block_size=block_size)
    np.testing.assert_allclose(
        o, np.asarray(plain_attention(Q, K, V, mask)), rtol=1e-12, atol=1e-14
    )
    S = Q @ K.T / 2.0
    kept = np.where(mask, S, -np.inf)
    for r in range(Q.shape[0]):
        if r == 2:
            assert lse[r] == np.inf and np.all(o[r] == 0)
        else:
            assert lse[r] == pytest.approx(float(sl.logsumexp(kept[r])), rel=1e-14)


@pytest.mark.parametrize("block_size", [1, 7, 64])
@pytest.mark.parametrize("masked_rows", [(), (0, 3)])
def test_backward_matches_jax_grad(block_size, masked_rows):
    Q, K, V, G, mask = random_problem(2, masked_rows=masked_rows)
    o, lse = sl.attention_forward(Q, K, V, mask, block_size=block_size)
    dQ, dK, dV = sl.attention_backward(Q, K, V, o, lse, G, mask, block_size=block_size)
    jQ, jK, jV = plain_grads(Q, K, V, mask, G)
    for got, want in ((dQ, jQ), (dK, jK), (dV, jV)):
        want = np.asarray(want)
        # Entries can cancel to near 0: absolute floor 1e-13 relative to the largest.
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13 * np.abs(want).max())
    for r in masked_rows:
        assert np.all(dQ[r] == 0)


def test_one_query_against_mpmath():
    Q, K, V, G, mask = random_problem(3, Lq=1, L=6, n=2, nv=2)
    q, keep, g = Q[0], mask[0], G[0]
    o, lse = sl.attention_forward(q, K, V, keep, block_size=4)
    dq, dK, dV = sl.attention_backward(q, K, V, o, lse, g, keep, block_size=4)
    assert o.shape == (2,) and np.ndim(lse) == 0 and dq.shape == (2,)
    with mp.workdps(50):
        M = lambda x: [mp.mpf(float(t)) for t in x]  # noqa: E731
        qm, gm = M(q), M(g)
        s = [mp.fsum(a * b for a, b in zip(qm, M(k), strict=True)) / mp.sqrt(2) for k in K]
        e = [mp.exp(si) if keep[i] else mp.mpf(0) for i, si in enumerate(s)]
        P = [ei / mp.fsum(e) for ei in e]
        om = [mp.fsum(P[i] * mp.mpf(float(V[i, c])) for i in range(6)) for c in range(2)]
        D = mp.fsum(a * b for a, b in zip(gm, om, strict=True))
        ds = [
            P[i] * (mp.fsum(gm[c] * mp.mpf(float(V[i, c])) for c in range(2)) - D) for i in range(6)
        ]
        dq_exact = [
            float(mp.fsum(ds[i] * mp.mpf(float(K[i, c])) for i in range(6)) / mp.sqrt(2))
            for c in range(2)
        ]
        dK_exact = [[float(ds[i] * qm[c] / mp.sqrt(2)) for c in range(2)] for i in range(6)]
        dV_exact = [[float(P[i] * gm[c]) for c in range(2)] for i in range(6)]
        o_exact = [float(x) for x in om]
    np.testing.assert_allclose(o, o_exact, rtol=1e-13)
    np.testing.assert_allclose(dq, dq_exact, rtol=1e-11)
    np.testing.assert_allclose(dK, dK_exact, rtol=1e-11, atol=0)
    np.testing.assert_allclose(dV, dV_exact, rtol=1e-13, atol=0)


def test_large_scores_do_not_overflow():
    Q, K, V, G, mask = random_problem(4)
    Q = Q * 300.0  # scores of several hundred: e^s overflows without the shift
    o, lse = sl.attention_forward(Q, K, V, mask, block_size=8)
    assert np.all(np.isfinite(o)) and np.all(np.isfinite(lse))
    # dK is not compared here: the bound below is derived for dQ only.
    dQ, _, dV = sl.attention_backward(Q, K, V, o, lse, G, mask, block_size=8)
    jQ, _, jV = plain_grads(Q, K, V, mask, G)
    np.testing.assert_allclose(dV, np.asarray(jV), rtol=1e-9, atol=1e-300)
    # dS = P (dP - D) cancels for a saturated row, in JAX and here alike: hold the
    # difference to rounding of the terms, u |s| times sum_i P_i (|dP_i| + |D|) |k_i| / sqrt(n).
    S = np.where(mask, Q @ K.T / 2.0, -np.inf)
    P = sl.masked_softmax(S, mask)
    dP, D = G @ V.T, np.sum(G * o, axis=1, keepdims=True)
    terms = (P * (np.abs(dP) + np.abs(D))) @ np.abs(K) / 2.0
    u_s = np.finfo(np.float64).eps * (1 + np.abs(np.where(mask, S, 0.0)).max())
    assert np.all(np.abs(dQ - np.asarray(jQ)) <= 16 * u_s * terms)


def test_float32_stays_float32():
    Q, K, V, G, mask = (x.astype(np.float32) if x.dtype != bool else x for x in random_problem(5))
    o, lse = sl.attention_forward(Q, K, V, mask)
    dQ, dK, dV = sl.attention_backward(Q, K, V, o, lse, G, mask)
    assert {o.dtype, lse.dtype, dQ.dtype, dK.dtype, dV.dtype} == {np.dtype(np.float32)}


Q1, K1, V1 = np.zeros((2, 3)), np.zeros((4, 3)), np.zeros((4, 2))


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: sl.masked_softmax([1.0, 2.0], [1, 0]), TypeError, "mask must be a boolean array"),
        (lambda: sl.masked_softmax([1.0, 2.0], [True]), ValueError, "mask has shape"),
        (lambda: sl.masked_softmax("ab", [True]), TypeError, "z must be an array of real numbers"),
        (lambda: sl.masked_softmax([1.0], [True], axis=1), ValueError, "axis=1 is out of range"),
        (lambda: sl.attention_forward(Q1, K1, np.zeros((3, 2))), ValueError, "one row per key"),
        (lambda: sl.attention_forward(Q1, np.zeros((4, 2)), V1), ValueError, "same head dimension"),
        (
            lambda: sl.attention_forward(np.zeros((2, 3, 1)), K1, V1),
            ValueError,
            r"expected q of shape \(d_k,\)",
        ),
        (
            lambda: sl.attention_forward(Q1, np.zeros((0, 3)), np.zeros((0, 2))),
            ValueError,
            "at least one query",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, np.ones((2, 3), bool)),
            ValueError,
            "mask has shape",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, np.ones((2, 4))),
            TypeError,
            "mask must be a boolean array",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, scale=0.0),
            ValueError,
            "scale must be a finite positive number",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, scale="1"),
            TypeError,
            "scale must be a real number",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, block_size=0),
            ValueError,
            "block_size must be an int >= 1, got 0",
        ),
        (
            lambda: sl.attention_forward(Q1, K1, V1, block_size=2.0),
            TypeError,
            "block_size must be an int >= 1, got float 2.0",
        ),
        (lambda: sl.attention_forward(Q1, K1, V1 + 1j), TypeError, "v has complex dtype"),
        (
            lambda: sl.attention_backward(
                Q1, K1, V1, np.zeros((2, 3)), np.zeros(2), np.zeros((2, 2))
            ),
            ValueError,
            r"o has shape \(2, 3\); expected \(2, 2\)",
        ),
        (
            lambda: sl.attention_backward(
                Q1, K1, V1, np.zeros((2, 2)), np.zeros(3), np.zeros((2, 2))
            ),
            ValueError,
            "lse has shape",
        ),
        (
            lambda: sl.attention_backward(
                Q1, K1, V1, np.zeros((2, 2)), np.zeros(2), np.zeros((1, 2))
            ),
            ValueError,
            "do has shape",
        ),
        (
            lambda: sl.attention_backward(
                Q1, K1, V1, np.zeros((2, 2)), ["a", "b"], np.zeros((2, 2))
            ),
            TypeError,
            "lse has dtype",
        ),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
