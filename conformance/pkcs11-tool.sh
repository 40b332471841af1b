#!/usr/bin/env bash
# Conformance checks driving OpenSC's pkcs11-tool against a PKCS#11 module.
#
# Usage: conformance/pkcs11-tool.sh MODULE_PATH
#
# Runs against a fresh store in a temp dir: for Craton HSM it writes a config
# file (docs/BEHAVIOUR.md) and exports CRATON_HSM_CONF; for SoftHSMv2 it
# writes a SOFTHSM2_CONF with a temp token dir (dry run of the script logic).
#
# Environment:
#   CRATON_SPECIFIC=0|1  run the checks that depend on Craton's contract
#                        (library label "Craton", PIN back-off timing, lockout
#                        after max_failed_logins, slot 0 keeping its ID).
#                        Default 1, or 0 when the module file name contains
#                        "softhsm".
#   CONF_VERBOSE=1       also print the log of passing checks.
#   CONF_KEEP_TMP=1      keep the temp dir (path printed at the end).
#   CONF_TIMEOUT=N       seconds one pkcs11-tool run may take (default 120).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=conformance/lib.sh
. "$HERE/lib.sh"

if [[ $# -ne 1 ]]; then
    echo "usage: $0 MODULE_PATH" >&2
    exit 2
fi
MODULE=$(realpath -- "$1")
if [[ ! -f "$MODULE" ]]; then
    echo "$0: module $1 not found" >&2
    exit 2
fi
for tool in pkcs11-tool openssl timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool not installed (run scripts/install-deps.sh)" >&2
        exit 2
    fi
done

conf_setup "$MODULE" 'max_failed_logins = 3' 'backoff_base_ms = 200' 'backoff_cap_ms = 1000'
: "${CRATON_SPECIFIC:=$((1 - IS_SOFTHSM))}"

# Values the config above implies (used by the Craton-specific checks).
MAX_FAILED_LOGINS=3
BACKOFF_BASE_MS=200

TOKEN_LABEL="craton-conformance"
SO_PIN="87654321"
USER_PIN1="11112222"
USER_PIN2="33334444"
USER_PIN3="55556666"
WRONG_PIN="99990000"
USER_PIN="$USER_PIN1" # the user PIN currently set

echo "module:   $MODULE"
echo "temp dir: $CONF_TMP"
echo "pkcs11-tool: $(dpkg-query -W -f='${Version}' opensc 2>/dev/null || echo unknown)"
echo "Craton-specific checks: $([[ $CRATON_SPECIFIC -eq 1 ]] && echo on || echo off)"

# ---------------------------------------------------------------------------
section "module and slots"
# ---------------------------------------------------------------------------
chk_info() {
    p11 -I
    expect_ok || return 1
    expect_out '^Cryptoki version [0-9]+\.[0-9]+' || return 1
    if [[ $CRATON_SPECIFIC -eq 1 ]]; then
        expect_out '^Manufacturer +.*Craton' || return 1
    fi
}
check "-I shows module info$([[ $CRATON_SPECIFIC -eq 1 ]] && echo ', manufacturer Craton')" chk_info

SLOTS_BEFORE=0
chk_list_fresh() {
    p11 -L
    expect_ok || return 1
    expect_out '^Available slots:' || return 1
    SLOTS_BEFORE=$(slot_count)
    if [[ $SLOTS_BEFORE -lt 1 ]]; then
        why "no slot listed"
        show_last
        return 1
    fi
    local blk
    blk=$(slot_block_by_id 0)
    if [[ -z "$blk" ]]; then
        why "no slot with ID 0x0"
        show_last
        return 1
    fi
    if ! grep -Eq '^  token state: +uninitialized' <<<"$blk"; then
        why "slot 0x0 does not show an uninitialized token"
        show_last
        return 1
    fi
}
check "-L lists slot 0 with an uninitialized token" chk_list_fresh

# ---------------------------------------------------------------------------
section "token initialization"
# ---------------------------------------------------------------------------
chk_init_token() {
    p11 --slot 0 --init-token --label "$TOKEN_LABEL" --so-pin "$SO_PIN"
    expect_ok || return 1
    expect_out 'Token successfully initialized' || return 1
}
check "--init-token on slot 0" chk_init_token

chk_list_after_init() {
    p11 -L
    expect_ok || return 1
    local blk n
    blk=$(slot_block_by_label "$TOKEN_LABEL")
    if [[ -z "$blk" ]]; then
        why "no slot shows token label '$TOKEN_LABEL'"
        show_last
        return 1
    fi
    if ! grep -Eq '^  token flags +:.*token initialized' <<<"$blk"; then
        why "the token's flags do not include 'token initialized'"
        show_last
        return 1
    fi
    if grep -Eq '^  token flags +:.*(user PIN locked|[^a-z]PIN initialized)' <<<"$blk"; then
        why "fresh token shows a user PIN state it cannot have yet"
        show_last
        return 1
    fi
    n=$(slot_count)
    if [[ $n -ne $((SLOTS_BEFORE + 1)) ]]; then
        why "$n slots listed after C_InitToken, expected $((SLOTS_BEFORE + 1)) (one new empty slot)"
        show_last
        return 1
    fi
    if [[ $(uninit_slot_count) -lt 1 ]]; then
        why "no slot with an uninitialized token is left for the next C_InitToken"
        show_last
        return 1
    fi
}
check "-L shows the label, 'token initialized' and a new empty slot" chk_list_after_init

chk_slot_id_kept() {
    p11 -L
    expect_ok || return 1
    local blk
    blk=$(slot_block_by_id 0)
    if ! grep -Eq "^  token label +: $TOKEN_LABEL *\$" <<<"$blk"; then
        why "slot ID 0x0 does not hold the token labelled '$TOKEN_LABEL'"
        show_last
        return 1
    fi
    blk=$(slot_block_by_id 1)
    if ! grep -Eq '^  token state: +uninitialized' <<<"$blk"; then
        why "slot ID 0x1 is not an uninitialized slot"
        show_last
        return 1
    fi
}
if [[ $CRATON_SPECIFIC -eq 1 ]]; then
    check "initialized token keeps slot ID 0, new empty slot has ID 1" chk_slot_id_kept
else
    skip "initialized token keeps slot ID 0, new empty slot has ID 1" "Craton-specific"
fi

# ---------------------------------------------------------------------------
section "PINs"
# ---------------------------------------------------------------------------
# login_as PIN: a user login (plus an object listing) with PIN.
login_as() {
    p11t --login --pin "$1" -O
}

chk_init_pin() {
    p11t --init-pin --login --login-type so --so-pin "$SO_PIN" --pin "$USER_PIN1"
    expect_ok || return 1
    expect_out 'User PIN successfully initialized' || return 1
    p11 -L
    local blk
    blk=$(slot_block_by_label "$TOKEN_LABEL")
    if ! grep -Eq '^  token flags +:.*[^a-z]PIN initialized' <<<"$blk"; then
        why "-L does not show 'PIN initialized' for the token after C_InitPIN"
        show_last
        return 1
    fi
    USER_PIN="$USER_PIN1"
}
check "--init-pin (SO login) sets the user PIN" chk_init_pin

chk_login_user() {
    login_as "$USER_PIN"
    expect_ok || return 1
}
check "user login with the initial PIN" chk_login_user

chk_change_pin() {
    p11t --change-pin --pin "$USER_PIN1" --new-pin "$USER_PIN2"
    expect_ok || return 1
    expect_out 'PIN successfully changed' || return 1
    USER_PIN="$USER_PIN2"
}
check "--change-pin old -> new" chk_change_pin

chk_login_new() {
    login_as "$USER_PIN2"
    expect_ok || return 1
}
check "user login with the new PIN works" chk_login_new

chk_login_old() {
    login_as "$USER_PIN1"
    expect_rc_nonzero || return 1
    expect_out 'C_Login failed: rv = CKR_PIN_INCORRECT' || return 1
}
check "user login with the old PIN fails (CKR_PIN_INCORRECT)" chk_login_old

# A correct login resets the failure count before the back-off measurements.
check "user login with the new PIN after a failure (resets the count)" chk_login_new

WRONG1_MS=0
WRONG1_END=0
chk_wrong1() {
    login_as "$WRONG_PIN"
    expect_rc_nonzero || return 1
    expect_out 'C_Login failed: rv = CKR_PIN_INCORRECT' || return 1
    WRONG1_MS=$MS
    WRONG1_END=$END_MS
    echo "first wrong attempt took $MS ms"
}
check "wrong PIN: C_Login fails with CKR_PIN_INCORRECT" chk_wrong1

WRONG2_MS=0
WRONG2_END=0
chk_wrong2() {
    login_as "$WRONG_PIN"
    WRONG2_MS=$MS
    WRONG2_END=$END_MS
    expect_rc_nonzero || return 1
    expect_out 'C_Login failed: rv = CKR_PIN_INCORRECT' || return 1
}
check "second wrong PIN: CKR_PIN_INCORRECT again" chk_wrong2

chk_backoff() {
    # The second failure can only be recorded backoff_base_ms after the first;
    # both processes spend the same time after C_Login returns, so the gap
    # between their exits is at least the back-off (10% slack for timers).
    local gap=$((WRONG2_END - WRONG1_END)) extra=$((WRONG2_MS - WRONG1_MS))
    local min_gap=$((BACKOFF_BASE_MS * 9 / 10))
    echo "attempt 1: ${WRONG1_MS} ms, attempt 2: ${WRONG2_MS} ms, gap between failures: ${gap} ms"
    if [[ $WRONG1_END -eq 0 || $WRONG2_END -eq 0 ]]; then
        why "the wrong-PIN attempts did not run"
        return 1
    fi
    if [[ $gap -lt $min_gap ]]; then
        why "second failure came ${gap} ms after the first, back-off is ${BACKOFF_BASE_MS} ms (need >= ${min_gap})"
        show_last
        return 1
    fi
    if [[ $extra -lt $((BACKOFF_BASE_MS / 2)) ]]; then
        why "second attempt took only ${extra} ms longer than the first (expected a visible back-off delay)"
        show_last
        return 1
    fi
}
if [[ $CRATON_SPECIFIC -eq 1 ]]; then
    check "back-off: second wrong attempt delayed >= ~${BACKOFF_BASE_MS} ms after the first failure" chk_backoff
else
    skip "back-off timing" "Craton-specific"
fi

chk_lockout() {
    local i
    # Failures so far: 2. Keep going until max_failed_logins; the attempt that
    # reaches the limit may say INCORRECT or LOCKED.
    for ((i = 3; i <= MAX_FAILED_LOGINS; i++)); do
        login_as "$WRONG_PIN"
        expect_rc_nonzero || return 1
        expect_out 'C_Login failed: rv = CKR_PIN_(INCORRECT|LOCKED)' || return 1
    done
    # Now even the correct PIN is refused.
    login_as "$USER_PIN"
    expect_rc_nonzero || return 1
    expect_out 'C_Login failed: rv = CKR_PIN_LOCKED' || return 1
}
chk_locked_flag() {
    p11 -L
    expect_ok || return 1
    local blk
    blk=$(slot_block_by_label "$TOKEN_LABEL")
    if ! grep -Eq '^  token flags +:.*user PIN locked' <<<"$blk"; then
        why "-L does not show 'user PIN locked' for the token"
        show_last
        return 1
    fi
}
if [[ $CRATON_SPECIFIC -eq 1 ]]; then
    check "lockout after max_failed_logins=$MAX_FAILED_LOGINS: correct PIN gets CKR_PIN_LOCKED" chk_lockout
    check "-L shows 'user PIN locked'" chk_locked_flag
else
    skip "lockout after max_failed_logins" "Craton-specific"
    skip "-L shows 'user PIN locked'" "Craton-specific"
fi

chk_so_reset() {
    p11t --init-pin --login --login-type so --so-pin "$SO_PIN" --pin "$USER_PIN3"
    expect_ok || return 1
    expect_out 'User PIN successfully initialized' || return 1
    USER_PIN="$USER_PIN3"
}
check "SO sets a new user PIN with --init-pin$([[ $CRATON_SPECIFIC -eq 1 ]] && echo ' (unlocks it)')" chk_so_reset

chk_login_after_reset() {
    login_as "$USER_PIN3"
    expect_ok || return 1
    p11 -L
    expect_ok || return 1
    local blk
    blk=$(slot_block_by_label "$TOKEN_LABEL")
    if grep -Eq '^  token flags +:.*user PIN (locked|count low)' <<<"$blk"; then
        why "-L still shows a user PIN lock/count flag after a successful login"
        show_last
        return 1
    fi
}
check "user login with the SO-set PIN works, no lock flag left" chk_login_after_reset

# ---------------------------------------------------------------------------
section "data objects"
# ---------------------------------------------------------------------------
head -c 200 /dev/urandom >"$CONF_TMP/data-pub.bin"
printf 'craton private data object\000\001\002\377' >"$CONF_TMP/data-priv.bin"

chk_write_data() {
    local label=$1 app=$2 file=$3
    shift 3
    p11t --login --pin "$USER_PIN" --write-object "$file" --type data \
        --label "$label" --application-label "$app" "$@"
    expect_ok || return 1
    expect_out 'Created Data Object' || return 1
    expect_out "label: +'$label'" || return 1
}
check "--write-object data, public (label DPUB)" chk_write_data DPUB APPPUB "$CONF_TMP/data-pub.bin"
check "--write-object data, --private (label DPRIV)" chk_write_data DPRIV APPPRIV "$CONF_TMP/data-priv.bin" --private

# data_block LABEL: the -O entry of the data object labelled LABEL.
data_block() {
    awk -v want="^  label: +'$1'\$" '
        function flush() { if (found) printf "%s", blk; blk = ""; found = 0 }
        /^[A-Z][A-Za-z ]*[Oo]bject/ { flush() }
        { blk = blk $0 "\n" }
        $0 ~ want { found = 1 }
        END { flush() }
    ' <<<"$OUT"
}

chk_list_data_login() {
    p11t --login --pin "$USER_PIN" -O
    expect_ok || return 1
    local blk
    blk=$(data_block DPUB)
    if ! grep -q "application: *'APPPUB'" <<<"$blk"; then
        why "-O (logged in) does not show data object DPUB with application APPPUB"
        show_last
        return 1
    fi
    if grep -q 'private' <<<"$blk"; then
        why "DPUB is listed as private"
        show_last
        return 1
    fi
    blk=$(data_block DPRIV)
    if ! grep -q "application: *'APPPRIV'" <<<"$blk"; then
        why "-O (logged in) does not show data object DPRIV with application APPPRIV"
        show_last
        return 1
    fi
    if ! grep -Eq '^  flags: .*private' <<<"$blk"; then
        why "DPRIV is not flagged private"
        show_last
        return 1
    fi
}
check "-O (new process, logged in) lists both data objects" chk_list_data_login

chk_list_data_public() {
    p11t -O
    expect_ok || return 1
    if [[ -z "$(data_block DPUB)" ]]; then
        why "-O without login does not show the public data object DPUB"
        show_last
        return 1
    fi
    if [[ -n "$(data_block DPRIV)" ]]; then
        why "-O without login shows the private data object DPRIV"
        show_last
        return 1
    fi
}
check "-O without login lists the public data object only" chk_list_data_public

chk_read_data() {
    local label=$1 expected=$2 out="$CONF_TMP/read-$1.bin"
    shift 2
    rm -f "$out"
    p11t "$@" --read-object --type data --label "$label" -o "$out"
    expect_ok || return 1
    expect_same_file "$expected" "$out" || return 1
}
check "--read-object data DPUB (no login) returns the exact bytes" chk_read_data DPUB "$CONF_TMP/data-pub.bin"
check "--read-object data DPRIV (logged in) returns the exact bytes" chk_read_data DPRIV "$CONF_TMP/data-priv.bin" --login --pin "$USER_PIN"

chk_read_private_nologin() {
    rm -f "$CONF_TMP/read-nologin.bin"
    p11t --read-object --type data --label DPRIV -o "$CONF_TMP/read-nologin.bin"
    expect_rc_nonzero || return 1
    if [[ -s "$CONF_TMP/read-nologin.bin" ]]; then
        why "private object bytes were written without a login"
        show_last
        return 1
    fi
}
check "--read-object of the private data object without login fails" chk_read_private_nologin

chk_delete_data() {
    local label=$1
    p11t --login --pin "$USER_PIN" --delete-object --type data --label "$label"
    expect_ok || return 1
    p11t --login --pin "$USER_PIN" -O
    expect_ok || return 1
    if [[ -n "$(data_block "$label")" ]]; then
        why "-O still lists data object $label after --delete-object"
        show_last
        return 1
    fi
}
check "--delete-object data DPUB, later -O no longer shows it" chk_delete_data DPUB
check "--delete-object data DPRIV, later -O no longer shows it" chk_delete_data DPRIV

# ---------------------------------------------------------------------------
section "certificates"
# ---------------------------------------------------------------------------
CERT="$CONF_TMP/cert.der"
chk_make_cert() {
    run openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=craton-test -days 1 \
        -keyout "$CONF_TMP/cert-key.pem" -outform DER -out "$CERT"
    expect_rc 0 || return 1
    [[ -s "$CERT" ]] || {
        why "openssl wrote no certificate"
        return 1
    }
}
check "openssl: self-signed certificate (test input)" chk_make_cert

chk_write_cert() {
    p11t --login --pin "$USER_PIN" --write-object "$CERT" --type cert --label C --id 01
    expect_ok || return 1
    expect_out 'Created certificate' || return 1
}
check "--write-object cert (label C, id 01)" chk_write_cert

chk_list_cert() {
    p11t "$@" -O
    expect_ok || return 1
    expect_out '^Certificate Object; type = X\.509 cert' || return 1
    expect_out '^  label: +C$' || return 1
    expect_out '^  subject: +DN: CN ?= ?craton-test' || return 1
    expect_out '^  ID: +01$' || return 1
}
check "-O (logged in) lists the certificate" chk_list_cert --login --pin "$USER_PIN"
check "-O without login lists the certificate (public)" chk_list_cert

chk_read_cert() {
    rm -f "$CONF_TMP/read-cert.der"
    p11t --read-object --type cert --id 01 -o "$CONF_TMP/read-cert.der"
    expect_ok || return 1
    expect_same_file "$CERT" "$CONF_TMP/read-cert.der" || return 1
}
check "--read-object cert --id 01 is byte-identical" chk_read_cert

chk_delete_cert() {
    p11t --login --pin "$USER_PIN" --delete-object --type cert --id 01
    expect_ok || return 1
    p11t -O
    expect_ok || return 1
    expect_no_out '^Certificate Object' || return 1
}
check "--delete-object cert --id 01, later -O no longer shows it" chk_delete_cert

# ---------------------------------------------------------------------------
section "fork and threads"
# ---------------------------------------------------------------------------
chk_fork() {
    p11 --test-fork
    expect_ok || return 1
    expect_out 'Calling C_Initialize in forked child process' || return 1
    expect_no_out 'Child process exited with status' || return 1
}
check "--test-fork: C_Initialize in a forked child" chk_fork

# --test-threads SPEC starts one thread per option running SPEC's two-letter
# commands (IN: C_Initialize(NULL), IL: C_Initialize(CKF_OS_LOCKING_OK),
# GI: C_GetInfo, SL: C_GetSlotList, Tn: C_GetTokenInfo of slot index n,
# Pn: pause n s; ':' separates). Those threads call C_Initialize concurrently
# with the main thread. pkcs11-tool exits 0 whatever the threads got, so the
# check reads their report. (If a thread is still running when the main
# thread is done, pkcs11-tool sleeps 30 s before reporting.)
if [[ $CRATON_SPECIFIC -eq 1 ]]; then
    THREAD_SPECS=(IN:GI:SL:T0:GI:SL:T0 IL:GI:SL:T0:GI:SL:T0 IN:SL:T0:T0:GI)
else
    # SoftHSMv2's C_Initialize is not safe against concurrent calls (it
    # segfaults now and then), so its dry run lets the main thread initialize
    # first.
    THREAD_SPECS=(P1:GI:SL:T0 P1:SL:T0:GI)
fi
chk_threads() {
    local args=() s n=${#THREAD_SPECS[@]} ended
    for s in "${THREAD_SPECS[@]}"; do args+=(--test-threads "$s"); done
    p11 "${args[@]}" -L
    expect_ok || return 1
    expect_no_out "Unknown test|slot not available|test_threads pthread_create failed" || return 1
    # Every C_* result a thread reports must be CKR_OK (or, for C_Initialize,
    # CKR_CRYPTOKI_ALREADY_INITIALIZED).
    if grep -E 'returned ' <<<"$OUT" | grep -Eqv 'returned CKR_(OK|CRYPTOKI_ALREADY_INITIALIZED)$'; then
        why "a thread got an unexpected return value: $(grep -E 'returned ' <<<"$OUT" | grep -Ev 'returned CKR_(OK|CRYPTOKI_ALREADY_INITIALIZED)$' | head -1)"
        show_last
        return 1
    fi
    expect_out 'test_threads all threads have ended with CKR_OK' || return 1
    ended=$(grep -Ec '^Test thread [0-9]+ returning rv' <<<"$OUT" || true)
    if [[ $ended -ne $n ]]; then
        why "$ended of $n threads reported their end"
        show_last
        return 1
    fi
    if [[ $(grep -Ec '^Test thread [0-9]+ C_GetTokenInfo' <<<"$OUT" || true) -lt $n ]]; then
        why "not every thread got as far as C_GetTokenInfo"
        show_last
        return 1
    fi
    expect_out "token label +: $TOKEN_LABEL" || return 1
}
check "--test-threads ${THREAD_SPECS[*]}: no crash, all calls OK" chk_threads

summary
