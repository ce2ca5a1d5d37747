"""The validation vocabulary of softmaxlab: one rule, one test, one message.

Each rule of ``softmaxlab._validation`` has one parametrized test below, run
through several public functions, so that every function that uses a rule is
seen to give the rule's exception type and message. (Checks that only one
module has, such as an online state's ``d >= 0``, are tested with that module.)
TypeError for a wrong type, ValueError for a wrong value, everywhere.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

import softmaxlab as sl
from softmaxlab import _validation as v

DTYPE_MSG = r"must be float16, float32 or float64, got "
FORMAT_MSG = r"dtype must be float16, bfloat16, float32 or float64, got "


def test_float_dtype_accepts_the_three_formats():
    assert [v.float_dtype(d) for d in ("float16", np.float32, np.dtype("float64"))] == list(
        v.SUPPORTED_FLOATS
    )
    assert sl.float_format(np.dtype("float32")) == np.float32


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: v.float_dtype(None), r"dtype " + DTYPE_MSG + "None$"),
        (lambda: v.float_dtype("int32"), DTYPE_MSG + "'int32'$"),
        (lambda: v.float_dtype(np.int64), DTYPE_MSG + "int64$"),
        (lambda: v.float_dtype(np.longdouble), DTYPE_MSG + "longdouble$"),
        (lambda: sl.ulp(1.0, np.int64), r"dtype " + DTYPE_MSG + "int64$"),
        (lambda: sl.ulp(1.0, "nonsense"), DTYPE_MSG + "'nonsense'$"),
        (lambda: sl.hard_logits("wide spread", np.int32), r"dtype " + DTYPE_MSG + "int32$"),
        (lambda: sl.online_softmax([1.0, 2.0], work_dtype=int), r"work_dtype " + DTYPE_MSG),
        (lambda: sl.chunk_states([1.0], 1, work_dtype=np.complex64), r"work_dtype " + DTYPE_MSG),
        # An unknown name was once taken as float64 (np.dtype(...) == None is
        # True): it must be refused like any other non-float.
        (lambda: sl.online_softmax([1.0], work_dtype="nonsense"), DTYPE_MSG + "'nonsense'$"),
        (lambda: sl.online_state([1.0], work_dtype="float8"), DTYPE_MSG + "'float8'$"),
        (lambda: sl.chunked_softmax([1.0], 1, work_dtype=""), DTYPE_MSG + "''$"),
        (lambda: sl.online_identity(dtype=np.int32), r"dtype " + DTYPE_MSG + "int32$"),
        (lambda: sl.online_identity(dtype=None), r"dtype " + DTYPE_MSG + "None$"),
        # floats allows bfloat16 besides; the same rule and message.
        (lambda: sl.float_format(np.int32), FORMAT_MSG + "int32$"),
        (lambda: sl.float_format(np.complex128), FORMAT_MSG + "complex128$"),
        (lambda: sl.float_format(np.longdouble), FORMAT_MSG + "longdouble$"),
        (lambda: sl.float_format(bool), FORMAT_MSG + "bool$"),
        (lambda: sl.float_format(object), FORMAT_MSG + "object$"),
        (lambda: sl.float_format({}), FORMAT_MSG + r"\{\}$"),
        (lambda: sl.float_format(None), FORMAT_MSG + "None$"),  # once float64
        (lambda: sl.exp_thresholds(np.dtype(np.longdouble)), FORMAT_MSG + "dtype..float128..$"),
        (lambda: sl.exp_threshold_table(["float16", np.int8]), FORMAT_MSG + "int8$"),
    ],
)
def test_float_dtype(call, message):
    with pytest.raises(TypeError, match=message):
        call()


def test_work_dtype_strings_that_name_a_float_still_work():
    # The regression fix above must not refuse the names that NumPy knows.
    z = np.array([0.5, -1.0, 2.0])
    for name in ("float32", "f4", "float64", "double"):
        np.testing.assert_allclose(sl.online_softmax(z, work_dtype=name), sl.softmax(z), rtol=1e-6)
    assert sl.online_identity(dtype="float16").m.dtype == np.float16


RAGGED = [[1.0, 2.0], [3.0]]


@pytest.mark.parametrize(
    "f",
    [
        sl.exact_softmax,
        sl.exact_log_softmax,
        sl.exact_logsumexp,
        sl.exact_jacobian,
        sl.online_softmax,
        sl.online_state,
        lambda z: sl.chunk_states(z, 1),
        lambda z: sl.chunked_softmax(z, 1),
        lambda z: sl.online_weighted_sum(z, [1.0, 2.0]),
        lambda z: sl.ulp_error(z, [Decimal(0), Decimal(0)]),
    ],
)
@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ("1, 2", TypeError, r"must be an array of real numbers, got a str \('1, 2'\)"),
        (b"12", TypeError, r"must be an array of real numbers, got a bytes"),
        ([True, False], TypeError, r"has boolean dtype; softmax expects real-valued logits"),
        (
            [1.0 + 2.0j, 0.0],
            TypeError,
            r"has complex dtype complex128; softmax is defined for real",
        ),
        (np.zeros(2, np.longdouble), TypeError, r"has dtype float128; supported floating dtypes"),
        ([None, 1.0], TypeError, r"has dtype object \(kind 'O'\); expected real numbers"),
        (RAGGED, ValueError, r"could not be turned into a rectangular array"),
    ],
)
def test_array_of_real_numbers(f, bad, error, message):
    with pytest.raises(error, match=message):
        f(bad)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        # the array rule also names the argument that is not an array of reals
        (lambda: sl.ulp_error("0.5", [Decimal(0)]), TypeError, r"^computed must be an array"),
        (lambda: sl.exact_jvp([0.0, 1.0], "ab"), TypeError, r"^w must be an array of real"),
        (lambda: sl.online_weighted_sum([1.0, 2.0], [1j, 2.0]), TypeError, r"^v has complex"),
        (lambda: sl.online_merge(("a", 1.0), (0.0, 1.0)), TypeError, r"^s\.m must be an array"),
        (lambda: sl.online_merge((0.0, 1.0), (0.0, [True])), TypeError, r"^t\.d has boolean"),
        (lambda: sl.online_update((0.0, 1.0), "x"), TypeError, r"^x must be an array of real"),
        (lambda: sl.reduce_states([(0.0, 1j)]), TypeError, r"^states\[0\]\.d has complex"),
    ],
)
def test_array_of_real_numbers_names_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    "f",
    [
        sl.exact_softmax,
        sl.exact_log_softmax,
        sl.exact_logsumexp,
        sl.online_softmax,
        sl.online_state,
        lambda z, axis=-1: sl.chunk_states(z, 2, axis),
        lambda z, axis=-1: sl.chunked_softmax(z, 2, axis),
        lambda z, axis=-1: sl.online_weighted_sum(z, np.ones(np.shape(z)), axis),
    ],
)
@pytest.mark.parametrize(
    ("z", "axis", "error", "message"),
    [
        (np.zeros((2, 3)), 2, ValueError, r"axis=2 is out of range for an array with 2 dim"),
        (np.zeros((2, 3)), -3, ValueError, r"expected an integer in \[-2, 1\]"),
        (np.zeros((2, 3)), 1.0, TypeError, r"axis must be an int, got float 1\.0"),
        (np.zeros((2, 3)), True, TypeError, r"axis must be an int, got bool True"),
        (np.zeros((2, 3)), None, TypeError, r"axis must be an int, got NoneType None"),
        (np.zeros(0), -1, ValueError, r"axis 0 is empty; softmax needs at least one logit"),
        (np.zeros((2, 0)), -1, ValueError, r"shape \(2, 0\): axis 1 is empty"),
        (3.0, -1, ValueError, r"z is a scalar; expected an array with at least one dimension"),
    ],
)
def test_logits_with_axis(f, z, axis, error, message):
    with pytest.raises(error, match=message):
        f(z, axis=axis)


def test_logits_with_axis_returns_the_array_and_the_axis():
    arr, ax = v.logits([[1, 2], [3, 4]], axis=-1)
    assert arr.dtype == np.float64 and ax == 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: v.integer(1.5, "rows", minimum=1),
            TypeError,
            r"rows must be an int >= 1, got float",
        ),
        (lambda: v.integer(True, "rows"), TypeError, r"^rows must be an int, got bool True$"),
        (lambda: v.integer(0, "rows", minimum=1), ValueError, r"^rows must be an int >= 1, got 0$"),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 0),
            ValueError,
            r"^chunk_size must be an int >= 1, got 0$",
        ),
        (
            lambda: sl.chunked_softmax([1.0], 1.5),
            TypeError,
            r"^chunk_size must be an int >= 1, got float 1\.5$",
        ),
        (
            lambda: sl.chunked_softmax([1.0], True),
            TypeError,
            r"^chunk_size must be an int >= 1, got bool True$",
        ),
        (
            lambda: sl.chunk_states([1.0, 2.0], -1),
            ValueError,
            r"^chunk_size must be an int >= 1, got -1$",
        ),
        (
            lambda: sl.chunk_states([1.0], "2"),
            TypeError,
            r"^chunk_size must be an int >= 1, got str '2'$",
        ),
        (
            lambda: sl.hard_logits("wide spread", rows=0),
            ValueError,
            r"^rows must be an int >= 1, got 0$",
        ),
        (
            lambda: sl.hard_logits("wide spread", length=3.0),
            TypeError,
            r"^length must be an int >= 1, got float 3\.0$",
        ),
        (
            lambda: sl.hard_logits("wide spread", seed=-1),
            ValueError,
            r"^seed must be an int >= 0, got -1$",
        ),
        (
            lambda: sl.hard_logits("wide spread", seed=None),
            TypeError,
            r"^seed must be an int >= 0, got NoneType",
        ),
    ],
)
def test_integer_with_a_minimum(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_integer_accepts_numpy_integers():
    assert v.integer(np.int32(3), "rows", minimum=1) == 3
    assert sl.hard_logits("long vectors", rows=np.int64(2), length=np.uint8(3)).shape == (2, 3)
    assert len(sl.chunk_states([1.0, 2.0, 3.0], np.int16(2))) == 2


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: v.index(4, 4),
            ValueError,
            r"^j=4 is out of range for length 4; expected an integer in \[-4, 3\]$",
        ),
        (lambda: v.index(1.0, 4), TypeError, r"^j must be an int index, got float 1\.0$"),
        (lambda: v.index(-1, 4, from_end=False), ValueError, r"expected an integer in \[0, 3\]$"),
        # a merge order names each chunk state by its index, from 0 only
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=[0, 1, 2]),
            ValueError,
            r"^order\[2\]=2 is out of range for length 2; expected an integer in \[0, 1\]$",
        ),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=[-1, 0]),
            ValueError,
            r"^order\[0\]=-1 is out of range for length 2",
        ),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order=[0, 1.0]),
            TypeError,
            r"^order\[1\] must be an int index, got float 1\.0$",
        ),
        (
            lambda: sl.reduce_states([(0.0, 1.0)] * 3, [0, (1, True)]),
            TypeError,
            r"^order\[1\]\[1\] must be an int index, got bool True$",
        ),
        (
            lambda: sl.reduce_states([(0.0, 1.0)] * 3, [(0, 1), (5,)]),
            ValueError,
            r"^order\[1\]\[0\]=5 is out of range for length 3",
        ),
    ],
)
def test_index(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_index_counts_from_the_end():
    assert v.index(-1, 4) == 3
    assert v.index(np.int8(2), 4, from_end=False) == 2


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: v.finite_real("a", "T"), TypeError, r"^T must be a real number, got str 'a'$"),
        (lambda: v.finite_real(True, "T"), TypeError, r"^T must be a real number, got bool True$"),
        (lambda: v.finite_real(float("inf"), "T"), ValueError, r"^T must be finite, got inf$"),
        (lambda: v.finite_real(float("nan"), "T"), ValueError, r"^T must be finite, got nan$"),
        (lambda: v.finite_array(np.array([0.0, -np.inf]), "w"), ValueError, r"^w must be finite"),
        (
            lambda: sl.exact_jvp([0.0, 1.0], [1.0, np.nan]),
            ValueError,
            r"^w must be finite, got an array with a NaN",
        ),
        (lambda: sl.exact_jvp([0.0, 1.0], [np.inf, 0.0]), ValueError, r"^w must be finite"),
    ],
)
def test_finite_real(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: v.finite_real(0.0, "T", positive=True),
            ValueError,
            r"^T must be a finite positive number, got 0\.0$",
        ),
        (
            lambda: v.finite_real(-2, "T", positive=True),
            ValueError,
            r"^T must be a finite positive number, got -2\.0$",
        ),
        (
            lambda: v.finite_real(np.inf, "T", positive=True),
            ValueError,
            r"^T must be a finite positive number, got inf$",
        ),
        (
            lambda: v.finite_real("1", "T", positive=True),
            TypeError,
            r"^T must be a real number, got str '1'$",
        ),
        # The rule as the public functions apply it, one message each.
        (
            lambda: sl.mean_logit([1.0, 0.0], 0.0),
            ValueError,
            r"^T must be a finite positive number, got 0\.0$",
        ),
        (
            lambda: sl.free_energy([1.0], np.nan),
            ValueError,
            r"^T must be a finite positive number, got nan$",
        ),
        (
            lambda: sl.attention_forward(np.ones(2), np.ones((3, 2)), np.ones((3, 1)), scale=-1.0),
            ValueError,
            r"^scale must be a finite positive number, got -1\.0$",
        ),
        (
            lambda: sl.attention_forward(np.ones(2), np.ones((3, 2)), np.ones((3, 1)), scale="big"),
            TypeError,
            r"^scale must be a real number, got str 'big'$",
        ),
        (
            lambda: sl.finite_difference_jacobian(sl.softmax, [0.0, 1.0], step=0.0),
            ValueError,
            r"^step must be a finite positive number, got 0\.0$",
        ),
        (
            lambda: sl.finite_difference_jacobian(sl.softmax, [0.0, 1.0], step="h"),
            TypeError,
            r"^step must be a real number, got str 'h'$",
        ),
        (
            lambda: sl.coordinate_small_multiples([0.0, 1.0], 0, [0.5], panel_width=0.0),
            ValueError,
            r"^panel_width must be a finite positive number, got 0\.0$",
        ),
    ],
)
def test_finite_positive_real(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_finite_real_returns_a_float():
    assert v.finite_real(np.float32(0.5), "T") == 0.5
    assert type(v.finite_real(2, "T")) is float


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: v.same_shape(np.zeros(3), np.zeros(1)),
            r"^v has shape \(1,\) but z has shape \(3,\); they must match exactly",
        ),
        (
            lambda: sl.ulp_error(np.zeros(3), [Decimal(0), Decimal(0)]),
            r"^exact has shape \(2,\) but computed has shape \(3,\)",
        ),
        (
            lambda: sl.ulp_error(np.zeros((2, 1)), np.zeros(2)),
            r"^exact has shape \(2,\) but computed has shape \(2, 1\)",
        ),
        (lambda: sl.exact_jvp([0.0, 1.0], [1.0]), r"^w has shape \(1,\) but z has shape \(2,\)"),
        (
            lambda: sl.online_merge((np.zeros(2), np.ones(3)), (0.0, 1.0)),
            r"^s\.d has shape \(3,\) but s\.m has shape \(2,\)",
        ),
        (
            lambda: sl.online_merge((0.0, 1.0), (np.zeros(2), np.ones(2))),
            r"^t has shape \(2,\) but s has shape \(\)",
        ),
        (
            lambda: sl.reduce_states([(0.0, 1.0), (np.zeros(2), np.ones(2))]),
            r"^states\[1\] has shape \(2,\) but states\[0\] has shape \(\)",
        ),
        (
            lambda: sl.online_update((0.0, 1.0), [1.0, 2.0]),
            r"^x has shape \(2,\) but the state has shape \(\)",
        ),
        (
            lambda: sl.online_update((np.zeros(2), np.ones(2)), 1.0),
            r"^x has shape \(\) but the state has shape \(2,\)",
        ),
    ],
)
def test_same_shape(call, message):
    with pytest.raises(ValueError, match=message + r".*softmaxlab never broadcasts silently"):
        call()


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: sl.hard_logits("easy"),
            ValueError,
            r"^family='easy' is unknown; expected 'wide spread', 'near overflow', ",
        ),
        (
            lambda: sl.hard_logits(3),
            TypeError,
            r"^family must be a str, got int 3; expected 'wide spread'",
        ),
        (
            lambda: sl.chunked_softmax([1.0, 2.0], 1, order="random"),
            ValueError,
            r"^order='random' is unknown; expected 'tree', 'left' or 'right'$",
        ),
        (lambda: sl.reduce_states([(0.0, 1.0)], "Left"), ValueError, r"^order='Left' is unknown"),
        (
            lambda: sl.float_format("float8"),
            ValueError,
            r"^dtype='float8' is unknown; expected 'float16', 'bfloat16', 'float32' or 'float64'$",
        ),
        (lambda: sl.exp_thresholds("half"), ValueError, r"^dtype='half' is unknown"),
        (
            lambda: sl.exp_threshold_table(["float32", "quad"]),
            ValueError,
            r"^dtype='quad' is unknown",
        ),
    ],
)
def test_choice(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_choice_returns_the_name():
    assert v.choice("left", "order", ("tree", "left")) == "left"
    assert sl.float_format(" BFloat16 ").name == "bfloat16"  # names are trimmed, any case
