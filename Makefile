# Mimo: the memory server (system/) and its validation suite.
# `make run` starts Mimo with the embedded defaults; `make test` runs the
# unit and package tests (no Docker).

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.Version=$(VERSION)
BIN     := bin/mimo

.PHONY: run build test coverage-doc lint dashboards dashboards-check bench images image validate soak report clean wordnet

run: build
	./$(BIN) serve

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./system/cmd/mimo

# Unit and package tests with the race detector, including the Postgres
# store (a throwaway Postgres is started when its binaries are installed),
# measuring their coverage: the run fails when system/ is under the floor
# (docs/COVERAGE.md).
test:
	./scripts/test.sh

# Rewrites the figures in docs/COVERAGE.md from the last `make test`'s
# profile (results/coverage/coverage.out).
coverage-doc:
	$(GO) run ./harness/cmd/mimo-coverage -profile results/coverage/coverage.out -doc docs/COVERAGE.md -check=false

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

# The promised figures (ingest, search, memory, start-up, /api/ask under wrk)
# on SQLite and a throwaway Postgres at MIMO_BENCH_SIZES (default 10k 100k;
# 1M opt-in), with Mimo's search against a plain FTS5 query and an exact
# vector scan, written side by side into docs/BENCHMARKS.md (needs wrk).
bench:
	./scripts/bench.sh

# The built-in embedder's WordNet tables (system/embed/wordnet/wordnet.gz and
# vectors.gz), regenerated from the WordNet 3.0 database files; only this needs them
# (Debian: apt-get install wordnet-base; elsewhere set WORDNET_DIR).
WORDNET_DIR ?= /usr/share/wordnet
wordnet:
	$(GO) run ./system/embed/wordnet/gen -dir $(WORDNET_DIR) -o system/embed/wordnet/wordnet.gz -vectors system/embed/wordnet/vectors.gz

# Every container image the validation harness needs, built locally with no
# registry; each is rebuilt only when its inputs change (harness/images).
# The last is the release the rollback drill returns to (scenarios/rollback):
# MIMO_ROLLBACK_REF, by default the previous release, built from git (full
# history needed) as mimo-harness/mimo:SHA12.
images:
	./harness/images/build.sh
	./harness/images/build.sh --ref "$${MIMO_ROLLBACK_REF:-previous}"

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
# results/environment.json stamps the run (start, end, commit, the images'
# IDs); the report is written whatever the scenarios did, and validate then
# exits with their status, so a failing run still leaves its "not ready" page.
RESULTS ?= $(or $(MIMO_RESULTS_DIR),results)
REPORT  := $(GO) run ./reports/cmd/mimo-report

validate: images
	@$(REPORT) env begin -o $(RESULTS)/environment.json -commit $(VERSION)
	@status=0; \
	MIMO_COMMIT=$(VERSION) $(GO) test -race -count=1 -timeout 30m $$($(GO) list ./scenarios/... | grep -v /scenarios/load) || status=$$?; \
	MIMO_COMMIT=$(VERSION) $(GO) test -race -count=1 -timeout 30m ./scenarios/load/ || status=$$?; \
	$(REPORT) env end -o $(RESULTS)/environment.json; \
	$(REPORT_CMD) || status=$$((status ? status : 1)); \
	exit $$status

# The load gates at full length: the seed's 5-minute gate at 100 VUs, with and without
# 10% backend faults, and a 10-minute run sampling Mimo's resident memory (needs Docker).
# Its records replace validate's of scenarios/load, and the report reads them
# (results/environment-soak.json stamps this run's window).
soak: images
	@$(REPORT) env begin -o $(RESULTS)/environment-soak.json -commit $(VERSION)
	@status=0; \
	MIMO_COMMIT=$(VERSION) MIMO_LOAD_DURATION=5m MIMO_SOAK_DURATION=10m \
		$(GO) test -count=1 -timeout 45m -v ./scenarios/load/ || status=$$?; \
	$(REPORT) env end -o $(RESULTS)/environment-soak.json; \
	exit $$status

# The release sign-off from the records of the last validate (and soak):
# reports/out/index.html, junit.xml and records.json. BASELINE=DIR compares
# with an earlier run's results folder or report folder.
# (validate calls the command itself, not $(MAKE) report: a recipe line
# naming $(MAKE) runs even under make -n, and that line runs the scenarios.)
REPORT_CMD = $(REPORT) -results $(RESULTS) -out reports/out $(if $(BASELINE),-baseline $(BASELINE))

report:
	$(REPORT_CMD)

clean:
	rm -rf bin
