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

impl SummarizerChoice {
    /// The family the store keeps one digest of per document (`crate::store::family_of`).
    pub fn family(self) -> &'static str {
        match self {
            SummarizerChoice::Extractive => "extractive",
            SummarizerChoice::Llm => "llm",
        }
    }
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
        for (_, stored_key, json) in self.store().digests_json(doc_id)? {
            if stored_key == key || stored_key == IMPORTED_KEY {
                return Ok(Some(serde_json::from_str(&json)?));
            }
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

    /// The summarizer whose digest is shown when the caller names none: the LLM when an
    /// endpoint is configured (`llm.base_url` and `llm.model`), else the extractive one.
    pub fn preferred(&self) -> SummarizerChoice {
        if self.config.llm.llm_config().is_ok() { SummarizerChoice::Llm } else { SummarizerChoice::Extractive }
    }

    /// The document's stored digest of the preferred summarizer ([`Digester::preferred`]), or
    /// an extractive one made now and returned without being stored (`None` as the second value
    /// when nothing needs storing). Reads only.
    pub fn stored_or_unstored(&self, id: &str) -> Result<(Digest, Option<UnstoredDigest>)> {
        self.stored_or_unstored_of(id, self.preferred())
    }

    /// As [`Digester::stored_or_unstored`], for the digest of `want`'s family. No LLM digest is
    /// made here (a page must not wait on a model): without a stored one, the extractive digest
    /// stands in, with a note saying why.
    pub fn stored_or_unstored_of(&self, id: &str, want: SummarizerChoice) -> Result<(Digest, Option<UnstoredDigest>)> {
        for (family, _, json) in self.store().digests_json(id)? {
            if family == want.family() {
                return Ok((serde_json::from_str(&json)?, None));
            }
        }
        let (made, fresh) = self.make(id, &DigestOptions::default())?;
        let mut shown = made.digest.clone();
        if want == SummarizerChoice::Llm && made.cache_key != IMPORTED_KEY {
            shown.note = Some(llm_missing_note(self.store().digest_failure(id, "llm")?.as_deref()));
        }
        Ok((shown, fresh.map(|_| made)))
    }

    /// The digest `dossier digest` and search show when no summarizer is named: the preferred
    /// one. An LLM digest that fails (timeout, unusable answer) is recorded as failed and the
    /// extractive digest is returned in its place, with a note saying why.
    pub fn digest_preferred(&self, id: &str, opts: &DigestOptions) -> Result<Digest> {
        let extractive = DigestOptions { summarizer: SummarizerChoice::Extractive, ..opts.clone() };
        if self.preferred() == SummarizerChoice::Extractive {
            return self.digest(id, &extractive);
        }
        match self.digest(id, &DigestOptions { summarizer: SummarizerChoice::Llm, ..opts.clone() }) {
            Err(e @ (Error::Llm(_) | Error::Fetch { .. } | Error::Busy { .. })) => {
                tracing::warn!(doc = %id, error = %e, "LLM digest failed; showing the extractive one");
                self.store().note_digest_failure(id, "llm", &e.to_string())?;
                let mut d = self.digest(id, &extractive)?;
                d.note = Some(llm_missing_note(Some(&e.to_string())));
                Ok(d)
            }
            other => other,
        }
    }

    /// Every stored digest of a document by summarizer family ("extractive", "llm").
    pub fn stored_digests(&self, id: &str) -> Result<std::collections::BTreeMap<String, Digest>> {
        let mut out = std::collections::BTreeMap::new();
        for (family, _, json) in self.store().digests_json(id)? {
            out.insert(family, serde_json::from_str(&json)?);
        }
        Ok(out)
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

    /// The stored digest of a document: the preferred summarizer's ([`Digester::preferred`]),
    /// else another's, with a note saying why.
    pub fn stored_digest(&self, id: &str) -> Result<Option<Digest>> {
        stored_digest_of(self.store(), id, self.preferred())
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

/// The stored digest of `want`'s family; without one, another family's, noting why when an LLM
/// digest was wanted (imported digests are not ours to remake and get no note).
pub fn stored_digest_of(store: &Store, id: &str, want: SummarizerChoice) -> Result<Option<Digest>> {
    let mut other = None;
    for (family, key, json) in store.digests_json(id)? {
        if family == want.family() {
            return Ok(Some(serde_json::from_str(&json)?));
        }
        other.get_or_insert((key, json));
    }
    let Some((key, json)) = other else { return Ok(None) };
    let mut d: Digest = serde_json::from_str(&json)?;
    if want == SummarizerChoice::Llm && key != IMPORTED_KEY {
        d.note = Some(llm_missing_note(store.digest_failure(id, "llm")?.as_deref()));
    }
    Ok(Some(d))
}

/// Why the extractive digest stands where an LLM digest was wanted.
fn llm_missing_note(failure: Option<&str>) -> String {
    match failure {
        Some(e) => format!("The LLM digest failed ({e}); this is the extractive digest. The next workflow run or `dossier digest ID --summarizer llm` tries again."),
        None => "No LLM digest has been made of this document yet; this is the extractive digest. `dossier digest ID --summarizer llm` makes one.".into(),
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

    /// An LLM digest is kept beside the extractive one, not over it; asked for the LLM's, a
    /// document without one shows the extractive digest with a note naming the failure, and a
    /// later LLM digest clears that note.
    #[test]
    fn llm_and_extractive_digests_are_both_kept() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let flags = Flags { data_dir: Some(dir.path().to_path_buf()), ..Flags::default() };
        let mut engine = crate::engine::Engine::open(Config::load(&flags, &HashMap::new())?)?;
        let mut doc = crate::Document::for_test("稀土出口管制", &["商务部宣布对部分稀土物项实施出口管制。", "新规自12月1日起施行。"]);
        doc.id = "a".into();
        engine.add_documents(&[doc])?;
        let d = engine.digester();
        assert_eq!(d.preferred(), SummarizerChoice::Extractive, "no endpoint configured");
        let extractive = d.digest("a", &DigestOptions::default())?;
        engine.store().note_digest_failure("a", "llm", "the model timed out after 60 s")?;
        let shown = stored_digest_of(engine.store(), "a", SummarizerChoice::Llm)?;
        let note = shown.as_ref().and_then(|g| g.note.clone()).unwrap_or_default();
        assert!(note.contains("LLM digest failed (the model timed out after 60 s)") && note.contains("extractive"), "{note}");
        assert_eq!(shown.map(|g| g.summarizer), Some("extractive".to_string()));

        let mut llm = extractive.clone();
        llm.summarizer = "llm:test-model".into();
        engine.store().keep_digest("a", "llm-key", &llm.summarizer, &serde_json::to_string(&llm)?, 10, 5)?;
        let all = d.stored_digests("a")?;
        assert_eq!(all.keys().map(String::as_str).collect::<Vec<_>>(), ["extractive", "llm"]);
        let shown = stored_digest_of(engine.store(), "a", SummarizerChoice::Llm)?;
        assert_eq!(shown.as_ref().map(|g| (g.summarizer.as_str(), g.note.is_none())), Some(("llm:test-model", true)));
        assert_eq!(engine.store().digest_failure("a", "llm")?, None, "a stored LLM digest clears the failure");
        let (again, pending) = d.stored_or_unstored_of("a", SummarizerChoice::Extractive)?;
        assert_eq!((again.summarizer.as_str(), pending.is_none()), ("extractive", true));
        Ok(())
    }
}
