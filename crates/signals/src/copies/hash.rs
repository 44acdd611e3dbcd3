//! The hashes copies and stories are built on: one 64-bit hash per syllable, the mixer
//! that derives everything else from it, a map hasher for keys that are hashes or ids,
//! and the posting lists both indexes keep under such keys.
//!
//! These functions are part of the stored signature format ([`super::FORMAT`]): they read
//! bytes little-endian and use only wrapping integer arithmetic, so they give the same
//! values on every platform and in every build. Changing one of them means a new format.

use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x9E37_79B9_7F4A_7C15;

/// The splitmix64 finaliser: a bijection on `u64` whose every output bit depends on every
/// input bit.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The hash of one syllable's match form. Syllables are short, so the bytes are read
/// eight at a time and finalised once.
pub(crate) fn syllable_hash(form: &str) -> u64 {
    let bytes = form.as_bytes();
    let mut h = (bytes.len() as u64).wrapping_mul(K) ^ 0x51_7CC1_B727_220A;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K).rotate_left(29);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = (h ^ u64::from_le_bytes(word)).wrapping_mul(K).rotate_left(29);
    }
    mix64(h)
}

/// A hasher for keys that are already hashes (terms, band keys) or small integers
/// (document ids, slots): one multiply, no per-process random key, so a map's behaviour
/// (never its iteration order, which no result depends on) is the same in every run.
#[derive(Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n ^ (n >> 32)).wrapping_mul(K);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// `HashMap` with [`IdHasher`].
pub(crate) type IdMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<IdHasher>>;

/// The slots filed under one key: most keys have one, which then costs no allocation.
#[derive(Debug, Clone)]
pub(crate) enum Posting {
    One(u32),
    Many(Vec<u32>),
}

impl Posting {
    pub(crate) fn as_slice(&self) -> &[u32] {
        match self {
            Posting::One(s) => std::slice::from_ref(s),
            Posting::Many(v) => v,
        }
    }

    fn push(&mut self, slot: u32) {
        match self {
            Posting::One(other) => *self = Posting::Many(vec![*other, slot]),
            Posting::Many(v) => v.push(slot),
        }
    }

    /// Removes a slot; whether none is left.
    fn remove(&mut self, slot: u32) -> bool {
        match self {
            Posting::One(s) => *s == slot,
            Posting::Many(v) => {
                if let Some(i) = v.iter().position(|&s| s == slot) {
                    v.swap_remove(i);
                }
                v.is_empty()
            }
        }
    }
}

/// Files `slot` under `key`.
pub(crate) fn post(map: &mut IdMap<u64, Posting>, key: u64, slot: u32) {
    match map.entry(key) {
        std::collections::hash_map::Entry::Vacant(v) => {
            v.insert(Posting::One(slot));
        }
        std::collections::hash_map::Entry::Occupied(mut o) => o.get_mut().push(slot),
    }
}

/// Takes `slot` out from under `key`, dropping the key when nothing is left.
pub(crate) fn unpost(map: &mut IdMap<u64, Posting>, key: u64, slot: u32) {
    if let std::collections::hash_map::Entry::Occupied(mut o) = map.entry(key)
        && o.get_mut().remove(slot)
    {
        o.remove();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syllable_hashes_are_pinned() {
        // Stored signatures depend on these values: a change here is a format change.
        assert_eq!(syllable_hash(""), 0x9b7e_e038_7ec0_438c);
        assert_eq!(syllable_hash("sốt"), 0xce01_d5fc_7c95_4989);
        assert_eq!(syllable_hash("nghiêng"), 0xc568_fff8_cfc7_05b8);
        assert_eq!(syllable_hash("covid19x"), 0xf83b_45df_6cb1_327b);
        assert_eq!(mix64(1), 0x5692_161d_100b_05e5);
    }

    #[test]
    fn postings_grow_and_shrink() {
        let mut map: IdMap<u64, Posting> = IdMap::default();
        post(&mut map, 7, 1);
        post(&mut map, 7, 2);
        post(&mut map, 8, 3);
        assert_eq!(map[&7].as_slice(), &[1, 2]);
        unpost(&mut map, 7, 1);
        unpost(&mut map, 7, 9);
        assert_eq!(map[&7].as_slice(), &[2]);
        unpost(&mut map, 7, 2);
        unpost(&mut map, 8, 3);
        assert!(map.is_empty());
    }

    #[test]
    fn syllable_hashes_differ_by_length_and_content() {
        let forms = ["a", "à", "ab", "abcdefgh", "abcdefghi", "nghiêng", "nghiềng", "x\0"];
        let mut hashes: Vec<u64> = forms.iter().map(|f| syllable_hash(f)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), forms.len());
    }
}
