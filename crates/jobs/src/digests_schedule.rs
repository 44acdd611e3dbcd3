//! The daily digest, scheduled: once a Vietnam day reaches `[digest] send_at` (07:00 by
//! default), the digest of the day before (complete by then) is written to the outbox, one
//! message per digest subscription and per configured address, with that day marked done
//! in the same transaction. The dedupe keys (`digest:{date}:{subscription}`) and the day's
//! mark make it once a day whatever the number of processes and restarts; a process that
//! was down at the hour sends it when it starts, the same day.
//!
//! Each reader gets the digest of their role ([`crate::digests::audience_for`]), composed by
//! [`crate::digests::compose_digest`] as the dashboard's web view shows it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Datelike, NaiveDate, NaiveTime};
use digest::{Audience, Composed};
use model::{Channel, Subscriber, Timestamp, User};
use rules::RuleSet;
use store::{NewOutgoing, Store};
use tokio::sync::Notify;

use crate::digests::{audience_for, compose_digest};
use crate::notifications::Letterhead;

/// The name of the digest's mark in `job_cursors`: the last day written, as `YYYYMMDD`.
pub const DIGEST_CURSOR: &str = "digests";

/// How often the clock is looked at.
pub const DIGEST_POLL: Duration = Duration::from_secs(1);

/// The day whose digest is due at `now`, if any: from `send_at` on (Vietnam time), the day
/// before, unless `last_sent` is that day already.
pub fn digest_due(
    send_at: NaiveTime,
    last_sent: Option<NaiveDate>,
    now: Timestamp,
) -> Option<NaiveDate> {
    let local = model::to_vn_time(now);
    if local.time() < send_at {
        return None;
    }
    let day = local.date_naive().pred_opt()?;
    last_sent.is_none_or(|d| d < day).then_some(day)
}

/// A day as the digest's mark stores it (`YYYYMMDD`).
pub fn day_mark(date: NaiveDate) -> i64 {
    i64::from(date.year()) * 10_000 + i64::from(date.month()) * 100 + i64::from(date.day())
}

fn day_of_mark(mark: i64) -> Option<NaiveDate> {
    let y = i32::try_from(mark / 10_000).ok()?;
    let m = u32::try_from(mark / 100 % 100).ok()?;
    let d = u32::try_from(mark % 100).ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// When the digest goes out, to whom besides subscribers, and how it is addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestPlan {
    /// When it goes out each day, Vietnam time.
    pub send_at: NaiveTime,
    /// Addresses that receive the leadership's digest by e-mail (`[digest] to`).
    pub to: Vec<String>,
    /// Links and the sender.
    pub letterhead: Letterhead,
}

/// The web view of a digest on the dashboard.
pub fn web_url(letterhead: &Letterhead, date: NaiveDate, audience: Audience) -> String {
    letterhead.link(&format!("/digest?date={}&role={}", date.format("%Y-%m-%d"), audience.as_str()))
}

/// One reader of a digest: a subscription or a configured address.
struct Reader<'a> {
    user: Option<&'a User>,
    channel: Channel,
    target: &'a str,
    /// What makes the dedupe key theirs: the subscription id, or `to:{address}`.
    part: String,
}

/// The messages of `date`'s digest, one per digest subscription and per configured
/// address, each keyed by `key(part)`.
#[allow(clippy::too_many_arguments)]
pub async fn digest_messages(
    store: &Store,
    rules: &RuleSet,
    subscribers: &[Subscriber],
    plan: &DigestPlan,
    date: NaiveDate,
    now: Timestamp,
    key: &(dyn Fn(&str) -> String + Sync),
) -> crate::Result<Vec<NewOutgoing>> {
    let readers = subscribers
        .iter()
        .filter(|s| s.subscription.settings.enabled && s.subscription.settings.digest)
        .map(|s| Reader {
            user: Some(&s.user),
            channel: s.subscription.settings.channel,
            target: &s.subscription.settings.target,
            part: s.subscription.id.to_string(),
        })
        .chain(plan.to.iter().map(|to| Reader {
            user: None,
            channel: Channel::Email,
            target: to,
            part: format!("to:{to}"),
        }));
    // An officer's digest shows their own queue; the others are the same for every reader.
    let mut shared: HashMap<Audience, Composed> = HashMap::new();
    let mut out = Vec::new();
    for reader in readers {
        let audience = audience_for(reader.user.map(|u| u.role));
        let composed = if audience == Audience::Officer {
            let public = &plan.letterhead.public_url;
            compose_digest(store, rules, audience, date, now, public, reader.user).await?
        } else if let Some(c) = shared.get(&audience) {
            c.clone()
        } else {
            let public = &plan.letterhead.public_url;
            let c = compose_digest(store, rules, audience, date, now, public, None).await?;
            shared.insert(audience, c.clone());
            c
        };
        let dedupe_key = key(&reader.part);
        let link = web_url(&plan.letterhead, date, audience);
        let body = match reader.channel {
            Channel::Email => {
                let to = [reader.target.to_owned()];
                let id = plan.letterhead.message_id(&dedupe_key);
                match crate::digests::to_message(&composed, &plan.letterhead.from, &to, now, &id) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        tracing::warn!(recipient = reader.target, error = %e, "A digest could not be addressed; it is skipped.");
                        continue;
                    }
                }
            }
            Channel::Webhook => serde_json::json!({
                "type": "digest.daily",
                "id": format!("digest_{}_{}", date.format("%Y%m%d"), reader.part),
                "created_at": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                "data": {
                    "date": date.format("%Y-%m-%d").to_string(),
                    "role": audience.as_str(),
                    "subject": composed.subject,
                    "text": composed.text,
                    "dashboard_url": link,
                },
            })
            .to_string()
            .into_bytes(),
            // Links, not content, in a chat app.
            Channel::Zalo => format!("{}\nXem: {link}", composed.subject).into_bytes(),
        };
        out.push(NewOutgoing {
            dedupe_key,
            kind: "digest".to_owned(),
            channel: reader.channel,
            recipient: reader.target.to_owned(),
            subject: composed.subject.clone(),
            body,
        });
    }
    Ok(out)
}

