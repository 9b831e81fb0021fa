"""JSON-RPC error codes. -326xx are JSON-RPC 2.0's own; -320xx are depind's,
stable so clients can branch on them."""

from __future__ import annotations

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

NOT_FOUND = -32001  # block, tx, account, provider or validator set does not exist
HEIGHT_UNAVAILABLE = -32002  # height above the latest or below the earliest stored
TX_REJECTED = -32003  # the tx was not admitted (broadcast_tx_commit)
TIMEOUT = -32004  # waiting for a commit timed out
SUBSCRIPTION = -32005  # subscribe/unsubscribe problems, or not on a WebSocket
REQUEST_TOO_LARGE = -32006  # body or batch over the configured limits
QUERY_FAILED = -32007  # the application rejected a query
EVIDENCE_REJECTED = -32008  # broadcast_evidence: invalid, stale, or no networked engine to take it
RESPONSE_TOO_LARGE = -32009  # the answer (or a batch's answers together) over max_response_bytes
NODE_UNAVAILABLE = -32010  # a relay (depind explorer's /rpc) could not reach the node, or not in time

MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
    NOT_FOUND: "Not found",
    HEIGHT_UNAVAILABLE: "Height unavailable",
    TX_REJECTED: "Tx rejected",
    TIMEOUT: "Timed out",
    SUBSCRIPTION: "Subscription error",
    REQUEST_TOO_LARGE: "Request too large",
    QUERY_FAILED: "Query failed",
    EVIDENCE_REJECTED: "Evidence rejected",
    RESPONSE_TOO_LARGE: "Response too large",
    NODE_UNAVAILABLE: "Node unavailable",
}


class RPCError(Exception):
    def __init__(self, code: int, data: str = "") -> None:
        super().__init__(data or MESSAGES[code])
        self.code = code
        self.data = data

    def to_json(self) -> dict[str, object]:
        error: dict[str, object] = {"code": self.code, "message": MESSAGES[self.code]}
        if self.data:
            error["data"] = self.data
        return error
