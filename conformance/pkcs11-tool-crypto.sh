#!/usr/bin/env bash
# Crypto self-tests of OpenSC's pkcs11-tool (0.23) against a PKCS#11 module:
# --test with RSA/EC/AES keys on the token, --test-ec on P-256/P-384/P-521,
# --test-threads next to a signing main thread, Ed25519 (EDDSA) with an
# OpenSSL cross-check, and the mechanism list these need.
#
# Usage: conformance/pkcs11-tool-crypto.sh MODULE_PATH
#
# Runs against a fresh store in a temp dir: for Craton HSM it writes a config
# file (docs/CONFIGURATION.md) and exports CRATON_HSM_CONF; for SoftHSMv2 it
# writes a SOFTHSM2_CONF with a temp token dir (dry run of the script logic).
# On SoftHSMv2 the checks that need something SoftHSMv2 2.6.1 lacks are
# skipped (never on any other module).
#
# Environment:
#   CONF_VERBOSE=1       also print the log of passing checks.
#   CONF_KEEP_TMP=1      keep the temp dir (path printed at the end).
#   CONF_TIMEOUT=N       seconds one command may take (default 120).
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
for tool in pkcs11-tool openssl timeout od; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool not installed (run scripts/install-deps.sh)" >&2
        exit 2
    fi
done

conf_setup "$MODULE"

TOKEN_LABEL="craton-crypto"
SO_PIN="87654321"
USER_PIN="11112222"

# MECH_LIST: the module's `pkcs11-tool -M` output (filled by chk_mechanisms).
MECH_LIST=""

# has_mech NAME: pkcs11-tool -M listed mechanism NAME.
has_mech() {
    grep -Eq "^  $1(,|\$)" <<<"$MECH_LIST"
}

# needs_mechs "MECH..." NAME FUNC [ARGS...]: run the check; on SoftHSMv2 skip
# it instead when SoftHSMv2 does not list one of the mechanisms.
needs_mechs() {
    local mechs=$1 name=$2 m
    shift 2
    if [[ $IS_SOFTHSM -eq 1 ]]; then
        for m in $mechs; do
            if ! has_mech "$m"; then
                skip "$name" "SoftHSMv2 does not offer $m"
                return 0
            fi
        done
    fi
    check "$name" "$@"
}

# export_pub HEXID OUT.pem: the public key with CKA_ID HEXID, read with
# pkcs11-tool (DER SubjectPublicKeyInfo; PEM for EDDSA keys in 0.23) and
# converted to PEM by OpenSSL.
export_pub() {
    local raw="$CONF_TMP/pub-$1.raw"
    rm -f "$raw" "$2"
    p11t --read-object --type pubkey --id "$1" -o "$raw"
    if [[ $RC -ne 0 ]] && grep -q 'cannot create EVP_PKEY' <<<"$OUT"; then
        # pkcs11-tool 0.23 fails so for every P-384 key (whatever the
        # module); build the SubjectPublicKeyInfo from its -O listing.
        echo "note: --read-object failed for id $1 ('cannot create EVP_PKEY'), building the key from -O"
        ec_pub_from_listing "$1" "$2"
        return
    fi
    expect_p11_ok || return 1
    if [[ ! -s "$raw" ]]; then
        why "--read-object wrote no public key"
        show_last
        return 1
    fi
    # No -inform: OpenSSL 3 detects DER or PEM by itself.
    run openssl pkey -pubin -in "$raw" -out "$2"
    expect_rc 0 || return 1
}

