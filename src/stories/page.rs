//! page: what does a story page say — who carried the story, when, what each copy adds, and
//! what the story is, cited to member and paragraph?
//!
//! A member "adds" a body paragraph when less than half of that paragraph's shingles occur in
//! any other member: new quotes, a closing paragraph of background, an update. The story digest
//! is the extractive digest of the best member (the most complete text) with each bullet cited
//! as `id [n]`, followed by the first sentence of every paragraph another member adds, cited to
//! that member — so everything the story page claims points at a paragraph someone published.

use std::collections::HashSet;
use std::fmt::Write as _;

use rusqlite::OptionalExtension;
use serde::Serialize;

use super::sketch::{body_paragraphs, numbered_body, paragraph_shingles};
use super::{Member, members};
use crate::digest::extractive::ExtractiveSummarizer;
use crate::document::Document;
use crate::error::{Error, Result};
use crate::report::terminal_safe;
use crate::store::Store;

/// A paragraph only one member has.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    pub paragraph: usize,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct MemberView {
    #[serde(flatten)]
    pub member: Member,
    /// `source · time` as pages show it.
    pub when: String,
    pub adds: Vec<Added>,
}

/// A cited claim of the story digest.
#[derive(Debug, Clone, Serialize)]
pub struct StoryBullet {
    pub text: String,
    pub doc: String,
    pub paragraphs: Vec<usize>,
}

impl StoryBullet {
    /// `qq-21473 [3]` / `qq-21473 [3, 4]`.
    pub fn citation(&self) -> String {
        let ps: Vec<String> = self.paragraphs.iter().map(|p| p.to_string()).collect();
        format!("{} [{}]", self.doc, ps.join(", "))
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StoryPage {
    pub id: i64,
    pub title: String,
    pub size: usize,
    /// Best first (the most complete text; the earliest when equal).
    pub members: Vec<MemberView>,
    pub digest: Vec<StoryBullet>,
    /// The claim ledger: figures with their sources, disagreements flagged.
    pub figures: Vec<super::figures::Figure>,
}

/// The story a document belongs to, if it has one.
pub fn story_of(store: &Store, doc_id: &str) -> Result<Option<i64>> {
    Ok(store
        .connection()
        .prepare_cached("SELECT story_id FROM story_members WHERE doc_id = ?1")?
        .query_row([doc_id], |r| r.get(0))
        .optional()?)
}

/// The page of story `id`; a story with no members is not found.
pub fn build(store: &Store, id: i64) -> Result<StoryPage> {
    let list = members(store.connection(), id)?;
    let not_found = || Error::NotFound { what: "story", name: id.to_string() };
    if list.is_empty() {
        return Err(not_found());
    }
    let ids: Vec<String> = list.iter().map(|m| m.id.clone()).collect();
    let docs: Vec<Document> = store.get_many(&ids)?.into_iter().map(|s| s.doc).collect();
    let doc_of = |id: &str| docs.iter().find(|d| d.id == id);
    // Each member's shingles, for "found in no other member".
    let sets: Vec<HashSet<u64>> = list
        .iter()
        .map(|m| {
            doc_of(&m.id)
                .map(|d| body_paragraphs(d).flat_map(|p| paragraph_shingles(p, d.lang)).collect())
                .unwrap_or_default()
        })
        .collect();
    let mut views = Vec::with_capacity(list.len());
    for (i, m) in list.into_iter().enumerate() {
        let mut adds = Vec::new();
        if let Some(d) = doc_of(&m.id)
            && sets.len() > 1
        {
            for (n, p) in numbered_body(d) {
                let sh = paragraph_shingles(p, d.lang);
                if sh.is_empty() {
                    continue;
                }
                let elsewhere = sets
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, s)| sh.iter().filter(|x| s.contains(x)).count())
                    .max()
                    .unwrap_or(0);
                if (elsewhere as f64) < 0.5 * sh.len() as f64 {
                    adds.push(Added { paragraph: n, text: p.to_string() });
                }
            }
        }
        let when = crate::engine::format_published(m.published_at, m.published_precision);
        views.push(MemberView { member: m, when, adds });
    }
    let best = doc_of(&views[0].member.id).ok_or_else(not_found)?;
    let mut digest = Vec::new();
    if !best.is_title_only() {
        let g = ExtractiveSummarizer::new().summarize(best, crate::digest::kind::detect_kind(best), None);
        for b in g.sections.iter().flat_map(|s| &s.bullets) {
            digest.push(StoryBullet { text: b.text.clone(), doc: best.id.clone(), paragraphs: b.citations.clone() });
        }
    }
    for v in views.iter().skip(1) {
        for a in &v.adds {
            let first = Document::first_sentence(std::slice::from_ref(&a.text));
            digest.push(StoryBullet { text: first, doc: v.member.id.clone(), paragraphs: vec![a.paragraph] });
        }
    }
    let ordered: Vec<Document> = views.iter().filter_map(|v| doc_of(&v.member.id).cloned()).collect();
    let figures = super::figures::ledger(&ordered);
    Ok(StoryPage { id, title: best.title.clone(), size: views.len(), members: views, digest, figures })
}

/// The page as terminal text.
pub fn terminal(p: &StoryPage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Story {} · {} source{}", p.id, p.size, if p.size == 1 { "" } else { "s" });
    let _ = writeln!(out, "{}\n", terminal_safe(&p.title));
    let _ = writeln!(out, "Digest");
    for b in &p.digest {
        let _ = writeln!(out, "- {} — {}", terminal_safe(&b.text), terminal_safe(&b.citation()));
    }
    if !p.figures.is_empty() {
        let _ = writeln!(out, "\nFigures (conflicts first)");
        for line in super::figures::lines(&p.figures, 1) {
            let mark = if matches!(line, super::figures::Line::Conflict(_)) { '!' } else { '-' };
            let _ = writeln!(out, "{mark} {}", terminal_safe(&super::figures::line_text(&p.figures, &line)));
        }
    }
    let _ = writeln!(out, "\nSources");
    for m in &p.members {
        let _ = writeln!(
            out,
            "- {} · {} · {} [{}]",
            terminal_safe(&m.member.source),
            m.when,
            terminal_safe(&m.member.title),
            terminal_safe(&m.member.id)
        );
        if m.adds.is_empty() {
            if p.size > 1 {
                let _ = writeln!(out, "  adds nothing the others lack");
            }
        } else {
            let ns: Vec<String> = m.adds.iter().map(|a| format!("[{}]", a.paragraph)).collect();
            let _ = writeln!(out, "  adds {}", ns.join(" "));
        }
    }
    out
}
