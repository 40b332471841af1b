# shellcheck shell=bash
# Shared helpers for the conformance scripts (sourced, not run: scripts/test.sh
# skips this file when it runs conformance/*.sh).
#
# Model: a script runs named checks. A check is a shell function that returns
# 0 (pass) or non-zero (fail) and explains itself on stdout/stderr; `check`
# prints PASS/FAIL and, on failure, the explanation plus the output of the last
# command the check ran. `summary` prints the closing `N passed, M failed` line.

CONF_PASSED=0
CONF_FAILED=0
CONF_SKIPPED=0
CONF_FAILED_NAMES=()

# Result of the last `run`: combined stdout+stderr in $OUT, exit code in $RC,
# wall time in $MS (milliseconds), end timestamp in $END_MS (ms since epoch),
# the command line in $CMD.
OUT=""
RC=0
MS=0
END_MS=0
CMD=""

# Seconds a single command may take before it counts as hung (exit 124).
: "${CONF_TIMEOUT:=120}"

now_ms() {
    local ns
    ns=$(date +%s%N)
    echo $((ns / 1000000))
}

# run CMD ARGS...: run a command with a timeout, capturing everything it prints.
# Never fails (the caller inspects $RC); safe under `set -e`.
run() {
    local start tmp
    CMD=$(printf '%q ' "$@")
    tmp=$(mktemp "${CONF_TMP:-/tmp}/run.XXXXXX")
    start=$(now_ms)
    RC=0
    timeout --kill-after=5 "$CONF_TIMEOUT" "$@" >"$tmp" 2>&1 </dev/null || RC=$?
    END_MS=$(now_ms)
    MS=$((END_MS - start))
    OUT=$(cat "$tmp")
    rm -f "$tmp"
    return 0
}

# Explain why a check failed (goes into the check's log).
why() {
    printf '    reason: %s\n' "$*"
}

# Show the last command and its output (goes into the check's log).
show_last() {
    printf '    command: %s\n' "$CMD"
    printf '    exit code: %s (%s ms)\n' "$RC" "$MS"
    if [[ -n "$OUT" ]]; then
        printf '    output:\n'
        printf '%s\n' "$OUT" | sed 's/^/      | /'
    else
        printf '    output: (none)\n'
    fi
}

# --- assertions on the last `run`; each returns non-zero with a reason -------

expect_rc() {
    local want=$1
    if [[ "$RC" -ne "$want" ]]; then
        why "exit code $RC, expected $want"
        show_last
        return 1
    fi
}

expect_rc_nonzero() {
    if [[ "$RC" -eq 0 ]]; then
        why "exit code 0, expected a failure"
        show_last
        return 1
    fi
    if [[ "$RC" -ge 124 ]]; then
        why "exit code $RC: timeout or killed by a signal, not a clean failure"
        show_last
        return 1
    fi
}

# expect_out REGEX: the output matches the extended regex.
expect_out() {
    if ! grep -Eq -- "$1" <<<"$OUT"; then
        why "output does not match /$1/"
        show_last
        return 1
    fi
}

# expect_no_out REGEX: the output does not match the extended regex.
expect_no_out() {
    if grep -Eq -- "$1" <<<"$OUT"; then
        why "output unexpectedly matches /$1/: $(grep -E -m1 -- "$1" <<<"$OUT")"
        show_last
        return 1
    fi
}

# expect_same_file EXPECTED ACTUAL: byte-identical files.
expect_same_file() {
    if [[ ! -f "$2" ]]; then
        why "$2 was not written"
        show_last
        return 1
    fi
    if ! cmp -s -- "$1" "$2"; then
        why "$2 ($(stat -c %s "$2") bytes) differs from $1 ($(stat -c %s "$1") bytes)"
        printf '    expected: %s\n' "$(od -An -tx1 -N32 "$1" | tr -s ' \n' ' ')"
        printf '    actual:   %s\n' "$(od -An -tx1 -N32 "$2" | tr -s ' \n' ' ')"
        show_last
        return 1
    fi
}

# No crash, no hang, no error line from pkcs11-tool: the common core of
# "this pkcs11-tool invocation succeeded" (its exit code alone is not reliable).
expect_ok() {
    expect_rc 0 || return 1
    expect_no_out '^error:|Aborting|failed: rv = |CKR_(GENERAL_ERROR|FUNCTION_FAILED|DEVICE_ERROR)' || return 1
}

