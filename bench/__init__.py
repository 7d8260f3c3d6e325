"""Benchmarks (not tests): `python -m bench --help`. Results go to bench/README.md."""
