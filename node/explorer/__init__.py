"""The web explorer: static pages (web/) that read a node's JSON-RPC and WebSocket.

``site`` serves the pages and their ``config.json`` under /explorer/, mounted in the node's
JSON-RPC server (``[explorer] enabled``); ``standalone`` serves the same pages from a process
of its own (``depind explorer``) and relays their JSON-RPC and WebSocket to any node.
"""
