"""Hints aimed at likely mistakes, one module per exercise (part of the one catalog), with the words its
checks show as got or expected (``value.exNN_*``) and the labels they put in front of a message
(``label.exNN_*``, the ``name=`` of the expect_* helpers)."""
