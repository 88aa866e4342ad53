"""The claims report counts what issue #16's zero-tolerance target counts."""

from __future__ import annotations

import pytest

from assistant.grounding import GroundingVerdict
from eval.claims import Claim, report

pytestmark = pytest.mark.unit


def claim(id: str, label: str, kind: str) -> Claim:
    return Claim(id=id, lang="en", claim="c", passage="p", label=label, kind=kind)


def test_wrong_numbers_reversed_bounds_and_wrong_units_count_but_other_errors_do_not() -> None:
    accepted = GroundingVerdict(True, 1.0, "")
    rejected = GroundingVerdict(False, 0.0, "")
    judged = [
        (claim("a", "unsupported", "wrong_number"), rejected),
        (claim("b", "unsupported", "reversed_bound"), accepted),
        (claim("c", "unsupported", "wrong_unit_or_currency"), rejected),
        (claim("d", "unsupported", "swapped_entity"), accepted),
        (claim("e", "supported", "paraphrase"), accepted),
    ]
    result = report(judged)
    assert result.wrong_numbers_accepted == ("b",)
    assert result.wrong_numbers == 3
    assert result.numbers_caught == pytest.approx(2 / 3)
