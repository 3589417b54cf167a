// Package client is the Go SDK of Runnel (work in progress).
package client
