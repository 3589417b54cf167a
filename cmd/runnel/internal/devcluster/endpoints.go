package devcluster

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
)

// Endpoints is the endpoints file of `runnel dev --endpoints-file` (its shape is fixed by API.md).
type Endpoints struct {
	REST     string            `json:"rest"`
	GRPC     string            `json:"grpc"`
	Metadata []Service[string] `json:"metadata"`
	Storage  []Service[int]    `json:"storage"`
	Gateway  []Service[string] `json:"gateway"`
}

// Service is one running child: its addresses, pid and exact command line.
type Service[ID string | int] struct {
	ID   ID       `json:"id"`
	GRPC string   `json:"grpc"`
	HTTP string   `json:"http"`
	PID  int      `json:"pid"`
	Argv []string `json:"argv"`
}

// NewEndpoints describes plan p whose children run with the given pids (keyed by Child.Name()).
func NewEndpoints(p Plan, pids map[string]int) Endpoints {
	e := Endpoints{
		REST:     p.REST,
		GRPC:     p.GRPC,
		Metadata: []Service[string]{},
		Storage:  []Service[int]{},
		Gateway:  []Service[string]{},
	}
	for _, c := range p.Metadata {
		e.Metadata = append(e.Metadata, Service[string]{c.ID, c.GRPC, c.HTTP, pids[c.Name()], c.Argv})
	}
	for _, c := range p.Storage {
		e.Storage = append(e.Storage, Service[int]{c.NodeID, c.GRPC, c.HTTP, pids[c.Name()], c.Argv})
	}
	for _, c := range p.Gateway {
		e.Gateway = append(e.Gateway, Service[string]{c.ID, c.GRPC, c.HTTP, pids[c.Name()], c.Argv})
	}
	return e
}

// WriteFile writes e as indented JSON to path atomically: a temp file in the same directory,
// fsynced, then renamed over path.
func (e Endpoints) WriteFile(path string) (err error) {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("endpoints file: %w", err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("endpoints file: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return fmt.Errorf("endpoints file: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("endpoints file: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("endpoints file: %w", err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("endpoints file: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("endpoints file: %w", err)
	}
	return nil
}

// Print writes the endpoints for a person to read.
func (e Endpoints) Print(w io.Writer, logDir string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "REST\t%s\n", e.REST)
	fmt.Fprintf(tw, "gRPC\t%s\n", e.GRPC)
	fmt.Fprintf(tw, "\nSERVICE\tID\tGRPC\tHTTP\tPID\n")
	for _, s := range e.Metadata {
		fmt.Fprintf(tw, "metadata\t%s\t%s\t%s\t%d\n", s.ID, s.GRPC, s.HTTP, s.PID)
	}
	for _, s := range e.Storage {
		fmt.Fprintf(tw, "storage\t%d\t%s\t%s\t%d\n", s.ID, s.GRPC, s.HTTP, s.PID)
	}
	for _, s := range e.Gateway {
		fmt.Fprintf(tw, "gateway\t%s\t%s\t%s\t%d\n", s.ID, s.GRPC, s.HTTP, s.PID)
	}
	fmt.Fprintf(tw, "\nlogs\t%s\n", logDir)
	return tw.Flush()
}
