// Package api implements runnelv1.GatewayServiceServer, the gateway's public API, over the
// produce, consume, topics and groups packages. The same value serves gRPC and, in process, REST
// (grpc-gateway's RegisterGatewayServiceHandlerServer), so both count in the request metric
// runnel.gateway.requests {api, code} and the latency histogram runnel.gateway.request.latency
// {api, and acks for Produce}, and both return catalogue errors (*rpcerr.Error).
//
// Tracing: the HTTP server span of a REST call is renamed after the gRPC method
// ("runnel.v1.GatewayService/Produce") with its http.route. When the call's span is recorded,
// Consume and FetchGroupRecords make a child span "receive <topic>" / "receive" (kind consumer)
// linked to the trace contexts in the returned records' traceparent headers, each once, at most
// telemetry.MaxLinks.
package api
