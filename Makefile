# iotwatch: the two commands a new machine needs are `make demo` and `make test`.
# Everything else here is what they are made of.
JOBS      ?= $(shell nproc)
BUILD     ?= build
ASAN      ?= build-asan
FUZZBUILD ?= build-fuzz
FUZZ_SECONDS ?= 15
DEMO_DIR  ?= demo-out
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all deps web build asan fuzz-build test unit-asan fuzz demo bench clean

all: build

deps:
	@bash scripts/install-deps.sh
	@bash scripts/fetch-test-sshd.sh

# The dashboard's front-end libraries (npm, pinned by web/package-lock.json) into web/vendor/.
# Optional: without the npm registry the server still runs and the browser test skips.
web:
	@bash scripts/install-web-assets.sh || echo "make: web assets not installed (dashboard without libraries; browser test skips)" >&2

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Debug -DIOTWATCH_SANITIZE=ON -DIOTWATCH_BENCH=OFF >/dev/null
	cmake --build $(ASAN) -j $(JOBS) --target iotwatch_unit_tests iotwatch

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZBUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIOTWATCH_FUZZ=ON >/dev/null
	cmake --build $(FUZZBUILD) -j $(JOBS)

# Every test: unit + integration (Release); unit and fast integration tests again under ASan+UBSan
# (the slow kill -9 test only in Release); each fuzzer for FUZZ_SECONDS, as many at once as cores.
test: build web asan fuzz-build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow
	bash scripts/run-fuzzers.sh $(FUZZBUILD) $(FUZZ_SECONDS)

unit-asan: asan
	cd $(ASAN) && ctest --output-on-failure -L unit

fuzz: fuzz-build
	bash scripts/run-fuzzers.sh $(FUZZBUILD) $(FUZZ_SECONDS)

# The main job on the embedded default: generate a sample darknet day, ingest it into SQLite, report.
# On a terminal (or with DEMO_SERVE=1) the demo ends by serving the dashboard until Ctrl-C.
demo: build web
	bash scripts/demo.sh $(BUILD)/iotwatch $(DEMO_DIR)

bench: build
	bash bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZBUILD) $(DEMO_DIR)
