package zapslog

import (
	"context"
	"log/slog"
	"slices"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a zap logger that writes to l the entries that level enables (a zapcore.Level
// enables itself and above) and drop, when set, does not reject.
func New(l *slog.Logger, level zapcore.LevelEnabler, drop func(zapcore.Entry) bool) *zap.Logger {
	return zap.New(&core{l: l, level: level, drop: drop})
}

type core struct {
	l      *slog.Logger
	level  zapcore.LevelEnabler
	drop   func(zapcore.Entry) bool
	fields []zapcore.Field
}

func (c *core) Enabled(lv zapcore.Level) bool { return c.level.Enabled(lv) }

func (c *core) With(fields []zapcore.Field) zapcore.Core {
	return &core{l: c.l, level: c.level, drop: c.drop, fields: append(slices.Clip(c.fields), fields...)}
}

func (c *core) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) && (c.drop == nil || !c.drop(e)) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *core) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range c.fields {
		f.AddTo(enc)
	}
	for _, f := range fields {
		f.AddTo(enc)
	}
	keys := make([]string, 0, len(enc.Fields))
	for k := range enc.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	attrs := make([]slog.Attr, 0, len(keys)+1)
	if e.LoggerName != "" {
		attrs = append(attrs, slog.String("logger", e.LoggerName))
	}
	for _, k := range keys {
		attrs = append(attrs, slog.Any(k, enc.Fields[k]))
	}
	c.l.LogAttrs(context.Background(), level(e.Level), e.Message, attrs...)
	return nil
}

func (c *core) Sync() error { return nil }

func level(lv zapcore.Level) slog.Level {
	switch {
	case lv <= zapcore.DebugLevel:
		return slog.LevelDebug
	case lv == zapcore.InfoLevel:
		return slog.LevelInfo
	case lv == zapcore.WarnLevel:
		return slog.LevelWarn
	}
	return slog.LevelError
}
