package rest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/runnel/runnel/gen/openapi"
	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// DefaultMaxRequestBytes is the default body limit.
const DefaultMaxRequestBytes = 64 << 20

// Options configure the handler.
type Options struct {
	// MaxRequestBytes limits a request body (default 64 MiB).
	MaxRequestBytes int64
}

// Handler is the REST API.
type Handler struct {
	mux *runtime.ServeMux
	max int64
}

// NewHandler returns the REST handler over srv.
func NewHandler(ctx context.Context, srv runnelv1.GatewayServiceServer, opts Options) (*Handler, error) {
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = DefaultMaxRequestBytes
	}
	h := &Handler{max: opts.MaxRequestBytes}
	h.mux = runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, Marshaler()),
		runtime.WithErrorHandler(h.handleError),
		runtime.WithRoutingErrorHandler(h.handleRoutingError),
	)
	if err := runnelv1.RegisterGatewayServiceHandlerServer(ctx, h.mux, srv); err != nil {
		return nil, fmt.Errorf("rest: register: %w", err)
	}
	return h, nil
}

// Marshaler is the JSON marshaler of the REST API.
func Marshaler() *runtime.JSONPb {
	return &runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitDefaultValues: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}
}

// bodyKey keys the request's *limitedBody in its context.
type bodyKey struct{}

// limitedBody reads at most a limit and remembers whether the body went past it.
type limitedBody struct {
	io.ReadCloser
	tooLarge bool
}

func (b *limitedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		b.tooLarge = true
	}
	return n, err
}

// ServeHTTP serves /openapi.json and the API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/openapi.json" {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeStatus(w, Marshaler(), routeError(codes.Unimplemented,
				"%s is not allowed on /openapi.json; use GET", r.Method), http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(openapi.JSON)
		return
	}
	if r.ContentLength > h.max {
		e := h.tooLarge()
		writeStatus(w, Marshaler(), e.GRPCStatus(), e.Code.HTTP)
		return
	}
	lb := &limitedBody{ReadCloser: http.MaxBytesReader(w, r.Body, h.max)}
	r.Body = lb
	h.mux.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, lb)))
}

func (h *Handler) tooLarge() *rpcerr.Error {
	return rpcerr.New(rpcerr.MessageTooLarge,
		"the request body is larger than %d bytes (the gateway's --max-request-bytes); send fewer or smaller records per request", h.max)
}

// handleError is the mux's error handler.
func (h *Handler) handleError(ctx context.Context, _ *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	e := h.classify(r, err)
	writeStatus(w, m, e.GRPCStatus(), e.Code.HTTP)
}

// classify turns any error reaching the handler into a catalogue error.
func (h *Handler) classify(r *http.Request, err error) *rpcerr.Error {
	if lb, ok := r.Context().Value(bodyKey{}).(*limitedBody); ok && lb.tooLarge {
		return h.tooLarge()
	}
	var e *rpcerr.Error
	if errors.As(err, &e) {
		return e
	}
	st := status.Convert(err)
	if st.Code() == codes.InvalidArgument && !fromRunnel(st) {
		return rpcerr.New(rpcerr.InvalidRequest, "%s", inputHint(st.Message()))
	}
	return rpcerr.FromStatus(err).(*rpcerr.Error)
}

// fromRunnel reports whether a status was made by the catalogue.
func fromRunnel(st *status.Status) bool {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetDomain() == rpcerr.Domain {
			return true
		}
	}
	name, _, ok := strings.Cut(st.Message(), ": ")
	if ok {
		_, ok = rpcerr.Lookup(name)
	}
	return ok
}

// inputHint explains an input error of grpc-gateway and says what to do.
func inputHint(msg string) string {
	switch {
	case strings.HasPrefix(msg, "type mismatch, parameter:"), strings.HasPrefix(msg, "missing parameter"):
		return "a value in the URL path is not valid (" + msg + "); partitions are numbers, e.g. /v1/topics/orders/partitions/0/records"
	case strings.HasPrefix(msg, "parsing field"), strings.Contains(msg, "query"):
		return "a query parameter is not valid (" + msg + "); offset, max_records, max_wait_ms and max_bytes are numbers"
	}
	return "the request body is not valid JSON for this call (" + msg + "); send a JSON object with the documented fields (see /openapi.json), text in key/value and binary as base64 in key_base64/value_base64"
}

// handleRoutingError answers unknown routes (404), known routes with another method (405) and
// malformed paths (400).
func (h *Handler) handleRoutingError(_ context.Context, _ *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
	switch httpStatus {
	case http.StatusNotFound:
		writeStatus(w, m, routeError(codes.NotFound,
			"there is no API at %s %s; the REST API is described at /openapi.json", r.Method, r.URL.Path), httpStatus)
	case http.StatusMethodNotAllowed:
		writeStatus(w, m, routeError(codes.Unimplemented,
			"%s is not allowed on %s; the methods of each path are described at /openapi.json", r.Method, r.URL.Path), httpStatus)
	default:
		writeStatus(w, m, routeError(codes.InvalidArgument,
			"the path %q is not valid; the REST API is described at /openapi.json", r.URL.Path), http.StatusBadRequest)
	}
}

// routeError is an INVALID_REQUEST status with another gRPC code.
func routeError(c codes.Code, format string, args ...any) *status.Status {
	p := rpcerr.New(rpcerr.InvalidRequest, format, args...).GRPCStatus().Proto()
	p.Code = int32(c)
	return status.FromProto(p)
}

// writeStatus writes grpc-gateway's error body.
func writeStatus(w http.ResponseWriter, m runtime.Marshaler, st *status.Status, httpStatus int) {
	buf, err := m.Marshal(st.Proto())
	if err != nil {
		buf = []byte(`{"code":13,"message":"UNKNOWN_SERVER_ERROR: the error could not be encoded","details":[]}`)
	}
	w.Header().Del("Trailer")
	w.Header().Del("Transfer-Encoding")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(buf)
}
