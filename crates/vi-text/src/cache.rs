//! A per-thread, fixed-size cache of token match and fold forms, keyed by the token's
//! display bytes.
//!
//! News text repeats a few thousand syllables, and a token's forms depend only on its
//! display bytes, so the re-spelling is done once per distinct token and thread. The cache is
//! direct-mapped with the keys stored inline and the forms in one string arena: a lookup is
//! one hash of three words, one slot load, one comparison and a copy, with no allocation,
//! no UTF-8 validation and no per-entry pointer. A colliding token replaces the slot's
//! occupant, and the arena is emptied with the slots when it fills, so hostile input cannot
//! grow the cache.

/// Longest token (in bytes) the cache keeps; a Vietnamese syllable is at most 7 letters of
/// at most 3 bytes each, and longer tokens are rare enough to compute every time.
pub(crate) const MAX_KEY: usize = 24;

const SLOT_BITS: u32 = 13;

/// Arena bytes after which everything is forgotten: enough for every slot several times
/// over with syllable-sized forms.
const ARENA_LIMIT: usize = 1 << 20;

#[derive(Clone, Copy, Default, PartialEq, Eq)]
struct Key {
    /// The token's bytes, little-endian, zero past its end.
    words: [u64; 3],
    len: u8,
}

impl Key {
    /// The key of `bytes[start..end]`; `None` when the token is too long to keep.
    #[inline(always)]
    fn of(bytes: &[u8], start: usize, end: usize) -> Option<Key> {
        let len = end - start;
        if len == 0 || len > MAX_KEY {
            return None;
        }
        let mut words = [0u64; 3];
        if let Some(window) = bytes.get(start..start + MAX_KEY) {
            // Fixed-size loads from the text, then the bytes past the token masked off:
            // no copy of a variable-length slice.
            for (k, w) in words.iter_mut().enumerate() {
                let mut chunk = [0u8; 8];
                chunk.copy_from_slice(&window[8 * k..8 * k + 8]);
                let bits = (len.saturating_sub(8 * k).min(8) * 8) as u32;
                *w = u64::from_le_bytes(chunk) & u64::MAX.checked_shr(64 - bits).unwrap_or(0);
            }
        } else {
            let mut padded = [0u8; MAX_KEY];
            padded[..len].copy_from_slice(&bytes[start..end]);
            for (w, chunk) in words.iter_mut().zip(padded.chunks_exact(8)) {
                let mut c = [0u8; 8];
                c.copy_from_slice(chunk);
                *w = u64::from_le_bytes(c);
            }
        }
        Some(Key { words, len: len as u8 })
    }

    /// The first of the two slots the key may occupy.
    #[inline(always)]
    fn set(&self) -> usize {
        let h = (self.words[0] ^ u64::from(self.len))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29)
            ^ self.words[1].wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ self.words[2].wrapping_mul(0x1656_67B1_9E37_79F9);
        ((h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SLOT_BITS)) as usize) & !1
    }
}

#[derive(Clone, Copy, Default)]
struct Slot {
    key: Key,
    matched_len: u8,
    folded_len: u8,
    /// Offset of the match form in the arena; the fold form follows it.
    at: u32,
}

/// The cache itself; [`Default`] is empty and allocates on the first insertion. Each key
/// has two neighbouring slots, the newer entry first.
#[derive(Default)]
pub(crate) struct TokenCache {
    slots: Vec<Slot>,
    arena: String,
}

impl TokenCache {
    /// The cached match and fold forms of the token `text[start..end]`.
    #[inline]
    pub(crate) fn get(&self, text: &str, start: usize, end: usize) -> Option<(&str, &str)> {
        if self.slots.is_empty() {
            return None;
        }
        let key = Key::of(text.as_bytes(), start, end)?;
        let set = key.set();
        let pair = self.slots.get(set..set + 2)?;
        let slot = if pair[0].key == key {
            &pair[0]
        } else if pair[1].key == key {
            &pair[1]
        } else {
            return None;
        };
        let at = slot.at as usize;
        let mid = at + usize::from(slot.matched_len);
        let end = mid + usize::from(slot.folded_len);
        Some((self.arena.get(at..mid)?, self.arena.get(mid..end)?))
    }

