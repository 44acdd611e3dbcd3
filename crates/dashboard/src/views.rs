//! Template data: what each page shows, already formatted, with text kept unescaped for
//! askama to escape.

use askama::Template;
use model::{
    AlertState, Document, DocumentPlaces, Hit, RuleKind, Severity, Sighting, SourceTier, Timestamp,
};
use search::Fragment;

pub(crate) fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Thấp",
        Severity::Medium => "Trung bình",
        Severity::High => "Cao",
        Severity::Critical => "Khẩn cấp",
    }
}

pub(crate) fn kind_label(k: RuleKind) -> &'static str {
    match k {
        RuleKind::Topic => "Chủ đề",
        RuleKind::Rumor => "Tin đồn",
        RuleKind::Watch => "Theo dõi",
        RuleKind::Crisis => "Khủng hoảng",
        RuleKind::Spike => "Tăng đột biến",
        RuleKind::Suspicion => "Nghi vấn tin giả",
    }
}

pub(crate) fn state_label(s: AlertState) -> &'static str {
    s.label()
}

/// Time in Asia/Ho_Chi_Minh, as Vietnamese readers write it.
pub(crate) fn vn_time(ts: Timestamp) -> String {
    model::to_vn_time(ts).format("%H:%M %d/%m/%Y").to_string()
}

/// Only http(s) links are rendered as links; anything else (`javascript:`…) is shown as text.
pub(crate) fn is_web_url(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://")
}

/// Highlight ranges of a hit in one field.
pub(crate) fn ranges(hits: &[&Hit], field: &str) -> Vec<(usize, usize)> {
    hits.iter()
        .flat_map(|h| h.terms.iter())
        .filter(|t| t.field == field)
        .map(|t| (t.start, t.end))
        .collect()
}

/// The header every page shows.
pub(crate) struct Chrome {
    pub(crate) user: String,
    pub(crate) role: String,
    pub(crate) csrf: String,
}

pub(crate) struct AlertView {
    pub(crate) id: i64,
    /// The story the alert is about, when its subject is one.
    pub(crate) story: Option<i64>,
    /// A spike's explanation, for spike alerts.
    pub(crate) spike: Option<SpikeView>,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) kind_label: &'static str,
    pub(crate) state_label: &'static str,
    pub(crate) rule_title: String,
    pub(crate) rule_id: String,
    pub(crate) source: String,
    pub(crate) time: String,
    pub(crate) doc_count: i64,
    pub(crate) doc_id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) excerpt: Vec<Fragment>,
}

impl AlertView {
    pub(crate) fn new(e: &store::BoardEntry) -> AlertView {
        let doc = &e.document;
        let hits = [&e.hit];
        AlertView {
            id: e.alert.id,
            story: story_of_subject(&e.alert.subject),
            spike: (e.alert.kind == RuleKind::Spike).then(|| SpikeView::new(&e.alert)),
            severity: e.alert.severity.as_str(),
            severity_label: severity_label(e.alert.severity),
            kind_label: kind_label(e.alert.kind),
            state_label: state_label(e.alert.state),
            rule_title: e.alert.rule_title.clone(),
            rule_id: e.alert.rule_id.clone(),
            source: doc.source_name.clone(),
            time: vn_time(e.alert.last_seen),
            doc_count: e.alert.doc_count,
            doc_id: doc.id,
            title: search::snippet(&doc.doc.title, &ranges(&hits, "title"), usize::MAX),
            excerpt: search::snippet(&doc.doc.full_text(), &ranges(&hits, "body"), 280),
        }
    }
}

/// The story of an alert subject `story:ID`.
pub(crate) fn story_of_subject(subject: &str) -> Option<i64> {
    subject.strip_prefix("story:")?.parse().ok()
}

/// A spike alert's explanation on the board.
pub(crate) struct SpikeView {
    /// Where: "Toàn quốc" or the province's name.
    pub(crate) area: String,
    /// Which window: a day, or an hour of a day.
    pub(crate) window: String,
    pub(crate) observed: String,
    pub(crate) expected: String,
    pub(crate) threshold: String,
    pub(crate) method: String,
    /// The baseline's days and number of points; empty when unknown.
    pub(crate) baseline: String,
    pub(crate) health_day: Option<String>,
    pub(crate) labels: Vec<String>,
    pub(crate) stories: Vec<i64>,
    pub(crate) sources: Option<i64>,
    pub(crate) trends_href: String,
    pub(crate) spark: Option<crate::spikes::Sparkline>,
}

