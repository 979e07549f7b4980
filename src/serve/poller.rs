//! The server's poller: sources polled on their schedules while `dossier serve` runs.
//!
//! One background thread (fetching blocks, and one thread keeps one request at a time per
//! host) looks every `sources.tick_secs` for sources that are due and polls them. Documents go
//! through the server's writing engine, under its mutex and the data directory's write lock
//! like an API ingest, and readers are refreshed at once; fetching holds neither, so reads and
//! other writes never wait on a slow source. When documents arrived, every workflow runs on a
//! connection of its own (each collects only what is past its cursor) and webhooks are
//! delivered.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{AppState, Shared, expire_footer, lock, refresh_readers};
use crate::Document;
use crate::engine::{Engine, IngestSummary};
use crate::error::Result;
use crate::sources::{Poller, Sink, webhook};
use crate::store::Store;

/// Writes through the server's writer; reads source rows on a connection of its own.
struct ServerSink {
    shared: Arc<Shared>,
    own: Engine,
}

impl Sink for ServerSink {
    fn store(&self) -> &Store {
        self.own.store()
    }

    fn add(&mut self, docs: &[Document]) -> Result<IngestSummary> {
        let mut writer = lock(&self.shared.writer);
        let added = writer.add_documents(docs);
        refresh_readers(&self.shared, Some(&writer))?;
        expire_footer(&self.shared);
        added
    }
}

/// Starts the polling thread; it ends at its next look after `stop` is set. The HTTP client
/// is made on that thread: reqwest's blocking client must not live on the async runtime.
pub(super) fn spawn(state: &AppState, stop: Arc<AtomicBool>) -> Result<()> {
    let shared = state.shared.clone();
    let tick = Duration::from_secs(shared.config.sources.tick_secs.max(1));
    std::thread::Builder::new()
        .name("dossier-poller".into())
        .spawn(move || {
            let setup = Poller::new(&shared.config).and_then(|p| Ok((p, lock(&shared.readers.current).sibling()?)));
            let (mut poller, own) = match setup {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(error = %e, "cannot poll sources; the server goes on without polling");
                    return;
                }
            };
            let mut sink = ServerSink { shared, own };
            while !stop.load(Ordering::SeqCst) {
                if let Err(e) = one_pass(&mut poller, &mut sink) {
                    tracing::warn!(error = %e, "polling sources failed; trying again at the next tick");
                }
                std::thread::sleep(tick);
            }
        })
        .map_err(|e| crate::Error::io("poller thread", e))?;
    tracing::info!(
        tick_secs = tick.as_secs(),
        "polling sources on their schedules"
    );
    Ok(())
}

fn one_pass(poller: &mut Poller, sink: &mut ServerSink) -> Result<()> {
    let outcomes = poller.poll_due(sink)?;
    if outcomes.iter().map(|o| o.new + o.updated).sum::<u64>() == 0 {
        return Ok(());
    }
    // A fresh connection on the current index: it sees what the polls just committed.
    let engine = lock(&sink.shared.readers.current).sibling()?;
    for name in webhook::workflow_names(&engine)? {
        // One run at a time per workflow, shared with runs asked for over the API, so two
        // never make the same digests at once.
        let this_workflow = lock(&sink.shared.runs)
            .entry(name.clone())
            .or_default()
            .clone();
        let _one_at_a_time = this_workflow.blocking_lock();
        if let Some(r) = webhook::run_and_notify(
            &engine,
            poller.fetcher().client(),
            &sink.shared.config,
            &name,
        )? && !r.new_documents.is_empty()
        {
            tracing::info!(workflow = %r.workflow, new = r.new_documents.len(), digests = r.digests_made, "workflow ran after new documents");
        }
    }
    Ok(())
}
