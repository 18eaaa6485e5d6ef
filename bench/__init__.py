"""Benchmarks (docs/performance.md): the harness package and the scripts using it. Not part of the service:
neither ``prevention_cds`` nor the tests import anything here."""
