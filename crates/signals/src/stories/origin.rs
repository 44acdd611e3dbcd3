//! The first publisher of a story or republication group, and how every other sighting
//! relates to it (research wave 2, §3.5).
//!
//! 1. Each sighting's time is its publication time, or its fetch time when there is none
//!    or when the publication time is more than 10 minutes after the fetch (the outlet's
//!    clock is wrong: flagged).
//! 2. Attribution lines are read from the first and last ~300 characters: "Theo
//!    VnExpress", "(Theo TTXVN)", "Theo báo Dân trí", "Nguồn: Tuổi Trẻ", and datelines such
//!    as "Hà Nội (TTXVN) -", with or without diacritics. The name must be one of the
//!    caller's [`Outlets`] (a source's name, the part of it before a dash or colon, or an
//!    alias), compared folded and without spaces, so "VnExpress – Sức khỏe" answers to
//!    "Theo VnExpress" and "dantri.com.vn" to "Dân trí". A "Theo X" in running text
//!    ("theo Bộ Y tế cho biết …") is no attribution: the name must end its line, its
//!    clause or its parenthesis within two words. A sighting's mention of its own outlet
//!    (a dateline) is not an attribution either.
//! 3. The origin: when sightings attribute the text to an outlet that is itself among the
//!    sightings, that outlet's earliest sighting (following the chain when the attributed
//!    outlet itself cites another member; most cited first); otherwise the earliest
//!    sighting that is not an aggregator's; otherwise the earliest sighting, uncertain.
//!    An aggregator is never the origin while an official or press sighting exists.
//! 4. Every sighting gets a [`Relation`] and its lag behind the origin; an aggregator copy
//!    less than 60 minutes after its origin (Decree 147/2024 asks for at least an hour)
//!    and a sighting earlier than the origin it credits are flagged, as data, not as a
//!    finding.

use chrono::{DateTime, TimeDelta, Utc};
use vi_text::Token;

/// How far a source is trusted, as the store records it (`model::SourceTier`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Government and health-authority portals.
    Official,
    /// Licensed press.
    Press,
    /// Social pages, groups and imported posts.
    Social,
    /// News aggregators (Báo Mới and the like): never an origin while the press has it.
    Aggregator,
}

impl Tier {
    /// The tier's name as stored: `official`, `press`, `social`, `aggregator`.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Official => "official",
            Tier::Press => "press",
            Tier::Social => "social",
            Tier::Aggregator => "aggregator",
        }
    }

    /// Reads [`Tier::as_str`].
    pub fn parse(s: &str) -> Option<Tier> {
        [Tier::Official, Tier::Press, Tier::Social, Tier::Aggregator]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One place a member of the group was seen.
#[derive(Debug, Clone, Copy)]
pub struct Sighting<'a> {
    /// The document.
    pub document: i64,
    /// The source it was seen at.
    pub source: i64,
    /// The source's name (for display; attributions are read against [`Outlets`]).
    pub source_name: &'a str,
    /// The source's tier.
    pub tier: Tier,
    /// When the outlet says it published it.
    pub published: Option<DateTime<Utc>>,
    /// When it was first fetched there.
    pub fetched: DateTime<Utc>,
    /// The first ~300 characters of its lead and body (not the title).
    pub head: &'a str,
    /// The last ~300 characters of its body.
    pub tail: &'a str,
}

/// A source as the caller registers it for attribution matching.
#[derive(Debug, Clone, Copy)]
pub struct Outlet<'a> {
    /// The source's id.
    pub source: i64,
    /// Its name ("VnExpress – Sức khỏe").
    pub name: &'a str,
    /// Other names it is cited by ("TTXVN" for "Thông tấn xã Việt Nam", "vnexpress.net").
    pub aliases: &'a [&'a str],
}

/// The outlet registry, prepared once for matching: every name and alias folded,
/// lowercased and stripped of everything but letters and digits.
#[derive(Debug, Clone, Default)]
pub struct Outlets {
    /// (key, label, sources), sorted by key.
    names: Vec<(String, String, Vec<i64>)>,
    longest: usize,
}

