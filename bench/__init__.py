"""Benchmarks: every figure measured against its baseline in the same run (``make bench``)."""
