module github.com/runnel/runnel/cmd/runnel

go 1.26.0

replace github.com/runnel/runnel/gen => ../../gen

replace github.com/runnel/runnel/pkg => ../../pkg

require (
	github.com/runnel/runnel/gen v0.0.0-00010101000000-000000000000
	github.com/runnel/runnel/pkg v0.0.0-00010101000000-000000000000
	github.com/spf13/cobra v1.10.2
	google.golang.org/grpc v1.85.0
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/grpc-ecosystem/grpc-gateway/v2 v2.33.0 // indirect
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.9 // indirect
	golang.org/x/net v0.61.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	google.golang.org/genproto/googleapis/api v0.0.0-20261026165753-2ffab32bce7e // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20261019180522-ce908d29299b // indirect
)
