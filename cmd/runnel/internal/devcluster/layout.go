package devcluster

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// layoutFile records, at the root of the data dir, the shape a cluster was first started with.
const layoutFile = "devcluster.json"

// layoutRecord is what must stay the same when a data dir is started again: the metadata nodes'
// etcd cluster (its member ids and peer URLs live in their data) and, for three metadata nodes,
// the ports those peer URLs name. Storage nodes may be added or left out freely.
type layoutRecord struct {
	PortBase      int `json:"port_base"`
	MetadataNodes int `json:"metadata_nodes"`
}

// checkLayoutRecord refuses to start a data dir with a metadata layout its etcd data cannot follow.
func checkLayoutRecord(cfg Config) error {
	b, err := os.ReadFile(filepath.Join(cfg.DataDir, layoutFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading %s: %w", layoutFile, err)
	}
	var rec layoutRecord
	if err := json.Unmarshal(b, &rec); err != nil {
		return fmt.Errorf("%s in %s is damaged (%v); remove it if the data dir is otherwise fine", layoutFile, cfg.DataDir, err)
	}
	if rec.MetadataNodes != cfg.MetadataNodes {
		return fmt.Errorf("%w: data dir %s holds a cluster of --metadata-nodes %d; start it with the same count, or use another --data-dir",
			ErrInvalidConfig, cfg.DataDir, rec.MetadataNodes)
	}
	if rec.MetadataNodes > 1 && rec.PortBase != cfg.PortBase {
		return fmt.Errorf("%w: data dir %s holds a 3-node etcd cluster whose peers use --port-base %d; start it with the same port base, or use another --data-dir",
			ErrInvalidConfig, cfg.DataDir, rec.PortBase)
	}
	return nil
}

func writeLayoutRecord(cfg Config) error {
	b, err := json.Marshal(layoutRecord{PortBase: cfg.PortBase, MetadataNodes: cfg.MetadataNodes})
	if err != nil {
		return err
	}
	path := filepath.Join(cfg.DataDir, layoutFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", layoutFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("writing %s: %w", layoutFile, err)
	}
	return nil
}
