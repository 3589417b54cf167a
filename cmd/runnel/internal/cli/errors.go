package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/runnel/runnel/pkg/rpcerr"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Exit codes of runnel.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// ErrGatewayUnreachable is wrapped by errors of calls that could not connect to the gateway.
var ErrGatewayUnreachable = errors.New("cannot reach the gateway")

// gatewayError turns an error of a gateway call into what the user reads: the catalogue error
// ("NAME: message") or ErrGatewayUnreachable with the address. A call cut short by ctx (Ctrl-C)
// gives ctx's error.
func gatewayError(ctx context.Context, addr string, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.Unavailable && len(st.Details()) == 0 &&
		isDialFailure(st.Message()) {
		return fmt.Errorf("%w at %s: is `runnel dev` running? (%s)", ErrGatewayUnreachable, addr, st.Message())
	}
	return rpcerr.FromStatus(err)
}

// isDialFailure recognises grpc-go's messages for a connection that could not be made.
func isDialFailure(msg string) bool {
	for _, s := range []string{"connection refused", "Error while dialing", "connection error", "no such host",
		"connection reset", "produced zero addresses"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// report prints err for the user and returns the exit code. A catalogue error is printed as
// "NAME: message" and, on a second line, "hint: " and what to do (the catalogue's hint).
func report(errOut interface{ Write([]byte) (int, error) }, cmdPath string, err error) int {
	var usage usageError
	var rerr *rpcerr.Error
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage), isCobraUsage(err):
		fmt.Fprintf(errOut, "runnel: %v\nrun '%s --help' for usage\n", err, cmdPath)
		return exitUsage
	case errors.As(err, &rerr):
		fmt.Fprintln(errOut, rerr.Error())
		if h := hint(rerr); h != "" {
			fmt.Fprintf(errOut, "hint: %s\n", h)
		}
		return exitError
	default:
		fmt.Fprintf(errOut, "runnel: %v\n", err)
		return exitError
	}
}

// isCobraUsage recognises the usage errors cobra makes itself.
func isCobraUsage(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") ||
		strings.HasPrefix(msg, "unknown shorthand flag") || strings.Contains(msg, "flag needs an argument")
}

// hint is what to do about err: its code's hint, unless the message already says it.
func hint(err *rpcerr.Error) string {
	if err.Code == nil || err.Code.Hint == "" || strings.Contains(err.Msg, err.Code.Hint) {
		return ""
	}
	return err.Code.Hint
}
