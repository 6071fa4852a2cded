# The two commands of the README: `make demo` and `make test`.
.PHONY: setup demo test lint unit bench wheel clean
VENV := .venv/bin

setup:
	bash scripts/setup.sh

demo: setup
	$(VENV)/python -m alived.demo

lint: setup
	$(VENV)/ruff check src tests bench
	$(VENV)/ruff format --check src tests bench
	$(VENV)/mypy --strict src

test: lint
	$(VENV)/python -m pytest -q -p no:cacheprovider tests

unit: setup
	$(VENV)/python -m pytest -q -p no:cacheprovider tests/unit tests/property tests/sim

bench: setup
	$(VENV)/python bench/run_all.py

# dist/alived-VERSION-py3-none-any.whl, offline (docs/packaging.md); a fresh build/ so that no
# module removed from src/ lingers in the wheel.
wheel: setup
	rm -rf build
	$(VENV)/python -m pip wheel -q --no-deps --no-build-isolation -w dist .

clean:
	rm -rf .venv build dist src/*.egg-info
