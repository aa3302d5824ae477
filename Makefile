# The two quick-start commands: `make demo` and `make test`. Each installs libcurl's headers
# first when they are missing (Debian/Ubuntu; needs root or sudo).
SWIFT ?= swift

.PHONY: demo test test-tsan build release deps check

deps:
	@if ! pkg-config --exists libcurl 2>/dev/null && [ ! -f /usr/include/x86_64-linux-gnu/curl/curl.h ] && [ ! -f /usr/include/curl/curl.h ]; then \
		echo "installing libcurl4-openssl-dev (libcurl's headers)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq libcurl4-openssl-dev pkg-config >/dev/null; \
	fi

build: deps
	$(SWIFT) build

demo: build
	$(SWIFT) run cancelgate demo

test: deps
	$(SWIFT) test

# The chaos suite runs on its own: its figures compare two runs, which the rest of the suite,
# slowed by the sanitizer, would load unequally.
test-tsan: deps
	CANCELGATE_SANITIZED=1 $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --skip ChaosTests
	CANCELGATE_SANITIZED=1 $(SWIFT) test --sanitize=thread --scratch-path .build-tsan --filter ChaosTests

release: deps
	$(SWIFT) build -c release

check: build
	$(SWIFT) run cancelgate check routes.json
