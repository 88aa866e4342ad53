#!/usr/bin/env bash
# `make run`: ingest the corpus and start the chat, its answers written by the model Kakehashi
# ships (`kakehashi llm serve`, on 127.0.0.1 with a fresh key, stopped when the chat ends).
# LLM=none: extractive answers only, no model.
set -euo pipefail

BIN=${BIN:-.venv/bin}
LLM=${LLM:-local}
READY_SECONDS=${READY_SECONDS:-600}  # the first start joins and checks 1 GiB, then loads it

case "$LLM" in
none)
    # Whatever the environment or an .env file says about an endpoint.
    export KAKEHASHI_LLM_BASE_URL= KAKEHASHI_JUDGE_BASE_URL=
    "$BIN/kakehashi" ingest
    exec "$BIN/kakehashi" serve
    ;;
local) ;;
*)
    echo "run: LLM is 'local' (the default) or 'none', not '$LLM'" >&2
    exit 2
    ;;
esac

# The corpus first, then the chat with the model behind it (stopped when the chat ends).
"$BIN/kakehashi" ingest
exec bash "$(dirname "$0")/with_llm.sh" "$BIN/kakehashi" serve
