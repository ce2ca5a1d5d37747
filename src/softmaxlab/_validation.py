"""Input checks shared by every public function of :mod:`softmaxlab`.

Validation happens once, at the public boundary; the numerical kernels that
follow trust what they are given. The vocabulary, one rule each:

- :func:`float_dtype`: a floating dtype among the supported ones;
- :func:`as_float_array` and :func:`logits`: an array of real numbers, and
  logits with the axis they are normalised along (:func:`normalize_axis`,
  :func:`check_nonempty_axis`);
- :func:`integer`: an integer, with an optional minimum;
- :func:`index`: an index into a sequence of known length;
- :func:`finite_real` and :func:`finite_array`: finite real numbers;
- :func:`same_shape`: two arrays of exactly the same shape (nothing is
  broadcast);
- :func:`choice`: one of a fixed set of names.

One convention everywhere: ``TypeError`` when the argument has the wrong type,
``ValueError`` when it has the right type and a wrong value; the message names
the argument, what it got and what is expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: The floating dtypes that every public function accepts and returns unchanged.
SUPPORTED_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _names(options: Iterable[object], quote: bool = False) -> str:
    """``'a', 'b' or 'c'`` (or without quotes): the expected values in a message."""
    items = [repr(o) if quote else str(o) for o in options]
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def float_dtype(
    dtype: object, name: str = "dtype", allowed: Iterable[np.dtype[Any]] = SUPPORTED_FLOATS
) -> np.dtype[Any]:
    """Resolve ``dtype`` to one of ``allowed`` (by default :data:`SUPPORTED_FLOATS`).

    Anything else raises ``TypeError``: ``None``, strings and types that name
    no dtype, and dtypes outside ``allowed`` (integers, complex, long double).
    """
    allowed = tuple(allowed)
    resolved: np.dtype[Any] | None
    try:
        resolved = np.dtype(dtype) if dtype is not None else None  # type: ignore[call-overload]
    except TypeError:
        resolved = None
    # Compare dtype with dtype only: `np.dtype(np.float64) == None` is True
    # (None means float64 to NumPy), so `None in allowed` would let it in.
    if resolved is None or not any(resolved == d for d in allowed):
        got = dtype.__name__ if isinstance(dtype, type) else repr(dtype)
        raise TypeError(f"{name} must be {_names(d.name for d in allowed)}, got {got}")
    return resolved


def as_float_array(
    x: ArrayLike, name: str = "z", *, allow_scalar: bool = False
) -> NDArray[np.floating]:
    """Convert ``x`` to a floating NumPy array or raise a clear error.

    float16, float32 and float64 are kept; booleans are refused; integers
    become float64. Strings, bytes, complex numbers, objects and other
    floating types (such as bfloat16 or long double) raise ``TypeError``;
    ragged nested lists raise ``ValueError``, and so does zero-dimensional
    input unless ``allow_scalar`` (for a quantity that is one number per
    slice, such as an online state).
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
    if arr.ndim == 0 and not allow_scalar:
        raise ValueError(
            f"{name} is a scalar; expected an array with at least one dimension "
            "(for example a vector of length L)"
        )
    return arr


def normalize_axis(axis: object, ndim: int, name: str = "axis") -> int:
    """Return ``axis`` as a non-negative int, or raise a clear error."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__} {axis!r}")
    ax = int(axis)
    if not -ndim <= ax < ndim:
        raise ValueError(
            f"{name}={ax} is out of range for an array with {ndim} dimension(s); "
            f"expected an integer in [{-ndim}, {ndim - 1}]"
        )
    return ax % ndim


def check_nonempty_axis(arr: NDArray[Any], axis: int, name: str = "z") -> None:
    """Raise ``ValueError`` if ``arr`` has no entries along ``axis``."""
    if arr.shape[axis] == 0:
        raise ValueError(
            f"{name} has shape {arr.shape}: axis {axis} is empty; softmax needs at "
            "least one logit along the axis it normalises"
        )


def logits(z: ArrayLike, axis: object = -1, name: str = "z") -> tuple[NDArray[np.floating], int]:
    """Validate logits and an axis together; return the array and the axis."""
    arr = as_float_array(z, name)
    ax = normalize_axis(axis, arr.ndim)
    check_nonempty_axis(arr, ax, name)
    return arr, ax


def same_shape(z: NDArray[Any], v: NDArray[Any], zname: str = "z", vname: str = "v") -> None:
    """Refuse to broadcast: ``z`` and ``v`` must have identical shapes."""
    if z.shape != v.shape:
        raise ValueError(
            f"{vname} has shape {v.shape} but {zname} has shape {z.shape}; they must "
            "match exactly (softmaxlab never broadcasts silently)"
        )


def integer(value: object, name: str, minimum: int | None = None) -> int:
    """Return ``value`` as an int at least ``minimum``.

    ``TypeError`` for anything that is not an integer (booleans and floats
    such as ``2.0`` included); ``ValueError`` below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        expected = "an int" if minimum is None else f"an int >= {minimum}"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {out}")
    return out


def index(value: object, n: int, name: str = "j", *, from_end: bool = True) -> int:
    """Return ``value`` as an index into a sequence of length ``n``.

    A negative index counts from the end, as in Python, unless ``from_end``
    is false (then only ``0`` to ``n - 1`` are accepted).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int index, got {type(value).__name__} {value!r}")
    out = int(value)
    low = -n if from_end else 0
    if not low <= out < n:
        raise ValueError(
            f"{name}={out} is out of range for length {n}; expected an integer in [{low}, {n - 1}]"
        )
    return out % n


def finite_real(value: object, name: str, *, positive: bool = False) -> float:
    """Return ``value`` as a finite float; with ``positive=True``, a finite float above 0.

    ``TypeError`` if it is not a real number; ``ValueError`` if it is not
    finite, or (``positive``) not finite and above 0, with one message for
    every refused value.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    out = float(value)
    if positive and not (np.isfinite(out) and out > 0):
        raise ValueError(f"{name} must be a finite positive number, got {out!r}")
    if not np.isfinite(out):
        raise ValueError(f"{name} must be finite, got {out!r}")
    return out


def finite_array(arr: NDArray[np.floating], name: str) -> None:
    """Raise ``ValueError`` if a validated float array holds a NaN or an infinity."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got an array with a NaN or an infinity")


def choice(value: object, name: str, options: Iterable[str]) -> str:
    """Return ``value`` if it is one of the names ``options``.

    ``TypeError`` if it is not a string, ``ValueError`` if it names none of them.
    """
    options = tuple(options)
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a str, got {type(value).__name__} {value!r:.40}; "
            f"expected {_names(options, quote=True)}"
        )
    if value not in options:
        raise ValueError(f"{name}={value!r} is unknown; expected {_names(options, quote=True)}")
    return value
