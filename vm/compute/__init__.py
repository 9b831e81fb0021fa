"""compute: proof of useful work on chain. Jobs on market leases, results, verifier
committees sampled from the beacon, attestations, fraud proofs, attestation disputes,
verdicts and what follows them: payment, PoUW rewards, slashing of providers and of
validators; and capacity challenges, the jobs by which the chain measures providers'
throughput (docs/compute.md)."""
