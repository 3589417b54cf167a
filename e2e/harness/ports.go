package harness

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// PortSpan is the width of a dev cluster's port range.
const PortSpan = 2000

// Port offsets `runnel dev` uses from its base (see the package doc).
const (
	gatewayHTTPOffset = 80
	gatewayGRPCOffset = 1090
	metadataOffset    = 100
	storageOffset     = 200
)

var (
	basesMu   sync.Mutex
	basesUsed = map[int]bool{} // bases handed out in this process and not yet released
	baseStart = rand.IntN(len(candidateBases()))
)

// candidateBases are 20000, 22000, … 58000.
func candidateBases() []int {
	var out []int
	for b := 20000; b+PortSpan <= 60000; b += PortSpan {
		out = append(out, b)
	}
	return out
}

// clusterPorts lists every fixed port a dev cluster with these node counts opens at base.
func clusterPorts(base, metadataNodes, storageNodes int) []int {
	ports := []int{base + gatewayHTTPOffset, base + gatewayGRPCOffset}
	for i := range metadataNodes {
		for j := range 4 {
			ports = append(ports, base+metadataOffset+10*i+j)
		}
	}
	for i := range storageNodes {
		ports = append(ports, base+storageOffset+10*i, base+storageOffset+10*i+1)
	}
	return ports
}

// ephemeralRange reads the kernel's ephemeral port range (outgoing connections take ports from
// it, so a base inside it may be raced); it falls back to Linux's default.
func ephemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil {
		return lo, hi
	}
	return l, h
}

// portsFree reports whether every port can be listened on at 127.0.0.1 right now.
func portsFree(ports []int) bool {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	for _, p := range ports {
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			return false
		}
		ls = append(ls, l)
	}
	return true
}

// acquireBase picks a free base not handed out already in this process; release gives it back.
// exclude lists bases to skip (ones that failed to start).
func acquireBase(metadataNodes, storageNodes int, exclude map[int]bool) (int, error) {
	basesMu.Lock()
	defer basesMu.Unlock()
	all := candidateBases()
	lo, hi := ephemeralRange()
	var first, second []int
	for i := range all {
		b := all[(baseStart+i)%len(all)]
		if b+PortSpan-1 < lo || b > hi {
			first = append(first, b)
		} else {
			second = append(second, b)
		}
	}
	for _, b := range append(first, second...) {
		if basesUsed[b] || exclude[b] {
			continue
		}
		if portsFree(clusterPorts(b, metadataNodes, storageNodes)) {
			basesUsed[b] = true
			return b, nil
		}
	}
	return 0, fmt.Errorf("no free port base among %v", all)
}

func releaseBase(b int) {
	basesMu.Lock()
	defer basesMu.Unlock()
	delete(basesUsed, b)
}
