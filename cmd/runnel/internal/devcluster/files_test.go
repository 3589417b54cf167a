package devcluster

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestFindBinaries(t *testing.T) {
	names := []string{"runnel-metadata", "runnel-storage", "runnel-gateway"}
	for _, tc := range []struct {
		name    string
		inDir   []string // created next to runnel
		onPath  []string // created in a PATH directory
		missing string   // "" = all found
	}{
		{"all next to runnel", names, nil, ""},
		{"all on PATH", nil, names, ""},
		{"mixed", names[:1], names[1:], ""},
		{"gateway missing", names[:2], nil, "runnel-gateway"},
		{"none", nil, nil, "runnel-metadata"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, pathDir := t.TempDir(), t.TempDir()
			t.Setenv("PATH", pathDir)
			for _, n := range tc.inDir {
				writeExecutable(t, filepath.Join(dir, n))
			}
			for _, n := range tc.onPath {
				writeExecutable(t, filepath.Join(pathDir, n))
			}
			b, err := FindBinaries(dir)
			if tc.missing != "" {
				if !errors.Is(err, ErrBinaryNotFound) || !strings.Contains(err.Error(), tc.missing) ||
					!strings.Contains(err.Error(), "make build") {
					t.Fatalf("err = %v, want ErrBinaryNotFound naming %s and make build", err, tc.missing)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, got := range []string{b.Metadata, b.Storage, b.Gateway} {
				if !filepath.IsAbs(got) || filepath.Base(got) != names[i] {
					t.Errorf("%s found at %s", names[i], got)
				}
			}
		})
	}
}

func writeExecutable(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

func TestCheckPortsNamesTakenPort(t *testing.T) {
	cfg := testConfig(t, 1)
	c, err := cfg.WithDefaults()
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(c)
	if err != nil {
		t.Fatal(err)
	}
	port := cfg.PortBase + 80
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = CheckPorts(p)
	if !errors.Is(err, ErrPortInUse) || !strings.Contains(err.Error(), "port "+strconv.Itoa(port)+" (gateway g1 HTTP") {
		t.Fatalf("CheckPorts = %v, want ErrPortInUse naming port %d", err, port)
	}
	if _, err := Start(t.Context(), cfg); !errors.Is(err, ErrPortInUse) {
		t.Fatalf("Start = %v, want ErrPortInUse", err)
	}
}

func TestLayoutRecord(t *testing.T) {
	for _, tc := range []struct {
		name           string
		first, second  Config
		wantErrContain string
	}{
		{"same layout", Config{PortBase: 8000, MetadataNodes: 3}, Config{PortBase: 8000, MetadataNodes: 3}, ""},
		{"one metadata node moves", Config{PortBase: 8000, MetadataNodes: 1}, Config{PortBase: 9000, MetadataNodes: 1}, ""},
		{"three metadata nodes move", Config{PortBase: 8000, MetadataNodes: 3}, Config{PortBase: 9000, MetadataNodes: 3}, "--port-base 8000"},
		{"metadata count changes", Config{PortBase: 8000, MetadataNodes: 1}, Config{PortBase: 8000, MetadataNodes: 3}, "--metadata-nodes 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.first.DataDir, tc.second.DataDir = dir, dir
			if err := checkLayoutRecord(tc.first); err != nil {
				t.Fatalf("fresh dir: %v", err)
			}
			if err := writeLayoutRecord(tc.first); err != nil {
				t.Fatal(err)
			}
			err := checkLayoutRecord(tc.second)
			if tc.wantErrContain == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tc.wantErrContain) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErrContain)
			}
		})
	}
}
