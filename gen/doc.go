// Package gen is the root of Runnel's generated code: runnel/v1 holds the protobuf messages, the
// gRPC services and the grpc-gateway REST handlers generated from proto/runnel/v1 by `make
// generate`; openapi holds the OpenAPI document of the REST API. Nothing here is edited by hand
// except this file and openapi/embed.go.
package gen
