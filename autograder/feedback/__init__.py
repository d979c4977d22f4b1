"""Feedback for students: one catalog of messages in English and Chinese."""
from .catalog import LANGUAGES, Msg, language, render

__all__ = ["Msg", "render", "LANGUAGES", "language"]
