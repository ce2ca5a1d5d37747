"""Tests for softmaxlab.exact, .ulps and .hard, and the ulp bounds of softmaxlab.numerics.

The exact reference, errors in ulps and the seeded hard inputs.
"""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import softmaxlab as sl

FLOATS = [np.float16, np.float32, np.float64]
#: The promised bounds, in ulps of the input's dtype: the package's one table.
SOFTMAX_BOUND = {np.dtype(t): sl.promise("softmax", t).bound for t in FLOATS}
LOG_BOUND = {np.dtype(t): sl.promise("log_softmax", t).bound for t in FLOATS}
LSE_BOUND = {np.dtype(t): sl.promise("logsumexp", t).bound for t in FLOATS}


def worst(computed, exact) -> float:
    return float(np.max(sl.ulp_error(computed, exact)))


def any_floats(dtype):
    """Vectors of arbitrary floats of ``dtype``: any magnitude, subnormals, infinities."""
    width = np.dtype(dtype).itemsize * 8
    return hnp.arrays(dtype, st.integers(1, 12), elements=st.floats(allow_nan=False, width=width))


hard_inputs = st.builds(
    sl.hard_logits,
    st.sampled_from(sl.HARD_FAMILIES),
    st.sampled_from(FLOATS),
    rows=st.integers(1, 3),
    length=st.integers(1, 24),
    seed=st.integers(0, 2**32 - 1),
)


# ------------------------------------------------------ the ulp bounds ----


@given(hard_inputs)
def test_softmax_within_bound_on_hard_inputs(z):
    assert worst(sl.softmax(z), sl.exact_softmax(z)) <= SOFTMAX_BOUND[z.dtype]


@given(hard_inputs)
def test_log_softmax_within_bound_on_hard_inputs(z):
    assert worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= LOG_BOUND[z.dtype]


@given(hard_inputs)
def test_logsumexp_within_bound_on_hard_inputs(z):
    assert lse_error(z) <= LSE_BOUND[z.dtype]


@pytest.mark.parametrize("dtype", FLOATS)
@given(data=st.data())
def test_bounds_on_arbitrary_floats(dtype, data):
    z = data.draw(any_floats(dtype))
    assert worst(sl.softmax(z), sl.exact_softmax(z)) <= SOFTMAX_BOUND[z.dtype]
    assert worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= LOG_BOUND[z.dtype]
    assert lse_error(z) <= LSE_BOUND[z.dtype]


@pytest.mark.parametrize("family", sl.HARD_FAMILIES)
@pytest.mark.parametrize("dtype", FLOATS)
def test_every_family_and_dtype(family, dtype):
    z = sl.hard_logits(
        family, dtype, rows=8, length=40 if family != "long vectors" else 2000, seed=7
    )
    for f in (sl.softmax, sl.log_softmax, sl.logsumexp):
        assert not np.isnan(f(z)).any(), f.__name__  # every family's slices are defined
    assert worst(sl.softmax(z), sl.exact_softmax(z)) <= SOFTMAX_BOUND[z.dtype]
    assert worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= LOG_BOUND[z.dtype]
    assert lse_error(z) <= LSE_BOUND[z.dtype]


def test_shifted_formula_is_far_off_on_wide_spreads():
    # The reason softmax does more work than softmax_shifted (the shifted
    # formula loses at least 50 ulp here, softmax stays within its promise).
    z = sl.hard_logits("wide spread", np.float64, rows=8, length=64, seed=1)
    exact = sl.exact_softmax(z)
    assert worst(sl.softmax_shifted(z), exact) > 50
    assert worst(sl.softmax(z), exact) <= SOFTMAX_BOUND[z.dtype]


def test_tiny_winner_of_log_softmax():
    # 1 + e^-40 rounds to 1 in float64; log1p of the rest keeps it.
    z = np.array([0.0, -40.0])
    assert worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= LOG_BOUND[z.dtype]
    assert sl.log_softmax(z)[0] < 0


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_bounds_hold_along_any_axis(axis):
    z = np.moveaxis(
        sl.hard_logits("wide spread", np.float64, rows=6, length=30, seed=3).reshape(2, 3, 30),
        -1,
        axis,
    )
    assert worst(sl.softmax(z, axis=axis), sl.exact_softmax(z, axis=axis)) <= SOFTMAX_BOUND[z.dtype]
    assert (
        worst(sl.log_softmax(z, axis=axis), sl.exact_log_softmax(z, axis=axis))
        <= LOG_BOUND[z.dtype]
    )
    assert lse_error(z, axis=axis) <= LSE_BOUND[z.dtype]


