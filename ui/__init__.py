"""The founders' chat (Gradio)."""

import os

# Before gradio is imported anywhere below this package: no usage statistics leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
