"""Unit and property tests for softmaxlab.numerics: the values of softmax and friends."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import integer_logits, logit_vectors

import softmaxlab as sl

ALL_SOFTMAXES = [sl.softmax, sl.softmax_shifted, sl.softmax_naive]
ALL_FUNCTIONS = [sl.softmax, sl.log_softmax, sl.logsumexp, sl.softmax_shifted, sl.softmax_naive]


# ---------------------------------------------------------------- values ----


def test_known_values():
    a = sl.softmax([0.0, np.log(3.0)])
    np.testing.assert_allclose(a, [0.25, 0.75], rtol=1e-15)
    np.testing.assert_array_equal(sl.softmax([5.0]), [1.0])
    np.testing.assert_array_equal(sl.softmax([7.0, 7.0, 7.0, 7.0]), [0.25] * 4)


@pytest.mark.parametrize("big", [1e3, 1e300, np.finfo(np.float64).max])
def test_no_overflow_for_huge_logits(big):
    np.testing.assert_array_equal(sl.softmax([big, big]), [0.5, 0.5])
    np.testing.assert_array_equal(sl.softmax([big, -big]), [1.0, 0.0])
    assert np.isnan(sl.softmax_naive([big, big])).all()  # e^big overflows: inf / inf


def test_naive_underflow_gives_nan_shifted_does_not():
    z = np.array([-1000.0, -1000.0])
    assert np.isnan(sl.softmax_naive(z)).all()
    np.testing.assert_array_equal(sl.softmax_shifted(z), [0.5, 0.5])


def test_minus_inf_gets_probability_zero():
    a = sl.softmax([0.0, -np.inf, 0.0])
    np.testing.assert_array_equal(a, [0.5, 0.0, 0.5])
    ls = sl.log_softmax([0.0, -np.inf])
    assert ls[0] == 0.0 and ls[1] == -np.inf


@pytest.mark.parametrize("row", [[-np.inf, -np.inf], [0.0, np.inf], [0.0, np.nan]])
def test_undefined_rows_give_nan(row):
    assert np.isnan(sl.softmax(row)).all()
    assert np.isnan(sl.log_softmax(row)).all()


def test_logsumexp_special_values():
    assert sl.logsumexp([-np.inf, -np.inf]) == -np.inf
    assert sl.logsumexp([0.0, np.inf]) == np.inf
    assert np.isnan(sl.logsumexp([0.0, np.nan]))
    assert sl.logsumexp([0.0, -np.inf]) == 0.0


def test_nan_only_affects_its_own_row():
    out = sl.softmax(np.array([[0.0, np.nan], [0.0, 0.0]]))
    assert np.isnan(out[0]).all()
    np.testing.assert_array_equal(out[1], [0.5, 0.5])


def test_log_softmax_keeps_tiny_values():
    # log(softmax) underflows to -inf; log_softmax is exact here.
    assert sl.log_softmax([0.0, -800.0])[1] == -800.0
    with np.errstate(divide="ignore"):
        assert np.log(sl.softmax([0.0, -800.0]))[1] == -np.inf
    # The winner's log-probability is a tiny negative number, not 0.
    w = sl.log_softmax([0.0, -40.0])[0]
    np.testing.assert_allclose(w, -np.exp(-40.0), rtol=1e-15)


# ----------------------------------------------------------------- dtypes ----


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("f", ALL_FUNCTIONS)
def test_dtype_preserved(f, dtype):
    z = np.array([[0.5, -1.0, 2.0]], dtype=dtype)
    assert f(z).dtype == dtype


@pytest.mark.parametrize("f", ALL_FUNCTIONS)
def test_integers_become_float64(f):
    assert f([1, 2, 3]).dtype == np.float64
    assert f(np.array([1, 2], dtype=np.uint8)).dtype == np.float64


def test_jax_arrays_accepted():
    z = jnp.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(sl.softmax(z), jax.nn.softmax(z), rtol=1e-14)


# ------------------------------------------------------------- axes/batch ----


@pytest.mark.parametrize("f", ALL_FUNCTIONS)
def test_axis_matches_moved_axis(f):
    z = np.random.default_rng(0).normal(size=(3, 4, 5))
    for axis in range(-3, 3):
        expected = (
            np.moveaxis(f(np.moveaxis(z, axis, -1)), -1, axis)
            if f is not sl.logsumexp
            else f(np.moveaxis(z, axis, -1))
        )
        np.testing.assert_allclose(f(z, axis=axis), expected, rtol=1e-14)


def test_batch_rows_independent():
    z = np.random.default_rng(1).normal(size=(6, 7))
    rows = np.stack([sl.softmax(r) for r in z])
    np.testing.assert_array_equal(sl.softmax(z), rows)


# ------------------------------------------------------------- properties ----


@given(logit_vectors())
def test_simplex(z):
    a = sl.softmax(z)
    assert np.all((a >= 0) & (a <= 1))
    assert abs(a.sum() - 1.0) <= 4 * z.size * np.finfo(float).eps


@given(logit_vectors(bound=1e300))
def test_simplex_for_huge_spreads(z):
    a = sl.softmax(z)
    assert np.all(np.isfinite(a)) and np.all((a >= 0) & (a <= 1))
    assert abs(a.sum() - 1.0) <= 4 * z.size * np.finfo(float).eps


@given(integer_logits(), st.integers(-1000, 1000))
def test_shift_invariance(z, c):
    # Integer logits and an integer shift: z + c is exact, so only the
    # algorithm's own rounding can differ.
    for f in (sl.softmax, sl.log_softmax):
        np.testing.assert_allclose(f(z + c), f(z), rtol=1e-14, atol=1e-300)
    # logsumexp's promise is absolute, in ulps of max(|zhat|, |LSE|, LSE - zhat):
    # LSE(z) + c may cancel (z = (0, 4), c = -4), so the two results are
    # compared within the sum of their two promised errors (the shift by c is exact).
    lse, lse_c = sl.logsumexp(z), sl.logsumexp(z + c)
    zhat = float(np.max(z))
    scale = max(abs(zhat), abs(float(lse)), float(lse) - zhat)
    scale_c = max(abs(zhat + c), abs(float(lse_c)), float(lse_c) - zhat - c)
    bound = sl.promise("logsumexp").bound
    tol = bound * (float(np.spacing(scale)) + float(np.spacing(scale_c)))
    assert abs(float(lse_c) - (float(lse) + c)) <= tol


@given(logit_vectors())
def test_order_preserved(z):
    a = sl.softmax(z)
    i, k = np.meshgrid(np.arange(z.size), np.arange(z.size), indexing="ij")
    assert np.all(a[i][z[i] > z[k]] >= a[k][z[i] > z[k]])
    assert np.all(a[i][z[i] == z[k]] == a[k][z[i] == z[k]])


def test_logsumexp_error_is_relative_to_the_max():
    # z = (-fl(ln 2), -fl(ln 2)): LSE = ln 2 - fl(ln 2) = 2.3e-17 exactly, but
    # log1p(1) rounds to fl(ln 2) and the float64 result is 0. The error,
    # 2.3e-17, is a fraction of an ulp of |zhat| = 0.69, which is what the
    # docstring promises, and no more.
    z = np.full(2, -np.log(2.0))
    exact = float(sl.exact_logsumexp(z)[()])
    assert 2.3e-17 < exact < 2.4e-17
    got = float(sl.logsumexp(z))
    # The promise: within sl.promise("logsumexp").bound ulps of
    # max(|zhat|, |LSE|, LSE - zhat) = fl(ln 2).
    assert abs(got - exact) <= sl.promise("logsumexp").bound * float(sl.ulp(np.log(2.0)))


@given(logit_vectors())
def test_log_softmax_and_logsumexp_agree_with_definitions(z):
    np.testing.assert_allclose(sl.log_softmax(z), np.log(sl.softmax(z)), rtol=1e-13, atol=1e-13)
    # The package's exact reference (decimal, tested against mpmath at 500
    # digits in test_precision.py): log(sum(exp(z))) at a fixed precision
    # would return 0 for z = [1e-246], where exp(z) rounds to 1 (_lse_error
    # uses it). The documented bound: a few ulps of max(|zhat|, |LSE|). Relative to the
    # result alone it cannot hold when zhat < 0 cancels log1p(...): see
    # test_logsumexp_error_is_relative_to_the_max.
    assert _lse_error(z) <= sl.promise("logsumexp").bound
    np.testing.assert_allclose(sl.log_softmax(z), z - sl.logsumexp(z), rtol=1e-12, atol=1e-12)


@given(logit_vectors(max_size=8, bound=20.0))
def test_all_formulas_agree_on_moderate_logits(z):
    ref = sl.softmax(z)
    for f in ALL_SOFTMAXES:
        np.testing.assert_allclose(f(z), ref, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(jax.nn.softmax(z), ref, rtol=1e-12, atol=1e-300)


@given(logit_vectors(dtype=np.float32, bound=30.0))
def test_float32_matches_float64_rounded(z):
    exact = sl.softmax(z.astype(np.float64))
    got = sl.softmax(z)
    np.testing.assert_allclose(got, exact, rtol=2 * np.finfo(np.float32).eps, atol=1e-45)


# -------------------------------------------------------------- bad input ----


@pytest.mark.parametrize("f", ALL_FUNCTIONS)
@pytest.mark.parametrize(
    ("bad", "exc", "message"),
    [
        ([], ValueError, r"axis -?\d* ?is empty|axis 0 is empty"),
        (np.zeros((3, 0)), ValueError, r"axis 1 is empty"),
        (3.0, ValueError, r"is a scalar"),
        ("1, 2, 3", TypeError, r"got a str"),
        (b"123", TypeError, r"got a bytes"),
        ([1.0 + 2.0j, 3.0], TypeError, r"complex dtype"),
        (np.array([1.0, None], dtype=object), TypeError, r"dtype object"),
        ([True, False], TypeError, r"boolean dtype"),
        ([[1.0, 2.0], [3.0]], ValueError, r"rectangular array"),
        (np.array(["a", "b"]), TypeError, r"dtype <U1"),
        (np.array([1.0], dtype=np.longdouble), TypeError, r"supported floating dtypes"),
    ],
)
def test_bad_logits(f, bad, exc, message):
    with pytest.raises(exc, match=message):
        f(bad)


@pytest.mark.parametrize("f", ALL_FUNCTIONS)
def test_bad_axis(f):
    z = np.zeros((2, 3))
    with pytest.raises(
        ValueError, match=r"axis=2 is out of range .* expected an integer in \[-2, 1\]"
    ):
        f(z, axis=2)
    with pytest.raises(ValueError, match=r"axis=-3 is out of range"):
        f(z, axis=-3)
    with pytest.raises(TypeError, match=r"axis must be an int, got float 1.0"):
        f(z, axis=1.0)
    with pytest.raises(TypeError, match=r"axis must be an int, got bool"):
        f(z, axis=True)


# ------------------------------------------- issue 11: regression tests ----
#
# Each input below broke a promise of the float64 kernel before issue 11 was
# fixed (NaN where the exact result is defined, or more ulps than promised);
# the bounds are the ones softmaxlab.promises states.

MAX64 = np.finfo(np.float64).max
ACCURATE = [
    (sl.softmax, sl.exact_softmax, "softmax"),
    (sl.log_softmax, sl.exact_log_softmax, "log_softmax"),
]


def _worst(computed, exact):
    return float(np.max(sl.ulp_error(computed, exact)))


def _lse_error(z, axis=-1):
    """logsumexp's error in ulps of its promised scale max(|zhat|, |LSE|, LSE - zhat)."""
    from decimal import Decimal

    got = np.atleast_1d(sl.logsumexp(z, axis=axis)).ravel()
    exact = np.atleast_1d(sl.exact_logsumexp(z, axis=axis)).ravel()
    zhat = np.atleast_1d(np.max(z, axis=axis)).ravel()
    worst = 0.0
    for g, e, m in zip(got.tolist(), exact, zhat.tolist(), strict=True):
        if not e.is_finite() or not np.isfinite(m):
            assert sl.ulp_error(np.array([g]), np.array([e]))[0] == 0
            continue
        scale = max(abs(float(m)), abs(float(e)), float(e) - float(m))
        worst = max(worst, float(abs(Decimal(g) - e) / Decimal(float(sl.ulp(scale)))))
    return worst


