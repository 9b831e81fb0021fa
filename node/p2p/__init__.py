"""Peer-to-peer networking over py-libp2p: node key, settings, gossip, direct streams.

libp2p 0.8.1 imports ``websockets.legacy`` (for its WebSocket transport, which we
do not use) and so warns at import time; that would fail any run with warnings
as errors. The import below is the first import of libp2p through this package,
so the one known warning is silenced here and nowhere else.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    import libp2p  # noqa: F401
