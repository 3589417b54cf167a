# Runnel — build, run, test. Everything the project needs is installed by these targets.
SHELL := /bin/bash
GO ?= go
BIN := $(CURDIR)/bin
BUF_VERSION := v1.75.0
export GOFLAGS := -buildvcs=false
MODULES := gen pkg pkg/client services/metadata services/storage services/gateway cmd/runnel e2e
BINARIES := runnel runnel-metadata runnel-storage runnel-gateway
PLUGINS := protoc-gen-go protoc-gen-go-grpc protoc-gen-grpc-gateway protoc-gen-openapiv2

.PHONY: all build run test test-long lint generate check-generate check-deploy bench fuzz clean tools

all: build

## build: every binary into ./bin
build:
	@mkdir -p $(BIN)
	cd services/metadata && $(GO) build -o $(BIN)/runnel-metadata ./cmd/runnel-metadata
	cd services/storage && $(GO) build -o $(BIN)/runnel-storage ./cmd/runnel-storage
	cd services/gateway && $(GO) build -o $(BIN)/runnel-gateway ./cmd/runnel-gateway
	cd cmd/runnel && $(GO) build -o $(BIN)/runnel .

## run: build, then start a local cluster (1 metadata, 3 storage, 1 gateway) in ./.runnel
run: build
	$(BIN)/runnel dev

## test: unit, integration and e2e tests of every module (the e2e tests start real processes)
test: build
	@set -e; for m in $(MODULES); do \
		echo "== go test $$m"; \
		(cd $$m && $(GO) test -count=1 -timeout 12m ./...); \
	done

## test-long: the long fault runs (RUNNEL_LONG=1)
test-long: build
	cd e2e && RUNNEL_LONG=1 $(GO) test -count=1 -timeout 60m -v ./...

## lint: gofmt, go vet, buf lint
lint: $(BIN)/buf
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '^gen/')); \
		if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@set -e; for m in $(MODULES); do (cd $$m && $(GO) vet ./...); done
	$(BIN)/buf lint

$(BIN)/buf:
	@mkdir -p $(BIN)
	cd /tmp && GOBIN=$(BIN) GOWORK=off $(GO) install github.com/bufbuild/buf/cmd/buf@$(BUF_VERSION)

tools: $(BIN)/buf
	@mkdir -p $(BIN)
	cd gen && $(GO) build -o $(BIN)/ \
		google.golang.org/protobuf/cmd/protoc-gen-go \
		google.golang.org/grpc/cmd/protoc-gen-go-grpc \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway \
		github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2

## generate: regenerate gen/ from proto/ (committed; CI checks it is reproduced exactly)
generate: tools
	$(BIN)/buf lint
	$(BIN)/buf generate

## check-generate: fail if `make generate` changes anything
check-generate: generate
	@git diff --exit-code -- gen || { echo "gen/ is stale: run make generate and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- gen)" || { git status --porcelain -- gen; echo "gen/ has untracked generated files"; exit 1; }

## check-deploy: validate deployments/: docker-compose config, then manifests, configs and dashboard (e2e/deploy)
check-deploy: build
	docker-compose -f deployments/docker-compose.yml config -q
	cd e2e && $(GO) test -count=1 ./deploy/

## bench: the Go benchmarks of the storage path
bench:
	cd pkg && $(GO) test -run '^$$' -bench . -benchtime 2s ./record/ ./commitlog/

## fuzz: run each fuzz target for FUZZTIME (default 30s); every decoder of outside bytes has one
FUZZTIME ?= 30s
FUZZ_TARGETS := \
	pkg:./record/:FuzzDecode pkg:./record/:FuzzNext pkg:./record/:FuzzDecodeSigned \
	pkg:./commitlog/:FuzzRecover pkg:./telemetry/:FuzzParseTraceparent \
	pkg/client:.:FuzzDeserialize pkg/client:.:FuzzParseErrorInfo \
	services/gateway:./internal/consume/:FuzzDecode services/gateway:./internal/produce/:FuzzValidateRequest \
	services/metadata:./internal/group/:FuzzDecode services/metadata:./internal/store/:FuzzParseKey \
	services/metadata:./internal/topic/:FuzzValidate \
	services/storage:./internal/replica/:FuzzParsePartitionDirName services/storage:./internal/replica/:FuzzAppendFromLeader \
	services/storage:./internal/replication/:FuzzFirstTraceparent \
	cmd/runnel:./internal/cli/:FuzzParseOffsetSpec
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		IFS=: read -r mod pkg name <<< "$$t"; \
		echo "== fuzz $$mod $$pkg $$name"; \
		(cd $$mod && $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) $$pkg); \
	done

clean:
	rm -rf $(BIN) .runnel
