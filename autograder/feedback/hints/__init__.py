"""Hints aimed at likely mistakes, one module per exercise (part of the one catalog), with the words its
checks show as got or expected (``value.exNN_*``)."""
