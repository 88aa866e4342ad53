"""Import Gradio without its type-stub writer.

Every time Gradio is imported, the metaclass of its components (``gradio.component_meta``) reads
each component's source file, parses it with ``ast`` and rewrites the ``.pyi`` stub beside it:
about 80 classes, more than half of ``import gradio`` on two cores (``python -m benchmarks
--only ui``), and a write into the installed package at run time. Stubs serve Gradio's own
developers, not a running chat, so the writer is replaced by a no-op as the module is loaded
(the same patch as AUTOMATIC1111's stable-diffusion-webui and PyInstaller builds of Gradio).

If a Gradio release renames the function, nothing is patched and Gradio imports as before, only
slower; ``tests/unit/test_ui.py`` fails so that the pin is looked at.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

STUB_MODULE = "gradio.component_meta"
STUB_WRITER = "create_or_modify_pyi"


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


def install() -> None:
    """Make the next ``import gradio`` skip the stub writer (idempotent)."""
    if STUB_MODULE in sys.modules:  # already imported: patch what later classes will call
        _patch(sys.modules[STUB_MODULE])
        return
    if not any(isinstance(finder, _StubWriterRemover) for finder in sys.meta_path):
        sys.meta_path.insert(0, _StubWriterRemover())


def stub_writer_removed() -> bool:
    """Whether the imported Gradio runs without its stub writer (for tests and diagnostics)."""
    module = sys.modules.get(STUB_MODULE)
    return module is not None and getattr(module, STUB_WRITER, None) is _write_no_stub
