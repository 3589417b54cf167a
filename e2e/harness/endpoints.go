package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Endpoints is the JSON `runnel dev --endpoints-file` writes (API.md).
type Endpoints struct {
	REST     string        `json:"rest"` // e.g. "http://127.0.0.1:8080"
	GRPC     string        `json:"grpc"` // e.g. "127.0.0.1:9090"
	Metadata []NamedNode   `json:"metadata"`
	Storage  []StorageNode `json:"storage"`
	Gateway  []NamedNode   `json:"gateway"`
}

// NamedNode is a metadata or gateway process ("m1", "g1").
type NamedNode struct {
	ID   string   `json:"id"`
	GRPC string   `json:"grpc"`
	HTTP string   `json:"http"`
	PID  int      `json:"pid"`
	Argv []string `json:"argv"`
}

// StorageNode is a storage process; its id is the node id partitions name.
type StorageNode struct {
	ID   int32    `json:"id"`
	GRPC string   `json:"grpc"`
	HTTP string   `json:"http"`
	PID  int      `json:"pid"`
	Argv []string `json:"argv"`
}

// readEndpoints parses the endpoints file and checks the fields the harness relies on.
func readEndpoints(path string) (*Endpoints, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var ep Endpoints
	if err := json.Unmarshal(b, &ep); err != nil {
		return nil, fmt.Errorf("endpoints file %s: %w (content %q)", path, err, b)
	}
	switch {
	case !strings.HasPrefix(ep.REST, "http://"):
		return nil, fmt.Errorf("endpoints file %s: rest %q is not an http:// URL", path, ep.REST)
	case ep.GRPC == "":
		return nil, fmt.Errorf("endpoints file %s: no grpc address", path)
	case len(ep.Metadata) == 0 || len(ep.Storage) == 0 || len(ep.Gateway) == 0:
		return nil, fmt.Errorf("endpoints file %s: metadata, storage and gateway lists must not be empty", path)
	}
	for _, s := range ep.Storage {
		if s.PID <= 0 || len(s.Argv) == 0 || s.HTTP == "" {
			return nil, fmt.Errorf("endpoints file %s: storage node %d lacks pid, argv or http", path, s.ID)
		}
	}
	return &ep, nil
}

// pids lists every child pid in the endpoints.
func (ep *Endpoints) pids() []int {
	var out []int
	for _, n := range ep.Metadata {
		out = append(out, n.PID)
	}
	for _, n := range ep.Storage {
		out = append(out, n.PID)
	}
	for _, n := range ep.Gateway {
		out = append(out, n.PID)
	}
	return out
}

// StorageByID returns the storage node with this id.
func (ep *Endpoints) StorageByID(id int32) (StorageNode, bool) {
	for _, s := range ep.Storage {
		if s.ID == id {
			return s, true
		}
	}
	return StorageNode{}, false
}

// MetadataByID returns the metadata node with this id ("m1").
func (ep *Endpoints) MetadataByID(id string) (NamedNode, bool) {
	for _, m := range ep.Metadata {
		if m.ID == id {
			return m, true
		}
	}
	return NamedNode{}, false
}