def lse_error(z, axis=-1) -> float:
    """logsumexp's worst error in ulps of z's dtype at its promised scale.

    The scale is max(|zhat|, |LSE|, LSE - zhat).

    The promise is absolute in that scale: when zhat < 0 and LSE is near 0
    the two terms cancel, and no relative bound can hold.
    """
    got = np.atleast_1d(sl.logsumexp(z, axis=axis)).ravel()
    exact = np.atleast_1d(sl.exact_logsumexp(z, axis=axis)).ravel()
    zhat = np.atleast_1d(np.max(z, axis=axis)).astype(np.float64).ravel()
    out = 0.0
    for g, e, m in zip(got.tolist(), exact, zhat.tolist(), strict=True):
        if not e.is_finite() or not np.isfinite(m):  # infinities and NaN must match exactly
            out = max(out, float(sl.ulp_error(np.array([g], dtype=z.dtype), np.array([e]))[0]))
            continue
        scale = max(abs(m), abs(float(e)), float(e) - m)
        out = max(out, float(abs(Decimal(float(g)) - e) / Decimal(float(sl.ulp(scale, z.dtype)))))
    return out


@given(any_floats(np.float64))
def test_logsumexp_within_its_promise_on_arbitrary_floats(z):
    assert lse_error(z) <= LSE_BOUND[z.dtype]


# ------------------------------------------------ the exact reference ----


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-800, 800)))
def test_reference_agrees_with_mpmath(z):
    # 500 digits: z_k - LSE(z) may cancel up to about 350 digits here.
    with mpmath.workdps(500):
        terms = [mpmath.exp(mpmath.mpf(float(x))) for x in z]
        total = mpmath.fsum(terms)
        for got, term in zip(sl.exact_softmax(z), terms, strict=True):
            want = term / total
            assert abs(mpmath.mpf(str(got)) - want) <= abs(want) * mpmath.mpf("1e-35")
        lse = mpmath.log(total)
        assert abs(mpmath.mpf(str(sl.exact_logsumexp(z))) - lse) <= max(abs(lse), 1) * mpmath.mpf(
            "1e-35"
        )
        for got, x in zip(sl.exact_log_softmax(z), z, strict=True):
            want = mpmath.mpf(float(x)) - lse  # 0 for L = 1, up to mpmath's own 10^-500
            assert abs(mpmath.mpf(str(got)) - want) <= abs(want) * mpmath.mpf("1e-35") + mpmath.mpf(
                "1e-450"
            )


def test_reference_special_values():
    a = sl.exact_softmax([0.0, -np.inf, 0.0])
    assert list(a) == [Decimal("0.5"), Decimal(0), Decimal("0.5")]
    assert sl.exact_log_softmax([0.0, -np.inf])[1] == Decimal("-Infinity")
    for row in ([-np.inf, -np.inf], [0.0, np.inf], [0.0, np.nan]):
        assert all(v.is_nan() for v in sl.exact_softmax(row))
        assert all(v.is_nan() for v in sl.exact_log_softmax(row))
    assert sl.exact_logsumexp([-np.inf, -np.inf]) == Decimal("-Infinity")
    assert sl.exact_logsumexp([0.0, np.inf]) == Decimal("Infinity")
    assert sl.exact_logsumexp([0.0, np.nan])[()].is_nan()


def test_reference_keeps_the_winner_below_one():
    # 1/(1 + e^-800) is below 1 by far less than 10^-40, yet in [1/2, 1).
    a = sl.exact_softmax([0.0, -800.0])
    assert a[0] < 1
    assert sl.ulp(a[0])[()] == 2.0**-53


def test_reference_cancellation_in_logsumexp():
    # LSE = log 2 - fl(log 2): about 2.3e-17, found despite cancelling 16 digits.
    m = -float(np.log(2.0))
    got = sl.exact_logsumexp([m, m])
    with mpmath.workdps(80):
        want = mpmath.log(2) + mpmath.mpf(m)
        assert abs(mpmath.mpf(str(got)) - want) <= abs(want) * mpmath.mpf("1e-35")


@pytest.mark.parametrize("axis", [0, 1])
def test_reference_axis_and_shape(axis):
    z = np.array([[0.0, 1.0, 2.0], [3.0, -1.0, 0.5]])
    a = sl.exact_softmax(z, axis=axis)
    assert a.shape == z.shape and a.dtype == object
    np.testing.assert_allclose(a.astype(np.float64), sl.softmax(z, axis=axis), rtol=1e-15)
    assert sl.exact_logsumexp(z, axis=axis).shape == ((3,) if axis == 0 else (2,))


# ------------------------------------------------------------ ulps ----