impl SpikeView {
    pub(crate) fn new(a: &model::Alert) -> SpikeView {
        use crate::spikes::{SpikeDetail, area_name, count, sparkline};
        let d = a.detail.as_deref().and_then(SpikeDetail::parse).unwrap_or_default();
        // The subject says the area and window even when the detail cannot be read.
        let mut subject = a.subject.strip_prefix("spike:").unwrap_or_default().splitn(2, ':');
        let area = if d.area.is_empty() { subject.next().unwrap_or_default() } else { &d.area };
        let window = match (d.window_start, d.bucket.as_str()) {
            (Some(t), "hour") => {
                format!("giờ {}", model::to_vn_time(t).format("%H:00 ngày %d/%m/%Y"))
            }
            (Some(t), _) => format!("ngày {}", model::to_vn_time(t).format("%d/%m/%Y")),
            (None, _) => subject.nth(1).unwrap_or_default().to_owned(),
        };
        let topic = if d.topic.is_empty() { a.rule_id.as_str() } else { d.topic.as_str() };
        let mut pairs = vec![("topic", topic)];
        if area != "national" && !area.is_empty() {
            pairs.push(("province", area));
        }
        let day = |t: Timestamp| model::to_vn_time(t).format("%d/%m/%Y").to_string();
        let baseline = match (d.baseline_from, d.baseline_to) {
            (Some(from), Some(to)) => {
                format!("{} – {}, {} điểm", day(from), day(to), d.baseline.len())
            }
            _ => String::new(),
        };
        SpikeView {
            area: area_name(area),
            window,
            observed: count(d.observed),
            expected: count(d.expected),
            threshold: count(d.threshold),
            method: match (d.method.is_empty(), d.method_version.is_empty()) {
                (true, _) => "?".to_owned(),
                (false, true) => d.method.clone(),
                (false, false) => format!("{} ({})", d.method, d.method_version),
            },
            baseline,
            spark: sparkline(&d),
            health_day: d.health_day,
            labels: d.labels,
            stories: d.stories,
            sources: d.sources,
            trends_href: crate::params::link("/trends", &pairs),
        }
    }
}

pub(crate) struct HitView {
    pub(crate) id: i64,
    pub(crate) title: Vec<Fragment>,
    pub(crate) snippet: Vec<Fragment>,
    pub(crate) source: String,
    pub(crate) time: String,
}

pub(crate) struct HitInfo {
    pub(crate) rule_title: String,
    pub(crate) kind_label: &'static str,
    pub(crate) severity: &'static str,
    pub(crate) severity_label: &'static str,
    pub(crate) terms: String,
}

#[derive(Template)]
#[template(path = "document.html")]
pub(crate) struct DocumentPage {
    pub(crate) chrome: Chrome,
    pub(crate) id: i64,
    pub(crate) title: Vec<Mark>,
    pub(crate) source: String,
    pub(crate) time: String,
    pub(crate) fetched: String,
    pub(crate) author: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
    pub(crate) language: String,
    pub(crate) text: Vec<Mark>,
    pub(crate) hits: Vec<HitInfo>,
    /// The province the document is about, by its official name; empty when none.
    pub(crate) province: String,
    /// Whether the province is its source's home province, the text naming none.
    pub(crate) province_from_source: bool,
    /// The other provinces it names, by their official names.
    pub(crate) also_named: Vec<&'static str>,
    /// Every place it was seen, first appearance first.
    pub(crate) sightings: Vec<SightingView>,
    /// How many outlets carried it.
    pub(crate) outlets: usize,
    /// Its story: id and title.
    pub(crate) story: Option<(i64, String)>,
}

/// One place a document was seen, on its page.
pub(crate) struct SightingView {
    pub(crate) source: String,
    pub(crate) tier_label: &'static str,
    pub(crate) time: String,
    pub(crate) url: String,
    pub(crate) url_is_link: bool,
}

pub(crate) fn tier_label(t: SourceTier) -> &'static str {
    match t {
        SourceTier::Official => "Chính thống",
        SourceTier::Press => "Báo chí",
        SourceTier::Aggregator => "Trang tổng hợp",
        SourceTier::Social => "Mạng xã hội",
    }
}

/// A piece of a document's text on its page: plain, part of a rule's match, a place
/// mention, or both. Kept unescaped, for askama to escape.
pub(crate) struct Mark {
    pub(crate) text: String,
    pub(crate) hit: bool,
    /// The official name of the province the piece names, when it is a place mention;
    /// empty otherwise.
    pub(crate) place: String,
}

