//! engine: how do store and index stay one?
//!
//! The `Engine` owns an open data directory — the SQLite store and the tantivy index — and runs
//! the operations that touch both: ingest (read → store → index, in batches, with crash-safe
//! commits), catch-up of an index that lags the store, full reindex, search, and stats. The
//! store is always written first and is the truth; a document is reported as ingested only after
//! both it and the index were committed. It must not parse input formats (crate::ingest) or
//! print (the binary does).

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::index::{IndexBatch, SearchIndex};
use crate::ingest::{self, ReadOptions, Record};
use crate::progress::Progress;
use crate::search::{self, SearchRequest, SearchResults};
use crate::store::{Store, StoreStats, Upsert};

/// How an ingest run behaves.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Stop at the first bad record.
    pub strict: bool,
    /// Show a progress bar (stderr is a terminal) rather than log lines.
    pub interactive: bool,
}

/// A record that failed, for the run's report.
#[derive(Debug, Clone, Serialize)]
pub struct IngestFailure {
    pub location: String,
    pub message: String,
}

/// A document stored although its text equals an earlier document's.
#[derive(Debug, Clone, Serialize)]
pub struct DuplicateReport {
    pub id: String,
    pub duplicate_of: String,
}

/// What an ingest run did. Counts cover only committed work.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestSummary {
    pub ingested: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    pub duplicates: Vec<DuplicateReport>,
    /// The first `MAX_KEPT_FAILURES` failures, in input order (the count is in `failed`): a
    /// file of a million bad lines must not become a million messages in memory.
    pub failures: Vec<IngestFailure>,
    /// Failures counted in `failed` but not kept in `failures`.
    pub failures_omitted: u64,
    /// Documents recovered into the index from an earlier interrupted run.
    pub caught_up: u64,
    pub bytes_read: u64,
    pub text_bytes: u64,
    pub seconds: f64,
    pub interrupted: bool,
}

/// How many failures an ingest summary keeps; the rest are only counted.
pub const MAX_KEPT_FAILURES: usize = 100;
/// Longest failure message kept, in characters (messages quote at most an excerpt of a line,
/// but a whole-file error may carry more).
const MAX_FAILURE_MESSAGE_CHARS: usize = 1000;

impl IngestSummary {
    /// Counts a failure and keeps it while fewer than `MAX_KEPT_FAILURES` are kept.
    pub fn record_failure(&mut self, mut f: IngestFailure) {
        self.failed += 1;
        if self.failures.len() < MAX_KEPT_FAILURES {
            if f.message.chars().nth(MAX_FAILURE_MESSAGE_CHARS).is_some() {
                f.message = crate::error::excerpt(&f.message, MAX_FAILURE_MESSAGE_CHARS);
            }
            self.failures.push(f);
        } else {
            self.failures_omitted += 1;
        }
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    #[test]
    fn failures_kept_are_capped_and_counted() {
        let mut s = IngestSummary::default();
        for i in 0..MAX_KEPT_FAILURES + 50 {
            s.record_failure(IngestFailure { location: format!("f:{i}"), message: "x".repeat(5000) });
        }
        assert_eq!(s.failed, MAX_KEPT_FAILURES as u64 + 50);
        assert_eq!((s.failures.len(), s.failures_omitted), (MAX_KEPT_FAILURES, 50));
        assert_eq!(s.failures[0].message.chars().count(), MAX_FAILURE_MESSAGE_CHARS + 1);
    }
}

/// `dossier stats`.
#[derive(Debug, Clone, Serialize)]
pub struct Stats {
    #[serde(flatten)]
    pub store: StoreStats,
    pub data_dir: PathBuf,
    pub database_bytes: u64,
    pub index_bytes: u64,
    pub index_documents: u64,
    pub index_lag: u64,
}

pub struct Engine {
    pub config: Config,
    store: Store,
    index: SearchIndex,
    /// The last store seq this engine knows the index holds: lets `search` tell in memory
    /// whether a catch-up is needed. Never ahead of the truth (commits raise it afterwards).
    indexed_seq: i64,
}

impl Engine {
    /// Opens (creating if needed) the data directory of `config`.
    pub fn open(config: Config) -> Result<Engine> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
        let store = Store::open(&config.db_path())?;
        let index = SearchIndex::open(&config.index_dir())?;
        let indexed_seq = index.indexed_seq()?;
        Ok(Engine { config, store, index, indexed_seq })
    }

