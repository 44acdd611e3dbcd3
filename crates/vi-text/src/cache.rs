//! A per-thread, fixed-size cache of token match and fold forms, keyed by the token's
//! display bytes.
//!
//! News text repeats a few thousand syllables, and a token's forms depend only on its
//! display bytes, so the re-spelling is done once per distinct token and thread. The cache is
//! two-way set-associative, one cache line per set, with the keys stored inline and the
//! forms in one string arena: a lookup is one hash of three words, one line, two
//! comparisons, with no allocation, no UTF-8 validation and no per-entry pointer. A third
//! token in a set evicts the older entry, and the arena is emptied with the sets when it
//! fills, so hostile input cannot grow the cache.

/// Longest token (in bytes) the cache keeps; a Vietnamese syllable is at most 7 letters of
/// at most 3 bytes each, and longer tokens are rare enough to compute every time.
pub(crate) const MAX_KEY: usize = 24;

/// Number of sets (of two entries each, one cache line per set) as a power of two.
const SET_BITS: u32 = 13;

/// Arena bytes after which everything is forgotten: enough for every slot several times
/// over with syllable-sized forms.
const ARENA_LIMIT: usize = 1 << 20;

/// For each key length, the masks that keep its bytes in the three little-endian words.
const MASKS: [[u64; 3]; MAX_KEY + 1] = {
    let mut masks = [[0u64; 3]; MAX_KEY + 1];
    let mut len = 0;
    while len <= MAX_KEY {
        let mut k = 0;
        while k < 3 {
            let rest = len.saturating_sub(8 * k);
            let bytes = if rest >= 8 { 8 } else { rest };
            masks[len][k] = if bytes == 8 { u64::MAX } else { (1u64 << (8 * bytes)) - 1 };
            k += 1;
        }
        len += 1;
    }
    masks
};

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
            let mask = &MASKS[len];
            for (k, w) in words.iter_mut().enumerate() {
                let mut chunk = [0u8; 8];
                chunk.copy_from_slice(&window[8 * k..8 * k + 8]);
                *w = u64::from_le_bytes(chunk) & mask[k];
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

    /// The set the key belongs to.
    #[inline(always)]
    fn set(&self) -> usize {
        let h = (self.words[0] ^ u64::from(self.len))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29)
            ^ self.words[1].wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
            ^ self.words[2].wrapping_mul(0x1656_67B1_9E37_79F9);
        (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SET_BITS)) as usize
    }
}

#[derive(Clone, Copy, Default)]
struct Slot {
    words: [u64; 3],
    /// Key length; 0 for an empty slot.
    len: u8,
    /// The match form is the token's own bytes.
    same: bool,
    matched_len: u8,
    folded_len: u8,
    /// Offset of the match form in the arena; the fold form follows it.
    at: u32,
}

impl Slot {
    #[inline(always)]
    fn holds(&self, key: &Key) -> bool {
        self.words == key.words && self.len == key.len
    }
}

/// Two entries in one cache line: a lookup touches one line.
#[derive(Clone, Copy, Default)]
#[repr(align(64))]
struct Set([Slot; 2]);

/// The cache itself; [`Default`] is empty and allocates on the first insertion. Each key
/// has a set of two entries, the newer first.
#[derive(Default)]
pub(crate) struct TokenCache {
    sets: Vec<Set>,
    arena: String,
}

impl TokenCache {
    #[inline(always)]
    fn slot(&self, text: &str, start: usize, end: usize) -> Option<&Slot> {
        if self.sets.is_empty() {
            return None;
        }
        let key = Key::of(text.as_bytes(), start, end)?;
        let set = &self.sets.get(key.set())?.0;
        if set[0].holds(&key) {
            Some(&set[0])
        } else if set[1].holds(&key) {
            Some(&set[1])
        } else {
            None
        }
    }

    /// The cached match form of the token `text[start..end]`: `Some(None)` when it is the
    /// token's own bytes.
    #[inline]
    pub(crate) fn matched(&self, text: &str, start: usize, end: usize) -> Option<Option<&str>> {
        let slot = self.slot(text, start, end)?;
        if slot.same {
            return Some(None);
        }
        let at = slot.at as usize;
        Some(Some(self.arena.get(at..at + usize::from(slot.matched_len))?))
    }

    /// The cached match and fold forms of the token `text[start..end]`.
    #[inline]
    pub(crate) fn get(&self, text: &str, start: usize, end: usize) -> Option<(&str, &str)> {
        let slot = self.slot(text, start, end)?;
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
        if self.sets.is_empty() || self.arena.len() + matched.len() + folded.len() > ARENA_LIMIT {
            self.sets.clear();
            self.sets.resize(1 << SET_BITS, Set::default());
            self.arena.clear();
        }
        let at = self.arena.len() as u32;
        self.arena.push_str(matched);
        self.arena.push_str(folded);
        let Some(Set(set)) = self.sets.get_mut(key.set()) else { return };
        if !set[0].holds(&key) {
            set[1] = set[0];
        }
        set[0] = Slot {
            words: key.words,
            len: key.len,
            same: matched.as_bytes() == &text.as_bytes()[start..end],
            matched_len: matched.len() as u8,
            folded_len: folded.len() as u8,
            at,
        };
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
        assert_eq!(c.matched(text, 0, "Thủy".len()), Some(Some("thuỷ")));
        let same = "thuỷ";
        c.put(same, 0, same.len(), "thuỷ", "thuy");
        assert_eq!(c.matched(same, 0, same.len()), Some(None));
        assert_eq!(c.get(same, 0, same.len()), Some(("thuỷ", "thuy")));
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
