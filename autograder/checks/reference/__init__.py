"""Grader-only references of the exercises, one module each: what a correct implementation gives,
computed in the grader's process from inputs the grader chose, and the helpers the checks compare
with. Nothing here is copied into the worker (engine/sandbox.py copies engine/worker/*.py only),
so student code cannot reach it."""
