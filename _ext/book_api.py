"""The API page: every public name documented, and short names resolved.

``api.md`` documents each module with ``automodule`` (``:members:`` follows the
module's ``__all__``). Two things autodoc does not do: it cannot tell that a
name exported by the package is documented nowhere (checked here, a warning and
so an error under -W), and it does not know that ``softmaxlab.softmax`` is
``softmaxlab.numerics.softmax`` (resolved here, so docstrings and chapters may
use the short public names).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)
API_DOCNAME = "api"
PACKAGE = "softmaxlab"


def _home(name: str) -> str | None:
    """The module that documents public name ``name``: the one whose __all__ lists it."""
    package = importlib.import_module(PACKAGE)
    obj = getattr(package, name, None)
    module = getattr(obj, "__module__", None)
    if (
        module
        and module.startswith(f"{PACKAGE}.")
        and name in getattr(importlib.import_module(module), "__all__", ())
    ):
        return module
    for module_name in sorted(m for m in sys.modules if m.startswith(f"{PACKAGE}.")):
        if name in getattr(importlib.import_module(module_name), "__all__", ()):
            return module_name
    return None


def check_every_name_documented(app: Sphinx, doctree: nodes.document) -> None:
    if app.env.docname != API_DOCNAME:
        return
    documented = {
        ident.rsplit(".", 1)[-1]
        for sig in doctree.findall(addnodes.desc_signature)
        for ident in sig["ids"]
        if ident.count(".") == 2  # softmaxlab.module.name: a module-level object
    }
    summarised = {
        ref["reftarget"].rsplit(".", 1)[-1]
        for table in doctree.findall(lambda n: type(n).__name__ == "autosummary_table")
        for ref in table.findall(addnodes.pending_xref)
    }
    for name in importlib.import_module(PACKAGE).__all__:
        if name not in documented:
            LOGGER.warning(
                f"{PACKAGE}.{name} is exported but not documented on the API page: add an "
                f"`automodule` of its module ({_home(name) or 'no module lists it in __all__'}) to "
                f"{API_DOCNAME}.md",
                location=API_DOCNAME,
            )
        elif name not in summarised:
            LOGGER.warning(
                f"{PACKAGE}.{name} is missing from the summary tables of {API_DOCNAME}.md",
                location=API_DOCNAME,
            )


def resolve_package_alias(app: Sphinx, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve ``softmaxlab.softmax`` (the name readers use) to its module's entry."""
    target = node.get("reftarget", "")
    prefix = f"{PACKAGE}."
    if (
        node.get("refdomain") != "py"
        or not target.startswith(prefix)
        or "." in target[len(prefix) :]
    ):
        return None
    name = target[len(prefix) :]
    if name not in getattr(importlib.import_module(PACKAGE), "__all__", ()):
        return None
    module = _home(name)
    if module is None:
        return None
    node["reftarget"] = f"{module}.{name}"
    return env.get_domain("py").resolve_xref(
        env, node["refdoc"], app.builder, node["reftype"], node["reftarget"], node, contnode
    )


def setup(app: Sphinx) -> dict[str, Any]:
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.autosummary")
    app.connect("doctree-read", check_every_name_documented)
    app.connect("missing-reference", resolve_package_alias)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
