//! Correction tracking: once the office has responded to an alert, whether the outlets that
//! carried its claim corrected it, for the 14 days after the response (research wave 2,
//! §5.2).
//!
//! Each scan ([`scan_corrections`]; [`run_corrections`] every interval):
//!
//! 1. starts tracking every alert with a response that is not tracked yet: the window from
//!    t0, the response's publication, and the system's move from `responded` to
//!    `tracking`;
//! 2. records the alert's items not recorded yet (every place its documents were seen,
//!    copies included): a carrier when it carried the claim by t0 + 24 h, residual spread
//!    after that, and neither when it is itself a refutation, a correction or the response
//!    republished;
//! 3. reads what the carrying outlets published since the last scan (a refutation of the
//!    claim, a formal correction in the story, the response's key sentences or its link);
//! 4. looks at revisions of the carried documents that no longer match the alert's rule;
//! 5. re-fetches each carrying page due a check (t0 + 1 h, 6 h, 24 h, 72 h, 7 days),
//!    conditionally, through the same polite client as the pipeline, at most once per page
//!    per slot and at most [`MAX_FETCHES_PER_SCAN`] per scan;
//! 6. closes the alert (the system, with the coverage as its note) once the window ends,
//!    unless a person closed it before.
//!
//! What each observation means is decided by `alerts::corrections`; every outcome change is
//! written with its `correction` event.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alerts::corrections::{self as corr, Basis, Evidence, Fetch};
use model::{CorrectionOutcome, SourceKind, Timestamp};
use store::{
    AlertItem, CheckDone, CorrectionWatch, ItemRole, ItemUpdate, NewCorrectionItem, Observed,
    Store, TrackedItem,
};

use crate::Result;

/// Pages re-fetched per scan at most; the rest are due at the next scan.
pub const MAX_FETCHES_PER_SCAN: usize = 40;

/// Rows read per query.
const PAGE: i64 = 500;

/// How correction tracking runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CorrectionConfig {
    /// Time between scans (one runs at start).
    pub interval: Duration,
}

impl Default for CorrectionConfig {
    /// A scan a minute: checks fall due on the hour after a response, and a scan that has
    /// nothing to do reads a few rows.
    fn default() -> Self {
        CorrectionConfig { interval: Duration::from_secs(60) }
    }
}

/// Re-fetches carrying pages: the pipeline's HTTP client (its user agent, per-host pauses
/// and robots.txt) and article extractor.
#[derive(Clone)]
pub struct Refetcher {
    client: fetch::Client,
    extractor: Arc<extract::Extractor>,
}

impl std::fmt::Debug for Refetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refetcher").field("client", &self.client).finish_non_exhaustive()
    }
}

/// What a re-fetch of a page got, before it is judged against an item's passage.
#[derive(Debug, Clone)]
enum Got {
    NotModified,
    Status(u16),
    Page {
        final_url: String,
        /// The title, lead and article text read from it.
        text: String,
        /// Whether no article text was read.
        empty: bool,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    Failed,
}

/// One re-fetch, as recorded and as judged.
struct Checked {
    fetch: Fetch,
    status: u16,
    etag: Option<String>,
    last_modified: Option<String>,
}

impl Refetcher {
    /// Re-fetches with `client` (share the pipeline's, so one host sees one polite
    /// crawler) and reads pages with `extractor`.
    pub fn new(client: fetch::Client, extractor: Arc<extract::Extractor>) -> Refetcher {
        Refetcher { client, extractor }
    }

