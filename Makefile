# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: serve test eval eval-realtimeqa bench install clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[dev]'
	touch $@

install: $(BIN)/.installed

serve: $(BIN)/.installed  ## serve the seeds and the API on http://127.0.0.1:8000
	$(BIN)/byline serve

test: $(BIN)/.installed  ## the whole test suite
	$(BIN)/pytest -q

eval: $(BIN)/.installed  ## the seed question set
	$(BIN)/byline eval

eval-realtimeqa: $(BIN)/.installed  ## the external RealTimeQA dev set (tens of minutes the first time)
	$(BIN)/byline eval --corpus ../shared/eval/realtimeqa-2024q1/corpus.jsonl \
		--questions ../shared/eval/realtimeqa-2024q1/questions.jsonl

bench: $(BIN)/.installed  ## ingest throughput and /ask latency, printed
	$(BIN)/python eval/bench.py

clean:
	rm -rf $(VENV) data eval/out test-output