# ec_pub_from_listing HEXID OUT.pem: the EC public key with CKA_ID HEXID as
# PEM, made by OpenSSL (asn1parse -genconf) from the CKA_EC_POINT and
# CKA_EC_PARAMS that `pkcs11-tool -O` shows.
ec_pub_from_listing() {
    local id=$1 blk point params curve len conf="$CONF_TMP/spki-$1.cnf"
    p11t -O
    expect_p11_ok || return 1
    blk=$(awk -v want="^  ID: +$id\$" '
        function flush() { if (found) printf "%s", blk; blk = ""; found = 0 }
        /^[A-Z][A-Za-z ]*[Oo]bject/ { flush(); pub = ($0 ~ /^Public Key Object; EC /) }
        { blk = blk $0 "\n" }
        pub && $0 ~ want { found = 1 }
        END { flush() }
    ' <<<"$OUT")
    point=$(sed -n 's/^  EC_POINT: *\([0-9a-f]*\)$/\1/p' <<<"$blk" | head -1)
    params=$(sed -n 's/^  EC_PARAMS: *\([0-9a-f]*\).*$/\1/p' <<<"$blk" | head -1)
    case "$params" in
    06082a8648ce3d030107) curve=prime256v1 ;;
    06052b81040022) curve=secp384r1 ;;
    06052b81040023) curve=secp521r1 ;;
    *)
        why "no EC public key with ID $id and a known curve in the -O listing (EC_PARAMS '$params')"
        show_last
        return 1
        ;;
    esac
    # Unwrap the DER OCTET STRING (short or long form length).
    len=${point:2:2}
    case "$len" in
    81) point=${point:6} ;;
    82) point=${point:8} ;;
    *) point=${point:4} ;;
    esac
    cat >"$conf" <<EOF
asn1 = SEQUENCE:spki
[spki]
alg = SEQUENCE:alg
key = FORMAT:HEX,BITSTRING:$point
[alg]
oid = OID:id-ecPublicKey
curve = OID:$curve
EOF
    run openssl asn1parse -genconf "$conf" -noout -out "$CONF_TMP/spki-$id.der"
    expect_rc 0 || return 1
    run openssl pkey -pubin -inform DER -in "$CONF_TMP/spki-$id.der" -out "$2"
    expect_rc 0 || return 1
}

head -c 1000 /dev/urandom >"$CONF_TMP/data.bin"

echo "module:   $MODULE"
echo "temp dir: $CONF_TMP"
echo "pkcs11-tool: $(dpkg-query -W -f='${Version}' opensc 2>/dev/null || echo unknown)"
echo "openssl: $(openssl version)"

# ---------------------------------------------------------------------------
section "token"
# ---------------------------------------------------------------------------
chk_init_token() {
    p11 --slot-index 0 --init-token --label "$TOKEN_LABEL" --so-pin "$SO_PIN"
    expect_p11_ok || return 1
    expect_out 'Token successfully initialized' || return 1
}
check "--init-token" chk_init_token

chk_init_pin() {
    p11t --init-pin --login --login-type so --so-pin "$SO_PIN" --pin "$USER_PIN"
    expect_p11_ok || return 1
    expect_out 'User PIN successfully initialized' || return 1
}
check "--init-pin" chk_init_pin

