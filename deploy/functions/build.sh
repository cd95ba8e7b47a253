#!/usr/bin/env bash
# Builds the `yaojian` binary the serverless packages run and stages them:
#
#   aliyun/yaojian.zip   the Function Compute code package (binary + yaojian.toml),
#                        which aliyun/s.yaml deploys on runtime custom.debian12
#   tencent/code/        the Docker build context of tencent/Dockerfile
#                        (FROM debian:bookworm-slim), the image every SCF function runs
#
# The binary links glibc dynamically, so before packaging it checks that the
# highest GLIBC_x.y symbol version it needs (objdump -T) is no newer than the
# glibc of every runtime the manifests name, and that it carries no debug info.
# tests/api/deploy.rs makes the same glibc check on the test build; keep the
# runtime table below in step with RUNTIME_GLIBC there.
#
# Needs: cargo, objdump (binutils), zip, npm (the browser apps). Build on a machine whose glibc is no
# newer than the runtimes' (Debian 12 / glibc 2.36 or older).
#
# Environment:
#   YAOJIAN_WEB    `none`: leave the browser apps out (served from object storage)
#   YAOJIAN_TOML   a yaojian.toml to put beside the binary in both packages
#                  (otherwise one already in aliyun/code/ or tencent/code/ is kept)
#   YAOJIAN_IMAGE  if set, also `docker build` the Tencent image with this tag
#                  (e.g. ccr.ccs.tencentyun.com/NAMESPACE/yaojian:VERSION)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

command -v objdump >/dev/null || { echo "objdump not found: apt-get install binutils" >&2; exit 1; }
command -v zip >/dev/null || { echo "zip not found: apt-get install zip" >&2; exit 1; }

# The glibc version of each runtime a manifest may name.
runtime_glibc() {
  case "$1" in
    custom) echo 2.24 ;;            # Function Compute, Debian 9
    custom.debian10) echo 2.28 ;;   # Function Compute, Debian 10
    custom.debian11) echo 2.31 ;;   # Function Compute, Debian 11
    custom.debian12) echo 2.36 ;;   # Function Compute, Debian 12
    debian:bookworm-slim) echo 2.36 ;;
    *) echo "unknown runtime '$1': add its glibc version to build.sh and tests/api/deploy.rs" >&2
       return 1 ;;
  esac
}

# `dist` (Cargo.toml): release without debug info, stripped.
cargo build --locked --profile dist --bin yaojian
bin="${CARGO_TARGET_DIR:-target}/dist/yaojian"

sections="$(objdump -h "$bin")"
if grep -q '\.debug_' <<<"$sections"; then
  echo "$bin carries debug sections; [profile.dist] in Cargo.toml must set debug = false, strip = true" >&2
  exit 1
fi

need="$(objdump -T "$bin" | { grep -o 'GLIBC_[0-9][0-9.]*' || true; } | sed 's/^GLIBC_//; s/\.$//' | sort -uV | tail -n 1)"

runtimes=()
while read -r r; do
  if [ -n "$r" ]; then runtimes+=("aliyun/s.yaml:$r"); fi
done < <(sed -n 's/#.*//; s/^[[:space:]]*runtime:[[:space:]]*//p' "$here/aliyun/s.yaml" | tr -d "\"' " | sort -u)
[ "${#runtimes[@]}" -gt 0 ] || { echo "aliyun/s.yaml names no runtime" >&2; exit 1; }
base="$(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { img = $i; break } } END { print img }' "$here/tencent/Dockerfile")"
runtimes+=("tencent/Dockerfile:${base%%@*}")

for entry in "${runtimes[@]}"; do
  manifest="${entry%%:*}"
  runtime="${entry#*:}"
  have="$(runtime_glibc "$runtime")"
  if [ -n "$need" ] && [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | tail -n 1)" != "$have" ]; then
    echo "$bin needs GLIBC_$need, but $runtime ($manifest) has glibc $have" >&2
    exit 1
  fi
  echo "fits $runtime ($manifest): needs glibc ${need:-none}, has $have"
done

# The browser apps the `web` group serves (YAOJIAN_WEB_DIR defaults to
# ./web/dist beside the binary). Skipped with YAOJIAN_WEB=none, e.g. when
# they are hosted from object storage instead (README.md).
if [ "${YAOJIAN_WEB:-}" != none ]; then
  (cd "$here/../../web" && npm ci --no-audit --no-fund && npm run build)
fi

for dir in "$here/aliyun/code" "$here/tencent/code"; do
  mkdir -p "$dir"
  install -m 0755 "$bin" "$dir/yaojian"
  rm -rf "$dir/web"
  if [ "${YAOJIAN_WEB:-}" != none ]; then
    mkdir -p "$dir/web"
    cp -r "$here/../../web/dist" "$dir/web/dist"
  fi
  if [ -n "${YAOJIAN_TOML:-}" ]; then
    cp "$YAOJIAN_TOML" "$dir/yaojian.toml"
  elif [ ! -f "$dir/yaojian.toml" ]; then
    echo "note: no $dir/yaojian.toml (set YAOJIAN_TOML, or put it there and rerun)" >&2
  fi
done
install -m 0755 "$here/tencent/scf_bootstrap" "$here/tencent/code/scf_bootstrap"

rm -f "$here/aliyun/yaojian.zip"
(cd "$here/aliyun/code" && zip -q -r -X "$here/aliyun/yaojian.zip" .)

if [ -n "${YAOJIAN_IMAGE:-}" ]; then
  docker build -f "$here/tencent/Dockerfile" -t "$YAOJIAN_IMAGE" "$here/tencent/code"
fi

echo "built $(du -h "$bin" | cut -f1) binary; packaged $(du -h "$here/aliyun/yaojian.zip" | cut -f1) aliyun/yaojian.zip"
echo "next: (cd deploy/functions/aliyun && s deploy); for Tencent push the image and (cd deploy/functions/tencent && YAOJIAN_IMAGE_URL=... sls deploy)"
