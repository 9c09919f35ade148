#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (a real S3-compatible object store, Apache-2.0) from the Go module
# proxy into $1 (default ~/.cache/pulse-weed/weed), for the tests of the cold tier and the
# exports on a bucket. `go install` refuses the module (its go.mod has a replace directive), so
# the module is downloaded, copied to a writable directory and built there: about 12 minutes
# on two busy cores, once per machine.
set -euo pipefail
out="${1:-$HOME/.cache/pulse-weed/weed}"
version=v0.0.0-20261109003541-7506e5f91cd6 # weed 4.53
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init pulse-weed-build >/dev/null 2>&1
GOFLAGS=-mod=mod go mod download "github.com/seaweedfs/seaweedfs@$version"
cp -r "$(go env GOMODCACHE)/github.com/seaweedfs/seaweedfs@$version" src
chmod -R u+w src
mkdir -p "$(dirname "$out")"
(cd src && go build -o "$out.part" ./weed)
mv "$out.part" "$out"
"$out" version
