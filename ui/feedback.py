"""The founders' ratings: one JSON object a line, in a local file program staff read.

One line per answer (``answer_id``): rating an answer again replaces its line, so a double click
records one rating and 👍 then 👎 leaves the 👎.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from assistant import Answer

Rating = Literal["up", "down"]
MAX_COMMENT_CHARS = 2000
NEW_FILE_MODE = 0o644  # readable by program staff, as the append-only log was


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
    answer_id: str = ""  # the answer rated; a later rating of it replaces this one

    @classmethod
    def of(
        cls,
        rating: Rating,
        comment: str,
        question: str,
        answer: Answer,
        interface_language: str,
        now: datetime | None = None,
        answer_id: str = "",
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
            answer_id=answer_id,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedbackLog:
    """Feedback in ``path`` (created with its folder on first use), one line per answer;
    thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, feedback: Feedback) -> bool:
        """Write ``feedback``, in place of an earlier rating of the same answer (whose comment
        it keeps when it has none). True when it replaced one. The file is rewritten whole
        and swapped in, so that a reader never sees half of it; lines it cannot read are
        kept as they are."""
        entry = feedback.to_dict()
        with self._lock:
            lines = self._lines()
            earlier = [
                e for e in map(_parsed, lines) if e is not None and _same_answer(e, feedback)
            ]
            if earlier and not entry["comment"]:
                entry["comment"] = earlier[-1].get("comment", "")
            kept = [line for line in lines if not _same_answer(_parsed(line), feedback)]
            self._write([*kept, json.dumps(entry, ensure_ascii=False)])
        return bool(earlier)

    def _lines(self) -> list[str]:
        if not self.path.exists():
            return []
        return [line for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _write(self, lines: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(self.path.stat().st_mode) if self.path.exists() else NEW_FILE_MODE
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".feedback-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write("".join(line + "\n" for line in lines))
            os.chmod(temporary, mode)  # mkstemp's 0600 would lock program staff out
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def _parsed(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _same_answer(entry: dict[str, Any] | None, feedback: Feedback) -> bool:
    return (
        bool(feedback.answer_id)
        and entry is not None
        and entry.get("answer_id") == feedback.answer_id
    )
