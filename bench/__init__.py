"""Benchmarks, one module per workload, each printing its figures (README, "Benchmarks").

Run from the repository root as any user of the package would import it:
``.venv/bin/python -m bench.engine`` (never ``python bench/engine.py``).
"""
