# One command for each habit. The README's two commands are bin/run and bin/test.
.PHONY: run test lint format bench

run:
	bin/run

test:
	bin/test

lint:
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

format:
	.venv/bin/ruff check --fix .
	.venv/bin/ruff format .

bench:
	.venv/bin/python -m bench.run
