# rehabkit: the two set-up commands of the README.
#   make demo   installs rehabkit and the first-party packs into .venv and runs them
#   make test   installs everything the tests need into .venv-test and runs the suite
PYTHON ?= python3
VENV ?= .venv
TEST_VENV ?= .venv-test
PIP_FLAGS ?= --quiet --disable-pip-version-check
PACKS = plugins/rehabkit-exercises plugins/rehabkit-neck plugins/rehabkit-low-back plugins/rehabkit-post-surgery

.PHONY: demo test bench wheels clean

demo: $(VENV)/bin/python
	$(VENV)/bin/pip install $(PIP_FLAGS) .
	$(VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	$(VENV)/bin/rehabkit plugins
	$(VENV)/bin/rehabkit list
	$(VENV)/bin/rehabkit validate protocols/
	$(VENV)/bin/rehabkit show neck-pain
	$(VENV)/bin/rehabkit approve demo-1 --protocol neck-pain --phase acute --by demo-physio
	$(VENV)/bin/rehabkit run neck-pain --patient demo-1 --plan
	$(VENV)/bin/rehabkit run neck-pain --patient demo-1 --answers examples/answers-calm-session.yaml --no-timer
	$(VENV)/bin/rehabkit history demo-1

test: $(TEST_VENV)/bin/python
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test]"
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	$(TEST_VENV)/bin/python -m mypy --strict src/rehabkit
	$(TEST_VENV)/bin/python -m pytest

bench: $(TEST_VENV)/bin/python
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test,bench]"
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	$(TEST_VENV)/bin/python bench/bench_validate.py
	$(TEST_VENV)/bin/python bench/bench_registration.py

# Wheels of rehabkit and every first-party pack into dist/, for installing where the package index has none.
wheels: $(TEST_VENV)/bin/python
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test]"
	$(TEST_VENV)/bin/pip wheel $(PIP_FLAGS) --no-deps --no-build-isolation -w dist . $(PACKS) plugins/rehabkit-example-clinic

%/bin/python:
	$(PYTHON) -m venv $*

clean:
	rm -rf $(VENV) $(TEST_VENV) build dist bench/out
