"""The user interfaces: the founders' chat (Gradio, ``ui.app``) and the ``kakehashi`` command line
(``ui.cli``). Both are leaves over the public API of ``assistant``."""

import os

# Before gradio is imported anywhere below this package: no usage statistics leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
