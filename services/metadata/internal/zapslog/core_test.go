package zapslog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestCore(t *testing.T) {
	tests := []struct {
		name    string
		log     func(*zap.Logger)
		want    bool
		level   string
		wantKey string
	}{
		{"info dropped", func(l *zap.Logger) { l.Info("started") }, false, "", ""},
		{"warn kept", func(l *zap.Logger) { l.Warn("slow apply", zap.Duration("took", 5)) }, true, "WARN", "took"},
		{"error kept with context", func(l *zap.Logger) { l.With(zap.String("member", "m1")).Error("lost leader") }, true, "ERROR", "member"},
		{"dropped by filter", func(l *zap.Logger) { l.Error("benign noise") }, false, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(New(slog.New(slog.NewJSONHandler(&buf, nil)), zapcore.WarnLevel,
				func(e zapcore.Entry) bool { return e.Message == "benign noise" }).Named("etcd"))
			if !tt.want {
				if buf.Len() != 0 {
					t.Fatalf("logged %s, want nothing", buf.String())
				}
				return
			}
			var rec map[string]any
			if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
				t.Fatalf("not one JSON record: %q: %v", buf.String(), err)
			}
			if rec["level"] != tt.level || rec["logger"] != "etcd" {
				t.Errorf("record %v: want level %s and logger etcd", rec, tt.level)
			}
			if _, ok := rec[tt.wantKey]; !ok {
				t.Errorf("record %v lacks field %q", rec, tt.wantKey)
			}
		})
	}
}
