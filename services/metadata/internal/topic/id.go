package topic

import (
	"crypto/rand"
	"fmt"
)

// NewID returns a random topic id in the UUID v4 text form. A topic deleted and created again
// gets a new id, so a stale reference to the old topic can be told apart.
func NewID() string {
	var b [16]byte
	rand.Read(b[:]) // never returns an error (crypto/rand's documented contract)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
