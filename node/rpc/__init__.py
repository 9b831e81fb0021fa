"""JSON-RPC 2.0 server (CometBFT method names and shapes) and its presentation."""
