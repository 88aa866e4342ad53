"""The grounding verifier judged by the model Kakehashi ships (``assistant.local_model``).

    python -m scripts.local_judge eval FILE --out OUT    # kakehashi eval --claims with the judge
    python -m scripts.local_judge calibrate [ARGS]       # python -m eval.calibrate_judge ARGS

Assembles and checks the model, serves it on 127.0.0.1 with a fresh key for the length of the
run and points ``kakehashi eval --claims`` at it through ``KAKEHASHI_JUDGE_*``. To serve it for
anything else: ``kakehashi llm serve``.

Measured (README, Evaluation): on the held-out claims the combined verifier (offline vetoes,
then this judge) scores 0.812 balanced accuracy pooled, against 0.721 offline; on the generated
sentences its prompt is a median 81 tokens (about 0.8 to 1.2 s a judged claim on two idle cores).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence

from assistant import local_model
from assistant.errors import ModelUnavailable
from assistant.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    evaluate = commands.add_parser("eval", help="kakehashi eval --claims with the judge")
    evaluate.add_argument("claims")
    evaluate.add_argument("--out", required=True)
    evaluate.add_argument("--fail-under", action="append", default=[])
    commands.add_parser("calibrate", help="fit the judge's threshold: eval.calibrate_judge ARGS")
    args, options = parser.parse_known_args(argv)  # calibrate passes its options on
    if options and args.command != "calibrate":
        parser.error(f"unrecognized arguments: {' '.join(options)}")
    try:
        model = local_model.assemble(local_model.model_path(Settings().data_dir))
        with local_model.served(model) as server:
            if args.command == "calibrate":
                command = [sys.executable, "-m", "eval.calibrate_judge", *options]
            else:
                cli = "from ui.cli import main; main()"
                command = [sys.executable, "-c", cli, "eval", "--claims", args.claims]
                command += ["--out", args.out]
                for gate in args.fail_under:
                    command += ["--fail-under", gate]
            env = os.environ | server.environment("KAKEHASHI_JUDGE")
            return subprocess.call(command, env=env)
    except ModelUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
