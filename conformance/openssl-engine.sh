#!/usr/bin/env bash
# OpenSSL 3.0 driving a PKCS#11 module through libp11's engine (engine id
# "pkcs11", libengine-pkcs11-openssl): self-signed certificates, RSA PKCS#1
# v1.5 / PSS and ECDSA signatures, RSA decryption (PKCS#1 v1.5, OAEP-SHA1,
# OAEP-SHA256) and TLS 1.3 servers whose private key stays on the token.
# Everything the token produces is checked by OpenSSL in software.
#
# Usage: conformance/openssl-engine.sh MODULE_PATH
#
# Runs against a fresh store in a temp dir: for Craton HSM it writes a config
# file (docs/CONFIGURATION.md) and exports CRATON_HSM_CONF; for SoftHSMv2 it
# writes a SOFTHSM2_CONF with a temp token dir (dry run of the script logic).
# The engine is configured by an openssl.cnf in the temp dir; keys are named
# by PKCS#11 URIs carrying the PIN (pin-value).
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
for tool in pkcs11-tool openssl timeout; do
    if ! command -v "$tool" >/dev/null; then
        echo "$0: $tool not installed (run scripts/install-deps.sh)" >&2
        exit 2
    fi
done
ENGINES_DIR=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')
ENGINE_SO="${ENGINES_DIR:-/usr/lib/x86_64-linux-gnu/engines-3}/pkcs11.so"
if [[ ! -f "$ENGINE_SO" ]]; then
    echo "$0: $ENGINE_SO not found: libengine-pkcs11-openssl not installed (run scripts/install-deps.sh)" >&2
    exit 2
fi
# OpenSC's logging pass-through module, used to see which mechanisms the
# engine asks the token for (optional).
SPY_SO=""
for f in /usr/lib/x86_64-linux-gnu/pkcs11-spy.so /usr/lib/x86_64-linux-gnu/pkcs11/pkcs11-spy.so; do
    if [[ -f "$f" ]]; then
        SPY_SO=$f
        break
    fi
done

# The TLS server runs in the background; it must never outlive the script.
SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        SERVER_PID=""
    fi
}
conf_on_exit() {
    stop_server
}

conf_setup "$MODULE"

TOKEN_LABEL="craton-engine"
SO_PIN="87654321"
USER_PIN="11112222"
RSA_LABEL="rsa-2048"
EC_LABEL="ec-p256"
RSA_URI="pkcs11:token=$TOKEN_LABEL;object=$RSA_LABEL;type=private?pin-value=$USER_PIN"
EC_URI="pkcs11:token=$TOKEN_LABEL;object=$EC_LABEL;type=private?pin-value=$USER_PIN"

# write_openssl_cnf FILE MODULE: an openssl.cnf that loads the pkcs11 engine
# with MODULE, plus what `openssl req -x509` needs for a self-signed server
# certificate usable as its own trust anchor.
write_openssl_cnf() {
    cat >"$1" <<EOF
openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $2
init = 0

[req]
distinguished_name = req_dn
x509_extensions = v3_self

[req_dn]

[v3_self]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyCertSign
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
EOF
}
ENGINE_CNF="$CONF_TMP/openssl.cnf"
write_openssl_cnf "$ENGINE_CNF" "$MODULE"
SPY_CNF="$CONF_TMP/openssl-spy.cnf"
[[ -z "$SPY_SO" ]] || write_openssl_cnf "$SPY_CNF" "$SPY_SO"

# ossl_engine ARGS...: openssl with the engine configuration (the engine
# itself is picked per command with -engine pkcs11).
ossl_engine() {
    run env OPENSSL_CONF="$ENGINE_CNF" openssl "$@"
}

echo "module:   $MODULE"
echo "temp dir: $CONF_TMP"
echo "openssl:  $(openssl version)"
echo "engine:   $ENGINE_SO ($(dpkg-query -W -f='${Version}' libengine-pkcs11-openssl 2>/dev/null || echo unknown))"
echo "pkcs11-spy: ${SPY_SO:-not found}"

