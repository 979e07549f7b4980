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

pub mod kind;
pub mod sentences;
pub mod terms;

use serde::{Deserialize, Serialize};

use crate::document::Lang;

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<VerificationReport>,
}
