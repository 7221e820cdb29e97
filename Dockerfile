# syntax=docker/dockerfile:1
#
# Steward's container image: a release build on Debian bookworm, run as the non-root user
# `steward` with its SQLite database on the /data volume.
#
#   docker build -t steward .
#   docker run -p 8080:8080 -v steward_data:/data -e STEWARD_TOKEN=… steward
#
# `steward serve` refuses to listen on a non-loopback address such as 0.0.0.0 unless
# STEWARD_TOKEN is set, so the container exits at once without it. On Fly.io it is a secret
# (`fly secrets set STEWARD_TOKEN=…`, see fly.toml), like SLACK_BOT_TOKEN and SLACK_APP_TOKEN.
# Secrets never go in this file or in the image.

FROM rust:1-bookworm AS builder
WORKDIR /src
# The whole tree (see .dockerignore): Cargo.toml names benches/, and the binary embeds the demo
# artifacts from manifests/demo/.
COPY . .
# The cache mounts keep the registry and the build folder between builds; the binary is copied
# out of the cached target/ in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && cp target/release/steward /usr/local/bin/steward

FROM debian:bookworm-slim
# ca-certificates: the Slack API, Socket Mode websockets and `steward push` over https check
# servers against the system roots.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A fixed uid, so volume ownership survives rebuilds. /data is owned by it in the image: Docker
# copies that ownership into a new named volume, and Fly mounts volumes for the image's user.
# A bind mount needs `chown 10001:10001` on the host folder.
RUN groupadd --system --gid 10001 steward \
    && useradd --system --uid 10001 --gid steward --home-dir /data --shell /usr/sbin/nologin steward \
    && mkdir -p /data \
    && chown steward:steward /data
COPY --from=builder /usr/local/bin/steward /usr/local/bin/steward

ENV STEWARD_DB=/data/steward.db
VOLUME ["/data"]
# A steward.toml placed on the volume is picked up (or point STEWARD_CONFIG at one).
WORKDIR /data
# The steward user, by number so runtimes that check for non-root (Kubernetes runAsNonRoot)
# can verify it.
USER 10001:10001
EXPOSE 8080
# 0.0.0.0 so Fly's proxy (or `docker run -p`) can reach it; needs STEWARD_TOKEN, see above.
CMD ["steward", "serve", "--listen", "0.0.0.0:8080"]
