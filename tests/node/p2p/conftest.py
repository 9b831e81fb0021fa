"""Import node.p2p before any test module imports libp2p itself.

node/p2p/__init__.py silences the one DeprecationWarning libp2p 0.8.1 raises at
import time (websockets.legacy); with ``filterwarnings = error`` a test module
that imported libp2p first would fail at collection.
"""

import node.p2p  # noqa: F401
