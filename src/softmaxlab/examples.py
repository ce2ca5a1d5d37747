r"""The inputs every chapter checks on, and the JAX references it checks against.

A claim about softmax is worth checking only on inputs that could falsify it.
:func:`example_logits` returns one seeded set of such inputs, shared by the
chapters so that each of them faces the same hard cases: generic non-integer
logits (whose rounding differs from entry to entry), the smallest lengths
L = 1 and 2, ties, one dominant entry, large logits that overflow the
textbook formula, logits so negative that every :math:`e^{z_k}` underflows
(the textbook formula gives 0/0), a spread wide enough to make some outputs
subnormal, and ``-inf`` entries (masked classes).

:func:`jax_reference` gives JAX's own derivatives of :func:`jax.nn.softmax`
and :func:`jax.nn.logsumexp`, compiled once per process and shape.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["JAX_REFERENCES", "example_logits", "jax_reference"]

#: The derivatives :func:`jax_reference` knows, with what each one computes.
JAX_REFERENCES = {
    "softmax": "jax.nn.softmax(z)",
    "jacfwd": "jax.jacfwd(jax.nn.softmax)(z): J[j, i] = d a_j / d z_i",
    "jacrev": "jax.jacrev(jax.nn.softmax)(z): the same matrix by reverse mode",
    "log_softmax_jacrev": "jax.jacrev(jax.nn.log_softmax)(z)",
    "logsumexp_grad": "jax.grad(jax.nn.logsumexp)(z)",
    "logsumexp_hessian": "jax.hessian(jax.nn.logsumexp)(z)",
}


def example_logits(seed: int = 20261201) -> dict[str, NDArray[np.float64]]:
    r"""Named float64 logit vectors that could falsify a claim about softmax.

    Parameters
    ----------
    seed : int
        Seed of the generator for the random cases (the fixed cases do not
        depend on it).

    Returns
    -------
    dict of str to numpy.ndarray
        Fresh arrays (change them freely), in this order: ``"random, L = 3"``,
        ``"random, L = 10"``, ``"random, L = 50"`` (normal, scale 2 to 3),
        ``"L = 1"``, ``"L = 2"``, ``"ties"`` (three equal non-integer maxima),
        ``"dominant"`` (one output within 1e-13 of 1), ``"large logits"``
        (around 1000: :math:`e^{z}` overflows), ``"all underflow"`` (every
        :math:`e^{z_k}` underflows to 0 in float64), ``"wide spread"`` (some
        outputs below the smallest normal number) and ``"-inf entries"``.

    Raises
    ------
    TypeError
        If ``seed`` is not an integer.

    Examples
    --------
    >>> from softmaxlab import example_logits
    >>> cases = example_logits()
    >>> [len(z) for z in cases.values()]
    [3, 10, 50, 1, 2, 5, 4, 4, 3, 3, 4]
    >>> bool((np.exp(cases["all underflow"]) == 0).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {type(seed).__name__}")
    rng = np.random.default_rng(int(seed))
    return {
        "random, L = 3": rng.normal(scale=2.0, size=3),
        "random, L = 10": rng.normal(scale=2.0, size=10),
        "random, L = 50": rng.normal(scale=3.0, size=50),
        "L = 1": np.array([0.7316]),
        "L = 2": np.array([0.3172, -1.2049]),
        "ties": np.array([1.37, -0.41, 1.37, 1.37, 0.23]),
        "dominant": np.array([31.7, -0.2, 1.3, -2.9]),
        "large logits": np.array([1000.3, 999.71, 990.05, 1000.17]),
        "all underflow": np.array([-1000.2, -1001.65, -1005.4]),
        "wide spread": np.array([0.0, -30.7, -745.1]),
        "-inf entries": np.array([-np.inf, 1.13, -np.inf, 0.52]),
    }


@functools.cache
def _compiled(name: str) -> Callable[..., object]:
    import jax

    make = {
        "softmax": lambda: jax.nn.softmax,
        "jacfwd": lambda: jax.jacfwd(jax.nn.softmax),
        "jacrev": lambda: jax.jacrev(jax.nn.softmax),
        "log_softmax_jacrev": lambda: jax.jacrev(jax.nn.log_softmax),
        "logsumexp_grad": lambda: jax.grad(jax.nn.logsumexp),
        "logsumexp_hessian": lambda: jax.hessian(jax.nn.logsumexp),
    }[name]
    return jax.jit(make())


def jax_reference(name: str) -> Callable[..., object]:
    r"""JAX's own value or derivative of softmax or log-sum-exp, jitted once.

    Parameters
    ----------
    name : str
        One of the keys of :data:`JAX_REFERENCES`: ``"softmax"``, ``"jacfwd"``,
        ``"jacrev"``, ``"log_softmax_jacrev"``, ``"logsumexp_grad"``,
        ``"logsumexp_hessian"``.

    Returns
    -------
    callable
        A jitted function of one JAX or NumPy array ``z`` of shape (L,);
        compiled once per shape and dtype, and shared by every caller in the
        process.

    Raises
    ------
    TypeError
        If ``name`` is not a string.
    ValueError
        If ``name`` is not one of the known references.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlab import jax_reference, softmax_jacobian
    >>> z = np.array([0.5, -1.0, 2.0])
    >>> J = np.asarray(jax_reference("jacrev")(z))
    >>> bool(np.allclose(J, softmax_jacobian(z), rtol=1e-12, atol=0))
    True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {type(name).__name__}")
    if name not in JAX_REFERENCES:
        raise ValueError(
            f"unknown JAX reference {name!r}; expected one of {', '.join(JAX_REFERENCES)}"
        )
    return _compiled(name)