# ---------------------------------------------------------------------------
section "mechanisms"
# ---------------------------------------------------------------------------
# NAME:FLAG pairs: the mechanisms the checks below use, with the flag each
# needs. ECDSA-SHA1 is what --test-ec signs with.
REQUIRED_MECHS=(
    RSA-PKCS-KEY-PAIR-GEN:generate_key_pair
    ECDSA-KEY-PAIR-GEN:generate_key_pair
    EC-EDWARDS-KEY-PAIR-GEN:generate_key_pair
    AES-KEY-GEN:generate
    RSA-PKCS:sign RSA-PKCS:verify RSA-PKCS:encrypt RSA-PKCS:decrypt
    RSA-PKCS-OAEP:decrypt
    SHA256-RSA-PKCS:sign SHA256-RSA-PKCS:verify
    ECDSA:sign ECDSA:verify
    ECDSA-SHA1:sign ECDSA-SHA1:verify
    EDDSA:sign EDDSA:verify
    SHA-1:digest SHA256:digest
)
chk_mechanisms() {
    local pair name flag line bad=0 noted=" "
    p11t -M
    expect_p11_ok || return 1
    expect_out '^Supported mechanisms:' || return 1
    MECH_LIST=$OUT
    for pair in "${REQUIRED_MECHS[@]}"; do
        name=${pair%%:*}
        flag=${pair#*:}
        line=$(grep -E "^  $name(,|\$)" <<<"$OUT" || true)
        if [[ -z "$line" ]]; then
            # Say so once per mechanism, not once per flag.
            if [[ "$noted" != *" $name "* ]]; then
                if [[ $IS_SOFTHSM -eq 1 ]]; then
                    echo "note: SoftHSMv2 does not list $name (the checks using it are skipped)"
                else
                    why "-M does not list $name"
                    bad=1
                fi
            fi
            noted+=" $name "
        elif ! grep -Eq ", $flag(,|\$)" <<<"$line"; then
            why "-M lists $name without the '$flag' flag: $line"
            bad=1
        fi
    done
    if [[ $bad -ne 0 ]]; then
        show_last
        return 1
    fi
}
check "-M lists the mechanisms (and flags) the checks below use" chk_mechanisms

# ---------------------------------------------------------------------------
section "keys for --test"
# ---------------------------------------------------------------------------
chk_gen_rsa() {
    p11u --keypairgen --key-type rsa:2048 --id 01 --label rsa-2048
    expect_p11_ok || return 1
    expect_out 'Key pair generated' || return 1
    expect_out '^Private Key Object; RSA' || return 1
    expect_out '^Public Key Object; RSA 2048 bits' || return 1
}
check "--keypairgen rsa:2048 (id 01)" chk_gen_rsa

chk_gen_ec() {
    local id=$1 curve=$2 params=$3
    p11u --keypairgen --key-type "EC:$curve" --id "$id" --label "ec-$curve"
    expect_p11_ok || return 1
    expect_out 'Key pair generated' || return 1
    expect_out '^Private Key Object; EC' || return 1
    expect_out '^Public Key Object; EC +EC_POINT [0-9]+ bits' || return 1
    expect_out "^  EC_PARAMS: +$params" || return 1
    # CKA_EC_POINT is a DER OCTET STRING holding an uncompressed point.
    expect_out '^  EC_POINT: +04(8[12][0-9a-f]{2}|[0-9a-f]{2})04' || return 1
}
check "--keypairgen EC:prime256v1 (id 02)" chk_gen_ec 02 prime256v1 06082a8648ce3d030107

chk_gen_aes() {
    p11u --keygen --key-type AES:32 --id 03 --label aes-256
    expect_p11_ok || return 1
    expect_out 'Key generated' || return 1
    expect_out '^Secret Key Object; AES length 32' || return 1
}
check "--keygen AES:32 (id 03)" chk_gen_aes

# ---------------------------------------------------------------------------
section "pkcs11-tool --test"
# ---------------------------------------------------------------------------
# --test runs digest, signature, verification and decryption self-tests over
# the keys on the token. Its exit code says nothing: only the closing "No
# errors" line (or "N errors") tells. Without --allow-sw it runs the
# signature part only for mechanisms flagged CKF_HW, which a software token
# does not set; the second run adds --allow-sw so that part runs too.
chk_test() {
    local bad
    p11u --test "$@"
    expect_out '^No errors$' || return 1
    # Anything that looks like an error, bar the benign attribute warnings
    # expect_p11_ok also lets through.
    bad=$(grep -Ev '^warning: PKCS11 function C_GetAttributeValue\([A-Z_]+\) failed: rv = CKR_ATTRIBUTE_(SENSITIVE|TYPE_INVALID) ' <<<"$OUT" |
        grep -E -m1 'Aborting|ERR|[0-9]+ errors|failed' || true)
    if [[ -n "$bad" ]]; then
        why "error in the --test output: $bad"
        show_last
        return 1
    fi
    expect_out '^Digests:' || return 1
    expect_out '^Decryption \(currently only for RSA\)' || return 1
    expect_out 'testing key [0-9]+ \(rsa-2048\)' || return 1
    if [[ " $* " == *" --allow-sw "* ]]; then
        expect_out '^Signatures \(currently only for RSA\)' || return 1
        expect_out 'all 4 signature functions seem to work' || return 1
    fi
}
TEST_REASON="2.6.1 rejects RSA-OAEP with a label (CKR_ARGUMENTS_BAD), which --test's decryption part uses, so the run aborts"
softhsm_lacks "$TEST_REASON" "--test with RSA-2048, EC P-256 and AES-256 keys: 'No errors'" chk_test
softhsm_lacks "$TEST_REASON" "--test --allow-sw (signature tests too): 'No errors'" chk_test --allow-sw

# ---------------------------------------------------------------------------
section "EC curves"
# ---------------------------------------------------------------------------
check "--keypairgen EC:secp384r1 (id 04)" chk_gen_ec 04 secp384r1 06052b81040022
check "--keypairgen EC:secp521r1 (id 05)" chk_gen_ec 05 secp521r1 06052b81040023

# chk_ecdsa HEXID DIGEST: sign the digest of the data with raw ECDSA, check
# the signature with pkcs11-tool --verify and with OpenSSL.
chk_ecdsa() {
    local id=$1 md=$2 pem="$CONF_TMP/ec-$1.pem" hash="$CONF_TMP/data.$2"
    local sig="$CONF_TMP/ecdsa-$1.der"
    export_pub "$id" "$pem" || return 1
    run openssl dgst "-$md" -binary -out "$hash" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    rm -f "$sig"
    p11u --sign --mechanism ECDSA --id "$id" --signature-format openssl -i "$hash" -o "$sig"
    expect_p11_ok || return 1
    p11t --verify --mechanism ECDSA --id "$id" --signature-format openssl -i "$hash" --signature-file "$sig"
    expect_p11_ok || return 1
    expect_out '^Signature is valid' || return 1
    run openssl dgst "-$md" -verify "$pem" -signature "$sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    expect_out 'Verified OK' || return 1
}
check "ECDSA P-256: --sign/--verify, OpenSSL verifies too" chk_ecdsa 02 sha256
check "ECDSA P-384: --sign/--verify, OpenSSL verifies too" chk_ecdsa 04 sha384
check "ECDSA P-521: --sign/--verify, OpenSSL verifies too" chk_ecdsa 05 sha512

# --test-ec generates its own key pair (--id, --key-type), renames it
# (C_SetAttributeValue on CKA_ID, CKA_LABEL, CKA_SUBJECT), signs with
# CKM_ECDSA_SHA1 and deletes both keys. 0.23 opens a read-only session for it
# unless told otherwise, hence --session-rw.
chk_test_ec() {
    local id=$1 curve=$2
    p11u --session-rw --test-ec --id "$id" --key-type "EC:$curve"
    expect_p11_ok || return 1
    expect_no_out 'ERR|failed|Aborting' || return 1
    expect_out 'Key pair generated' || return 1
    expect_out 'Doing a signature' || return 1
    expect_out 'Deleting the private and the public key again' || return 1
    # Nothing of the test key may be left behind.
    p11u -O
    expect_p11_ok || return 1
    expect_no_out "^  ID: +($id|6162636465666768696a6b6c6d6e6f7071727374)\$" || return 1
}
needs_mechs "ECDSA-SHA1" "--test-ec EC:prime256v1" chk_test_ec 12 prime256v1
needs_mechs "ECDSA-SHA1" "--test-ec EC:secp384r1" chk_test_ec 13 secp384r1
needs_mechs "ECDSA-SHA1" "--test-ec EC:secp521r1" chk_test_ec 14 secp521r1

# ---------------------------------------------------------------------------
section "threads"
# ---------------------------------------------------------------------------
# --test-threads SPEC starts one thread per option running SPEC's two-letter
# commands (IN: C_Initialize(NULL), IL: C_Initialize(CKF_OS_LOCKING_OK),
# GI: C_GetInfo, SL: C_GetSlotList, Tn: C_GetTokenInfo of slot index n,
# Pn: pause n s; ':' separates) next to the main thread's own work, here a
# login and a SHA256-RSA-PKCS signature. pkcs11-tool exits 0 whatever the
# threads got, so the check reads their report. If a thread is still running
# when the main thread is done, pkcs11-tool sleeps 30 s before reporting: the
# main thread's input arrives 2 s late so that the threads finish first.
if [[ $IS_SOFTHSM -eq 1 ]]; then
    # SoftHSMv2's C_Initialize is not safe against concurrent calls, so the
    # threads wait until the main thread has initialized.
    THREAD_SPECS=(P1:GI:SL:T0 P1:SL:T0:GI)
else
    THREAD_SPECS=(IN:GI:SL:T0:GI:SL:T0 IL:GI:SL:T0:GI:SL:T0 IN:SL:T0:T0:GI)
fi
chk_threads() {
    local args=() s n=${#THREAD_SPECS[@]} ended sig="$CONF_TMP/threads.sig"
    for s in "${THREAD_SPECS[@]}"; do args+=(--test-threads "$s"); done
    rm -f "$sig"
    export_pub 01 "$CONF_TMP/rsa.pem" || return 1
    p11u "${args[@]}" --sign --mechanism SHA256-RSA-PKCS --id 01 \
        -i <(sleep 2; cat "$CONF_TMP/data.bin") -o "$sig"
    expect_p11_ok || return 1
    expect_no_out "Unknown test|slot not available|pthread_create failed|waiting for 30 seconds" || return 1
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
    expect_out "token label +: $TOKEN_LABEL" || return 1
    run openssl dgst -sha256 -verify "$CONF_TMP/rsa.pem" -signature "$sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    expect_out 'Verified OK' || return 1
}
check "--test-threads ${THREAD_SPECS[*]} while signing: all calls OK, signature verifies" chk_threads

# ---------------------------------------------------------------------------
section "Ed25519"
# ---------------------------------------------------------------------------
# 0.23 knows the curve as EC:edwards25519 only ("EC:ed25519" and
# "EC:Ed25519" are refused); it sets CKA_EC_PARAMS to the PrintableString
# "edwards25519" (13 0c ...), not to the OID 1.3.101.112.
chk_gen_ed25519() {
    p11u --keypairgen --key-type EC:edwards25519 --id 06 --label ed25519
    expect_p11_ok || return 1
    expect_out 'Key pair generated' || return 1
    expect_out '^Private Key Object; EC_EDWARDS' || return 1
    expect_out '^Public Key Object; EC_EDWARDS' || return 1
    # CKA_EC_POINT: a DER OCTET STRING of the 32-byte public key.
    expect_out '^  EC_POINT: +0420[0-9a-f]{64}$' || return 1
}
check "--keypairgen EC:edwards25519 (id 06)" chk_gen_ed25519

ED_SIG="$CONF_TMP/ed25519.sig"
chk_eddsa_sign() {
    rm -f "$ED_SIG"
    p11u --sign --mechanism EDDSA --id 06 -i "$CONF_TMP/data.bin" -o "$ED_SIG"
    expect_p11_ok || return 1
    if [[ ! -f "$ED_SIG" || $(stat -c %s "$ED_SIG") -ne 64 ]]; then
        why "expected a 64-byte signature, got $(stat -c %s "$ED_SIG" 2>/dev/null || echo no file)"
        show_last
        return 1
    fi
    p11t --verify --mechanism EDDSA --id 06 -i "$CONF_TMP/data.bin" --signature-file "$ED_SIG"
    expect_p11_ok || return 1
    expect_out '^Signature is valid' || return 1
}
check "--sign -m EDDSA, --verify with the same key" chk_eddsa_sign

chk_eddsa_openssl() {
    local pem="$CONF_TMP/ed25519.pem"
    export_pub 06 "$pem" || return 1
    run openssl pkey -pubin -in "$pem" -noout -text
    expect_rc 0 || return 1
    expect_out '^ED25519 Public-Key' || return 1
    run openssl pkeyutl -verify -pubin -inkey "$pem" -rawin -in "$CONF_TMP/data.bin" -sigfile "$ED_SIG"
    expect_rc 0 || return 1
    expect_out 'Signature Verified Successfully' || return 1
}
check "OpenSSL verifies the EDDSA signature with the exported public key" chk_eddsa_openssl

chk_eddsa_tampered() {
    tamper "$ED_SIG" "$CONF_TMP/ed25519-bad.sig"
    p11t --verify --mechanism EDDSA --id 06 -i "$CONF_TMP/data.bin" --signature-file "$CONF_TMP/ed25519-bad.sig"
    expect_out 'Invalid signature' || return 1
    expect_no_out '^Signature is valid' || return 1
}
check "--verify -m EDDSA rejects a tampered signature" chk_eddsa_tampered

summary
