//! digesting: how do stored documents get their digests?
//!
//! A [`Digester`] connects the summarizers (crate::digest) to the store: picks the summarizer the
//! caller asks for (the offline extractive one, or an OpenAI-compatible LLM from the
//! configuration), reuses a stored or cached digest when document text, template, model,
//! language and prompt are unchanged, makes and verifies the digest otherwise, and stores it
//! with the document in a short transaction of its own — never while holding a lock across a
//! model call, so an LLM that hangs delays only its own digest. Batch runs keep every digest
//! made before a failure. It needs only a store connection (not the index or its write lock)
//! and must not render digests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::llm::{LlmSummarizer, OutputLang, TokenUsage};
use crate::digest::{Digest, DigestRequest, DocKind, ExtractiveSummarizer, Summarizer, detect_kind};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::store::{Store, StoredDocument};

/// Which summarizer to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SummarizerChoice {
    /// Offline sentence extraction: deterministic, quotes the source.
    #[default]
    Extractive,
    /// The configured OpenAI-compatible endpoint (config `llm.*`).
    Llm,
}

/// What a caller wants of a digest.
#[derive(Debug, Clone, Default)]
pub struct DigestOptions {
    pub summarizer: SummarizerChoice,
    /// Output language (LLM only; extractive digests quote the source's language).
    pub lang: Option<OutputLang>,
    /// The workflow's query, to favour what answers it.
    pub query: Option<String>,
    /// Make it again even when a stored digest is current.
    pub force: bool,
}

/// What a batch run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DigestRunSummary {
    pub made: u64,
    pub reused: u64,
    pub failed: u64,
    /// Documents passed over because they hold only their title (nothing to digest).
    pub skipped_title_only: u64,
    pub failures: Vec<(String, String)>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub seconds: f64,
    pub interrupted: bool,
}

/// Makes, reuses and keeps digests of the documents of one store.
pub struct Digester<'a> {
    store: &'a Store,
    config: &'a Config,
}

/// A digest made but not stored yet (a web page shows it at once and stores it later, off the
/// request's path).
#[derive(Debug, Clone)]
pub struct UnstoredDigest {
    pub doc_id: String,
    pub cache_key: String,
    pub digest: Digest,
}

