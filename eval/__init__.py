"""Grounding evaluation: metrics, runs and reports."""
