package metacache

import runnelv1 "github.com/runnel/runnel/gen/runnel/v1"

// Coordinators returns one GroupCoordinatorService client per metadata address, in address
// order, over the same connections as the watch and Admin.
func (c *Conns) Coordinators() []runnelv1.GroupCoordinatorServiceClient { return c.coords }

// Addrs returns the metadata addresses, in the order of Coordinators.
func (c *Conns) Addrs() []string { return c.addrs }

// TransportFailure reports whether a call's error says it never reached a service (an Unavailable
// status that carries no catalogue name), so another metadata node may be tried.
func TransportFailure(err error) bool { return transportFailure(err) }
