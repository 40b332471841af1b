//! C_WrapKey, C_UnwrapKey and C_DeriveKey.
//!
//! Secret keys travel as their value; private keys as PKCS#8 (RFC 5208/5958), and only
//! under the AES mechanisms. EXTRACTABLE and WRAP_WITH_TRUSTED are enforced on wrap; an
//! unwrapped or derived key is never LOCAL and inherits ALWAYS_SENSITIVE/NEVER_EXTRACTABLE
//! as the spec defines.

use craton_crypto::digest::{HashAlg, Hasher, HmacKey};
use craton_crypto::edwards;
use craton_crypto::{der, ec, rsa};
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use crate::attrs::{Attributes, bool_bytes, ulong_bytes};
use crate::crypto::ANY_MECHANISM;
use crate::derive_kdf::derived_data_len;
use crate::error::{Error, Result};
use crate::keygen::{assemble, ulong_of};
use crate::keys::KeyObj;
use crate::mechanism::{self, HkdfSalt, Mechanism, Param};
use crate::module::Module;
use crate::objects::Ctx;
use crate::ops::cipher::CipherOp;
use crate::policy;
use crate::templates;
use crate::types::{AttrType, KeyType, ObjectClass, ObjectHandle, SessionHandle, UNAVAILABLE};

fn is_aes_wrap(ty: u64) -> bool {
    matches!(
        ty as sys::CK_MECHANISM_TYPE,
        sys::CKM_AES_KEY_WRAP
            | sys::CKM_AES_KEY_WRAP_PAD
            | sys::CKM_AES_KEY_WRAP_KWP
            | sys::CKM_AES_CBC_PAD
            | sys::CKM_AES_GCM
            | sys::CKM_CHACHA20_POLY1305
    )
}

/// Attribute list of a new object.
pub(crate) type Template = Vec<(AttrType, Vec<u8>)>;

/// The attributes of a private key carried in a PKCS#8 blob: (key type, components).
fn private_from_pkcs8(blob: &[u8]) -> Result<(KeyType, Template)> {
    let bad = |_| Error::WrappedKeyInvalid;
    let info = der::parse_pkcs8(blob).map_err(bad)?;
    if info.alg == der::oid::RSA {
        let c = rsa::Components::from_rsa_private_key(info.key).map_err(bad)?;
        return Ok((
            KeyType::RSA,
            vec![
                (AttrType::MODULUS, c.n.clone()),
                (AttrType::PUBLIC_EXPONENT, c.e.clone()),
                (AttrType::PRIVATE_EXPONENT, c.d.to_vec()),
                (AttrType::PRIME_1, c.p.to_vec()),
                (AttrType::PRIME_2, c.q.to_vec()),
                (AttrType::EXPONENT_1, c.dp.to_vec()),
                (AttrType::EXPONENT_2, c.dq.to_vec()),
                (AttrType::COEFFICIENT, c.qinv.to_vec()),
            ],
        ));
    }
    if info.alg == der::oid::EC_PUBLIC_KEY {
        let curve = ec::Curve::from_params(info.params).ok_or(Error::WrappedKeyInvalid)?;
        let scalar = ec::PrivateKey::scalar_from_ec_private_key(info.key).map_err(bad)?;
        return Ok((
            KeyType::EC,
            vec![(AttrType::EC_PARAMS, curve.oid().to_vec()), (AttrType::VALUE, scalar.to_vec())],
        ));
    }
    let inner = der::only(info.key, der::tag::OCTET_STRING).ok_or(Error::WrappedKeyInvalid)?;
    let (kt, params) = match edwards::Params::from_params(info.alg) {
        Some(edwards::Params::Ed25519) => (KeyType::EC_EDWARDS, der::oid::ED25519),
        Some(edwards::Params::X25519) => (KeyType::EC_MONTGOMERY, der::oid::X25519),
        None => return Err(Error::WrappedKeyInvalid),
    };
    Ok((kt, vec![(AttrType::EC_PARAMS, params.to_vec()), (AttrType::VALUE, inner.to_vec())]))
}