    /// Opens the store only and builds a fresh, empty index (for `reindex`, which must work
    /// when the old index is from another version or damaged).
    pub fn open_with_new_index(config: Config) -> Result<Engine> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
        let store = Store::open(&config.db_path())?;
        let index = SearchIndex::recreate(&config.index_dir())?;
        Ok(Engine { config, store, index, indexed_seq: 0 })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// Documents in the store that the index does not have yet.
    pub fn index_lag(&self) -> Result<u64> {
        self.store.count_since(self.index.indexed_seq()?)
    }

    fn writer(&self) -> Result<IndexBatch> {
        let ic = &self.config.ingest;
        self.index.writer(ic.index_threads, ic.index_heap_mb * 1024 * 1024)
    }

    /// Brings the index up to date with the store (after an interrupted ingest). Returns the
    /// number of documents indexed.
    pub fn catch_up(&mut self) -> Result<u64> {
        if self.index_lag()? == 0 {
            self.indexed_seq = self.store.max_seq();
            return Ok(0);
        }
        let mut writer = self.writer()?;
        let n = self.catch_up_with(&mut writer)?;
        writer.finish()?;
        self.index.reload()?;
        Ok(n)
    }

    fn catch_up_with(&mut self, writer: &mut IndexBatch) -> Result<u64> {
        let from = self.index.indexed_seq()?;
        let mut n = 0u64;
        self.store.for_each_since(from, &mut |d| {
            // A document may already be in the index from before the crash: replace, not add.
            writer.put(&d.doc, true)?;
            n += 1;
            Ok(ControlFlow::Continue(()))
        })?;
        if n > 0 {
            writer.commit(self.store.max_seq())?;
            self.indexed_seq = self.store.max_seq();
            tracing::info!(documents = n, "index caught up with the database");
        }
        Ok(n)
    }

