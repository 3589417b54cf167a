// Package rest serves the gateway's REST/JSON API: grpc-gateway's ServeMux over the in-process
// GatewayService (no second gRPC hop), the OpenAPI document at /openapi.json, and errors shaped as
// grpc-gateway's body {"code", "message", "details"}.
//
// Contract:
//   - JSON field names are the proto names; unset fields are written with their default values,
//     except proto3 optional fields (e.g. a produce result's offset), which are left out when
//     unset. Unknown fields in a request body are refused.
//   - Every error's HTTP status is the catalogue's (rpcerr Code.HTTP) and its message starts with
//     the catalogue name. Input grpc-gateway rejects before the API sees it (malformed JSON, bad
//     base64, a path or query value of the wrong type such as partition "x") becomes
//     INVALID_REQUEST 400 with a hint of what to fix.
//   - A body over MaxRequestBytes is refused with 413 MESSAGE_TOO_LARGE (by its Content-Length
//     before reading, or when reading passes the limit).
//   - An unknown route is 404 and a known route with another method 405, both with a JSON error
//     body whose message starts with INVALID_REQUEST. A user's mistake is never a 500.
package rest