/// ANSI X9.63 KDF (the CKD_SHA*_KDF functions).
fn x963(hash: HashAlg, z: &[u8], shared: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + hash.output_len()));
    let mut counter = 1u32;
    while out.len() < len {
        let mut h = Hasher::new(hash);
        h.update(z);
        h.update(&counter.to_be_bytes());
        h.update(shared);
        out.extend_from_slice(&h.finish());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// RFC 5869 section 2.3.
fn hkdf_expand(hash: HashAlg, prk: &[u8], info: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let key = HmacKey::new(hash, prk);
    let mut out = Zeroizing::new(Vec::with_capacity(len + hash.output_len()));
    let mut t: Vec<u8> = Vec::new();
    let mut i = 1u8;
    while out.len() < len {
        let mut m = key.start();
        m.update(&t);
        m.update(info);
        m.update(&[i]);
        t = m.finish();
        out.extend_from_slice(&t);
        i = i.wrapping_add(1);
    }
    out.truncate(len);
    out
}

fn kdf_hash(kdf: u64) -> Option<Option<HashAlg>> {
    Some(match kdf as sys::CK_EC_KDF_TYPE {
        sys::CKD_NULL => None,
        sys::CKD_SHA1_KDF => Some(HashAlg::Sha1),
        sys::CKD_SHA224_KDF => Some(HashAlg::Sha224),
        sys::CKD_SHA256_KDF => Some(HashAlg::Sha256),
        sys::CKD_SHA384_KDF => Some(HashAlg::Sha384),
        sys::CKD_SHA512_KDF => Some(HashAlg::Sha512),
        _ => return None,
    })
}

/// A new secret key's type and length from a derive/unwrap template.
pub(crate) fn secret_shape(
    template: &[(AttrType, Vec<u8>)],
    natural: usize,
) -> Result<(KeyType, usize)> {
    let kt = KeyType(ulong_of(template, AttrType::KEY_TYPE)?.unwrap_or(KeyType::GENERIC_SECRET.0));
    if kt != KeyType::AES && kt != KeyType::CHACHA20 && !kt.is_hmac() {
        return Err(Error::TemplateInconsistent);
    }
    let len = match ulong_of(template, AttrType::VALUE_LEN)? {
        Some(n) => n as usize,
        None => natural,
    };
    let bad_len = match kt {
        KeyType::AES => !matches!(len, 16 | 24 | 32),
        KeyType::CHACHA20 => len != 32,
        _ => false,
    };
    if len == 0 || bad_len {
        return Err(Error::TemplateInconsistent);
    }
    Ok((kt, len))
}

impl Module {
    /// Policy-check and store a key that entered the token by unwrapping or derivation.
    pub(crate) fn store_entered_key(
        &self,
        ctx: &Ctx,
        h: SessionHandle,
        full: &[(AttrType, Vec<u8>)],
        mech: u64,
        base: Option<&Attributes>,
    ) -> Result<ObjectHandle> {
        let mut attrs = policy::create(full, ctx.actor)?;
        attrs.set(AttrType::LOCAL, bool_bytes(false));
        attrs.set(AttrType::KEY_GEN_MECHANISM, ulong_bytes(base.map_or(UNAVAILABLE, |_| mech)));
        if attrs.contains(AttrType::SENSITIVE) {
            let sensitive = attrs.get_bool(AttrType::SENSITIVE) == Some(true);
            let extractable = attrs.get_bool(AttrType::EXTRACTABLE) == Some(true);
            let (always, never) = match base {
                Some(b) => (
                    b.get_bool(AttrType::ALWAYS_SENSITIVE) == Some(true) && sensitive,
                    b.get_bool(AttrType::NEVER_EXTRACTABLE) == Some(true) && !extractable,
                ),
                None => (false, false),
            };
            attrs.set(AttrType::ALWAYS_SENSITIVE, bool_bytes(always));
            attrs.set(AttrType::NEVER_EXTRACTABLE, bool_bytes(never));
        }
        let key = crate::keys::complete(&mut attrs)?;
        self.persist_new(ctx, h, attrs, key)
    }

    /// C_WrapKey: the wrapped bytes.
    pub fn wrap_key(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        wrapping: ObjectHandle,
        key: ObjectHandle,
    ) -> Result<Zeroizing<Vec<u8>>> {
        Self::check_mechanism(m, sys::CKF_WRAP as u64)?;
        let ctx = self.ctx(h)?;
        let (wattrs, wkey) = self.usable_key(
            ctx.slot,
            wrapping,
            Some(AttrType::WRAP),
            m.ty,
            Error::WrappingKeyHandleInvalid,
        )?;
        let (kattrs, kobj) =
            self.usable_key(ctx.slot, key, None, ANY_MECHANISM, Error::KeyHandleInvalid)?;
        if kattrs.get_bool(AttrType::EXTRACTABLE) != Some(true) {
            return Err(Error::KeyUnextractable);
        }
        if kattrs.get_bool(AttrType::WRAP_WITH_TRUSTED) == Some(true)
            && wattrs.get_bool(AttrType::TRUSTED) != Some(true)
        {
            return Err(Error::KeyNotWrappable);
        }
        if let Some(t) = templates::constraint(&wattrs, AttrType::WRAP_TEMPLATE)? {
            if !templates::satisfied_by(&t, &kattrs) {
                return Err(Error::KeyNotWrappable);
            }
        }
        let data = match &*kobj {
            KeyObj::Secret(s) => Zeroizing::new(s.bytes().to_vec()),
            k if is_aes_wrap(m.ty) => k.pkcs8().ok_or(Error::KeyNotWrappable)?,
            _ => return Err(Error::KeyNotWrappable),
        };
        let op = CipherOp::new(m, std::sync::Arc::new(wkey), true).map_err(|e| match e {
            Error::KeyTypeInconsistent => Error::WrappingKeyTypeInconsistent,
            e => e,
        })?;
        op.run(&data).map_err(|e| match e {
            Error::DataLenRange | Error::DataInvalid => Error::KeyNotWrappable,
            Error::KeySizeRange => Error::WrappingKeySizeRange,
            e => e,
        })
    }

    /// C_UnwrapKey.
    pub fn unwrap_key(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        unwrapping: ObjectHandle,
        wrapped: &[u8],
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<ObjectHandle> {
        Self::check_mechanism(m, sys::CKF_UNWRAP as u64)?;
        let ctx = self.ctx(h)?;
        let (uattrs, ukey) = self.usable_key(
            ctx.slot,
            unwrapping,
            Some(AttrType::UNWRAP),
            m.ty,
            Error::UnwrappingKeyHandleInvalid,
        )?;
        let template = templates::constrained(template, &uattrs, AttrType::UNWRAP_TEMPLATE)?;
        let template = &template[..];
        crate::crypto::deferred_self_tests(&ukey)?;
        let class =
            ObjectClass(ulong_of(template, AttrType::CLASS)?.ok_or(Error::TemplateIncomplete)?);
        let op = CipherOp::new(m, std::sync::Arc::new(ukey), false).map_err(|e| match e {
            Error::KeyTypeInconsistent => Error::UnwrappingKeyTypeInconsistent,
            e => e,
        })?;
        let plain = op.run(wrapped).map_err(|e| match e {
            Error::EncryptedDataInvalid => Error::WrappedKeyInvalid,
            Error::EncryptedDataLenRange => Error::WrappedKeyLenRange,
            Error::KeySizeRange => Error::UnwrappingKeySizeRange,
            e => e,
        })?;
        let (kt, generated) = match class {
            ObjectClass::SECRET_KEY => {
                let (kt, len) = secret_shape(template, plain.len())?;
                if len != plain.len() {
                    return Err(Error::TemplateInconsistent);
                }
                (kt, vec![(AttrType::VALUE, plain.to_vec())])
            }
            ObjectClass::PRIVATE_KEY if is_aes_wrap(m.ty) => private_from_pkcs8(&plain)?,
            _ => return Err(Error::TemplateInconsistent),
        };
        let full = assemble(template, class, kt, generated)?;
        self.store_entered_key(&ctx, h, &full, m.ty, None)
    }

    /// C_DeriveKey: the new object's handle, followed by those of any additional keys the
    /// mechanism derives (SP 800-108).
    pub fn derive_key(
        &self,
        h: SessionHandle,
        m: &Mechanism,
        base: ObjectHandle,
        template: &[(AttrType, Vec<u8>)],
    ) -> Result<Vec<ObjectHandle>> {
        Self::check_mechanism(m, sys::CKF_DERIVE as u64)?;
        let ctx = self.ctx(h)?;
        let (battrs, bkey) =
            self.usable_key(ctx.slot, base, Some(AttrType::DERIVE), m.ty, Error::KeyHandleInvalid)?;
        if let Param::Kbkdf { prf, data, additional } = &m.param {
            // Every key of an SP 800-108 derivation gets the constraint there.
            let s = bkey.secret().ok_or(Error::KeyTypeInconsistent)?;
            let mut all = vec![template.to_vec()];
            all.extend(additional.iter().cloned());
            return self.kbkdf_derive(&ctx, h, m.ty, &battrs, s, *prf, data, all);
        }
        let template = templates::constrained(template, &battrs, AttrType::DERIVE_TEMPLATE)?;
        let template = &template[..];
        let data_object = m.ty == sys::CKM_HKDF_DATA as u64;
        let wanted_data = if data_object { derived_data_len(template)? } else { None };
        if !data_object
            && ulong_of(template, AttrType::CLASS)?.is_some_and(|c| c != ObjectClass::SECRET_KEY.0)
        {
            return Err(Error::TemplateInconsistent);
        }
        let value: Zeroizing<Vec<u8>> = match (&m.param, &*bkey) {
            (Param::Ecdh { kdf, shared, public }, k) => {
                let z = match k {
                    KeyObj::EcPrivate(k) => k.agree(public),
                    KeyObj::XPrivate(k) => k.agree(public),
                    _ => return Err(Error::KeyTypeInconsistent),
                }
                .map_err(|_| Error::MechanismParamInvalid)?;
                let hash = kdf_hash(*kdf).ok_or(Error::MechanismParamInvalid)?;
                let (kt, len) = secret_shape(template, z.len())?;
                let v = match hash {
                    None if !shared.is_empty() => return Err(Error::MechanismParamInvalid),
                    None if len > z.len() => return Err(Error::TemplateInconsistent),
                    None => Zeroizing::new(z[..len].to_vec()),
                    Some(hh) => x963(hh, &z, shared, len),
                };
                let full = assemble(
                    template,
                    ObjectClass::SECRET_KEY,
                    kt,
                    vec![(AttrType::VALUE, v.to_vec())],
                )?;
                return Ok(vec![self.store_entered_key(&ctx, h, &full, m.ty, Some(&battrs))?]);
            }
            (Param::Bytes(data), KeyObj::Secret(s)) if s.aes().is_some() => {
                let op = CipherOp::new(
                    &Mechanism { ty: sys::CKM_AES_ECB as u64, param: Param::None },
                    std::sync::Arc::new(bkey.clone()),
                    true,
                )?;
                op.run(data).map_err(|_| Error::MechanismParamInvalid)?
            }
            (Param::CbcData { iv, data }, KeyObj::Secret(s)) if s.aes().is_some() => {
                let mech =
                    Mechanism { ty: sys::CKM_AES_CBC as u64, param: Param::Bytes(iv.to_vec()) };
                CipherOp::new(&mech, std::sync::Arc::new(bkey.clone()), true)?
                    .run(data)
                    .map_err(|_| Error::MechanismParamInvalid)?
            }
            (Param::Hkdf { extract, expand, prf, salt, info }, KeyObj::Secret(ikm)) => {
                let hash = mechanism::hash_of(*prf).ok_or(Error::MechanismParamInvalid)?;
                if !extract && !expand {
                    return Err(Error::MechanismParamInvalid);
                }
                let prk = if *extract {
                    let salt = match salt {
                        HkdfSalt::Null => Zeroizing::new(vec![0u8; hash.output_len()]),
                        HkdfSalt::Data(d) => Zeroizing::new(d.clone()),
                        HkdfSalt::Key(k) => {
                            let (_, sk) = self.usable_key(
                                ctx.slot,
                                *k,
                                None,
                                ANY_MECHANISM,
                                Error::MechanismParamInvalid,
                            )?;
                            let v = sk.secret().ok_or(Error::MechanismParamInvalid)?.bytes();
                            Zeroizing::new(v.to_vec())
                        }
                    };
                    Zeroizing::new(HmacKey::new(hash, &salt).mac(ikm.bytes()))
                } else {
                    Zeroizing::new(ikm.bytes().to_vec())
                };
                if !*expand {
                    prk
                } else {
                    let len = match wanted_data {
                        Some(n) => n,
                        None if data_object => hash.output_len(),
                        None => secret_shape(template, hash.output_len())?.1,
                    };
                    if len > 255 * hash.output_len() {
                        return Err(Error::TemplateInconsistent);
                    }
                    hkdf_expand(hash, &prk, info, len)
                }
            }
            (Param::Bytes(_) | Param::CbcData { .. } | Param::Hkdf { .. }, _) => {
                return Err(Error::KeyTypeInconsistent);
            }
            _ => return Err(Error::MechanismParamInvalid),
        };
        if data_object {
            return Ok(vec![self.store_derived_data(&ctx, h, template, &value)?]);
        }
        let (kt, len) = secret_shape(template, value.len())?;
        if len > value.len() {
            return Err(Error::TemplateInconsistent);
        }
        let generated = vec![(AttrType::VALUE, value[..len].to_vec())];
        let full = assemble(template, ObjectClass::SECRET_KEY, kt, generated)?;
        Ok(vec![self.store_entered_key(&ctx, h, &full, m.ty, Some(&battrs))?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use craton_crypto::edwards::{Ed25519Private, X25519Private};

    #[test]
    fn x963_kdf_sha256() {
        // Two blocks: counter 1 and 2 over Z || counter || info.
        let out = x963(HashAlg::Sha256, b"z", b"info", 40);
        let mut h = Hasher::new(HashAlg::Sha256);
        h.update(b"z");
        h.update(&1u32.to_be_bytes());
        h.update(b"info");
        assert_eq!(&out[..32], &h.finish()[..]);
        assert_eq!(out.len(), 40);
    }

    #[test]
    fn pkcs8_round_trip_for_every_private_type() {
        let ed = Ed25519Private::generate().unwrap();
        let (kt, attrs) = private_from_pkcs8(&ed.to_pkcs8()).unwrap();
        assert_eq!(kt, KeyType::EC_EDWARDS);
        assert!(attrs.iter().any(|(t, v)| *t == AttrType::VALUE && v == ed.seed()));
        let x = X25519Private::generate().unwrap();
        assert_eq!(private_from_pkcs8(&x.to_pkcs8()).unwrap().0, KeyType::EC_MONTGOMERY);
        let e = ec::PrivateKey::generate(ec::Curve::P384).unwrap();
        assert_eq!(private_from_pkcs8(&e.to_pkcs8()).unwrap().0, KeyType::EC);
        assert_eq!(private_from_pkcs8(b"junk").err(), Some(Error::WrappedKeyInvalid));
    }
}