head -c 1000 /dev/urandom >"$CONF_TMP/data.bin"
head -c 64 /dev/urandom >"$CONF_TMP/plain.bin"
RSA_PUB="$CONF_TMP/rsa-pub.pem"
EC_PUB="$CONF_TMP/ec-pub.pem"
RSA_CERT="$CONF_TMP/rsa-cert.pem"
EC_CERT="$CONF_TMP/ec-cert.pem"

# ---------------------------------------------------------------------------
section "token and keys"
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

# Only RSA and EC keys on this token: libp11 0.4.12 cannot enumerate the
# private keys of a token that also holds an Ed25519 (CKK_EC_EDWARDS) key
# ("Unable to enumerate private keys"), so no Ed25519 here.
chk_gen_rsa() {
    p11u --keypairgen --key-type rsa:2048 --id 01 --label "$RSA_LABEL"
    expect_p11_ok || return 1
    expect_out '^Public Key Object; RSA 2048 bits' || return 1
}
check "--keypairgen rsa:2048 (id 01, label $RSA_LABEL)" chk_gen_rsa

chk_gen_ec() {
    p11u --keypairgen --key-type EC:prime256v1 --id 02 --label "$EC_LABEL"
    expect_p11_ok || return 1
    expect_out '^Public Key Object; EC +EC_POINT 256 bits' || return 1
}
check "--keypairgen EC:prime256v1 (id 02, label $EC_LABEL)" chk_gen_ec

# chk_export_pub HEXID OUT.pem: the token's public key, read by pkcs11-tool
# (DER SubjectPublicKeyInfo), as PEM.
chk_export_pub() {
    local der="$CONF_TMP/pub-$1.der"
    rm -f "$der" "$2"
    p11t --read-object --type pubkey --id "$1" -o "$der"
    expect_p11_ok || return 1
    expect_file "$der" || return 1
    run openssl pkey -pubin -inform DER -in "$der" -out "$2"
    expect_rc 0 || return 1
}
check "export the RSA public key (--read-object --type pubkey, openssl pkey)" chk_export_pub 01 "$RSA_PUB"
check "export the EC public key (--read-object --type pubkey, openssl pkey)" chk_export_pub 02 "$EC_PUB"

chk_engine_loads() {
    ossl_engine engine -t -c pkcs11
    expect_rc 0 || return 1
    expect_out '\[ available \]' || return 1
}
check "openssl engine -t pkcs11: the engine initializes with the module" chk_engine_loads

# ---------------------------------------------------------------------------
section "self-signed certificates"
# ---------------------------------------------------------------------------
# chk_cert URI CERT PUB CN SIGALG: `openssl req -x509` signs with the token
# key; OpenSSL verifies the result in software, and the certificate carries
# the token's public key.
chk_cert() {
    local uri=$1 cert=$2 pub=$3 cn=$4 sigalg=$5 certpub
    rm -f "$cert"
    ossl_engine req -new -x509 -engine pkcs11 -keyform engine -key "$uri" \
        -subj "/CN=$cn" -days 2 -sha256 -out "$cert"
    expect_rc 0 || return 1
    expect_file "$cert" || return 1
    run openssl verify -CAfile "$cert" "$cert"
    expect_rc 0 || return 1
    expect_out ': OK$' || return 1
    run openssl x509 -in "$cert" -noout -text
    expect_rc 0 || return 1
    expect_out "Signature Algorithm: $sigalg" || return 1
    expect_out "Subject: CN ?= ?$cn" || return 1
    certpub=$(openssl x509 -in "$cert" -noout -pubkey)
    if [[ "$certpub" != "$(cat "$pub")" ]]; then
        why "the certificate's public key is not the token's public key"
        printf '    certificate key:\n%s\n    token key:\n%s\n' "$certpub" "$(cat "$pub")"
        return 1
    fi
}
check "RSA-2048 token key: self-signed certificate, openssl verify OK" \
    chk_cert "$RSA_URI" "$RSA_CERT" "$RSA_PUB" craton-rsa sha256WithRSAEncryption
