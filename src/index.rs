//! index: how are documents found fast?
//!
//! A tantivy index in `<data-dir>/index`, derived entirely from the store: title and body are
//! segmented by the Chinese-aware tokenizer (crate::segment), `published_at` is a fast field for
//! date filters and newest-first order, `source` and `lang` are filterable. Each commit records
//! the index format version and the last store `seq` it contains, so a crashed ingest is repaired
//! by catching up from the store, and an index written by another dossier asks for `reindex`
//! instead of crashing. This module builds no queries from user text (crate::search does).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::tokenizer::{LowerCaser, RawTokenizer, TextAnalyzer};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::document::Document;
use crate::error::{Error, Result};
use crate::segment;

/// Version of the index layout (fields, tokenizers). Bump it when either changes.
/// 2: event words (约谈, 高管, 增持 …) added to src/segment_dict.txt are single terms.
pub const INDEX_VERSION: u32 = 2;

/// Tokenizer for exact, case-insensitive keyword fields (source).
pub const KEYWORD_TOKENIZER: &str = "dossier_keyword";

/// Stands in for a missing date: sorts after every real date in newest-first order and falls
/// outside every date range.
pub const NO_DATE: i64 = i64::MIN;

#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub body: Field,
    pub published_at: Field,
    pub source: Field,
    pub lang: Field,
}

/// What each commit records about itself.
#[derive(Debug, Serialize, Deserialize)]
struct CommitPayload {
    version: u32,
    seq: i64,
}

#[derive(Clone)]
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(KEYWORD_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        title: b.add_text_field("title", text(segment::INDEX_TOKENIZER)),
        body: b.add_text_field("body", text(segment::INDEX_TOKENIZER)),
        published_at: b.add_i64_field("published_at", FAST | INDEXED),
        source: b.add_text_field("source", keyword),
        lang: b.add_text_field("lang", STRING),
    };
    (b.build(), fields)
}

fn register_tokenizers(index: &Index) {
    segment::register(index.tokenizers());
    index.tokenizers().register(
        KEYWORD_TOKENIZER,
        TextAnalyzer::builder(RawTokenizer::default()).filter(LowerCaser).build(),
    );
}

