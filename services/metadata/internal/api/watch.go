package api

import (
	"google.golang.org/grpc"

	runnelv1 "github.com/runnel/runnel/gen/runnel/v1"
)

// Watch streams a reset snapshot, then every change.
func (s *Service) Watch(_ *runnelv1.WatchRequest, stream grpc.ServerStreamingServer[runnelv1.WatchResponse]) error {
	ctx, cancel := s.streamContext(stream.Context())
	defer cancel()
	err := s.st.Watch(ctx, stream.Send)
	if ctx.Err() != nil {
		return s.streamEnd(stream.Context())
	}
	return storeErr(err, "watch the cluster state")
}
