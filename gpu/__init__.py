"""depind's verifiable compute library; it knows nothing of the chain.

hardware  NVML discovery            prng      counter-based PRNG for seeded inputs
backend   NumPy / CuPy backends     jobs      job specs, validation, digest, plans
run       exact execution           reference the int64 reference of every kind
commit    row Merkle tree, roots    verify    Freivalds' check, verdicts
fraud     fraud proofs              recompute single entries and rows, exactly
audit     sampled-row audits        capacity  proof of capacity, GEMM throughput
energy    NVML energy per job       results   result folders on disk
errors    the exceptions it raises

The protocol and its bounds: docs/pouw.md.
"""
