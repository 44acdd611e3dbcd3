//! The long-running loop: scheduler → fetch workers → processing, until shutdown.
//!
//! The scheduler claims due sources in the store (`Store::claim_due_sources`) rather than
//! just reading them, so processes sharing a database never poll one source at the same
//! time. It claims no more than the fetch queue has room for, so a claim is not spent
//! waiting in a queue; the claims of polls under way are renewed at a third of their life,
//! and recording a poll ends its claim. A poll whose processing failed gives its claim up
//! without ending it: the source is tried again when the claim runs out.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use model::Source;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::process::{Download, Prepared};
use crate::{Pipeline, PollReport, Result};

/// How often stories that turned out to be one event are merged.
const MERGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// A poll between the two processing stages.
enum Staged {
    /// Items normalised and matched, to be committed.
    Prepared { prepared: Prepared, validators: fetch::Validators, fresh_for: Option<Duration> },
    /// Nothing to prepare (not modified, failed): completed as it is.
    Done(Download),
    /// Preparing the items failed: the poll is given up as a failed processing.
    Failed(crate::Error),
}

impl Pipeline {
    /// Runs until `shutdown` completes, then stops scheduling, lets the fetches under way
    /// finish, processes and commits everything they fetched, and returns.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) -> Result<()> {
        self.catch_up_index().await?;
        self.catch_up_stories().await?;
        let workers_n = self.config.fetch_workers.max(1);
        let (job_tx, job_rx) = mpsc::channel::<Source>(workers_n * 2);
        let (done_tx, mut done_rx) = mpsc::channel::<(Source, Download)>(workers_n * 4);
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();