    /// Remembers the forms of the token `text[start..end]` (unless it is too long to keep).
    pub(crate) fn put(
        &mut self,
        text: &str,
        start: usize,
        end: usize,
        matched: &str,
        folded: &str,
    ) {
        let Some(key) = Key::of(text.as_bytes(), start, end) else { return };
        if matched.len() > 255 || folded.len() > 255 {
            return;
        }
        if self.slots.is_empty() || self.arena.len() + matched.len() + folded.len() > ARENA_LIMIT {
            self.slots.clear();
            self.slots.resize(1 << SLOT_BITS, Slot::default());
            self.arena.clear();
        }
        let at = self.arena.len() as u32;
        self.arena.push_str(matched);
        self.arena.push_str(folded);
        let set = key.set();
        if self.slots[set].key != key {
            self.slots[set + 1] = self.slots[set];
        }
        self.slots[set] =
            Slot { key, matched_len: matched.len() as u8, folded_len: folded.len() as u8, at };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get<'a>(c: &'a TokenCache, key: &str) -> Option<(&'a str, &'a str)> {
        c.get(key, 0, key.len())
    }

    fn put(c: &mut TokenCache, key: &str, matched: &str, folded: &str) {
        c.put(key, 0, key.len(), matched, folded);
    }

    #[test]
    fn keeps_and_replaces_entries() {
        let mut c = TokenCache::default();
        assert_eq!(get(&c, "Hòa"), None);
        put(&mut c, "Hòa", "hoà", "hoa");
        assert_eq!(get(&c, "Hòa"), Some(("hoà", "hoa")));
        assert_eq!(get(&c, "Hòa "), None);
        assert_eq!(get(&c, "hòa"), None);
        put(&mut c, "Hòa", "x", "");
        assert_eq!(get(&c, "Hòa"), Some(("x", "")));
        let long = "nghiêngnghiêngnghiêngnghiêng";
        put(&mut c, long, "y", "y");
        assert_eq!(get(&c, long), None);
    }

    #[test]
    fn keys_read_in_place_ignore_what_follows_the_token() {
        let mut c = TokenCache::default();
        let text = "Thủy lợi và thủy điện ở miền Trung năm nay";
        c.put(text, 0, "Thủy".len(), "thuỷ", "thuy");
        // The same bytes near the end of a text, where the key is copied, not loaded.
        let short = "Thủy";
        assert_eq!(c.get(short, 0, short.len()), Some(("thuỷ", "thuy")));
        let at = text.find("thủy").unwrap_or(0);
        assert_eq!(c.get(text, at, at + "thủy".len()), None);
        // Every length up to the limit, at every offset, finds what was put.
        let long = "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz";
        for start in 0..long.len() {
            for end in start + 1..=(start + MAX_KEY).min(long.len()) {
                let mut c = TokenCache::default();
                c.put(long, start, end, &long[start..end], "");
                assert_eq!(get(&c, &long[start..end]).map(|p| p.0), Some(&long[start..end]));
            }
        }
    }

    #[test]
    fn two_keys_share_a_set() {
        let mut c = TokenCache::default();
        let keys: Vec<String> = (0..20_000).map(|i| format!("k{i}")).collect();
        let first = Key::of(keys[0].as_bytes(), 0, keys[0].len()).map(|k| k.set());
        let twin = keys[1..]
            .iter()
            .find(|k| Key::of(k.as_bytes(), 0, k.len()).map(|k| k.set()) == first)
            .cloned()
            .unwrap_or_default();
        assert!(!twin.is_empty(), "no two keys in the same set");
        put(&mut c, &keys[0], "a", "a");
        put(&mut c, &twin, "b", "b");
        assert_eq!(get(&c, &keys[0]), Some(("a", "a")));
        assert_eq!(get(&c, &twin), Some(("b", "b")));
    }

    #[test]
    fn a_full_arena_starts_over() {
        let mut c = TokenCache::default();
        put(&mut c, "một", "một", "mot");
        let value = "ư".repeat(100);
        for i in 0..ARENA_LIMIT / 200 + 1 {
            put(&mut c, &format!("k{i}"), &value, &value);
        }
        assert_eq!(get(&c, "một"), None);
        assert!(c.arena.len() <= ARENA_LIMIT);
        assert!(get(&c, &format!("k{}", ARENA_LIMIT / 200)).is_some());
    }
}
