//! store: where is the system of record, and what does it hold?
//!
//! An embedded SQLite database (`dossier.db` in the data directory) holds every accepted
//! document with its numbered paragraphs, its digest, and workflow state. Every insert or update
//! of a document takes a new, increasing `seq`; the search index records the last `seq` it has
//! committed, so after a crash the index catches up from the store (the store is the truth, the
//! index is derived). This module must not know about tantivy or about how input is parsed.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::document::{DatePrecision, Document, Lang};
use crate::error::{Error, Result};

/// Version of the database schema this build reads and writes: the number of migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The schema, one migration per version; migration `i` takes a database from version `i` to
/// `i + 1`. Never edit a released migration: add one. The version is SQLite's `user_version`
/// (and, for dossier builds that predate it, `meta.schema_version`). rusqlite_migration does
/// this too, but its current release (2.6) needs rusqlite 0.40 and two bundled SQLites cannot be
/// linked into one binary; the whole mechanism is the 30 lines below.
const MIGRATIONS: [&str; 11] = [
    // 1: documents, digests and the digest cache.
    r#"
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL,
    title         TEXT NOT NULL,
    source        TEXT NOT NULL,
    published_at  INTEGER,
    url           TEXT,
    lang          TEXT NOT NULL,
    paragraphs    TEXT NOT NULL,
    meta          TEXT,
    content_hash  TEXT NOT NULL,
    record_hash   TEXT NOT NULL,
    text_bytes    INTEGER NOT NULL,
    duplicate_of  TEXT,
    kind          TEXT,
    ingested_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS documents_seq ON documents(seq);
CREATE INDEX IF NOT EXISTS documents_content_hash ON documents(content_hash);
CREATE TABLE IF NOT EXISTS digests (
    doc_id      TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    cache_key   TEXT NOT NULL,
    summarizer  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS digest_cache (
    cache_key          TEXT PRIMARY KEY,
    digest             TEXT NOT NULL,
    prompt_tokens      INTEGER NOT NULL DEFAULT 0,
    completion_tokens  INTEGER NOT NULL DEFAULT 0,
    created_at         INTEGER NOT NULL
);
"#,
    // 2: workflows (crate::workflow), their runs and the documents each collected. Databases of
    // version 1 may already hold these tables (the workflow module used to create them).
    r#"
CREATE TABLE IF NOT EXISTS workflows (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    definition   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS workflow_runs (
    id             INTEGER PRIMARY KEY,
    workflow_id    INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    ran_at         INTEGER NOT NULL,
    max_seq        INTEGER NOT NULL,
    new_documents  INTEGER NOT NULL,
    digests_made   INTEGER NOT NULL,
    digest_failures INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_runs_by_workflow ON workflow_runs(workflow_id, id);
CREATE TABLE IF NOT EXISTS workflow_documents (
    workflow_id  INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    doc_id       TEXT NOT NULL,
    run_id       INTEGER NOT NULL,
    added_at     INTEGER NOT NULL,
    PRIMARY KEY (workflow_id, doc_id)
);
"#,
    // 3: whether a document's date came with a time ('day' or 'minute'); NULL for rows stored
    // before, which show as they always did.
    r#"
ALTER TABLE documents ADD COLUMN date_precision TEXT;
"#,
    // 4: sources (crate::sources): feeds and watched directories with their polling state, and
    // the files of watched directories already ingested (path, mtime, size).
    r#"
CREATE TABLE IF NOT EXISTS sources (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    location       TEXT NOT NULL,
    every_secs     INTEGER NOT NULL,
    lang           TEXT,
    source_label   TEXT,
    created_at     INTEGER NOT NULL,
    last_poll      INTEGER,
    last_success   INTEGER,
    items_seen     INTEGER NOT NULL DEFAULT 0,
    items_new      INTEGER NOT NULL DEFAULT 0,
    total_new      INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    failures       INTEGER NOT NULL DEFAULT 0,
    next_poll      INTEGER NOT NULL,
    etag           TEXT,
    last_modified  TEXT
);
CREATE TABLE IF NOT EXISTS source_files (
    source_id  INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    size       INTEGER NOT NULL,
    PRIMARY KEY (source_id, path)
);
"#,
    // 5: workflow webhooks (crate::sources::webhook) and the log of their deliveries.
    r#"
CREATE TABLE IF NOT EXISTS workflow_webhooks (
    workflow_id  INTEGER PRIMARY KEY REFERENCES workflows(id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    secret       TEXT
);
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id           INTEGER PRIMARY KEY,
    workflow_id  INTEGER NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
    run_id       INTEGER NOT NULL,
    url          TEXT NOT NULL,
    at           INTEGER NOT NULL,
    attempts     INTEGER NOT NULL,
    status       INTEGER,
    delivered    INTEGER NOT NULL,
    error        TEXT
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_by_workflow ON webhook_deliveries(workflow_id, id);
"#,
    // 6: the brief of each workflow run that collected documents (crate::workflow::brief), as
    // JSON, so a page shows it without recomputing.
    r#"
CREATE TABLE IF NOT EXISTS workflow_briefs (
    run_id       INTEGER PRIMARY KEY,
    workflow_id  INTEGER NOT NULL,
    brief        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS workflow_briefs_by_workflow ON workflow_briefs (workflow_id, run_id);
"#,
    // 7: a document keeps one digest per summarizer family ('llm' or 'extractive', which includes
    // imported ones), so an LLM digest no longer replaces the extractive one. SQLite cannot
    // change a primary key in place: the table is rebuilt.
    r#"
CREATE TABLE digests_by_family (
    doc_id      TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    cache_key   TEXT NOT NULL,
    summarizer  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    family      TEXT GENERATED ALWAYS AS (CASE WHEN summarizer LIKE 'llm%' THEN 'llm' ELSE 'extractive' END) VIRTUAL
);
INSERT INTO digests_by_family (doc_id, cache_key, summarizer, digest, created_at)
    SELECT doc_id, cache_key, summarizer, digest, created_at FROM digests;
DROP TABLE digests;
ALTER TABLE digests_by_family RENAME TO digests;
CREATE UNIQUE INDEX digests_doc_family ON digests (doc_id, family);
"#,
    // 8: why a document's last digest of a family failed (an LLM timeout, a garbled answer), so
    // the page that shows the other family's digest instead can say why.
    r#"
CREATE TABLE IF NOT EXISTS digest_failures (
    doc_id     TEXT NOT NULL,
    family     TEXT NOT NULL,
    error      TEXT NOT NULL,
    failed_at  INTEGER NOT NULL,
    PRIMARY KEY (doc_id, family)
);
"#,
    // 9: stories (crate::stories): which documents tell the same story. `band_keys` keeps a
    // member's LSH keys so an update can remove exactly its rows from `story_bands`; band rows
    // have no foreign key (a deleted document's rows are skipped: it has no membership).
    // `sample` is its stored shingle sample, `rep` the member a story was founded by, and
    // `story_shingle_df` in how many founded stories a sampled shingle was seen (a stop list).
    r#"
CREATE TABLE IF NOT EXISTS stories (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    rep         TEXT
);
CREATE TABLE IF NOT EXISTS story_members (
    doc_id     TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    story_id   INTEGER NOT NULL,
    band_keys  BLOB NOT NULL,
    sample     BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS story_shingle_df (
    h  INTEGER PRIMARY KEY,
    n  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_members_by_story ON story_members(story_id);
CREATE TABLE IF NOT EXISTS story_bands (
    key     INTEGER NOT NULL,
    doc_id  TEXT NOT NULL,
    PRIMARY KEY (key, doc_id)
) WITHOUT ROWID;
"#,
    // 10: story candidates and the stop list are found in memory (crate::stories::bands), by day:
    // each member keeps the bucket it is compared around — its publication day (since 1970, UTC),
    // or when undated a bucket of 5,000 store seqs far below any day — and whether its sample counts towards the stop
    // list (it founded its story and is short: level-0 sample under 300 hashes). `story_bands`
    // (30 rows of random keys per document) and `story_shingle_df` (dozens of random-key upserts
    // per document) made ingest twice as slow, and slower as they grew: they go.
    r#"
ALTER TABLE story_members ADD COLUMN day INTEGER;
ALTER TABLE story_members ADD COLUMN stop_counted INTEGER NOT NULL DEFAULT 0;
UPDATE story_members SET
    day = (
        SELECT CASE WHEN t IS NULL THEN -4611686018427387904 + s / 5000
                    ELSE (t - ((t % 86400) + 86400) % 86400) / 86400 END
        FROM (SELECT d.published_at AS t, d.seq AS s FROM documents d WHERE d.id = story_members.doc_id)
    ),
    stop_counted = (
        doc_id IN (SELECT rep FROM stories) AND length(band_keys) > 0
        AND substr(sample, 5, 1) = x'00' AND length(sample) < 5 + 8 * 300
    );
CREATE INDEX IF NOT EXISTS story_members_by_day ON story_members(day);
DROP TABLE IF EXISTS story_bands;
DROP TABLE IF EXISTS story_shingle_df;
"#,
    // 11: a cheaper story sketch (rolling window hash, half the windows picked): samples and band
    // keys of the earlier one mean other shingles and never compare with the new ones, so they are
    // cleared, and the next ingest sketches those members again (crate::stories::resketch, which
    // the meta key asks for). Stories and their members stay as they are.
    r#"
UPDATE story_members SET band_keys = x'', sample = x'';
INSERT OR REPLACE INTO meta(key, value) VALUES ('stories_resketch', 'pending');
"#,
];

/// The summarizer family of a digest's `summarizer` name ("llm:<model>" → "llm"; extractive and
/// imported digests → "extractive"), as migration 7 computes it.
pub fn family_of(summarizer: &str) -> &'static str {
    if summarizer.starts_with("llm") { "llm" } else { "extractive" }
}

/// What storing one document did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upsert {
    /// A new id. `duplicate_of` names an existing document with exactly the same text.
    Inserted { seq: i64, duplicate_of: Option<String> },
    /// A known id whose content changed: the index must replace it.
    Updated { seq: i64, duplicate_of: Option<String> },
    /// A known id with identical content: nothing to do.
    Unchanged,
}

/// A stored document with its bookkeeping.
#[derive(Debug, Clone)]
pub struct StoredDocument {
    pub seq: i64,
    pub doc: Document,
    pub content_hash: String,
    pub duplicate_of: Option<String>,
    /// Per-document kind override for digests ("news", "research", …).
    pub kind: Option<String>,
}

/// Counts for `dossier stats`.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct StoreStats {
    pub documents: u64,
    pub duplicates: u64,
    pub digests: u64,
    pub by_source: Vec<(String, u64)>,
    pub by_lang: Vec<(String, u64)>,
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    pub undated: u64,
    pub text_bytes: u64,
    pub last_ingest: Option<DateTime<Utc>>,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A write transaction on the documents (`BEGIN IMMEDIATE`: it holds SQLite's write lock from
/// the start, so the sequence numbers it hands out are above every committed one and no other
/// process can take the same). Dropped without [`DocumentBatch::commit`], it rolls back.
pub struct DocumentBatch<'a> {
    conn: &'a Connection,
    /// Always `Some` between calls; `None` only inside [`DocumentBatch::checkpoint`].
    tx: Option<Transaction<'a>>,
    next_seq: i64,
}

/// Prepared statements a connection keeps (see [`Store::open`]).
const STATEMENT_CACHE: usize = 64;

impl Store {
    /// Opens (creating if needed) the database at `path`, bringing its schema up to date. A
    /// database written by a newer dossier is refused with a clear message.
    pub fn open(path: &Path) -> Result<Store> {
        let mut conn = Connection::open(path)?;
        // WAL + NORMAL: a crash can lose the last uncommitted transaction, never a committed one
        // or the file's integrity — what "reported as ingested" relies on. WAL also lets readers
        // (a `dossier serve`) read while another process writes.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // rusqlite keeps 16 prepared statements by default; ingest with stories cycles through
        // more than that per document, and each one evicted is parsed again (4–5 % of ingest
        // at 250 k documents, in `sqlite3Prepare`).
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // Without the query planner stability guarantee, SQLite re-prepares a statement whenever
        // a value bound to some of its parameters changes (the planner might choose differently
        // for it): story and duplicate lookups were parsed and planned again for every document,
        // ≈ 5 % of ingest at 250 k documents. Their plans are index lookups either way.
        conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
        migrate(&mut conn, path)?;
        Ok(Store { conn, path: path.to_path_buf() })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Starts a write transaction for documents; they become durable at `commit`.
    pub fn write(&self) -> Result<DocumentBatch<'_>> {
        let (tx, next_seq) = begin_documents(&self.conn)?;
        Ok(DocumentBatch { conn: &self.conn, tx: Some(tx), next_seq })
    }

    /// A write transaction for a module that owns rows in its own tables (workflows): taken
    /// with `BEGIN IMMEDIATE` so a read-then-write inside it sees what it changes.
    pub fn transaction(&self) -> Result<Transaction<'_>> {
        Ok(Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?)
    }
}

fn begin_documents(conn: &Connection) -> Result<(Transaction<'_>, i64)> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)?;
    // Read inside the transaction: another process may have written since this one opened.
    let next_seq: i64 = tx.query_row("SELECT COALESCE(MAX(seq), 0) + 1 FROM documents", [], |r| r.get(0))?;
    Ok((tx, next_seq))
}

/// Brings the schema of `conn` to [`SCHEMA_VERSION`], one migration per transaction. Each
/// migration re-reads the version inside its transaction, so two processes opening a database
/// at once do not both apply it.
fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let too_new = |found: String| Error::FormatVersion {
        what: "database",
        path: path.to_path_buf(),
        found,
        expected: SCHEMA_VERSION.to_string(),
        remedy: "use the dossier version that wrote it (or a newer one), or move the data directory aside and re-ingest",
    };
    // The common case — already current — must not take SQLite's write lock: a server opens
    // read connections while other processes write.
    let current: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current == SCHEMA_VERSION {
        return Ok(());
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut version: u32 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version == 0 {
            // Databases written before migrations existed say their version in `meta` only.
            let legacy: Option<String> = tx
                .query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))
                .optional()
                .or_else(|e| match e {
                    rusqlite::Error::SqliteFailure(_, Some(ref m)) if m.contains("no such table") => Ok(None),
                    e => Err(e),
                })?;
            match legacy.as_deref() {
                None => {}
                Some("1") => version = 1,
                Some(other) => return Err(too_new(other.to_string())),
            }
        }
        if version as usize > MIGRATIONS.len() {
            return Err(too_new(version.to_string()));
        }
        let Some(step) = MIGRATIONS.get(version as usize) else {
            return Ok(());
        };
        tx.execute_batch(step)?;
        let next = version + 1;
        tx.pragma_update(None, "user_version", next)?;
        // Older dossier builds check this value and refuse a database they cannot read.
        tx.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES ('schema_version', ?1)",
            [next.to_string()],
        )?;
        tx.commit()?;
        tracing::debug!(version = next, path = %path.display(), "database schema migrated");
    }
}