@pytest.mark.parametrize(
    "z",
    [
        [MAX64, 8e307],  # defect 1: the TwoSum of z - zhat overflowed
        [-MAX64, -np.inf],  # defect 2: -inf beside a huge negative max
        [MAX64, -MAX64, np.nextafter(MAX64, 0)],
    ],
)
def test_no_nan_at_the_edges_of_float64(z):
    z = np.array(z)
    for f, exact, name in ACCURATE:
        got = f(z)
        assert not np.isnan(got).any(), name
        assert _worst(got, exact(z)) <= sl.promise(name).bound
    assert not np.isnan(sl.logsumexp(z))
    assert _lse_error(z) <= sl.promise("logsumexp").bound


def test_no_nan_for_huge_rows_of_the_largest_float():
    # defect 1, batched: the max plus 31 entries uniform(-1, 1) * max, 64 rows.
    rng = np.random.default_rng(11)
    z = np.concatenate([np.full((64, 1), MAX64), rng.uniform(-1, 1, (64, 31)) * MAX64], axis=1)
    for f, exact, name in ACCURATE:
        got = f(z)
        assert not np.isnan(got).any(), name
        assert _worst(got, exact(z)) <= sl.promise(name).bound
    assert not np.isnan(sl.logsumexp(z)).any()
    np.testing.assert_array_equal(sl.logsumexp(z), MAX64)


