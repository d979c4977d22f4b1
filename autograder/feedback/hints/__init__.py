"""Hints aimed at likely mistakes, one module per exercise (part of the one catalog)."""
