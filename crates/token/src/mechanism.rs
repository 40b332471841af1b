//! The mechanism registry: every mechanism the module offers, with the key sizes and
//! functions C_GetMechanismInfo reports, and how its parameter is shaped. The C ABI decodes
//! parameters by [`ParamKind`]; the README's mechanism table is generated from [`ALL`].

use pkcs11_sys as sys;

/// A `CKM_*` value.
pub type MechType = u64;

/// The shape of a mechanism's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// No parameter.
    None,
    /// A 16-byte IV.
    Iv16,
    /// `CK_AES_CTR_PARAMS`.
    Ctr,
    /// `CK_GCM_PARAMS` (3.0 layout).
    Gcm,
    /// `CK_RSA_PKCS_PSS_PARAMS`.
    Pss,
    /// `CK_RSA_PKCS_OAEP_PARAMS`.
    Oaep,
    /// `CK_MAC_GENERAL_PARAMS` (a `CK_ULONG` length).
    MacLen,
    /// `CK_ECDH1_DERIVE_PARAMS`.
    Ecdh,
    /// `CK_KEY_DERIVATION_STRING_DATA`.
    Data,
    /// `CK_AES_CBC_ENCRYPT_DATA_PARAMS`.
    CbcData,
    /// An optional IV for key wrap (empty or 8 bytes for KW, 4 for KWP).
    OptionalIv,
    /// `CK_HKDF_PARAMS`.
    Hkdf,
    /// `CK_PKCS5_PBKD2_PARAMS2` (or the 2.40 `CK_PKCS5_PBKD2_PARAMS`).
    Pbkdf2,
    /// `CK_SALSA20_CHACHA20_POLY1305_PARAMS`.
    ChaCha,
    /// `CK_CHACHA20_PARAMS`.
    ChaCha20,
    /// `CK_CCM_PARAMS`.
    Ccm,
    /// `CK_SP800_108_KDF_PARAMS`.
    Kbkdf,
}

/// A typed, validated-shape parameter (decoded once at `*Init`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// None given.
    None,
    /// IV or data bytes.
    Bytes(Vec<u8>),
    /// AES-CTR.
    Ctr {
        /// Counter width in bits.
        counter_bits: u64,
        /// Initial counter block.
        block: [u8; 16],
    },
    /// AES-GCM.
    Gcm {
        /// IV.
        iv: Vec<u8>,
        /// AAD.
        aad: Vec<u8>,
        /// Tag length in bits.
        tag_bits: u64,
    },
    /// RSA-PSS.
    Pss {
        /// `CKM_*` hash.
        hash: u64,
        /// `CKG_*` MGF.
        mgf: u64,
        /// Salt length.
        salt: u64,
    },
    /// RSA-OAEP.
    Oaep {
        /// `CKM_*` hash.
        hash: u64,
        /// `CKG_*` MGF.
        mgf: u64,
        /// `CKZ_*` source.
        source: u64,
        /// Label.
        label: Vec<u8>,
    },
    /// Output length of a _GENERAL MAC.
    MacLen(u64),
    /// ECDH.
    Ecdh {
        /// `CKD_*`.
        kdf: u64,
        /// Shared info for the KDF.
        shared: Vec<u8>,
        /// Peer public value.
        public: Vec<u8>,
    },
    /// HKDF (RFC 5869).
    Hkdf {
        /// Run the extract step.
        extract: bool,
        /// Run the expand step.
        expand: bool,
        /// `CKM_*` of the PRF's hash.
        prf: u64,
        /// Salt: none, data, or the value of a key.
        salt: HkdfSalt,
        /// Info for the expand step.
        info: Vec<u8>,
    },
    /// PBKDF2 key generation.
    Pbkdf2 {
        /// Salt.
        salt: Vec<u8>,
        /// Iteration count.
        iterations: u64,
        /// `CKP_PKCS5_PBKD2_HMAC_*`.
        prf: u64,
        /// The password.
        password: Password,
    },
    /// ChaCha20-Poly1305: nonce and AAD.
    ChaCha {
        /// Nonce.
        nonce: Vec<u8>,
        /// AAD.
        aad: Vec<u8>,
    },
    /// Plain ChaCha20 (`CK_CHACHA20_PARAMS`), as the caller gave it; the shape is checked
    /// when the operation starts.
    ChaCha20 {
        /// The initial block counter's bytes (`pBlockCounter`), least significant first.
        counter: Vec<u8>,
        /// `blockCounterBits`.
        counter_bits: u64,
        /// Nonce (`pNonce`, `ulNonceBits / 8` bytes).
        nonce: Vec<u8>,
    },
    /// AES-CCM.
    Ccm {
        /// The message length the caller declares.
        data_len: u64,
        /// Nonce.
        nonce: Vec<u8>,
        /// AAD.
        aad: Vec<u8>,
        /// MAC (tag) length in bytes.
        mac_len: u64,
    },
    /// SP 800-108 counter-mode KDF.
    Kbkdf {
        /// `CKM_*` of the PRF (an HMAC or CKM_AES_CMAC).
        prf: u64,
        /// The PRF input, in order.
        data: Vec<KbkdfData>,
        /// Templates of the additional keys derived after the first.
        additional: Vec<Vec<(crate::types::AttrType, Vec<u8>)>>,
    },
    /// AES-CBC key derivation: IV and data.
    CbcData {
        /// IV.
        iv: [u8; 16],
        /// Data to encrypt.
        data: Vec<u8>,
    },
}

