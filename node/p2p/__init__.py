"""Peer-to-peer networking over py-libp2p: node key, settings, gossip, direct streams.

libp2p 0.8.1 imports ``websockets.legacy`` (for its WebSocket transport, which we
do not use), and that module warns once, when it is first imported; the warning
would fail any run with warnings as errors. Python runs this file before any
module of the package, so importing ``websockets.legacy`` here, with that one
warning silenced, means that libp2p later finds it already imported and nothing
warns, whichever module imports libp2p first. libp2p itself (about a second to
import) is left to the modules that use it: ``node.p2p.config`` needs only
``multiaddr``, so loading config.toml does not import libp2p.
"""

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="websockets.legacy is deprecated", category=DeprecationWarning)
    import websockets.legacy  # noqa: F401
