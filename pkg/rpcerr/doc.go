// Package rpcerr is Runnel's one error catalogue: every error a user can see, named as Kafka names
// it, with its Kafka error number, whether a client may retry it, its gRPC code and its HTTP status.
//
// Errors travel in three layers. Packages keep their own sentinels; at a service boundary they are
// turned into an *Error from this catalogue (New, Wrap); on the wire an *Error is a gRPC status whose
// message starts with the code's name ("NOT_ENOUGH_REPLICAS: …") and which carries a
// google.rpc.ErrorInfo detail with Reason = the name and Domain = "runnel". FromStatus turns such a
// status back into an *Error, so errors.Is(err, rpcerr.NotEnoughReplicas) works on both sides of a
// gRPC call. The gateway uses HTTPStatus for REST responses.
package rpcerr
