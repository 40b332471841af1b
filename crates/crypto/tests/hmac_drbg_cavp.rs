//! HMAC_DRBG (SHA-256) against NIST CAVP vectors stored in `vectors/hmac_drbg_sha256.txt`.

use craton_crypto::hmac_drbg::HmacDrbg;
use std::collections::HashMap;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex")).collect()
}

fn cases() -> Vec<HashMap<String, String>> {
    let text = include_str!("vectors/hmac_drbg_sha256.txt");
    let mut out = Vec::new();
    let mut cur = HashMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        if line.is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let (k, v) = line.split_once(" = ").expect("key = value");
        cur.insert(k.to_owned(), v.to_owned());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[test]
fn cavp_vectors() {
    let cases = cases();
    assert_eq!(cases.len(), 2, "every case in the file is read");
    for c in cases {
        let pers = c.get("personalization").map_or_else(Vec::new, |p| hex(p));
        let mut d = HmacDrbg::new(&hex(&c["entropy"]), &hex(&c["nonce"]), &pers);
        if let Some(r) = c.get("reseed_entropy") {
            d.reseed(&hex(r), b"");
        }
        let mut out = vec![0u8; 128];
        d.generate(&mut out, b"").unwrap();
        d.generate(&mut out, b"").unwrap();
        assert_eq!(out, hex(&c["returned"]), "case {}", c["name"]);
    }
}
