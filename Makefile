# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
KNOWLEDGE_SOURCE ?= ../shared/knowledge-source
DEMO_KB := knowledge/demo
DEMO_CONFIG ?= var/demo.toml
# Only for the made-up demo dossiers; a real deployment sets its own secret key.
DEMO_HASH_KEY ?= $(or $(MOTCUA_DOSSIER_HASH_KEY),demo-only-not-a-secret)

.PHONY: install postgres chromium demo test lint typecheck unit bench fit-search clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: install
	@mkdir -p var
	@test -f $(DEMO_CONFIG) || sed -e 's|^url = .*|url = "sqlite+aiosqlite:///var/motcua.db"|' config.example.toml > $(DEMO_CONFIG)
	$(BIN)/motcua --config $(DEMO_CONFIG) db upgrade
	@if [ -d "$(KNOWLEDGE_SOURCE)" ]; then \
		echo "Nạp danh mục thủ tục thật từ $(KNOWLEDGE_SOURCE)"; \
		$(BIN)/motcua --config $(DEMO_CONFIG) kb import $(KNOWLEDGE_SOURCE); \
	else \
		echo "Không thấy $(KNOWLEDGE_SOURCE): nạp bộ dữ liệu MẪU (demo) đi kèm dự án"; \
		$(BIN)/motcua --config $(DEMO_CONFIG) kb import $(DEMO_KB); \
	fi
	MOTCUA_DOSSIER_HASH_KEY=$(DEMO_HASH_KEY) $(BIN)/motcua --config $(DEMO_CONFIG) dossier import $(DEMO_KB)/dossiers.jsonl
	@echo "Hồ sơ MẪU để thử: /hoso 000.00.24.H57-261110-0003 ; /theodoi 000.00.24.H57-261116-0001 rồi gõ 0001"
	MOTCUA_DOSSIER_HASH_KEY=$(DEMO_HASH_KEY) $(BIN)/motcua --config $(DEMO_CONFIG) chat

lint: install
	$(BIN)/ruff check bot handlers knowledge jobs tests bench
	$(BIN)/ruff format --check bot handlers knowledge jobs tests bench

typecheck: install
	$(BIN)/mypy --strict -p bot -p handlers -p knowledge -p jobs

# The PostgreSQL tests start a private server from the distribution's binaries; install them if missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		echo "Installing the PostgreSQL server for the tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq postgresql >/dev/null; }

# The browser tests drive the distribution's headless Chromium (no browser download); install it if missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "Installing Chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# One test worker per core, at most four: each worker builds its own catalogue index and database servers.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); [ $$n -gt 4 ] && n=4; echo $$n)

unit: install postgres chromium
	$(BIN)/pytest -q --durations=15 -n $(TEST_WORKERS) --dist loadfile

test: lint typecheck unit

bench: install
	$(BIN)/python bench/search.py
	$(BIN)/python bench/throughput.py
	$(BIN)/python bench/dossiers.py
	$(BIN)/python bench/cards.py --source $(KNOWLEDGE_SOURCE)
	$(BIN)/python bench/web.py
	$(BIN)/python bench/web_chat.py

# Refit the search's weights and thresholds on tests/data (writes knowledge/ranker.json).
fit-search: install
	$(BIN)/python -m pip install --quiet -e ".[dev,fit]"
	$(BIN)/python bench/fit_search.py --source $(KNOWLEDGE_SOURCE)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
