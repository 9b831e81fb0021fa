"""Signature checks paid once: a message is verified when it is screened for gossip
relay, again when its owner admits it, and again when the machine counts it."""

from __future__ import annotations

from collections import OrderedDict

from consensus.tendermint.messages import Verify

DEFAULT_CAPACITY = 16_384  # a few heights of votes from a large validator set


class VerifyCache:
    """``Verify`` that remembers the last ``capacity`` good signatures.

    Only successes are kept: a bad signature is checked again each time, and each
    time costs its sender (the driver reports it), so caching failures would only
    let a peer fill the cache."""

    def __init__(self, verify: Verify, capacity: int = DEFAULT_CAPACITY) -> None:
        self._verify = verify
        self._capacity = capacity
        self._good: OrderedDict[tuple[bytes, bytes, bytes], None] = OrderedDict()
        self.checks = 0  # signatures actually verified, for tests and benchmarks

    def __call__(self, pub_key: bytes, message: bytes, signature: bytes) -> bool:
        key = (pub_key, message, signature)
        if key in self._good:
            self._good.move_to_end(key)
            return True
        self.checks += 1
        if not self._verify(pub_key, message, signature):
            return False
        self._good[key] = None
        if len(self._good) > self._capacity:
            self._good.popitem(last=False)
        return True
