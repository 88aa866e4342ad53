"""The fitted numbers of the answer path, read from ``data/thresholds.json``.

Calibration writes that file (``python -m eval.calibrate --write`` for the verifier,
``python -m scripts.calibrate_refusal --write`` for the refusal, ``python -m
eval.calibrate_answerable --write`` for the model's word on it); nothing here is pasted by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

SECTIONS = ("refusal", "verifier", "quotes")


def path() -> Path:
    return Path(str(resources.files("assistant").joinpath("data", "thresholds.json")))


@lru_cache(maxsize=1)
def fitted() -> dict[str, Any]:
    data = json.loads(path().read_text(encoding="utf-8"))
    missing = [section for section in SECTIONS if section not in data]
    if missing:
        raise ValueError(f"{path()}: no {', '.join(missing)} section")
    return dict(data)


@dataclass(frozen=True)
class Refusal:
    """Below ``threshold`` evidence the corpus is judged not to answer. e5 scores a question
    against text in another language lower than against text in its own: a passage with no
    edition in the question's language is lifted by ``cross_lingual_offset``, in retrieval and
    in the refusal alike, so that untranslated documents compete on one scale."""

    threshold: float
    cross_lingual_offset: float


def refusal() -> Refusal:
    return Refusal(**fitted()["refusal"])


@dataclass(frozen=True)
class Quotes:
    """The model's word on whether the passages answer, in quotes mode, where the endpoint
    gives logprobs: its answer is a refusal when P(answerable is false) reaches
    ``unanswerable``. A question whose evidence is under the refusal threshold by less than
    ``confirm_below`` is put to the model too, and answered only when it says so."""

    unanswerable: float
    confirm_below: float


def quotes() -> Quotes:
    return Quotes(**fitted()["quotes"])


def verifier() -> dict[str, Any]:
    return dict(fitted()["verifier"])


def write(section: str, values: dict[str, Any]) -> Path:
    """Replace ``section`` of the thresholds file with ``values`` (calibration's output)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown thresholds section {section!r}")
    data = json.loads(path().read_text(encoding="utf-8"))
    data[section] = values
    path().write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    fitted.cache_clear()
    return path()
