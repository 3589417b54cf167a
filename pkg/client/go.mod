module github.com/runnel/runnel/pkg/client

go 1.26.0

require github.com/runnel/runnel/gen v0.0.0-00010101000000-000000000000

replace github.com/runnel/runnel/gen => ../../gen