impl DocumentBatch<'_> {
    fn tx(&self) -> Result<&Transaction<'_>> {
        // Only a checkpoint whose new BEGIN failed leaves no transaction; that error was returned.
        self.tx.as_ref().ok_or(Error::Sqlite(rusqlite::Error::InvalidQuery))
    }

    /// Makes everything in the batch durable.
    pub fn commit(mut self) -> Result<()> {
        if let Some(tx) = self.tx.take() {
            tx.commit()?;
        }
        Ok(())
    }

    /// Commits what the batch holds and goes on in a new transaction. Returns the highest seq
    /// now committed.
    pub fn checkpoint(&mut self) -> Result<i64> {
        let done = self.max_seq();
        if let Some(tx) = self.tx.take() {
            tx.commit()?;
        }
        let (tx, next_seq) = begin_documents(self.conn)?;
        self.tx = Some(tx);
        self.next_seq = next_seq;
        Ok(done)
    }

    /// The open transaction, for modules that write their own rows with the documents
    /// (`stories::assign`), so both commit or roll back together.
    pub fn connection(&self) -> Result<&Connection> {
        Ok(self.tx()?)
    }

    /// The highest seq this batch has handed out (or the highest committed before it).
    pub fn max_seq(&self) -> i64 {
        self.next_seq - 1
    }

    /// Inserts or updates one document (inside the caller's transaction).
    pub fn upsert(&mut self, doc: &Document) -> Result<Upsert> {
        let content_hash = doc.content_hash();
        let record_hash = doc.record_hash(&content_hash);
        let precision = doc.published_precision.map(|p| p.as_str());
        let meta = if doc.meta.is_null() { None } else { Some(serde_json::to_string(&doc.meta)?) };
        let found: Option<(String, Option<String>, Option<String>)> = self
            .tx()?
            .prepare_cached("SELECT record_hash, date_precision, meta FROM documents WHERE id = ?1")?
            .query_row([&doc.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let existing = found.as_ref().map(|(h, _, _)| h.as_str());
        if existing == Some(record_hash.as_str()) {
            // The precision and the outlet are not part of the record hash, so re-ingesting a
            // database from before they were kept fills them in without a new seq, a reindex
            // or a lost digest.
            if let Some((_, stored, _)) = &found
                && precision.is_some()
                && stored.as_deref() != precision
            {
                self.tx()?
                    .prepare_cached("UPDATE documents SET date_precision = ?2 WHERE id = ?1")?
                    .execute(params![doc.id, precision])?;
            }
            // With equal record hashes the meta can differ only in its outlet.
            if let Some((_, _, stored_meta)) = &found
                && *stored_meta != meta
            {
                self.tx()?
                    .prepare_cached("UPDATE documents SET meta = ?2 WHERE id = ?1")?
                    .execute(params![doc.id, meta])?;
            }
            return Ok(Upsert::Unchanged);
        }
        let duplicate_of: Option<String> = self
            .tx()?
            .prepare_cached(
                "SELECT id FROM documents WHERE content_hash = ?1 AND id <> ?2 ORDER BY seq LIMIT 1",
            )?
            .query_row(params![content_hash, doc.id], |r| r.get(0))
            .optional()?;
        let seq = self.next_seq;
        self.next_seq += 1;
        let paragraphs = serde_json::to_string(&doc.paragraphs)?;
        let now = Utc::now().timestamp();
        self.tx()?
            .prepare_cached(
                "INSERT INTO documents (id, seq, title, source, published_at, url, lang, paragraphs, meta,
                    content_hash, record_hash, text_bytes, duplicate_of, ingested_at, date_precision)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, title = excluded.title,
                    source = excluded.source, published_at = excluded.published_at, url = excluded.url,
                    lang = excluded.lang, paragraphs = excluded.paragraphs, meta = excluded.meta,
                    content_hash = excluded.content_hash, record_hash = excluded.record_hash,
                    text_bytes = excluded.text_bytes, duplicate_of = excluded.duplicate_of,
                    ingested_at = excluded.ingested_at, date_precision = excluded.date_precision",
            )?
            .execute(params![
                doc.id,
                seq,
                doc.title,
                doc.source,
                doc.published_at.map(|t| t.timestamp()),
                doc.url,
                doc.lang.as_str(),
                paragraphs,
                meta,
                content_hash,
                record_hash,
                doc.text_len() as i64,
                duplicate_of,
                now,
                precision,
            ])?;
        if existing.is_some() {
            // The text changed, so any digest of the old text no longer describes it.
            self.tx()?.prepare_cached("DELETE FROM digests WHERE doc_id = ?1")?.execute([&doc.id])?;
            Ok(Upsert::Updated { seq, duplicate_of })
        } else {
            Ok(Upsert::Inserted { seq, duplicate_of })
        }
    }
}

