# Two commands set everything up on a fresh machine with Python 3.11+ and git:
#   make repro   run the whole pipeline (dvc repro)
#   make test    run the test suite
# Both create .venv from the pinned requirements.lock the first time.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ready
PLUGIN := $(VENV)/.plugin
UI_PORT ?= 5000
# dvc runs each stage as `python -m stages.<name>`: that must be the venv's python.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv repro test ui dag lock lecture clean-venv server server-stop accounts grant serve

help:
	@echo "make repro   run the pipeline (dvc repro); creates .venv on first use"
	@echo "make test    run the tests"
	@echo "make ui      MLflow UI (the repo's mlflow.db); open the runs at"
	@echo "             http://127.0.0.1:$(UI_PORT)$(UI_PAGE)"
	@echo "make serve MODEL=msft-forecaster   serve a registered model (checks it first)"
	@echo "make lecture run the lecture's own three scripts (lecture/) and record their numbers"
	@echo "make venv    only create .venv"
	@echo "make dag     print the pipeline graph"
	@echo "make lock    re-pin requirements.lock from requirements.in"
	@echo "make server SERVER_NAME=lab.example.edu   a class's server: PostgreSQL + MLflow with"
	@echo "             accounts, reachable by that name (docs/team.md)"
	@echo "make accounts STUDENTS=list.csv   an account per student; make server-stop"
	@echo "make grant ACCOUNT=bob NAME=bob-msft   give a student a name another account took"

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	@# a venv made by an older lab had its dvc replaced by a script: pip's own again
	@if grep -qs rnnlab.dvc_cli $(BIN)/dvc; then $(BIN)/python -m pip install --quiet --force-reinstall --no-deps $$(grep '^dvc==' requirements.lock); fi
	touch $@

# The lab's MLflow plugin (plugin/: artifact locations relative to the store, which travel with
# a copied or moved checkout), built by flit_core from the lock, offline: a copy in the venv,
# not a link to this checkout. An existing venv gets it, and again when plugin/ changes.
$(PLUGIN): $(STAMP) plugin/pyproject.toml plugin/rnnlab_checkout.py
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation --force-reinstall ./plugin
	touch $@

venv: $(PLUGIN)

# params.yaml is checked whole first (rnnlab/params.py): one line naming the key. Every stage
# checks it again as its first step, so `dvc repro` or `dvc exp run -S ...` typed by hand stops
# on the same line before anything trains.
# After a repro that ended well, every stage's outputs are in place, also those DVC restored
# from its run-cache without running the stage: a later stage's failure tag on its model's
# MLflow run, noted on this machine when it failed, is taken back (rnnlab/tracking/failures.py).
repro: $(PLUGIN)
	@$(BIN)/python -m rnnlab.params
	$(BIN)/dvc repro
	@$(BIN)/python -m rnnlab.tracking.failures
	@echo
	@echo "Results: reports/README.md (every model beside its baselines, figures, samples)."
	@echo "Runs:    make ui, then open the address it prints."

# The slide's scripts as the lecture writes them (each change marked: lecture/README.md), on this machine:
# their numbers go to lecture/results.json, which the report sets beside the slide's and the lab's.
lecture: $(PLUGIN)
	$(BIN)/python lecture/run.py

# Three workers (pytest-xdist) on two cores: in one process the suite keeps one core busy,
# running dvc, the stages and servers one after another; two workers still left a quarter of
# the two cores idle while tests waited on them (docs/tests.md). TEST_WORKERS=0 runs it in
# pytest's own process.
TEST_WORKERS ?= 3
test: $(PLUGIN)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The UI reads the same store the stages write to: $MLFLOW_TRACKING_URI if set,
# else the SQLite file at the repo root, which it is given as MLFLOW_TRACKING_URI too: the
# plugin finds the files of the locations checkout:/... beside it. A SQLite store's new
# experiments keep their files in checkout:/mlartifacts (relative to it), any other's in mlartifacts/.
# MLflow 3's UI starts on its GenAI side (traces); the address below opens it on the runs
# ("Model training" in its sidebar, which the browser then remembers).
UI_PAGE := /\#/experiments?workflowType=machine_learning

