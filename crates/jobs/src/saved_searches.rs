//! Saved-search notifications: each pass reads the documents stored since the saved
//! searches were last looked at, matches every saved query against each document once
//! (the queries compiled together as standing rules, with the semantics the search index
//! has), applies each search's filters to the document's stored facts, and writes one
//! outbox message per subscription channel of the owner announcing the new matches. The
//! messages and the search's cursor move in one transaction (`Store::saved_search_notified`),
//! so a match is announced once whatever crashes between passes.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::time::Duration;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as esc};
use model::{
    Channel, Document, RuleKind, Severity, SourceTier, Subscription, Timestamp, to_vn_time,
};
use rules::{Analyzed, Rule, RuleSet};
use store::{DocumentFacts, NewOutgoing, SavedSearch, SearchFilters, Store};

use crate::notifications::Letterhead;
use crate::notifications::decide::quiet_until;

/// How often saved searches are looked at by default.
pub const SAVED_SEARCH_INTERVAL: Duration = Duration::from_secs(300);

/// Documents read per page.
const PAGE: i64 = 500;
/// Documents one pass reads at most; the next pass goes on from there.
const MAX_DOCUMENTS_PER_PASS: usize = 5_000;
/// Matches a message lists; the rest are counted.
const LISTED: usize = 10;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SavedSearchScan {
    /// Saved searches with notifications on.
    pub searches: usize,
    /// Documents read.
    pub documents: usize,
    /// New matches, over every search.
    pub matches: usize,
    /// Messages written to the outbox.
    pub messages: usize,
}

/// The id a saved search's query has among the standing rules of a pass.
fn rule_id(search: i64) -> String {
    format!("saved.{search}")
}

/// Whether a document, with its stored facts, passes a saved search's filters: the same
/// conditions the search page's filters put on the index (a stance with a topic is the
/// stance of that topic's hit).
pub fn admits(
    filters: &SearchFilters,
    doc: &Document,
    facts: Option<&DocumentFacts>,
    tier: Option<SourceTier>,
    story: Option<i64>,
) -> bool {
    let day = to_vn_time(doc.time()).date_naive();
    let province = facts.and_then(|f| f.province.as_deref());
    let hits = facts.map_or(&[][..], |f| f.hits.as_slice());
    let hit = match (&filters.topic, filters.stance) {
        (None, None) => true,
        (topic, stance) => hits.iter().any(|h| {
            topic.as_ref().is_none_or(|t| h.rule_id == *t)
                && stance.is_none_or(|s| h.stance == Some(s))
        }),
    };
    filters.from.is_none_or(|d| day >= d)
        && filters.to.is_none_or(|d| day <= d)
        && filters.source.is_none_or(|s| s == doc.doc.source_id)
        && filters.tier.is_none_or(|t| Some(t) == tier)
        && filters.province.as_deref().is_none_or(|p| province == Some(p))
        && filters.story.is_none_or(|s| Some(s) == story)
        && filters.kind.is_none_or(|k| hits.iter().any(|h| h.kind == k))
        && hit
}

/// One new match, as a message lists it.
#[derive(Debug, Clone)]
struct Match {
    id: i64,
    title: String,
    source: String,
    time: Timestamp,
}