    /// Ingests every input under `paths`. Bad records are counted and described in the summary
    /// (and passed to `on_failure` as they happen); the run goes on unless `strict`. `cancel`
    /// (set by Ctrl-C) stops it after committing what was read.
    pub fn ingest(
        &mut self,
        paths: &[PathBuf],
        opts: &IngestOptions,
        cancel: Arc<AtomicBool>,
        on_failure: &mut dyn FnMut(&IngestFailure),
    ) -> Result<IngestSummary> {
        let started = Instant::now();
        let inputs = ingest::discover(paths)?;
        let total_bytes: u64 = inputs.iter().map(|i| i.bytes).sum();
        let mut writer = self.writer()?;
        let mut summary = IngestSummary { caught_up: self.catch_up_with(&mut writer)?, ..Default::default() };
        let read_opts = ReadOptions { max_doc_bytes: self.config.ingest.max_doc_bytes };
        let batch_docs = self.config.ingest.batch_docs.max(1);
        let commit_every = std::time::Duration::from_secs(self.config.ingest.index_commit_secs.max(1));
        let mut progress = Progress::new("ingest", total_bytes, opts.interactive);

        // Counts of work done since the last durable commit; they join the summary only when
        // both store and index have committed.
        let mut pending = IngestSummary::default();
        let mut in_txn = 0usize;
        let mut last_index_commit = Instant::now();
        let mut bytes_before = 0u64;
        let mut stop_error: Option<Error> = None;
        self.store.begin()?;
        for input in &inputs {
            let store = &mut self.store;
            let result = ingest::read_input(input, &read_opts, &mut |rec: Record| {
                let step = (|| -> Result<ControlFlow<()>> {
                    match rec.result {
                        Err(e) => {
                            let f = IngestFailure { location: rec.location.to_string(), message: failure_message(&e) };
                            on_failure(&f);
                            summary.record_failure(f);
                            if opts.strict {
                                return Ok(ControlFlow::Break(()));
                            }
                        }
                        Ok(doc) => {
                            store_and_index(store, &mut writer, &doc, &mut pending)?;
                            in_txn += 1;
                            if in_txn >= batch_docs {
                                in_txn = 0;
                                store.commit()?;
                                if last_index_commit.elapsed() >= commit_every {
                                    writer.commit(store.max_seq())?;
                                    last_index_commit = Instant::now();
                                    absorb(&mut summary, &mut pending);
                                }
                                store.begin()?;
                            }
                        }
                    }
                    let done = summary.ingested + summary.updated + summary.unchanged
                        + pending.ingested + pending.updated + pending.unchanged;
                    progress.update(bytes_before + rec.bytes_read, done);
                    if cancel.load(Ordering::SeqCst) {
                        return Ok(ControlFlow::Break(()));
                    }
                    Ok(ControlFlow::Continue(()))
                })();
                match step {
                    Ok(flow) => flow,
                    Err(e) => {
                        stop_error = Some(e);
                        ControlFlow::Break(())
                    }
                }
            });
            bytes_before += input.bytes;
            if let Err(e) = result {
                // The input as a whole is unreadable (cannot open, corrupt stream): a failure of
                // that input; what it yielded before stays.
                let f = IngestFailure {
                    location: input.path.display().to_string(),
                    message: failure_message(&e),
                };
                on_failure(&f);
                summary.record_failure(f);
                if opts.strict {
                    break;
                }
            }
            if stop_error.is_some() || cancel.load(Ordering::SeqCst) || (opts.strict && summary.failed > 0) {
                break;
            }
        }
        progress.finish();
        if let Some(e) = stop_error {
            // An internal fault (disk full, database error): keep what was committed before it.
            let _ = self.store.rollback();
            return Err(e);
        }
        self.store.commit()?;
        writer.commit(self.store.max_seq())?;
        self.indexed_seq = self.store.max_seq();
        absorb(&mut summary, &mut pending);
        summary.interrupted = cancel.load(Ordering::SeqCst);
        if !summary.interrupted {
            writer.finish()?;
        }
        self.index.reload()?;
        summary.bytes_read = bytes_before;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Stores and indexes documents already in memory (an API upload, an imported seed page),
    /// committing both before returning.
    pub fn add_documents(&mut self, docs: &[crate::Document]) -> Result<IngestSummary> {
        let started = Instant::now();
        let mut writer = self.writer()?;
        let mut summary = IngestSummary { caught_up: self.catch_up_with(&mut writer)?, ..Default::default() };
        self.store.begin()?;
        let mut step = || -> Result<()> {
            for doc in docs {
                store_and_index(&mut self.store, &mut writer, doc, &mut summary)?;
            }
            Ok(())
        };
        if let Err(e) = step() {
            let _ = self.store.rollback();
            return Err(e);
        }
        self.store.commit()?;
        writer.commit(self.store.max_seq())?;
        self.indexed_seq = self.store.max_seq();
        self.index.reload()?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Rebuilds the index from the store. The engine must have been opened with
    /// `open_with_new_index`, or the index must be empty, for the result to be exact.
    pub fn reindex(&mut self, interactive: bool, cancel: Arc<AtomicBool>) -> Result<ReindexSummary> {
        let started = Instant::now();
        self.index = SearchIndex::recreate(&self.config.index_dir())?;
        let total = self.store.text_bytes_since(0)?;
        let mut progress = Progress::new("reindex", total, interactive);
        let mut writer = self.writer()?;
        let (mut docs, mut bytes) = (0u64, 0u64);
        let mut interrupted = false;
        self.store.for_each_since(0, &mut |d| {
            writer.put(&d.doc, false)?;
            docs += 1;
            bytes += d.doc.text_len() as u64;
            progress.update(bytes, docs);
            if cancel.load(Ordering::SeqCst) {
                interrupted = true;
                return Ok(ControlFlow::Break(()));
            }
            Ok(ControlFlow::Continue(()))
        })?;
        progress.finish();
        if interrupted {
            // An unfinished rebuild is not committed: the next command finds an empty index
            // and catches up from the store.
            return Err(Error::Interrupted);
        }
        writer.commit(self.store.max_seq())?;
        self.indexed_seq = self.store.max_seq();
        writer.finish()?;
        self.index.reload()?;
        Ok(ReindexSummary {
            documents: docs,
            text_bytes: bytes,
            seconds: started.elapsed().as_secs_f64(),
            index_bytes: self.index.size_bytes(),
        })
    }

    /// Runs a search. If the index lags the store (an interrupted ingest), it is caught up
    /// first when possible.
    pub fn search(&mut self, request: &SearchRequest) -> Result<SearchResults> {
        // In memory: reading the index's metadata from disk on every search would cost more
        // than many searches.
        if self.store.max_seq() > self.indexed_seq {
            match self.catch_up() {
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "index lags the database and could not catch up now"),
            }
        }
        search::search(&self.index, &self.store, request)
    }

    /// One stored document, or a NotFound error naming the id.
    pub fn document(&self, id: &str) -> Result<crate::Document> {
        self.store
            .get(id)?
            .map(|d| d.doc)
            .ok_or_else(|| Error::NotFound { what: "document", name: id.to_string() })
    }

    pub fn stats(&self) -> Result<Stats> {
        let db = self.config.db_path();
        let file_len = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let database_bytes = file_len(db.clone())
            + file_len(PathBuf::from(format!("{}-wal", db.display())));
        Ok(Stats {
            store: self.store.stats()?,
            data_dir: self.config.data_dir.clone(),
            database_bytes,
            index_bytes: self.index.size_bytes(),
            index_documents: self.index.num_docs(),
            index_lag: self.index_lag()?,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ReindexSummary {
    pub documents: u64,
    pub text_bytes: u64,
    pub seconds: f64,
    pub index_bytes: u64,
}

/// Stores one document and queues it for the index (replacing an earlier version), counting
/// what happened in `counts`. The caller commits both.
fn store_and_index(
    store: &mut Store,
    writer: &mut IndexBatch,
    doc: &crate::Document,
    counts: &mut IngestSummary,
) -> Result<()> {
    let (replace, duplicate_of) = match store.upsert(doc)? {
        Upsert::Inserted { duplicate_of, .. } => {
            counts.ingested += 1;
            (false, duplicate_of)
        }
        Upsert::Updated { duplicate_of, .. } => {
            counts.updated += 1;
            (true, duplicate_of)
        }
        Upsert::Unchanged => {
            counts.unchanged += 1;
            return Ok(());
        }
    };
    writer.put(doc, replace)?;
    counts.text_bytes += doc.text_len() as u64;
    if let Some(of) = duplicate_of {
        counts.duplicates.push(DuplicateReport { id: doc.id.clone(), duplicate_of: of });
    }
    Ok(())
}

fn absorb(summary: &mut IngestSummary, pending: &mut IngestSummary) {
    let p = std::mem::take(pending);
    summary.ingested += p.ingested;
    summary.updated += p.updated;
    summary.unchanged += p.unchanged;
    summary.text_bytes += p.text_bytes;
    summary.duplicates.extend(p.duplicates);
}

/// The message of a record's failure without repeating its location (the report adds it).
fn failure_message(e: &Error) -> String {
    match e {
        Error::BadInput { message, .. } => message.clone(),
        e => e.to_string(),
    }
}

/// Formats a moment as the seeds do: `YYYY-MM-DD HH:MM` (UTC).
pub fn format_when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "no date".into())
}
