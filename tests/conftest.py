"""Shared by every test: ``node.p2p`` first, so that a test module importing libp2p
directly finds ``websockets.legacy`` already imported with its deprecation warning
silenced (warnings are errors here; see node/p2p/__init__.py)."""

import node.p2p  # noqa: F401