@pytest.mark.parametrize(
    "z",
    [
        [0.0] + 1000 * [-715.9453],  # defect 3: subnormal terms, normal sum
        [0.0] + 10000 * [-715.9453],
        [0.0] + 11 * [-710.7712211777663],
        [0.0] + 3 * [-744.0],  # every term is below 2^-1070
    ],
)
def test_subnormal_terms_in_log_space(z):
    z = np.array(z)
    bound = sl.promise("log_softmax").bound
    assert _worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= bound
    assert _lse_error(z) <= sl.promise("logsumexp").bound
    # The winner's log-probability is -rest itself, a tiny normal number: it
    # is graded in ulps of itself, so the bound above is a relative one.
    assert sl.log_softmax(z)[0] < 0


@pytest.mark.parametrize(
    ("f", "exact", "name", "z"),
    [
        (sl.softmax, sl.exact_softmax, "softmax", [0.4371315956839307, -5.799364476377203]),
        (
            sl.log_softmax,
            sl.exact_log_softmax,
            "log_softmax",
            [3.8580317579492645e-08, -1.3245041822133805, -0.28991428797979824],
        ),
    ],
)
def test_inputs_that_exceeded_the_old_promises(f, exact, name, z):
    # defect 4: 3.07 ulp against a promise of "below 3", 2.0 against 1.52.
    # The promise is now derived (softmaxlab.promises); these inputs are within it.
    z = np.array(z)
    assert _worst(f(z), exact(z)) <= sl.promise(name).bound


