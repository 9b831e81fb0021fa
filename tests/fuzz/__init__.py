"""Coverage-guided fuzzing of every decoder that takes bytes from outside the node.

Each module of ``tests/fuzz/targets`` is one target: ``fuzz_one(data)`` feeds the
bytes to the real decoder (and to the checks that run on what it decodes, before
any state is touched) and returns quietly when the decoder rejects them in its
documented way (an ``InvalidTx`` subclass, ``BadMessage``, ``GenesisError``, a
JSON-RPC error object, ...). Anything else escapes: an exception of another type,
a broken invariant (``Finding``), a hang or a crash, and atheris reports it with
the input that caused it. ``seeds()`` gives valid encodings made by the project's
own encoders; they are committed under ``tests/fuzz/corpus/<target>/`` together
with every input that once found a bug, so each run starts from them and
``test_fuzz.py`` replays them all.

Run with ``uv run python -m tests.fuzz run [--target T] [--iterations N] [--seconds S]``
(docs/reliability.md). The runner instruments the project's packages
(``atheris.instrument_imports``) before it imports a target, so nothing here may
import them at module level.
"""
