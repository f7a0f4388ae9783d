"""Verifiable publication: signatures, provenance, the public history, the embargo register, audit and continuity."""
