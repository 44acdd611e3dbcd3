//! Language check: is this text Vietnamese?

/// Letters that occur in Vietnamese and in no other Latin-script language of the region.
fn is_vietnamese_letter(c: char) -> bool {
    matches!(c, 'ă' | 'Ă' | 'â' | 'Â' | 'đ' | 'Đ' | 'ê' | 'Ê' | 'ô' | 'Ô' | 'ơ' | 'Ơ' | 'ư' | 'Ư')
        || ('\u{1EA0}'..='\u{1EF9}').contains(&c)
}

/// Returns `"vi"` when the display-form text is Vietnamese and `"und"` when it cannot tell.
///
/// Two or more letters found only in Vietnamese decide; text without them is undetermined.
pub fn language(display: &str) -> &'static str {
    if display.chars().filter(|&c| is_vietnamese_letter(c)).nth(1).is_some() { "vi" } else { "und" }
}

#[cfg(test)]
mod tests {
    use super::language;

    #[test]
    fn vietnamese_letters_decide() {
        assert_eq!(language("Bộ Y tế cảnh báo"), "vi");
        assert_eq!(language("Ministry of Health warns"), "und");
        assert_eq!(language("Đà Nẵng"), "vi");
    }
}
