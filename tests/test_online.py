"""Tests for softmaxlab.online: the online normaliser, merging, chunking, the fused sum."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from strategies import logit_vectors

import softmaxlab as sl

# Tolerances: the online and chunked forms differ from softmaxlab.softmax only in
# how the normaliser d is rounded (rescalings and a different summation order), a
# relative error of a few L * eps at most for the lengths tested here.
RTOL = 1e-13
EPS = np.finfo(np.float64).eps
# Two reduction orders of a few short chunks: each path has at most a handful of
# merges, each adding about 3 unit roundoffs (one rounded factor, one product, one
# sum; see the chapter's error proposition), so 32 eps is a safe margin.
ORDER_RTOL = 32 * EPS


def random_tree(draw, indices):
    """A random binary tree over the given leaves (any bracketing, any order)."""
    if len(indices) == 1:
        return indices[0]
    cut = draw(st.integers(1, len(indices) - 1))
    return (random_tree(draw, indices[:cut]), random_tree(draw, indices[cut:]))


@st.composite
def logits_with_minus_inf(draw, max_size=24):
    z = draw(logit_vectors(1, max_size, bound=300.0))
    mask = draw(hnp.arrays(np.bool_, z.shape))
    z = np.where(mask, -np.inf, z)
    if np.all(z == -np.inf):  # keep the slice defined
        z[draw(st.integers(0, z.size - 1))] = draw(st.floats(-300, 300))
    return z


@st.composite
def states(draw):
    """The state of a short random stream (possibly empty, possibly with -inf)."""
    n = draw(st.integers(0, 5))
    if n == 0:
        return sl.online_identity()
    z = draw(hnp.arrays(np.float64, n, elements=st.floats(-50, 50) | st.just(-np.inf)))
    return sl.online_state(z)


def close_states(s, t, rtol=1e-14):
    assert s.m == t.m
    np.testing.assert_allclose(s.d, t.d, rtol=rtol, atol=0)


# ---------------------------------------------------------------- the state ----


@given(logit_vectors(1, 40, bound=300.0))
def test_state_is_max_and_shifted_sum(z):
    s = sl.online_state(z)
    assert s.m == z.max()
    np.testing.assert_allclose(s.d, np.sum(np.exp(z - z.max())), rtol=RTOL)
    assert s.d >= 1.0


@given(logit_vectors(1, 40, bound=300.0))
def test_log_of_state_is_logsumexp(z):
    s = sl.online_state(z)
    np.testing.assert_allclose(s.m + np.log(s.d), sl.logsumexp(z), rtol=RTOL, atol=1e-12)


def test_update_matches_recurrence_by_hand():
    s = sl.online_identity()
    for x in [1.0, 3.0, 2.0]:
        s = sl.online_update(s, x)
    assert float(s.m) == 3.0
    np.testing.assert_allclose(s.d, np.exp(-2.0) + 1.0 + np.exp(-1.0), rtol=1e-15)


def test_update_with_minus_inf_changes_nothing():
    s = sl.online_state([0.5, 2.0])
    t = sl.online_update(s, -np.inf)
    assert t.m == s.m and t.d == s.d
    e = sl.online_update(sl.online_identity(), -np.inf)
    assert e.m == -np.inf and e.d == 0.0 and not np.isnan(e.d)


def test_batched_state_along_an_axis():
    z = np.random.default_rng(1).normal(size=(3, 5, 4))
    s = sl.online_state(z, axis=1)
    assert s.m.shape == (3, 4)
    np.testing.assert_array_equal(s.m, z.max(axis=1))
    np.testing.assert_allclose(s.d, np.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1), rtol=RTOL)


# ---------------------------------------------------------------- the merge ----


@given(states(), states())
def test_merge_is_commutative_bit_for_bit(s, t):
    a, b = sl.online_merge(s, t), sl.online_merge(t, s)
    assert a.m == b.m and a.d == b.d


@given(states(), states(), states())
def test_merge_is_associative_to_rounding(r, s, t):
    left = sl.online_merge(sl.online_merge(r, s), t)
    right = sl.online_merge(r, sl.online_merge(s, t))
    close_states(left, right, rtol=ORDER_RTOL)


@given(states())
def test_identity_is_exact_on_both_sides(s):
    e = sl.online_identity()
    for out in (sl.online_merge(e, s), sl.online_merge(s, e)):
        assert out.m == s.m and out.d == s.d
        assert not np.isnan(out.d)


def test_identity_with_identity_is_identity_not_nan():
    e = sl.online_merge(sl.online_identity(), sl.online_identity())
    assert e.m == -np.inf and e.d == 0.0


@given(logit_vectors(2, 30, bound=300.0), st.data())
def test_merge_of_split_is_state_of_whole(z, data):
    cut = data.draw(st.integers(1, z.size - 1))
    close_states(
        sl.online_merge(sl.online_state(z[:cut]), sl.online_state(z[cut:])),
        sl.online_state(z),
        rtol=RTOL,
    )


# ---------------------------------------------------------------- softmax ----


@given(logits_with_minus_inf())
def test_online_softmax_equals_softmax(z):
    np.testing.assert_allclose(sl.online_softmax(z), sl.softmax(z), rtol=RTOL, atol=0)


@given(logits_with_minus_inf(40), st.integers(1, 45), st.data())
def test_chunked_softmax_equals_softmax_for_every_order(z, size, data):
    n = -(-z.size // size)
    perm = data.draw(st.permutations(range(n)))
    tree = random_tree(data.draw, list(perm))
    for order in ("tree", "left", "right", list(perm), tree):
        np.testing.assert_allclose(
            sl.chunked_softmax(z, size, order=order), sl.softmax(z), rtol=RTOL, atol=0
        )


@given(logit_vectors(1, 12, bound=1e300))
def test_huge_logits_do_not_overflow(z):
    a = sl.online_softmax(z)
    assert np.all(np.isfinite(a))
    np.testing.assert_allclose(a, sl.softmax(z), rtol=RTOL, atol=0)


def test_every_reduction_order_of_four_chunks_agrees():
    z = np.random.default_rng(7).normal(scale=30.0, size=17)
    parts = sl.chunk_states(z, 5)
    ref = sl.online_state(z)

    def trees(leaves):
        if len(leaves) == 1:
            yield leaves[0]
        for cut in range(1, len(leaves)):
            for left in trees(leaves[:cut]):
                for right in trees(leaves[cut:]):
                    yield (left, right)

    count = 0
    for perm in itertools.permutations(range(4)):
        for tree in trees(list(perm)):
            close_states(sl.reduce_states(parts, tree), ref, rtol=ORDER_RTOL)
            count += 1
    assert count == 24 * 5


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_kept(dtype):
    z = np.array([0.0, 1.0, -2.0], dtype=dtype)
    assert sl.online_softmax(z).dtype == dtype
    assert sl.chunked_softmax(z, 2).dtype == dtype
    assert sl.online_softmax([1, 2]).dtype == np.float64


def test_work_dtype_float32_is_close_and_float64_is_default():
    z = np.random.default_rng(3).normal(size=50).astype(np.float32)
    a32 = sl.online_softmax(z, work_dtype=np.float32)
    np.testing.assert_allclose(a32, sl.softmax(z), rtol=1e-5)
    assert sl.online_state(z).m.dtype == np.float64
    assert sl.online_state(z, work_dtype="float32").m.dtype == np.float32


@pytest.mark.parametrize("row", [[-np.inf, -np.inf], [0.0, np.inf], [0.0, np.nan]])
def test_undefined_slices_give_nan_like_softmax(row):
    assert np.isnan(sl.online_softmax(row)).all()
    assert np.isnan(sl.chunked_softmax(row, 1)).all()
    assert np.isnan(sl.online_weighted_sum(row, [1.0, 2.0]))


def test_edge_cases_l1_l2_ties():
    np.testing.assert_array_equal(sl.online_softmax([4.0]), [1.0])
    np.testing.assert_array_equal(sl.online_softmax([7.0, 7.0]), [0.5, 0.5])
    np.testing.assert_array_equal(sl.chunked_softmax([7.0] * 4, 3), [0.25] * 4)
    np.testing.assert_array_equal(sl.online_softmax([0.0, -np.inf, 0.0]), [0.5, 0.0, 0.5])


def test_axis_and_batch():
    z = np.random.default_rng(2).normal(size=(4, 6))
    np.testing.assert_allclose(sl.online_softmax(z, axis=0), sl.softmax(z, axis=0), rtol=RTOL)
    np.testing.assert_allclose(sl.chunked_softmax(z, 4, axis=0), sl.softmax(z, axis=0), rtol=RTOL)


# ---------------------------------------------------------- weighted sum ----


@given(logits_with_minus_inf(30), st.integers(1, 4), st.data())
def test_weighted_sum_equals_direct(z, p, data):
    v = data.draw(hnp.arrays(np.float64, (z.size, p), elements=st.floats(-10, 10)))
    direct = sl.softmax(z) @ v
    np.testing.assert_allclose(sl.online_weighted_sum(z, v), direct, rtol=1e-12, atol=1e-12)


def test_weighted_sum_scalar_values_and_axis():
    rng = np.random.default_rng(5)
    z, v = rng.normal(size=(3, 7)), rng.normal(size=(3, 7))
    np.testing.assert_allclose(
        sl.online_weighted_sum(z, v), np.sum(sl.softmax(z) * v, axis=1), rtol=1e-13
    )
    np.testing.assert_allclose(
        sl.online_weighted_sum(z, v, axis=0), np.sum(sl.softmax(z, axis=0) * v, axis=0), rtol=1e-13
    )
    w = rng.normal(size=(3, 7, 2))
    out = sl.online_weighted_sum(z, w, axis=0)
    assert out.shape == (7, 2)
    np.testing.assert_allclose(out, np.einsum("ij,ijp->jp", sl.softmax(z, axis=0), w), rtol=1e-13)


def test_weighted_sum_of_ones_is_one():
    z = np.array([1000.0, -1000.0, 3.0])
    assert sl.online_weighted_sum(z, np.ones(3)) == 1.0


# ---------------------------------------------------------- bad input ----
# The rules of the validation vocabulary (logits, axis, dtypes, chunk_size,
# order indices, shapes) are tested in test_validation.py; here, what only an
# online state or a merge order has.


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=[0, 0]),
            ValueError,
            r"^order must use every index 0 to 1 exactly once; missing \[1\], repeated \[0\]$",
        ),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=[0, []]),
            ValueError,
            r"^order\[1\] is an empty group; every group must hold at least one index$",
        ),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=None),
            TypeError,
            r"^order must be 'tree', 'left', 'right' or nested lists or tuples of ints, got None",
        ),
        (lambda: sl.reduce_states([]), ValueError, r"^states is empty; pass at least one state"),
        (
            lambda: sl.reduce_states(sl.online_identity()),
            TypeError,
            r"^states must be a list of states, got OnlineState$",
        ),
        (
            lambda: sl.online_merge((0.0, 1.0), 5.0),
            TypeError,
            r"^t must be an OnlineState or a pair \(m, d\), got float",
        ),
        (
            lambda: sl.online_update([0.0, 1.0], 2.0),
            TypeError,
            r"^state must be an OnlineState or a pair \(m, d\), got list",
        ),
        (
            lambda: sl.online_merge((0.0, -1.0), (0.0, 1.0)),
            ValueError,
            r"^s\.d has a negative entry; a normaliser is a sum of exponentials, so d >= 0$",
        ),
        (
            lambda: sl.reduce_states([(0.0, 1.0), (-np.inf, 1.0)]),
            ValueError,
            r"^states\[1\] has m = -inf with d != 0; the only state with m = -inf is the identity",
        ),
        (
            lambda: sl.online_identity(shape="ab"),
            TypeError,
            r"^shape must be an int or a tuple of ints, got 'ab'$",
        ),
        (lambda: sl.online_identity(shape=(-1,)), ValueError, r"^shape \(-1,\) is not a valid"),
        (
            lambda: sl.online_weighted_sum([1.0, 2.0], [1.0, 2.0, 3.0]),
            ValueError,
            r"^v has shape \(3,\) but z has shape \(2,\); v must have z's shape",
        ),
        (
            lambda: sl.online_weighted_sum([1.0, 2.0], np.ones((3, 2))),
            ValueError,
            r"or z's shape plus one trailing axis \(2, 'p'\) \(one vector per logit\); nothing is",
        ),
    ],
)
def test_bad_input_messages(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_a_merge_order_may_be_a_single_index_and_numpy_ints():
    s = (np.float64(1.0), np.float64(2.0))
    assert sl.reduce_states([s], 0) == sl.reduce_states([s], "tree")
    t = sl.reduce_states([s, (0.0, 1.0)], [np.int64(1), (np.int8(0),)])
    assert float(t.m) == 1.0 and float(t.d) == 2.0 + np.exp(-1.0)


# ------------------------------------------ issue 11: the stated bounds ----


@pytest.mark.parametrize(
    ("family", "length"),
    [
        ("wide spread", 2),
        ("wide spread", 5),
        ("one dominant", 12),
        ("subnormal sums", 8),
        ("long vectors", 2000),
    ],
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_online_softmax_within_its_stated_bound(family, length, dtype):
    # The bound of softmaxlab.online_bound: the leaves' error plus one
    # rescaling per step. Short wide-spread rows pin the TwoSum in _exp_sub:
    # without it, e^(z - m) loses up to |z - m| u, hundreds of ulps.
    z = sl.hard_logits(family, dtype, rows=4, length=length, seed=6)
    err = np.max(sl.ulp_error(sl.online_softmax(z), sl.exact_softmax(z)))
    assert err <= sl.online_bound(length, dtype)


def test_online_softmax_short_rows_need_the_exact_shift():
    # Two logits with unrelated low bits, far apart: the rounding error of
    # z_2 - z_1 (up to 2^-44 here) is a relative error of e^(z_2 - z_1).
    z = np.array([0.7853981633974483, -700.123456789])
    assert np.max(sl.ulp_error(sl.online_softmax(z), sl.exact_softmax(z))) <= sl.online_bound(2)


@pytest.mark.parametrize(
    ("m1", "m2"), [(-0.0, 0.0), (0.0, -0.0), (-0.0, -0.0), (0.0, 0.0), (-0.0, -3.0)]
)
def test_merge_is_commutative_bit_for_bit_for_signed_zeros(m1, m2):
    s, t = (m1, 1.0), (m2, 2.0)
    a, b = sl.online_merge(s, t), sl.online_merge(t, s)
    assert np.signbit(a.m) == np.signbit(b.m) and a.m == b.m and a.d == b.d
