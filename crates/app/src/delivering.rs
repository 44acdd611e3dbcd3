//! Delivery in the application: the notifier built from `[notify]` (with the Zalo OA's
//! token pair kept in the store), the letterhead of every message, the periodic jobs of
//! `serve` each run under its lease, and `langnghe digest --send`.

use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use jobs::{DigestPlan, Holder, Letterhead};
use notify::{BoxFuture, Notifier, ZaloTokenStore, ZaloTokens};
use pipeline::Pipeline;
use store::Store;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::cli::DigestArgs;
use crate::clock::Clock;
use crate::config::Config;

/// The name of the Zalo OA's token pair in `delivery_tokens`.
const ZALO_TOKENS: &str = "zalo";

/// The Zalo OA's token pair, kept in the store: its refresh token works once, so every new
/// pair is saved (in one statement) before it is used.
struct StoreTokens(Store);

impl ZaloTokenStore for StoreTokens {
    fn load(&self) -> BoxFuture<'_, Result<Option<ZaloTokens>, String>> {
        Box::pin(async move {
            let text = self.0.delivery_token(ZALO_TOKENS).await.map_err(|e| e.to_string())?;
            text.map(|t| serde_json::from_str(&t).map_err(|e| format!("stored zalo tokens: {e}")))
                .transpose()
        })
    }

    fn save(&self, tokens: ZaloTokens) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let text = serde_json::to_string(&tokens).map_err(|e| e.to_string())?;
            self.0
                .save_delivery_token(ZALO_TOKENS, &text, chrono::Utc::now())
                .await
                .map_err(|e| e.to_string())
        })
    }
}

/// The configured channels, ready to send (the configuration is checked here, secrets
/// read from the environment).
pub(crate) fn notifier(config: &Config, store: &Store) -> anyhow::Result<Arc<Notifier>> {
    let notifier = Notifier::new(config.notify.clone(), Arc::new(StoreTokens(store.clone())))
        .context("the [notify] configuration")?;
    Ok(Arc::new(notifier))
}

/// Where links point and who sends notifications: the public address, and the mail
/// server's sender (else `[digest] from`).
pub(crate) fn letterhead(config: &Config) -> Letterhead {
    let from = config
        .notify
        .smtp
        .as_ref()
        .map_or_else(|| config.digest.from.clone(), |smtp| smtp.from.clone());
    Letterhead { public_url: config.public_url(), from }
}

/// The digest's schedule and its configured recipients; the digest comes from
/// `[digest] from`.
pub(crate) fn digest_plan(config: &Config) -> DigestPlan {
    let letterhead = Letterhead { from: config.digest.from.clone(), ..letterhead(config) };
    DigestPlan { send_at: config.send_at(), to: config.digest.to.clone(), letterhead }
}

/// What the notification pages offer: the configured channels, and a test message built
/// the way real ones are.
pub(crate) fn delivery_options(
    notifier: &Notifier,
    letterhead: Letterhead,
) -> dashboard::DeliveryOptions {
    let channels = notifier.channels();
    let test: dashboard::TestMessage = Arc::new(move |subscription, user, now| {
        jobs::notifications::message::test_message(subscription, user, &letterhead, now)
            .map_err(|e| e.to_string())
    });
    dashboard::DeliveryOptions {
        email: channels.contains(&model::Channel::Email),
        webhooks: notifier.webhook_names(),
        zalo: channels.contains(&model::Channel::Zalo),
        test_message: Some(test),
    }
}

/// What the periodic jobs of `serve` share.
pub(crate) struct Jobs<'a> {
    pub(crate) store: Store,
    pub(crate) pipeline: Pipeline,
    pub(crate) refetcher: jobs::Refetcher,
    pub(crate) config: &'a Config,
    pub(crate) clock: Clock,
    pub(crate) notifier: Arc<Notifier>,
}

async fn stopped(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

/// Wakes every `to` each time `from` is notified, until `shutdown`: the pipeline's one
/// "documents stored" signal reaches the spike scan and the notifications alike.
async fn relay(from: Arc<Notify>, to: Vec<Arc<Notify>>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = from.notified() => to.iter().for_each(|n| n.notify_one()),
        }
    }
}

/// Wakes every `to` at each wake-up of `from` (what other processes commit, on
/// PostgreSQL), until `shutdown`: alert events another process writes reach the
/// notifications at once, documents it stores the spike scan, and messages it writes to
/// the outbox (a test message from the dashboard of a web process) the delivery.
async fn relay_store(
    mut from: store::Wakeups,
    to: Vec<Arc<Notify>>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            () = from.next() => to.iter().for_each(|n| n.notify_one()),
        }
    }
}

