//! Salesforce-shaped identifiers: 15/18-character record ids, 22-character request ids and
//! the 16-character login/session keys.
//!
//! Ids are drawn from the sample's own PRNG so they look real (key prefix + pod + base-62 tail)
//! while staying reproducible.

use super::rng::{mix64, Rng};

pub(crate) const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// The alphabet Salesforce request ids are drawn from (`4ehU_U-nbQyAPFl1cJILm-`).
const TOKEN64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
/// Login/session keys look like `bY5Wfv8t/Ith7WVE` (standard base64 alphabet).
const KEY64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const SUFFIX: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";

/// The 3-character case-checksum suffix that turns a 15-character id into its 18-character form.
pub(crate) fn suffix18(id15: &str) -> [u8; 3] {
    let bytes = id15.as_bytes();
    let mut out = [b'A'; 3];
    for (chunk, slot) in bytes.chunks(5).zip(out.iter_mut()) {
        let bits = chunk
            .iter()
            .enumerate()
            .filter(|(_, c)| c.is_ascii_uppercase())
            .fold(0usize, |acc, (i, _)| acc | 1 << i);
        *slot = SUFFIX[bits];
    }
    out
}

/// The 18-character form of a 15-character id (other lengths are returned unchanged).
pub(crate) fn to18(id15: &str) -> String {
    if id15.len() != 15 {
        return id15.to_string();
    }
    let mut out = String::with_capacity(18);
    out.push_str(id15);
    out.extend(suffix18(id15).iter().map(|&b| char::from(b)));
    out
}

/// Appends `n` base-62 characters drawn from `value` (least significant first).
fn push_base62(out: &mut String, mut value: u64, n: usize) {
    for _ in 0..n {
        out.push(char::from(BASE62[(value % 62) as usize]));
        value /= 62;
    }
}

/// A 15-character record id: key prefix (e.g. `001` for Account), pod (e.g. `8a`), zeros, and a
/// random base-62 tail, like `0018a00001XyZab`.
pub(crate) fn record_id(prefix: &str, pod: &str, rng: &mut Rng) -> String {
    let mut id = String::with_capacity(15);
    id.push_str(prefix);
    id.push_str(pod);
    id.push_str("0000");
    let tail = 15 - id.len();
    push_base62(&mut id, rng.next_u64(), tail);
    id
}

/// Appends the 15 bytes of a record id into a fixed buffer (allocation-free, for the benchmark).
pub(crate) fn record_id_into(out: &mut [u8; 15], prefix: &[u8; 5], mut value: u64) {
    out[..5].copy_from_slice(prefix);
    out[5..9].copy_from_slice(b"0000");
    for slot in &mut out[9..] {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
}

/// A 22-character request id. The first 11 characters encode `mix64(sequence)`, a bijection, so
/// ids from one counter never collide; the rest is random texture.
pub(crate) fn request_id_bytes(sequence: u64, rng: &mut Rng) -> [u8; 22] {
    let mut out = [0u8; 22];
    let mut unique = mix64(sequence);
    let mut noise = rng.next_u64();
    for (i, slot) in out.iter_mut().enumerate() {
        let source = if i < 11 { &mut unique } else { &mut noise };
        *slot = TOKEN64[(*source & 63) as usize];
        *source >>= 6;
    }
    out
}

/// [`request_id_bytes`] as a `String`.
pub(crate) fn request_id(sequence: u64, rng: &mut Rng) -> String {
    String::from_utf8(request_id_bytes(sequence, rng).to_vec()).expect("ASCII alphabet")
}

/// A 16-character login or session key derived from a session number.
pub(crate) fn session_key(session: u64, salt: u64) -> String {
    let mut value = mix64(session ^ salt);
    let mut high = mix64(value);
    (0..16)
        .map(|i| {
            let source = if i < 10 { &mut value } else { &mut high };
            let c = KEY64[(*source & 63) as usize];
            *source >>= 6;
            char::from(c)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffix_matches_real_ids() {
        // Pairs verified against real data (reference §1.0).
        assert_eq!(to18("0055j00000AT6I1"), "0055j00000AT6I1AAL");
        assert_eq!(to18("0055j000000utlP"), "0055j000000utlPAAQ");
    }

    #[test]
    fn ids_have_salesforce_shapes() {
        let mut rng = Rng::named("ids");
        let id = record_id("001", "8a", &mut rng);
        assert_eq!(id.len(), 15);
        assert!(id.starts_with("0018a0000"));
        assert_eq!(request_id(7, &mut rng).len(), 22);
        assert_ne!(request_id(1, &mut rng)[..11], request_id(2, &mut rng)[..11]);
        assert_eq!(session_key(1, 2).len(), 16);
    }
}