impl Store {

    /// One document by id.
    pub fn get(&self, id: &str) -> Result<Option<StoredDocument>> {
        let mut stmt = self.conn.prepare_cached(&format!("{SELECT_DOC} WHERE id = ?1"))?;
        Ok(stmt.query_row([id], row_to_stored).optional()?)
    }

    /// Several documents by id, in the order asked (missing ids are skipped).
    pub fn get_many(&self, ids: &[String]) -> Result<Vec<StoredDocument>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(d) = self.get(id)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Calls `f` for every document with `seq > after`, in seq order — the index's catch-up
    /// and rebuild feed.
    pub fn for_each_since(
        &self,
        after: i64,
        f: &mut dyn FnMut(StoredDocument) -> Result<std::ops::ControlFlow<()>>,
    ) -> Result<()> {
        let mut stmt =
            self.conn.prepare(&format!("{SELECT_DOC} WHERE seq > ?1 ORDER BY seq"))?;
        let mut rows = stmt.query([after])?;
        while let Some(row) = rows.next()? {
            let doc = row_to_stored(row)?;
            if f(doc)?.is_break() {
                break;
            }
        }
        Ok(())
    }

    /// The highest seq committed (0 when empty), read now: other processes write too.
    pub fn max_seq(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM documents")?
            .query_row([], |r| r.get(0))?)
    }

    /// `ids` ordered as pages read — newest published first, undated last, later stored first
    /// among equals — from the date and seq columns only (no paragraphs are read); unknown ids
    /// are dropped.
    pub fn newest_first(&self, ids: &[String]) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare_cached("SELECT published_at, seq FROM documents WHERE id = ?1")?;
        let mut dated: Vec<(Option<i64>, i64, &String)> = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some((at, seq)) = stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional()? {
                dated.push((at, seq, id));
            }
        }
        dated.sort_by(|a, b| b.0.is_some().cmp(&a.0.is_some()).then(b.0.cmp(&a.0)).then(b.1.cmp(&a.1)));
        Ok(dated.into_iter().map(|(_, _, id)| id.clone()).collect())
    }

    /// Ids of the documents stored after seq `after`, up to and including `upto`.
    pub fn ids_in_seq_range(&self, after: i64, upto: i64) -> Result<Vec<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT id FROM documents WHERE seq > ?1 AND seq <= ?2")?
            .query_map([after, upto], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Documents stored, and when the latest insert or update was: COUNT(*) walks the smallest
    /// index and the highest seq is the latest write, so no scan of the documents table.
    pub fn counts(&self) -> Result<(u64, Option<DateTime<Utc>>)> {
        let documents: i64 = self.conn.prepare_cached("SELECT COUNT(*) FROM documents")?.query_row([], |r| r.get(0))?;
        let last: Option<i64> = self
            .conn
            .prepare_cached("SELECT ingested_at FROM documents ORDER BY seq DESC LIMIT 1")?
            .query_row([], |r| r.get(0))
            .optional()?;
        Ok((documents as u64, last.and_then(from_unix)))
    }

    /// Number of documents with seq > `after`.
    pub fn count_since(&self, after: i64) -> Result<u64> {
        Ok(self.conn.query_row("SELECT COUNT(*) FROM documents WHERE seq > ?1", [after], |r| {
            r.get::<_, i64>(0)
        })? as u64)
    }

    /// Total text bytes of documents with seq > `after` (for progress in MB/s).
    pub fn text_bytes_since(&self, after: i64) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT COALESCE(SUM(text_bytes), 0) FROM documents WHERE seq > ?1",
            [after],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Sets or clears a document's digest-kind override.
    pub fn set_kind(&self, id: &str, kind: Option<&str>) -> Result<()> {
        let n = self.conn.execute("UPDATE documents SET kind = ?2 WHERE id = ?1", params![id, kind])?;
        if n == 0 {
            return Err(Error::NotFound { what: "document", name: id.to_string() });
        }
        Ok(())
    }

    /// The newest stored digest of a document, as JSON, with its cache key.
    pub fn digest_json(&self, doc_id: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT cache_key, digest FROM digests WHERE doc_id = ?1 ORDER BY created_at DESC, family LIMIT 1")?
            .query_row([doc_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every stored digest of a document, one per summarizer family ("llm", "extractive"), as
    /// (family, cache key, JSON), the LLM's first.
    pub fn digests_json(&self, doc_id: &str) -> Result<Vec<(String, String, String)>> {
        Ok(self
            .conn
            .prepare_cached("SELECT family, cache_key, digest FROM digests WHERE doc_id = ?1 ORDER BY family DESC")?
            .query_map([doc_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Records why the last digest of `family` for `doc_id` failed (kept until one is stored).
    pub fn note_digest_failure(&self, doc_id: &str, family: &str, error: &str) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO digest_failures (doc_id, family, error, failed_at) VALUES (?1, ?2, ?3, ?4)")?
            .execute(params![doc_id, family, error, Utc::now().timestamp()])?;
        Ok(())
    }

    /// Why the last digest of `family` for `doc_id` failed, if it did and none was stored since.
    pub fn digest_failure(&self, doc_id: &str, family: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT error FROM digest_failures WHERE doc_id = ?1 AND family = ?2")?
            .query_row([doc_id, family], |r| r.get(0))
            .optional()?)
    }

    /// Stores a digest made for `doc_id` under `cache_key`, as the document's digest and in the
    /// shared cache, in one short transaction.
    pub fn keep_digest(
        &self,
        doc_id: &str,
        cache_key: &str,
        summarizer: &str,
        json: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Result<()> {
        let tx = self.transaction()?;
        self.put_digest_pair(doc_id, cache_key, summarizer, json, prompt_tokens, completion_tokens)?;
        tx.commit()?;
        Ok(())
    }

    /// As [`Store::keep_digest`], inside the caller's transaction.
    pub fn put_digest_pair(
        &self,
        doc_id: &str,
        cache_key: &str,
        summarizer: &str,
        json: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Result<()> {
        self.put_cached_digest_json(cache_key, json, prompt_tokens, completion_tokens)?;
        self.put_digest_json(doc_id, cache_key, summarizer, json)
    }

    /// Stores a document's digest (JSON), replacing any earlier one of the same summarizer
    /// family (and the record of its failure).
    pub fn put_digest_json(
        &self,
        doc_id: &str,
        cache_key: &str,
        summarizer: &str,
        json: &str,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO digests (doc_id, cache_key, summarizer, digest, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(doc_id, family) DO UPDATE SET cache_key = excluded.cache_key,
                   summarizer = excluded.summarizer, digest = excluded.digest,
                   created_at = excluded.created_at",
            )?
            .execute(params![doc_id, cache_key, summarizer, json, Utc::now().timestamp()])?;
        self.conn
            .prepare_cached("DELETE FROM digest_failures WHERE doc_id = ?1 AND family = ?2")?
            .execute([doc_id, family_of(summarizer)])?;
        Ok(())
    }

    /// A cached digest (any document with the same content, template, model and prompt).
    pub fn cached_digest_json(&self, cache_key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT digest FROM digest_cache WHERE cache_key = ?1")?
            .query_row([cache_key], |r| r.get(0))
            .optional()?)
    }

    pub fn put_cached_digest_json(
        &self,
        cache_key: &str,
        json: &str,
        prompt_tokens: u64,
        completion_tokens: u64,
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO digest_cache (cache_key, digest, prompt_tokens, completion_tokens, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                cache_key,
                json,
                prompt_tokens as i64,
                completion_tokens as i64,
                Utc::now().timestamp()
            ])?;
        Ok(())
    }

    /// Ids of documents (optionally published since `since`) that have no stored digest.
    pub fn ids_without_digest(&self, since: Option<DateTime<Utc>>) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT d.id FROM documents d LEFT JOIN digests g ON g.doc_id = d.id
             WHERE g.doc_id IS NULL AND (?1 IS NULL OR d.published_at >= ?1)
             ORDER BY d.published_at DESC, d.seq",
        )?;
        let ids = stmt
            .query_map([since.map(|t| t.timestamp())], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(ids)
    }

    pub fn stats(&self) -> Result<StoreStats> {
        let c = &self.conn;
        let mut s = StoreStats::default();
        let (docs, dups, bytes, earliest, latest, undated, last): (
            i64,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            i64,
            Option<i64>,
        ) = c.query_row(
            "SELECT COUNT(*), COUNT(duplicate_of), COALESCE(SUM(text_bytes),0), MIN(published_at),
                    MAX(published_at), SUM(published_at IS NULL), MAX(ingested_at) FROM documents",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get::<_, Option<i64>>(5)?.unwrap_or(0),
                    r.get(6)?,
                ))
            },
        )?;
        s.documents = docs as u64;
        s.duplicates = dups as u64;
        s.text_bytes = bytes as u64;
        s.earliest = earliest.and_then(from_unix);
        s.latest = latest.and_then(from_unix);
        s.undated = undated as u64;
        s.last_ingest = last.and_then(from_unix);
        s.digests = c.query_row("SELECT COUNT(DISTINCT doc_id) FROM digests", [], |r| r.get::<_, i64>(0))? as u64;
        let group = |col: &str| -> Result<Vec<(String, u64)>> {
            let mut stmt = c.prepare(&format!(
                "SELECT {col}, COUNT(*) FROM documents GROUP BY {col} ORDER BY COUNT(*) DESC, {col}"
            ))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        s.by_source = group("source")?;
        s.by_lang = group("lang")?;
        Ok(s)
    }

    /// The connection, for reads of tables a module owns (workflows); writes go through
    /// [`Store::transaction`].
    pub fn connection(&self) -> &Connection {
        &self.conn
    }
}

const SELECT_DOC: &str = "SELECT seq, id, title, source, published_at, url, lang, paragraphs, meta,
    content_hash, duplicate_of, kind, date_precision FROM documents";

fn row_to_stored(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredDocument> {
    let paragraphs: String = r.get(7)?;
    let meta: Option<String> = r.get(8)?;
    let lang: String = r.get(6)?;
    let bad = |i: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    };
    Ok(StoredDocument {
        seq: r.get(0)?,
        doc: Document {
            id: r.get(1)?,
            title: r.get(2)?,
            source: r.get(3)?,
            published_at: r.get::<_, Option<i64>>(4)?.and_then(from_unix),
            published_precision: r.get::<_, Option<String>>(12)?.as_deref().and_then(DatePrecision::parse),
            url: r.get(5)?,
            lang: Lang::parse(&lang).unwrap_or(Lang::Zh),
            paragraphs: serde_json::from_str(&paragraphs).map_err(|e| bad(7, e))?,
            meta: match meta {
                Some(m) => serde_json::from_str(&m).map_err(|e| bad(8, e))?,
                None => serde_json::Value::Null,
            },
        },
        content_hash: r.get(9)?,
        duplicate_of: r.get(10)?,
        kind: r.get(11)?,
    })
}

fn from_unix(t: i64) -> Option<DateTime<Utc>> {
    Utc.timestamp_opt(t, 0).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, text: &str) -> Document {
        Document {
            id: id.into(),
            title: format!("title {text}"),
            source: "test".into(),
            published_at: Utc.with_ymd_and_hms(2024, 5, 1, 10, 30, 0).single(),
            published_precision: Some(DatePrecision::Minute),
            url: None,
            lang: Lang::Zh,
            paragraphs: vec![text.into(), "第二段".into()],
            meta: serde_json::Value::Null,
        }
    }

    #[test]
    fn upsert_reports_insert_update_unchanged_and_duplicates() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let s = Store::open(&dir.path().join("d.db"))?;
        let mut b = s.write()?;
        assert!(matches!(b.upsert(&doc("a", "稀土"))?, Upsert::Inserted { seq: 1, duplicate_of: None }));
        assert_eq!(b.upsert(&doc("a", "稀土"))?, Upsert::Unchanged);
        assert!(matches!(b.upsert(&doc("a", "稀土永磁"))?, Upsert::Updated { seq: 2, .. }));
        assert_eq!(
            b.upsert(&doc("b", "稀土永磁"))?,
            Upsert::Inserted { seq: 3, duplicate_of: Some("a".into()) }
        );
        b.commit()?;
        let got = s.get("a")?.map(|d| d.doc.paragraphs);
        assert_eq!(got, Some(vec!["稀土永磁".to_string(), "第二段".to_string()]));
        let mut seen = vec![];
        s.for_each_since(2, &mut |d| {
            seen.push(d.doc.id);
            Ok(std::ops::ControlFlow::Continue(()))
        })?;
        assert_eq!(seen, vec!["b"]);
        Ok(())
    }

    #[test]
    fn reopening_keeps_seq_and_rejects_other_schema_versions() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("d.db");
        {
            let s = Store::open(&path)?;
            let mut b = s.write()?;
            b.upsert(&doc("a", "x"))?;
            b.commit()?;
        }
        let s = Store::open(&path)?;
        assert_eq!(s.max_seq()?, 1);
        s.connection().pragma_update(None, "user_version", 999)?;
        drop(s);
        let err = Store::open(&path).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("format version 999") && err.contains(&format!("expects {SCHEMA_VERSION}")), "{err}");
        Ok(())
    }

    /// Two connections (two processes) writing to one database: each batch reads the highest
    /// seq inside its own transaction, so neither hands out a seq the other committed — the
    /// bug where a server's counter, read once at open, collided with a CLI ingest's rows.
    #[test]
    fn writers_on_two_connections_never_collide_on_seq() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("d.db");
        let server = Store::open(&path)?;
        let cli = Store::open(&path)?;
        for round in 0..3 {
            let mut b = cli.write()?;
            b.upsert(&doc(&format!("cli-{round}"), &format!("命令行 {round}")))?;
            b.commit()?;
            let mut b = server.write()?;
            let got = b.upsert(&doc(&format!("api-{round}"), &format!("接口 {round}")))?;
            b.commit()?;
            assert!(matches!(got, Upsert::Inserted { seq, .. } if seq == 2 * round + 2), "{got:?}");
        }
        assert_eq!(server.max_seq()?, 6);
        assert_eq!(server.ids_in_seq_range(4, 6)?, vec!["cli-2".to_string(), "api-2".to_string()]);
        Ok(())
    }

    /// A database written before migrations existed (version 1 in `meta`, workflow tables
    /// created on the side) opens, gains version 2, and keeps its rows.
    #[test]
    fn a_version_1_database_is_migrated_in_place() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("d.db");
        {
            let conn = Connection::open(&path)?;
            conn.execute_batch(MIGRATIONS[0])?;
            conn.execute("INSERT INTO meta(key, value) VALUES ('schema_version', '1')", [])?;
            conn.execute_batch(
                "CREATE TABLE workflows (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, definition TEXT NOT NULL,
                   created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
                 INSERT INTO workflows VALUES (1, '稀土', '{}', 0, 0);",
            )?;
        }
        let s = Store::open(&path)?;
        let version: u32 = s.connection().pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(version, SCHEMA_VERSION);
        let meta: String =
            s.connection().query_row("SELECT value FROM meta WHERE key = 'schema_version'", [], |r| r.get(0))?;
        assert_eq!(meta, SCHEMA_VERSION.to_string());
        let n: i64 = s.connection().query_row("SELECT COUNT(*) FROM workflows", [], |r| r.get(0))?;
        assert_eq!(n, 1);
        let runs: i64 = s.connection().query_row("SELECT COUNT(*) FROM workflow_runs", [], |r| r.get(0))?;
        assert_eq!(runs, 0);
        Ok(())
    }

    /// A version-2 database (before dates kept their precision) gains the `date_precision`
    /// column; its rows read as unknown (shown with a time, as before), and re-ingesting the
    /// same record fills the precision in while staying "unchanged" (same seq, digest kept).
    #[test]
    fn a_version_2_database_gains_date_precision_and_reingest_fills_it() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let path = dir.path().join("d.db");
        let mut day = doc("a", "稀土");
        day.published_at = Utc.with_ymd_and_hms(2024, 3, 20, 0, 0, 0).single();
        day.published_precision = None;
        {
            let mut conn = Connection::open(&path)?;
            let tx = conn.transaction()?;
            tx.execute_batch(MIGRATIONS[0])?;
            tx.execute_batch(MIGRATIONS[1])?;
            tx.pragma_update(None, "user_version", 2)?;
            tx.execute(
                "INSERT INTO documents (id, seq, title, source, published_at, url, lang, paragraphs, meta,
                    content_hash, record_hash, text_bytes, duplicate_of, ingested_at)
                 VALUES (?1, 1, ?2, ?3, ?4, NULL, 'zh', ?5, NULL, ?6, ?7, 10, NULL, 0)",
                params![
                    day.id,
                    day.title,
                    day.source,
                    day.published_at.map(|t| t.timestamp()),
                    serde_json::to_string(&day.paragraphs)?,
                    day.content_hash(),
                    day.record_hash(&day.content_hash())
                ],
            )?;
            tx.execute("INSERT INTO digests VALUES ('a', 'k', 'extractive', '{}', 0)", [])?;
            tx.commit()?;
        }
        let s = Store::open(&path)?;
        let version: u32 = s.connection().pragma_query_value(None, "user_version", |r| r.get(0))?;
        assert_eq!(version, SCHEMA_VERSION);
        let old = s.get("a")?.map(|d| d.doc.published_precision);
        assert_eq!(old, Some(None), "an old row's precision is unknown");
        let mut b = s.write()?;
        day.published_precision = Some(DatePrecision::Day);
        // The outlet ingest finds now is kept the same way: outside the record hash.
        day.meta = serde_json::json!({"outlet": "环球时报"});
        assert_eq!(b.upsert(&day)?, Upsert::Unchanged);
        b.commit()?;
        let now = s.get("a")?;
        assert_eq!(now.as_ref().map(|d| (d.seq, d.doc.published_precision)), Some((1, Some(DatePrecision::Day))));
        assert_eq!(now.as_ref().and_then(|d| d.doc.outlet()), Some("环球时报"));
        assert!(s.digest_json("a")?.is_some(), "an unchanged re-ingest keeps the digest");
        Ok(())
    }
}