/// Starts every periodic job of `serve` (spike scans, deadline marks, correction
/// tracking, notifications, the digest schedule, saved-search matches, outbox delivery),
/// each running only while this process holds its lease, until `stop` says so. Returns the
/// tasks with their names, to wait for.
pub(crate) fn spawn_jobs(
    j: Jobs<'_>,
    stop: &watch::Receiver<bool>,
) -> Vec<(&'static str, JoinHandle<()>)> {
    let holder = Holder::for_this_process();
    let clock = j.clock;
    let spikes_wake = Arc::new(Notify::new());
    let notify_wake = Arc::new(Notify::new());
    let delivery_wake = Arc::new(Notify::new());
    let relays = [
        (store::Topic::Documents, vec![spikes_wake.clone(), notify_wake.clone()]),
        (store::Topic::AlertEvents, vec![notify_wake.clone()]),
        (store::Topic::Outbox, vec![delivery_wake.clone()]),
    ];
    let mut tasks = vec![(
        "relay",
        tokio::spawn(relay(
            j.pipeline.stored(),
            vec![spikes_wake.clone(), notify_wake.clone()],
            stopped(stop.clone()),
        )),
    )];
    for (topic, to) in relays {
        let name = match topic {
            store::Topic::Documents => "relay documents",
            store::Topic::AlertEvents => "relay alert events",
            store::Topic::Outbox => "relay outbox",
        };
        tasks.push((
            name,
            tokio::spawn(relay_store(j.store.wakeups(topic), to, stopped(stop.clone()))),
        ));
    }
    let leased = |name: &'static str| {
        (j.store.clone(), name, holder.clone(), clock.reader(), stopped(stop.clone()))
    };

    // Spike scans read the rules the pipeline is using, so a reload reaches them too.
    let (store, name, h, c, s) = leased("spikes");
    let (pipeline, config) = (j.pipeline.clone(), j.config.spike_config());
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            let pipeline = pipeline.clone();
            jobs::run_spikes(
                store.clone(),
                move || pipeline.rules(),
                config,
                spikes_wake.clone(),
                clock.reader(),
                stop,
            )
        })),
    ));

    let (store, name, h, c, s) = leased("deadlines");
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            jobs::run_deadlines(store.clone(), jobs::DEADLINE_INTERVAL, clock.reader(), stop)
        })),
    ));

    let (store, name, h, c, s) = leased("corrections");
    let (refetcher, config) = (j.refetcher.clone(), j.config.correction_config());
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            jobs::run_corrections(store.clone(), refetcher.clone(), config, clock.reader(), stop)
        })),
    ));

    let (store, name, h, c, s) = leased("notifications");
    let (letterhead, wake, delivery) = (letterhead(j.config), notify_wake, delivery_wake.clone());
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            jobs::run_notifications(
                store.clone(),
                letterhead.clone(),
                wake.clone(),
                delivery.clone(),
                clock.reader(),
                stop,
            )
        })),
    ));

    let (store, name, h, c, s) = leased("digests");
    let (pipeline, plan, delivery) =
        (j.pipeline.clone(), digest_plan(j.config), delivery_wake.clone());
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            let pipeline = pipeline.clone();
            jobs::run_digests(
                store.clone(),
                move || pipeline.rules(),
                plan.clone(),
                delivery.clone(),
                clock.reader(),
                stop,
            )
        })),
    ));

    let (store, name, h, c, s) = leased("saved_searches");
    let letterhead = self::letterhead(j.config);
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            jobs::run_saved_searches(
                store.clone(),
                letterhead.clone(),
                jobs::SAVED_SEARCH_INTERVAL,
                clock.reader(),
                stop,
            )
        })),
    ));

    let (store, name, h, c, s) = leased("outbox");
    let notifier = j.notifier.clone();
    tasks.push((
        name,
        tokio::spawn(jobs::run_leased(store.clone(), name, h, c, s, move |stop| {
            jobs::run_delivery(
                store.clone(),
                notifier.clone(),
                delivery_wake.clone(),
                clock.reader(),
                stop,
            )
        })),
    ));
    tasks
}

/// `langnghe digest --send`: writes the day's digest for every digest subscription and
/// every `[digest] to` address to the outbox now, and delivers it at once. What cannot be
/// delivered now stays in the outbox for `serve` to retry.
pub(crate) async fn send_digest(config: &Config, args: &DigestArgs) -> anyhow::Result<ExitCode> {
    let clock = Clock::from_env()?;
    let store = crate::system::open_store(config).await?;
    let notifier = notifier(config, &store)?;
    let sources = config.rule_sources(None)?;
    let (rules, diags) = rules::RuleSet::load(&sources);
    if !diags.is_empty() {
        // Packs with problems still give the days that loaded; the digest goes out regardless.
        tracing::warn!(n_problems = diags.len(), rules = %crate::claims::describe(&sources), "Rule packs have problems; run `langnghe rules check`.");
    }
    let now = clock.now();
    let plan = digest_plan(config);
    let keys = jobs::digests_schedule::enqueue_on_demand(&store, &rules, &plan, args.date, now)
        .await
        .context("writing the digest to the outbox")?;
    let mut out = std::io::stdout().lock();
    if keys.is_empty() {
        writeln!(
            out,
            "nobody receives the digest: no subscription asks for it and [digest] to is empty"
        )?;
        store.close().await;
        return Ok(ExitCode::from(1));
    }
    let done =
        jobs::deliver_keys(&store, &notifier, &keys, now).await.context("delivering the digest")?;
    writeln!(
        out,
        "digest of {}: {} sent, {} to retry, {} failed",
        args.date.format("%Y-%m-%d"),
        done.sent,
        done.retrying,
        done.failed
    )?;
    store.close().await;
    Ok(if done.sent == keys.len() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
