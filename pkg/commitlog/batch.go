package commitlog

import (
	"errors"
	"fmt"

	"github.com/runnel/runnel/pkg/record"
)

// checkBatch validates one whole batch with record.Validate and maps the
// record package's errors onto this package's sentinels (keeping the cause).
func checkBatch(b []byte) (record.BatchHeader, error) {
	h, err := record.Validate(b)
	if err != nil {
		return h, batchError(err)
	}
	return h, nil
}

// batchError wraps a record error in ErrTooLarge or ErrCorrupt.
func batchError(err error) error {
	if errors.Is(err, record.ErrTooLarge) {
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}
