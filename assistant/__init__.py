"""Kakehashi's assistant: retrieval, answers, grounding; ``from assistant import Assistant``."""

from assistant.api import Assistant, InvalidQuestion
from assistant.settings import Settings
from assistant.types import Answer, Citation, Location, Passage, SentenceCheck

__all__ = [
    "Answer",
    "Assistant",
    "Citation",
    "InvalidQuestion",
    "Location",
    "Passage",
    "SentenceCheck",
    "Settings",
]
