"""The founders' ratings: one JSON object a line, appended to a local file program staff read."""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant import Answer

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True)
class Feedback:
    time: str
    rating: Rating
    comment: str
    question: str
    answer: str
    grounding: str
    mode: str
    citations: tuple[dict[str, Any], ...]
    interface_language: str

    @classmethod
    def of(
        cls,
        rating: Rating,
        comment: str,
        question: str,
        answer: Answer,
        interface_language: str,
        now: datetime | None = None,
    ) -> Feedback:
        return cls(
            time=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
            rating=rating,
            comment=comment.strip()[:MAX_COMMENT_CHARS],
            question=question,
            answer=answer.answer,
            grounding=answer.grounding,
            mode=answer.mode,
            citations=tuple(
                {"n": c.n, "chunk_id": c.chunk_id, "doc_id": c.doc_id, "title": c.title}
                for c in answer.citations
            ),
            interface_language=interface_language,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackLog:
    """Appends feedback to ``path`` (created with its folder on first use); thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def append(self, feedback: Feedback) -> None:
        line = json.dumps(feedback.to_dict(), ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as handle:
                handle.write(line)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]
