"""Every error Kakehashi raises on purpose, under one base that carries the CLI's exit code.

Messages are for the person who sees them: what went wrong and, where there is one, what to do.
This module imports nothing of the project, so that every layer can raise from it.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2  # the input cannot be used as given (a question, a file, a gate)
EXIT_UNAVAILABLE = 3  # a service or a resource is missing: the store, the embedder, a model


class KakehashiError(Exception):
    """The base of Kakehashi's errors; ``exit_code`` is what the CLI exits with."""

    exit_code = EXIT_FAILURE


# -- bad input ----------------------------------------------------------------------------
class InvalidInput(KakehashiError, ValueError):
    exit_code = EXIT_USAGE


class InvalidQuestion(InvalidInput):
    """A question that cannot be searched; the message says why, in the question's language.
    ``key`` and ``fields`` name that message in the catalogue, so that an interface can say it
    in its own language (a question of emoji has no language of its own)."""

    def __init__(self, message: str, key: str | None = None, **fields: object) -> None:
        super().__init__(message)
        self.key = key
        self.fields = fields


class QuestionsError(InvalidInput):
    """An evaluation questions file that cannot be read."""


class ClaimsError(InvalidInput):
    """A labelled claims file that cannot be read."""


class GateError(InvalidInput):
    """A ``--fail-under`` gate that names no known metric or no number."""


class LoadError(InvalidInput):
    """A file that cannot become a document; the message is shown as the reason."""


class MisalignedTranslation(InvalidInput):
    """A translation whose paragraphs do not line up with its original's."""


# -- something unavailable ----------------------------------------------------------------
class Unavailable(KakehashiError, RuntimeError):
    exit_code = EXIT_UNAVAILABLE


class StoreError(Unavailable):
    """The vector store cannot be used."""


class StoreUnavailable(StoreError):
    """The store (a Chroma server) does not answer."""


class EmbedderMismatch(StoreError):
    """The store was built with another embedder than the one configured."""


class EmbedderUnavailable(Unavailable):
    """The configured embedder cannot be loaded."""


class TokenizerUnavailable(Unavailable):
    """The packaged tokenizer file cannot be found."""


class IngestLocked(Unavailable):
    """Another ingest holds the lock."""


class ModelUnavailable(Unavailable):
    """The local language model's files are missing or do not match their pinned digest."""


# -- the language model -------------------------------------------------------------------
class GenerationFailed(KakehashiError, RuntimeError):
    """The endpoint was down, too slow, or answered something unusable; ``kind`` is one of
    ``timeout``, ``unavailable``, ``garbage`` (each has a reason in the message catalogue)."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
