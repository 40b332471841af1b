#!/usr/bin/env bash
# Round trips between a PKCS#11 module (driven by OpenSC's pkcs11-tool) and
# an independent implementation (the OpenSSL 3 command line), both ways:
#   - the token signs (RSA PKCS#1 v1.5 / PSS, ECDSA, EdDSA), OpenSSL verifies;
#   - OpenSSL signs with keys it made, the public keys are imported into the
#     token, the token verifies (and rejects tampered signatures);
#   - OpenSSL encrypts to the token's RSA key (PKCS#1 v1.5, OAEP), the token
#     decrypts; an OpenSSL RSA private key imported into the token decrypts
#     and signs;
#   - AES-256-CBC with PKCS#7 padding both ways with an imported key (the
#     NIST SP 800-38A key, so the first blocks are a known answer too).
#
# Usage: conformance/openssl-roundtrip.sh MODULE_PATH
#
# Runs against a fresh store in a temp dir: for Craton HSM it writes a config
# file (docs/CONFIGURATION.md) and exports CRATON_HSM_CONF; for SoftHSMv2 it
# writes a SOFTHSM2_CONF with a temp token dir (dry run of the script logic).
# On SoftHSMv2 the checks that need something SoftHSMv2 2.6.1 lacks are
# skipped (never on any other module).
#
# pkcs11-tool 0.23 cannot import an Ed25519 public key ("Unsupported key
# type"), so that import uses GnuTLS's p11tool (package gnutls-bin) when it is
# installed; without it the two Ed25519 "OpenSSL signs" checks are skipped.
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
P11TOOL=$(command -v p11tool || true)

conf_setup "$MODULE"

TOKEN_LABEL="craton-roundtrip"
SO_PIN="87654321"
USER_PIN="11112222"

# Object IDs: made on the token, imported public keys, imported private and
# secret keys.
ID_RSA=01 ID_EC=02 ID_ED=03
ID_OSSL_RSA=11 ID_OSSL_EC=12 ID_OSSL_ED=13
ID_IMP_RSA=21 ID_AES=31

# NIST SP 800-38A, F.2.5 CBC-AES256.Encrypt: key, IV, four plaintext blocks
# and their ciphertext. A published test key, nothing secret.
AES_KEY_HEX=603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4
AES_IV_HEX=000102030405060708090a0b0c0d0e0f
AES_PT_HEX=6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710
AES_CT_HEX=f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b

# MECH_LIST: the module's `pkcs11-tool -M` output (filled after init).
MECH_LIST=""

# needs_mechs "MECH..." NAME FUNC [ARGS...]: run the check; on SoftHSMv2 skip
# it instead when SoftHSMv2 does not list one of the mechanisms.
needs_mechs() {
    local mechs=$1 name=$2 m
    shift 2
    if [[ $IS_SOFTHSM -eq 1 ]]; then
        for m in $mechs; do
            if ! grep -Eq "^  $m(,|\$)" <<<"$MECH_LIST"; then
                skip "$name" "SoftHSMv2 does not offer $m"
                return 0
            fi
        done
    fi
    check "$name" "$@"
}

