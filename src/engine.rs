//! engine: how do store and index stay one?
//!
//! The `Engine` owns an open data directory — the SQLite store and the tantivy index — and runs
//! the operations that touch both: ingest (read → store → index, in batches, with crash-safe
//! commits), catch-up of an index that lags the store, full reindex, search, and stats. The
//! store is always written first and is the truth; a document is reported as ingested only after
//! both it and the index were committed. It must not parse input formats (crate::ingest) or
//! print (the binary does).

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::digesting::{Digester, SeedImport};
use crate::index::{self, IndexBatch, SearchIndex};
use crate::ingest::{self, ReadOptions, Record};
use crate::progress::Progress;
use crate::search::{self, SearchRequest, SearchResults};
use crate::store::{DocumentBatch, Store, StoreStats, Upsert};

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
    pub stories: crate::stories::StoryStats,
}

pub struct Engine {
    pub config: Arc<Config>,
    store: Store,
    index: SearchIndex,
    /// The last store seq this engine knows the index holds: lets `search` tell in memory
    /// whether the index may lag. Never ahead of the truth; re-read from disk when in doubt.
    indexed_seq: i64,
    /// Story candidates by band key, for the days this engine's ingests have touched.
    bands: crate::stories::BandIndex,
}

/// Name of the data directory's write-lock file.
const WRITE_LOCK_FILE: &str = "write.lock";

/// Held while this process writes the index (ingest, catch-up, reindex): one index writer per
/// data directory across every `dossier` process. SQLite-only writes (digests, workflows) do not
/// take it: SQLite serialises those itself. Released when dropped (the OS also releases it when
/// the process dies, so a crash never leaves the data directory locked).
pub struct WriteLock {
    _file: std::fs::File,
}

impl WriteLock {
    /// Takes the lock of `data_dir` for `what` (e.g. "ingest"), waiting up to `wait` for another
    /// process to finish; past that, a busy error naming the holder.
    pub fn acquire(data_dir: &Path, what: &str, wait: Duration) -> Result<WriteLock> {
        let path = data_dir.join(WRITE_LOCK_FILE);
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let started = Instant::now();
        let mut logged = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    // Who holds it: read only when it is said (the first wait, the refusal).
                    let holder = || std::fs::read_to_string(&path).unwrap_or_default().trim().to_string();
                    if started.elapsed() >= wait {
                        let holder = holder();
                        return Err(Error::Busy {
                            what: format!("the data directory {}", data_dir.display()),
                            detail: format!(
                                "another dossier process is writing to it ({}) and did not finish within {} s",
                                if holder.is_empty() { "unknown" } else { &holder },
                                wait.as_secs()
                            ),
                            remedy: "try again when it has finished, or raise ingest.lock_wait_secs \
                                     (DOSSIER_LOCK_WAIT_SECS)",
                        });
                    }
                    if !logged {
                        tracing::info!(holder = %holder(), "waiting for another dossier process to finish writing");
                        logged = true;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&path, e)),
            }
        }
        // Who holds it, for the message another process shows while it waits.
        let _ = file.set_len(0);
        let _ = writeln!(
            file,
            "pid {}, {what}, since {}",
            std::process::id(),
            Utc::now().format("%Y-%m-%d %H:%M:%S UTC")
        );
        Ok(WriteLock { _file: file })
    }
}

/// Documents matching a search that the index holds, stored after a given seq.
#[derive(Debug, Clone, Default)]
pub struct Matches {
    /// Ids, newest first (undated last).
    pub ids: Vec<String>,
    /// Every document stored up to this seq was considered: the next question starts here.
    pub upto: i64,
}

impl Engine {
    /// Opens (creating if needed) the data directory of `config`.
    pub fn open(config: Config) -> Result<Engine> {
        Engine::open_shared(Arc::new(config))
    }

