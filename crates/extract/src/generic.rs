//! The extractor for pages no adapter knows: readability-style scoring of block elements
//! by text length, punctuation, link density and class/id hints, and the cleaning of the
//! chosen container (link lists, captions, share bars, Vietnamese boilerplate blocks such
//! as "Tin liên quan" and "Xem thêm").

use ego_tree::NodeId;
use scraper::ElementRef;

use crate::dom::{IdMap, Stats, is_block};

/// Class and id fragments of containers that hold the article.
const POSITIVE: &[&str] = &[
    "article",
    "body",
    "content",
    "entry",
    "main",
    "post",
    "text",
    "story",
    "detail",
    "chitiet",
    "chi-tiet",
    "noidung",
    "noi-dung",
    "fck",
    "cmain",
    "singular",
    "news-content",
    "blog",
];

/// Class and id fragments of everything around it.
const NEGATIVE: &[&str] = &[
    "comment",
    "binhluan",
    "binh-luan",
    "related",
    "relate",
    "lienquan",
    "lien-quan",
    "footer",
    "foot",
    "sidebar",
    "side-bar",
    "widget",
    "menu",
    "nav",
    "breadcrumb",
    "share",
    "social",
    "sharing",
    "banner",
    "advert",
    "ads-",
    "-ads",
    "qc-",
    "quangcao",
    "quang-cao",
    "sponsor",
    "promo",
    "popup",
    "modal",
    "cookie",
    "newsletter",
    "subscribe",
    "tags",
    "tag-",
    "keyword",
    "topic",
    "masthead",
    "header",
    "toolbar",
    "print",
    "rating",
    "vote",
    "pagination",
    "paging",
    "outbrain",
    "taboola",
    "most-",
    "mostview",
    "xemnhieu",
    "xem-nhieu",
    "tinmoi",
    "tin-moi",
    "meta",
    "byline",
    "author",
    "caption",
    "image_desc",
    "img-desc",
    "photo-desc",
    "hidden",
];

/// Openings of blocks that are navigation, not article text.
const BOILERPLATE: &[&str] = &[
    "tin liên quan",
    "bài liên quan",
    "tin cùng chuyên mục",
    "tin cùng chủ đề",
    "bài cùng chuyên mục",
    "xem thêm",
    "đọc thêm",
    "đọc tiếp",
    "có thể bạn quan tâm",
    "bạn có thể quan tâm",
    "bình luận",
    "ý kiến bạn đọc",
    "gửi bình luận",
    "gửi ý kiến",
    "chia sẻ bài viết",
    "chia sẻ:",
    "từ khóa:",
    "từ khoá:",
    "tags:",
    "tag:",
    "tin mới nhất",
    "tin nổi bật",
    "tin đọc nhiều",
    "xem nhiều nhất",
    "đọc nhiều nhất",
    "related articles",
    "read more",
    "see also",
];

fn hint(el: &scraper::node::Element) -> String {
    let mut s = String::new();
    for c in el.classes() {
        s.push_str(&c.to_ascii_lowercase());
        s.push(' ');
    }
    if let Some(id) = el.id() {
        s.push_str(&id.to_ascii_lowercase());
    }
    s
}

fn has_any(hint: &str, words: &[&str]) -> bool {
    words.iter().any(|w| hint.contains(w))
}

/// The class/id weight of an element: positive hints +25, negative hints -25.
fn class_weight(el: &scraper::node::Element) -> f32 {
    let h = hint(el);
    if h.is_empty() {
        return 0.0;
    }
    let mut w = 0.0;
    if has_any(&h, NEGATIVE) {
        w -= 25.0;
    }
    if has_any(&h, POSITIVE) {
        w += 25.0;
    }
    w
}

fn tag_weight(name: &str) -> f32 {
    match name {
        "article" => 10.0,
        "div" | "section" | "main" => 5.0,
        "pre" | "td" | "blockquote" => 3.0,
        "address" | "ol" | "ul" | "dl" | "dd" | "dt" | "li" | "form" | "aside" | "nav" => -3.0,
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "th" | "header" | "footer" => -5.0,
        _ => 0.0,
    }
}

