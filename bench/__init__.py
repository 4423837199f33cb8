"""Benchmarks of the stage-1 solver against the reference shapes and FET; never run as tests."""
