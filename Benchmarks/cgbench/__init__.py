"""cancelgate's benchmark suite: helpers for Benchmarks/run (python3 standard library only)."""