/// The leading text of an element, whitespace collapsed, about 48 bytes of it.
fn opening(el: ElementRef<'_>) -> String {
    let mut s = String::new();
    for t in el.descendants().filter_map(|n| n.value().as_text()) {
        for w in t.split_whitespace() {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(w);
        }
        if s.len() >= 48 {
            break;
        }
    }
    s
}

/// Whether a block of text is a boilerplate label or link line. Only its opening is
/// lowercased: this runs on every paragraph of every page.
pub(crate) fn is_boilerplate_text(block: &str) -> bool {
    let block = block.trim_start_matches(['>', '»', '-', '–', '•', '*', ' ']);
    // Every label starts with one of these letters; most paragraphs are rejected here.
    let first = block.chars().next().map(|c| c.to_ascii_lowercase());
    if !matches!(first, Some('t' | 'b' | 'x' | 'đ' | 'Đ' | 'c' | 'ý' | 'Ý' | 'g' | 'r' | 's')) {
        return false;
    }
    let head: String = block.chars().take(24).flat_map(char::to_lowercase).collect();
    BOILERPLATE.iter().any(|b| {
        head.starts_with(b) && {
            // "Xem thêm" opens a link line; a sentence that happens to start with the same
            // words ("Bình luận về...") is long and punctuated.
            let rest = head[b.len()..].trim_start();
            block.chars().nth(160).is_none() || rest.starts_with([':', '>', '»', '-', '|'])
        }
    })
}

/// Decides which elements inside an article container are not article text.
pub(crate) struct Cleaner<'a> {
    pub(crate) stats: &'a IdMap<Stats>,
    /// Also drop elements by negative class/id hints (the generic extractor; adapters say
    /// what to remove themselves).
    pub(crate) class_hints: bool,
}

impl Cleaner<'_> {
    pub(crate) fn drop(&self, el: ElementRef<'_>) -> bool {
        let v = el.value();
        let name = v.name();
        if matches!(name, "figcaption" | "nav" | "aside" | "form" | "fieldset") {
            return true;
        }
        if self.class_hints && matches!(name, "header" | "footer") {
            return true;
        }
        let Some(s) = self.stats.get(&el.id()) else { return false };
        if !is_block(name) && name != "td" {
            return false;
        }
        if s.chars == 0 {
            return false;
        }
        let ld = s.link_density();
        if ld > 0.5 && (s.chars < 2_000 || ld > 0.8) {
            return true;
        }
        if s.chars < 600 && is_boilerplate_text(&opening(el)) {
            return true;
        }
        if self.class_hints {
            let h = hint(v);
            if !h.is_empty() && has_any(&h, NEGATIVE) && !has_any(&h, POSITIVE) {
                return ld > 0.2 || s.chars < 400 || s.punct * 40 < s.chars;
            }
        }
        false
    }
}

