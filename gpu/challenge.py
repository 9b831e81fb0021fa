"""Challenge seeds and Freivalds' vectors, bound to a result and to its verifier.

No NumPy: the chain imports this module to recompute a verifier's vector r when it judges a
dispute of an attestation.

Freivalds' check is sound only if the provider cannot predict r when it commits: knowing r, it
could commit any C' with (C' - C) r = 0 (a row error with entries in {-1, 0, 1} that passes three
known rounds is found in about a second at n = 16384). So each verifier's seed is

    seed = SHA-256("depind/pouw/challenge/v1" || result_root || len(verifier) (1 byte)
                   || verifier || beacon)

- `result_root` (32 bytes) binds the seed to the committed result: a seed for one result says
  nothing about the vectors of another, so the provider cannot grind its outputs against it;
- `verifier` (0 to 64 bytes: the verifier's address on chain) gives each committee member its own
  vectors, so one member's C r cannot be copied by another;
- `beacon` (32 bytes) is the chain's beacon value at a height after the block that put the result
  root on chain (docs/beacon.md). Every beacon value is mixed from reveals that did not exist
  when the result was committed, so the provider cannot know r before its commitment is final;
  a proposer colluding with it can only withhold blocks, which buys one bit of choice per
  withheld slot, against a pass probability of 2^-20 per round (2^-60 at the minimum 3 rounds).

Vector k of output t is bytes 4 N k .. 4 N (k + 1) - 1 of SHAKE-256("depind/pouw/freivalds/v1"
|| seed || t as 4 bytes big-endian), read as N little-endian 32-bit words masked to 20 bits:
uniform on [0, 2^20), and the same whatever the number of rounds.
"""

import hashlib

from gpu.merkle import Digest

CHALLENGE_TAG = b"depind/pouw/challenge/v1"
FREIVALDS_TAG = b"depind/pouw/freivalds/v1"
FREIVALDS_BITS = 20
MIN_ROUNDS = 3  # 2^-60 per check; chain parameters must not go below it
MAX_ROUNDS = 16
SEED_BYTES = 32
BEACON_BYTES = 32
MAX_VERIFIER_BYTES = 64


def derive_challenge_seed(result_root: Digest, verifier: bytes, beacon: bytes) -> bytes:
    """The verifier's challenge seed for a result (see the module docstring)."""
    if len(result_root) != 32:
        raise ValueError(f"a result root is 32 bytes, not {len(result_root)}")
    if len(verifier) > MAX_VERIFIER_BYTES:
        raise ValueError(f"a verifier identity is at most {MAX_VERIFIER_BYTES} bytes, not {len(verifier)}")
    if len(beacon) != BEACON_BYTES:
        raise ValueError(f"a beacon value is {BEACON_BYTES} bytes, not {len(beacon)}")
    framed = len(verifier).to_bytes(1, "big") + verifier
    return hashlib.sha256(CHALLENGE_TAG + result_root + framed + beacon).digest()


def check_rounds(rounds: int) -> None:
    if not MIN_ROUNDS <= rounds <= MAX_ROUNDS:
        raise ValueError(f"Freivalds rounds must be {MIN_ROUNDS} to {MAX_ROUNDS}, not {rounds}")


def vector_stream(seed: bytes, tensor: int, length: int, rounds: int) -> bytes:
    """The bytes of vectors 0 .. rounds - 1 of output `tensor`: 4 * length * rounds of them."""
    if len(seed) != SEED_BYTES:
        raise ValueError(f"a challenge seed is {SEED_BYTES} bytes, not {len(seed)}")
    xof = hashlib.shake_256(FREIVALDS_TAG + seed + tensor.to_bytes(4, "big"))
    return xof.digest(4 * length * rounds)


def challenge_vector(seed: bytes, tensor: int, length: int, round_index: int) -> list[int]:
    """Vector number `round_index` of output `tensor`, `length` entries in [0, 2^20)."""
    data = vector_stream(seed, tensor, length, round_index + 1)[4 * length * round_index :]
    mask = (1 << FREIVALDS_BITS) - 1
    return [int.from_bytes(data[4 * j : 4 * j + 4], "little") & mask for j in range(length)]
