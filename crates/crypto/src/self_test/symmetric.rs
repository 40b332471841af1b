//! Known-answer tests of the digests, HMAC and the AES modes, through the module's own
//! wrappers (`crate::digest`, `crate::aes`), the code paths the mechanisms use.

use super::{expect, hex};
use crate::aes::AesKey;
use crate::aes::cmac::CmacKey;
use crate::aes::modes::{BlockOp, Mode};
use crate::digest::{HashAlg, Hasher, HmacKey};

/// Hash `msg` in two updates (the streaming path) and compare.
fn digest_kat(alg: HashAlg, msg: &[u8], expected_hex: &str, corrupt: bool) -> bool {
    let mut h = Hasher::new(alg);
    let (a, b) = msg.split_at(msg.len() / 2);
    h.update(a);
    h.update(b);
    h.finish() == expect(expected_hex, corrupt)
}

/// FIPS 180-2 appendix A.1 (SHA-1, one-block message "abc").
pub fn sha1(corrupt: bool) -> bool {
    digest_kat(HashAlg::Sha1, b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d", corrupt)
}

/// FIPS 180-2 appendix D.1 (SHA-384, one-block message "abc").
pub fn sha384(corrupt: bool) -> bool {
    digest_kat(
        HashAlg::Sha384,
        b"abc",
        "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed\
         8086072ba1e7cc2358baeca134c825a7",
        corrupt,
    )
}

/// FIPS 180-2 appendix C.1 (SHA-512, one-block message "abc").
pub fn sha512(corrupt: bool) -> bool {
    digest_kat(
        HashAlg::Sha512,
        b"abc",
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
         2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        corrupt,
    )
}

/// NIST CAVP SHA3_256ShortMsg.rsp (sha-3bytetestvectors.zip), Len = 8, Msg = e9. FIPS 202's
/// published examples have no "abc" message, so the CAVP case is used instead.
pub fn sha3_256(corrupt: bool) -> bool {
    digest_kat(
        HashAlg::Sha3_256,
        &[0xe9],
        "f0d04dd1e6cfc29a4460d521796852f25d9ef8d28b44ee91ff5b759d72c1e6d6",
        corrupt,
    )
}

/// RFC 4231 section 4.3, test case 2 (key "Jefe"), HMAC-SHA-512.
pub fn hmac_sha512(corrupt: bool) -> bool {
    let key = HmacKey::new(HashAlg::Sha512, b"Jefe");
    key.mac(b"what do ya want for nothing?")
        == expect(
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
            corrupt,
        )
}

/// SP 800-38A appendix F: the first block of an example, encrypted and decrypted.
const SP800_38A_PLAINTEXT: &str = "6bc1bee22e409f96e93d7e117393172a";
/// SP 800-38A appendix F.1/F.2/F.5: the AES-128 key.
const SP800_38A_KEY_128: &str = "2b7e151628aed2a6abf7158809cf4f3c";

/// One pass of a block mode over `input` (update, then final).
fn block_op(key: &AesKey, mode: Mode, encrypt: bool, input: &[u8]) -> Option<Vec<u8>> {
    let mut op = BlockOp::new(key, mode, encrypt).ok()?;
    let mut out = op.update(input).ok()?;
    out.extend(op.finish().ok()?);
    Some(out)
}

/// Encrypt the SP 800-38A plaintext block and compare; decrypt the published ciphertext and
/// compare with the plaintext.
fn block_kat(key_hex: &str, mode: Mode, ciphertext_hex: &str, corrupt: bool) -> bool {
    let Ok(key) = AesKey::new(&hex(key_hex)) else { return false };
    let pt = hex(SP800_38A_PLAINTEXT);
    let encrypted = block_op(&key, mode.clone(), true, &pt);
    let decrypted = block_op(&key, mode, false, &hex(ciphertext_hex));
    encrypted == Some(expect(ciphertext_hex, corrupt)) && decrypted == Some(pt)
}

/// SP 800-38A F.1.5 / F.1.6 (ECB-AES256, block #1).
pub fn aes_ecb(corrupt: bool) -> bool {
    block_kat(
        "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
        Mode::Ecb,
        "f3eed1bdb5d2a03c064b5a7e3db181f8",
        corrupt,
    )
}

/// SP 800-38A F.2.1 / F.2.2 (CBC-AES128, block #1).
pub fn aes_cbc(corrupt: bool) -> bool {
    let iv: [u8; 16] = core::array::from_fn(|i| i as u8);
    block_kat(SP800_38A_KEY_128, Mode::Cbc { iv }, "7649abac8119b246cee98e9b12e9197d", corrupt)
}

/// SP 800-38A F.5.1 / F.5.2 (CTR-AES128, block #1).
pub fn aes_ctr(corrupt: bool) -> bool {
    let Ok(block) = <[u8; 16]>::try_from(hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")) else {
        return false;
    };
    block_kat(
        SP800_38A_KEY_128,
        Mode::Ctr { block, counter_bits: 128 },
        "874d6191b620e3261bef6864990db6ce",
        corrupt,
    )
}

/// RFC 3394 section 4.1 (128 bits of key data with a 128-bit KEK): wrap, then unwrap.
pub fn aes_kw(corrupt: bool) -> bool {
    let Ok(kek) = AesKey::new(&hex("000102030405060708090a0b0c0d0e0f")) else { return false };
    let data = hex("00112233445566778899aabbccddeeff");
    let want = "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5";
    let wrapped = crate::aes::wrap::wrap(&kek, &data, false).ok();
    let unwrapped = crate::aes::wrap::unwrap(&kek, &hex(want), false).ok();
    wrapped == Some(expect(want, corrupt)) && unwrapped == Some(data)
}

/// SP 800-38B appendix D.1, example 2 (AES-128, 16-byte message).
pub fn aes_cmac(corrupt: bool) -> bool {
    let Ok(key) = AesKey::new(&hex(SP800_38A_KEY_128)) else { return false };
    let Ok(key) = CmacKey::new(&key) else { return false };
    let mut m = key.start();
    if m.update(&hex(SP800_38A_PLAINTEXT)).is_err() {
        return false;
    }
    m.finish().ok() == Some(expect("070a16b46b4d4144f79bdd9dd04a287c", corrupt))
}

/// SP 800-38C appendix C.2 (AES-128-CCM, 8-byte nonce, 16-byte AAD and payload, 6-byte
/// tag): seal and compare, then open the published ciphertext.
pub fn aes_ccm(corrupt: bool) -> bool {
    use crate::aes::ccm;
    let Ok(key) = AesKey::new(&hex("404142434445464748494a4b4c4d4e4f")) else { return false };
    let pt = hex("202122232425262728292a2b2c2d2e2f");
    let Ok(p) = ccm::CcmParams::new(
        &hex("1011121314151617"),
        &hex("000102030405060708090a0b0c0d0e0f"),
        pt.len() as u64,
        6,
    ) else {
        return false;
    };
    let want = "d2a1f0e051ea5f62081a7792073d593d1fc64fbfaccd";
    ccm::seal(&key, &p, &pt).ok() == Some(expect(want, corrupt))
        && ccm::open(&key, &p, &hex(want)).ok() == Some(pt)
}

/// RFC 3962 appendix B, 31-byte case, rearranged from its CS-3 order to CS-1 (see
/// tests/vectors/aes_cts.txt): encrypt through the multi-part operation, decrypt one-shot.
pub fn aes_cts(corrupt: bool) -> bool {
    use crate::aes::cts;
    let Ok(key) = AesKey::new(&hex("636869636b656e207465726979616b69")) else { return false };
    let pt = b"I would like the General Gau's ";
    let want = "97687268d6ecccc0c07b25e25ecfe5fc00783e0efdb2c1d445d4c8eff7ed22";
    let Ok(mut op) = cts::CtsOp::new(&key, [0; 16], true) else { return false };
    let (a, b) = pt.split_at(20);
    let encrypted = (|| {
        let mut out = op.update(a).ok()?;
        out.extend(op.update(b).ok()?);
        out.extend(op.finish().ok()?);
        Some(out)
    })();
    encrypted == Some(expect(want, corrupt))
        && cts::decrypt(&key, &[0; 16], &hex(want)).ok().as_deref() == Some(&pt[..])
}

/// NIST CAVP gcmEncryptExtIV128.rsp [Keylen = 128, IVlen = 8, PTlen = 128, AADlen = 128,
/// Taglen = 128] Count = 0 (a one-byte IV) through the multi-part encryptor, in two parts.
pub fn aes_gcm_stream(corrupt: bool) -> bool {
    use crate::aes::{gcm::GcmParams, gcm_stream::GcmEncryptor};
    let Ok(key) = AesKey::new(&hex("83f9d97d4ab759fddcc3ef54a0e2a8ec")) else { return false };
    let Ok(p) = GcmParams::new(&hex("cf"), &hex("6dd49eaeb4103dac8f97e3234946dd2d"), 128) else {
        return false;
    };
    let pt = hex("77e6329cf9424f71c808df9170bfd298");
    let Ok(mut enc) = GcmEncryptor::new(&key, &p) else { return false };
    let sealed = (|| {
        let mut out = enc.update(&pt[..5]).ok()?;
        out.extend(enc.update(&pt[5..]).ok()?);
        out.extend(enc.finish().ok()?);
        Some(out)
    })();
    sealed
        == Some(expect("50de86a7a92a8a5ea33db5696b96cd77aa181e84bc8b4bf5a68927c409d422cb", corrupt))
}

/// RFC 8439 section 2.8.2: ChaCha20-Poly1305 seal (tag compared) and open.
pub fn chacha20_poly1305(corrupt: bool) -> bool {
    let Ok(key) = crate::chacha::ChaChaKey::new(&hex(
        "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
    )) else {
        return false;
    };
    let (nonce, aad) = (hex("070000004041424344454647"), hex("50515253c0c1c2c3c4c5c6c7"));
    let pt: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let Ok(sealed) = key.seal(&nonce, &aad, pt) else { return false };
    let tag_ok =
        sealed[sealed.len() - 16..] == expect("1ae10b594f09e26a7e902ecbd0600691", corrupt)[..];
    tag_ok && key.open(&nonce, &aad, &sealed).ok().as_deref() == Some(pt)
}

/// RFC 6070 test vector 2: PBKDF2-HMAC-SHA1, "password" / "salt", 2 iterations.
pub fn pbkdf2(corrupt: bool) -> bool {
    let mut out = [0u8; 20];
    crate::digest::pbkdf2(crate::digest::HashAlg::Sha1, b"password", b"salt", 2, &mut out).is_ok()
        && out[..] == expect("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957", corrupt)[..]
}

/// Plain ChaCha20 through the streaming type CKM_CHACHA20 uses: RFC 8439 section 2.4.2
/// (96-bit nonce, counter 1) encrypted in two uneven parts and decrypted in one, then the
/// first block of draft-strombergson-chacha-test-vectors-01 TC8 (256-bit key, 20 rounds) in
/// the original layout (64-bit nonce and counter).
pub fn chacha20(corrupt: bool) -> bool {
    use crate::chacha_stream::ChaCha20Stream;
    let key = hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    let nonce = hex("000000000000004a00000000");
    let pt: &[u8] = b"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.";
    let want = expect(
        "6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b\
         f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8\
         07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736\
         5af90bbf74a35be6b40b8eedf2785e42874d",
        corrupt,
    );
    let run = |data: &[u8], split: usize| {
        let mut s = ChaCha20Stream::new(&key, &nonce, &[1, 0, 0, 0], 32).ok()?;
        let mut out = data.to_vec();
        let (a, b) = out.split_at_mut(split);
        s.apply(a).ok()?;
        s.apply(b).ok()?;
        Some(out)
    };
    if run(pt, 37).as_deref() != Some(&want[..]) || run(&want, 0).as_deref() != Some(pt) {
        return false;
    }
    let Ok(mut s) = ChaCha20Stream::new(
        &hex("c46ec1b18ce8a878725a37e780dfb7351f68ed2e194c79fbc6aebee1a667975d"),
        &hex("1ada31d5cf688221"),
        &[0; 8],
        64,
    ) else {
        return false;
    };
    let mut block = [0u8; 64];
    s.apply(&mut block).is_ok()
        && block[..]
            == hex("f63a89b75c2271f9368816542ba52f06ed49241792302b00b5e8f80ae9a473af\
                 c25b218f519af0fdd406362e8d69de7f54c604a6e00f353f110f771bdca8ab92")[..]
}
