#!/usr/bin/env bash
# Builds and caches the binaries of the real monitoring stack, outside the repository, reused
# between runs:
#   collector  the OpenTelemetry Collector from monitoring/collector/builder-config.yaml, with
#              the Collector Builder (ocb) at the manifest's version
#   standin    a second collector (stack/standin-builder-config.yaml: OTLP in with basicauth,
#              file exporter out), the stack test's stand-in for Grafana Cloud Loki
#   jaeger     Jaeger v2 at the version docker-compose.monitoring.yml pins, from its Go module
#   debian     Prometheus, promtool and Alertmanager from Debian packages (apt-get)
#   all        all three (default)
# Prints one line per binary: `<name> <path>`. Go builds run under `nice -n 10`, once: a cached
# binary is reused until the pinned version changes. Cache: $AI_TEAMS_CACHE, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/ai-teams-observability (bin/, build/, logs/).
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
MONITORING="$(dirname "$HERE")"
CACHE="${AI_TEAMS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-teams-observability}"
mkdir -p "$CACHE/bin" "$CACHE/build" "$CACHE/logs"

log() { echo "build-binaries: $*" >&2; }

# Serialize: two test runs must not build into the same directory at once.
exec 9>"$CACHE/build.lock"
flock 9

collector_version() {
  sed -n 's/^  version: *\([0-9][0-9.]*\) *$/\1/p' "$MONITORING/collector/builder-config.yaml" | head -n1
}

jaeger_v2_version() {
  sed -n 's#^ *image: *jaegertracing/jaeger:\([0-9][0-9.]*\) *$#\1#p' \
    "$MONITORING/docker-compose.monitoring.yml" | head -n1
}

# build_collector <manifest> <label>: builds dist.name of the manifest with ocb.
build_collector() {
  local source="$1" label="$2" version name bin manifest dir started
  version="$(collector_version)"
  [ -n "$version" ] || { log "no dist.version in builder-config.yaml"; exit 1; }
  name="$(sed -n 's/^  name: *\([a-z0-9-]*\) *$/\1/p' "$source" | head -n1)"
  bin="$CACHE/bin/$name-$version"
  # Rebuilt when the manifest's content changes (its hash is kept beside the binary).
  local hash
  hash="$(sha256sum "$source" | cut -d' ' -f1)"
  if [ -x "$bin" ] && [ "$(cat "$bin.manifest-sha256" 2>/dev/null)" = "$hash" ]; then
    echo "$label $bin"
    return
  fi
  started=$(date +%s)
  local builder="$CACHE/bin/builder-$version"
  if [ ! -x "$builder" ]; then
    log "installing go.opentelemetry.io/collector/cmd/builder@v$version"
    local gobin
    gobin="$(mktemp -d)"
    GOBIN="$gobin" nice -n 10 go install "go.opentelemetry.io/collector/cmd/builder@v$version" \
      >"$CACHE/logs/builder-$version.log" 2>&1 ||
      { log "go install failed, see $CACHE/logs/builder-$version.log"; exit 1; }
    mv "$gobin/builder" "$builder"
    rmdir "$gobin"
  fi
  dir="$CACHE/build/$name-$version"
  manifest="$CACHE/build/$name-$version.yaml"
  # The manifest unchanged but for where the sources and the binary go.
  sed "s#^  output_path:.*#  output_path: $dir#" "$source" >"$manifest"
  log "building $name $version (log: $CACHE/logs/$name-$version.log)"
  nice -n 10 "$builder" --config "$manifest" >"$CACHE/logs/$name-$version.log" 2>&1 ||
    { log "ocb failed, see $CACHE/logs/$name-$version.log"; exit 1; }
  cp "$dir/$name" "$bin.tmp"
  mv "$bin.tmp" "$bin"
  echo "$hash" >"$bin.manifest-sha256"
  log "$name built in $(($(date +%s) - started)) s"
  echo "$label $bin"
}

# Jaeger tags every release twice, v1.N.x and v2.M.x on the same commit (v1.76.0 = v2.13.0).
# Its Go module path has no /v2, so the Go tooling only sees the v1 tags: the pinned v2 release
# is built from the matching v1 version, checked against the release's own CHANGELOG. Its
# go.mod has a `replace` directive, which `go install pkg@version` refuses; so the build is a
# small module of our own that requires Jaeger and repeats that replace.
build_jaeger() {
  local v2 minor patch v1 bin dir started
  v2="$(jaeger_v2_version)"
  [ -n "$v2" ] || { log "no jaegertracing/jaeger image in the compose file"; exit 1; }
  minor="$(echo "$v2" | cut -d. -f2)"
  patch="$(echo "$v2" | cut -d. -f3)"
  v1="1.$((minor + 63)).$patch"
  bin="$CACHE/bin/jaeger-$v2"
  if [ -x "$bin" ]; then
    echo "jaeger $bin"
    return
  fi
  started=$(date +%s)
  local moddir
  moddir="$(go mod download -json "github.com/jaegertracing/jaeger@v$v1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -n "$moddir" ] || { log "cannot download github.com/jaegertracing/jaeger@v$v1"; exit 1; }
  grep -q "^v$v1 / v$v2 " "$moddir/CHANGELOG.md" ||
    { log "jaeger v$v1 is not the v1 twin of v$v2 (see its CHANGELOG.md)"; exit 1; }
  dir="$CACHE/build/jaeger-$v2"
  mkdir -p "$dir"
  {
    echo "module ai-teams-observability/jaeger-build"
    echo
    echo "go $(sed -n 's/^go //p' "$moddir/go.mod")"
    echo
    echo "// Repeated from github.com/jaegertracing/jaeger@v$v1's go.mod (replace directives of a"
    echo "// dependency are ignored)."
    grep '^replace ' "$moddir/go.mod"
  } >"$dir/go.mod"
  log "building jaeger v$v2 (module v$v1; log: $CACHE/logs/jaeger-$v2.log)"
  (
    cd "$dir"
    nice -n 10 go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@v$v1" &&
      nice -n 10 go build \
        -ldflags "-X github.com/jaegertracing/jaeger/internal/version.latestVersion=v$v2" \
        -o "$bin.tmp" github.com/jaegertracing/jaeger/cmd/jaeger
  ) >"$CACHE/logs/jaeger-$v2.log" 2>&1 || { log "jaeger build failed, see $CACHE/logs/jaeger-$v2.log"; exit 1; }
  mv "$bin.tmp" "$bin"
  log "jaeger built in $(($(date +%s) - started)) s"
  echo "jaeger $bin"
}

install_debian() {
  if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus-alertmanager >/dev/null 2>&1; then
    log "installing prometheus and prometheus-alertmanager from Debian"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null
  fi
  echo "prometheus $(command -v prometheus)"
  echo "promtool $(command -v promtool)"
  echo "alertmanager $(command -v prometheus-alertmanager)"
}

COLLECTOR_MANIFEST="$MONITORING/collector/builder-config.yaml"
STANDIN_MANIFEST="$HERE/standin-builder-config.yaml"

case "${1:-all}" in
  collector) build_collector "$COLLECTOR_MANIFEST" collector ;;
  standin) build_collector "$STANDIN_MANIFEST" standin ;;
  jaeger) build_jaeger ;;
  debian) install_debian ;;
  all)
    build_collector "$COLLECTOR_MANIFEST" collector
    build_collector "$STANDIN_MANIFEST" standin
    build_jaeger
    install_debian
    ;;
  *)
    echo "usage: $0 [collector|standin|jaeger|debian|all]" >&2
    exit 2
    ;;
esac