def test_ulp_values():
    assert sl.ulp(1.0)[()] == 2.0**-52
    just_below_one = decimal.Context(prec=60).subtract(1, Decimal("1e-50"))
    assert sl.ulp(just_below_one)[()] == 2.0**-53  # just below 1: the binade below
    assert sl.ulp(0.0, np.float32)[()] == 2.0**-149
    assert sl.ulp(1e-40, np.float32)[()] == 2.0**-149  # subnormal: the smallest subnormal
    assert sl.ulp(65504.0, np.float16)[()] == 32.0
    assert sl.ulp(1e10, np.float16)[()] == 32.0  # beyond the range: the top binade's ulp
    assert np.isnan(sl.ulp(np.inf))


def test_ulp_error_conventions():
    one = np.array([1.0])
    assert sl.ulp_error(one, [1.0])[0] == 0
    assert sl.ulp_error(np.array([1.0 + 2**-52]), [1.0])[0] == 1
    # Underflow: 0 for a true value below half the smallest subnormal is correct rounding.
    wide = decimal.Context(prec=2000)
    assert sl.ulp_error(np.array([0.0]), [wide.power(2, -1076)])[0] == 0.25
    # Flushing a representable subnormal to 0 costs its whole size in ulps.
    assert sl.ulp_error(np.array([0.0]), [wide.power(2, -1060)])[0] == 2.0**14
    # Overflow: inf is right when the true value rounds to inf, wrong otherwise.
    assert sl.ulp_error(np.array([np.inf], dtype=np.float16), [Decimal(70000)])[0] == 0
    assert sl.ulp_error(np.array([np.inf], dtype=np.float16), [Decimal(65519)])[0] == np.inf
    # Infinities and NaN in the exact value.
    assert sl.ulp_error(np.array([-np.inf]), [Decimal("-Infinity")])[0] == 0
    assert sl.ulp_error(np.array([-1e308]), [Decimal("-Infinity")])[0] == np.inf
    assert sl.ulp_error(np.array([np.nan]), [Decimal("NaN")])[0] == 0
    assert sl.ulp_error(np.array([np.nan]), [Decimal(1)])[0] == np.inf
    assert sl.ulp_error(np.array([0.5]), [Decimal("NaN")])[0] == np.inf


@pytest.mark.parametrize("dtype", FLOATS)
def test_ulp_error_uses_the_dtype_of_the_result(dtype):
    x = np.array([1.0], dtype=dtype)
    nxt = np.nextafter(x, np.array([2.0], dtype=dtype))
    assert sl.ulp_error(nxt, [Decimal(1)])[0] == 1.0


# -------------------------------------------------------------- dtypes ----


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("family", sl.HARD_FAMILIES)
def test_dtype_preserved_on_hard_inputs(family, dtype):
    z = sl.hard_logits(family, dtype, rows=2, length=5)
    assert z.dtype == dtype and z.shape == (2, 5)
    for f in (sl.softmax, sl.log_softmax, sl.logsumexp):
        assert f(z).dtype == dtype


def test_hard_logits_is_seeded():
    a = sl.hard_logits("ties and near-ties", np.float32, rows=3, length=7, seed=5)
    b = sl.hard_logits("ties and near-ties", np.float32, rows=3, length=7, seed=5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(
        a, sl.hard_logits("ties and near-ties", np.float32, rows=3, length=7, seed=6)
    )


def test_hard_logits_has_ties_and_minus_inf():
    z = sl.hard_logits("ties and near-ties", np.float64, rows=20, length=16)
    assert any(np.sum(row == row.max()) > 1 for row in z)
    w = sl.hard_logits("-inf entries", np.float64, rows=4, length=50)
    assert np.isneginf(w).any() and np.isfinite(w[:, 0]).all()


# ----------------------------------------------------------- bad input ----
# The vocabulary's rules (logits, axis, dtypes, rows/length/seed, family
# names, shapes, finite w) are tested in test_validation.py; here, what only
# the ulp measures have: exact values may be decimals, and nothing else.


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: sl.ulp_error(np.zeros(1), ["0.5"]), r"^exact must hold real numbers .* got str"),
        (lambda: sl.ulp_error(np.zeros(2), [0.5, True]), r"^exact must hold real .* got bool"),
        (lambda: sl.ulp([None]), r"^x must hold real numbers \(floats or decimal\.Decimal\)"),
        (lambda: sl.ulp([1j]), r"^x must hold real numbers .* got complex"),
    ],
)
def test_ulps_refuse_what_is_not_a_real_number(call, message):
    with pytest.raises(TypeError, match=message):
        call()


# ------------------------------------------------ issue 11: the table ----