def test_float32_is_faithful_not_correctly_rounded():
    # defect 4: rounded twice (float64, then float32), so 0.5 ulp is not promised.
    z = np.array([6.931485753750542e-15, -66.05794525146484, -3.0762012004852295], dtype=np.float32)
    err = _worst(sl.log_softmax(z), sl.exact_log_softmax(z))
    assert err <= sl.promise("log_softmax", np.float32).bound
    assert sl.promise("log_softmax", np.float32).faithful


# -------------------------------------- issue 11: blocking, bit for bit ----


@pytest.mark.parametrize("f", [sl.softmax, sl.log_softmax, sl.logsumexp])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block", [1, 3, 64, 1000])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [((1000,), -1), ((7, 200), -1), ((200, 7), 0), ((3, 50, 4), 1), ((5, 4, 300), -1)],
)
def test_blocking_changes_no_result(monkeypatch, f, dtype, block, shape, axis):
    # The kernel works on blocks of about numerics._BLOCK elements (whole rows,
    # or column chunks of a long row); the number of rows per block must
    # change no result, -inf entries and huge spreads included, for all three
    # functions and batched shapes. (The column chunks, numerics._COLS, fix the
    # order of summation along a row; they are part of the algorithm.)
    from softmaxlab import numerics

    z = np.random.default_rng(block).normal(scale=300.0, size=shape).astype(dtype)
    z.flat[::11] = -np.inf
    whole = f(z, axis=axis)
    monkeypatch.setattr(numerics, "_BLOCK", block)
    np.testing.assert_array_equal(f(z, axis=axis), whole)