/// Looks at every saved search with notifications on: reads the documents stored after
/// the earliest cursor (at most [`MAX_DOCUMENTS_PER_PASS`] of them), and for each search
/// announces its matches among the documents after its own cursor and moves the cursor
/// to the last document read.
pub async fn scan_saved_searches(
    store: &Store,
    letterhead: &Letterhead,
    now: Timestamp,
) -> crate::Result<SavedSearchScan> {
    let searches = store.notifying_saved_searches().await?;
    let mut scan = SavedSearchScan { searches: searches.len(), ..SavedSearchScan::default() };
    let Some(start) = searches.iter().map(|s| s.last_notified_doc).min() else {
        return Ok(scan);
    };
    // Every query is compiled once into one set of standing rules; a document is analysed
    // once and matched against all of them.
    let mut standing = Vec::new();
    for s in &searches {
        if s.query.trim().is_empty() {
            continue;
        }
        match Rule::from_query(&rule_id(s.id), RuleKind::Watch, Severity::Low, &s.query) {
            Ok(rule) => standing.push(rule),
            Err(e) => tracing::warn!(
                saved_search = s.id, error = %e.message,
                "A saved search's query no longer parses; it matches nothing."
            ),
        }
    }
    let set = RuleSet::from_rules(standing);
    let tiers: HashMap<i64, SourceTier> =
        store.list_sources().await?.into_iter().map(|s| (s.id, s.tier)).collect();
    let mut found: BTreeMap<i64, Vec<Match>> = BTreeMap::new();
    let mut after = start;
    while scan.documents < MAX_DOCUMENTS_PER_PASS {
        let docs = store.documents_after(after, PAGE).await?;
        let Some(last) = docs.last().map(|d| d.id) else { break };
        let facts = store.document_facts(after, last).await?;
        let ids: Vec<i64> = docs.iter().map(|d| d.id).collect();
        let stories: HashMap<i64, i64> = store.stories_of(&ids).await?.into_iter().collect();
        for doc in &docs {
            let hits = set.match_analyzed(&Analyzed::document(&doc.doc, &doc.source_name));
            for s in searches.iter().filter(|s| s.last_notified_doc < doc.id) {
                let matched =
                    s.query.trim().is_empty() || hits.iter().any(|h| *h.rule_id == *rule_id(s.id));
                let tier = tiers.get(&doc.doc.source_id).copied();
                let story = stories.get(&doc.id).copied();
                if matched && admits(&s.filters, doc, facts.get(&doc.id), tier, story) {
                    found.entry(s.id).or_default().push(Match {
                        id: doc.id,
                        title: doc.doc.title.clone(),
                        source: doc.source_name.clone(),
                        time: doc.time(),
                    });
                }
            }
        }
        scan.documents += docs.len();
        after = last;
        if docs.len() < usize::try_from(PAGE).unwrap_or(usize::MAX) {
            break;
        }
    }
    for s in searches.iter().filter(|s| s.last_notified_doc < after) {
        let matches = found.remove(&s.id).unwrap_or_default();
        let messages = if matches.is_empty() {
            Vec::new()
        } else {
            let subscriptions = store.subscriptions_of(s.owner_id).await?;
            messages(s, &matches, &subscriptions, letterhead, now)
        };
        // `None`: another process announced this batch meanwhile.
        let announced =
            store.saved_search_notified(s.id, s.last_notified_doc, after, &messages, now).await?;
        if let Some(written) = announced {
            scan.matches += matches.len();
            scan.messages += written;
        }
    }
    Ok(scan)
}

/// Looks at saved searches every `interval` until `shutdown` completes.
pub async fn run_saved_searches<C>(
    store: Store,
    letterhead: Letterhead,
    interval: Duration,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    C: Fn() -> Timestamp,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(interval_secs = interval.as_secs(), "Saved-search notifications started.");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let pass = scan_saved_searches(&store, &letterhead, clock());
        let result = tokio::select! {
            () = &mut shutdown => break,
            result = pass => result,
        };
        match result {
            Ok(scan) if scan.messages > 0 || scan.matches > 0 => tracing::info!(
                n_searches = scan.searches,
                n_documents = scan.documents,
                n_matches = scan.matches,
                n_messages = scan.messages,
                "Saved-search matches announced."
            ),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "Saved-search pass failed; retrying next interval.")
            }
        }
    }
    tracing::info!("Saved-search notifications stopped.");
}

