"""Grader-only references: correct implementations and shared helpers the checks compare with.

Nothing here is copied into the worker (engine/sandbox.py copies engine/worker/*.py only), so
student code cannot reach it."""
