package sdk

import (
	"errors"
	"testing"

	"github.com/runnel/runnel/pkg/client"
	"github.com/runnel/runnel/pkg/rpcerr"
)

// TestErrorCatalogue: for every code of the server's catalogue, the SDK parses the status a server
// sends back to the same code and message, and agrees on whether it is retriable.
func TestErrorCatalogue(t *testing.T) {
	for _, c := range rpcerr.All() {
		t.Run(c.Name, func(t *testing.T) {
			sent := rpcerr.New(c, "details for the user").GRPCStatus().Err()
			var e *client.Error
			if !errors.As(client.FromStatus(sent), &e) {
				t.Fatalf("no *client.Error from %v", sent)
			}
			if e.Code != c.Name || e.Message != "details for the user" {
				t.Fatalf("parsed code %q message %q", e.Code, e.Message)
			}
			if e.Retriable() != c.Retriable {
				t.Fatalf("SDK retriable %v, catalogue %v", e.Retriable(), c.Retriable)
			}
		})
	}
}
