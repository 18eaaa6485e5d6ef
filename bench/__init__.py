"""Benchmarks. Not part of the service: nothing here is imported by ``service``."""
