"""Moving a job's outputs from the provider that computed them to the verifiers that check them,
and a job's supplied inputs from its requester to the provider and the verifiers.

- ``server``: the provider's output server, ``GET /outputs/{result_root}`` by byte ranges, over
  result folders (gpu/results.py) published under their result roots;
- ``fetch``: a verifier downloads a result's outputs into a file, bounded in size, time and
  memory, and accepts them only if they hash to the committed root;
- ``check``: Freivalds' check of the downloaded file under the verifier's own challenge seed,
  and what its attestation (or fraud proof) needs;
- ``inputs``: a job's supplied tensors (not on chain) in one binary form, uploaded by the
  requester, fetched and checked against the job's header by the verifier;
- ``input_store``: the provider's store of uploaded inputs (``PUT`` / ``GET /inputs/{header
  digest}``), bounded in count, bytes and age, and those claimed by its jobs.

docs/pouw.md ("Serving outputs") specifies the endpoint.
"""
