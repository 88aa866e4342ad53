"""The user interfaces: the founders' chat (Gradio, ``ui.app``) and the ``kakehashi`` command line
(``ui.cli``). Both are leaves over the public API of ``assistant``."""

import os

from ui import gradio_import

# Before gradio is imported anywhere below this package: no usage statistics leave the machine,
# and no type stubs are rewritten into the installed package (half of its import time).
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
gradio_import.install()
# Gradio reads matplotlib's backend around every event; left to "auto", the first read imports
# pyplot to choose one (0.3 s, on the page's first event). The eval report's plots are files.
os.environ.setdefault("MPLBACKEND", "agg")
