#!/usr/bin/env bash
# Run a command with the model Kakehashi ships behind it: `kakehashi llm serve` in the
# background (127.0.0.1, a fresh key), its three KAKEHASHI_LLM_* settings exported as soon as it
# prints them (no fixed sleep), stopped when the command ends.
#   bash scripts/with_llm.sh .venv/bin/kakehashi serve
set -euo pipefail

BIN=${BIN:-.venv/bin}
READY_SECONDS=${READY_SECONDS:-600}  # the first start joins and checks 1 GiB, then loads it

# Step 1: the model server in the background; its stdout is ours to read, its log a file.
log=$(mktemp "${TMPDIR:-/tmp}/kakehashi-llm.XXXXXX")
coproc MODEL { exec "$BIN/kakehashi" llm serve 2>"$log"; }
model_pid=$MODEL_PID
exec {model_out}<&"${MODEL[0]}"
stop_model() {
    kill -TERM "$model_pid" 2>/dev/null || true
    wait "$model_pid" 2>/dev/null || true
    rm -f "$log"
}
trap stop_model EXIT
echo "with_llm: starting the local model (log: $log)" >&2

# Step 2: its three settings, as soon as it prints them.
deadline=$((SECONDS + READY_SECONDS))
found=0
while ((found < 3)); do
    left=$((deadline - SECONDS))
    if ((left <= 0)) || ! IFS= read -r -t "$left" -u "$model_out" line; then
        echo "with_llm: the local model did not start; its log:" >&2
        tail -n 20 "$log" >&2
        exit 1
    fi
    case "$line" in
    KAKEHASHI_LLM_BASE_URL=* | KAKEHASHI_LLM_MODEL=* | KAKEHASHI_LLM_API_KEY=*)
        export "${line?}"
        found=$((found + 1))
        ;;
    esac
done
echo "with_llm: answers by $KAKEHASHI_LLM_MODEL at $KAKEHASHI_LLM_BASE_URL" >&2

# Step 3: the command; the model stops with it (the EXIT trap).
"$@"
