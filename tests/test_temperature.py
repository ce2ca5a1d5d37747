"""Tests for softmaxlab.temperature: derivatives of softmax(z/T) in T and beta."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import logit_vectors

import softmaxlab as sl

Z_DEMO = np.array([1.0, 2.5, 0.0, 2.0, -1.0])


def plain_softmax_T(z, T):
    return jax.nn.softmax(z / T)


def plain_loss_T(T, z, y):
    return -jnp.sum(y * jax.nn.log_softmax(z / T))


def plain_free_energy(T, z):
    return T * jax.nn.logsumexp(z / T)


DA_DT = jax.jit(jax.jacfwd(plain_softmax_T, argnums=1))
DA_DBETA = jax.jit(jax.jacfwd(lambda z, b: jax.nn.softmax(b * z), argnums=1))
DLOSS_DT = jax.jit(jax.grad(plain_loss_T))
DPHI_DT = jax.jit(jax.grad(plain_free_energy))


def mp_mean_logit(z, T, dps=60):
    with mp.workdps(dps):
        w = [mp.exp(mp.mpf(float(x)) / mp.mpf(T)) for x in z]
        s = mp.fsum(w)
        return mp.fsum(wi * mp.mpf(float(x)) for wi, x in zip(w, z, strict=True)) / s


def mp_temperature_derivative(z, T, dps=60):
    with mp.workdps(dps):
        T = mp.mpf(T)
        w = [mp.exp(mp.mpf(float(x)) / T) for x in z]
        s = mp.fsum(w)
        a = [wi / s for wi in w]
        mu = mp.fsum(ai * mp.mpf(float(x)) for ai, x in zip(a, z, strict=True))
        return np.array(
            [float(-ai * (mp.mpf(float(x)) - mu) / T**2) for ai, x in zip(a, z, strict=True)]
        )


@pytest.mark.parametrize("T", [0.05, 0.7, 1.0, 3.0, 40.0])
@pytest.mark.parametrize(
    "z",
    [
        Z_DEMO,
        np.array([0.3]),
        np.array([0.3, -1.2]),
        np.array([1.5, 1.5, -0.5]),
        np.array([900.0, 899.0, 10.0]),
    ],
)
def test_temperature_derivative_matches_jax_and_mpmath(z, T):
    got = sl.softmax_temperature_derivative(z, T)
    want = np.asarray(DA_DT(jnp.asarray(z), T))
    # JAX's autodiff forms z_j - <a, z>, which cancels when one output is near 1:
    # an absolute bound of a few u * max|z| / T^2 is all it can be held to.
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=8 * eps * np.abs(z).max() / T**2)
    # The exact derivative (60 digits): ours is accurate in relative terms.
    exact = mp_temperature_derivative(z, T)
    np.testing.assert_allclose(got, exact, rtol=1e-12, atol=0)
    # The row sums to zero: sum_j a_j (z_j - mu) = mu (1 - sum_j a_j). In floating
    # point 1 - sum a is a few L u, times |mu| <= max |z|, over T^2.
    eps = np.finfo(np.float64).eps
    assert abs(got.sum()) <= 4 * z.size * eps * np.abs(z).max() / T**2


@pytest.mark.parametrize("beta", [0.02, 1.0, 20.0])
def test_beta_derivative_matches_jax_and_chain_rule(beta):
    z = Z_DEMO
    got = sl.softmax_beta_derivative(z, beta)
    np.testing.assert_allclose(
        got, np.asarray(DA_DBETA(jnp.asarray(z), beta)), rtol=1e-11, atol=1e-15
    )
    # dT = -dbeta / beta^2, so da/dT = -beta^2 da/dbeta.
    np.testing.assert_allclose(
        sl.softmax_temperature_derivative(z, 1 / beta), -(beta**2) * got, rtol=1e-12, atol=1e-16
    )


@given(logit_vectors(min_size=2, max_size=8, bound=20.0), st.floats(0.1, 10.0))
def test_sign_of_derivative_is_sign_of_mean_minus_logit(z, T):
    mu = sl.mean_logit(z, T)
    d = sl.softmax_temperature_derivative(z, T)
    # Only where |mu - z_j| is clearly non-zero is the sign determined by rounding-free facts.
    clear = np.abs(mu - z) > 1e-9 * (1 + np.abs(z))
    a = sl.softmax(z / T)
    clear &= a > 1e-200
    assert np.all(np.sign(d[clear]) == np.sign(mu - z[clear]))


@pytest.mark.parametrize("T", [0.01, 0.5, 2.0, 1e3])
def test_mean_logit_against_mpmath(T):
    z = np.array([0.1, -2.3, 7.7, 7.6, 3.0])
    assert float(sl.mean_logit(z, T)) == pytest.approx(float(mp_mean_logit(z, T)), rel=1e-13)


def test_mean_logit_limits():
    z = np.array([0.1, -2.3, 7.7, 3.0])
    assert float(sl.mean_logit(z, 1e-3)) == pytest.approx(7.7, rel=1e-14)
    assert float(sl.mean_logit(z, 1e9)) == pytest.approx(z.mean(), rel=1e-7)


@pytest.mark.parametrize("T", [0.3, 1.0, 5.0])
def test_cross_entropy_temperature_derivative_matches_jax(T):
    rng = np.random.default_rng(3)
    z = rng.normal(scale=3.0, size=7)
    for y in (np.eye(7)[2], np.full(7, 1 / 7), np.full(7, 0.3)):
        got = float(sl.cross_entropy_temperature_derivative(z, y, T))
        want = float(DLOSS_DT(T, jnp.asarray(z), jnp.asarray(y)))
        assert got == pytest.approx(want, rel=1e-11, abs=1e-15)


def test_cross_entropy_derivative_batches():
    z = np.array([[2.0, 0.0], [0.0, 2.0]])
    y = np.array([[1.0, 0.0], [1.0, 0.0]])
    d = sl.cross_entropy_temperature_derivative(z, y, 1.0)
    assert d.shape == (2,) and d[0] > 0 > d[1]


@pytest.mark.parametrize("T", [0.02, 1.0, 30.0])
def test_free_energy_derivative_is_entropy(T):
    z = np.array([0.1, -2.3, 7.7, 7.6, 3.0])
    h = float(sl.softmax_entropy(z, T))
    assert float(DPHI_DT(T, jnp.asarray(z))) == pytest.approx(h, rel=1e-10, abs=1e-14)
    with mp.workdps(50):
        w = [mp.mpf(float(x)) / mp.mpf(T) for x in z]
        lse = mp.log(mp.fsum(mp.exp(x) for x in w))
        p = [mp.exp(x - lse) for x in w]
        h_exact = -mp.fsum(pi * mp.log(pi) for pi in p)
        phi_exact = mp.mpf(T) * lse
    assert h == pytest.approx(float(h_exact), rel=1e-12, abs=1e-300)
    assert float(sl.free_energy(z, T)) == pytest.approx(float(phi_exact), rel=1e-14)


def test_entropy_bounds_and_tiny_entropy():
    assert float(sl.softmax_entropy([3.0, 3.0, 3.0])) == pytest.approx(math.log(3), rel=1e-15)
    # One dominant entry: H ~ 40 e^-40, which the form LSE - <a, w> keeps in relative terms.
    z = np.array([40.0, 0.0])
    with mp.workdps(60):
        p = 1 / (1 + mp.exp(-40))
        h = -(p * mp.log(p) + (1 - p) * mp.log(1 - p))
    assert float(sl.softmax_entropy(z)) == pytest.approx(float(h), rel=1e-12)


def test_peak_temperature_on_the_demo_vector():
    # Mean of the logits 0.9: z_1 = 1 and z_4 = 2 lie strictly between it and the top 2.5.
    assert sl.peak_temperature(Z_DEMO, 1) == 0.0
    assert sl.peak_temperature(Z_DEMO, 2) == math.inf
    assert sl.peak_temperature(Z_DEMO, 4) == math.inf
    for j in (0, 3):
        T = sl.peak_temperature(Z_DEMO, j)
        assert float(mp_mean_logit(Z_DEMO, T)) == pytest.approx(Z_DEMO[j], abs=1e-12)
        grid = T * np.array([0.99, 1.0, 1.01])
        vals = sl.softmax(Z_DEMO[None, :] / grid[:, None])[:, j]
        assert vals[1] > vals[0] and vals[1] > vals[2]
    assert sl.softmax(Z_DEMO / sl.peak_temperature(Z_DEMO, 0))[0] == pytest.approx(0.2006, abs=5e-5)


def test_peak_temperature_special_cases():
    assert math.isnan(sl.peak_temperature([2.0, 2.0, 2.0], 0))
    assert sl.peak_temperature([1.0, 1.0, 0.0], 0) == 0.0  # tied maxima decrease too
    assert sl.peak_temperature([1.0, 0.0, -1.0], 1) == math.inf  # exactly the mean
    assert sl.peak_temperature([5.0], 0) != sl.peak_temperature([5.0], 0)  # L = 1: constant, nan


@pytest.mark.parametrize(
    "call, error, message",
    [
        (
            lambda: sl.mean_logit([1.0, 2.0], T=0.0),
            ValueError,
            "T must be a finite positive number",
        ),
        (
            lambda: sl.mean_logit([1.0, 2.0], T=-1.0),
            ValueError,
            "T must be a finite positive number",
        ),
        (
            lambda: sl.mean_logit([1.0, 2.0], T=math.inf),
            ValueError,
            "T must be a finite positive number",
        ),
        (lambda: sl.mean_logit([1.0, 2.0], T="1"), TypeError, "T must be a real number"),
        (lambda: sl.mean_logit([1.0, 2.0], T=True), TypeError, "T must be a real number"),
        (lambda: sl.mean_logit([1.0, -np.inf]), ValueError, "z must be finite"),
        (lambda: sl.mean_logit([]), ValueError, "axis -1 is empty|axis 0 is empty"),
        (lambda: sl.mean_logit("ab"), TypeError, "z must be an array of real numbers"),
        (lambda: sl.softmax_temperature_derivative([np.nan], 1.0), ValueError, "z must be finite"),
        (
            lambda: sl.softmax_beta_derivative([1.0], 0.0),
            ValueError,
            "beta must be a finite positive number",
        ),
        (lambda: sl.softmax_beta_derivative([1.0], None), TypeError, "beta must be a real number"),
        (
            lambda: sl.cross_entropy_temperature_derivative([1.0, 2.0], [1.0], 1.0),
            ValueError,
            "y has shape",
        ),
        (
            lambda: sl.cross_entropy_temperature_derivative([1.0, 2.0], [1.0, np.nan], 1.0),
            ValueError,
            "y must be finite",
        ),
        (
            lambda: sl.cross_entropy_temperature_derivative([1.0, 2.0], ["a", "b"], 1.0),
            TypeError,
            "y has dtype",
        ),
        (lambda: sl.free_energy([1.0], 0.0), ValueError, "T must be a finite positive number"),
        (lambda: sl.softmax_entropy([np.inf, 0.0]), ValueError, "z must be finite"),
        (lambda: sl.peak_temperature([[1.0, 2.0]], 0), ValueError, "one vector of logits"),
        (
            lambda: sl.peak_temperature([1.0, 2.0], 2),
            ValueError,
            "j=2 is out of range for length 2",
        ),
        (lambda: sl.peak_temperature([1.0, 2.0], 1.0), TypeError, "j must be an int index"),
        (lambda: sl.peak_temperature([1.0, 2.0], True), TypeError, "j must be an int index"),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()