impl SearchIndex {
    /// Opens the index in `dir`, creating an empty one when the directory is absent or empty.
    pub fn open(dir: &Path) -> Result<SearchIndex> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (schema, fields) = schema();
        let has_meta = dir.join("meta.json").exists();
        let index = if has_meta {
            let index = Index::open_in_dir(dir)?;
            let found = payload_of(&index)?;
            // A created but never committed index has no payload and no segments: it is ours.
            let version_ok = match &found {
                Some(p) => p.version == INDEX_VERSION,
                None => index.searchable_segment_ids()?.is_empty(),
            };
            if !version_ok || index.schema() != schema {
                return Err(Error::FormatVersion {
                    what: "search index",
                    path: dir.to_path_buf(),
                    found: found
                        .map(|p| p.version.to_string())
                        .unwrap_or_else(|| "unknown".into()),
                    expected: INDEX_VERSION.to_string(),
                    remedy: "run `dossier reindex` to rebuild it from the database",
                });
            }
            index
        } else {
            Index::create_in_dir(dir, schema)?
        };
        register_tokenizers(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex { index, reader, fields, path: dir.to_path_buf() })
    }

    /// Opens the data directory's current index (see [`current_dir`]).
    pub fn open_current(data_dir: &Path) -> Result<SearchIndex> {
        SearchIndex::open(&current_dir(data_dir)?)
    }

    /// Creates an empty index in a new directory beside the current one, for a rebuild that
    /// [`publish`] makes current once it is complete. Searches meanwhile use the current one.
    pub fn create_aside(data_dir: &Path) -> Result<SearchIndex> {
        let stamp = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default();
        let dir = data_dir.join(format!("{BUILDING_PREFIX}{stamp}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        SearchIndex::open(&dir)
    }

    /// True when the data directory's current index is no longer this one (a `reindex` in
    /// some process published a new one): the caller should open the current one.
    pub fn is_stale(&self, data_dir: &Path) -> bool {
        current_dir(data_dir).is_ok_and(|d| d != self.path)
    }

    pub fn fields(&self) -> Fields {
        self.fields
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    pub fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Makes the latest commit visible to searchers.
    pub fn reload(&self) -> Result<()> {
        self.reader.reload()?;
        Ok(())
    }

    /// The last store seq this index contains (0 for an empty index).
    pub fn indexed_seq(&self) -> Result<i64> {
        Ok(payload_of(&self.index)?.map(|p| p.seq).unwrap_or(0))
    }

    /// Number of live documents in the index.
    pub fn num_docs(&self) -> u64 {
        self.searcher().num_docs()
    }

    /// Size of the index files on disk, in bytes.
    pub fn size_bytes(&self) -> u64 {
        dir_size(&self.path)
    }

    /// A writer with `threads` indexing threads sharing `heap_bytes` of memory.
    pub fn writer(&self, threads: usize, heap_bytes: usize) -> Result<IndexBatch> {
        let writer = self.index.writer_with_num_threads(threads.max(1), heap_bytes).map_err(|e| {
            match e {
                tantivy::TantivyError::LockFailure(..) => Error::Busy {
                    what: format!("the index at {}", self.path.display()),
                    detail: "another process holds its writer lock (an older dossier, or one that does not \
                             take the data directory's write lock)".into(),
                    remedy: "wait for it to finish and try again",
                },
                e => Error::Index(e),
            }
        })?;
        Ok(IndexBatch { writer, fields: self.fields })
    }
}

/// Pending index changes; they become visible and durable at `commit`.
pub struct IndexBatch {
    writer: IndexWriter,
    fields: Fields,
}

impl IndexBatch {
    /// Adds a document, replacing any earlier version with the same id.
    pub fn put(&mut self, doc: &Document, replace: bool) -> Result<()> {
        let f = self.fields;
        if replace {
            self.writer.delete_term(Term::from_field_text(f.id, &doc.id));
        }
        let mut d = TantivyDocument::new();
        d.add_text(f.id, &doc.id);
        d.add_text(f.title, &doc.title);
        for p in &doc.paragraphs {
            // Feeds often repeat the title as the first paragraph ("# title"): the title field
            // has it already, and indexing it twice would only inflate body scores and cost time.
            if p.trim_start_matches(['#', ' ']).trim() == doc.title.trim() {
                continue;
            }
            d.add_text(f.body, p);
        }
        d.add_i64(f.published_at, doc.published_at.map(|t| t.timestamp()).unwrap_or(NO_DATE));
        d.add_text(f.source, &doc.source);
        d.add_text(f.lang, doc.lang.as_str());
        self.writer.add_document(d)?;
        Ok(())
    }

    /// Removes a document by id.
    pub fn delete(&mut self, id: &str) {
        self.writer.delete_term(Term::from_field_text(self.fields.id, id));
    }

    /// Commits everything added so far, recording that the index now holds the store up to `seq`.
    pub fn commit(&mut self, seq: i64) -> Result<()> {
        let payload = serde_json::to_string(&CommitPayload { version: INDEX_VERSION, seq })?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Waits for background merges so the process can exit with a compact index.
    pub fn finish(self) -> Result<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

/// Where a data directory's indexes live: `index` until the first rebuild; afterwards the file
/// `index.current` names the directory in use. Rebuilds are written aside under this prefix and
/// swapped in by renaming that small file, which is atomic: a process opening the index sees
/// the old one or the new one, never a half-built or missing one.
const POINTER_FILE: &str = "index.current";
const BUILDING_PREFIX: &str = "index.";

/// The directory of the data directory's current index.
pub fn current_dir(data_dir: &Path) -> Result<PathBuf> {
    let pointer = data_dir.join(POINTER_FILE);
    match std::fs::read_to_string(&pointer) {
        Ok(name) => {
            let name = name.trim();
            // The file is ours, but a hand-edited one must not point outside the data directory.
            if name.is_empty() || name.contains(['/', '\\']) || name.starts_with("..") {
                return Err(Error::Config(format!(
                    "{} names {name:?}, which is not an index directory of this data directory; \
                     delete the file and run `dossier reindex`",
                    pointer.display()
                )));
            }
            Ok(data_dir.join(name))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(data_dir.join("index")),
        Err(e) => Err(Error::io(pointer, e)),
    }
}

/// Makes `built` (a complete index made by [`SearchIndex::create_aside`]) the data directory's
/// current index, atomically, and deletes the one it replaces and any abandoned rebuilds.
/// The caller holds the data directory's write lock, so no writer has the old one open;
/// readers in other processes keep their open files until they notice and reopen.
pub fn publish(data_dir: &Path, built: &SearchIndex) -> Result<()> {
    let old = current_dir(data_dir)?;
    let name = built
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Config(format!("{} is not a valid index directory name", built.path.display())))?;
    let pointer = data_dir.join(POINTER_FILE);
    let tmp = data_dir.join(format!("{POINTER_FILE}.tmp-{}", std::process::id()));
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(name.as_bytes()).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &pointer).map_err(|e| Error::io(&pointer, e))?;
    if let Ok(d) = std::fs::File::open(data_dir) {
        // Make the rename itself durable before the old index goes.
        let _ = d.sync_all();
    }
    if old != built.path {
        remove_index_dir(&old);
    }
    remove_abandoned(data_dir, &built.path);
    Ok(())
}

/// Deletes rebuilds that never finished (a `reindex` killed or interrupted). Only call with
/// the data directory's write lock held: then no rebuild is in progress.
pub fn remove_abandoned(data_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(data_dir) else { return };
    for e in entries.flatten() {
        let path = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        let is_rebuild = name.starts_with(BUILDING_PREFIX) && name != POINTER_FILE && !name.starts_with("index.current");
        if is_rebuild && path != keep && path.is_dir() {
            remove_index_dir(&path);
        }
    }
}

fn remove_index_dir(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir) {
        // Harmless: it only costs disk space until the next rebuild removes it.
        tracing::warn!(dir = %dir.display(), error = %e, "could not delete an old index directory");
    }
}

fn payload_of(index: &Index) -> Result<Option<CommitPayload>> {
    let metas = index.load_metas()?;
    Ok(metas.payload.as_deref().and_then(|p| serde_json::from_str(p).ok()))
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
