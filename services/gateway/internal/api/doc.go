// Package api implements runnelv1.GatewayServiceServer, the gateway's public API, over the
// produce, consume, topics and groups packages. The same value serves gRPC and, in process, REST
// (grpc-gateway's RegisterGatewayServiceHandlerServer), so both count in the request metric
// runnel.gateway.requests {api, code} and both return catalogue errors (*rpcerr.Error).
package api
