"""Benchmark tooling: performance targets, the calibration profile's measurements, the dashboard."""