# hex2bin HEX FILE
hex2bin() {
    local esc="" i
    for ((i = 0; i < ${#1}; i += 2)); do esc+="\\x${1:i:2}"; done
    # shellcheck disable=SC2059 # the format is the \xHH escapes
    printf "$esc" >"$2"
}

# bin2hex FILE
bin2hex() {
    od -An -tx1 -v -- "$1" | tr -d ' \n'
}

# Test data: a message, its SHA-256 and the PKCS#1 v1.5 DigestInfo of that.
MSG="$CONF_TMP/msg.bin"
head -c 1000 /dev/urandom >"$MSG"
openssl dgst -sha256 -binary -out "$MSG.sha256" "$MSG"
hex2bin 3031300d060960864801650304020105000420 "$MSG.di"
cat "$MSG.sha256" >>"$MSG.di"
head -c 64 /dev/urandom >"$CONF_TMP/plain.bin"

echo "module:   $MODULE"
echo "temp dir: $CONF_TMP"
echo "pkcs11-tool: $(dpkg-query -W -f='${Version}' opensc 2>/dev/null || echo unknown)"
echo "openssl:  $(openssl version)"
echo "p11tool:  ${P11TOOL:-not installed (Ed25519 import checks skipped)}"

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
    p11t -M
    MECH_LIST=$OUT
}
check "--init-pin" chk_init_pin

# chk_keypair HEXID KEYTYPE LABEL HEADER_REGEX: generate a key pair on the
# token and export its public key as $CONF_TMP/LABEL.pem.
chk_keypair() {
    local id=$1 type=$2 label=$3 header=$4 raw="$CONF_TMP/$3.pub"
    p11u --keypairgen --key-type "$type" --id "$id" --label "$label"
    expect_p11_ok || return 1
    expect_out "$header" || return 1
    rm -f "$raw"
    p11t --read-object --type pubkey --id "$id" -o "$raw"
    expect_p11_ok || return 1
    expect_file "$raw" || return 1
    # DER SubjectPublicKeyInfo (PEM for EDDSA keys in 0.23): no -inform,
    # OpenSSL 3 detects which.
    run openssl pkey -pubin -in "$raw" -out "$CONF_TMP/$label.pem"
    expect_rc 0 || return 1
}
check "--keypairgen rsa:2048 (id $ID_RSA), public key exported" \
    chk_keypair "$ID_RSA" rsa:2048 rsa '^Public Key Object; RSA 2048 bits'
check "--keypairgen EC:prime256v1 (id $ID_EC), public key exported" \
    chk_keypair "$ID_EC" EC:prime256v1 ec '^Public Key Object; EC +EC_POINT 256 bits'
check "--keypairgen EC:edwards25519 (id $ID_ED), public key exported" \
    chk_keypair "$ID_ED" EC:edwards25519 ed25519 '^Public Key Object; EC_EDWARDS'

# ---------------------------------------------------------------------------
section "the token signs, OpenSSL verifies"
# ---------------------------------------------------------------------------
# chk_token_sign NAME HEXID MECH INPUT VERIFY_CMD... : pkcs11-tool --sign
# (extra pkcs11-tool options go in P11_SIGN_OPTS), then VERIFY_CMD with SIG
# replaced by the signature file; VERIFY_CMD must succeed and say so.
P11_SIGN_OPTS=()
chk_token_sign() {
    local name=$1 id=$2 mech=$3 input=$4 sig="$CONF_TMP/token-$1.sig" a cmd=()
    shift 4
    rm -f "$sig"
    p11u --sign --mechanism "$mech" --id "$id" "${P11_SIGN_OPTS[@]}" -i "$input" -o "$sig"
    expect_p11_ok || return 1
    expect_file "$sig" || return 1
    for a in "$@"; do cmd+=("${a//SIG/$sig}"); done
    run "${cmd[@]}"
    expect_rc 0 || return 1
    expect_out '^(Verified OK|Signature Verified Successfully)' || return 1
}
RSA_PEM="$CONF_TMP/rsa.pem" EC_PEM="$CONF_TMP/ec.pem" ED_PEM="$CONF_TMP/ed25519.pem"
PSS32=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256)

check "RSA-PKCS over a SHA-256 DigestInfo = sha256WithRSAEncryption (openssl dgst -verify)" \
    chk_token_sign rsa-pkcs "$ID_RSA" RSA-PKCS "$MSG.di" \
    openssl dgst -sha256 -verify "$RSA_PEM" -signature SIG "$MSG"
check "SHA256-RSA-PKCS (openssl dgst -verify)" \
    chk_token_sign sha256-rsa-pkcs "$ID_RSA" SHA256-RSA-PKCS "$MSG" \
    openssl dgst -sha256 -verify "$RSA_PEM" -signature SIG "$MSG"
check "SHA256-RSA-PKCS-PSS, salt 32 (openssl dgst -verify, PSS, saltlen 32)" \
    chk_token_sign sha256-rsa-pss "$ID_RSA" SHA256-RSA-PKCS-PSS "$MSG" \
    openssl dgst -sha256 -verify "$RSA_PEM" "${PSS32[@]}" -signature SIG "$MSG"
P11_SIGN_OPTS=(--hash-algorithm SHA256 --mgf MGF1-SHA256)
check "RSA-PKCS-PSS over a SHA-256 hash (openssl dgst -verify, PSS, saltlen 32)" \
    chk_token_sign rsa-pss "$ID_RSA" RSA-PKCS-PSS "$MSG.sha256" \
    openssl dgst -sha256 -verify "$RSA_PEM" "${PSS32[@]}" -signature SIG "$MSG"
# --signature-format openssl: DER ECDSA-Sig-Value instead of r || s.
P11_SIGN_OPTS=(--signature-format openssl)
check "ECDSA P-256 over a SHA-256 hash (openssl dgst -verify)" \
    chk_token_sign ecdsa "$ID_EC" ECDSA "$MSG.sha256" \
    openssl dgst -sha256 -verify "$EC_PEM" -signature SIG "$MSG"
needs_mechs ECDSA-SHA256 "ECDSA-SHA256 P-256 (openssl dgst -verify)" \
    chk_token_sign ecdsa-sha256 "$ID_EC" ECDSA-SHA256 "$MSG" \
    openssl dgst -sha256 -verify "$EC_PEM" -signature SIG "$MSG"
P11_SIGN_OPTS=()
check "EDDSA Ed25519 (openssl pkeyutl -verify -rawin)" \
    chk_token_sign eddsa "$ID_ED" EDDSA "$MSG" \
    openssl pkeyutl -verify -pubin -inkey "$ED_PEM" -rawin -in "$MSG" -sigfile SIG

# ---------------------------------------------------------------------------
section "OpenSSL signs, the token verifies"
# ---------------------------------------------------------------------------
OSSL_RSA="$CONF_TMP/ossl-rsa.pem" OSSL_EC="$CONF_TMP/ossl-ec.pem" OSSL_ED="$CONF_TMP/ossl-ed25519.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OSSL_RSA" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$OSSL_EC"
openssl genpkey -algorithm ED25519 -out "$OSSL_ED"

# chk_import_pub KEY.pem HEXID LABEL HEADER_REGEX: the public half of an
# OpenSSL key, as DER SubjectPublicKeyInfo, written to the token.
chk_import_pub() {
    local der="$CONF_TMP/$3.pub.der"
    run openssl pkey -in "$1" -pubout -outform DER -out "$der"
    expect_rc 0 || return 1
    p11u --write-object "$der" --type pubkey --id "$2" --label "$3"
    expect_p11_ok || return 1
    expect_out '^Created public key' || return 1
    expect_out "$4" || return 1
}
check "import OpenSSL's RSA-2048 public key (--write-object --type pubkey, id $ID_OSSL_RSA)" \
    chk_import_pub "$OSSL_RSA" "$ID_OSSL_RSA" ossl-rsa '^Public Key Object; RSA 2048 bits'
check "import OpenSSL's EC P-256 public key (--write-object --type pubkey, id $ID_OSSL_EC)" \
    chk_import_pub "$OSSL_EC" "$ID_OSSL_EC" ossl-ec '^  EC_PARAMS: +06082a8648ce3d030107'

# chk_token_verify NAME HEXID MECH INPUT SIGN_CMD...: SIGN_CMD (with SIG
# replaced by the signature file) signs in OpenSSL; pkcs11-tool --verify
# (extra options in P11_VERIFY_OPTS) accepts the signature and rejects it
# with one bit flipped.
P11_VERIFY_OPTS=()
chk_token_verify() {
    local name=$1 id=$2 mech=$3 input=$4 sig="$CONF_TMP/ossl-$1.sig" a cmd=()
    shift 4
    rm -f "$sig"
    for a in "$@"; do cmd+=("${a//SIG/$sig}"); done
    run "${cmd[@]}"
    expect_rc 0 || return 1
    expect_file "$sig" || return 1
    p11t --verify --mechanism "$mech" --id "$id" "${P11_VERIFY_OPTS[@]}" -i "$input" --signature-file "$sig"
    expect_p11_ok || return 1
    expect_out '^Signature is valid' || return 1
    # pkcs11-tool --verify exits 0 for a bad signature too: read the text.
    tamper "$sig" "$sig.bad"
    p11t --verify --mechanism "$mech" --id "$id" "${P11_VERIFY_OPTS[@]}" -i "$input" --signature-file "$sig.bad"
    expect_out '^Invalid signature' || return 1
    expect_no_out '^Signature is valid' || return 1
}
check "SHA256-RSA-PKCS: accepts OpenSSL's signature, rejects it tampered" \
    chk_token_verify rsa-pkcs "$ID_OSSL_RSA" SHA256-RSA-PKCS "$MSG" \
    openssl dgst -sha256 -sign "$OSSL_RSA" -out SIG "$MSG"
check "SHA256-RSA-PKCS-PSS: accepts OpenSSL's PSS signature (saltlen 32), rejects it tampered" \
    chk_token_verify rsa-pss "$ID_OSSL_RSA" SHA256-RSA-PKCS-PSS "$MSG" \
    openssl dgst -sha256 -sign "$OSSL_RSA" "${PSS32[@]}" -out SIG "$MSG"
P11_VERIFY_OPTS=(--signature-format openssl)
check "ECDSA P-256 over a SHA-256 hash: accepts OpenSSL's signature, rejects it tampered" \
    chk_token_verify ecdsa "$ID_OSSL_EC" ECDSA "$MSG.sha256" \
    openssl dgst -sha256 -sign "$OSSL_EC" -out SIG "$MSG"
needs_mechs ECDSA-SHA256 "ECDSA-SHA256 P-256: accepts OpenSSL's signature, rejects it tampered" \
    chk_token_verify ecdsa-sha256 "$ID_OSSL_EC" ECDSA-SHA256 "$MSG" \
    openssl dgst -sha256 -sign "$OSSL_EC" -out SIG "$MSG"
P11_VERIFY_OPTS=()

# pkcs11-tool 0.23 refuses Ed25519 public keys, p11tool writes them (with
# CKA_EC_PARAMS as the OID 1.3.101.112, where pkcs11-tool's own key
# generation uses the PrintableString "edwards25519").
chk_import_ed_pub() {
    run openssl pkey -in "$OSSL_ED" -pubout -out "$CONF_TMP/ossl-ed25519.pub.pem"
    expect_rc 0 || return 1
    run env GNUTLS_PIN="$USER_PIN" "$P11TOOL" --provider "$MODULE" --login --write \
        --load-pubkey "$CONF_TMP/ossl-ed25519.pub.pem" --label ossl-ed25519 --id "$ID_OSSL_ED" \
        "pkcs11:token=$TOKEN_LABEL"
    expect_rc 0 || return 1
    p11t -O --type pubkey
    expect_p11_ok || return 1
    expect_out "^  label: +ossl-ed25519\$" || return 1
}
if [[ -n "$P11TOOL" ]]; then
    check "import OpenSSL's Ed25519 public key (p11tool --write --load-pubkey, id $ID_OSSL_ED)" chk_import_ed_pub
    check "EDDSA Ed25519: accepts OpenSSL's signature, rejects it tampered" \
        chk_token_verify eddsa "$ID_OSSL_ED" EDDSA "$MSG" \
        openssl pkeyutl -sign -inkey "$OSSL_ED" -rawin -in "$MSG" -out SIG
elif [[ $IS_SOFTHSM -eq 1 ]]; then
    skip "import OpenSSL's Ed25519 public key" "needs p11tool (gnutls-bin): pkcs11-tool 0.23 cannot import Ed25519 keys"
    skip "EDDSA Ed25519: accepts OpenSSL's signature, rejects it tampered" "needs the imported Ed25519 key"
else
    chk_no_p11tool() {
        why "p11tool (gnutls-bin) is not installed: run scripts/install-deps.sh"
        return 1
    }
    check "import OpenSSL's Ed25519 public key (p11tool)" chk_no_p11tool
fi

# ---------------------------------------------------------------------------
section "OpenSSL encrypts, the token decrypts"
# ---------------------------------------------------------------------------
# chk_token_decrypt NAME HEXID PUB.pem MECH "PKEYOPT..." [P11 OPTION...]:
# openssl pkeyutl -encrypt with PUB and the -pkeyopt options, pkcs11-tool
# --decrypt with the token key gives the plaintext back byte for byte.
chk_token_decrypt() {
    local name=$1 id=$2 pub=$3 mech=$4 o opts=() ct="$CONF_TMP/ct-$1.bin" pt="$CONF_TMP/pt-$1.bin"
    for o in $5; do opts+=(-pkeyopt "$o"); done
    shift 5
    rm -f "$ct" "$pt"
    run openssl pkeyutl -encrypt -pubin -inkey "$pub" "${opts[@]}" -in "$CONF_TMP/plain.bin" -out "$ct"
    expect_rc 0 || return 1
    p11u --decrypt --mechanism "$mech" --id "$id" "$@" -i "$ct" -o "$pt"
    expect_p11_ok || return 1
    expect_same_file "$CONF_TMP/plain.bin" "$pt" || return 1
}
OAEP_SHA256_OPTS="rsa_padding_mode:oaep rsa_oaep_md:sha256 rsa_mgf1_md:sha256"
OAEP_REASON="2.6.1 has RSA-OAEP with SHA-1 only (C_DecryptInit: CKR_ARGUMENTS_BAD)"
check "RSA-PKCS (PKCS#1 v1.5): the token decrypts OpenSSL's ciphertext" \
    chk_token_decrypt pkcs1 "$ID_RSA" "$RSA_PEM" RSA-PKCS ""
check "RSA-PKCS-OAEP SHA-1: the token decrypts OpenSSL's ciphertext" \
    chk_token_decrypt oaep-sha1 "$ID_RSA" "$RSA_PEM" RSA-PKCS-OAEP "rsa_padding_mode:oaep" \
    --hash-algorithm SHA-1 --mgf MGF1-SHA1
softhsm_lacks "$OAEP_REASON" "RSA-PKCS-OAEP SHA-256/MGF1-SHA256: the token decrypts OpenSSL's ciphertext" \
    chk_token_decrypt oaep-sha256 "$ID_RSA" "$RSA_PEM" RSA-PKCS-OAEP "$OAEP_SHA256_OPTS" \
    --hash-algorithm SHA256 --mgf MGF1-SHA256

# pkcs11-tool writes the private key with all CRT parts and CKA_SENSITIVE,
# but no CKA_DECRYPT/CKA_SIGN: the token's defaults decide what it may do.
chk_import_priv() {
    local der="$CONF_TMP/ossl-rsa.der"
    run openssl pkey -in "$OSSL_RSA" -outform DER -out "$der"
    expect_rc 0 || return 1
    p11u --write-object "$der" --type privkey --id "$ID_IMP_RSA" --label imported-rsa
    expect_p11_ok || return 1
    expect_out '^Created private key' || return 1
    expect_out '^Private Key Object; RSA' || return 1
    rm -f "$der"
}
check "import OpenSSL's RSA-2048 private key (--write-object --type privkey, id $ID_IMP_RSA)" chk_import_priv

OSSL_RSA_PUB="$CONF_TMP/ossl-rsa.pub.pem"
openssl pkey -in "$OSSL_RSA" -pubout -out "$OSSL_RSA_PUB"
check "imported key, RSA-PKCS: decrypts what OpenSSL encrypted to its public key" \
    chk_token_decrypt imp-pkcs1 "$ID_IMP_RSA" "$OSSL_RSA_PUB" RSA-PKCS ""
softhsm_lacks "$OAEP_REASON" "imported key, RSA-PKCS-OAEP SHA-256: decrypts what OpenSSL encrypted" \
    chk_token_decrypt imp-oaep-sha256 "$ID_IMP_RSA" "$OSSL_RSA_PUB" RSA-PKCS-OAEP "$OAEP_SHA256_OPTS" \
    --hash-algorithm SHA256 --mgf MGF1-SHA256
check "imported key, SHA256-RSA-PKCS: OpenSSL verifies with its own public key" \
    chk_token_sign imp-sha256-rsa-pkcs "$ID_IMP_RSA" SHA256-RSA-PKCS "$MSG" \
    openssl dgst -sha256 -verify "$OSSL_RSA_PUB" -signature SIG "$MSG"

# ---------------------------------------------------------------------------
section "AES-256-CBC with padding"
# ---------------------------------------------------------------------------
AES_KEY_FILE="$CONF_TMP/aes.key"
hex2bin "$AES_KEY_HEX" "$AES_KEY_FILE"
hex2bin "$AES_PT_HEX" "$CONF_TMP/nist.pt"
head -c 1000 /dev/urandom >"$CONF_TMP/aes-data.bin"

chk_import_aes() {
    p11u --write-object "$AES_KEY_FILE" --type secrkey --key-type AES:32 --id "$ID_AES" --label nist-aes256
    expect_p11_ok || return 1
    expect_out '^Created secret key' || return 1
    expect_out '^Secret Key Object; AES length 32' || return 1
}
check "import the NIST AES-256 key (--write-object --type secrkey --key-type AES:32)" chk_import_aes

# chk_aes_token_encrypt NAME PLAIN [EXPECTED_CT_HEX_PREFIX]: AES-CBC-PAD on
# the token; `openssl enc -d -aes-256-cbc` gives PLAIN back.
chk_aes_token_encrypt() {
    local ct="$CONF_TMP/aes-$1.ct" out="$CONF_TMP/aes-$1.out" plain=$2 want=${3:-} got len
    rm -f "$ct" "$out"
    p11u --encrypt --mechanism AES-CBC-PAD --iv "$AES_IV_HEX" --id "$ID_AES" -i "$plain" -o "$ct"
    expect_p11_ok || return 1
    expect_file "$ct" || return 1
    # PKCS#7 padding: the next multiple of 16 above the input length.
    len=$(stat -c %s "$plain")
    if [[ $(stat -c %s "$ct") -ne $(((len / 16 + 1) * 16)) ]]; then
        why "ciphertext is $(stat -c %s "$ct") bytes for $len bytes of input, expected $(((len / 16 + 1) * 16))"
        show_last
        return 1
    fi
    if [[ -n "$want" ]]; then
        got=$(bin2hex "$ct")
        if [[ "${got:0:${#want}}" != "$want" ]]; then
            why "ciphertext does not start with the NIST SP 800-38A blocks"
            printf '    expected: %s\n    actual:   %s\n' "$want" "${got:0:${#want}}"
            return 1
        fi
    fi
    run openssl enc -d -aes-256-cbc -K "$AES_KEY_HEX" -iv "$AES_IV_HEX" -in "$ct" -out "$out"
    expect_rc 0 || return 1
    expect_same_file "$plain" "$out" || return 1
}
check "AES-CBC-PAD on the token: NIST SP 800-38A blocks, openssl enc -d decrypts" \
    chk_aes_token_encrypt nist "$CONF_TMP/nist.pt" "$AES_CT_HEX"
check "AES-CBC-PAD on the token, 1000 bytes: openssl enc -d decrypts" \
    chk_aes_token_encrypt data "$CONF_TMP/aes-data.bin"

chk_aes_token_decrypt() {
    local ct="$CONF_TMP/aes-ossl.ct" out="$CONF_TMP/aes-ossl.out"
    rm -f "$ct" "$out"
    run openssl enc -aes-256-cbc -K "$AES_KEY_HEX" -iv "$AES_IV_HEX" -in "$CONF_TMP/aes-data.bin" -out "$ct"
    expect_rc 0 || return 1
    p11u --decrypt --mechanism AES-CBC-PAD --iv "$AES_IV_HEX" --id "$ID_AES" -i "$ct" -o "$out"
    expect_p11_ok || return 1
    expect_same_file "$CONF_TMP/aes-data.bin" "$out" || return 1
}
check "openssl enc -aes-256-cbc, 1000 bytes: AES-CBC-PAD on the token decrypts" chk_aes_token_decrypt

summary
