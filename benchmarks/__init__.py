"""Benchmarks of the run spine: log throughput, persistence, latency, concurrency, a million-line step.

``python -m benchmarks`` (``make bench``) writes ``benchmarks/results/latest.json`` and a dated copy;
``--smoke`` runs every figure with tiny sizes (tests/bench/test_smoke.py). See benchmarks/README.md.
"""
