//! digesting: how do stored documents get their digests?
//!
//! Connects the summarizers (crate::digest) to the store: picks the summarizer the caller asks
//! for (the offline extractive one, or an OpenAI-compatible LLM from the configuration), reuses
//! a stored or cached digest when document text, template, model, language and prompt are
//! unchanged, makes and verifies the digest otherwise, and stores it with the document. Batch
//! runs keep every digest made before a failure. It must not render digests.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::digest::llm::{LlmSummarizer, OutputLang, TokenUsage};
use crate::digest::{Digest, DigestRequest, DocKind, ExtractiveSummarizer, Summarizer, detect_kind};
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::store::StoredDocument;

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
    pub failures: Vec<(String, String)>,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub seconds: f64,
    pub interrupted: bool,
}

impl Engine {
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

    fn keep(&mut self, doc_id: &str, key: &str, digest: &Digest, usage: TokenUsage) -> Result<()> {
        let json = serde_json::to_string(digest)?;
        let store = self.store_mut();
        store.put_cached_digest_json(key, &json, usage.prompt_tokens, usage.completion_tokens)?;
        store.put_digest_json(doc_id, key, &digest.summarizer, &json)
    }

    /// The digest of one document: the stored one when current, else made, verified and stored.
    pub fn digest(&mut self, id: &str, opts: &DigestOptions) -> Result<Digest> {
        let d = self
            .store()
            .get(id)?
            .ok_or_else(|| Error::NotFound { what: "document", name: id.to_string() })?;
        let summarizer = self.summarizer(opts)?;
        let kind = Self::kind_of(&d);
        let key = summarizer.cache_key(&d.doc, kind, opts.query.as_deref());
        if !opts.force
            && let Some(found) = self.reuse(id, &key)?
        {
            return Ok(found);
        }
        let req = DigestRequest { kind: Some(kind), query: opts.query.clone(), lang: opts.lang };
        let (digest, usage) = summarizer.summarize_counted(&d.doc, &req)?;
        self.keep(id, &key, &digest, usage)?;
        Ok(digest)
    }

    /// Sets the digest template of one document ("news", "research", "roundup", "excerpt"), or
    /// back to detection with "auto". Digests made after it use the new kind.
    pub fn set_kind(&mut self, id: &str, kind: &str) -> Result<()> {
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
        self.store_mut().set_kind(id, value)
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
        &mut self,
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
        &mut self,
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

impl Engine {
    /// Imports a saved result page (the format of ../shared/seeds/): its documents are stored
    /// and indexed, each with the page's digest attached.
    pub fn import_seed(&mut self, path: &std::path::Path) -> Result<SeedImport> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidData => Error::BadInput {
                location: crate::Location { file: path.to_path_buf(), line: None },
                message: "the page is not valid UTF-8; save it as UTF-8 and import again".into(),
            },
            _ => Error::io(path, e),
        })?;
        let page = crate::seed::parse_seed(path, &text)?;
        let docs: Vec<crate::Document> = page.entries.iter().map(|e| e.document.clone()).collect();
        let summary = self.add_documents(&docs)?;
        let mut by_kind: Vec<(String, usize)> = Vec::new();
        for e in &page.entries {
            let json = serde_json::to_string(&e.digest)?;
            self.store_mut().put_digest_json(&e.document.id, IMPORTED_KEY, &e.digest.summarizer, &json)?;
            let k = e.digest.kind.as_str().to_string();
            match by_kind.iter_mut().find(|(n, _)| *n == k) {
                Some((_, c)) => *c += 1,
                None => by_kind.push((k, 1)),
            }
        }
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
