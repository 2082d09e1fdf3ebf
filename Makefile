# Two entry points, both self-contained from a clean clone:
#   make demo  - create .venv, install Lepton, run the main job on the embedded default store
#   make test  - create .venv, install Lepton with its test tools, run the test suite
#   make audit - pip-audit the installed dependencies against a vulnerability service
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: demo test setup lint audit clean

$(STAMP): pyproject.toml
	bash scripts/setup.sh "$(PYTHON)" "$(VENV)"
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# There is no lock file: the locked set is what scripts/setup.sh installed, frozen here
# (Lepton itself, the editable install, excluded). Local version labels such as torch's
# "+cpu" are stripped so the service knows the release. --strict: a package the service
# could not audit fails the target too, so an unreachable service never passes silently.
AUDIT_SERVICE ?= pypi
# Known vulnerabilities with no fixed release yet: one "--ignore-vuln ID" each, with why.
#   CVE-2023-48022 (ray, "ShadowRay"): the dashboard's Jobs API runs code for whoever
#     reaches it; disputed by Anyscale as Ray's threat model, no fixed release. Lepton's
#     clusters bind 127.0.0.1 and start no dashboard (SECURITY.md, "Ray clusters").
AUDIT_IGNORE := --ignore-vuln CVE-2023-48022
AUDIT_REQUIREMENTS ?= $(VENV)/audit-requirements.txt

audit: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable --all | sed -e 's/+[A-Za-z0-9.]*$$//' > $(AUDIT_REQUIREMENTS)
	$(BIN)/pip-audit --strict --progress-spinner off -s $(AUDIT_SERVICE) --no-deps --disable-pip \
		-r $(AUDIT_REQUIREMENTS) $(AUDIT_IGNORE) \
		|| { echo "make audit FAILED: a known vulnerability, or a package the $(AUDIT_SERVICE) service could not audit (see above)" >&2; exit 1; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
