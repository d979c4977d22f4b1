"""nbgrader test cells for ex06: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
