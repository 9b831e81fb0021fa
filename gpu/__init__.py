"""depind's verifiable compute library; it knows nothing of the chain.

hardware  NVML discovery            prng         counter-based PRNG for seeded inputs (NumPy)
backend   NumPy / CuPy backends     jobs         job specs, validation, input roots, plans
run       exact execution           reference    the int64 reference of every kind
commit    chunked commitments       hash_kernels compiled keyed BLAKE3 for chunks and nodes
verify    Freivalds' check          recompute    entries and rows, streamed, exactly
fraud     building fraud proofs     audit        sampled-row audits
capacity  proof of capacity         energy       NVML energy per job
results   result folders on disk    errors       the exceptions it raises

What the chain imports (pure Python integers: no NumPy, floats, clocks, randomness or I/O):

onchain      fraud-proof and attestation-dispute checks
header       job headers (supplied data as Merkle roots), digests, the integer layout of a job
merkle       the chunked Merkle tree, range openings
proofs       fraud proofs, attestations, openings, disputes, and their binary encoding
challenge    challenge seeds bound to result, verifier and beacon; Freivalds' vectors
attestation  the commitment to a verifier's C r
prng_scalar  the PRNG's scalar reference

The protocol and its bounds: docs/pouw.md.
"""
