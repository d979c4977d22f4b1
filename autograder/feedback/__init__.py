"""Feedback for students: one catalog of messages in English and Chinese."""
from .catalog import Msg, render, LANGUAGES

__all__ = ["Msg", "render", "LANGUAGES"]