# --- checks -------------------------------------------------------------------

# check NAME FUNC [ARGS...]: run FUNC as a named check and print PASS/FAIL.
check() {
    local name=$1 log rc=0
    shift
    log=$(mktemp "${CONF_TMP:-/tmp}/check.XXXXXX")
    # Run in the current shell (so checks can set variables for later checks),
    # with errexit off: a check reports failure through its return status.
    set +e
    "$@" >"$log" 2>&1
    rc=$?
    set -e
    if [[ $rc -eq 0 ]]; then
        CONF_PASSED=$((CONF_PASSED + 1))
        printf 'PASS  %s\n' "$name"
        if [[ -n "${CONF_VERBOSE:-}" && -s "$log" ]]; then sed 's/^/      /' "$log"; fi
    else
        CONF_FAILED=$((CONF_FAILED + 1))
        CONF_FAILED_NAMES+=("$name")
        printf 'FAIL  %s\n' "$name"
        sed 's/^/  /' "$log"
    fi
    rm -f "$log"
    return 0
}

# skip NAME REASON: a check that does not apply to this module.
skip() {
    CONF_SKIPPED=$((CONF_SKIPPED + 1))
    printf 'SKIP  %s (%s)\n' "$1" "$2"
}

section() {
    printf '\n== %s\n' "$*"
}

# summary: print the closing line; return non-zero if any check failed.
summary() {
    local n
    printf '\n'
    if [[ $CONF_SKIPPED -gt 0 ]]; then
        printf '%d checks skipped\n' "$CONF_SKIPPED"
    fi
    if [[ $CONF_FAILED -gt 0 ]]; then
        printf 'failed checks:\n'
        for n in "${CONF_FAILED_NAMES[@]}"; do printf '  - %s\n' "$n"; done
    fi
    printf '%d passed, %d failed\n' "$CONF_PASSED" "$CONF_FAILED"
    [[ $CONF_FAILED -eq 0 ]]
}

# --- pkcs11-tool output parsing -----------------------------------------------

# slot_block_by_id HEXID: from $OUT (a `pkcs11-tool -L` listing), print the
# lines of the slot whose ID is 0xHEXID (its "Slot N (0xID): ..." header
# through the line before the next slot header).
slot_block_by_id() {
    awk -v want="(0x$1):" '
        /^Slot [0-9]+ \(0x[0-9a-fA-F]+\):/ { inblk = (index($0, want) > 0) }
        inblk { print }
    ' <<<"$OUT"
}

# slot_block_by_label LABEL: like slot_block_by_id, for the slot whose token
# label is LABEL.
slot_block_by_label() {
    awk -v want="$1" '
        function flush() { if (found) printf "%s", blk; blk = ""; found = 0 }
        /^Slot [0-9]+ \(0x[0-9a-fA-F]+\):/ { flush() }
        { blk = blk $0 "\n" }
        /^  token label +: / { l = $0; sub(/^  token label +: /, "", l); sub(/ +$/, "", l); if (l == want) found = 1 }
        END { flush() }
    ' <<<"$OUT"
}

# slot_count: number of slots in the `-L` listing in $OUT.
slot_count() {
    grep -Ec '^Slot [0-9]+ \(0x[0-9a-fA-F]+\):' <<<"$OUT" || true
}

# uninit_slot_count: number of slots listed with an uninitialized token.
uninit_slot_count() {
    grep -Ec '^  token state: +uninitialized' <<<"$OUT" || true
}

