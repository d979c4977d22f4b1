"""Reports of a graded submission: console, JSON, Gradescope, Markdown."""
