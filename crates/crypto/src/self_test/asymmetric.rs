//! Known-answer tests of RSA, ECDSA and ECDH on P-256, Ed25519 and X25519, through the
//! module's own key types (`crate::rsa`, `crate::ec`, `crate::edwards`).

use std::sync::OnceLock;

use super::{corrupted, expect, hex};
use crate::digest::HashAlg;
use crate::ec::{self, Curve};
use crate::edwards::{self, Ed25519Private, X25519Private};
use crate::rsa::{self, Components, PrivateKey};

/// The fixed 2048-bit test key: a PKCS#1 RSAPrivateKey (DER) generated once with
/// `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048` (OpenSSL 3.0) and exported
/// with `openssl rsa -traditional -outform DER`. It is public and protects nothing.
const RSA_KEY_DER: &[u8] = include_bytes!("rsa2048.der");

/// The message signed by the RSA known answer.
const RSA_MESSAGE: &[u8] = b"Craton HSM power-on self-test";

/// RSASSA-PKCS1-v1_5 with SHA-256 of [`RSA_MESSAGE`] under the fixed key, computed with
/// OpenSSL 3.0 from the fixed key (`openssl dgst -sha256 -sign`).
const RSA_PKCS1_SHA256_SIGNATURE: &str = "\
    20d7b0a63e4bf2850e1d6c09666d5917145c996658fe8dcda4d2968b59bb94da\
    0790c004d4c8f4704b838700ff937887a6a44b93481fb30095260316f3a31d7b\
    c1ba92091db321be7ce1e566c51f655edbe41d73d98b2b114915ba7a35078405\
    5ba0c9b539019b8ac669f06b737bfa645495cd2b05ab2de53840a65af22b3a00\
    80a5742c298d4cf45d0578eb7f0c5c45b76d70778622cbde1329f44f766fd6ac\
    1a90ad6d3337bad8159e1186c64c39f2dd0e2a50ff157cbb5220dc4dc99b46cd\
    276a141748cf4e355722c7a4e0000329054dc64865855a1a6ba0850ef78a6589\
    6fa6179192565157fadcc5da102e945c7091676a1c874eb52f21d77997b86781";

/// The OAEP plaintext.
const RSA_OAEP_PLAINTEXT: &[u8] = b"Craton HSM OAEP self-test";

/// RSAES-OAEP (SHA-256, MGF1-SHA-256, empty label) of [`RSA_OAEP_PLAINTEXT`] under the fixed
/// key, computed with OpenSSL 3.0 from the fixed key (`openssl pkeyutl -encrypt -pkeyopt
/// rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256`).
const RSA_OAEP_SHA256_CIPHERTEXT: &str = "\
    8867d4d8add99d87f0d02a4750e8722b32587f2644d42507c101a08892a142ed\
    ab6dc3c62744e2b6a98b544cce8090baaa72131b4c0138ccd01d9c6b453e7c95\
    bc29835a7db8dd5e5f4c74cc5a1c7fcd5baabd38d4ddb9181b59734ec00f8731\
    a8dd3b423dbad445fd07d62a91e790d194502f4faf42ae1aa40b5e6cc3445aa8\
    2eb3c33e8691c3dd9682787c65aeeb4cf39a6a0619707c1e7269cf6d883707c4\
    726da56cdbbd0387a051ae3fa5a7bab816c2ab91e0ad923b9344e1b87741b040\
    8008a423aaa5b76737a5c01ec043a7f000fcd054fad8f5c19b47eb594c651fa0\
    8125fe8e4d2e737849e76f85c1a99f6336f29e1bcafa095a26acf848a25bc864";

/// The fixed key, parsed and loaded once per process (loading dominates the RSA tests' cost);
/// `None` if it does not load, which fails every RSA test.
fn rsa_key() -> Option<&'static PrivateKey> {
    static KEY: OnceLock<Option<PrivateKey>> = OnceLock::new();
    KEY.get_or_init(load_rsa_key).as_ref()
}

/// Parse and load the fixed key.
pub(super) fn load_rsa_key() -> Option<PrivateKey> {
    let key = Components::from_rsa_private_key(RSA_KEY_DER).and_then(PrivateKey::new).ok()?;
    (key.public().bits() == 2048).then_some(key)
}

/// The DigestInfo of SHA-256([`RSA_MESSAGE`]).
fn rsa_digest_info() -> Vec<u8> {
    HashAlg::Sha256.digest_info(&HashAlg::Sha256.digest(RSA_MESSAGE))
}

/// PKCS#1 v1.5 SHA-256 signature through the backend (aws-lc-rs), compared with the stored
/// signature, and verification of the stored signature.
pub fn rsa_pkcs1_sha256(corrupt: bool) -> bool {
    let Some(key) = rsa_key() else { return false };
    let info = rsa_digest_info();
    let want = expect(RSA_PKCS1_SHA256_SIGNATURE, corrupt);
    key.sign_pkcs1(&info).ok() == Some(want.clone())
        && key.public().verify_pkcs1(&info, &want).is_ok()
}

