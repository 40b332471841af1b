#!/usr/bin/env bash
# The main job on the embedded default: build libcraton_hsm.so, initialize a token in a local
# store (./demo-store, or $CRATON_DEMO_DIR), and use it from a real client, pkcs11-tool:
# list it, log in, store a private data object, read it back in another process, then
# generate an EC key pair inside the token, sign with it and verify the signature in OpenSSL.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bash scripts/install-deps.sh

cargo build --release -p craton-hsm -p craton-hsm-admin
lib="$root/target/release/libcraton_hsm.so"
demo="${CRATON_DEMO_DIR:-$root/demo-store}"
mkdir -p "$demo"
chmod 700 "$demo"
# Only the store location differs from the built-in defaults.
cat > "$demo/craton-hsm.toml" <<CONF
[token]
storage_path = "$demo/store"
CONF
export CRATON_HSM_CONF="$demo/craton-hsm.toml"
so_pin=12345678
user_pin=1234
p11() { pkcs11-tool --module "$lib" "$@"; }

echo "== module"
p11 --show-info
if ! p11 --list-token-slots | grep -q "label.*: demo"; then
  echo "== initialize token 'demo' in slot 0 and set the user PIN"
  p11 --slot 0 --init-token --label demo --so-pin "$so_pin"
  p11 --slot 0 --init-pin --login --login-type so --so-pin "$so_pin" --pin "$user_pin"
fi
p11 --list-token-slots

echo "== store a private data object, then read it back from a new process"
printf 'hello from craton-hsm at %s\n' "$(date -u +%FT%TZ)" > "$demo/message.txt"
p11 --slot 0 --login --pin "$user_pin" --delete-object --type data --label demo-message >/dev/null 2>&1 || true
p11 --slot 0 --login --pin "$user_pin" --write-object "$demo/message.txt" --type data \
    --label demo-message --private
p11 --slot 0 --login --pin "$user_pin" --list-objects
p11 --slot 0 --login --pin "$user_pin" --read-object --type data --label demo-message \
    --output-file "$demo/readback.txt"
cmp "$demo/message.txt" "$demo/readback.txt"
echo "read back identical: $(cat "$demo/readback.txt")"

echo "== generate an EC P-256 key pair in the token, sign with it, verify in OpenSSL"
p11 --slot 0 --login --pin "$user_pin" --delete-object --type privkey --label demo-ec >/dev/null 2>&1 || true
p11 --slot 0 --login --pin "$user_pin" --delete-object --type pubkey --label demo-ec >/dev/null 2>&1 || true
p11 --slot 0 --login --pin "$user_pin" --keypairgen --key-type EC:prime256v1 --label demo-ec --id d0
p11 --slot 0 --read-object --type pubkey --label demo-ec --output-file "$demo/demo-ec.der"
openssl pkey -pubin -inform DER -in "$demo/demo-ec.der" -out "$demo/demo-ec.pem"
p11 --slot 0 --login --pin "$user_pin" --sign --mechanism ECDSA-SHA256 --label demo-ec \
    --signature-format openssl --input-file "$demo/message.txt" --output-file "$demo/message.sig"
openssl dgst -sha256 -verify "$demo/demo-ec.pem" -signature "$demo/message.sig" "$demo/message.txt"

echo "== operator view"
"$root/target/release/craton-hsm-admin" status
echo "demo done: store in $demo/store (remove the folder to start over)"
