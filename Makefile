# Developer shortcuts; CI runs the README's test command (.ci/run).
.PHONY: test lint format bench proto

test:
	uv run --locked pytest

lint:
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy

format:
	uv run ruff format .
	uv run ruff check --fix .

proto:  # regenerate protos/ from proto/ (tests/test_proto.py checks it was done)
	uv run python scripts/gen_proto.py

bench:
	uv run python scripts/bench_throughput.py
	uv run python scripts/bench_state_commit.py
	uv run python scripts/bench_rpc_load.py
	uv run python scripts/bench_verify.py --sizes 1024 2048 4096 8192 --repeat 7
	uv run python scripts/bench_network.py throughput --rate 1000 --txs 60000
	uv run python scripts/bench_network.py interval --blocks 30