/// A password carried in a mechanism parameter: zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(pub zeroize::Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// One `CK_PRF_DATA_PARAM` of an SP 800-108 KDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KbkdfData {
    /// `CK_SP800_108_ITERATION_VARIABLE`: the counter, as `CK_SP800_108_COUNTER_FORMAT`.
    Counter {
        /// Little-endian encoding.
        little_endian: bool,
        /// Width in bits.
        width_bits: u64,
    },
    /// `CK_SP800_108_DKM_LENGTH`, as `CK_SP800_108_DKM_LENGTH_FORMAT`.
    DkmLength {
        /// `CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS` or `..._SUM_OF_SEGMENTS`.
        method: u64,
        /// Little-endian encoding.
        little_endian: bool,
        /// Width in bits.
        width_bits: u64,
    },
    /// `CK_SP800_108_BYTE_ARRAY`.
    Bytes(Vec<u8>),
}

/// Where HKDF's salt comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HkdfSalt {
    /// `CKF_HKDF_SALT_NULL`: hash-length zeros.
    Null,
    /// `CKF_HKDF_SALT_DATA`.
    Data(Vec<u8>),
    /// `CKF_HKDF_SALT_KEY`: a secret key's value.
    Key(u64),
}

/// A mechanism and its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mechanism {
    /// `CKM_*`.
    pub ty: MechType,
    /// Its parameter.
    pub param: Param,
}

/// One registry row.
#[derive(Debug, Clone, Copy)]
pub struct MechInfo {
    /// `CKM_*`.
    pub ty: MechType,
    /// Name for documentation.
    pub name: &'static str,
    /// Smallest key size (bits for RSA/EC, bytes for secret keys).
    pub min: u64,
    /// Largest key size.
    pub max: u64,
    /// `CKF_*` function flags.
    pub flags: u64,
    /// Parameter shape.
    pub param: ParamKind,
}

const E: u64 = sys::CKF_ENCRYPT as u64;
const D: u64 = sys::CKF_DECRYPT as u64;
const S: u64 = sys::CKF_SIGN as u64;
const V: u64 = sys::CKF_VERIFY as u64;
const SR: u64 = sys::CKF_SIGN_RECOVER as u64;
const VR: u64 = sys::CKF_VERIFY_RECOVER as u64;
const W: u64 = sys::CKF_WRAP as u64;
const U: u64 = sys::CKF_UNWRAP as u64;
const G: u64 = sys::CKF_GENERATE as u64;
const GP: u64 = sys::CKF_GENERATE_KEY_PAIR as u64;
const DV: u64 = sys::CKF_DERIVE as u64;
const DG: u64 = sys::CKF_DIGEST as u64;
const ME: u64 = (sys::CKF_MESSAGE_ENCRYPT | sys::CKF_MESSAGE_DECRYPT) as u64;
const MS: u64 = (sys::CKF_MESSAGE_SIGN | sys::CKF_MESSAGE_VERIFY) as u64;
/// EC capability flags: prime fields, curves named by OID, uncompressed points.
const ECF: u64 = (sys::CKF_EC_F_P | sys::CKF_EC_OID | sys::CKF_EC_UNCOMPRESS) as u64;

const fn m(
    ty: sys::CK_MECHANISM_TYPE,
    name: &'static str,
    min: u64,
    max: u64,
    flags: u64,
    param: ParamKind,
) -> MechInfo {
    MechInfo { ty: ty as u64, name, min, max, flags, param }
}