def test_a_row_that_needs_twosum_in_a_fast2sum_block():
    # A block uses one Fast2Sum for the exact error of z - zhat when three rows
    # in four allow it, and redoes the others with TwoSum
    # (numerics._block_kind). Here 39 rows allow Fast2Sum(-zhat, z) (zhat > 0
    # and every z above -2^k, zhat = f 2^k) and row 17 does not (zhat = 0.6,
    # entries in (-3, -1)): Fast2Sum's error is wrong for most of its entries,
    # so the row must come out as it does alone, where it gets TwoSum.
    from softmaxlab import numerics

    rng = np.random.default_rng(11)
    z = rng.uniform(0.5, 0.9, size=(40, 300))
    z[17] = rng.uniform(-3.0, -1.0, size=300)
    z[17, 0] = 0.6
    m = z.max(axis=1, keepdims=True)
    kinds = numerics._fast_kinds(z, m)
    assert kinds[17] == 0 and np.all(np.delete(kinds, 17) == 2)
    kind, redo = numerics._block_kind(kinds)
    assert kind == 2 and redo.tolist() == [17]
    # Fast2Sum in the wrong order is inexact here: the check below can fail.
    d = z[17] - m[17]
    assert np.any(z[17] - (d + m[17]) != numerics._two_sum(-m[17], z[17])[1])
    for f in (sl.softmax, sl.log_softmax):
        np.testing.assert_array_equal(f(z)[17], f(z[17]))
    assert sl.logsumexp(z)[17] == sl.logsumexp(z[17])


def test_long_rows_are_chunked_bit_for_bit_the_same_row_by_row(monkeypatch):
    # Rows longer than a chunk are summed chunk by chunk; a batch of such rows
    # gives each row exactly what it gives alone.
    from softmaxlab import numerics

    monkeypatch.setattr(numerics, "_COLS", 64)
    z = np.random.default_rng(5).normal(scale=30.0, size=(3, 1000))
    for f in (sl.softmax, sl.log_softmax):
        np.testing.assert_array_equal(f(z), np.stack([f(row) for row in z]))
    np.testing.assert_array_equal(sl.logsumexp(z), [sl.logsumexp(row) for row in z])
    for f, exact, name in ACCURATE:
        assert _worst(f(z), exact(z)) <= sl.promise(name).bound


@pytest.mark.parametrize("rest", [0.55, 0.75, 0.95])
def test_winner_is_correctly_rounded_when_the_rest_is_below_u(rest):
    # Pins softmax's first-order correction for the low part of the sum: with
    # z = (0, d), e^d = rest * u (u = 2^-53), the sum rounds to exactly 1, so
    # t / S_hi = 1, and only the correction -S_lo / S_hi = -e^d brings the
    # winner to 1 - e^d, within half an ulp (+ 3.5 u^2 from the error of e^d,
    # below 1e-12 ulp). Without it the winner is 1, rest ulps off.
    d = np.log(rest * 2.0**-53)
    z = np.array([0.0, d])
    err = sl.ulp_error(sl.softmax(z), sl.exact_softmax(z))
    assert err[0] <= 0.5 + 1e-12
    assert err[1] <= sl.promise("softmax").bound