/// The raw private operation (RSA_X_509, the constant-time CRT path with blinding) on the
/// EMSA-PKCS1-v1_5 block must give the same signature as the backend; the raw public
/// operation must give the block back.
pub fn rsa_x509(corrupt: bool) -> bool {
    let Some(key) = rsa_key() else { return false };
    let Ok(block) = rsa::pad::pkcs1_sign_block(key.public().k(), &rsa_digest_info()) else {
        return false;
    };
    let want = expect(RSA_PKCS1_SHA256_SIGNATURE, corrupt);
    key.apply_raw(&block).ok() == Some(want.clone())
        && key.public().recover_raw(&want).ok() == Some(block)
}

/// OAEP (SHA-256) decryption of the stored ciphertext.
pub fn rsa_oaep(corrupt: bool) -> bool {
    let Some(key) = rsa_key() else { return false };
    let want = corrupted(RSA_OAEP_PLAINTEXT.to_vec(), corrupt);
    let c = hex(RSA_OAEP_SHA256_CIPHERTEXT);
    matches!(key.decrypt_oaep(&c, HashAlg::Sha256, HashAlg::Sha256, b""), Ok(p) if *p == want)
}

/// NIST CAVP 186-3ecdsatestvectors.zip SigGen.txt, [P-256,SHA-256], first case (as in
/// tests/vectors/ecdsa.txt): the key derived from d must have the published Q, the published
/// (R, S) over SHA-256(Msg) must verify, and a fresh (randomized) signature with d must verify.
pub fn ecdsa_p256(corrupt: bool) -> bool {
    let msg = hex("5905238877c77421f73e43ee3da6f2d9e2ccad5fc942dcec0cbd25482935faaf\
         416983fe165b1a045ee2bcd2e6dca3bdf46c4310a7461f9a37960ca672d3feb5\
         473e253605fb1ddfd28065b53cb5858a8ad28175bf9bd386a5e471ea7a65c17c\
         c934a9d791e91491eb3754d03799790fe2d308d16146d5c9b0d0debd97d79ce8");
    let Ok(key) = ec::PrivateKey::new(
        Curve::P256,
        &hex("519b423d715f8b581f4fa8ee59f4771a5b44c8130b4e3eacca54a56dda72b464"),
    ) else {
        return false;
    };
    let q = hex("04\
         1ccbe91c075fc7f4f033bfa248db8fccd3565de94bbfb12f3c59ff46c271bf83\
         ce4014c68811f9a21a1fdb2c0e6113e06db7ca93b7404e78dc7ccd5ca89a4ca9");
    let rs = expect(
        "f3ac8061b514795b8843e3d6629527ed2afd6b1f6a555a7acabb5e6f79c8c2ac\
         8bf77819ca05a6b2786c76262bf7371cef97b218e96f175a3ccdda2acc058903",
        corrupt,
    );
    let digest = HashAlg::Sha256.digest(&msg);
    let public = key.public();
    public.point() == q
        && public.verify_digest(&digest, &rs).is_ok()
        && key.sign_digest(&digest).is_ok_and(|s| public.verify_digest(&digest, &s).is_ok())
}

/// NIST CAVP KAS_ECC_CDH_PrimitiveTest.txt (ecccdhtestvectors.zip), [P-256] COUNT = 0: the key
/// from dIUT must have the published QIUT, and its agreement with QCAVS must give ZIUT.
pub fn ecdh_p256(corrupt: bool) -> bool {
    let Ok(key) = ec::PrivateKey::new(
        Curve::P256,
        &hex("7d7dc5f71eb29ddaf80d6214632eeae03d9058af1fb6d22ed80badb62bc1a534"),
    ) else {
        return false;
    };
    let qiut = hex("04\
         ead218590119e8876b29146ff89ca61770c4edbbf97d38ce385ed281d8a6b230\
         28af61281fd35e2fa7002523acc85a429cb06ee6648325389f59edfce1405141");
    let qcavs = hex("04\
         700c48f77f56584c5cc632ca65640db91b6bacce3a4df6b42ce7cc838833d287\
         db71e509e3fd9b060ddb20ba5c51dcc5948d46fbf640dfe0441782cab85fa4ac");
    let want = expect("46fc62106420ff012e54a434fbdd2d25ccc5852060561e68040dd7778997bd7b", corrupt);
    key.public().point() == qiut && matches!(key.agree(&qcavs), Ok(z) if *z == want)
}

/// RFC 8032 section 7.1, TEST 1 (empty message): public key, signature equal to the RFC's,
/// and the RFC's signature verifies.
pub fn ed25519(corrupt: bool) -> bool {
    let Ok(key) = Ed25519Private::new(&hex(
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    )) else {
        return false;
    };
    let want = expect(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155\
         5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        corrupt,
    );
    key.public()[..] == hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        && key.sign(b"").ok() == Some(want.clone())
        && edwards::ed25519_verify(key.public(), b"", &want).is_ok()
}

/// RFC 7748 section 6.1: Alice's public key from her private key, and her shared secret with
/// Bob's public key.
pub fn x25519(corrupt: bool) -> bool {
    let Ok(alice) = X25519Private::new(&hex(
        "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
    )) else {
        return false;
    };
    let bob = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    let want = expect("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", corrupt);
    alice.public()[..] == hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        && matches!(alice.agree(&bob), Ok(k) if *k == want)
}
