"""Your exercises: fill in the TODOs, then run ./grade.sh."""
