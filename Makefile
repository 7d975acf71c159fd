# The GAN course. Two commands for learners (make lab, make test); the rest for instructors
# and contributors. Every target builds .venv/ first if it is missing or out of date.
#   make lab         JupyterLab on notebooks/
#   make test        the whole test suite, in fast mode
#   make release     regenerate notebooks/ from solutions/
#   make autograde   grade submitted/<student>/<chapter>/ into the gradebook
#   make feedback    write feedback/<student>/<chapter>/*.html
#   make grades      export grades.csv
# Optional: TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu installs the small CPU build
# of torch/torchvision (same versions) before the other pins.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH_INDEX_URL ?=
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: help env lab test release autograde feedback grades clean

help:
	@sed -n '2,12p' Makefile | sed 's/^# \{0,1\}//'

env: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info[:2] == (3, 11), f"the course pins are for Python 3.11; .venv has {sys.version.split()[0]} (set PYTHON=python3.11)"'
	$(if $(TORCH_INDEX_URL),$(BIN)/python -m pip install --index-url $(TORCH_INDEX_URL) $$(grep -E '^torch(vision)?==' requirements.txt))
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --notebook-dir=notebooks

test: $(STAMP)
	@env -u COURSE_TEST_CHAPTERS GAN_COURSE_FAST=1 MPLBACKEND=Agg $(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

release: $(STAMP)
	$(BIN)/python -m grading release

autograde: $(STAMP)
	$(BIN)/python -m grading autograde

feedback: $(STAMP)
	$(BIN)/python -m grading feedback

grades: $(STAMP)
	$(BIN)/python -m grading grades

clean:
	rm -rf $(VENV) .pytest_cache gan_helpers.egg-info