/// The messages announcing `matches` of `search`: one per enabled subscription of its
/// owner, due now or when the subscription's quiet hours end (a saved search's news is
/// never urgent).
fn messages(
    search: &SavedSearch,
    matches: &[Match],
    subscriptions: &[Subscription],
    letterhead: &Letterhead,
    now: Timestamp,
) -> Vec<(NewOutgoing, Timestamp)> {
    let last = matches.iter().map(|m| m.id).max().unwrap_or_default();
    let search_link = letterhead.link(&search.filters.search_path(&search.query, "newest"));
    let subject = format!("Tìm kiếm đã lưu “{}”: {} bài mới", search.name, matches.len());
    let listed: Vec<(String, String)> = matches
        .iter()
        .rev()
        .take(LISTED)
        .map(|m| {
            let line = format!(
                "{} — {}, {}",
                m.title,
                m.source,
                to_vn_time(m.time).format("%H:%M %d/%m/%Y")
            );
            (line, letterhead.link(&format!("/documents/{}", m.id)))
        })
        .collect();
    let more = matches.len().saturating_sub(LISTED);
    let mut text = format!(
        "{} bài mới khớp tìm kiếm đã lưu “{}” ({}):\n\n",
        matches.len(),
        search.name,
        if search.query.is_empty() { "chỉ bộ lọc" } else { search.query.as_str() }
    );
    for (line, link) in &listed {
        text.push_str(&format!("- {line}\n  {link}\n"));
    }
    if more > 0 {
        text.push_str(&format!("… và {more} bài khác.\n"));
    }
    text.push_str(&format!("\nXem tất cả: {search_link}\n"));
    let mut out = Vec::new();
    for sub in subscriptions.iter().filter(|s| s.settings.enabled) {
        let key = format!("saved_search:{}:doc:{last}:sub:{}", search.id, sub.id);
        let target = sub.settings.target.as_str();
        let body = match sub.settings.channel {
            Channel::Email => {
                let html = html_body(&subject, &listed, more, &search_link);
                let id = letterhead.message_id(&key);
                let from = letterhead.from.as_str();
                match notify::email::compose(from, target, &subject, &text, Some(&html), &id) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        tracing::warn!(saved_search = search.id, subscription = sub.id, error = %e,
                            "A saved-search e-mail cannot be composed; skipped.");
                        continue;
                    }
                }
            }
            Channel::Webhook => webhook_body(&key, search, matches, &search_link, letterhead, now),
            Channel::Zalo => text.clone().into_bytes(),
        };
        let message = NewOutgoing {
            dedupe_key: key,
            kind: "saved_search".to_owned(),
            channel: sub.settings.channel,
            recipient: target.to_owned(),
            subject: subject.clone(),
            body,
        };
        let due = sub.settings.quiet.and_then(|q| quiet_until(q, now)).unwrap_or(now);
        out.push((message, due));
    }
    out
}

fn html_body(subject: &str, listed: &[(String, String)], more: usize, link: &str) -> String {
    let mut html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"></head>\
         <body style=\"font-family:Arial,sans-serif;font-size:15px;color:#1a1a1a\">\
         <p style=\"font-size:17px\"><strong>{}</strong></p><ul>",
        esc(subject)
    );
    for (line, href) in listed {
        html.push_str(&format!("<li><a href=\"{}\">{}</a></li>", attr(href), esc(line)));
    }
    html.push_str("</ul>");
    if more > 0 {
        html.push_str(&format!("<p>… và {more} bài khác.</p>"));
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Xem tất cả kết quả</a></p></body></html>",
        attr(link)
    ));
    html
}

/// The webhook payload, shaped as alert notifications are: `{type, id, created_at, data}`.
fn webhook_body(
    key: &str,
    search: &SavedSearch,
    matches: &[Match],
    link: &str,
    letterhead: &Letterhead,
    now: Timestamp,
) -> Vec<u8> {
    let items: Vec<serde_json::Value> = matches
        .iter()
        .map(|m| {
            serde_json::json!({
                "document_id": m.id, "title": m.title, "source": m.source,
                "published_at": m.time.to_rfc3339(),
                "dashboard_url": letterhead.link(&format!("/documents/{}", m.id)),
            })
        })
        .collect();
    serde_json::json!({
        "type": "saved_search.matches",
        "id": key,
        "created_at": now.to_rfc3339(),
        "data": {
            "saved_search": { "id": search.id, "name": search.name, "query": search.query },
            "total": matches.len(),
            "matches": items,
            "dashboard_url": link,
        },
    })
    .to_string()
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        let html = html_body("<b>", &[("<script>".into(), "/documents/1?a=\"b\"".into())], 2, "/x");
        assert!(!html.contains("<script>") && !html.contains("<b>"), "{html}");
        assert!(html.contains("&lt;script&gt;") && html.contains("&quot;b&quot;"));
    }
}
