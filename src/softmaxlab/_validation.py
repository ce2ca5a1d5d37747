"""Input checks shared by every public function of :mod:`softmaxlab`.

Validation happens once, at the public boundary; the numerical kernels that
follow trust what they are given.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

#: The floating dtypes that every public function accepts and returns unchanged.
SUPPORTED_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def as_float_array(x: Any, name: str = "z") -> np.ndarray:
    """Convert ``x`` to a floating NumPy array or raise a clear error.

    float16, float32 and float64 are kept; booleans are refused; integers
    become float64. Strings, bytes, complex numbers, objects and other
    floating types (such as bfloat16 or long double) raise ``TypeError``;
    ragged nested lists and zero-dimensional input raise ``ValueError``.
    """
    if isinstance(x, (str, bytes)):
        raise TypeError(
            f"{name} must be an array of real numbers, got a {type(x).__name__} "
            f"({x!r:.40}); pass a list or NumPy array of floats instead"
        )
    try:
        arr = np.asarray(x)
    except ValueError as err:  # ragged nesting, for example
        raise ValueError(
            f"{name} could not be turned into a rectangular array ({err}); "
            "every row must have the same length"
        ) from None
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError(
            f"{name} has boolean dtype; softmax expects real-valued logits "
            "(convert with .astype(float) if that is really meant)"
        )
    if kind in "iu":
        arr = arr.astype(np.float64)
    elif kind == "c":
        raise TypeError(
            f"{name} has complex dtype {arr.dtype}; softmax is defined for real "
            "logits only: pass the real part explicitly if that is what you mean"
        )
    elif kind == "f":
        if arr.dtype not in SUPPORTED_FLOATS:
            raise TypeError(
                f"{name} has dtype {arr.dtype}; supported floating dtypes are "
                "float16, float32 and float64"
            )
    else:
        raise TypeError(
            f"{name} has dtype {arr.dtype} (kind {kind!r}); expected real numbers "
            "(float16, float32, float64 or integers)"
        )
    if arr.ndim == 0:
        raise ValueError(
            f"{name} is a scalar; expected an array with at least one dimension "
            "(for example a vector of length L)"
        )
    return arr


def normalize_axis(axis: Any, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` as a non-negative int, or raise a clear error."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__} {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{name}={axis} is out of range for an array with {ndim} dimension(s); "
            f"expected an integer in [{-ndim}, {ndim - 1}]"
        )
    return axis % ndim


def check_nonempty_axis(arr: np.ndarray, axis: int, name: str = "z") -> None:
    """Raise ``ValueError`` if ``arr`` has no entries along ``axis``."""
    if arr.shape[axis] == 0:
        raise ValueError(
            f"{name} has shape {arr.shape}: axis {axis} is empty; softmax needs at "
            "least one logit along the axis it normalises"
        )


def logits(z: Any, axis: Any = -1, name: str = "z") -> tuple[np.ndarray, int]:
    """Validate logits and an axis together; return the array and the axis."""
    arr = as_float_array(z, name)
    ax = normalize_axis(axis, arr.ndim)
    check_nonempty_axis(arr, ax, name)
    return arr, ax


def same_shape(z: np.ndarray, v: np.ndarray, zname: str = "z", vname: str = "v") -> None:
    """Refuse to broadcast: ``z`` and ``v`` must have identical shapes."""
    if z.shape != v.shape:
        raise ValueError(
            f"{vname} has shape {v.shape} but {zname} has shape {z.shape}; they must "
            "match exactly (softmaxlab never broadcasts silently)"
        )


# The rest of the vocabulary. One convention everywhere: TypeError when the
# argument has the wrong type, ValueError when it has the right type and a
# wrong value; the message names the argument, what it got and what is expected.


def float_dtype(dtype: Any, name: str = "dtype") -> np.dtype:
    """Resolve ``dtype`` to one of :data:`SUPPORTED_FLOATS`, or raise ``TypeError``."""
    try:
        resolved = np.dtype(dtype) if dtype is not None else None
    except TypeError:
        resolved = None
    if resolved is None or resolved not in SUPPORTED_FLOATS:
        raise TypeError(f"{name} must be float16, float32 or float64, got {dtype!r}")
    return resolved


def integer(value: Any, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int at least ``minimum``.

    ``TypeError`` for anything that is not an integer (booleans and floats
    such as ``2.0`` included); ``ValueError`` below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an int" if minimum is None else f"an int >= {minimum}"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return value


def index(value: Any, n: int, name: str = "j") -> int:
    """Return ``value`` as an index into a sequence of length ``n`` (negative counts from the end)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int index, got {type(value).__name__} {value!r}")
    value = int(value)
    if not -n <= value < n:
        raise ValueError(
            f"{name}={value} is out of range for length {n}; expected an integer in [{-n}, {n - 1}]"
        )
    return value % n


def finite_real(value: Any, name: str) -> float:
    """Return ``value`` as a finite float: ``TypeError`` if it is not a real number, ``ValueError`` if not finite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out!r}")
    return out
