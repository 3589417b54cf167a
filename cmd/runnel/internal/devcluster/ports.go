package devcluster

import (
	"errors"
	"fmt"
	"net"
	"strconv"
)

// ErrPortInUse is wrapped by CheckPorts when a planned port is taken.
var ErrPortInUse = errors.New("port in use")

// CheckPorts verifies that every port of the plan can be bound on 127.0.0.1 right now, naming the
// first one that cannot.
func CheckPorts(p Plan) error {
	for _, c := range p.Children() {
		for _, port := range c.Ports {
			ln, err := net.Listen("tcp", net.JoinHostPort(loopback, strconv.Itoa(port.Port)))
			if err != nil {
				return fmt.Errorf("%w: port %d (%s) cannot be bound: %v; is another `runnel dev` running? "+
					"choose another --port-base", ErrPortInUse, port.Port, port.What, err)
			}
			if err := ln.Close(); err != nil {
				return fmt.Errorf("closing probe of port %d: %w", port.Port, err)
			}
		}
	}
	return nil
}
