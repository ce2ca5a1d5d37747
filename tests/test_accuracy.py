"""Tests of softmaxlab.accuracy: the table of worst errors and the reduction bound."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

import softmaxlab as sl

U = 2.0**-53


def _planted(z):
    """softmax with a relative error of 2^-40 planted in every entry."""
    return sl.softmax(z) * (1 + 2.0**-40)


def test_table_matches_a_direct_measurement():
    methods = {"softmaxlab": sl.softmax, "shifted": sl.softmax_shifted}
    t = sl.accuracy_table(
        methods, np.float64, families=("wide spread", "one dominant"), rows=3, length=7, seed=5
    )
    assert t.families == ("wide spread", "one dominant") and t.methods == ("softmaxlab", "shifted")
    assert t.worst.shape == t.median.shape == (2, 2)
    for k, family in enumerate(t.families):
        z = sl.hard_logits(family, np.float64, rows=3, length=7, seed=5)
        exact = sl.exact_softmax(z)
        for j, f in enumerate(methods.values()):
            err = sl.ulp_error(f(z), exact)
            assert t.worst[k, j] == np.max(err)
            assert t.median[k, j] == np.median(err)
    assert t.worst_of("shifted") == np.max(t.worst[:, 1])


def test_table_sees_a_planted_error():
    # 2^-40 relative is at least 2^13 = 8192 ulps of float64 (lemma: k ulps <= 2k u relative).
    t = sl.accuracy_table({"planted": _planted}, families=("long vectors",), long_length=50)
    assert t.worst_of("planted") >= 2.0**-40 / (2 * U) * 0.99


def test_long_family_uses_long_length_and_reference_is_used():
    seen = []

    def spy(z):
        seen.append(z.shape)
        return sl.log_softmax(z)

    t = sl.accuracy_table(
        {"spy": spy},
        np.float32,
        reference=sl.exact_log_softmax,
        families=("long vectors", "ties and near-ties"),
        rows=2,
        length=5,
        long_length=40,
    )
    assert seen == [(1, 40), (2, 5)]
    assert t.dtype == "float32" and t.worst_of("spy") <= 4


def test_nan_and_inf_are_graded_as_inf():
    t = sl.accuracy_table(
        {"nan": lambda z: np.full(z.shape, np.nan)}, families=("wide spread",), rows=2, length=3
    )
    assert t.worst[0, 0] == np.inf
    assert "inf" in t.lines()[2]


def test_lines_fit_80_columns_with_seven_methods():
    methods = {
        name: sl.softmax
        for name in ("naive", "shifted", "exp(z-LSE)", "jax.nn", "scipy", "other", "softmaxlab")
    }
    t = sl.accuracy_table(methods, families=sl.HARD_FAMILIES, rows=2, length=4, long_length=20)
    for stat in ("worst", "median"):
        lines = t.lines(stat)
        assert lines[0] == f"{stat} error in ulps of float64"
        assert len(lines) == 2 + len(sl.HARD_FAMILIES)
        assert max(map(len, lines)) <= 80
    assert str(t).split("\n") == [*t.lines("worst"), "", *t.lines("median")]


@pytest.mark.parametrize(
    "x, text",
    [
        (0.0, "0"),
        (0.4971, "0.497"),
        (1.8, "1.8"),
        (58.64, "58.6"),
        (513.2, "513"),
        (9999.0, "9999"),
        (4.33e14, "4.3e14"),
        (2.5e-3, "0.0025"),
        (math.inf, "inf"),
        (math.nan, "nan"),
    ],
)
def test_short_number_format(x, text):
    from softmaxlab.accuracy import _short

    assert _short(x) == text
    assert len(_short(x)) <= 7


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"methods": {}}, TypeError, "non-empty mapping"),
        ({"methods": [sl.softmax]}, TypeError, "non-empty mapping"),
        ({"methods": {"x": 3}}, TypeError, "maps to int"),
        ({"dtype": np.int32}, TypeError, "float16, float32 or float64"),
        ({"families": ("no such family",)}, ValueError, "unknown"),
        ({"families": "wide spread"}, TypeError, "not one string"),
        ({"rows": 0}, ValueError, "rows must be an int >= 1, got 0"),
        ({"length": 2.5}, TypeError, "length must be an int >= 1, got float"),
        ({"methods": {"bad": lambda z: z[:, :1]}}, ValueError, "returned shape"),
    ],
)
def test_bad_input(kwargs, error, message):
    args = {
        "methods": {"softmaxlab": sl.softmax},
        "families": ("wide spread",),
        "rows": 2,
        "length": 3,
    }
    args.update(kwargs)
    with pytest.raises(error, match=message):
        sl.accuracy_table(**args)


def test_worst_of_and_lines_reject_unknown_names():
    t = sl.accuracy_table({"a": sl.softmax}, families=("wide spread",), rows=1, length=2)
    with pytest.raises(ValueError, match="not in the table"):
        t.worst_of("b")
    with pytest.raises(ValueError, match="'worst' or 'median'"):
        t.lines("mean")


@pytest.mark.parametrize("height", [0, 1, 7, 99, 9999])
@pytest.mark.parametrize("gamma_u, leaf_u", [(0, 0), (4, 0), (4, 23), (1, 1)])
def test_reduction_bound_is_the_exact_product(height, gamma_u, leaf_u):
    gamma, leaf = gamma_u * U, leaf_u * U
    exact = (1 + Fraction(leaf)) * (1 + Fraction(gamma)) ** height * (1 + Fraction(U)) ** (
        2 * height
    ) - 1
    got = sl.reduction_bound(height, gamma, leaf=leaf)
    assert got == pytest.approx(float(exact), rel=1e-12, abs=0)
    # The naive float64 power loses the (1 + u) factors entirely.
    if height:
        assert (1 + U) ** (2 * height) - 1 == 0.0


def test_reduction_bound_bad_input():
    with pytest.raises(TypeError, match="height must be an int"):
        sl.reduction_bound(2.0, U)
    with pytest.raises(ValueError, match="height must be an int >= 0, got -1"):
        sl.reduction_bound(-1, U)
    with pytest.raises(ValueError, match="gamma must be a relative error"):
        sl.reduction_bound(3, -U)
    with pytest.raises(ValueError, match="leaf must be finite, got nan"):
        sl.reduction_bound(3, U, leaf=math.nan)
