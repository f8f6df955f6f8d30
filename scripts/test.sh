#!/usr/bin/env bash
# The project's test command (README "Run the tests"): installs what the
# tests need on a fresh machine, then runs the same checks locally and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."

# A real SMTP server for the notification tests: aiosmtpd, from PyPI.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  python3 -m pip install --quiet --disable-pip-version-check 'aiosmtpd>=1.4,<2'
fi

# rustfmt and clippy ship with the toolchain; add them if this one lacks them.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  rustup component add rustfmt clippy
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked --features test-hooks -- -D warnings
cargo clippy --all-targets --locked -- -D warnings
# The module docs are part of the code: broken links and stray HTML fail.
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked --quiet
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The test hooks (ONBOARD_NOW, ONBOARD_MAX_PAGE_COUNT) exist only in this build.
cargo test --locked --features test-hooks 2>&1 | tee "$log"
# One closing line for all the test binaries together.
awk '/^test result:/ { p += $4; f += $6 } END { printf "tests: %d passed, %d failed\n", p, f; exit (f > 0) }' "$log"
