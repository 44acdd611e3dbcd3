//! Stop-syllables: the Vietnamese function syllables (and the few news formulas) that
//! carry no event, dropped from story vectors so that "của", "được" and "cho biết" do not
//! make two unrelated articles look alike.
//!
//! The list is ours, written for health news: conjunctions and prepositions, aspect and
//! modal particles, pronouns and forms of address, classifiers and quantifiers, number
//! words, the time words of datelines ("sáng 12/7", "chiều qua"), and the verbs of
//! reporting. Content words that are merely frequent ("bệnh", "y tế") stay: IDF weighs
//! them down without losing them.

use std::sync::OnceLock;

use crate::copies::syllable;

const STOP: &[&str] = &[
    // Conjunctions, prepositions and relators.
    "và", "với", "của", "cho", "trong", "ngoài", "trên", "dưới", "tại", "từ", "đến", "tới", "về",
    "theo", "do", "bởi", "vì", "nên", "mà", "thì", "là", "như", "nếu", "khi", "lúc", "sau",
    "trước", "giữa", "qua", "bằng", "để", "hay", "hoặc", "nhưng", "song", "còn", "cùng", "rồi",
    "nữa", "tuy", "dù", "nhờ", "nhằm", "vào", "ra", "lên", "xuống", "nhiên", "hơn", "kể", "gồm",
    "đối", "thay", // Aspect, modality and negation.
    "đã", "đang", "sẽ", "vừa", "sắp", "từng", "được", "bị", "có", "không", "chưa", "chẳng", "chả",
    "cần", "phải", "muốn", "vẫn", "đều", "lại", "chỉ", "mới", "cũng", "luôn", "ngay", "hãy",
    "đừng", "hết", "rất", "quá", "lắm", "nhất", "thêm", "tự",
    // Demonstratives, interrogatives and sentence particles.
    "này", "kia", "ấy", "đây", "đó", "nọ", "thế", "vậy", "gì", "nào", "ai", "sao", "đâu", "bao",
    "nhiêu", "mấy", "à", "ạ", "ơi", "nhé", "nha", "chứ", "đấy", "thôi", "hả", "ư",
    // Pronouns and forms of address.
    "tôi", "ta", "mình", "chúng", "họ", "nhau", "bạn", "em", "anh", "chị", "ông", "bà", "người",
    // Classifiers, quantifiers and nominalisers.
    "các", "những", "mọi", "mỗi", "một", "cái", "chiếc", "con", "việc", "sự", "điều", "cuộc",
    "nhiều", "ít", "cả", "tất", "số", "khác", "riêng", "chính", "loạt",
    // Number words (digits are dropped separately).
    "hai", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười", "trăm", "nghìn", "ngàn", "triệu",
    "tỷ", "tỉ", "rưỡi", "nửa", // Time words of datelines and reports.
    "ngày", "tháng", "sáng", "chiều", "tối", "trưa", "đêm", "hôm", "nay", "tuần", "giờ", "phút",
    "gần", // Verbs of reporting and other news formulas.
    "biết", "nói", "đi", "thấy", "nêu", "rõ",
];

/// The stop-syllables' hashes, sorted: tokenised with `vi_text` first so their match form
/// (tone placement, Unicode form) is exactly what a document's tokens give.
fn table() -> &'static [u64] {
    static TABLE: OnceLock<Vec<u64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut hashes: Vec<u64> =
            STOP.iter().flat_map(|s| vi_text::tokenize(s)).map(|t| syllable(&t.matched)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    })
}

/// Whether a syllable hash (from [`crate::copies::syllable`]) is a stop-syllable.
pub(crate) fn is_stop(syllable: u64) -> bool {
    table().binary_search(&syllable).is_ok()
}

/// How many distinct stop-syllables there are.
#[cfg(test)]
pub(crate) fn len() -> usize {
    table().len()
}