check "EC P-256 token key: self-signed certificate, openssl verify OK" \
    chk_cert "$EC_URI" "$EC_CERT" "$EC_PUB" craton-ec ecdsa-with-SHA256

# ---------------------------------------------------------------------------
section "signatures"
# ---------------------------------------------------------------------------
# chk_dgst URI PUB NAME [SIGOPT...]: `openssl dgst -sha256 -sign` with the
# token key; `openssl dgst -verify` with the exported public key (and the
# same options) accepts the signature.
chk_dgst() {
    local uri=$1 pub=$2 sig="$CONF_TMP/dgst-$3.sig" opts=() o
    shift 3
    for o in "$@"; do opts+=(-sigopt "$o"); done
    rm -f "$sig"
    ossl_engine dgst -sha256 -engine pkcs11 -keyform engine -sign "$uri" \
        "${opts[@]}" -out "$sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    expect_file "$sig" || return 1
    run openssl dgst -sha256 -verify "$pub" "${opts[@]}" -signature "$sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    expect_out '^Verified OK' || return 1
}
check "RSA PKCS#1 v1.5 (dgst -sha256 -sign), verified in software" \
    chk_dgst "$RSA_URI" "$RSA_PUB" pkcs1
check "RSA-PSS (rsa_padding_mode:pss, rsa_pss_saltlen:-1), verified in software" \
    chk_dgst "$RSA_URI" "$RSA_PUB" pss rsa_padding_mode:pss rsa_pss_saltlen:-1
check "ECDSA P-256 (dgst -sha256 -sign), verified in software" \
    chk_dgst "$EC_URI" "$EC_PUB" ecdsa

# ---------------------------------------------------------------------------
section "decryption"
# ---------------------------------------------------------------------------
# chk_decrypt NAME [PKEYOPT...]: OpenSSL encrypts in software with the
# exported public key; `openssl pkeyutl -decrypt` with the token key gives the
# plaintext back byte for byte.
chk_decrypt() {
    local name=$1 ct="$CONF_TMP/enc-$1.bin" pt="$CONF_TMP/dec-$1.bin" opts=() o
    shift
    for o in "$@"; do opts+=(-pkeyopt "$o"); done
    rm -f "$ct" "$pt"
    run openssl pkeyutl -encrypt -pubin -inkey "$RSA_PUB" "${opts[@]}" \
        -in "$CONF_TMP/plain.bin" -out "$ct"
    expect_rc 0 || return 1
    ossl_engine pkeyutl -decrypt -engine pkcs11 -keyform engine -inkey "$RSA_URI" \
        "${opts[@]}" -in "$ct" -out "$pt"
    expect_rc 0 || return 1
    expect_same_file "$CONF_TMP/plain.bin" "$pt" || return 1
}
OAEP_SHA256=(rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256)
check "pkeyutl -decrypt, PKCS#1 v1.5: plaintext round-trips" chk_decrypt pkcs1
check "pkeyutl -decrypt, OAEP-SHA1: plaintext round-trips" chk_decrypt oaep-sha1 rsa_padding_mode:oaep
check "pkeyutl -decrypt, OAEP-SHA256 (MGF1-SHA256): plaintext round-trips" chk_decrypt oaep-sha256 "${OAEP_SHA256[@]}"

# ---------------------------------------------------------------------------
section "mechanisms the engine asks for (pkcs11-spy)"
# ---------------------------------------------------------------------------
# When the token refuses a mechanism, libp11 falls back to raw RSA
# (CKM_RSA_X_509) and pads in software, so the round trips above can pass
# without the token doing PSS or OAEP-SHA256 at all. These checks run the
# same operations through OpenSC's pkcs11-spy and read which mechanisms were
# asked for.

# spy_engine LOG ARGS...: openssl ARGS with the engine loading pkcs11-spy,
# which passes every call on to the module under test and logs it to LOG.
spy_engine() {
    local log=$1
    shift
    rm -f "$log"
    run env OPENSSL_CONF="$SPY_CNF" PKCS11SPY="$MODULE" PKCS11SPY_OUTPUT="$log" openssl "$@"
}