# conf_setup MODULE [TOML_LINE...]: a fresh temp dir in $CONF_TMP (removed at exit unless
# CONF_KEEP_TMP is set) and a fresh store for MODULE. SoftHSMv2 (a file name containing
# "softhsm") gets a SOFTHSM2_CONF with its own token directory; Craton gets a craton-hsm.toml
# in $CRATON_HSM_CONF, with its XDG directories kept inside the temp dir, cheap Argon2 (the
# scripts log in many times) and the extra [security] lines given. Sets IS_SOFTHSM. A script
# that needs more teardown defines conf_on_exit first.
conf_setup() {
    local module=$1
    shift
    case "$(basename "$module")" in
    *softhsm*) IS_SOFTHSM=1 ;;
    *) IS_SOFTHSM=0 ;;
    esac
    CONF_TMP=$(mktemp -d "${TMPDIR:-/tmp}/craton-conformance.XXXXXX")
    export CONF_TMP
    trap conf_cleanup EXIT
    trap 'exit 130' INT TERM
    if [[ $IS_SOFTHSM -eq 1 ]]; then
        mkdir -p "$CONF_TMP/softhsm-tokens"
        printf '%s\n' "directories.tokendir = $CONF_TMP/softhsm-tokens" \
            'objectstore.backend = file' 'log.level = ERROR' 'slots.removable = false' \
            'library.reset_on_fork = true' >"$CONF_TMP/softhsm2.conf"
        export SOFTHSM2_CONF="$CONF_TMP/softhsm2.conf"
    else
        export XDG_CONFIG_HOME="$CONF_TMP/xdg-config" XDG_DATA_HOME="$CONF_TMP/xdg-data"
        printf '%s\n' '[token]' "storage_path = \"$CONF_TMP/store\"" '' '[security]' \
            'argon2_memory_kib = 256' 'argon2_iterations = 1' "$@" >"$CONF_TMP/craton-hsm.toml"
        export CRATON_HSM_CONF="$CONF_TMP/craton-hsm.toml"
    fi
}

# The EXIT trap of conf_setup.
conf_cleanup() {
    if declare -F conf_on_exit >/dev/null; then
        conf_on_exit
    fi
    if [[ -n "${CONF_KEEP_TMP:-}" ]]; then
        echo "temp dir kept: $CONF_TMP"
    else
        rm -rf -- "$CONF_TMP"
    fi
}

# --- Helpers the scripts share (they use MODULE, TOKEN_LABEL and USER_PIN) ---

# pkcs11-tool with the module under test.
p11() {
    # shellcheck disable=SC2153 # MODULE is set by the sourcing script
    run pkcs11-tool --module "$MODULE" "$@"
}

# pkcs11-tool against the token we initialized, found by its label.
p11t() {
    p11 --token-label "$TOKEN_LABEL" "$@"
}

# The same, logged in as the user.
p11u() {
    p11t --login --pin "$USER_PIN" "$@"
}

# expect_p11_ok: lib.sh's expect_ok, except that pkcs11-tool's warnings about
# attributes a key rightly refuses to show (it asks for CKA_VALUE of every new
# key and CKA_ALWAYS_AUTHENTICATE of every key it uses) are no error.
expect_p11_ok() {
    local filtered
    expect_rc 0 || return 1
    filtered=$(grep -Ev '^warning: PKCS11 function C_GetAttributeValue\([A-Z_]+\) failed: rv = CKR_ATTRIBUTE_(SENSITIVE|TYPE_INVALID) ' <<<"$OUT" || true)
    if grep -Eq '^error:|Aborting|failed: rv = |CKR_(GENERAL_ERROR|FUNCTION_FAILED|DEVICE_ERROR)' <<<"$filtered"; then
        why "pkcs11-tool reported an error: $(grep -E -m1 '^error:|Aborting|failed: rv = |CKR_(GENERAL_ERROR|FUNCTION_FAILED|DEVICE_ERROR)' <<<"$filtered")"
        show_last
        return 1
    fi
}

# expect_file FILE: FILE exists and is not empty.
expect_file() {
    if [[ ! -s "$1" ]]; then
        why "$1 was not written (or is empty)"
        show_last
        return 1
    fi
}

# softhsm_lacks REASON NAME FUNC [ARGS...]: on SoftHSMv2 skip the check NAME
# (it needs something SoftHSMv2 2.6.1 does not have: REASON); on any other
# module run it.
softhsm_lacks() {
    local reason=$1 name=$2
    shift 2
    if [[ $IS_SOFTHSM -eq 1 ]]; then
        skip "$name" "SoftHSMv2: $reason"
    else
        check "$name" "$@"
    fi
}

# tamper IN OUT: OUT is IN with one bit of byte 10 flipped.
tamper() {
    local b
    cp -- "$1" "$2"
    b=$(od -An -tu1 -j10 -N1 -- "$1" | tr -d ' ')
    # shellcheck disable=SC2059 # the format is the octal escape of the byte
    printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$2" bs=1 seek=10 conv=notrunc status=none
}