    async fn get(&self, item: &TrackedItem) -> Got {
        let access =
            if item.allow_private { fetch::Access::Private } else { fetch::Access::Public };
        let validators = fetch::Validators {
            etag: item.etag.clone(),
            last_modified: item.last_modified.clone(),
        };
        let url = &item.carrier.url;
        match self.client.get(url, &validators, access).await {
            Ok(fetch::Fetched::NotModified { .. }) => Got::NotModified,
            Ok(fetch::Fetched::Body(r)) => {
                let html = feeds::decode_for_url(&r.bytes, r.content_type.as_deref(), &r.url).text;
                let page = self.extractor.article(&html, &r.url);
                let empty = page.text.trim().is_empty();
                let text = [page.title, page.lead, Some(page.text)]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("\n");
                Got::Page {
                    final_url: r.url,
                    text,
                    empty,
                    etag: r.validators.etag,
                    last_modified: r.validators.last_modified,
                }
            }
            Err(fetch::Error::Status { status, .. }) => Got::Status(status),
            Err(error) => {
                tracing::debug!(url = %url, error = %error, "Carrying page not re-fetched.");
                Got::Failed
            }
        }
    }
}

/// What a re-fetch says of one item: its page against the item's matched sentences.
fn judge(item: &TrackedItem, got: &Got) -> Checked {
    let plain = |fetch, status| Checked { fetch, status, etag: None, last_modified: None };
    match got {
        Got::NotModified => plain(Fetch::NotModified, 304),
        Got::Status(status) => plain(Fetch::Status(*status), *status),
        Got::Failed => plain(Fetch::Failed, 0),
        Got::Page { final_url, text, empty, etag, last_modified } => {
            let containment = (!item.passage.trim().is_empty())
                .then(|| corr::containment(&shingles(&item.passage), &shingles(text)));
            Checked {
                fetch: Fetch::Page { final_url: final_url.clone(), empty: *empty, containment },
                status: 200,
                etag: etag.clone(),
                last_modified: last_modified.clone(),
            }
        }
    }
}

/// The sorted distinct 5-syllable shingles of a text, as near-copies compare them; none for
/// a text without syllables.
fn shingles(text: &str) -> Vec<u32> {
    let syllables = signals::Syllables::from_text("", "", text);
    if syllables.is_empty() {
        return Vec::new();
    }
    let params = signals::copies::Params { min_syllables: 0, ..Default::default() };
    signals::CopyDoc::new(&syllables, &params).map(|d| d.shingles().to_vec()).unwrap_or_default()
}

/// What later documents are compared with: the response's key sentences and address.
struct Response {
    shingles: Vec<u32>,
    /// The address without its scheme, `www.` or trailing slash.
    link: Option<String>,
}

impl Response {
    fn new(text: &str, url: Option<&str>) -> Response {
        let link = url.map(|u| {
            let u = u.trim();
            let u = u.split_once("://").map_or(u, |(_, r)| r);
            u.strip_prefix("www.").unwrap_or(u).trim_end_matches('/').to_owned()
        });
        Response {
            shingles: shingles(&corr::key_sentences(text, corr::KEY_SENTENCES)),
            // A bare host would be linked by every article of the office's own site.
            link: link.filter(|l| l.contains('/')),
        }
    }

    fn evidence<'a>(
        &self,
        title: &'a str,
        text: &str,
        stance: Option<model::Stance>,
        same_story: bool,
    ) -> Evidence<'a> {
        Evidence {
            title,
            stance,
            same_story,
            response_containment: corr::containment(
                &self.shingles,
                &shingles(&format!("{title}\n{text}")),
            ),
            links_response: self.link.as_deref().is_some_and(|l| text.contains(l)),
        }
    }
}

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CorrectionScan {
    /// Alerts whose tracking started.
    pub started: usize,
    /// Alerts tracked during the scan.
    pub tracked: usize,
    /// Items recorded.
    pub items: u64,
    /// Item outcomes that changed (each with its event).
    pub changes: usize,
    /// Pages re-fetched.
    pub fetches: usize,
    /// Trackings that ended.
    pub finished: usize,
    /// Of which the system closed the alert.
    pub closed: usize,
    /// Alerts skipped because they changed during the scan (done at the next).
    pub conflicts: usize,
}

