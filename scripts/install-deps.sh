#!/usr/bin/env bash
# Install the Debian packages the test suite needs, only those that are absent:
#   opensc                     pkcs11-tool (conformance/pkcs11-tool.sh)
#   softhsm2                   reference PKCS#11 module (conformance dry runs)
#   libengine-pkcs11-openssl   OpenSSL engine for PKCS#11 modules
#   openssl                    test certificates, TLS, software verification
#   gnutls-bin                 p11tool (imports Ed25519 public keys pkcs11-tool cannot)
# Idempotent; prints nothing when everything is already installed.
set -euo pipefail

# pkg_installed PKG: dpkg knows PKG as installed.
pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
command -v pkcs11-tool >/dev/null 2>&1 || pkg_installed opensc || missing+=(opensc)
pkg_installed softhsm2 || [[ -e /usr/lib/softhsm/libsofthsm2.so ]] || missing+=(softhsm2)
pkg_installed libengine-pkcs11-openssl || missing+=(libengine-pkcs11-openssl)
command -v openssl >/dev/null 2>&1 || pkg_installed openssl || missing+=(openssl)
command -v p11tool >/dev/null 2>&1 || pkg_installed gnutls-bin || missing+=(gnutls-bin)

if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: missing packages: ${missing[*]}; apt-get not available, install them by hand" >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "install-deps: missing packages: ${missing[*]}; not root and no sudo" >&2
        exit 1
    fi
fi

echo "install-deps: installing ${missing[*]}"
apt() {
    ${SUDO[@]+"${SUDO[@]}"} env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}
apt update -qq
apt install -y -qq --no-install-recommends "${missing[@]}"