impl<'a> Digester<'a> {
    pub fn new(store: &'a Store, config: &'a Config) -> Digester<'a> {
        Digester { store, config }
    }

    fn store(&self) -> &Store {
        self.store
    }

    fn summarizer(&self, opts: &DigestOptions) -> Result<Summarizer> {
        match opts.summarizer {
            SummarizerChoice::Extractive => Ok(Summarizer::Extractive(ExtractiveSummarizer::new())),
            SummarizerChoice::Llm => {
                let mut cfg = self.config.llm.llm_config()?;
                if let Some(lang) = opts.lang {
                    cfg.output_lang = lang;
                }
                Ok(Summarizer::Llm(LlmSummarizer::new(cfg)?))
            }
        }
    }

    /// Whether the stored document holds only its title (see [`crate::Document::is_title_only`]);
    /// a workflow run asks before digesting so it does not count such items as failures.
    pub fn is_title_only(&self, id: &str) -> Result<bool> {
        Ok(self.store().get(id)?.is_some_and(|d| d.doc.is_title_only()))
    }

    fn kind_of(d: &StoredDocument) -> DocKind {
        d.kind.as_deref().and_then(DocKind::parse).unwrap_or_else(|| detect_kind(&d.doc))
    }

    /// A digest already made for this exact input, from the document's own record or the
    /// shared cache (the same text under another id).
    fn reuse(&self, doc_id: &str, key: &str) -> Result<Option<Digest>> {
        if let Some((stored_key, json)) = self.store().digest_json(doc_id)?
            && (stored_key == key || stored_key == IMPORTED_KEY)
        {
            return Ok(Some(serde_json::from_str(&json)?));
        }
        match self.store().cached_digest_json(key)? {
            Some(json) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    fn keep(&self, doc_id: &str, key: &str, digest: &Digest, usage: TokenUsage) -> Result<()> {
        let json = serde_json::to_string(digest)?;
        self.store
            .keep_digest(doc_id, key, &digest.summarizer, &json, usage.prompt_tokens, usage.completion_tokens)
    }

    /// Stores digests made earlier with [`Digester::make_unstored`], in one short transaction.
    pub fn keep_unstored(&self, made: &[UnstoredDigest]) -> Result<()> {
        let tx = self.store.transaction()?;
        for m in made {
            // The document may have changed meanwhile: a digest of its old text is not kept.
            let current = self
                .store
                .get(&m.doc_id)?
                .map(|d| self.key_for(&d, &DigestOptions::default()))
                .transpose()?;
            if current.as_deref() == Some(m.cache_key.as_str()) {
                let json = serde_json::to_string(&m.digest)?;
                self.store.put_digest_pair(&m.doc_id, &m.cache_key, &m.digest.summarizer, &json, 0, 0)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn key_for(&self, d: &StoredDocument, opts: &DigestOptions) -> Result<String> {
        let summarizer = self.summarizer(opts)?;
        Ok(summarizer.cache_key(&d.doc, Self::kind_of(d), opts.query.as_deref()))
    }

    /// The document's stored digest, or an extractive one made now and returned without being
    /// stored (`None` as the second value when it was stored already). Reads only.
    pub fn stored_or_unstored(&self, id: &str) -> Result<(Digest, Option<UnstoredDigest>)> {
        if let Some(d) = self.stored_digest(id)? {
            return Ok((d, None));
        }
        let (made, _) = self.make(id, &DigestOptions::default())?;
        Ok((made.digest.clone(), Some(made)))
    }

    /// The digest of one document: the stored one when current, else made, verified and stored.
    pub fn digest(&self, id: &str, opts: &DigestOptions) -> Result<Digest> {
        let (made, fresh) = self.make(id, opts)?;
        if let Some(usage) = fresh {
            self.keep(id, &made.cache_key, &made.digest, usage)?;
        }
        Ok(made.digest)
    }

    /// The digest `opts` asks for, reused when one is current (unless `force`) or made and
    /// verified now — not stored. `Some(usage)` when it was made now.
    fn make(&self, id: &str, opts: &DigestOptions) -> Result<(UnstoredDigest, Option<TokenUsage>)> {
        let d = self
            .store()
            .get(id)?
            .ok_or_else(|| Error::NotFound { what: "document", name: id.to_string() })?;
        refuse_title_only(&d)?;
        let summarizer = self.summarizer(opts)?;
        let kind = Self::kind_of(&d);
        let cache_key = summarizer.cache_key(&d.doc, kind, opts.query.as_deref());
        let unstored = |digest| UnstoredDigest { doc_id: id.to_string(), cache_key: cache_key.clone(), digest };
        if !opts.force
            && let Some(found) = self.reuse(id, &cache_key)?
        {
            return Ok((unstored(found), None));
        }
        let req = DigestRequest { kind: Some(kind), query: opts.query.clone(), lang: opts.lang };
        let (digest, usage) = summarizer.summarize_counted(&d.doc, &req)?;
        Ok((unstored(digest), Some(usage)))
    }

    /// Sets the digest template of one document ("news", "research", "roundup", "excerpt"), or
    /// back to detection with "auto". Digests made after it use the new kind.
    pub fn set_kind(&self, id: &str, kind: &str) -> Result<()> {
        let value = match kind.trim() {
            "auto" => None,
            k => Some(
                DocKind::parse(k)
                    .ok_or_else(|| {
                        Error::BadField {
                            field: "kind".into(),
                            message: format!(
                                "{k:?} is not a digest kind; use news, research, roundup, excerpt or auto"
                            ),
                        }
                    })?
                    .as_str(),
            ),
        };
        self.store.set_kind(id, value)
    }

    /// The stored digest of a document, whatever made it.
    pub fn stored_digest(&self, id: &str) -> Result<Option<Digest>> {
        match self.store().digest_json(id)? {
            Some((_, json)) => Ok(Some(serde_json::from_str(&json)?)),
            None => Ok(None),
        }
    }

    /// Digests every document that has none (published since `since`, if given). Failures are
    /// counted and described; digests made before them stay stored.
    pub fn digest_missing(
        &self,
        since: Option<DateTime<Utc>>,
        opts: &DigestOptions,
        interactive: bool,
        cancel: Arc<AtomicBool>,
    ) -> Result<DigestRunSummary> {
        let ids = self.store().ids_without_digest(since)?;
        self.digest_ids(&ids, opts, interactive, cancel)
    }

    /// Digests the given documents (stored digests that are current are reused).
    pub fn digest_ids(
        &self,
        ids: &[String],
        opts: &DigestOptions,
        interactive: bool,
        cancel: Arc<AtomicBool>,
    ) -> Result<DigestRunSummary> {
        let started = std::time::Instant::now();
        let summarizer = self.summarizer(opts)?;
        let mut summary = DigestRunSummary::default();
        let mut progress = Progress::docs("digest", ids.len() as u64, interactive);
        // Work in chunks so an LLM run keeps `concurrency` requests in flight while each
        // finished digest is stored at once.
        let chunk = match &summarizer {
            Summarizer::Extractive(_) => 256,
            Summarizer::Llm(_) => self.config.llm.concurrency.max(1) * 4,
        };
        let mut done = 0u64;
        for part in ids.chunks(chunk) {
            if cancel.load(Ordering::SeqCst) {
                summary.interrupted = true;
                break;
            }
            let docs = self.store().get_many(part)?;
            let mut todo: Vec<(StoredDocument, DocKind, String)> = Vec::new();
            for d in docs {
                if d.doc.is_title_only() {
                    summary.skipped_title_only += 1;
                    continue;
                }
                let kind = Self::kind_of(&d);
                let key = summarizer.cache_key(&d.doc, kind, opts.query.as_deref());
                match (opts.force, self.reuse(&d.doc.id, &key)?) {
                    (false, Some(found)) => {
                        // Reused from the cache under another id: record it for this one too.
                        self.keep(&d.doc.id, &key, &found, TokenUsage::default())?;
                        summary.reused += 1;
                    }
                    _ => todo.push((d, kind, key)),
                }
            }
            let jobs: Vec<(&crate::Document, DigestRequest)> = todo
                .iter()
                .map(|(d, kind, _)| {
                    (&d.doc, DigestRequest { kind: Some(*kind), query: opts.query.clone(), lang: opts.lang })
                })
                .collect();
            // Each digest is stored the moment it arrives: a later failure or Ctrl-C loses none.
            let mut store_error: Option<Error> = None;
            summarizer.summarize_many(&jobs, &mut |i, r| {
                let (d, _, key) = &todo[i];
                match r {
                    Ok((digest, usage)) => {
                        if let Err(e) = self.keep(&d.doc.id, key, &digest, usage) {
                            store_error.get_or_insert(e);
                            return;
                        }
                        summary.made += 1;
                        summary.prompt_tokens += usage.prompt_tokens;
                        summary.completion_tokens += usage.completion_tokens;
                    }
                    Err(e) => {
                        tracing::warn!(doc = %d.doc.id, error = %e, "digest failed");
                        summary.failed += 1;
                        summary.failures.push((d.doc.id.clone(), e.to_string()));
                    }
                }
            });
            if let Some(e) = store_error {
                return Err(e);
            }
            done += part.len() as u64;
            progress.update(done, done);
        }
        progress.finish();
        summary.seconds = started.elapsed().as_secs_f64();
        Ok(summary)
    }
}

/// A title-only item gets no digest: an excerpt of it would only repeat its headline. The
/// message says so rather than letting the caller think digesting failed.
fn refuse_title_only(d: &StoredDocument) -> Result<()> {
    if d.doc.is_title_only() {
        return Err(Error::BadField {
            field: format!("document {}", d.doc.id),
            message: "holds only its title (its text is that headline again), so there is nothing to digest; \
                      `dossier show ID` prints it, and its original URL, when it has one, leads to the article"
                .into(),
        });
    }
    Ok(())
}

/// What `import-seed` did.
#[derive(Debug, Clone, Serialize)]
pub struct SeedImport {
    pub workflow: Option<String>,
    pub documents: usize,
    pub ingested: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub by_kind: Vec<(String, usize)>,
}

/// Cache key of digests imported from another tool's page: they are not ours to remake.
const IMPORTED_KEY: &str = "imported";

impl Digester<'_> {
    /// Attaches a seed page's digests to its (already stored) documents; returns how many of
    /// each kind.
    pub fn attach_imported(&self, page: &crate::seed::SeedPage) -> Result<Vec<(String, usize)>> {
        let mut by_kind: Vec<(String, usize)> = Vec::new();
        let tx = self.store.transaction()?;
        for e in &page.entries {
            let json = serde_json::to_string(&e.digest)?;
            self.store.put_digest_json(&e.document.id, IMPORTED_KEY, &e.digest.summarizer, &json)?;
            let k = e.digest.kind.as_str().to_string();
            match by_kind.iter_mut().find(|(n, _)| *n == k) {
                Some((_, c)) => *c += 1,
                None => by_kind.push((k, 1)),
            }
        }
        tx.commit()?;
        Ok(by_kind)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Flags;

    /// `digest --all` passes over a title-only item and counts it; asked for it alone, the
    /// digester says why there is no digest instead of quoting the headline back.
    #[test]
    fn title_only_items_are_skipped_with_a_reason() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Flags::default() };
        let mut engine = crate::engine::Engine::open(Config::load(&flags, &HashMap::new())?)?;
        let mut real = crate::Document::for_test("稀土出口管制", &["商务部宣布对部分稀土物项实施出口管制。", "新规自12月1日起施行。"]);
        real.id = "real".into();
        let mut bare = crate::Document::for_test("稀土价格大涨", &["# 稀土价格大涨"]);
        bare.id = "bare".into();
        engine.add_documents(&[real, bare])?;
        let d = engine.digester();
        let s = d.digest_missing(None, &DigestOptions::default(), false, Arc::new(AtomicBool::new(false)))?;
        assert_eq!((s.made, s.skipped_title_only, s.failed), (1, 1, 0));
        assert!(d.stored_digest("bare")?.is_none());
        let err = d.stored_or_unstored("bare").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("holds only its title") && err.contains("nothing to digest"), "{err}");
        assert!(crate::report::digest_run_text(&s).contains("skipped 1 title-only documents"));
        Ok(())
    }
}
