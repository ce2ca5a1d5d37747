"""softmaxlab: the helper package of *The Derivatives of Softmax*.

Every chapter of the book imports it. Modules, each with one purpose:

- :mod:`softmaxlab.numerics`: softmax, log-softmax and log-sum-exp (accurate,
  plain-shifted and naive formulas);
- :mod:`softmaxlab.derivatives`: the Jacobian and its O(L) products;
- :mod:`softmaxlab.floats`: floating-point formats and where the exponential
  overflows or underflows in them;
- :mod:`softmaxlab.exact`, :mod:`softmaxlab.ulps` and :mod:`softmaxlab.hard`:
  the exact reference, errors in ulps, and the seeded families of hard inputs;
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

from ._glue import GLUED, glue
from .accuracy import AccuracyTable, accuracy_table, reduction_bound
from .attention import attention_backward, attention_forward, masked_softmax
from .checking import LABEL_WIDTH, check, decade_bound, finite_difference_jacobian, flat
from .derivatives import (
    MAX_JACOBIAN_BYTES,
    JacobianTooLargeError,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from .exact import exact_jacobian, exact_jvp, exact_log_softmax, exact_logsumexp, exact_softmax
from .examples import JAX_REFERENCES, example_logits, jax_reference
from .figures import SIMPLEX_CORNERS, draw_simplex, simplex_xy
from .figures_jacobian import jacobian_heatmap
from .floats import FLOAT_FORMATS, ExpThresholds, exp_threshold_table, exp_thresholds, float_format
from .hard import HARD_FAMILIES, hard_logits
from .interactive import (
    coordinate_explorer,
    coordinate_small_multiples,
    plot_coordinate_view,
    softmax_along_coordinate,
)
from .inverse import softmax_inverse
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
from .promises import (
    EXP_REL,
    LOG1P_REL,
    PROMISES,
    Promise,
    chunked_bound,
    online_bound,
    promise,
    promise_table,
)
from .settings import book_settings
from .temperature import (
    cross_entropy_temperature_derivative,
    free_energy,
    mean_logit,
    peak_temperature,
    softmax_beta_derivative,
    softmax_entropy,
    softmax_temperature_derivative,
)
from .ulps import ulp, ulp_error

# softmaxlab.sharded is imported when one of its names is first used: it
# imports JAX, which takes a second or more, and `import softmaxlab` alone
# should cost little more than NumPy. Its names are listed once, here.
_SHARDED = (
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
_LAZY = dict.fromkeys(_SHARDED, "sharded")


def __getattr__(name: str) -> object:
    if name == "__version__":
        # The version is written once, in pyproject.toml; the installed
        # metadata carries it. Read on first use: importlib.metadata alone
        # costs about a tenth of a second at import.
        from importlib import metadata

        try:
            version = metadata.version("softmaxlab")
        except metadata.PackageNotFoundError:  # a source tree, not installed
            version = "0+unknown"
        globals()["__version__"] = version
        return version
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# The public names, in the groups and order of the API page (api.md).
__all__ = [
    # mathematics: softmax and its relatives, derivatives, one pass, formats
    "softmax",
    "log_softmax",
    "logsumexp",
    "softmax_naive",
    "softmax_shifted",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "JacobianTooLargeError",
    "MAX_JACOBIAN_BYTES",
    "OnlineState",
    "online_identity",
    "online_update",
    "online_merge",
    "online_state",
    "online_softmax",
    "chunk_states",
    "reduce_states",
    "chunked_softmax",
    "online_weighted_sum",
    "FLOAT_FORMATS",
    "ExpThresholds",
    "float_format",
    "exp_thresholds",
    "exp_threshold_table",
    # mathematics: temperature, masks, attention, the inverse
    "softmax_temperature_derivative",
    "softmax_beta_derivative",
    "cross_entropy_temperature_derivative",
    "mean_logit",
    "free_energy",
    "softmax_entropy",
    "peak_temperature",
    "masked_softmax",
    "attention_forward",
    "attention_backward",
    "softmax_inverse",
    # mathematics: across devices (loaded on first use, see _SHARDED)
    *_SHARDED,
    # checking
    "check",
    "decade_bound",
    "finite_difference_jacobian",
    "flat",
    "LABEL_WIDTH",
    "example_logits",
    "jax_reference",
    "JAX_REFERENCES",
    # exact reference
    "exact_softmax",
    "exact_log_softmax",
    "exact_logsumexp",
    "exact_jacobian",
    "exact_jvp",
    "ulp",
    "ulp_error",
    "hard_logits",
    "HARD_FAMILIES",
    "Promise",
    "PROMISES",
    "promise",
    "promise_table",
    "online_bound",
    "chunked_bound",
    "EXP_REL",
    "LOG1P_REL",
    "accuracy_table",
    "AccuracyTable",
    "reduction_bound",
    # book look
    "PALETTE",
    "BOOK_STYLE",
    "use_book_style",
    "new_figure",
    "book_settings",
    "softmax_along_coordinate",
    "plot_coordinate_view",
    "coordinate_small_multiples",
    "coordinate_explorer",
    "simplex_xy",
    "draw_simplex",
    "SIMPLEX_CORNERS",
    "jacobian_heatmap",
    "glue",
    "GLUED",
]
