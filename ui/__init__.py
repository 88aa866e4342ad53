"""The founders' chat (Gradio)."""
