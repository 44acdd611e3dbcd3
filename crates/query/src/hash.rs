//! A fast hasher for the short keys of per-document maps (syllables), where SipHash's
//! flooding resistance buys nothing: the map lives for one document.

use std::hash::{BuildHasherDefault, Hasher};

/// Multiply-rotate hashing in the style of rustc's FxHash.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` using [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The key a syllable is looked up by in per-document indexes and the rule presearcher:
/// [`FastHasher`] finished with a full avalanche, so every bit of the key depends on every
/// byte (maps index by the low bits). Computed once per token when a document is analysed.
/// Different syllables may share a key; every lookup compares the text as well.
#[inline]
pub fn key(syllable: &str) -> u64 {
    let mut h = FastHasher::default();
    h.write(syllable.as_bytes());
    let mut x = h.finish() ^ syllable.len() as u64;
    // The finaliser of MurmurHash3.
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// A hasher for keys that are already [`key`]s: it passes them through.
#[derive(Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(SEED);
        }
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 ^= i;
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        // A trie node next to a key: spread it over the high bits the map also reads.
        self.0 ^= u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A `HashMap` whose keys are (or contain) [`key`]s.
pub type KeyMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// A set of [`key`]s that may answer yes for keys not in it (one bit per slot, no
/// hashing: keys are already mixed), for skipping, cheaply, tokens no query can ask for.
#[derive(Debug, Clone, Default)]
pub struct KeyFilter {
    bits: Vec<u64>,
    mask: u64,
}

impl KeyFilter {
    /// A filter sized for about `n` keys (about one false yes in twenty at that size).
    pub fn with_capacity(n: usize) -> KeyFilter {
        let slots = (n.max(1) * 20).next_power_of_two().max(64);
        KeyFilter { bits: vec![0; slots / 64], mask: slots as u64 - 1 }
    }

    /// Adds a key.
    pub fn insert(&mut self, key: u64) {
        let slot = key & self.mask;
        self.bits[(slot / 64) as usize] |= 1 << (slot % 64);
    }

    /// Whether the key may have been added (certainly not when `false`).
    #[inline]
    pub fn may_contain(&self, key: u64) -> bool {
        let slot = key & self.mask;
        self.bits.get((slot / 64) as usize).is_some_and(|w| w & (1 << (slot % 64)) != 0)
    }

    /// Bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.bits.capacity() * 8
    }
}
