//! The little DER this module needs: TLV reading and writing, OIDs of the curves and digests,
//! SubjectPublicKeyInfo and PKCS#8 for the key types we hold.
//!
//! Parsing is strict (definite lengths, minimal length octets) and never panics on bad input.

use crate::CryptoError;

/// Tags used here.
pub mod tag {
    /// INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING.
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL.
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// PrintableString.
    pub const PRINTABLE: u8 = 0x13;
    /// SEQUENCE.
    pub const SEQUENCE: u8 = 0x30;
}

/// One element read from the front of `input`: (tag, content, rest).
pub fn read(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n || rest[0] == 0 {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
        if len < 0x80 {
            return None;
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((t, &rest[..len], &rest[len..]))
}

/// Read an element that must have tag `want`.
pub fn expect(input: &[u8], want: u8) -> Option<(&[u8], &[u8])> {
    let (t, c, rest) = read(input)?;
    (t == want).then_some((c, rest))
}

/// The content of `input` if it is exactly one element with tag `want`.
pub fn only(input: &[u8], want: u8) -> Option<&[u8]> {
    let (c, rest) = expect(input, want)?;
    rest.is_empty().then_some(c)
}

/// Encode one element.
pub fn tlv(t: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![t];
    let n = content.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let bytes = n.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// A SEQUENCE of already encoded elements.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(tag::SEQUENCE, &parts.concat())
}

/// A non-negative INTEGER from big-endian magnitude bytes.
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let trimmed = strip_zeros(magnitude);
    let mut c = Vec::with_capacity(trimmed.len() + 1);
    if trimmed.is_empty() || trimmed[0] & 0x80 != 0 {
        c.push(0);
    }
    c.extend_from_slice(trimmed);
    tlv(tag::INTEGER, &c)
}

/// The magnitude of a non-negative INTEGER's content (leading zero dropped).
pub fn uint_content(content: &[u8]) -> Option<&[u8]> {
    match content {
        [] => None,
        [b, ..] if b & 0x80 != 0 => None,
        [0, rest @ ..] if rest.first().is_some_and(|b| b & 0x80 == 0) => None,
        [0, rest @ ..] => Some(rest),
        _ => Some(content),
    }
}

/// `bytes` without leading zero bytes.
pub fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    &bytes[skip..]
}

/// An OCTET STRING around `bytes`.
pub fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(tag::OCTET_STRING, bytes)
}

/// A BIT STRING with no unused bits around `bytes`.
pub fn bit_string(bytes: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(bytes.len() + 1);
    c.push(0);
    c.extend_from_slice(bytes);
    tlv(tag::BIT_STRING, &c)
}

/// The content of a BIT STRING with no unused bits.
pub fn bit_string_content(content: &[u8]) -> Option<&[u8]> {
    match content {
        [0, rest @ ..] => Some(rest),
        _ => None,
    }
}

/// Encoded OIDs (tag and length included) of what we recognise.
pub mod oid {
    /// prime256v1 / secp256r1.
    pub const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1.
    pub const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1.
    pub const P521: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519.
    pub const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
    /// id-X25519.
    pub const X25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x6e];
    /// id-ecPublicKey.
    pub const EC_PUBLIC_KEY: &[u8] = &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// rsaEncryption.
    pub const RSA: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
}

/// SubjectPublicKeyInfo for an RSA key.
pub fn rsa_spki(n: &[u8], e: &[u8]) -> Vec<u8> {
    let alg = seq(&[oid::RSA, &tlv(tag::NULL, &[])]);
    let key = seq(&[&uint(n), &uint(e)]);
    seq(&[&alg, &bit_string(&key)])
}

/// SubjectPublicKeyInfo for a NIST-curve key (`curve_oid` encoded, `point` uncompressed).
pub fn ec_spki(curve_oid: &[u8], point: &[u8]) -> Vec<u8> {
    let alg = seq(&[oid::EC_PUBLIC_KEY, curve_oid]);
    seq(&[&alg, &bit_string(point)])
}

/// SubjectPublicKeyInfo for Ed25519 or X25519 (`alg_oid` encoded).
pub fn raw_spki(alg_oid: &[u8], public: &[u8]) -> Vec<u8> {
    seq(&[&seq(&[alg_oid]), &bit_string(public)])
}

/// The parts of a PKCS#8 PrivateKeyInfo: algorithm OID, its parameters, the private key.
pub struct PrivateKeyInfo<'a> {
    /// Encoded algorithm OID.
    pub alg: &'a [u8],
    /// Encoded parameters (may be empty).
    pub params: &'a [u8],
    /// Content of the privateKey OCTET STRING.
    pub key: &'a [u8],
}

/// Parse a PKCS#8 PrivateKeyInfo (v1 or v2; attributes and public key ignored).
pub fn parse_pkcs8(input: &[u8]) -> Result<PrivateKeyInfo<'_>, CryptoError> {
    let bad = CryptoError::InvalidEncoding;
    let body = only(input, tag::SEQUENCE).ok_or(bad)?;
    let (version, rest) = expect(body, tag::INTEGER).ok_or(bad)?;
    if version != [0] && version != [1] {
        return Err(bad);
    }
    let (alg_seq, rest) = expect(rest, tag::SEQUENCE).ok_or(bad)?;
    let (t, _, params) = read(alg_seq).ok_or(bad)?;
    if t != tag::OID {
        return Err(bad);
    }
    let alg = &alg_seq[..alg_seq.len() - params.len()];
    let (key, _) = expect(rest, tag::OCTET_STRING).ok_or(bad)?;
    Ok(PrivateKeyInfo { alg, params, key })
}

/// Encode a PKCS#8 PrivateKeyInfo (v1).
pub fn pkcs8(alg: &[u8], params: &[u8], key: &[u8]) -> Vec<u8> {
    let alg_seq = seq(&[alg, params]);
    seq(&[&[tag::INTEGER, 1, 0], &alg_seq, &octet_string(key)])
}

/// Read consecutive non-negative INTEGERs from the content of a SEQUENCE.
pub fn uints(mut content: &[u8], n: usize) -> Result<Vec<&[u8]>, CryptoError> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let (c, rest) = expect(content, tag::INTEGER).ok_or(CryptoError::InvalidEncoding)?;
        out.push(uint_content(c).ok_or(CryptoError::InvalidEncoding)?);
        content = rest;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 70000] {
            let content = vec![7u8; n];
            let enc = tlv(tag::OCTET_STRING, &content);
            assert_eq!(only(&enc, tag::OCTET_STRING), Some(&content[..]));
        }
    }

    #[test]
    fn rejects_bad_lengths() {
        assert!(read(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]).is_none(), "non-minimal length");
        assert!(read(&[0x04, 0x05, 1]).is_none(), "truncated");
        assert!(read(&[0x04, 0x80]).is_none(), "indefinite");
        assert!(read(&[0x04]).is_none());
    }

    #[test]
    fn integers() {
        assert_eq!(uint(&[0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0, 1]), vec![2, 1, 1]);
        assert_eq!(uint_content(&[0, 0x80]), Some(&[0x80][..]));
        assert_eq!(uint_content(&[0, 0x01]), None, "non-minimal");
        assert_eq!(uint_content(&[0x80]), None, "negative");
    }

    #[test]
    fn pkcs8_round_trip() {
        let enc = pkcs8(oid::ED25519, &[], &octet_string(&[9; 32]));
        let p = parse_pkcs8(&enc).unwrap();
        assert_eq!(p.alg, oid::ED25519);
        assert!(p.params.is_empty());
        assert_eq!(only(p.key, tag::OCTET_STRING), Some(&[9u8; 32][..]));
    }
}