ui: $(PLUGIN)
	@case "$${MLFLOW_TRACKING_URI:-}" in \
	  http://*|https://*) echo "MLFLOW_TRACKING_URI is a tracking server: open $${MLFLOW_TRACKING_URI%/}$(UI_PAGE)";; \
	  *) $(BIN)/python -m rnnlab.tracking.store || exit 1; \
	     export MLFLOW_TRACKING_URI="$${MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/mlflow.db}"; \
	     case "$$MLFLOW_TRACKING_URI" in sqlite:*) root=checkout:/mlartifacts;; *) root="$(CURDIR)/mlartifacts";; esac; \
	     echo "Open http://127.0.0.1:$(UI_PORT)$(UI_PAGE) (the runs; Ctrl-C stops the UI)"; \
	     exec $(BIN)/mlflow ui --host 127.0.0.1 --port $(UI_PORT) \
	       --backend-store-uri "$$MLFLOW_TRACKING_URI" --default-artifact-root "$$root";; \
	esac

dag: $(PLUGIN)
	$(BIN)/dvc dag

lock:
	rm -rf .lockvenv
	$(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --upgrade pip
	.lockvenv/bin/python -m pip install --quiet -r requirements.in
	{ echo "# Generated by 'make lock' from requirements.in. Do not edit by hand."; \
	  .lockvenv/bin/python -m pip freeze; } > requirements.lock
	rm -rf .lockvenv

clean-venv:
	rm -rf $(VENV)

# A class on one server (docs/team.md): PostgreSQL and `mlflow server` with accounts, in
# $(CLASS_DIR). SERVER_NAME: the host name students reach it by (lab.example.edu): it then
# listens on every network and answers that name, and prints the address students type;
# without it, on 127.0.0.1 only. SERVER_ARGS: any other option (--port 8080, --host ...).
# PostgreSQL: the system's where installed, else the one pip installed into the venv (pgserver,
# in requirements.lock); SERVER_ARGS=--postgres pip (or system) chooses. It says which it used.
CLASS_DIR ?= .classroom
SERVER_NAME ?=
server: $(PLUGIN)
	$(BIN)/python -m classroom.server start --dir "$(CLASS_DIR)" $(if $(SERVER_NAME),--name "$(SERVER_NAME)") $(SERVER_ARGS)

accounts: $(PLUGIN)
	@test -n "$(STUDENTS)" || { echo "error: make accounts STUDENTS=<a CSV with a name column>"; exit 2; }
	$(BIN)/python -m classroom.server accounts "$(STUDENTS)" --dir "$(CLASS_DIR)"

# A registered model over HTTP (docs/serving.md): rnnlab/serving/serve.py checks the store, the model,
# its version and its files, then runs `mlflow models serve` on 127.0.0.1:$(SERVE_PORT).
MODEL_VERSION ?= latest
SERVE_PORT ?= 5001
serve: $(PLUGIN)
	@test -n "$(MODEL)" || { echo "error: usage: make serve MODEL=<registered model> [MODEL_VERSION=<n>|latest] [SERVE_PORT=5001]" >&2; exit 2; }
	@exec $(BIN)/python -m rnnlab.serving.serve "$(MODEL)" $(MODEL_VERSION) $(SERVE_PORT)

# A student's experiment or registered model ('bob-msft') that another account made first:
# MANAGE on it for the student (the stages' refusal names this line).
grant: $(PLUGIN)
	@test -n "$(ACCOUNT)" -a -n "$(NAME)" || { echo "error: make grant ACCOUNT=<student> NAME=<experiment or registered model>"; exit 2; }
	$(BIN)/python -m classroom.server grant "$(ACCOUNT)" "$(NAME)" --dir "$(CLASS_DIR)"

server-stop: $(PLUGIN)
	$(BIN)/python -m classroom.server stop --dir "$(CLASS_DIR)"
