"""What each rule family of the offline verifier is worth: balanced accuracy with it switched off.

    python -m eval.ablation [--no-in-sample] [--markdown FILE]

Step 1: one embedder for every run, its vectors cached (a family switched off changes which
        checks run, not what the claims and passages embed to).
Step 2: for each configuration (everything on; each family of ``FAMILIES`` off; the checks of
        who-does-what, which judge one idea, all off and one at a time), judge every held-out
        claims file (``HELD_OUT``: eval/holdout/, written or labelled blind) and, unless
        ``--no-in-sample``, the claims the thresholds were fitted on (``eval/claims.jsonl``).
Step 3: print one table: balanced accuracy on each held-out set and on their union, its change
        from everything on, the wrong numbers accepted (``WRONG_NUMBER_KINDS``: wrong numbers,
        units, reversed bounds), and in-sample balanced accuracy on a line of its own. A family
        whose removal does not lower held-out balanced accuracy does not pay for itself.

Offline only: the LLM judge plays no part (``OfflineVerifier``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from assistant import Settings
from assistant.grounding import OfflineVerifier
from assistant.grounding.verifier import FAMILIES
from eval.claims import WRONG_NUMBER_KINDS, Claim, load_claims
from eval.metrics import confusion
from ingest.embed import CachedEmbedder, Embedder, make_embedder

HELD_OUT = {
    "holdout": Path("eval/holdout/claims.jsonl"),
    "generated": Path("eval/holdout/generated/claims.jsonl"),
    "batch 3": Path("eval/holdout/generated/batch3.jsonl"),
    "numbers": Path("eval/holdout/numbers/claims.jsonl"),
    "numbers-3": Path("eval/holdout/numbers-3/claims.jsonl"),
    "claims-2": Path("eval/holdout/claims-2/claims.jsonl"),
}
IN_SAMPLE = Path("eval/claims.jsonl")
# Three checks of who does what (issue #16): exchanged countries fit better, a clause said of
# another country, an opposite term said of the other country.
ROLE_CHECKS = ("swap", "roles", "opposed_roles")


@dataclass(frozen=True)
class Row:
    name: str
    disabled: frozenset[str]
    scores: dict[str, float]  # balanced accuracy per held-out set
    union: float
    wrong_numbers: tuple[str, ...]
    in_sample: float | None


def configurations() -> list[tuple[str, frozenset[str]]]:
    """Everything on; each family off; the role checks all off, then each one alone."""
    found = [("none (all on)", frozenset[str]())]
    found += [(family, frozenset({family})) for family in sorted(FAMILIES)]
    roles = [check for check in ROLE_CHECKS if check in FAMILIES]
    if len(roles) > 1:
        found.append(("+".join(roles), frozenset(roles)))
        found += [
            (
                f"{'+'.join(r for r in roles if r != kept)} (only {kept} on)",
                frozenset(roles) - {kept},
            )
            for kept in roles
        ]
    return found


def balanced(claims: Sequence[Claim], verdicts: Sequence[bool]) -> float:
    return confusion([c.label == "supported" for c in claims], list(verdicts)).balanced_accuracy


def measure(
    embedder: Embedder,
    glossary: Path,
    name: str,
    disabled: frozenset[str],
    held_out: dict[str, list[Claim]],
    in_sample: list[Claim] | None,
) -> Row:
    verifier = OfflineVerifier(embedder, glossary=glossary, disabled=disabled)

    def verdicts(claims: Sequence[Claim]) -> list[bool]:
        return [verifier.verify(c.claim, [c.passage]).supported for c in claims]

    judged = {key: verdicts(claims) for key, claims in held_out.items()}
    pooled = [c for claims in held_out.values() for c in claims]
    pooled_verdicts = [v for key in held_out for v in judged[key]]
    wrong = tuple(
        c.id
        for c, accepted in zip(pooled, pooled_verdicts, strict=True)
        if accepted and c.label == "unsupported" and c.kind in WRONG_NUMBER_KINDS
    )
    return Row(
        name=name,
        disabled=disabled,
        scores={key: balanced(claims, judged[key]) for key, claims in held_out.items()},
        union=balanced(pooled, pooled_verdicts),
        wrong_numbers=wrong,
        in_sample=balanced(in_sample, verdicts(in_sample)) if in_sample is not None else None,
    )


def table(rows: Sequence[Row], held_out: dict[str, list[Claim]], in_sample: int | None) -> str:
    base = rows[0]
    total = sum(len(claims) for claims in held_out.values())
    sets = " | ".join(f"{key} (n={len(claims)})" for key, claims in held_out.items())
    lines = [
        f"| switched off | {sets} | held-out union (n={total}) | Δ union "
        "| wrong numbers accepted (held-out) |",
        "|---|" + "---|" * (len(held_out) + 3),
    ]
    for row in rows:
        scores = " | ".join(f"{row.scores[key]:.3f}" for key in held_out)
        lines.append(
            f"| {row.name} | {scores} | {row.union:.3f} | {row.union - base.union:+.3f} | "
            f"{len(row.wrong_numbers)} |"
        )
    if in_sample is not None:
        lines += [
            "",
            f"In-sample (eval/claims.jsonl, n={in_sample}, the claims the rules and thresholds "
            "were fitted on; not a criterion):",
            "",
            "| switched off | in-sample | Δ |",
            "|---|---|---|",
        ]
        for row in rows:
            assert row.in_sample is not None and base.in_sample is not None
            lines.append(
                f"| {row.name} | {row.in_sample:.3f} | {row.in_sample - base.in_sample:+.3f} |"
            )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-in-sample", action="store_true", help="Skip eval/claims.jsonl.")
    parser.add_argument("--markdown", type=Path, help="Also write the table to this file.")
    args = parser.parse_args(argv)

    settings = Settings()
    glossary = Path(settings.corpus_dir) / "glossary.json"
    # Step 1: one embedder, its vectors shared by every configuration
    embedder = CachedEmbedder(make_embedder(settings.embedder), size=1_000_000)
    held_out = {key: load_claims(path) for key, path in HELD_OUT.items() if path.exists()}
    in_sample = None if args.no_in_sample else load_claims(IN_SAMPLE)
    # Step 2: every configuration on the same claims
    rows = []
    for name, disabled in configurations():
        print(f"measuring: {name} off", file=sys.stderr, flush=True)
        rows.append(measure(embedder, glossary, name, disabled, held_out, in_sample))
    # Step 3: the table
    text = table(rows, held_out, len(in_sample) if in_sample is not None else None)
    print(text)
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
