#!/usr/bin/env bash
# The test command: lint, build, unit/integration tests, conformance scripts.
#
# Usage: scripts/test.sh
#   SKIP_LINT=1  skip cargo fmt / clippy / doc (quick local runs)
#
# Stops at the first failing step (naming it) and always ends with one line
# `N passed, M failed`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Tests must not pick up a developer's own token configuration.
unset CRATON_HSM_CONF

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
RELEASE_LIB="$TARGET_DIR/release/libcraton_hsm.so"

PASSED=0
FAILED=0
SCRIPT_START=$(date +%s)

banner() {
    printf '\n==================== %s ====================\n' "$*"
}

finish() {
    printf '\n%d passed, %d failed\n' "$PASSED" "$FAILED"
}

# step NAME CMD [ARGS...]: run one step; on failure stop everything.
step() {
    local name=$1 start rc
    shift
    banner "$name"
    printf '+ %s\n' "$*"
    start=$(date +%s)
    # A subshell with errexit on, outside any conditional context, so that
    # shell-function steps stop at their first failing command too.
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
        FAILED=$((FAILED + 1))
        printf '\nFAILED step: %s (exit code %d, %ds)\n' "$name" "$rc" "$(($(date +%s) - start))"
        finish
        exit 1
    fi
    PASSED=$((PASSED + 1))
    printf -- '--- ok: %s (%ds)\n' "$name" "$(($(date +%s) - start))"
}

# Regenerate the C header with cbindgen and compare with the committed one.
header_check() {
    if ! command -v cbindgen >/dev/null 2>&1; then
        echo "cbindgen not found: installing the pinned version (its output must match the committed header)"
        cargo install cbindgen --locked --version 0.29.4
    fi
    local tmp rc=0
    tmp=$(mktemp "${TMPDIR:-/tmp}/craton_hsm.h.XXXXXX")
    cbindgen --quiet --config cbindgen.toml --crate craton-hsm --output "$tmp" || rc=$?
    if [[ $rc -eq 0 ]]; then
        if diff -u include/craton_hsm.h "$tmp"; then
            echo "include/craton_hsm.h is up to date"
        else
            echo "include/craton_hsm.h is stale: regenerate it with"
            echo "  cbindgen --config cbindgen.toml --crate craton-hsm --output include/craton_hsm.h"
            rc=1
        fi
    fi
    rm -f "$tmp"
    return "$rc"
}

# Check that the release library is a loadable PKCS#11 module.
check_release_lib() {
    if [[ ! -f "$RELEASE_LIB" ]]; then
        echo "$RELEASE_LIB was not built"
        return 1
    fi
    if ! nm -D --defined-only "$RELEASE_LIB" | grep -qw C_GetFunctionList; then
        echo "$RELEASE_LIB does not export C_GetFunctionList"
        return 1
    fi
    echo "$RELEASE_LIB exports C_GetFunctionList"
}

step "install test dependencies" bash scripts/install-deps.sh

if [[ "${SKIP_LINT:-0}" == 1 ]]; then
    banner "lint skipped (SKIP_LINT=1)"
else
    step "cargo fmt --check" cargo fmt --all -- --check
    step "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
    step "cargo doc" env RUSTDOCFLAGS=-Dwarnings cargo doc --workspace --no-deps
fi

if [[ -f include/craton_hsm.h && -f cbindgen.toml ]]; then
    step "C header up to date (cbindgen)" header_check
fi

step "cargo build (debug)" cargo build --workspace
step "cargo build (release)" cargo build --workspace --release
step "release library exports C_GetFunctionList" check_release_lib
step "cargo test (debug)" cargo test --workspace
step "cargo test (release)" cargo test --workspace --release

# Every conformance script, against the release library. lib.sh holds their
# shared helpers and is not a script of its own.
shopt -s nullglob
for script in conformance/*.sh; do
    [[ "$(basename "$script")" == lib.sh ]] && continue
    step "conformance: $(basename "$script")" bash "$script" "$RELEASE_LIB"
done

printf '\nall steps passed in %ds\n' "$(($(date +%s) - SCRIPT_START))"
finish