@pytest.mark.parametrize(
    ("f", "name"),
    [(sl.softmax, "softmax"), (sl.log_softmax, "log_softmax"), (sl.logsumexp, "logsumexp")],
)
def test_docstrings_state_the_tables_bounds(f, name):
    # One table of promises: the docstrings quote it, and may not drift from it.
    assert (
        f"{sl.promise(name).bound:g} ulp" in f.__doc__
        or f"{sl.promise(name).bound:g} in" in f.__doc__
    )
    assert "0.5 + 2^-21" in f.__doc__ and sl.promise(name, np.float32).bound == 0.5 + 2.0**-21
    assert f"{sl.promise('softmax_jvp').bound:g}" in sl.softmax_jvp.__doc__


def test_promise_lookup_errors():
    with pytest.raises(ValueError, match=r"no accuracy promise for softmax_naive in float64"):
        sl.promise("softmax_naive")
    with pytest.raises(TypeError, match=r"function must be a str"):
        sl.promise(3)
    with pytest.raises(TypeError, match=r"dtype must be float16, float32 or float64"):
        sl.promise("softmax", "nonsense")
    with pytest.raises(ValueError, match=r"length=0 is too small"):
        sl.online_bound(0)
    assert sl.promise("softmax_vjp") == sl.promise("softmax_jvp")


def test_assumptions_hold_for_this_numpy():
    # The table assumes np.exp and np.log1p are within EXP_REL u and LOG1P_REL u
    # (relative); a sample near the worst places found (benchmarks/exp_log1p_error.py).
    import mpmath

    rng = np.random.default_rng(0)
    d = np.concatenate(
        [rng.uniform(-708.0, 0.0, 2000), [-440.76441053627184, -449.1591483510672, -4.7157e-12]]
    )
    r = np.concatenate(
        [np.exp(rng.uniform(-690.0, 13.8, 2000)), [2.231565554931512e-16, 0.7058752358228869]]
    )
    with mpmath.workprec(120):
        u = mpmath.mpf(2) ** -53
        for x, got in zip(d.tolist(), np.exp(d).tolist(), strict=True):
            exact = mpmath.exp(mpmath.mpf(x))
            assert abs(mpmath.mpf(got) - exact) <= sl.EXP_REL * u * exact, x
        for x, got in zip(r.tolist(), np.log1p(r).tolist(), strict=True):
            exact = mpmath.log1p(mpmath.mpf(x))
            assert abs(mpmath.mpf(got) - exact) <= sl.LOG1P_REL * u * exact, x


# The exact Jacobian and JVP (shared by chapters 2, 3 and 6).


def test_exact_jacobian_matches_a_direct_decimal_formula_and_is_symmetric():
    z = np.array([0.3, -1.7, 2.25, 0.3])
    a = sl.exact_softmax(z)
    J = sl.exact_jacobian(z)
    expected = [[float(a[j] * ((i == j) - a[i])) for i in range(4)] for j in range(4)]
    np.testing.assert_array_equal(J, np.array(expected))
    np.testing.assert_array_equal(J, J.T)


def test_exact_jacobian_diagonal_keeps_its_digits_next_to_one():
    # a_1 = 1 - 2e-30 in float64 terms rounds to 1; 1 - a_1 in float64 is 0,
    # but the true J_11 = a_1 (a_2 + a_3) is about 2e-30 and must not vanish.
    z = np.array([0.0, -69.0, -69.0])
    J = sl.exact_jacobian(z)
    e = math.exp(-69.0)
    assert J[0, 0] == pytest.approx(2 * e / (1 + 2 * e) ** 2, rel=1e-14)
    assert J[0, 0] > 0


def test_exact_jvp_equals_the_exact_jacobian_times_w_where_nothing_cancels():
    rng = np.random.default_rng(3)
    z, w = rng.normal(size=6), rng.normal(size=6)
    a = sl.exact_softmax(z)
    direct = [
        float(a[j] * sum(a[i] * (Decimal(w[j]) - Decimal(w[i])) for i in range(6)))
        for j in range(6)
    ]
    np.testing.assert_array_equal(sl.exact_jvp(z, w), np.array(direct))
    np.testing.assert_allclose(sl.exact_jvp(z, w), sl.exact_jacobian(z) @ w, rtol=1e-12)


def test_exact_jvp_is_accurate_for_a_dominant_entry():
    # w_1 - <a, w> cancels when a_1 is about 1; the exact product does not.
    z, w = np.array([40.0, 0.0, 0.0]), np.array([1.0, 0.0, 0.0])
    e = math.exp(-40.0)
    out = sl.exact_jvp(z, w)
    assert out[0] == pytest.approx(2 * e / (1 + 2 * e) ** 2, rel=1e-14)


def test_exact_jacobian_refuses_a_matrix():
    with pytest.raises(
        ValueError, match=r"^z must be one vector of logits \(1-D\), got shape \(2, 2\)$"
    ):
        sl.exact_jacobian(np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"^z must be one vector of logits"):
        sl.exact_jvp(np.zeros((1, 2)), np.zeros((1, 2)))
