//! digest: what does this document say, and where does it say it?
//!
//! A digest is a structured summary of one stored document in the shape of the seed pages
//! (../shared/seeds/): sections with headings ("Core Viewpoint", "Group 1: <theme>",
//! "Investment Rating", …), each holding bullets that end in citations `[n]` to the document's
//! 1-based paragraphs. This module owns the digest model, the summarizers that make digests
//! (a closed set, hence an enum), and the verification that every citation exists and every
//! number in a bullet appears in a cited paragraph. It must not store or index anything.

pub mod numbers;
pub mod llm;

pub mod extractive;
pub mod kind;
pub mod layout;
pub mod render;
pub mod sentences;
pub mod terms;
pub mod themes;
pub mod verify;

#[cfg(test)]
mod snapshot_tests;

use serde::{Deserialize, Serialize};

use crate::document::{Document, Lang};

pub use extractive::ExtractiveSummarizer;
pub use kind::detect_kind;
pub use llm::OutputLang;
pub use render::{render_markdown, render_markdown_for, render_terminal, render_terminal_for};
pub use verify::{VerifyPolicy, verify};

/// What kind of document a digest summarizes; it chooses the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// Ordinary news: "Core Viewpoint", then "Group n: <theme>".
    News,
    /// Broker notes, 周报, 研报, 点评: "Investment Rating", "Core Insights", "Summary by Sections".
    Research,
    /// Digests of several companies or topics (专家访谈汇总): one group per company or topic.
    Roundup,
    /// No structured digest could be made: the first ~300 characters of the text.
    Excerpt,
}

impl DocKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::News => "news",
            DocKind::Research => "research",
            DocKind::Roundup => "roundup",
            DocKind::Excerpt => "excerpt",
        }
    }

    pub fn parse(s: &str) -> Option<DocKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "news" => Some(DocKind::News),
            "research" => Some(DocKind::Research),
            "roundup" => Some(DocKind::Roundup),
            "excerpt" => Some(DocKind::Excerpt),
            _ => None,
        }
    }
}

/// One bullet: a claim and the paragraphs (1-based) it rests on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bullet {
    pub text: String,
    pub citations: Vec<usize>,
    /// `Some(true)` when verification passed, `Some(false)` when it failed but the bullet was
    /// kept and marked, `None` when it was never checked (e.g. imported from a seed page).
    #[serde(default)]
    pub verified: Option<bool>,
}

/// A titled part of a digest. `level` 1 is a top heading ("Summary by Sections"), 2 a
/// sub-heading under it ("2.1 Copper").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub heading: String,
    #[serde(default = "default_level")]
    pub level: u8,
    pub bullets: Vec<Bullet>,
}

fn default_level() -> u8 {
    1
}

/// Why a bullet was dropped or marked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulletIssue {
    pub section: String,
    pub bullet: String,
    pub reason: String,
    /// True when the bullet was removed from the digest, false when kept but marked unverified.
    pub dropped: bool,
}

/// The outcome of verifying a digest against its document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VerificationReport {
    pub bullets_checked: usize,
    pub bullets_kept: usize,
    pub bullets_dropped: usize,
    pub bullets_unverified: usize,
    pub issues: Vec<BulletIssue>,
}

/// A digest of one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Digest {
    pub kind: DocKind,
    /// Language the digest is written in.
    pub lang: Lang,
    /// Who made it: "extractive", "llm:<model>", "imported".
    pub summarizer: String,
    pub sections: Vec<Section>,
    /// For `DocKind::Excerpt`: the excerpt text (ending in "..." when cut).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// Why this digest is shown instead of the one asked for (an LLM digest that failed or was
    /// never made); set when a digest is picked for display, never stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationReport>,
}

/// What a caller wants of one digest.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DigestRequest {
    /// The template to use; `None` detects it from the document (`detect_kind`).
    pub kind: Option<DocKind>,
    /// The workflow's search, to favour what answers it.
    pub query: Option<String>,
    /// The language to write in; `None` leaves it to the summarizer. The extractive
    /// summarizer quotes the source and so always writes in the source's language (the
    /// digest's `lang` says which).
    pub lang: Option<OutputLang>,
}