# spy_inits LOG: the C_SignInit/C_DecryptInit calls in LOG, one line each:
# "FUNCTION MECHANISM [PARAMETERS]".
spy_inits() {
    awk '
        function flush() { if (fn != "") print fn, mech params; fn = "" }
        /^[0-9]+: C_/ { flush(); if ($2 == "C_SignInit" || $2 == "C_DecryptInit") { fn = $2; mech = ""; params = "" } next }
        fn != "" && /pMechanism->type = / { mech = $NF }
        fn != "" && /pMechanism->pParameter->(hashAlg|mgf|sLen) = / { sub(/.*pParameter->/, ""); gsub(/ +/, ""); params = params " " $0 }
        END { flush() }
    ' "$1"
}

chk_spy_pss() {
    local log="$CONF_TMP/spy-pss.log" inits
    spy_engine "$log" dgst -sha256 -engine pkcs11 -keyform engine -sign "$RSA_URI" \
        -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:-1 \
        -out "$CONF_TMP/spy-pss.sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    run openssl dgst -sha256 -verify "$RSA_PUB" -sigopt rsa_padding_mode:pss \
        -sigopt rsa_pss_saltlen:-1 -signature "$CONF_TMP/spy-pss.sig" "$CONF_TMP/data.bin"
    expect_rc 0 || return 1
    inits=$(spy_inits "$log")
    echo "engine calls: ${inits//$'\n'/; }"
    if ! grep -Eq '^C_SignInit CKM_RSA_PKCS_PSS hashAlg=CKM_SHA256 mgf=CKG_MGF1_SHA256 sLen=32$' <<<"$inits"; then
        why "no C_SignInit with CKM_RSA_PKCS_PSS (SHA-256, MGF1-SHA256, sLen 32): $inits"
        return 1
    fi
    if grep -q 'CKM_RSA_X_509' <<<"$inits"; then
        why "the engine fell back to raw RSA (CKM_RSA_X_509): $inits"
        return 1
    fi
}

chk_spy_oaep() {
    local log="$CONF_TMP/spy-oaep.log" inits ct="$CONF_TMP/enc-oaep-sha256.bin" o opts=()
    for o in "${OAEP_SHA256[@]}"; do opts+=(-pkeyopt "$o"); done
    if [[ ! -s "$ct" ]]; then
        why "no OAEP-SHA256 ciphertext from the decryption checks"
        return 1
    fi
    spy_engine "$log" pkeyutl -decrypt -engine pkcs11 -keyform engine -inkey "$RSA_URI" \
        "${opts[@]}" -in "$ct" -out "$CONF_TMP/spy-oaep.out"
    expect_rc 0 || return 1
    expect_same_file "$CONF_TMP/plain.bin" "$CONF_TMP/spy-oaep.out" || return 1
    inits=$(spy_inits "$log")
    echo "engine calls: ${inits//$'\n'/; }"
    if ! grep -Eq '^C_DecryptInit CKM_RSA_PKCS_OAEP hashAlg=CKM_SHA256 mgf=CKG_MGF1_SHA256$' <<<"$inits"; then
        why "no C_DecryptInit with CKM_RSA_PKCS_OAEP (SHA-256, MGF1-SHA256): $inits"
        return 1
    fi
    if grep -q 'CKM_RSA_X_509' <<<"$inits"; then
        why "the token refused OAEP-SHA256 and the engine fell back to raw RSA (CKM_RSA_X_509): $inits"
        return 1
    fi
}

if [[ -z "$SPY_SO" ]]; then
    skip "PSS signature done by the token as CKM_RSA_PKCS_PSS" "pkcs11-spy.so (opensc-pkcs11) not found"
    skip "OAEP-SHA256 decryption done by the token, no raw-RSA fallback" "pkcs11-spy.so (opensc-pkcs11) not found"