/// `text` cut into [`Mark`]s: the rule-hit highlights `search::snippet` makes, each cut
/// again where a place mention (`(start, end, province name)`, byte ranges of `text`)
/// begins or ends.
pub(crate) fn marks(
    text: &str,
    hits: &[(usize, usize)],
    places: &[(usize, usize, &'static str)],
) -> Vec<Mark> {
    let places: Vec<_> = places
        .iter()
        .filter(|&&(s, e, _)| {
            s < e && e <= text.len() && text.is_char_boundary(s) && text.is_char_boundary(e)
        })
        .collect();
    let mut out = Vec::new();
    let mut pos = 0;
    // With no length limit the snippet is the whole text, its fragments in order.
    for f in search::snippet(text, hits, usize::MAX) {
        let end = pos + f.text.len();
        if text.get(pos..end) != Some(f.text.as_str()) {
            // Not a piece of the text (an ellipsis): shown as it is, never as a place.
            out.push(Mark { text: f.text, hit: f.highlighted, place: String::new() });
            continue;
        }
        let mut cuts: Vec<usize> = places
            .iter()
            .flat_map(|&&(s, e, _)| [s, e])
            .filter(|&c| c > pos && c < end)
            .chain([end])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut from = pos;
        for to in cuts {
            let place = places.iter().find(|&&&(s, e, _)| s <= from && to <= e);
            out.push(Mark {
                text: text[from..to].to_owned(),
                hit: f.highlighted,
                place: place.map(|p| p.2.to_owned()).unwrap_or_default(),
            });
            from = to;
        }
        pos = end;
    }
    out
}

/// The places of a document in one field, as [`marks`] takes them.
fn place_ranges(places: &DocumentPlaces, field: &str) -> Vec<(usize, usize, &'static str)> {
    places
        .places
        .iter()
        .filter(|p| p.field == field)
        .filter_map(|p| Some((p.start, p.end, gazetteer::unit(&p.code)?.name)))
        .collect()
}

impl DocumentPage {
    /// The page with the places the document was seen (its own URL and every copy).
    pub(crate) fn with_sightings(mut self, sightings: &[Sighting]) -> DocumentPage {
        let mut outlets: Vec<i64> = sightings.iter().map(|s| s.source_id).collect();
        outlets.sort_unstable();
        outlets.dedup();
        self.outlets = outlets.len();
        self.sightings = sightings
            .iter()
            .map(|s| SightingView {
                source: s.source_name.clone(),
                tier_label: tier_label(s.tier),
                time: vn_time(s.time()),
                url: s.url.clone(),
                url_is_link: is_web_url(&s.url),
            })
            .collect();
        self
    }

    pub(crate) fn new(
        chrome: Chrome,
        d: &Document,
        hits: &[Hit],
        places: &DocumentPlaces,
    ) -> DocumentPage {
        let refs: Vec<&Hit> = hits.iter().collect();
        let province = places.province.as_deref().and_then(gazetteer::unit);
        let mut also_named: Vec<&'static str> = Vec::new();
        for p in &places.places {
            if let Some(unit) = gazetteer::unit(&p.code)
                && province.is_none_or(|main| main.code != unit.code)
                && !also_named.contains(&unit.name)
            {
                also_named.push(unit.name);
            }
        }
        DocumentPage {
            chrome,
            id: d.id,
            province: province.map(|u| u.name.to_owned()).unwrap_or_default(),
            province_from_source: province
                .is_some_and(|u| !places.places.iter().any(|p| p.code == u.code)),
            also_named,
            sightings: Vec::new(),
            outlets: 0,
            story: None,
            title: marks(&d.doc.title, &ranges(&refs, "title"), &place_ranges(places, "title")),
            source: d.source_name.clone(),
            time: vn_time(d.time()),
            fetched: vn_time(d.doc.fetched_at),
            author: d.doc.author.clone().unwrap_or_default(),
            url: d.doc.url.clone(),
            url_is_link: is_web_url(&d.doc.url),
            language: d.doc.language.clone(),
            text: marks(&d.doc.full_text(), &ranges(&refs, "body"), &place_ranges(places, "body")),
            hits: hits
                .iter()
                .map(|h| HitInfo {
                    rule_title: h.rule_title.to_string(),
                    kind_label: kind_label(h.kind),
                    severity: h.severity.as_str(),
                    severity_label: severity_label(h.severity),
                    terms: {
                        let mut t: Vec<&str> = h.terms.iter().map(|t| &*t.term).collect();
                        t.sort_unstable();
                        t.dedup();
                        t.join(", ")
                    },
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub(crate) csrf: String,
    pub(crate) next: String,
    pub(crate) name: String,
    pub(crate) error: Option<String>,
}

#[derive(Template)]
#[template(path = "not_found.html")]
pub(crate) struct NotFoundPage {}

#[cfg(test)]
mod tests {
    use super::marks;

    fn show(
        text: &str,
        hits: &[(usize, usize)],
        places: &[(usize, usize, &'static str)],
    ) -> String {
        marks(text, hits, places)
            .iter()
            .map(|m| match (m.hit, m.place.is_empty()) {
                (false, true) => m.text.clone(),
                (true, true) => format!("[{}]", m.text),
                (false, false) => format!("{{{}}}", m.text),
                (true, false) => format!("[{{{}}}]", m.text),
            })
            .collect()
    }

    #[test]
    fn places_cut_the_rule_highlights_where_they_begin_and_end() {
        let text = "Sốt xuất huyết ở Gia Lai tăng";
        let at = |s: &str| (text.find(s).unwrap(), text.find(s).unwrap() + s.len());
        let (gl, gl_end) = at("Gia Lai");
        assert_eq!(
            show(text, &[], &[(gl, gl_end, "Tỉnh Gia Lai")]),
            "Sốt xuất huyết ở {Gia Lai} tăng"
        );
        // A rule matching across a place name: the place is both.
        let (s, _) = at("huyết");
        let hit = (s, at("Lai").1);
        assert_eq!(
            show(text, &[hit], &[(gl, gl_end, "Tỉnh Gia Lai")]),
            "Sốt xuất [huyết ở ][{Gia Lai}] tăng"
        );
        // Spans off the text or inside a character are dropped, not a panic.
        assert_eq!(show(text, &[], &[(1, 2, "x"), (0, 999, "y")]), text);
    }
}
