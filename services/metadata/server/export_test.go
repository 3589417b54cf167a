package server

// CrashEtcd stops the node's etcd member at once, without giving up the controller role or the
// node sessions held through it: to the other members it looks like a crash of this node (Run
// then fails and returns).
func CrashEtcd(s *Server) { s.etcd.Close() }
