"""Grading a whole class: find the submissions, grade them in a pool, write the gradebook."""
