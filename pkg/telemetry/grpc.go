package telemetry

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"google.golang.org/grpc/stats"
)

// LongLivedMethods are the gRPC methods ServerOptions and DialOptions leave uninstrumented (no
// span, no rpc.* metrics): streams that live as long as a node (a span would last for days and
// its duration says nothing) and the health service (probes every few seconds would each make
// a trace). Replication is traced per applied batch instead (the follower's replicate.apply
// spans).
var LongLivedMethods = []string{
	"/runnel.v1.MetadataService/Watch",
	"/runnel.v1.MetadataService/NodeSession",
	"/runnel.v1.StorageService/Replicate",
	"/grpc.health.v1.Health/Check",
	"/grpc.health.v1.Health/Watch",
	"/grpc.health.v1.Health/List",
}

// Instrumented reports whether ServerOptions and DialOptions trace and measure a gRPC method
// (a full name such as "/runnel.v1.StorageService/Append").
func Instrumented(fullMethod string) bool {
	for _, m := range LongLivedMethods {
		if fullMethod == m {
			return false
		}
	}
	return true
}

func instrumented(info *stats.RPCTagInfo) bool { return Instrumented(info.FullMethodName) }

// checkSampler refuses OTEL_TRACES_SAMPLER values the SDK does not implement and a bad
// OTEL_TRACES_SAMPLER_ARG for the ratio samplers (the SDK would only log them and fall back).
func checkSampler() error {
	name := strings.ToLower(strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(os.Getenv("OTEL_TRACES_SAMPLER_ARG"))
	switch name {
	case "", "always_on", "always_off", "parentbased_always_on", "parentbased_always_off":
		return nil
	case "traceidratio", "parentbased_traceidratio":
		if arg == "" {
			return nil // ratio 1
		}
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1 {
			return fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER_ARG=%q: want a ratio between 0 and 1, e.g. 0.01", arg)
		}
		return nil
	}
	return fmt.Errorf("telemetry: OTEL_TRACES_SAMPLER=%q is not supported (use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio)", name)
}
