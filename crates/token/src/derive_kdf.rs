//! C_DeriveKey with CKM_SP800_108_COUNTER_KDF (several keys from one keystream), and the data
//! object CKM_HKDF_DATA derives.
//!
//! SP 800-108 (PKCS#11 3.0 section 2.42): the first key is the one C_DeriveKey returns, the
//! others are the mechanism's additional derived keys, in order; each starts at a fresh PRF
//! output. Either every key is created or none is.

use craton_crypto::kbkdf::{self, DkmMethod, Prf, Segment};
use pkcs11_sys as sys;
use zeroize::Zeroizing;

use crate::attrs::{Attributes, ulong_bytes};
use crate::error::{Error, Result};
use crate::keygen::{assemble, ulong_of};
use crate::keys::SecretKey;
use crate::mechanism::KbkdfData;
use crate::module::Module;
use crate::objects::Ctx;
use crate::ops::sign::hmac_hash;
use crate::policy;
use crate::templates;
use crate::types::{AttrType, KeyType, ObjectClass, ObjectHandle, SessionHandle};
use crate::wrap::{Template, secret_shape};

/// The PRF a `prfType` names, for a base key of type `kt`.
fn prf_of(prf: u64, kt: KeyType) -> Result<Prf> {
    if prf == sys::CKM_AES_CMAC as u64 {
        return if kt == KeyType::AES { Ok(Prf::Cmac) } else { Err(Error::KeyTypeInconsistent) };
    }
    let h = hmac_hash(prf as sys::CK_MECHANISM_TYPE).ok_or(Error::MechanismParamInvalid)?;
    if !kt.is_hmac() {
        return Err(Error::KeyTypeInconsistent);
    }
    Ok(Prf::Hmac(h))
}

fn width(bits: u64) -> Result<u32> {
    u32::try_from(bits).map_err(|_| Error::MechanismParamInvalid)
}

/// The PRF input fields, as the crypto crate takes them.
fn segments(data: &[KbkdfData]) -> Result<Vec<Segment>> {
    data.iter()
        .map(|d| {
            Ok(match d {
                KbkdfData::Counter { little_endian, width_bits } => Segment::Counter {
                    width_bits: width(*width_bits)?,
                    little_endian: *little_endian,
                },
                KbkdfData::DkmLength { method, little_endian, width_bits } => Segment::DkmLength {
                    width_bits: width(*width_bits)?,
                    little_endian: *little_endian,
                    method: match *method as sys::CK_ULONG {
                        sys::CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS => DkmMethod::SumOfKeys,
                        sys::CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS => DkmMethod::SumOfSegments,
                        _ => return Err(Error::MechanismParamInvalid),
                    },
                },
                KbkdfData::Bytes(b) => Segment::Bytes(b.clone()),
            })
        })
        .collect()
}

/// A derived secret key's type and length: CKA_VALUE_LEN is required unless the key type
/// fixes the length (ChaCha20), and HMAC keys are at most 512 bytes.
fn key_shape(template: &[(AttrType, Vec<u8>)]) -> Result<(KeyType, usize)> {
    let class = ulong_of(template, AttrType::CLASS)?.unwrap_or(ObjectClass::SECRET_KEY.0);
    if class != ObjectClass::SECRET_KEY.0 {
        return Err(Error::TemplateInconsistent);
    }
    let kt = ulong_of(template, AttrType::KEY_TYPE)?;
    if ulong_of(template, AttrType::VALUE_LEN)?.is_none() && kt != Some(KeyType::CHACHA20.0) {
        return Err(Error::TemplateIncomplete);
    }
    // The natural length only applies to ChaCha20 here, whose keys are 32 bytes.
    let (kt, len) = secret_shape(template, 32)?;
    if kt.is_hmac() && len > 512 {
        return Err(Error::TemplateInconsistent);
    }
    Ok((kt, len))
}

impl Module {
    /// CKM_SP800_108_COUNTER_KDF: the handles of the first key and of each additional key.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn kbkdf_derive(
        &self,
        ctx: &Ctx,
        h: SessionHandle,
        mech: u64,
        base_attrs: &Attributes,
        base: &SecretKey,
        prf: u64,
        data: &[KbkdfData],
        templates_in: Vec<Template>,
    ) -> Result<Vec<ObjectHandle>> {
        let prf = prf_of(prf, base.key_type)?;
        let segments = segments(data)?;
        let mut shapes = Vec::with_capacity(templates_in.len());
        let mut full = Vec::with_capacity(templates_in.len());
        for t in &templates_in {
            let t = templates::constrained(t, base_attrs, AttrType::DERIVE_TEMPLATE)?;
            shapes.push(key_shape(&t)?);
            full.push(t.into_owned());
        }
        let lengths: Vec<usize> = shapes.iter().map(|(_, n)| *n).collect();
        let keys = kbkdf::derive(prf, base.bytes(), &segments, &lengths).map_err(|e| match e {
            craton_crypto::CryptoError::InvalidLength => Error::KeySizeRange,
            _ => Error::MechanismParamInvalid,
        })?;
        let mut made = Vec::with_capacity(keys.len());
        for ((t, (kt, _)), value) in full.iter().zip(&shapes).zip(keys) {
            let entered =
                assemble(t, ObjectClass::SECRET_KEY, *kt, vec![(AttrType::VALUE, value.to_vec())])
                    .and_then(|a| self.store_entered_key(ctx, h, &a, mech, Some(base_attrs)));
            match entered {
                Ok(handle) => made.push(handle),
                Err(e) => {
                    // All or nothing: take back the keys already made.
                    for done in made {
                        let _ = self.destroy_object(h, done);
                    }
                    return Err(e);
                }
            }
        }
        Ok(made)
    }

    /// CKM_HKDF_DATA's result: a data object holding `value`, cut to the template's
    /// CKA_VALUE_LEN (which is not itself a data-object attribute, so it is not stored).
    pub(crate) fn store_derived_data(
        &self,
        ctx: &Ctx,
        h: SessionHandle,
        template: &[(AttrType, Vec<u8>)],
        value: &Zeroizing<Vec<u8>>,
    ) -> Result<ObjectHandle> {
        let len = derived_data_len(template)?.unwrap_or(value.len());
        if len == 0 || len > value.len() {
            return Err(Error::TemplateInconsistent);
        }
        let mut t: Template = template
            .iter()
            .filter(|(ty, _)| *ty != AttrType::VALUE_LEN && *ty != AttrType::CLASS)
            .cloned()
            .collect();
        t.push((AttrType::CLASS, ulong_bytes(ObjectClass::DATA.0)));
        if t.iter().any(|(ty, _)| *ty == AttrType::VALUE) {
            return Err(Error::TemplateInconsistent);
        }
        t.push((AttrType::VALUE, value[..len].to_vec()));
        let attrs = policy::create(&t, ctx.actor)?;
        self.persist_new(ctx, h, attrs, None)
    }
}

/// The length a CKM_HKDF_DATA template asks for; its class must be CKO_DATA when given.
pub(crate) fn derived_data_len(template: &[(AttrType, Vec<u8>)]) -> Result<Option<usize>> {
    if ulong_of(template, AttrType::CLASS)?.is_some_and(|c| c != ObjectClass::DATA.0) {
        return Err(Error::TemplateInconsistent);
    }
    ulong_of(template, AttrType::VALUE_LEN)?
        .map(|n| usize::try_from(n).map_err(|_| Error::AttributeValueInvalid))
        .transpose()
}