/// The summarizers dossier has: a closed set.
pub enum Summarizer {
    /// Offline, deterministic sentence extraction.
    Extractive(ExtractiveSummarizer),
    /// A chat model behind any OpenAI-compatible endpoint.
    Llm(llm::LlmSummarizer),
}

/// Version of the extractive algorithm: part of its cache key, bump when its output changes.
pub const EXTRACTIVE_VERSION: u32 = 2;

impl Summarizer {
    /// Digests one document and verifies the digest before returning it: bullets that fail
    /// (a citation out of range, a number not in the cited paragraphs) are dropped and the
    /// report says why. Extractive bullets quote their paragraph, so they fail only on a bug.
    pub fn summarize(&self, doc: &Document, req: &DigestRequest) -> crate::Result<Digest> {
        self.summarize_counted(doc, req).map(|(d, _)| d)
    }

    /// As `summarize`, with the tokens an LLM used.
    pub fn summarize_counted(
        &self,
        doc: &Document,
        req: &DigestRequest,
    ) -> crate::Result<(Digest, llm::TokenUsage)> {
        let kind = req.kind.unwrap_or_else(|| detect_kind(doc));
        let (mut digest, usage) = match self {
            Summarizer::Extractive(s) => {
                if req.lang == Some(OutputLang::English) && doc.lang != Lang::En {
                    tracing::debug!(doc = %doc.id, "extractive digest stays in the source language");
                }
                (s.summarize(doc, kind, req.query.as_deref()), llm::TokenUsage::default())
            }
            Summarizer::Llm(l) => {
                let out = l.summarize(doc, kind, req.query.as_deref())?;
                (out.digest, out.usage)
            }
        };
        verified(&mut digest, doc);
        Ok((digest, usage))
    }

    /// Many documents; each result reaches `on_result(index, result)` as soon as it is ready
    /// (an LLM works on several at once, bounded by its concurrency), so a failure loses
    /// nothing already made.
    pub fn summarize_many(
        &self,
        jobs: &[(&Document, DigestRequest)],
        on_result: &mut dyn FnMut(usize, crate::Result<(Digest, llm::TokenUsage)>),
    ) {
        match self {
            Summarizer::Extractive(_) => {
                for (i, (doc, req)) in jobs.iter().enumerate() {
                    on_result(i, self.summarize_counted(doc, req));
                }
            }
            Summarizer::Llm(l) => {
                let llm_jobs: Vec<llm::DigestJob<'_>> = jobs
                    .iter()
                    .map(|(doc, req)| llm::DigestJob {
                        doc,
                        kind: req.kind.unwrap_or_else(|| detect_kind(doc)),
                        query: req.query.as_deref(),
                    })
                    .collect();
                l.summarize_many(&llm_jobs, &mut |i, r| {
                    on_result(
                        i,
                        r.map(|out| {
                            let mut digest = out.digest;
                            verified(&mut digest, jobs[i].0);
                            (digest, out.usage)
                        }),
                    )
                });
            }
        }
    }

    /// The key under which this summarizer's digest of `doc` can be cached: everything that
    /// changes the output (content, template, model, language, prompt or algorithm version,
    /// the reader's query).
    pub fn cache_key(&self, doc: &Document, kind: DocKind, query: Option<&str>) -> String {
        match self {
            Summarizer::Extractive(_) => format!(
                "extractive:v{EXTRACTIVE_VERSION}:{}:{}:{}",
                kind.as_str(),
                doc.content_hash(),
                &blake3::hash(query.unwrap_or("").trim().as_bytes()).to_hex()[..12]
            ),
            Summarizer::Llm(l) => l.cache_key(doc, kind, query),
        }
    }

    /// The name digests made by this summarizer carry in `Digest::summarizer`.
    pub fn name(&self) -> String {
        match self {
            Summarizer::Extractive(_) => extractive::SUMMARIZER_NAME.to_string(),
            Summarizer::Llm(l) => format!("llm:{}", l.config().model.trim()),
        }
    }
}

fn verified(digest: &mut Digest, doc: &Document) {
    verify(digest, doc, VerifyPolicy::Drop);
    if let Some(v) = &digest.verification
        && v.bullets_dropped > 0
    {
        // Every rendering of the digest says how many were dropped; the log adds it for -v.
        tracing::debug!(doc = %doc.id, summarizer = %digest.summarizer, dropped = v.bullets_dropped, "bullets failed verification and were dropped");
    }
}