        let job_rx = Arc::new(tokio::sync::Mutex::new(job_rx));
        let mut workers = JoinSet::new();
        for _ in 0..workers_n {
            let (pipeline, job_rx, done_tx) = (self.clone(), job_rx.clone(), done_tx.clone());
            workers.spawn(async move {
                loop {
                    let job = job_rx.lock().await.recv().await;
                    let Some(source) = job else { break };
                    let download = pipeline.download(&source).await;
                    if done_tx.send((source, download)).await.is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);

        // The claims of polls under way are kept alive until everything is processed.
        let (drained_tx, drained_rx) = tokio::sync::oneshot::channel::<()>();
        let renewer = tokio::spawn(self.clone().renew_claims(drained_rx));
        let (stop_commits, stopped) = tokio::sync::oneshot::channel::<()>();
        let committer = tokio::spawn(self.clone().commit_owed(stopped));

        // Processing in two stages, so a poll's items are normalised and matched while the
        // poll before it is stored and indexed.
        let (staged_tx, mut staged_rx) = mpsc::channel::<(Source, Staged)>(1);
        let preparer = {
            let pipeline = self.clone();
            tokio::spawn(async move {
                while let Some((source, download)) = done_rx.recv().await {
                    let staged = match download {
                        Download::Items { items, validators, fresh_for } => {
                            match pipeline.prepare(&source, items).await {
                                Ok(prepared) => {
                                    Staged::Prepared { prepared, validators, fresh_for }
                                }
                                Err(error) => Staged::Failed(error),
                            }
                        }
                        other => Staged::Done(other),
                    };
                    if staged_tx.send((source, staged)).await.is_err() {
                        break;
                    }
                }
            })
        };
        let processor = {
            let (pipeline, in_flight) = (self.clone(), in_flight.clone());
            tokio::spawn(async move {
                while let Some((source, staged)) = staged_rx.recv().await {
                    let completed = match staged {
                        Staged::Prepared { prepared, validators, fresh_for } => {
                            pipeline
                                .complete_prepared(
                                    &source,
                                    prepared,
                                    &validators,
                                    fresh_for,
                                    Utc::now(),
                                )
                                .await
                        }
                        Staged::Done(download) => pipeline.complete(&source, download).await,
                        Staged::Failed(error) => Err(error),
                    };
                    match completed {
                        Ok(PollReport::Ingested { report, .. }) if report.added > 0 => {
                            tracing::debug!(
                                feed_id = source.id,
                                n_added = report.added,
                                "Source polled."
                            );
                        }
                        Ok(_) => {}
                        Err(error) => {
                            // The validators were not advanced, so the next poll fetches the
                            // same items again.
                            tracing::error!(feed_id = source.id, error = %error, "Processing a poll failed.");
                            if let Err(e) = pipeline
                                .store
                                .abandon_source_claim(source.id, &pipeline.holder)
                                .await
                            {
                                tracing::warn!(feed_id = source.id, error = %e, "Giving up a claim on a source failed.");
                            }
                        }
                    }
                    in_flight
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .remove(&source.id);
                }
            })
        };

        tokio::pin!(shutdown);
        let mut last_merge = std::time::Instant::now();
        'schedule: loop {
            if last_merge.elapsed() >= MERGE_EVERY {
                last_merge = std::time::Instant::now();
                if let Err(error) = self.merge_stories().await {
                    tracing::error!(error = %error, "Merging stories failed.");
                }
            }
            // Only as many as the queue takes now: the scheduler is its only sender, so
            // none of these sends waits.
            let room = job_tx.capacity();
            let mut full = false;
            if room > 0 {
                match self
                    .store
                    .claim_due_sources(&self.holder, Utc::now(), self.config.claim_ttl, room)
                    .await
                {
                    Ok(due) => {
                        full = due.len() == room;
                        for source in due {
                            let fresh = in_flight
                                .lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .insert(source.id);
                            // Claimed again while its poll is under way here (the claim ran
                            // out before a renewal): the poll under way records it.
                            if !fresh {
                                continue;
                            }
                            if job_tx.send(source).await.is_err() {
                                break 'schedule;
                            }
                        }
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "Claiming due sources failed.");
                    }
                }
            }
            if full || room == 0 {
                // More may be due: claim again as soon as the queue has room.
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = job_tx.reserve() => {}
                    _ = tokio::time::sleep(self.config.tick) => {}
                }
            } else {
                tokio::select! {
                    _ = &mut shutdown => break,
                    _ = tokio::time::sleep(self.config.tick) => {}
                }
            }
        }
        tracing::info!("Shutting down: finishing fetches under way.");
        drop(job_tx);
        while workers.join_next().await.is_some() {}
        if let Err(e) = preparer.await {
            tracing::error!(error = %e, "The preparing stage panicked.");
        }
        if let Err(e) = processor.await {
            tracing::error!(error = %e, "The processing stage panicked.");
        }
        let _ = drained_tx.send(());
        let _ = stop_commits.send(());
        if let Err(e) = committer.await {
            tracing::error!(error = %e, "The index committer panicked.");
        }
        if let Err(error) = self.flush_index() {
            tracing::error!(error = %error, "Committing the index failed.");
        }
        if let Err(e) = renewer.await {
            tracing::error!(error = %e, "The claim renewal panicked.");
        }
        // Whatever is still claimed was not polled: another process may take it at once.
        match self.store.release_source_claims(&self.holder).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(n_sources = n, "Claims on sources released."),
            Err(error) => tracing::warn!(error = %error, "Releasing claims on sources failed."),
        }
        tracing::info!("Pipeline stopped.");
        Ok(())
    }

    /// Commits what the index owes (the end of a burst of batches) every
    /// `index_commit_every`, until `stopped` completes.
    async fn commit_owed(self, stopped: tokio::sync::oneshot::Receiver<()>) {
        let every = self.config.index_commit_every;
        if every.is_zero() || self.index.is_none() {
            return;
        }
        tokio::pin!(stopped);
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(error) = self.flush_index() {
                tracing::error!(error = %error, "Committing the index failed.");
            }
        }
    }

    /// Renews this pipeline's claims on sources at a third of their life until `drained`
    /// completes (or its sender goes).
    async fn renew_claims(self, drained: tokio::sync::oneshot::Receiver<()>) {
        let every = (self.config.claim_ttl / 3).max(std::time::Duration::from_millis(100));
        tokio::pin!(drained);
        loop {
            tokio::select! {
                _ = &mut drained => break,
                _ = tokio::time::sleep(every) => {}
            }
            if let Err(error) = self
                .store
                .renew_source_claims(&self.holder, Utc::now(), self.config.claim_ttl)
                .await
            {
                tracing::warn!(error = %error, "Renewing claims on sources failed.");
            }
        }
    }
}