    /// Like [`Engine::open`], sharing one configuration between several engines (a server).
    pub fn open_shared(config: Arc<Config>) -> Result<Engine> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
        let store = Store::open(&config.db_path())?;
        let index = SearchIndex::open_current(&config.data_dir)?;
        let indexed_seq = index.indexed_seq()?;
        Ok(Engine { config, store, index, indexed_seq, bands: Default::default() })
    }

    /// Opens the store for `reindex`, which must work when the current index is from another
    /// version or damaged: the index it holds until the rebuild is then an empty placeholder.
    pub fn open_for_rebuild(config: Config) -> Result<Engine> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| Error::io(&config.data_dir, e))?;
        let store = Store::open(&config.db_path())?;
        let index = match SearchIndex::open_current(&config.data_dir) {
            Ok(index) => index,
            Err(e) => {
                tracing::info!(error = %e, "the current index cannot be opened; rebuilding it from the database");
                SearchIndex::create_aside(&config.data_dir)?
            }
        };
        Ok(Engine { config: Arc::new(config), store, index, indexed_seq: 0, bands: Default::default() })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Another engine on this data directory for another thread: its own store connection,
    /// this engine's index reader (reloads are shared between the two).
    pub fn sibling(&self) -> Result<Engine> {
        Ok(Engine {
            config: self.config.clone(),
            store: Store::open(&self.config.db_path())?,
            index: self.index.clone(),
            indexed_seq: self.indexed_seq,
            bands: Default::default(),
        })
    }

    /// Uses `other`'s index reader from now on (a server hands its pooled engines the one
    /// current reader). Cheap: the reader is shared, not reopened.
    pub fn share_index_of(&mut self, other: &Engine) {
        if self.index.path() != other.index.path() {
            self.index = other.index.clone();
        }
    }

    /// Follows the data directory's current index: reopens it when a rebuild in any process
    /// swapped it, and makes its latest commit visible. Returns true when it was swapped.
    pub fn refresh_index(&mut self) -> Result<bool> {
        let swapped = self.index.is_stale(&self.config.data_dir);
        if swapped {
            self.index = SearchIndex::open_current(&self.config.data_dir)?;
            tracing::info!(index = %self.index.path().display(), "following a rebuilt index");
        }
        self.index.reload()?;
        Ok(swapped)
    }

    /// The highest seq in the store and in the index: a difference means the index lags.
    pub fn seqs(&self) -> Result<(i64, i64)> {
        Ok((self.store.max_seq()?, self.index.indexed_seq()?))
    }

    /// Documents stored, and when the latest was stored, from indexes only (no table scan):
    /// cheap enough for every page's status line.
    pub fn counts(&self) -> Result<(u64, Option<DateTime<Utc>>)> {
        self.store.counts()
    }

    /// Size of the index files, bytes.
    pub fn index_bytes(&self) -> u64 {
        self.index.size_bytes()
    }

    /// Documents the index holds.
    pub fn index_documents(&self) -> u64 {
        self.index.num_docs()
    }

    /// A search of what the index holds now, without catching up (for a server, whose
    /// background task catches up): reads only.
    pub fn search_now(&self, request: &SearchRequest) -> Result<SearchResults> {
        search::search(&self.index, &self.store, request, &*self.vocabulary()?)
    }

    /// The query vocabulary: the shipped synonyms table plus `<data-dir>/synonyms.toml`, read
    /// again when that file changes.
    pub fn vocabulary(&self) -> Result<std::sync::Arc<crate::expand::Vocabulary>> {
        crate::expand::Vocabulary::for_data_dir(&self.config.data_dir)
    }

    /// Checks that `request` parses and compiles, without running it (saved searches are
    /// refused when they are written, not at their first run).
    pub fn check_search(&self, request: &SearchRequest) -> Result<()> {
        search::compile(request, self.index.fields(), &*self.vocabulary()?).map(|_| ())
    }

    pub fn index(&self) -> &SearchIndex {
        &self.index
    }

    /// The digests of this engine's documents (crate::digesting).
    pub fn digester(&self) -> Digester<'_> {
        Digester::new(&self.store, &self.config)
    }

    /// Documents in the store that the index does not have yet.
    pub fn index_lag(&self) -> Result<u64> {
        self.store.count_since(self.index.indexed_seq()?)
    }

    fn lock_wait(&self) -> Duration {
        Duration::from_secs(self.config.ingest.lock_wait_secs)
    }

    /// Takes the data directory's write lock, then makes sure this engine writes to the current
    /// index and sees its latest commit (another process may have ingested or rebuilt it).
    fn lock_for_writing(&mut self, what: &str, wait: Duration) -> Result<WriteLock> {
        let lock = WriteLock::acquire(&self.config.data_dir, what, wait)?;
        if self.index.is_stale(&self.config.data_dir) {
            self.index = SearchIndex::open_current(&self.config.data_dir)?;
        }
        self.index.reload()?;
        self.indexed_seq = self.index.indexed_seq()?;
        Ok(lock)
    }

    fn writer(&self) -> Result<IndexBatch> {
        let ic = &self.config.ingest;
        self.index.writer(ic.index_threads, ic.index_heap_mb * 1024 * 1024)
    }

    /// Brings the index up to date with the store (after an interrupted ingest in any process),
    /// waiting for the write lock as an ingest would. Returns the number of documents indexed.
    pub fn catch_up(&mut self) -> Result<u64> {
        let _lock = self.lock_for_writing("catch-up", self.lock_wait())?;
        self.catch_up_locked()
    }

    /// Catches the index up only if no other process is writing (then that process will).
    /// Returns `None` when it did not try.
    pub fn catch_up_if_free(&mut self) -> Result<Option<u64>> {
        match self.lock_for_writing("catch-up", Duration::ZERO) {
            Ok(_lock) => self.catch_up_locked().map(Some),
            Err(Error::Busy { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn catch_up_locked(&mut self) -> Result<u64> {
        if self.store.count_since(self.indexed_seq)? == 0 {
            return Ok(0);
        }
        let mut writer = self.writer()?;
        let n = self.catch_up_with(&mut writer)?;
        writer.finish()?;
        self.index.reload()?;
        Ok(n)
    }

    /// Indexes every stored document past the index's seq, in seq order, committing as it goes
    /// so that a catch-up interrupted again keeps what it did.
    fn catch_up_with(&mut self, writer: &mut IndexBatch) -> Result<u64> {
        let from = self.index.indexed_seq()?;
        let commit_every = Duration::from_secs(self.config.ingest.index_commit_secs.max(1));
        let mut last_commit = Instant::now();
        let (mut n, mut last_seq) = (0u64, from);
        self.store.for_each_since(from, &mut |d| {
            // A document may already be in the index from before the crash: replace, not add.
            writer.put(&d.doc, true)?;
            n += 1;
            last_seq = d.seq;
            if last_commit.elapsed() >= commit_every {
                // Documents come in seq order: everything up to this one is now in the index.
                writer.commit(last_seq)?;
                last_commit = Instant::now();
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if n > 0 {
            writer.commit(last_seq)?;
            self.indexed_seq = last_seq;
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
        let _lock = self.lock_for_writing("ingest", self.lock_wait())?;
        let stories = self.config.ingest.stories;
        let mut writer = self.writer()?;
        let mut summary = IngestSummary { caught_up: self.catch_up_with(&mut writer)?, ..Default::default() };
        if stories {
            // Documents stored with stories off (or before stories existed) join theirs first,
            // so the ones this run adds can find them.
            let tx = self.store.transaction()?;
            crate::stories::resketch(&tx, &mut self.bands)?;
            crate::stories::backfill(&tx, &mut self.bands)?;
            tx.commit()?;
        }
        let read_opts = ReadOptions { max_doc_bytes: self.config.ingest.max_doc_bytes };
        let batch_docs = self.config.ingest.batch_docs.max(1);
        let commit_every = Duration::from_secs(self.config.ingest.index_commit_secs.max(1));
        let mut progress = Progress::new("ingest", total_bytes, opts.interactive);

        // Counts of work done since the last durable commit; they join the summary only when
        // both store and index have committed.
        let mut pending = IngestSummary::default();
        let mut in_txn = 0usize;
        let mut last_index_commit = Instant::now();
        let mut bytes_before = 0u64;
        let mut stop_error: Option<Error> = None;
        let mut batch = self.store.write()?;
        // The highest seq committed to the store by this run (what an index commit covers).
        let mut committed_seq = self.indexed_seq;
        for input in &inputs {
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
                            store_and_index(&mut batch, &mut writer, &doc, &mut pending, stories.then_some(&mut self.bands))?;
                            in_txn += 1;
                            if in_txn >= batch_docs {
                                in_txn = 0;
                                committed_seq = batch.checkpoint()?;
                                if last_index_commit.elapsed() >= commit_every {
                                    writer.commit(committed_seq)?;
                                    last_index_commit = Instant::now();
                                    absorb(&mut summary, &mut pending);
                                }
                            }
                        }
                    }
                    let done = summary.ingested + summary.updated + summary.unchanged
                        + pending.ingested + pending.updated + pending.unchanged;
                    progress.set_text_bytes(summary.text_bytes + pending.text_bytes);
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
            // An internal fault (disk full, database error): keep what was committed before it;
            // dropping the open batch rolls it back.
            drop(batch);
            // It was told of rows that were just rolled back.
            self.bands.clear();
            return Err(e);
        }
        committed_seq = committed_seq.max(batch.max_seq());
        batch.commit()?;
        writer.commit(committed_seq)?;
        self.indexed_seq = committed_seq;
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
        let _lock = self.lock_for_writing("add documents", self.lock_wait())?;
        let mut writer = self.writer()?;
        let mut summary = IngestSummary { caught_up: self.catch_up_with(&mut writer)?, ..Default::default() };
        let stories = self.config.ingest.stories;
        let mut batch = self.store.write()?;
        if stories {
            // A server that only polls sources must renew an older directory's story sketches
            // too, or what it adds never joins a story stored before the upgrade (one indexed
            // read when there is nothing to do). In the batch's transaction: a rollback leaves
            // the renewal to the next call.
            crate::stories::resketch(batch.connection()?, &mut self.bands)?;
        }
        for doc in docs {
            // An error drops the batch, which rolls it back (and the band index with it).
            if let Err(e) = store_and_index(&mut batch, &mut writer, doc, &mut summary, stories.then_some(&mut self.bands)) {
                self.bands.clear();
                return Err(e);
            }
        }
        let seq = batch.max_seq();
        batch.commit()?;
        writer.commit(seq)?;
        self.indexed_seq = seq;
        self.index.reload()?;
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }

    /// Rebuilds the index from the store, aside: the current index keeps answering searches (in
    /// this and other processes) until the new one is complete and swapped in atomically. An
    /// interrupted rebuild leaves the current index as it was.
    pub fn reindex(&mut self, interactive: bool, cancel: Arc<AtomicBool>) -> Result<ReindexSummary> {
        let started = Instant::now();
        let data_dir = self.config.data_dir.clone();
        // No writer may add documents meanwhile: the new index must hold all of them.
        let _lock = WriteLock::acquire(&data_dir, "reindex", self.lock_wait())?;
        let fresh = SearchIndex::create_aside(&data_dir)?;
        let upto = self.store.max_seq()?;
        let total = self.store.text_bytes_since(0)?;
        let mut progress = Progress::text("reindex", total, interactive);
        let ic = &self.config.ingest;
        let mut writer = fresh.writer(ic.index_threads, ic.index_heap_mb * 1024 * 1024)?;
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
            drop(writer);
            index::remove_abandoned(&data_dir, &index::current_dir(&data_dir)?);
            return Err(Error::Interrupted);
        }
        writer.commit(upto)?;
        writer.finish()?;
        index::publish(&data_dir, &fresh)?;
        fresh.reload()?;
        self.index = fresh;
        self.indexed_seq = upto;
        Ok(ReindexSummary {
            documents: docs,
            text_bytes: bytes,
            seconds: started.elapsed().as_secs_f64(),
            index_bytes: self.index.size_bytes(),
        })
    }

    /// Runs a search. If the index lags the store (an interrupted ingest), it is caught up
    /// first when no other process is writing.
    pub fn search(&mut self, request: &SearchRequest) -> Result<SearchResults> {
        // In memory first: reading the index's metadata from disk on every search would cost
        // more than many searches.
        if self.store.max_seq()? > self.indexed_seq {
            self.indexed_seq = self.index.indexed_seq()?;
            if self.store.max_seq()? > self.indexed_seq {
                match self.catch_up_if_free() {
                    Ok(Some(_)) => {}
                    Ok(None) => tracing::info!("another process is writing the index; searching what it holds now"),
                    Err(e) => tracing::warn!(error = %e, "index lags the database and could not catch up now"),
                }
            }
            self.index.reload()?;
        }
        search::search(&self.index, &self.store, request, &*self.vocabulary()?)
    }

    /// The documents matching `request`'s query and filters that were stored after seq `after`
    /// — every one of them, newest first — or, with `after` `None`, its newest `request.limit`
    /// matches. Only what the index holds is considered, and `upto` says how far that goes, so
    /// a caller that asks again from `upto` sees every document exactly once, whichever process
    /// stored it and however late the index caught up.
    pub fn matching_after(&self, request: &SearchRequest, after: Option<i64>) -> Result<Matches> {
        // The committed seq first, then the reader: the searcher then sees at least that commit.
        let indexed = self.index.indexed_seq()?;
        self.index.reload()?;
        let Some(after) = after else {
            let results = search::search(&self.index, &self.store, request, &*self.vocabulary()?)?;
            return Ok(Matches { ids: results.hits.into_iter().map(|h| h.id).collect(), upto: indexed });
        };
        if indexed <= after {
            return Ok(Matches { ids: Vec::new(), upto: after });
        }
        let candidates = self.store.ids_in_seq_range(after, indexed)?;
        let matching = search::matching_ids(&self.index, request, &*self.vocabulary()?, &candidates)?;
        Ok(Matches { ids: self.store.newest_first(&matching)?, upto: indexed })
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
            stories: crate::stories::stats(self.store.connection())?,
        })
    }

    /// Imports a saved result page (the format of ../shared/seeds/): its documents are stored
    /// and indexed, each with the page's digest attached.
    pub fn import_seed(&mut self, path: &Path) -> Result<SeedImport> {
        let page = crate::seed::read_seed(path)?;
        let docs: Vec<crate::Document> = page.entries.iter().map(|e| e.document.clone()).collect();
        let summary = self.add_documents(&docs)?;
        let by_kind = self.digester().attach_imported(&page)?;
        Ok(SeedImport {
            workflow: page.workflow,
            documents: page.entries.len(),
            ingested: summary.ingested,
            updated: summary.updated,
            unchanged: summary.unchanged,
            by_kind,
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
    store: &mut DocumentBatch<'_>,
    writer: &mut IndexBatch,
    doc: &crate::Document,
    counts: &mut IngestSummary,
    stories: Option<&mut crate::stories::BandIndex>,
) -> Result<()> {
    let upsert = store.upsert(doc)?;
    // In the documents' transaction: a crash keeps both or neither. An unchanged document is
    // assigned only when it has no story yet (stored with stories off).
    if let Some(bands) = stories
        && (upsert != Upsert::Unchanged || !crate::stories::has_story(store.connection()?, &doc.id)?)
    {
        let seq = match upsert {
            Upsert::Inserted { seq, .. } | Upsert::Updated { seq, .. } => seq,
            Upsert::Unchanged => crate::stories::stored_seq(store.connection()?, &doc.id)?,
        };
        crate::stories::assign(store.connection()?, bands, doc, seq, Utc::now().timestamp())?;
    }
    let (replace, duplicate_of) = match upsert {
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

/// Formats a publication date: `YYYY-MM-DD` when the source gave only the day, else as
/// [`format_when`] (also when the precision is unknown, as for rows stored before it was kept).
pub fn format_published(t: Option<DateTime<Utc>>, precision: Option<crate::document::DatePrecision>) -> String {
    match (t, precision) {
        (Some(t), Some(crate::document::DatePrecision::Day)) => t.format("%Y-%m-%d").to_string(),
        (t, _) => format_when(t),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Flags;

    fn engine(dir: &Path) -> Result<Engine> {
        let flags = Flags { data_dir: Some(dir.to_path_buf()), ..Flags::default() };
        Engine::open(Config::load(&flags, &HashMap::new())?)
    }

    fn doc(id: &str) -> crate::Document {
        let mut d = crate::Document::for_test(&format!("稀土 {id}"), &["商务部宣布对部分稀土物项实施出口管制。"]);
        d.id = id.into();
        d
    }

    fn total(e: &mut Engine, q: &str) -> Result<usize> {
        let r = e.search(&SearchRequest { query: q.into(), limit: 10, ..Default::default() })?;
        Ok(r.total)
    }

    /// A server that only adds documents (API uploads, polled sources) renews an older
    /// directory's story sketches too, so a copy it adds joins a story stored before.
    #[test]
    fn added_documents_find_stories_stored_by_an_earlier_sketch() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let text = "商务部、海关总署联合发布公告，决定对镓、锗相关物项实施出口管制，自八月一日起正式实施。\
                    公告明确，出口经营者应当按照相关规定办理出口许可手续，未经许可不得出口。\
                    业内人士表示，此举有利于更好维护国家安全和利益，对全球半导体供应链影响有限。\
                    分析师认为，相关企业短期出口节奏或将放缓，但长期看行业集中度有望进一步提升。";
        let mut original = crate::Document::for_test("两部门对镓锗实施出口管制", &[text]);
        original.id = "original".into();
        let mut copy = crate::Document::for_test("商务部海关总署：对镓锗相关物项实施出口管制", &[text, "（来源：证券时报）"]);
        copy.id = "copy".into();
        {
            let mut e = engine(dir.path())?;
            e.add_documents(&[original])?;
            crate::stories::as_written_by_the_earlier_sketch(e.store().connection())?;
        }
        let mut e = engine(dir.path())?;
        e.add_documents(&[copy])?;
        let conn = e.store().connection();
        let stories = crate::stories::stories_of(conn, &["original".to_string(), "copy".to_string()])?;
        assert_eq!(stories.get("copy").map(|s| (s.id, s.size)), stories.get("original").map(|s| (s.id, 2)));
        Ok(())
    }

    /// Documents a crashed writer stored but never indexed are caught up by the next writer,
    /// and the index records the seq it now covers.
    #[test]
    fn catch_up_indexes_what_a_dead_writer_stored() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut e = engine(dir.path())?;
        e.add_documents(&[doc("a")])?;
        {
            // As a writer killed between its store commit and its index commit leaves it.
            let mut b = e.store().write()?;
            b.upsert(&doc("b"))?;
            b.upsert(&doc("c"))?;
            b.commit()?;
        }
        assert_eq!(e.index_lag()?, 2);
        assert_eq!(e.catch_up()?, 2);
        assert_eq!(e.index_lag()?, 0);
        assert_eq!(e.index().indexed_seq()?, 3);
        assert_eq!(total(&mut e, "稀土")?, 3);
        Ok(())
    }

    /// A rebuild is built aside: interrupted, the current index is untouched and no partial
    /// directory is left; completed, it is swapped in and the old one removed.
    #[test]
    fn reindex_is_built_aside_and_swapped_in() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let mut e = engine(dir.path())?;
        e.add_documents(&[doc("a"), doc("b")])?;
        let cancelled = Arc::new(AtomicBool::new(true));
        assert!(matches!(e.reindex(false, cancelled), Err(Error::Interrupted)));
        assert_eq!(total(&mut e, "稀土")?, 2);
        let names = |d: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(d)
                .map(|r| r.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
                .unwrap_or_default();
            v.sort();
            v
        };
        assert!(!names(dir.path()).iter().any(|n| n.starts_with("index.")), "{:?}", names(dir.path()));
        let searcher = engine(dir.path())?; // another process, opened before the swap
        let summary = e.reindex(false, Arc::new(AtomicBool::new(false)))?;
        assert_eq!(summary.documents, 2);
        let current = index::current_dir(dir.path())?;
        assert_ne!(current, dir.path().join("index"));
        assert!(!dir.path().join("index").exists());
        assert!(searcher.index().is_stale(dir.path()));
        assert_eq!(total(&mut engine(dir.path())?, "稀土")?, 2);
        Ok(())
    }
}