use ParamKind as P;

/// RSA key sizes (bits).
const R0: u64 = 2048;
const R1: u64 = 8192;
/// HMAC / generic secret key sizes (bytes).
const H0: u64 = 1;
const H1: u64 = 512;

/// Every mechanism offered, in C_GetMechanismList order.
pub const ALL: &[MechInfo] = &[
    m(sys::CKM_RSA_PKCS_KEY_PAIR_GEN, "RSA_PKCS_KEY_PAIR_GEN", R0, R1, GP, P::None),
    m(sys::CKM_RSA_PKCS, "RSA_PKCS", R0, R1, E | D | S | V | SR | VR | W | U, P::None),
    m(sys::CKM_RSA_X_509, "RSA_X_509", R0, R1, E | D | S | V | SR | VR, P::None),
    m(sys::CKM_SHA1_RSA_PKCS, "SHA1_RSA_PKCS", R0, R1, S | V, P::None),
    m(sys::CKM_SHA224_RSA_PKCS, "SHA224_RSA_PKCS", R0, R1, S | V, P::None),
    m(sys::CKM_SHA256_RSA_PKCS, "SHA256_RSA_PKCS", R0, R1, S | V, P::None),
    m(sys::CKM_SHA384_RSA_PKCS, "SHA384_RSA_PKCS", R0, R1, S | V, P::None),
    m(sys::CKM_SHA512_RSA_PKCS, "SHA512_RSA_PKCS", R0, R1, S | V, P::None),
    m(sys::CKM_RSA_PKCS_PSS, "RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_SHA1_RSA_PKCS_PSS, "SHA1_RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_SHA224_RSA_PKCS_PSS, "SHA224_RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_SHA256_RSA_PKCS_PSS, "SHA256_RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_SHA384_RSA_PKCS_PSS, "SHA384_RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_SHA512_RSA_PKCS_PSS, "SHA512_RSA_PKCS_PSS", R0, R1, S | V, P::Pss),
    m(sys::CKM_RSA_PKCS_OAEP, "RSA_PKCS_OAEP", R0, R1, E | D | W | U, P::Oaep),
    m(sys::CKM_EC_KEY_PAIR_GEN, "EC_KEY_PAIR_GEN", 256, 521, GP | ECF, P::None),
    m(sys::CKM_ECDSA, "ECDSA", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDSA_SHA1, "ECDSA_SHA1", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDSA_SHA224, "ECDSA_SHA224", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDSA_SHA256, "ECDSA_SHA256", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDSA_SHA384, "ECDSA_SHA384", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDSA_SHA512, "ECDSA_SHA512", 256, 521, S | V | ECF, P::None),
    m(sys::CKM_ECDH1_DERIVE, "ECDH1_DERIVE", 255, 521, DV | ECF, P::Ecdh),
    m(sys::CKM_ECDH1_COFACTOR_DERIVE, "ECDH1_COFACTOR_DERIVE", 256, 521, DV | ECF, P::Ecdh),
    m(sys::CKM_EC_EDWARDS_KEY_PAIR_GEN, "EC_EDWARDS_KEY_PAIR_GEN", 255, 255, GP, P::None),
    m(sys::CKM_EDDSA, "EDDSA", 255, 255, S | V, P::None),
    m(sys::CKM_EC_MONTGOMERY_KEY_PAIR_GEN, "EC_MONTGOMERY_KEY_PAIR_GEN", 255, 255, GP, P::None),
    m(sys::CKM_AES_KEY_GEN, "AES_KEY_GEN", 16, 32, G, P::None),
    m(sys::CKM_AES_ECB, "AES_ECB", 16, 32, E | D, P::None),
    m(sys::CKM_AES_CBC, "AES_CBC", 16, 32, E | D, P::Iv16),
    m(sys::CKM_AES_CBC_PAD, "AES_CBC_PAD", 16, 32, E | D | W | U, P::Iv16),
    m(sys::CKM_AES_CTR, "AES_CTR", 16, 32, E | D, P::Ctr),
    m(sys::CKM_AES_GCM, "AES_GCM", 16, 32, E | D | W | U | ME, P::Gcm),
    m(sys::CKM_AES_CCM, "AES_CCM", 16, 32, E | D | ME, P::Ccm),
    m(sys::CKM_AES_CTS, "AES_CTS", 16, 32, E | D, P::Iv16),
    m(sys::CKM_AES_MAC, "AES_MAC", 16, 32, S | V, P::None),
    m(sys::CKM_AES_MAC_GENERAL, "AES_MAC_GENERAL", 16, 32, S | V, P::MacLen),
    m(sys::CKM_AES_CMAC, "AES_CMAC", 16, 32, S | V, P::None),
    m(sys::CKM_AES_CMAC_GENERAL, "AES_CMAC_GENERAL", 16, 32, S | V, P::MacLen),
    m(sys::CKM_AES_KEY_WRAP, "AES_KEY_WRAP", 16, 32, E | D | W | U, P::OptionalIv),
    m(sys::CKM_AES_KEY_WRAP_PAD, "AES_KEY_WRAP_PAD", 16, 32, E | D | W | U, P::OptionalIv),
    m(sys::CKM_AES_KEY_WRAP_KWP, "AES_KEY_WRAP_KWP", 16, 32, E | D | W | U, P::OptionalIv),
    m(sys::CKM_AES_ECB_ENCRYPT_DATA, "AES_ECB_ENCRYPT_DATA", 16, 32, DV, P::Data),
    m(sys::CKM_AES_CBC_ENCRYPT_DATA, "AES_CBC_ENCRYPT_DATA", 16, 32, DV, P::CbcData),
    m(sys::CKM_HKDF_DERIVE, "HKDF_DERIVE", H0, H1, DV, P::Hkdf),
    m(sys::CKM_HKDF_DATA, "HKDF_DATA", H0, H1, DV, P::Hkdf),
    m(sys::CKM_SP800_108_COUNTER_KDF, "SP800_108_COUNTER_KDF", H0, H1, DV, P::Kbkdf),
    m(sys::CKM_PKCS5_PBKD2, "PKCS5_PBKD2", H0, H1, G, P::Pbkdf2),
    m(sys::CKM_CHACHA20_KEY_GEN, "CHACHA20_KEY_GEN", 32, 32, G, P::None),
    m(sys::CKM_CHACHA20, "CHACHA20", 32, 32, E | D, P::ChaCha20),
    m(sys::CKM_CHACHA20_POLY1305, "CHACHA20_POLY1305", 32, 32, E | D | W | U | ME, P::ChaCha),
    m(sys::CKM_SHA_1, "SHA_1", 0, 0, DG, P::None),
    m(sys::CKM_SHA224, "SHA224", 0, 0, DG, P::None),
    m(sys::CKM_SHA256, "SHA256", 0, 0, DG, P::None),
    m(sys::CKM_SHA384, "SHA384", 0, 0, DG, P::None),
    m(sys::CKM_SHA512, "SHA512", 0, 0, DG, P::None),
    m(sys::CKM_SHA512_224, "SHA512_224", 0, 0, DG, P::None),
    m(sys::CKM_SHA512_256, "SHA512_256", 0, 0, DG, P::None),
    m(sys::CKM_SHA3_224, "SHA3_224", 0, 0, DG, P::None),
    m(sys::CKM_SHA3_256, "SHA3_256", 0, 0, DG, P::None),
    m(sys::CKM_SHA3_384, "SHA3_384", 0, 0, DG, P::None),
    m(sys::CKM_SHA3_512, "SHA3_512", 0, 0, DG, P::None),
    m(sys::CKM_GENERIC_SECRET_KEY_GEN, "GENERIC_SECRET_KEY_GEN", H0, H1, G, P::None),
    m(sys::CKM_SHA_1_HMAC, "SHA_1_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA_1_HMAC_GENERAL, "SHA_1_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA224_HMAC, "SHA224_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA224_HMAC_GENERAL, "SHA224_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA256_HMAC, "SHA256_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA256_HMAC_GENERAL, "SHA256_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA384_HMAC, "SHA384_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA384_HMAC_GENERAL, "SHA384_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA512_HMAC, "SHA512_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA512_HMAC_GENERAL, "SHA512_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA512_224_HMAC, "SHA512_224_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA512_224_HMAC_GENERAL, "SHA512_224_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA512_256_HMAC, "SHA512_256_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA512_256_HMAC_GENERAL, "SHA512_256_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA3_224_HMAC, "SHA3_224_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA3_224_HMAC_GENERAL, "SHA3_224_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA3_256_HMAC, "SHA3_256_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA3_256_HMAC_GENERAL, "SHA3_256_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA3_384_HMAC, "SHA3_384_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA3_384_HMAC_GENERAL, "SHA3_384_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
    m(sys::CKM_SHA3_512_HMAC, "SHA3_512_HMAC", H0, H1, S | V | MS, P::None),
    m(sys::CKM_SHA3_512_HMAC_GENERAL, "SHA3_512_HMAC_GENERAL", H0, H1, S | V, P::MacLen),
];

/// The registry row of `ty`.
pub fn info(ty: MechType) -> Option<&'static MechInfo> {
    ALL.iter().find(|m| m.ty == ty)
}

/// The hash a `CKM_*` digest mechanism (or a PSS/OAEP hash parameter) names.
pub fn hash_of(ty: MechType) -> Option<craton_crypto::digest::HashAlg> {
    use craton_crypto::digest::HashAlg as H;
    Some(match ty as sys::CK_MECHANISM_TYPE {
        sys::CKM_SHA_1 => H::Sha1,
        sys::CKM_SHA224 => H::Sha224,
        sys::CKM_SHA256 => H::Sha256,
        sys::CKM_SHA384 => H::Sha384,
        sys::CKM_SHA512 => H::Sha512,
        sys::CKM_SHA512_224 => H::Sha512_224,
        sys::CKM_SHA512_256 => H::Sha512_256,
        sys::CKM_SHA3_224 => H::Sha3_224,
        sys::CKM_SHA3_256 => H::Sha3_256,
        sys::CKM_SHA3_384 => H::Sha3_384,
        sys::CKM_SHA3_512 => H::Sha3_512,
        _ => return None,
    })
}

/// The hash an MGF1 `CKG_*` value names.
pub fn mgf_of(g: u64) -> Option<craton_crypto::digest::HashAlg> {
    use craton_crypto::digest::HashAlg as H;
    Some(match g as sys::CK_RSA_PKCS_MGF_TYPE {
        sys::CKG_MGF1_SHA1 => H::Sha1,
        sys::CKG_MGF1_SHA224 => H::Sha224,
        sys::CKG_MGF1_SHA256 => H::Sha256,
        sys::CKG_MGF1_SHA384 => H::Sha384,
        sys::CKG_MGF1_SHA512 => H::Sha512,
        sys::CKG_MGF1_SHA3_224 => H::Sha3_224,
        sys::CKG_MGF1_SHA3_256 => H::Sha3_256,
        sys::CKG_MGF1_SHA3_384 => H::Sha3_384,
        sys::CKG_MGF1_SHA3_512 => H::Sha3_512,
        _ => return None,
    })
}

/// The README table: mechanism, key sizes, functions.
pub fn markdown_table() -> String {
    let fns = [
        (E, "encrypt"),
        (D, "decrypt"),
        (S, "sign"),
        (V, "verify"),
        (SR, "sign-recover"),
        (VR, "verify-recover"),
        (DG, "digest"),
        (G, "generate"),
        (GP, "generate-pair"),
        (W, "wrap"),
        (U, "unwrap"),
        (DV, "derive"),
        (ME, "message encrypt/decrypt"),
        (MS, "message sign/verify"),
    ];
    let mut out = String::from("| mechanism | key sizes | functions |\n|---|---|---|\n");
    for mi in ALL {
        let sizes = match (mi.min, mi.max) {
            (0, 0) => "—".to_string(),
            (a, b) if a == b => format!("{a}"),
            (a, b) => format!("{a}–{b}"),
        };
        let unit = match mi.name {
            n if n.starts_with("RSA") || n.contains("RSA_PKCS") || n.starts_with("EC") => " bits",
            n if n.starts_with("EDDSA") => " bits",
            _ if mi.min == 0 => "",
            _ => " bytes",
        };
        let f: Vec<&str> =
            fns.iter().filter(|(b, _)| mi.flags & b == *b).map(|(_, n)| *n).collect();
        out += &format!("| CKM_{} | {sizes}{unit} | {} |\n", mi.name, f.join(", "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_has_no_duplicates_and_digests_map() {
        for (i, a) in ALL.iter().enumerate() {
            assert!(ALL[i + 1..].iter().all(|b| b.ty != a.ty), "{} twice", a.name);
            if a.flags & DG != 0 {
                assert!(hash_of(a.ty).is_some(), "{}", a.name);
            }
        }
        assert!(
            markdown_table()
                .contains("| CKM_AES_GCM | 16–32 bytes | encrypt, decrypt, wrap, unwrap, message encrypt/decrypt |")
        );
    }
}
