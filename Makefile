# rehabkit: the two set-up commands of the README.
#   make demo   installs rehabkit and the first-party packs into .venv and runs them
#   make test   installs everything the tests need into .venv-test and runs the suite
PYTHON ?= python3
VENV ?= .venv
TEST_VENV ?= .venv-test
PIP_FLAGS ?= --quiet --disable-pip-version-check
# Where make demo writes its patient's store, handout, report and calendar (inside the clone, ignored by git).
DEMO = demo-output
PACKS = plugins/rehabkit-exercises plugins/rehabkit-neck plugins/rehabkit-low-back plugins/rehabkit-post-surgery

# What the tests need from the system: a real Chromium for pages, pdftotext/pdfinfo for PDFs, Pango for WeasyPrint,
# and a PostgreSQL server (initdb, pg_ctl, postgres) that the store tests start in a temporary directory.
SYSTEM_PACKAGES = chromium poppler-utils libpango-1.0-0 libpangoft2-1.0-0 postgresql

.PHONY: demo test bench wheels clean system-packages

demo: $(VENV)/bin/python
	$(VENV)/bin/pip install $(PIP_FLAGS) .
	$(VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	@rm -rf $(DEMO) && mkdir -p $(DEMO)
	$(VENV)/bin/rehabkit plugins
	$(VENV)/bin/rehabkit list
	$(VENV)/bin/rehabkit validate protocols/
	$(VENV)/bin/rehabkit staff add demo-physio --role physiotherapist --name "Demo physiotherapist" --db $(DEMO)/demo.sqlite3
	$(VENV)/bin/rehabkit approve demo-1 --protocol neck-pain --phase acute --db $(DEMO)/demo.sqlite3
	$(VENV)/bin/rehabkit run neck-pain --patient demo-1 --db $(DEMO)/demo.sqlite3 --plan
	$(VENV)/bin/rehabkit run neck-pain --patient demo-1 --db $(DEMO)/demo.sqlite3 --answers examples/answers-calm-session.yaml
	$(VENV)/bin/rehabkit history demo-1 --db $(DEMO)/demo.sqlite3
	$(VENV)/bin/rehabkit handout --patient demo-1 --db $(DEMO)/demo.sqlite3 -o $(DEMO)/handout.html
	$(VENV)/bin/rehabkit report demo-1 --db $(DEMO)/demo.sqlite3 -o $(DEMO)/report.html
	$(VENV)/bin/rehabkit calendar demo-1 --db $(DEMO)/demo.sqlite3 -o $(DEMO)/plan.ics
	$(VENV)/bin/rehabkit staff add demo-1 --role patient --db $(DEMO)/demo.sqlite3
	$(VENV)/bin/rehabkit invite demo-1 --db $(DEMO)/demo.sqlite3
	@echo ""
	@echo "Demo done. It made, in $(DEMO)/ (started afresh at every run; your own session store is untouched):"
	@echo "  demo.sqlite3  the demo patient's record: the demo physiotherapist (this account), an approval, one session"
	@echo "  handout.html  demo-1's plan to print (open it in a browser; .pdf with pip install \"rehabkit[pdf]\")"
	@echo "  report.html   demo-1's course report for the clinician, with charts"
	@echo "  plan.ics      demo-1's sessions and review for a calendar"
	@echo "Next: $(VENV)/bin/rehabkit show neck-pain, or a session at the terminal:"
	@echo "  $(VENV)/bin/rehabkit run neck-pain --patient demo-1 --db $(DEMO)/demo.sqlite3"
	@echo "Or demo-1's session in a browser: $(VENV)/bin/pip install '.[serve]', then"
	@echo "  $(VENV)/bin/rehabkit serve --db $(DEMO)/demo.sqlite3"
	@echo "and open the sign-in link printed above (single use; 'rehabkit invite demo-1 --db $(DEMO)/demo.sqlite3' makes another)."

test: $(TEST_VENV)/bin/python system-packages
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test,pdf,postgres,serve]"
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	$(TEST_VENV)/bin/python -m ruff check src tests plugins bench
	$(TEST_VENV)/bin/python -m ruff format --check src tests plugins bench
	$(TEST_VENV)/bin/python -m mypy --strict src/rehabkit
	$(TEST_VENV)/bin/python -m pytest

bench: $(TEST_VENV)/bin/python system-packages
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test,bench,postgres,serve]"
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) $(PACKS)
	$(TEST_VENV)/bin/python bench/bench_validate.py
	$(TEST_VENV)/bin/python bench/bench_packs.py
	$(TEST_VENV)/bin/python bench/bench_history.py
	$(TEST_VENV)/bin/python bench/bench_registration.py
	$(TEST_VENV)/bin/python bench/bench_store.py
	$(TEST_VENV)/bin/python bench/bench_serve.py

# Wheels of rehabkit and every first-party pack into dist/, for installing where the package index has none.
wheels: $(TEST_VENV)/bin/python
	$(TEST_VENV)/bin/pip install $(PIP_FLAGS) -e ".[test]"
	$(TEST_VENV)/bin/pip wheel $(PIP_FLAGS) --no-deps --no-build-isolation -w dist . $(PACKS) plugins/rehabkit-example-clinic

# Installs SYSTEM_PACKAGES with apt-get when one is missing (as root); elsewhere the tests that need them skip, saying why.
system-packages:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "make test: installing $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null \
		|| echo "make test: apt-get could not install $$missing: the tests that need them skip"; \
	else \
		echo "make test: $$missing not installed and cannot be (not root, or no apt-get): the tests that need them skip"; \
	fi

%/bin/python:
	$(PYTHON) -m venv $*

clean:
	rm -rf $(VENV) $(TEST_VENV) build dist bench/out $(DEMO)