/// Folded, lowercase, letters and digits only: "VnExpress – Sức khỏe" → "vnexpresssuckhoe".
fn key(name: &str) -> String {
    vi_text::fold_str(&name.to_lowercase()).chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The part of a source name before a section separator ("VnExpress – Sức khỏe").
fn core(name: &str) -> &str {
    name.split([':', '|', '–', '—', '(']).next().unwrap_or(name).split(" - ").next().unwrap_or(name)
}

impl Outlets {
    /// Prepares the registry.
    pub fn new<'a>(outlets: impl IntoIterator<Item = Outlet<'a>>) -> Outlets {
        let mut names: Vec<(String, String, Vec<i64>)> = Vec::new();
        for outlet in outlets {
            let forms = [outlet.name, core(outlet.name)];
            for name in forms.iter().chain(outlet.aliases) {
                let k = key(name);
                if k.chars().count() < 2 {
                    continue;
                }
                names.push((k, name.trim().to_owned(), vec![outlet.source]));
            }
        }
        names.sort();
        let mut merged: Vec<(String, String, Vec<i64>)> = Vec::new();
        for (k, label, sources) in names {
            match merged.last_mut() {
                Some(last) if last.0 == k => last.2.extend(sources),
                _ => merged.push((k, label, sources)),
            }
        }
        for entry in &mut merged {
            entry.2.sort_unstable();
            entry.2.dedup();
        }
        let longest = merged.iter().map(|e| e.0.len()).max().unwrap_or(0);
        Outlets { names: merged, longest }
    }

    /// The sources registered under entry `e`.
    #[cfg(test)]
    pub(crate) fn sources_of(&self, e: usize) -> &[i64] {
        &self.names[e].2
    }

    fn lookup(&self, key: &str) -> Option<usize> {
        self.names.binary_search_by(|e| e.0.as_str().cmp(key)).ok()
    }

    /// The longest outlet name starting at token `i` (its words run together, so "dan
    /// tri" and "dantri" meet): the entry and the number of tokens it spans.
    fn match_at(&self, tokens: &[Token], i: usize) -> Option<(usize, usize)> {
        let mut run = String::new();
        let mut best = None;
        for (n, t) in tokens[i..].iter().enumerate().take(8) {
            run.push_str(&t.folded);
            if run.len() > self.longest {
                break;
            }
            if let Some(e) = self.lookup(&run) {
                best = Some((e, n + 1));
            }
        }
        best
    }
}

/// An outlet a sighting credits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribution {
    /// The outlet's name as registered ("TTXVN").
    pub outlet: String,
    /// The sources registered under that name.
    pub sources: Vec<i64>,
}

/// How the origin was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginBasis {
    /// Members credit it.
    Attribution,
    /// The earliest sighting that is not an aggregator's.
    Earliest,
    /// Only aggregators carry it: the earliest, uncertain.
    Uncertain,
}

/// A member's relation to the origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// The first publisher.
    Origin,
    /// A republication that credits an outlet.
    RepublicationAttributed,
    /// A republication that credits no outlet.
    RepublicationUnattributed,
    /// An aggregator's copy.
    AggregatorCopy,
}

impl Relation {
    /// The relation's name as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Origin => "origin",
            Relation::RepublicationAttributed => "republication_attributed",
            Relation::RepublicationUnattributed => "republication_unattributed",
            Relation::AggregatorCopy => "aggregator_copy",
        }
    }
}

/// Something odd about a sighting's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anomaly {
    /// The publication time is more than 10 minutes after the first fetch.
    PublishedAfterFetch,
    /// An aggregator copy less than 60 minutes after its origin.
    AggregatorTooEarly,
    /// Earlier than the origin it is a republication of.
    BeforeOrigin,
}

/// One sighting's place in the group.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRelation {
    /// Its index in the sightings given.
    pub index: usize,
    /// Its relation to the origin.
    pub relation: Relation,
    /// Its time (publication, or fetch when that is missing or wrong).
    pub time: DateTime<Utc>,
    /// Its time minus the origin's.
    pub lag: TimeDelta,
    /// The outlet it credits, if any.
    pub attribution: Option<Attribution>,
    /// Oddities in its times.
    pub anomalies: Vec<Anomaly>,
}

/// The origin of a group and every member's relation to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The origin's index in the sightings given.
    pub origin: usize,
    /// How it was chosen.
    pub basis: OriginBasis,
    /// Every sighting, in the order given.
    pub members: Vec<MemberRelation>,
}

