//! C_GenerateKey and C_GenerateKeyPair. Every key comes from the module's DRBG; key pairs
//! pass a pairwise-consistency test (in the crypto crate) before they are stored.

use craton_crypto::edwards::{self, Ed25519Private, X25519Private};
use craton_crypto::{der, ec, rsa};
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use crate::attrs::{Attributes, bool_bytes, ulong_bytes};
use crate::error::{Error, Result};
use crate::keys::KeyObj;
use crate::mechanism::{Mechanism, Param};
use crate::module::Module;
use crate::objects::Ctx;
use crate::policy::{self, ClassPolicy};
use crate::types::{AttrType, KeyType, ObjectClass, ObjectHandle, SessionHandle};
use craton_crypto::digest::HashAlg;

type Template = Vec<(AttrType, Vec<u8>)>;

fn value_of(template: &[(AttrType, Vec<u8>)], t: AttrType) -> Option<&[u8]> {
    template.iter().rev().find(|(ty, _)| *ty == t).map(|(_, v)| v.as_slice())
}

pub(crate) fn ulong_of(template: &[(AttrType, Vec<u8>)], t: AttrType) -> Result<Option<u64>> {
    match value_of(template, t) {
        None => Ok(None),
        Some(v) => v
            .try_into()
            .map(|b| Some(u64::from_ne_bytes(b)))
            .map_err(|_| Error::AttributeValueInvalid),
    }
}

/// The template with the class and key type the mechanism implies (a conflicting value is
/// an inconsistency), and the generated attributes replacing any the caller gave.
pub(crate) fn assemble(
    template: &[(AttrType, Vec<u8>)],
    class: ObjectClass,
    key_type: KeyType,
    generated: Template,
) -> Result<Template> {
    for (t, want) in [(AttrType::CLASS, class.0), (AttrType::KEY_TYPE, key_type.0)] {
        if ulong_of(template, t)?.is_some_and(|v| v != want) {
            return Err(Error::TemplateInconsistent);
        }
    }
    let mut full: Template = vec![
        (AttrType::CLASS, ulong_bytes(class.0)),
        (AttrType::KEY_TYPE, ulong_bytes(key_type.0)),
    ];
    let probe: Template = full.iter().cloned().chain(template.iter().cloned()).collect();
    if ClassPolicy::for_template(&probe)?.names_material(template) {
        return Err(Error::TemplateInconsistent);
    }
    full.extend(
        template
            .iter()
            .filter(|(t, _)| {
                *t != AttrType::CLASS
                    && *t != AttrType::KEY_TYPE
                    && !generated.iter().any(|(g, _)| g == t)
            })
            .cloned(),
    );
    full.extend(generated);
    Ok(full)
}

/// Policy-check the assembled template and add what generation implies.
/// Returns the attributes and the usable key (built here, or the one `built` hands in).
fn finish(
    full: &Template,
    ctx: &Ctx,
    mech: u64,
    built: Option<KeyObj>,
) -> Result<(Attributes, Option<KeyObj>)> {
    let mut attrs = policy::create(full, ctx.actor)?;
    attrs.set(AttrType::LOCAL, bool_bytes(true));
    attrs.set(AttrType::KEY_GEN_MECHANISM, ulong_bytes(mech));
    if attrs.contains(AttrType::SENSITIVE) {
        let sensitive = attrs.get_bool(AttrType::SENSITIVE) == Some(true);
        let extractable = attrs.get_bool(AttrType::EXTRACTABLE) == Some(true);
        attrs.set(AttrType::ALWAYS_SENSITIVE, bool_bytes(sensitive));
        attrs.set(AttrType::NEVER_EXTRACTABLE, bool_bytes(!extractable));
    }
    let key = match built {
        Some(k) => {
            crate::keys::complete_with(&mut attrs, &k)?;
            Some(k)
        }
        None => crate::keys::complete(&mut attrs)?,
    };
    Ok((attrs, key))
}

fn random(len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut v = Zeroizing::new(vec![0u8; len]);
    craton_crypto::rng::fill(&mut v)?;
    Ok(v)
}

fn check_mech(m: &Mechanism, flag: u64) -> Result<()> {
    Module::check_mechanism(m, flag)?;
    if m.param != Param::None {
        return Err(Error::MechanismParamInvalid);
    }
    Ok(())
}

