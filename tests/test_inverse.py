"""Tests for softmaxlab.inverse: the centred logarithm inverts softmax on sum-zero logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from strategies import logit_vectors

import softmaxlab as sl


@given(logit_vectors(min_size=1, max_size=12, bound=30.0))
def test_inverse_of_softmax_is_the_centred_logits(z):
    w = sl.softmax_inverse(sl.softmax(z))
    # log a_j = z_j - LSE(z) is rounded to a few ulps of |z_j| + |LSE(z)| <= 2 * 30 + log L.
    np.testing.assert_allclose(w, z - z.mean(), rtol=0, atol=1e-13)


@given(logit_vectors(min_size=1, max_size=12, bound=30.0))
def test_softmax_of_inverse_is_identity(z):
    a = sl.softmax(z)
    np.testing.assert_allclose(sl.softmax(sl.softmax_inverse(a)), a, rtol=1e-12)


def test_scale_invariance_and_mpmath():
    a = np.array([0.1, 0.2, 0.3, 0.4])
    with mp.workdps(40):
        logs = [mp.log(mp.mpf(float(x))) for x in a]
        mean = mp.fsum(logs) / 4
        exact = [float(x - mean) for x in logs]
    np.testing.assert_allclose(sl.softmax_inverse(a), exact, rtol=1e-14)
    np.testing.assert_allclose(sl.softmax_inverse(3 * a), exact, rtol=1e-14)


def test_axis_and_dtype():
    a = np.array([[0.25, 0.5], [0.75, 0.5]], dtype=np.float32)
    w = sl.softmax_inverse(a, axis=0)
    assert w.dtype == np.float32
    np.testing.assert_allclose(
        w[:, 0], [np.log(0.25 / 0.75) / 2, np.log(0.75 / 0.25) / 2], rtol=1e-6
    )
    assert np.all(w[:, 1] == 0)


def test_derivative_is_the_pseudo_inverse_of_J():
    # d softmax^{-1}(a)[v] = P diag(1/a) v on tangent vectors v (sum v = 0), P = I - 11^T/L.
    z = np.array([0.4, -1.3, 2.2, 0.0, 0.9])
    a = sl.softmax(z)
    L = a.size
    P = np.eye(L) - np.ones((L, L)) / L
    D_inv = np.asarray(jax.jacfwd(lambda x: jnp.log(x) - jnp.mean(jnp.log(x)))(jnp.asarray(a)))
    np.testing.assert_allclose(D_inv, P @ np.diag(1 / a), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        P @ np.diag(1 / a) @ P, np.linalg.pinv(sl.softmax_jacobian(z)), rtol=1e-10
    )


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: sl.softmax_inverse([0.5, 0.0, 0.5]),
            ValueError,
            r"a\[1\] = 0.0; a zero probability has no logit",
        ),
        (lambda: sl.softmax_inverse([0.5, -0.1]), ValueError, "strictly positive and finite"),
        (lambda: sl.softmax_inverse([0.5, np.nan]), ValueError, "strictly positive and finite"),
        (lambda: sl.softmax_inverse([np.inf, 1.0]), ValueError, "strictly positive and finite"),
        (lambda: sl.softmax_inverse([]), ValueError, "a has shape"),
        (lambda: sl.softmax_inverse(0.5), ValueError, "a is a scalar"),
        (lambda: sl.softmax_inverse("ab"), TypeError, "a must be an array of real numbers"),
        (lambda: sl.softmax_inverse([0.5, 0.5], axis=1.0), TypeError, "axis must be an int"),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