/// The first and last `chars` characters of a text (the whole text twice when it is
/// short), for [`Sighting::head`] and [`Sighting::tail`].
pub fn head_and_tail(text: &str, chars: usize) -> (&str, &str) {
    let head_end = text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i);
    let tail_start = if chars == 0 {
        text.len()
    } else {
        text.char_indices().rev().nth(chars - 1).map_or(0, |(i, _)| i)
    };
    (&text[..head_end], &text[tail_start..])
}

const SLACK: TimeDelta = TimeDelta::minutes(10);
const AGGREGATOR_DELAY: TimeDelta = TimeDelta::minutes(60);

/// What may stand between the marker and the name ("Theo báo điện tử Dân trí"), folded.
const NAME_PREFIXES: [&[&str]; 8] = [
    &["bao"],
    &["bao", "dien", "tu"],
    &["tap", "chi"],
    &["trang"],
    &["trang", "tin"],
    &["trang", "tin", "dien", "tu"],
    &["dai"],
    &["kenh"],
];

/// The first outlet a text credits, looking at its head, then its tail.
pub(crate) fn attribution(outlets: &Outlets, head: &str, tail: &str) -> Option<usize> {
    [head, tail].into_iter().find_map(|text| scan(outlets, &vi_text::display(text)))
}

fn scan(outlets: &Outlets, display: &str) -> Option<usize> {
    let tokens = vi_text::tokenize(display);
    let gap_before = |i: usize| {
        let from = if i == 0 { 0 } else { tokens[i - 1].end };
        &display[from..tokens[i].start]
    };
    let gap_after = |i: usize| {
        let to = tokens.get(i + 1).map_or(display.len(), |t| t.start);
        &display[tokens[i].end..to]
    };
    // A credit ends its line or parenthesis (or, opening the text, its clause) within two
    // more words: "Theo TTXVN", "(Theo Tuổi Trẻ Online)", "Theo báo Dân trí, sáng 12/7 …",
    // but not "Theo Sở Y tế Hà Nội, tuần qua …" in the middle of a report.
    let ends = |end: usize, clause: bool| {
        let breaks: &[char] =
            if clause { &[')', '\n', ',', ':', '.', '-', '–', '—'] } else { &[')', '\n'] };
        (end - 1..tokens.len().min(end + 2))
            .any(|j| j + 1 == tokens.len() || gap_after(j).contains(breaks))
    };
    let name_at = |i: usize| {
        let bare = std::iter::once(&[][..]);
        bare.chain(NAME_PREFIXES).find_map(|prefix| {
            let start = i + prefix.len();
            let words = tokens.get(i..start)?;
            if words.iter().zip(prefix.iter()).any(|(t, p)| t.folded != *p) {
                return None;
            }
            outlets.match_at(&tokens, start).map(|(e, n)| (e, start + n))
        })
    };
    for i in 0..tokens.len() {
        let before = gap_before(i);
        let found = match tokens[i].folded.as_str() {
            "theo" if i == 0 || before.contains(['\n', '(', '[']) => {
                name_at(i + 1).filter(|&(_, end)| ends(end, i == 0))
            }
            "nguon" => name_at(i + 1),
            // Datelines and bare credits: "Hà Nội (TTXVN) -", "(Dân trí) -".
            _ if before.contains('(') => outlets
                .match_at(&tokens, i)
                .filter(|&(_, n)| gap_after(i + n - 1).trim_start().starts_with(')'))
                .map(|(e, n)| (e, i + n)),
            _ => None,
        };
        if let Some((entry, _)) = found {
            return Some(entry);
        }
    }
    None
}

fn tier_rank(t: Tier) -> u8 {
    match t {
        Tier::Official => 0,
        Tier::Press => 1,
        Tier::Social => 2,
        Tier::Aggregator => 3,
    }
}

/// The outlet a sighting's text credits ("Theo TTXVN" at its head or tail), as an entry of
/// `outlets`: what [`first_publisher_credited`] takes, and what a caller may keep for a
/// sighting whose text does not change instead of reading it again.
pub fn credit(outlets: &Outlets, head: &str, tail: &str) -> Option<usize> {
    attribution(outlets, head, tail)
}

