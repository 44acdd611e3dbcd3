//! The long-running loop: scheduler → fetch workers → processing, until shutdown.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::Utc;
use model::Source;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::process::Download;
use crate::{Pipeline, PollReport, Result};

/// How often stories that turned out to be one event are merged.
const MERGE_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

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

        let processor = {
            let (pipeline, in_flight) = (self.clone(), in_flight.clone());
            tokio::spawn(async move {
                while let Some((source, download)) = done_rx.recv().await {
                    match pipeline.complete(&source, download).await {
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
            match self.store.due_sources(Utc::now(), 256).await {
                Ok(due) => {
                    for source in due {
                        let fresh = in_flight
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .insert(source.id);
                        if !fresh {
                            continue;
                        }
                        tokio::select! {
                            _ = &mut shutdown => break 'schedule,
                            sent = job_tx.send(source) => if sent.is_err() { break 'schedule },
                        }
                    }
                }
                Err(error) => tracing::error!(error = %error, "Looking for due sources failed."),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(self.config.tick) => {}
            }
        }
        tracing::info!("Shutting down: finishing fetches under way.");
        drop(job_tx);
        while workers.join_next().await.is_some() {}
        if let Err(e) = processor.await {
            tracing::error!(error = %e, "The processing stage panicked.");
        }
        tracing::info!("Pipeline stopped.");
        Ok(())
    }
}
