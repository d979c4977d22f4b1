"""Grading one submission: intake, the worker, the checks, the report."""
