#!/usr/bin/env bash
# Builds the static (musl) `yaojian` binary the serverless runtimes need and
# places it, with the bootstrap files, in aliyun/code and tencent/code.
# Needs: rustup target x86_64-unknown-linux-musl, and musl-tools plus cmake
# (apt-get install musl-tools cmake) for the C parts of the TLS stack.
set -euo pipefail
cd "$(dirname "$0")/../.."
rustup target add x86_64-unknown-linux-musl
cargo build --release --locked --target x86_64-unknown-linux-musl --bin yaojian
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-musl/release/yaojian"
for dir in deploy/functions/aliyun/code deploy/functions/tencent/code; do
  mkdir -p "$dir"
  cp "$bin" "$dir/yaojian"
done
cp deploy/functions/tencent/scf_bootstrap deploy/functions/tencent/code/
echo "built $(du -h "$bin" | cut -f1) static binary; now: (cd deploy/functions/aliyun && s deploy) or (cd deploy/functions/tencent && sls deploy)"