/// Writes `date`'s scheduled digest for everybody who receives it and marks the day done,
/// in one transaction; returns the messages written.
pub async fn enqueue_scheduled(
    store: &Store,
    rules: &RuleSet,
    plan: &DigestPlan,
    date: NaiveDate,
    now: Timestamp,
) -> crate::Result<usize> {
    let subscribers = store.subscribers().await?;
    let day = date.format("%Y-%m-%d").to_string();
    let key = |part: &str| format!("digest:{day}:{part}");
    let messages = digest_messages(store, rules, &subscribers, plan, date, now, &key).await?;
    let due: Vec<(NewOutgoing, Timestamp)> = messages.into_iter().map(|m| (m, now)).collect();
    Ok(store.enqueue_advancing(DIGEST_CURSOR, day_mark(date), &due, now).await?)
}

/// Writes `date`'s digest now for everybody who receives it, whatever was sent before
/// (`langnghe digest --send`); returns the dedupe keys written, to deliver them at once.
pub async fn enqueue_on_demand(
    store: &Store,
    rules: &RuleSet,
    plan: &DigestPlan,
    date: NaiveDate,
    now: Timestamp,
) -> crate::Result<Vec<String>> {
    let subscribers = store.subscribers().await?;
    let day = date.format("%Y-%m-%d").to_string();
    let stamp = now.timestamp_millis();
    let key = |part: &str| format!("digest:{day}:sent-{stamp}:{part}");
    let messages = digest_messages(store, rules, &subscribers, plan, date, now, &key).await?;
    let keys = messages.iter().map(|m| m.dedupe_key.clone()).collect();
    store.enqueue(&messages, now).await?;
    Ok(keys)
}

/// Writes each day's digest at `plan.send_at` until `shutdown`, with the rules `rules`
/// gives at the time (a reload reaches the digest), and wakes `delivery` when it wrote
/// messages.
pub async fn run_digests<R, C>(
    store: Store,
    rules: R,
    plan: DigestPlan,
    delivery: Arc<Notify>,
    clock: C,
    shutdown: impl Future<Output = ()>,
) where
    R: Fn() -> Arc<RuleSet>,
    C: Fn() -> Timestamp,
{
    tokio::pin!(shutdown);
    tracing::info!(send_at = %plan.send_at.format("%H:%M"), "Digest schedule started.");
    // The last day written, once read from the store.
    let mut last: Option<Option<NaiveDate>> = None;
    loop {
        let now = clock();
        if last.is_none() {
            match store.job_cursor(DIGEST_CURSOR).await {
                Ok(mark) => last = Some(day_of_mark(mark)),
                Err(e) => tracing::warn!(error = %e, "Cannot read the digest's mark; retrying."),
            }
        }
        if let Some(sent) = last
            && let Some(date) = digest_due(plan.send_at, sent, now)
        {
            let rules = rules();
            let work = enqueue_scheduled(&store, &rules, &plan, date, now);
            let result = tokio::select! {
                () = &mut shutdown => break,
                result = work => result,
            };
            match result {
                Ok(n) => {
                    tracing::info!(date = %date, messages = n, "Daily digest written to the outbox.");
                    // Read the mark again: it says this day now, whoever wrote it.
                    last = None;
                    if n > 0 {
                        delivery.notify_one();
                    }
                }
                Err(e) => {
                    tracing::warn!(date = %date, error = %e, "Daily digest failed; retrying.")
                }
            }
        }
        tokio::select! {
            () = &mut shutdown => break,
            () = tokio::time::sleep(DIGEST_POLL) => {}
        }
    }
    tracing::info!("Digest schedule stopped.");
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use model::VN_OFFSET;

    use super::*;

    fn vn(d: u32, h: u32, m: u32, s: u32) -> Timestamp {
        VN_OFFSET.with_ymd_and_hms(2026, 12, d, h, m, s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_day_is_due_from_its_hour_once() {
        let seven = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        let dec = |d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
        // At 07:00 on the 7th, the 6th is complete and due.
        assert_eq!(digest_due(seven, None, vn(7, 6, 59, 59)), None);
        assert_eq!(digest_due(seven, None, vn(7, 7, 0, 0)), Some(dec(6)));
        assert_eq!(digest_due(seven, Some(dec(5)), vn(7, 23, 59, 0)), Some(dec(6)));
        assert_eq!(digest_due(seven, Some(dec(6)), vn(7, 7, 0, 1)), None);
        // Vietnam days count: 06:30 on the 8th (23:30 on the 7th in UTC) is before the hour.
        assert_eq!(digest_due(seven, Some(dec(6)), vn(8, 6, 30, 0)), None);
        assert_eq!(digest_due(seven, Some(dec(6)), vn(8, 7, 30, 0)), Some(dec(7)));
    }

    #[test]
    fn marks_read_back_as_days() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert_eq!(day_mark(d), 20_261_207);
        assert_eq!(day_of_mark(day_mark(d)), Some(d));
        assert_eq!(day_of_mark(0), None);
    }
}
