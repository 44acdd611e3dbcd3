//! Snippets: a window of text around the matched spans, split into plain and highlighted
//! fragments. Rendering (and HTML escaping) is the caller's job.

/// A piece of a snippet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment {
    /// The text, unescaped.
    pub text: String,
    /// Whether it is a match to highlight.
    pub highlighted: bool,
}

/// Cuts a snippet of about `max_chars` characters from `text`, centred near the first of
/// the byte `ranges` (which must lie on character boundaries), and marks every range inside
/// it. An ellipsis marks text cut at either end.
pub fn snippet(text: &str, ranges: &[(usize, usize)], max_chars: usize) -> Vec<Fragment> {
    let mut ranges: Vec<(usize, usize)> = ranges
        .iter()
        .copied()
        .filter(|&(s, e)| {
            s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
        })
        .collect();
    ranges.sort_unstable();
    // Merge overlapping ranges, and ranges separated only by spaces, so consecutive matched
    // syllables highlight as one piece.
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 || text[last.1..s].chars().all(char::is_whitespace) => {
                last.1 = last.1.max(e)
            }
            _ => merged.push((s, e)),
        }
    }
    let anchor = merged.first().map_or(0, |r| r.0);
    // Start a little before the first match, at a word boundary.
    let lead = max_chars / 4;
    let mut start = anchor;
    for (n, (i, _)) in text[..anchor].char_indices().rev().enumerate() {
        start = i;
        if n + 1 >= lead {
            break;
        }
    }
    if start > 0
        && let Some(space) = text[start..anchor].find(char::is_whitespace)
    {
        start += space + 1;
    }
    let mut end = text.len();
    if let Some((i, _)) = text[start..].char_indices().nth(max_chars) {
        end = start + i;
        if let Some(space) = text[anchor.max(start)..end].rfind(char::is_whitespace) {
            end = anchor.max(start) + space;
        }
    }
    let mut out = Vec::new();
    let mut push = |s: &str, highlighted: bool| {
        if !s.is_empty() {
            out.push(Fragment { text: s.to_owned(), highlighted });
        }
    };
    if start > 0 {
        push("…", false);
    }
    let mut pos = start;
    for &(s, e) in &merged {
        if e <= start || s >= end {
            continue;
        }
        let (s, e) = (s.max(start), e.min(end));
        push(&text[pos..s], false);
        push(&text[s..e], true);
        pos = e;
    }
    push(&text[pos..end], false);
    if end < text.len() {
        push("…", false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(f: &[Fragment]) -> String {
        f.iter()
            .map(|f| if f.highlighted { format!("[{}]", f.text) } else { f.text.clone() })
            .collect()
    }

    #[test]
    fn highlights_inside_a_window() {
        let text =
            "Hà Nội ghi nhận thêm 300 ca sốt xuất huyết trong tuần qua, tăng mạnh so với cùng kỳ.";
        let s = text.find("sốt").unwrap();
        let e = text.find(" trong").unwrap();
        assert_eq!(
            show(&snippet(text, &[(s, e)], 500)),
            "Hà Nội ghi nhận thêm 300 ca [sốt xuất huyết] trong tuần qua, tăng mạnh so với cùng kỳ."
        );
        let cut = show(&snippet(text, &[(s, e)], 30));
        assert!(
            cut.starts_with('…') && cut.ends_with('…') && cut.contains("[sốt xuất huyết]"),
            "{cut}"
        );
    }

    #[test]
    fn merges_touching_ranges_and_ignores_bad_ones() {
        let text = "ab cd ef";
        assert_eq!(show(&snippet(text, &[(0, 2), (3, 5), (100, 200)], 50)), "[ab cd] ef");
        assert_eq!(show(&snippet("ab, cd", &[(0, 2), (4, 6)], 50)), "[ab], [cd]");
        assert_eq!(show(&snippet("", &[], 10)), "");
    }
}
