package telemetry

import (
	"context"
	"net/http"
	"strings"
)

// spanNameKey keys the request's *spanName in its context (WrapHTTP).
type spanNameKey struct{}

// spanName is the name a handler chose for its request's span. The handler writes it and the
// formatter reads it after the handler returned, on the request's goroutine.
type spanName struct{ name string }

// NameHTTPSpan names the server span of the HTTP request ctx belongs to (a handler wrapped by
// WrapHTTP), e.g. after its router found the operation; the name applies when the request ends.
// It reports false outside such a request.
func NameHTTPSpan(ctx context.Context, name string) bool {
	n, ok := ctx.Value(spanNameKey{}).(*spanName)
	if ok {
		n.name = name
	}
	return ok
}

// httpSpanName is the otelhttp span name formatter: the handler's name, else "METHOD pattern",
// else the method.
func httpSpanName(_ string, r *http.Request) string {
	if n, ok := r.Context().Value(spanNameKey{}).(*spanName); ok && n.name != "" {
		return n.name
	}
	if r.Pattern == "" {
		return r.Method
	}
	if _, path, ok := strings.Cut(r.Pattern, " "); ok {
		return r.Method + " " + path
	}
	return r.Method + " " + r.Pattern
}