/// The elements that hold the article text, in document order: the best-scoring
/// container and those of its siblings that look like part of it.
pub(crate) fn containers<'a>(root: ElementRef<'a>, stats: &IdMap<Stats>) -> Vec<ElementRef<'a>> {
    let mut scores: IdMap<f32> = IdMap::default();
    for node in root.descendants() {
        let Some(el) = ElementRef::wrap(node) else { continue };
        let Some(s) = stats.get(&el.id()) else { continue };
        let name = el.value().name();
        if !is_block(name) && name != "td" || name.starts_with('h') && name.len() == 2 {
            continue;
        }
        let own = s.inline_chars.saturating_sub(s.inline_link_chars);
        if own < 25 {
            continue;
        }
        let score = 1.0 + s.inline_punct.min(30) as f32 + (own as f32 / 100.0).min(3.0);
        // A container that holds its text directly (portals writing a whole article in
        // one `<div>` with `<br>`s) is a candidate itself.
        if own >= 200 && matches!(name, "div" | "section" | "article" | "td" | "main") {
            add(&mut scores, el, score);
        }
        let mut up = el.parent().and_then(ElementRef::wrap);
        for level in 0..5 {
            let Some(a) = up else { break };
            if !stats.contains_key(&a.id()) {
                break;
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => l as f32 * 3.0,
            };
            add(&mut scores, a, score / divider);
            up = a.parent().and_then(ElementRef::wrap);
        }
    }
    let final_score = |id: NodeId, score: f32| {
        let ld = stats.get(&id).map_or(0.0, Stats::link_density);
        score * (1.0 - ld)
    };
    let best = scores
        .iter()
        .map(|(id, s)| (*id, final_score(*id, *s)))
        .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)));
    let Some((top_id, top_score)) = best else {
        return body(root).into_iter().collect();
    };
    let Some(top) = root.tree().get(top_id).and_then(ElementRef::wrap) else { return Vec::new() };
    let Some(parent) = top.parent().and_then(ElementRef::wrap) else { return vec![top] };
    let threshold = (top_score * 0.2).max(10.0);
    let top_class = top.value().attr("class");
    let mut out = Vec::new();
    for c in parent.children().filter_map(ElementRef::wrap) {
        if c.id() == top_id {
            out.push(c);
            continue;
        }
        let Some(s) = stats.get(&c.id()) else { continue };
        let mut score = scores.get(&c.id()).map_or(0.0, |sc| final_score(c.id(), *sc));
        if top_class.is_some() && c.value().attr("class") == top_class {
            score += top_score * 0.2;
        }
        let para = c.value().name() == "p" && {
            let own = s.inline_chars.saturating_sub(s.inline_link_chars);
            let ld = s.link_density();
            (own > 60 && ld < 0.25) || (own > 0 && ld == 0.0 && s.inline_punct > 0)
        };
        if (score >= threshold && class_weight(c.value()) >= 0.0) || para {
            out.push(c);
        }
    }
    out
}

fn add(scores: &mut IdMap<f32>, el: ElementRef<'_>, score: f32) {
    let v = el.value();
    *scores.entry(el.id()).or_insert_with(|| tag_weight(v.name()) + class_weight(v)) += score;
}

/// The `<body>` element, or the root when there is none.
pub(crate) fn body(root: ElementRef<'_>) -> Option<ElementRef<'_>> {
    root.children().filter_map(ElementRef::wrap).find(|e| e.value().name() == "body").or(Some(root))
}

/// Whether `el` sits inside navigation, header, footer or aside containers.
pub(crate) fn in_chrome(el: ElementRef<'_>) -> bool {
    el.ancestors().filter_map(ElementRef::wrap).any(|a| {
        let v = a.value();
        matches!(v.name(), "nav" | "header" | "footer" | "aside") || {
            let h = hint(v);
            !h.is_empty()
                && ["menu", "nav", "footer", "header", "breadcrumb", "sidebar", "tags", "tag-"]
                    .iter()
                    .any(|w| h.contains(w))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boilerplate_labels_but_not_sentences() {
        assert!(is_boilerplate_text("Tin liên quan"));
        assert!(is_boilerplate_text("Xem thêm: Cách phòng sốt xuất huyết cho trẻ"));
        assert!(is_boilerplate_text(">> Đọc thêm: Vắc xin sởi"));
        assert!(!is_boilerplate_text(
            "Bình luận về đề xuất này, bác sĩ Nguyễn Văn An cho rằng việc tiêm chủng mở rộng cần \
             được duy trì đều đặn, nhất là ở vùng sâu, vùng xa, nơi tỷ lệ tiêm còn thấp so với \
             mặt bằng chung của cả nước trong nhiều năm liền."
        ));
        assert!(!is_boilerplate_text("Người dân cần xem thêm hướng dẫn."));
    }
}
