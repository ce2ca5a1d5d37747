"""softmaxlab: the helper package of *The Derivatives of Softmax*.

Every chapter of the book imports it. Modules, each with one purpose:

- :mod:`softmaxlab.numerics`: softmax, log-softmax and log-sum-exp (accurate,
  plain-shifted and naive formulas);
- :mod:`softmaxlab.derivatives`: the Jacobian and its O(L) products;
- :mod:`softmaxlab.floats`: floating-point formats and where the exponential
  overflows or underflows in them;
- :mod:`softmaxlab.precision`: an exact reference and errors in ulps;
- :mod:`softmaxlab.promises`: the accuracy each function promises, derived once;
- :mod:`softmaxlab.interactive`: move one logit and watch every output (a
  slider for a running kernel, small multiples for the static book);
- :mod:`softmaxlab.figures`: figure helpers the chapters share (the
  probability triangle for L = 3);
- :mod:`softmaxlab.online`: softmax in one streaming pass: the online normaliser,
  merging chunk states, and the fused softmax-weighted sum;
- :mod:`softmaxlab.temperature`, :mod:`softmaxlab.attention` and
  :mod:`softmaxlab.inverse`: the derivatives a practitioner meets next
  (temperature as a parameter, masked softmax, attention's backward pass in
  O(L) memory per query, the inverse of softmax);
- :mod:`softmaxlab.sharded`: softmax with its axis split across devices (a
  device mesh, the sharded normaliser, vocabulary-parallel cross-entropy,
  split-K attention) and the collectives counted in a compiled program;
- :mod:`softmaxlab.accuracy`: tables of worst errors per family of hard
  inputs, and the error bound of a reduction tree;
- :mod:`softmaxlab.checking`: the one comparison helper and finite differences;
- :mod:`softmaxlab.examples`: the hard inputs every chapter checks on, and
  JAX's derivatives to check against;
- :mod:`softmaxlab.plotting` and :mod:`softmaxlab.settings`: the book's look
  and its deterministic printing.
"""

from importlib import metadata as _metadata

from ._glue import GLUED, glue

# accuracy
from .accuracy import AccuracyTable, accuracy_table, reduction_bound
from .checking import LABEL_WIDTH, check, decade_bound, finite_difference_jacobian, flat
from .derivatives import (
    MAX_JACOBIAN_BYTES,
    JacobianTooLargeError,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from .examples import JAX_REFERENCES, example_logits, jax_reference

# figures
from .figures import SIMPLEX_CORNERS, draw_simplex, simplex_xy

# figures (jacobian)
from .figures_jacobian import jacobian_heatmap
from .floats import FLOAT_FORMATS, ExpThresholds, exp_threshold_table, exp_thresholds, float_format
from .interactive import (
    coordinate_explorer,
    coordinate_small_multiples,
    plot_coordinate_view,
    softmax_along_coordinate,
)
from .numerics import log_softmax, logsumexp, softmax, softmax_naive, softmax_shifted
from .online import (
    OnlineState,
    chunk_states,
    chunked_softmax,
    online_identity,
    online_merge,
    online_softmax,
    online_state,
    online_update,
    online_weighted_sum,
    reduce_states,
)
from .plotting import BOOK_STYLE, PALETTE, new_figure, use_book_style
from .exact import exact_jacobian, exact_jvp, exact_log_softmax, exact_logsumexp, exact_softmax
from .hard import HARD_FAMILIES, hard_logits

# Accuracy promises (issue 11): one table, read by docstrings, tests, README, chapter 5.
from .promises import EXP_REL, LOG1P_REL, PROMISES, Promise, online_bound, promise, promise_table
from .settings import book_settings
from .ulps import ulp, ulp_error

# sharded: imported when first used (it imports JAX, which takes a second
# or more; `import softmaxlab` alone should cost little more than NumPy).
_LAZY = {
    name: "sharded"
    for name in (
        "COLLECTIVE_KINDS",
        "SHARDED_METHODS",
        "ShardedState",
        "backward_collectives",
        "count_collectives",
        "device_mesh",
        "normaliser_error_bound",
        "program_collectives",
        "sharded_logsumexp",
        "sharded_softmax",
        "sharded_states",
        "split_k_attention",
        "vocab_parallel_cross_entropy",
    )
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "GLUED",
    "glue",
    # figures
    "SIMPLEX_CORNERS",
    "draw_simplex",
    "simplex_xy",
    # accuracy
    "AccuracyTable",
    "accuracy_table",
    "reduction_bound",
    "JAX_REFERENCES",
    "example_logits",
    "jax_reference",
    "LABEL_WIDTH",
    "HARD_FAMILIES",
    "exact_jacobian",
    "exact_jvp",
    "OnlineState",
    "chunk_states",
    "chunked_softmax",
    "online_identity",
    "online_merge",
    "online_softmax",
    "online_state",
    "online_update",
    "online_weighted_sum",
    "reduce_states",
    "FLOAT_FORMATS",
    "ExpThresholds",
    "exact_log_softmax",
    "exact_logsumexp",
    "exact_softmax",
    "exp_threshold_table",
    "exp_thresholds",
    "hard_logits",
    "float_format",
    "BOOK_STYLE",
    "MAX_JACOBIAN_BYTES",
    "PALETTE",
    "JacobianTooLargeError",
    "book_settings",
    "check",
    "coordinate_explorer",
    "coordinate_small_multiples",
    "decade_bound",
    "finite_difference_jacobian",
    "flat",
    "log_softmax",
    "logsumexp",
    "new_figure",
    "plot_coordinate_view",
    "softmax",
    "softmax_along_coordinate",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_naive",
    "softmax_shifted",
    "softmax_vjp",
    "ulp",
    "ulp_error",
    "use_book_style",
    # accuracy promises (issue 11)
    "EXP_REL",
    "LOG1P_REL",
    "PROMISES",
    "Promise",
    "online_bound",
    "promise",
    "promise_table",
    # figures (jacobian)
    "jacobian_heatmap",
]

# The version is written once, in pyproject.toml; the installed metadata carries it.
try:
    __version__ = _metadata.version("softmaxlab")
except _metadata.PackageNotFoundError:  # imported from a source tree, not installed
    __version__ = "0+unknown"
# practice
from .attention import attention_backward, attention_forward, masked_softmax
from .inverse import softmax_inverse
from .temperature import (
    cross_entropy_temperature_derivative,
    free_energy,
    mean_logit,
    peak_temperature,
    softmax_beta_derivative,
    softmax_entropy,
    softmax_temperature_derivative,
)

__all__ += [  # practice
    "attention_backward",
    "attention_forward",
    "cross_entropy_temperature_derivative",
    "free_energy",
    "masked_softmax",
    "mean_logit",
    "peak_temperature",
    "softmax_beta_derivative",
    "softmax_entropy",
    "softmax_inverse",
    "softmax_temperature_derivative",
    # sharded
    "COLLECTIVE_KINDS",
    "SHARDED_METHODS",
    "ShardedState",
    "backward_collectives",
    "count_collectives",
    "device_mesh",
    "normaliser_error_bound",
    "program_collectives",
    "sharded_logsumexp",
    "sharded_softmax",
    "sharded_states",
    "split_k_attention",
    "vocab_parallel_cross_entropy",
]