/// Runs one scan at `now`: starts tracking new responses, records new items, reads the
/// carrying outlets' later documents, re-fetches the pages due, and ends the trackings
/// whose window is over.
pub async fn scan_corrections(
    store: &Store,
    fetcher: &Refetcher,
    now: Timestamp,
) -> Result<CorrectionScan> {
    let mut scan = CorrectionScan::default();
    for alert_id in store.corrections_to_start().await? {
        if let Some(start) = store.start_corrections(alert_id, now).await? {
            scan.started += 1;
            tracing::info!(
                alert_id,
                response_id = start.window.response_id,
                t0 = %start.window.started_at,
                "Correction tracking started."
            );
        }
    }
    let mut fetches = Fetches { budget: MAX_FETCHES_PER_SCAN, got: HashMap::new() };
    for watch in store.corrections_active().await? {
        scan.tracked += 1;
        match track(store, fetcher, &watch, now, &mut fetches, &mut scan).await {
            Ok(()) => {}
            // Somebody moved the alert or the item meanwhile: the next scan sees the new state.
            Err(crate::Error::Store(e @ (store::Error::Stale(_) | store::Error::Refused(_)))) => {
                scan.conflicts += 1;
                tracing::warn!(alert_id = watch.window.alert_id, error = %e, "Correction check deferred.");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(scan)
}

/// The re-fetches of one scan: how many more it may make, and what each page got, so a
/// page two alerts track is requested once.
struct Fetches {
    budget: usize,
    got: HashMap<String, Got>,
}

async fn track(
    store: &Store,
    fetcher: &Refetcher,
    watch: &CorrectionWatch,
    now: Timestamp,
    fetches: &mut Fetches,
    scan: &mut CorrectionScan,
) -> Result<()> {
    let alert_id = watch.window.alert_id;
    let t0 = watch.window.started_at;
    let response = Response::new(&watch.response_text, watch.response_url.as_deref());

    loop {
        let new = store.correction_new_items(alert_id, &watch.rule_id, PAGE).await?;
        let items: Vec<NewCorrectionItem> =
            new.iter().map(|item| new_item(item, &response, t0)).collect();
        scan.items += store.add_correction_items(alert_id, &items).await?;
        if new.len() < PAGE as usize {
            break;
        }
    }

    let mut items: Vec<TrackedItem> = store
        .correction_items(alert_id, &watch.rule_id)
        .await?
        .into_iter()
        .filter(|i| i.role == ItemRole::Carrier)
        .collect();
    if let Some(since) = items.iter().map(|i| i.carrier.carried_at).min() {
        let mut cursor = watch.evidence_cursor;
        loop {
            let candidates =
                store.correction_candidates(alert_id, &watch.rule_id, cursor, since, PAGE).await?;
            for c in &candidates {
                cursor = c.sighting_id;
                if items.iter().any(|i| i.carrier.url == c.url) {
                    continue;
                }
                let same_story = c.story.is_some_and(|s| watch.stories.contains(&s));
                let text = c.document.doc.full_text();
                let evidence =
                    response.evidence(&c.document.doc.title, &text, c.stance, same_story);
                let Some(found) = corr::evidence_outcome(&evidence) else { continue };
                for item in items
                    .iter_mut()
                    .filter(|i| i.carrier.source_id == c.source_id && c.at > i.carrier.carried_at)
                {
                    let update =
                        Found { observed: Some(found), at: c.at, evidence: Some(c.document.id) };
                    apply(store, item, update, None, None, now, scan).await?;
                }
            }
            store.set_correction_cursor(alert_id, cursor).await?;
            if candidates.len() < PAGE as usize {
                break;
            }
        }
    }

    for item in items.iter_mut().filter(|i| i.revision > i.seen_revision) {
        // Only an item that matched the rule when tracking began can lose the match.
        let lost = !item.still_hits && !item.passage.is_empty();
        let observed = lost.then_some((CorrectionOutcome::EditedOut, Basis::Revision));
        let at = item.revised_at.unwrap_or(now);
        let found = Found { observed, at, evidence: Some(item.carrier.document_id) };
        let revision = Some(item.revision);
        apply(store, item, found, None, revision, now, scan).await?;
    }

    let reached = corr::checks_reached(t0, now);
    for item in items.iter_mut().filter(|i| i.fetchable && i.carrier.checks < reached) {
        let got = match fetches.got.get(&item.carrier.url) {
            Some(got) => got.clone(),
            None if fetches.budget == 0 => continue,
            None => {
                fetches.budget -= 1;
                scan.fetches += 1;
                let got = fetcher.get(item).await;
                fetches.got.insert(item.carrier.url.clone(), got.clone());
                got
            }
        };
        let checked = judge(item, &got);
        let observed = corr::classify(&item.carrier.url, &checked.fetch);
        let check = CheckDone {
            checks: reached,
            next_check_at: corr::next_check(t0, reached),
            at: now,
            status: checked.status,
            etag: checked.etag,
            last_modified: checked.last_modified,
        };
        apply(
            store,
            item,
            Found { observed, at: now, evidence: None },
            Some(check),
            None,
            now,
            scan,
        )
        .await?;
    }

    if now >= watch.window.ends_at {
        let closed = store.finish_corrections(alert_id, now).await?;
        scan.finished += 1;
        if closed.is_some() {
            scan.closed += 1;
        }
        tracing::info!(alert_id, closed = closed.is_some(), "Correction tracking ended.");
    }
    Ok(())
}

/// What the evidence or a check showed of an item.
struct Found {
    observed: Option<(CorrectionOutcome, Basis)>,
    at: Timestamp,
    evidence: Option<i64>,
}

/// Writes what was found of an item (its new outcome with its event, a check, a revision
/// looked at) and keeps the copy in hand in step.
async fn apply(
    store: &Store,
    item: &mut TrackedItem,
    found: Found,
    check: Option<CheckDone>,
    seen_revision: Option<i64>,
    now: Timestamp,
    scan: &mut CorrectionScan,
) -> Result<()> {
    let observed = found.observed.and_then(|(outcome, basis)| {
        let to = corr::observe(&item.carrier.state, outcome, found.at)?;
        Some(Observed { from: item.carrier.state, to, basis, evidence_document: found.evidence })
    });
    if observed.is_none() && check.is_none() && seen_revision.is_none() {
        return Ok(());
    }
    let update =
        ItemUpdate { item_id: item.carrier.id, observed, check: check.clone(), seen_revision };
    store.update_correction_item(&update, now).await?;
    if let Some(o) = observed {
        scan.changes += 1;
        tracing::info!(
            item_id = item.carrier.id,
            outlet = %item.carrier.outlet,
            url = %item.carrier.url,
            from = o.from.outcome.as_str(),
            to = o.to.outcome.as_str(),
            basis = o.basis.as_str(),
            "Correction outcome changed."
        );
        item.carrier.state = o.to;
        item.carrier.basis = Some(o.basis);
        item.carrier.evidence_document = o.evidence_document;
    }
    if let Some(c) = check {
        item.carrier.checks = c.checks;
        item.carrier.next_check = c.next_check_at;
        item.carrier.last_checked_at = Some(c.at);
        item.carrier.last_status = Some(c.status);
        item.etag = c.etag.or(item.etag.take());
        item.last_modified = c.last_modified.or(item.last_modified.take());
    }
    if let Some(r) = seen_revision {
        item.seen_revision = r;
    }
    Ok(())
}

/// An item of the alert as tracking records it: its role, the sentences it carried, its
/// reach, and whether and when its page is re-fetched.
fn new_item(item: &AlertItem, response: &Response, t0: Timestamp) -> NewCorrectionItem {
    let doc = &item.document.doc;
    let title = vi_text::display(&doc.title);
    let text = vi_text::display(&doc.full_text());
    let evidence = response.evidence(&title, &text, item.stance, true);
    let role = if corr::is_counter_item(&evidence) {
        ItemRole::Counter
    } else if item.carried_at > corr::residual_from(t0) {
        ItemRole::Late
    } else {
        ItemRole::Carrier
    };
    let post = if item.own { doc.post.as_ref() } else { None };
    let (reach, reach_basis) = corr::reach(item.tier, post);
    // Social posts and imported files are not pages a crawler should ask for again.
    let fetchable = role == ItemRole::Carrier
        && item.kind != SourceKind::Import
        && post.is_none()
        && (item.url.starts_with("http://") || item.url.starts_with("https://"));
    NewCorrectionItem {
        sighting_id: item.sighting_id,
        document_id: item.document.id,
        source_id: item.source_id,
        url: item.url.clone(),
        carried_at: item.carried_at,
        role,
        reach,
        reach_basis,
        passage: if role == ItemRole::Carrier {
            corr::passage(&title, &text, &item.terms)
        } else {
            String::new()
        },
        fetchable,
        next_check_at: if fetchable { corr::next_check(t0, 0) } else { None },
        seen_revision: item.document.revision,
    }
}

/// Scans at once, then every `config.interval`, until `shutdown` completes, at the time
/// `clock` gives. A failed scan is logged and retried at the next interval; a scan under
/// way when `shutdown` completes is abandoned (each write is its own transaction, and the
/// next start carries on from what was written).
pub async fn run_corrections<C>(
    store: Store,
    fetcher: Refetcher,
    config: CorrectionConfig,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    C: Fn() -> Timestamp,
{
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    tracing::info!(interval_secs = config.interval.as_secs(), "Correction scans started.");
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticker.tick() => {}
        }
        let scan = scan_corrections(&store, &fetcher, clock());
        let result = tokio::select! {
            () = &mut shutdown => break,
            result = scan => result,
        };
        match result {
            Ok(s) if s.started + s.changes + s.finished + s.items as usize > 0 => tracing::info!(
                started = s.started,
                tracked = s.tracked,
                items = s.items,
                changes = s.changes,
                fetches = s.fetches,
                finished = s.finished,
                closed = s.closed,
                "Correction scan done."
            ),
            Ok(s) => {
                tracing::debug!(tracked = s.tracked, fetches = s.fetches, "Correction scan done.")
            }
            Err(e) => {
                tracing::warn!(error = %e, "Correction scan failed; retrying at the next interval.")
            }
        }
    }
    tracing::info!("Correction scans stopped.");
}
