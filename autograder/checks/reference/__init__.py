"""Grader-only references of the exercises: what a correct implementation gives, computed in the
grader's process from inputs the grader chose. The worker never receives these modules."""
