"""End-to-end tests: the real chat in real Chromium."""
