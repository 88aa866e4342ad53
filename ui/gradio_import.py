"""Import Gradio without its type-stub writer, and without pandas until something uses it.

Every time Gradio is imported, the metaclass of its components (``gradio.component_meta``) reads
each component's source file, parses it with ``ast`` and rewrites the ``.pyi`` stub beside it:
about 80 classes, more than half of ``import gradio`` on two cores (``python -m benchmarks
--only ui``), and a write into the installed package at run time. Stubs serve Gradio's own
developers, not a running chat, so the writer is replaced by a no-op as the module is loaded
(the same patch as AUTOMATIC1111's stable-diffusion-webui and PyInstaller builds of Gradio).

If a Gradio release renames the function, nothing is patched and Gradio imports as before, only
slower; ``tests/unit/test_serve.py`` fails so that the pin is looked at.

Gradio imports pandas (a quarter of a second on two cores, before the chat can answer HTTP) for
``gr.cache``'s hashing and its table and plot components, none of which the chat uses. Until one of
its attributes is read, ``pandas`` is a stand-in module that then imports the real one and answers
for it. ``importlib.util.LazyLoader`` cannot do this: an ``import pandas`` statement reads the
module's ``__spec__``, which makes it load.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import Any

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"
DEFERRED = "pandas"


def _write_no_stub(*_args: Any, **_kwargs: Any) -> None:
    return None


def _patch(module: ModuleType) -> None:
    if hasattr(module, STUB_WRITER):
        setattr(module, STUB_WRITER, _write_no_stub)


class _StubWriterRemover(importlib.abc.MetaPathFinder):
    """Finds ``gradio.component_meta`` with the other finders, and patches it once executed."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != STUB_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


class _PatchingLoader(importlib.abc.Loader):
    def __init__(self, loader: importlib.abc.Loader) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _patch(module)


class _Deferred(ModuleType):
    """Stands in for a module until an attribute it does not have is read: then the real module
    is imported (and replaces it in ``sys.modules``) and answers for it from then on."""

    _lock = threading.Lock()

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec  # read by every ``import`` of it: must not load it
        self.__file__ = spec.origin  # read by scans of sys.modules (inspect.getmodule)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def _real(self) -> ModuleType:
        with self._lock:
            real = self.__dict__.get("_real_module")
            if real is None:
                if sys.modules.get(self.__name__) is self:
                    del sys.modules[self.__name__]
                real = importlib.import_module(self.__name__)
                self.__dict__["_real_module"] = real
        return real


def _defer(name: str) -> None:
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is not None:
        sys.modules[name] = _Deferred(spec)


def install() -> None:
    """Make the next ``import gradio`` skip the stub writer and defer pandas (idempotent)."""
    _defer(DEFERRED)
    if STUB_MODULE in sys.modules:  # already imported: patch what later classes will call
        _patch(sys.modules[STUB_MODULE])
        return
    if not any(isinstance(finder, _StubWriterRemover) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StubWriterRemover())


def deferred(name: str = DEFERRED) -> bool:
    """Whether ``name`` is still the stand-in, not yet imported (for tests and diagnostics)."""
    module = sys.modules.get(name)
    return isinstance(module, _Deferred) and "_real_module" not in module.__dict__


def stub_writer_removed() -> bool:
    """Whether the imported Gradio runs without its stub writer (for tests and diagnostics)."""
    module = sys.modules.get(STUB_MODULE)
    return module is not None and getattr(module, STUB_WRITER, None) is _write_no_stub
