# syntax=docker/dockerfile:1
# Build: release binary with the Swift toolchain. Run: a small Debian image with libcurl and CA
# certificates, as a non-root user. routes.json is baked in; mount another over it to change it.
# The working directory /var/lib/cancelgate is a volume: the embedded SQLite store
# (cancelgate.db) lives there and outlives the container. One file serves one process: replicas
# share a PostgreSQL store instead (see the README, "Running replicas").

FROM swift:6.2-bookworm AS build
WORKDIR /src
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4-openssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
# Resolve dependencies in their own layer so source edits do not refetch them.
COPY Package.swift ./
RUN mkdir -p Sources/CCurl && swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
# The executable finds its resources (openapi.json) in the bundle directory next to it.
RUN swift build -c release --product cancelgate --static-swift-stdlib \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/cancelgate" /usr/local/bin/cancelgate \
    && cp -R "$bin/cancelgate_CancelgateServer.resources" /usr/local/bin/

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libcurl4 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin cancelgate \
    && mkdir -p /var/lib/cancelgate && chown 10001:10001 /var/lib/cancelgate
COPY --from=build /usr/local/bin/cancelgate /usr/local/bin/cancelgate
COPY --from=build /usr/local/bin/cancelgate_CancelgateServer.resources /usr/local/bin/cancelgate_CancelgateServer.resources
COPY routes.json /etc/cancelgate/routes.json
WORKDIR /var/lib/cancelgate
VOLUME ["/var/lib/cancelgate"]
USER 10001
# glibc keeps up to 64 freed small blocks per thread and size (its default is 7) before it takes an
# arena's lock: a request's buffers are made on one thread and freed on another, and at 7 the
# lock was most of the gateway's futex calls (4.0 a single-ID request; 1.9 at 64). Measured on
# the fair baseline, five alternating runs: +7 % requests/s, -7 % CPU a request, +1 MiB peak RSS
# in the 10,000-ID fan-out (README, "Running it"). glibc reads it only at start, so it is set here.
ENV GLIBC_TUNABLES=glibc.malloc.tcache_count=64
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 \
    CMD ["curl", "-fsS", "--max-time", "2", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/usr/local/bin/cancelgate"]
CMD ["serve", "--config", "/etc/cancelgate/routes.json"]