def test_a_tiny_rest_is_summed_without_the_pairwise_sums_error():
    # Pins the split sum's per-chunk sigma (2^bits times the chunk's largest
    # term, the winner set aside): the rest below is one term t_1 just above
    # 2^-60 and 126 terms of 0.99 * 2^-113, just under half an ulp of t_1.
    # NumPy's pairwise sum adds 15 of them to t_1 one at a time and loses each
    # (a relative error of 14 u, 7.4 ulp of the winner's log-probability,
    # -log1p(rest) ~ -rest); split on the rest's own scale the sum is exact.
    z = np.array([0.0, -41.58883083359672] + 126 * [-78.33568173912732])
    assert _worst(sl.log_softmax(z), sl.exact_log_softmax(z)) <= sl.promise("log_softmax").bound
    assert _lse_error(z) <= sl.promise("logsumexp").bound


def test_split_sum_has_no_pairwise_error():
    # Pins numerics._split_sum (the JVP's second mean, softmaxlab.promises):
    # 1 followed by terms just above half an ulp of 1, which NumPy's pairwise
    # sum adds to 1 one at a time, rounding up each time (about 15 u of the
    # sum). The promised error: u |sum| + 4e-6 u sum |p|.
    from decimal import Decimal

    from softmaxlab.numerics import _split_sum

    u = 2.0**-53
    p = np.full(128, u * (1 + 2.0**-10))
    p[0] = 1.0
    p[1::2] *= -0.75  # mixed signs
    exact = sum((Decimal(x) for x in p.tolist()), Decimal(0))
    plain_error = abs(Decimal(float(np.sum(p))) - exact)
    assert plain_error > 5 * Decimal(u)  # the input defeats the plain sum
    got = _split_sum(p[None, :], 1)
    bound = Decimal(u) * (abs(exact) + Decimal("4e-6") * Decimal(float(np.sum(np.abs(p)))))
    assert abs(Decimal(float(got[0, 0])) - exact) <= bound


# ------------------------------------- chunked_softmax at its stated bound ----


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "family", ["wide spread", "one dominant", "ties and near-ties", "-inf entries", "long vectors"]
)
@pytest.mark.parametrize("size", [1, 3, 16, 100])
def test_chunked_softmax_within_its_bound(dtype, family, size):
    # softmaxlab.promises.chunked_bound: leaf sums of b terms, then at most
    # `height` merges on a path (n - 1 for any order, ceil(log2 n) for a tree).
    from softmaxlab.promises import chunked_bound

    length = 2000 if family == "long vectors" else 40
    z = sl.hard_logits(family, dtype, rows=1 if length > 40 else 4, length=length, seed=7)
    exact = sl.exact_softmax(z)
    n = -(-length // size)
    tree = chunked_bound(length, size, dtype, height=int(np.ceil(np.log2(n))))
    got = sl.chunked_softmax(z, size, order="tree")
    assert np.max(sl.ulp_error(got, exact)) <= tree
    for order in ("left", "right", list(np.random.default_rng(size).permutation(n))):
        got = sl.chunked_softmax(z, size, order=order)
        assert np.max(sl.ulp_error(got, exact)) <= chunked_bound(length, size, dtype)


def test_chunked_bound_contains_online_bound_and_checks_its_input():
    from softmaxlab.promises import chunked_bound

    for length in (1, 2, 50):
        assert chunked_bound(length, 1, height=length - 1) <= sl.online_bound(length)
    with pytest.raises(ValueError, match="height=5 is impossible for 3 chunks"):
        chunked_bound(9, 3, height=5)
    with pytest.raises(ValueError, match="chunk_size=0"):
        chunked_bound(9, 0)
    with pytest.raises(TypeError, match="chunk_size must be an int"):
        chunked_bound(9, 1.5)