else
    check "PSS signature done by the token as CKM_RSA_PKCS_PSS (no raw-RSA fallback)" chk_spy_pss
    if [[ $IS_SOFTHSM -eq 1 ]]; then
        skip "OAEP-SHA256 decryption done by the token, no raw-RSA fallback" \
            "SoftHSMv2: 2.6.1 has OAEP with SHA-1 only; the engine falls back to CKM_RSA_X_509"
    else
        check "OAEP-SHA256 decryption done by the token, no raw-RSA fallback" chk_spy_oaep
    fi
fi

# ---------------------------------------------------------------------------
section "TLS 1.3"
# ---------------------------------------------------------------------------
# chk_tls URI CERT PEERSIG: `openssl s_server -tls1_3` with the token key on
# 127.0.0.1 (port chosen by the kernel: -accept 127.0.0.1:0 prints the one it
# got), in -rev mode (it sends every line back reversed and closes on
# "CLOSE") for a single connection; `openssl s_client -tls1_3` verifies its
# certificate chain and host name, sends a line and must read it back.
chk_tls() {
    local uri=$1 cert=$2 peersig=$3 srvlog="$CONF_TMP/s_server.log" port="" i
    local line="craton tls line $RANDOM$RANDOM" rev
    rev=$(awk '{ s = ""; for (i = length($0); i > 0; i--) s = s substr($0, i, 1); print s }' <<<"$line")
    printf '%s\nCLOSE\n' "$line" >"$CONF_TMP/tls-in.txt"
    rm -f "$srvlog"
    env OPENSSL_CONF="$ENGINE_CNF" timeout --kill-after=5 60 openssl s_server \
        -engine pkcs11 -keyform engine -key "$uri" -cert "$cert" \
        -tls1_3 -accept 127.0.0.1:0 -naccept 1 -rev </dev/null >"$srvlog" 2>&1 &
    SERVER_PID=$!
    for ((i = 0; i < 150; i++)); do
        port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$srvlog")
        [[ -n "$port" ]] && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [[ -z "$port" ]]; then
        stop_server
        why "s_server did not start listening"
        printf '    server output:\n'
        sed 's/^/      | /' "$srvlog"
        return 1
    fi
    # s_client reads the line and CLOSE from stdin; -ign_eof keeps it
    # reading the server's answer until the server closes.
    run bash -c 'exec openssl s_client "$@" <"$0"' "$CONF_TMP/tls-in.txt" \
        -connect "127.0.0.1:$port" -tls1_3 -CAfile "$cert" -verify_return_error \
        -verify_hostname localhost -ign_eof
    # -naccept 1: the server exits after this connection.
    for ((i = 0; i < 50; i++)); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    stop_server
    local ok=0
    expect_rc 0 || ok=1
    [[ $ok -ne 0 ]] || expect_out '^New, TLSv1\.3, Cipher is TLS_' || ok=1
    [[ $ok -ne 0 ]] || expect_out '^Verify return code: 0 \(ok\)' || ok=1
    [[ $ok -ne 0 ]] || expect_out "^Peer signature type: $peersig\$" || ok=1
    if [[ $ok -eq 0 ]] && ! grep -Fxq -- "$rev" <<<"$OUT"; then
        why "the client did not read its line back reversed ('$rev')"
        show_last
        ok=1
    fi
    if [[ $ok -eq 0 ]] && ! grep -q '^CONNECTION ESTABLISHED' "$srvlog"; then
        why "the server did not report the connection"
        ok=1
    fi
    if [[ $ok -ne 0 ]]; then
        printf '    server output:\n'
        sed 's/^/      | /' "$srvlog"
        return 1
    fi
}
check "TLS 1.3: s_server with the token's RSA key, s_client verifies and exchanges data" \
    chk_tls "$RSA_URI" "$RSA_CERT" RSA-PSS
check "TLS 1.3: s_server with the token's EC key, s_client verifies and exchanges data" \
    chk_tls "$EC_URI" "$EC_CERT" ECDSA

summary
