# Mimo: the memory server (system/) and its validation suite.
# `make run` starts Mimo with the embedded defaults; `make test` runs the
# unit and package tests (no Docker).

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.Version=$(VERSION)
BIN     := bin/mimo

.PHONY: run build test lint dashboards dashboards-check bench images image validate soak clean wordnet

run: build
	./$(BIN) serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./system/cmd/mimo

# Unit and package tests with the race detector, including the Postgres
# store (a throwaway Postgres is started when its binaries are installed).
test:
	./scripts/test.sh

lint: dashboards-check
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo 'gofmt: the files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

# Prometheus's and Alertmanager's own checks of dashboards/: the scrape
# config, the alert rules and their unit tests, Alertmanager's config and
# routing (promtool and amtool; skipped without them, failing under CI=true).
dashboards-check:
	./scripts/dashboards-check.sh

# Mimo's Grafana dashboard, generated from Go (dashboards/grafana); its
# test fails until the committed JSON is what the generator writes.
dashboards:
	$(GO) run ./dashboards/grafana/cmd/mimo-dashboard -o dashboards/grafana/dashboards/mimo.json

bench:
	./scripts/bench.sh

# The built-in embedder's WordNet table (system/embed/wordnet/wordnet.gz),
# regenerated from the WordNet 3.0 database files; only this needs them
# (Debian: apt-get install wordnet-base; elsewhere set WORDNET_DIR).
WORDNET_DIR ?= /usr/share/wordnet
wordnet:
	$(GO) run ./system/embed/wordnet/gen -dir $(WORDNET_DIR) -o system/embed/wordnet/wordnet.gz

# Every container image the validation harness needs, built locally with no
# registry; each is rebuilt only when its inputs change (harness/images).
images:
	./harness/images/build.sh

# Mimo's image for a team's own machines (docker-compose.yml runs it): the
# harness's recipe (harness/images/mimo/Dockerfile, a static binary on
# scratch, no registry), tagged mimo:$(VERSION) and mimo:latest.
image:
	./harness/images/build.sh mimo
	docker tag mimo-harness/mimo:latest mimo:$(VERSION)
	docker tag mimo-harness/mimo:latest mimo:latest

# Images, then every scenario against them (needs Docker). Each scenario
# writes its record under results/ (MIMO_RESULTS_DIR overrides).
# The load gates run last and alone: their latency thresholds need the cores that
# the other scenarios' environments would otherwise share with them.
validate: images
	MIMO_COMMIT=$(VERSION) $(GO) test -race -count=1 -timeout 30m $$($(GO) list ./scenarios/... | grep -v /scenarios/load)
	MIMO_COMMIT=$(VERSION) $(GO) test -race -count=1 -timeout 30m ./scenarios/load/

# The load gates at full length: the seed's 5-minute gate at 100 VUs, with and without
# 10% backend faults, and a 10-minute run sampling Mimo's resident memory (needs Docker).
soak: images
	MIMO_COMMIT=$(VERSION) MIMO_LOAD_DURATION=5m MIMO_SOAK_DURATION=10m MIMO_LOAD_GATES=1 \
		$(GO) test -count=1 -timeout 45m -v ./scenarios/load/

clean:
	rm -rf bin
