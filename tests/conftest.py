"""Puts tests/ on sys.path, so shared helpers beside it (`seed_views`, `spec_conformance`) import everywhere."""