impl Module {
    /// C_GenerateKey.
    pub fn generate_key(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<ObjectHandle> {
        if let Param::Pbkdf2 { .. } = m.param {
            return self.pbkdf2_key(h, m, template);
        }
        check_mech(m, sys::CKF_GENERATE as u64)?;
        let ctx = self.ctx(h)?;
        let len = ulong_of(template, AttrType::VALUE_LEN)?;
        let (kt, len) = match m.ty as sys::CK_MECHANISM_TYPE {
            sys::CKM_CHACHA20_KEY_GEN => {
                if len.is_some_and(|l| l != 32) {
                    return Err(Error::AttributeValueInvalid);
                }
                (KeyType::CHACHA20, 32)
            }
            sys::CKM_AES_KEY_GEN => {
                let len = len.ok_or(Error::TemplateIncomplete)?;
                if !matches!(len, 16 | 24 | 32) {
                    return Err(Error::AttributeValueInvalid);
                }
                (KeyType::AES, len)
            }
            _ => {
                let kt = KeyType(
                    ulong_of(template, AttrType::KEY_TYPE)?.unwrap_or(KeyType::GENERIC_SECRET.0),
                );
                if !kt.is_hmac() {
                    return Err(Error::TemplateInconsistent);
                }
                let len = len.ok_or(Error::TemplateIncomplete)?;
                if !(1..=512).contains(&len) {
                    return Err(Error::AttributeValueInvalid);
                }
                (kt, len)
            }
        };
        let value = random(len as usize)?;
        let generated = vec![(AttrType::VALUE, value.to_vec())];
        let full = assemble(template, ObjectClass::SECRET_KEY, kt, generated)?;
        let (attrs, key) = finish(&full, &ctx, m.ty, None)?;
        self.persist_new(&ctx, h, attrs, key)
    }

    /// C_GenerateKey with CKM_PKCS5_PBKD2: a secret key from a password (RFC 8018).
    fn pbkdf2_key(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<ObjectHandle> {
        let Param::Pbkdf2 { salt, iterations, prf, password } = &m.param else {
            return Err(Error::MechanismParamInvalid);
        };
        let hash = match *prf as sys::CK_PROFILE_ID {
            sys::CKP_PKCS5_PBKD2_HMAC_SHA1 => HashAlg::Sha1,
            sys::CKP_PKCS5_PBKD2_HMAC_SHA224 => HashAlg::Sha224,
            sys::CKP_PKCS5_PBKD2_HMAC_SHA256 => HashAlg::Sha256,
            sys::CKP_PKCS5_PBKD2_HMAC_SHA384 => HashAlg::Sha384,
            sys::CKP_PKCS5_PBKD2_HMAC_SHA512 => HashAlg::Sha512,
            _ => return Err(Error::MechanismParamInvalid),
        };
        let iterations = u32::try_from(*iterations)
            .ok()
            .filter(|i| *i > 0)
            .ok_or(Error::MechanismParamInvalid)?;
        let ctx = self.ctx(h)?;
        let kt =
            KeyType(ulong_of(template, AttrType::KEY_TYPE)?.unwrap_or(KeyType::GENERIC_SECRET.0));
        let len = ulong_of(template, AttrType::VALUE_LEN)?
            .or((kt == KeyType::AES).then_some(32))
            .ok_or(Error::TemplateIncomplete)?;
        let valid = match kt {
            KeyType::AES => matches!(len, 16 | 24 | 32),
            k if k.is_hmac() => (1..=512).contains(&len),
            _ => return Err(Error::TemplateInconsistent),
        };
        if !valid {
            return Err(Error::AttributeValueInvalid);
        }
        let mut value = Zeroizing::new(vec![0u8; len as usize]);
        craton_crypto::digest::pbkdf2(hash, &password.0, salt, iterations, &mut value)
            .map_err(|_| Error::MechanismParamInvalid)?;
        let full = assemble(
            template,
            ObjectClass::SECRET_KEY,
            kt,
            vec![(AttrType::VALUE, value.to_vec())],
        )?;
        let (mut attrs, key) = finish(&full, &ctx, m.ty, None)?;
        // Derived from a password the caller holds: not LOCAL, never "always sensitive".
        attrs.set(AttrType::LOCAL, bool_bytes(false));
        if attrs.contains(AttrType::ALWAYS_SENSITIVE) {
            attrs.set(AttrType::ALWAYS_SENSITIVE, bool_bytes(false));
            attrs.set(AttrType::NEVER_EXTRACTABLE, bool_bytes(false));
        }
        self.persist_new(&ctx, h, attrs, key)
    }

    /// C_GenerateKeyPair: (public, private) handles.
    pub fn generate_key_pair(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        public: &[(AttrType, Vec<u8>)],
        private: &[(AttrType, Vec<u8>)],
    ) -> Result<(ObjectHandle, ObjectHandle)> {
        check_mech(m, sys::CKF_GENERATE_KEY_PAIR as u64)?;
        let ctx = self.ctx(h)?;
        if matches!(
            m.ty as sys::CK_MECHANISM_TYPE,
            sys::CKM_RSA_PKCS_KEY_PAIR_GEN | sys::CKM_EC_KEY_PAIR_GEN
        ) {
            // The pairwise-consistency test signs with the new key.
            craton_crypto::self_test::ensure_deferred().map_err(|name| {
                log::error!("self-test {name} failed before first use");
                Error::GeneralError
            })?;
        }
        let params = || {
            value_of(public, AttrType::EC_PARAMS)
                .or_else(|| value_of(private, AttrType::EC_PARAMS))
                .map(<[u8]>::to_vec)
                .ok_or(Error::TemplateIncomplete)
        };
        let crypto = |e| match e {
            craton_crypto::CryptoError::InvalidParameter => Error::KeySizeRange,
            e => Error::from(e),
        };
        let (kt, pub_gen, priv_gen, built): (KeyType, Template, Template, KeyObj) =
            match m.ty as sys::CK_MECHANISM_TYPE {
                sys::CKM_RSA_PKCS_KEY_PAIR_GEN => {
                    let bits = ulong_of(public, AttrType::MODULUS_BITS)?
                        .ok_or(Error::TemplateIncomplete)?;
                    let e = value_of(public, AttrType::PUBLIC_EXPONENT).unwrap_or(&[1, 0, 1]);
                    let k = rsa::keygen::generate(bits as usize, e).map_err(crypto)?;
                    let c = k.components();
                    let z = |v: &Zeroizing<Vec<u8>>| v.to_vec();
                    (
                        KeyType::RSA,
                        vec![
                            (AttrType::MODULUS, c.n.clone()),
                            (AttrType::PUBLIC_EXPONENT, c.e.clone()),
                        ],
                        vec![
                            (AttrType::MODULUS, c.n.clone()),
                            (AttrType::PUBLIC_EXPONENT, c.e.clone()),
                            (AttrType::PRIVATE_EXPONENT, z(&c.d)),
                            (AttrType::PRIME_1, z(&c.p)),
                            (AttrType::PRIME_2, z(&c.q)),
                            (AttrType::EXPONENT_1, z(&c.dp)),
                            (AttrType::EXPONENT_2, z(&c.dq)),
                            (AttrType::COEFFICIENT, z(&c.qinv)),
                        ],
                        KeyObj::RsaPrivate(Box::new(k)),
                    )
                }
                sys::CKM_EC_KEY_PAIR_GEN => {
                    let p = params()?;
                    let curve = ec::Curve::from_params(&p).ok_or(Error::CurveNotSupported)?;
                    let k = ec::PrivateKey::generate(curve).map_err(crypto)?;
                    (
                        KeyType::EC,
                        vec![
                            (AttrType::EC_PARAMS, p.clone()),
                            (AttrType::EC_POINT, k.public().ec_point()),
                        ],
                        vec![(AttrType::EC_PARAMS, p), (AttrType::VALUE, k.scalar().to_vec())],
                        KeyObj::EcPrivate(k),
                    )
                }
                sys::CKM_EC_EDWARDS_KEY_PAIR_GEN => {
                    let p = params()?;
                    if edwards::Params::from_params(&p) != Some(edwards::Params::Ed25519) {
                        return Err(Error::CurveNotSupported);
                    }
                    let k = Ed25519Private::generate().map_err(crypto)?;
                    (
                        KeyType::EC_EDWARDS,
                        vec![
                            (AttrType::EC_PARAMS, p.clone()),
                            (AttrType::EC_POINT, der::octet_string(k.public())),
                        ],
                        vec![(AttrType::EC_PARAMS, p), (AttrType::VALUE, k.seed().to_vec())],
                        KeyObj::EdPrivate(k),
                    )
                }
                sys::CKM_EC_MONTGOMERY_KEY_PAIR_GEN => {
                    let p = params()?;
                    if edwards::Params::from_params(&p) != Some(edwards::Params::X25519) {
                        return Err(Error::CurveNotSupported);
                    }
                    let k = X25519Private::generate().map_err(crypto)?;
                    (
                        KeyType::EC_MONTGOMERY,
                        vec![
                            (AttrType::EC_PARAMS, p.clone()),
                            (AttrType::EC_POINT, der::octet_string(k.public())),
                        ],
                        vec![(AttrType::EC_PARAMS, p), (AttrType::VALUE, k.bytes().to_vec())],
                        KeyObj::XPrivate(k),
                    )
                }
                _ => return Err(Error::MechanismInvalid),
            };
        let pub_full = assemble(public, ObjectClass::PUBLIC_KEY, kt, pub_gen)?;
        let priv_full = assemble(private, ObjectClass::PRIVATE_KEY, kt, priv_gen)?;
        let (pub_attrs, pub_key) = finish(&pub_full, &ctx, m.ty, None)?;
        let (priv_attrs, priv_key) = finish(&priv_full, &ctx, m.ty, Some(built))?;
        // Check both can be stored before writing either.
        Self::check_writable(&ctx, &pub_attrs)?;
        Self::check_writable(&ctx, &priv_attrs)?;
        let ph = self.persist_new(&ctx, h, pub_attrs, pub_key)?;
        match self.persist_new(&ctx, h, priv_attrs, priv_key) {
            Ok(k) => Ok((ph, k)),
            Err(e) => {
                let _ = self.destroy_object(h, ph);
                Err(e)
            }
        }
    }
}
