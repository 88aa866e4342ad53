"""Ingest: load, chunk, embed and store the corpus."""
