"""Compatibility: the names that :mod:`softmaxlab.precision` held until issue 12.

The module was split by purpose into :mod:`softmaxlab.exact` (the exact
decimal reference), :mod:`softmaxlab.ulps` (errors in units in the last
place) and :mod:`softmaxlab.hard` (the seeded hard inputs). Every name is
also ``softmaxlab.NAME``; import it from there. This module only re-exports
them, for code written before the split, and documents nothing itself.
"""

from __future__ import annotations

# `import X as X`: an explicit re-export. No __all__: the names are documented,
# and listed, in their own modules.
from .exact import exact_jacobian as exact_jacobian
from .exact import exact_jvp as exact_jvp
from .exact import exact_log_softmax as exact_log_softmax
from .exact import exact_logsumexp as exact_logsumexp
from .exact import exact_softmax as exact_softmax
from .hard import HARD_FAMILIES as HARD_FAMILIES
from .hard import hard_logits as hard_logits
from .ulps import ulp as ulp
from .ulps import ulp_error as ulp_error
