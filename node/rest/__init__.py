"""REST: the Cosmos SDK's LCD paths (grpc-gateway style, proto3 JSON) over the node's
gRPC services (node/services.py) and the application's gRPC queries."""
