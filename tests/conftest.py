"""Shared test helpers live beside this file (`seed_views`, `spec_conformance`): this conftest puts tests/ on sys.path."""