/// The origin of a group of sightings and every member's relation to it; `None` for no
/// sightings.
pub fn first_publisher(sightings: &[Sighting<'_>], outlets: &Outlets) -> Option<Provenance> {
    let credits: Vec<Option<usize>> =
        sightings.iter().map(|s| attribution(outlets, s.head, s.tail)).collect();
    first_publisher_credited(sightings, outlets, &credits)
}

/// [`first_publisher`] with each sighting's [`credit`] already found, in order.
pub fn first_publisher_credited(
    sightings: &[Sighting<'_>],
    outlets: &Outlets,
    credits: &[Option<usize>],
) -> Option<Provenance> {
    if sightings.is_empty() {
        return None;
    }
    let mut anomalies: Vec<Vec<Anomaly>> = vec![Vec::new(); sightings.len()];
    let times: Vec<DateTime<Utc>> = sightings
        .iter()
        .enumerate()
        .map(|(i, s)| match s.published {
            Some(p) if p > s.fetched + SLACK => {
                anomalies[i].push(Anomaly::PublishedAfterFetch);
                s.fetched
            }
            Some(p) => p,
            None => s.fetched,
        })
        .collect();
    // Credits to another outlet than the sighting's own.
    let credits: Vec<Option<usize>> = sightings
        .iter()
        .zip(credits)
        .map(|(s, c)| c.filter(|&e| !outlets.names[e].2.contains(&s.source)))
        .collect();
    let order = |a: usize, b: usize| {
        let (sa, sb) = (&sightings[a], &sightings[b]);
        (times[a], tier_rank(sa.tier), sa.fetched, sa.source, sa.document, a).cmp(&(
            times[b],
            tier_rank(sb.tier),
            sb.fetched,
            sb.source,
            sb.document,
            b,
        ))
    };
    let earliest = |pick: &dyn Fn(usize) -> bool| {
        (0..sightings.len()).filter(|&i| pick(i)).min_by(|&a, &b| order(a, b))
    };
    let press_present = sightings.iter().any(|s| matches!(s.tier, Tier::Official | Tier::Press));
    let member_of = |entry: usize, i: usize| outlets.names[entry].2.contains(&sightings[i].source);

    // Outlets credited that are members, with how many sightings credit each.
    let mut credited: Vec<(usize, usize)> = Vec::new();
    for &e in credits.iter().flatten() {
        let present = (0..sightings.len())
            .any(|i| member_of(e, i) && !(press_present && sightings[i].tier == Tier::Aggregator));
        if !present {
            continue;
        }
        match credited.iter_mut().find(|(c, _)| *c == e) {
            Some((_, n)) => *n += 1,
            None => credited.push((e, 1)),
        }
    }
    // A credited outlet whose own sightings credit another credited outlet is a link in
    // the chain, not its start.
    let root = |e: usize| {
        !(0..sightings.len()).any(|i| {
            member_of(e, i)
                && credits[i].is_some_and(|c| c != e && credited.iter().any(|x| x.0 == c))
        })
    };
    let pick_credited = credited
        .iter()
        .map(|&(e, n)| (e, n, root(e)))
        .filter_map(|(e, n, is_root)| {
            let first = earliest(&|i| {
                member_of(e, i) && !(press_present && sightings[i].tier == Tier::Aggregator)
            })?;
            Some((is_root, n, first))
        })
        .max_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(order(b.2, a.2)));

    let (origin, basis) = if let Some((_, _, first)) = pick_credited {
        (first, OriginBasis::Attribution)
    } else if let Some(first) = earliest(&|i| sightings[i].tier != Tier::Aggregator) {
        (first, OriginBasis::Earliest)
    } else {
        (earliest(&|_| true)?, OriginBasis::Uncertain)
    };

    let members = (0..sightings.len())
        .map(|i| {
            let lag = times[i] - times[origin];
            let relation = if i == origin {
                Relation::Origin
            } else if sightings[i].tier == Tier::Aggregator {
                Relation::AggregatorCopy
            } else if credits[i].is_some() {
                Relation::RepublicationAttributed
            } else {
                Relation::RepublicationUnattributed
            };
            let mut flags = std::mem::take(&mut anomalies[i]);
            if relation == Relation::AggregatorCopy && lag < AGGREGATOR_DELAY {
                flags.push(Anomaly::AggregatorTooEarly);
            } else if i != origin && lag < TimeDelta::zero() {
                flags.push(Anomaly::BeforeOrigin);
            }
            MemberRelation {
                index: i,
                relation,
                time: times[i],
                lag,
                attribution: credits[i].map(|e| Attribution {
                    outlet: outlets.names[e].1.clone(),
                    sources: outlets.names[e].2.clone(),
                }),
                anomalies: flags,
            }
        })
        .collect();
    Some(Provenance { origin, basis, members })
}
