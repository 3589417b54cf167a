package commitlog

import (
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
