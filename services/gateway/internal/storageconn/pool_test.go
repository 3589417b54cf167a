package storageconn

import (
	"errors"
	"testing"
)

func TestPoolReusesAndCloses(t *testing.T) {
	p := New()
	a, err := p.Client("127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := p.Client("127.0.0.1:1")
	c, _ := p.Client("127.0.0.1:2")
	if a != b {
		t.Error("the same address got two clients")
	}
	if a == c {
		t.Error("two addresses share a client")
	}
	if len(p.conns) != 2 {
		t.Errorf("%d connections, want 2", len(p.conns))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := p.Client("127.0.0.1:1"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Client after Close = %v, want ErrClosed", err)
	}
}
