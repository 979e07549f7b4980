//! brief: what did this run of a workflow bring, in a few lines?
//!
//! Above a workflow page's per-document digests stands the brief of its last run that collected
//! anything: the run's stories (one bullet per group of documents that tell the same story, the
//! biggest first), the figures that moved (amounts, volumes, percentages, multiples, each with
//! its unit as written), the claim ledger of stories the run holds several copies of (figures
//! the copies disagree on side by side, each cited, first — they are what an analyst must check
//! — then figures they agree on, once with all their sources; `crate::stories::figures`), and
//! which stories are new since the previous run's documents and which continue one of them. Every line cites a document and paragraph (`qq-34199 [4]`) and is
//! verified against that paragraph the way digest bullets are (`digest::verify::check_bullet`):
//! a line that fails is dropped, never repaired.
//!
//! The brief is made from the digests the run stored, so it is extractive when they are and
//! written by the model when an LLM made them (`made_by` says which); it makes no model call of
//! its own. It is made once, at the end of the run, and stored with it (`workflow_briefs`,
//! one JSON row per run): a page then shows it without loading every document of the run, and
//! it keeps saying what that run brought even after the digests it quotes are remade.
//! Grouping documents into stories is [`group_stories`] alone, so a better clustering can
//! replace it without touching the rest. This module must not print, run searches or make
//! digests.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::digest::numbers::{self, Unit};
use crate::digest::terms::{TermId, for_each_term, idf};
use crate::digest::verify::check_bullet;
use crate::digest::{Digest, DocKind};
use crate::document::{Document, Lang};
use crate::error::Result;
use crate::store::Store;

/// Most stories a brief lists; the page below has every document.
pub const MAX_STORIES: usize = 6;
/// Most figures a brief lists.
pub const MAX_FIGURES: usize = 6;
/// Most ledger lines of figures the sources disagree on a brief lists.
pub const MAX_LEDGER: usize = 6;
/// Most ledger lines of figures the sources agree on: the brief stays short, and a figure line
/// the ledger repeats is dropped from the figures above it.
pub const MAX_AGREED: usize = 3;
/// Longest figure line, in characters: the clause that carries the figure, not its paragraph.
const MAX_FIGURE_CHARS: usize = 90;
/// Headline terms at least this rare in financial news name what a story is about.
const HEADLINE_IDF: f32 = 2.5;
/// Two headlines tell the same story when they share at least this many rare terms…
const MIN_SHARED_TERMS: usize = 2;
/// …making up at least this share of the shorter headline's rare terms.
const MIN_SHARED_SHARE: f32 = 0.4;

/// A place in a document: its id and the paragraphs (1-based) a line rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cite {
    pub doc: String,
    pub paragraphs: Vec<usize>,
}

/// One story of the run: the claim of its lead document, and the other documents telling it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub text: String,
    /// The language `text` is written in.
    pub lang: Lang,
    pub cite: Cite,
    /// The lead document's title.
    pub title: String,
    /// Other documents of this run that tell the same story.
    #[serde(default)]
    pub also: Vec<String>,
    /// A document of the previous run telling the same story; `None` when the story is new.
    #[serde(default)]
    pub follows: Option<String>,
}

/// A figure of the run: the quantity as written and the clause that says what moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// As written, with its unit: `5500亿美元`, `83.7%`, `3,834 tons`.
    pub figure: String,
    pub text: String,
    pub lang: Lang,
    pub cite: Cite,
}

/// One value of a ledger figure and every paragraph stating it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Stated {
    /// As first written: `29.59万元`.
    pub figure: String,
    /// One per document, its paragraphs together: `qq-18608 [4][12]`.
    pub cites: Vec<Cite>,
}

/// A figure that copies of one story state, from its claim ledger: the value they agree on,
/// or the values they disagree on, side by side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checked {
    /// What it measures, with the period its sentence names: `特斯拉营收 (2023年Q2)`.
    pub measure: String,
    pub lang: Lang,
    /// One value when the sources agree; two or more when they do not.
    pub values: Vec<Stated>,
}

impl Checked {
    /// Whether the sources disagree on it.
    pub fn disputed(&self) -> bool {
        self.values.len() > 1
    }

    /// `39.59万元 qq-18609 [12] ≠ 29.59万元 qq-18608 [4][12], qq-18566 [4]`, each piece made
    /// safe for the output by `clean`.
    pub fn values_text(&self, clean: impl Fn(&str) -> String) -> String {
        self.values
            .iter()
            .map(|v| format!("{} {}", clean(&v.figure), clean(&v.cites.iter().map(cite_text).collect::<Vec<_>>().join(", "))))
            .collect::<Vec<_>>()
            .join(" ≠ ")
    }
}

/// The brief of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Brief {
    pub run_id: i64,
    pub ran_at: DateTime<Utc>,
    /// Who wrote the lines: the summarizer of the digests they come from (`extractive`,
    /// `llm:<model>`, or both joined by `+`); `none` when no document had a digest.
    pub made_by: String,
    /// The run whose documents "new" is measured against: the last earlier one that collected
    /// any. `None` on a workflow's first such run, where everything is new.
    pub previous_run: Option<i64>,
    /// Documents the run collected, title-only items included.
    pub documents: u64,
    /// Of those, items that hold only their title (no story, no figure).
    pub title_only: u64,
    pub stories: Vec<Story>,
    pub figures: Vec<Figure>,
    /// The claim ledger of the stories the run holds two or more copies of: disputed figures
    /// first, then agreed ones (briefs stored before it have none).
    #[serde(default)]
    pub ledger: Vec<Checked>,
    /// Lines that failed verification and were left out.
    #[serde(default)]
    pub dropped: u64,
}

impl Brief {
    /// Stories new since the previous run (all of them on a first run).
    pub fn new_stories(&self) -> usize {
        self.stories.iter().filter(|s| s.follows.is_none()).count()
    }

    /// "New since run #3: 2 of 3 stories; 1 continues an earlier one." or, on the first run,
    /// "First run: every story is new."
    pub fn new_since_line(&self) -> String {
        let Some(prev) = self.previous_run else {
            return "First run: every story is new.".to_string();
        };
        let new = self.new_stories();
        let all = self.stories.len();
        let cont = all - new;
        let mut s = format!("New since run #{prev}: {new} of {all} {}", if all == 1 { "story" } else { "stories" });
        if cont > 0 {
            s.push_str(&format!("; {cont} {} an earlier one", if cont == 1 { "continues" } else { "continue" }));
        }
        s.push('.');
        s
    }

    /// "run #4 · 2026-01-02 03:04 · 5 documents, 2 title only".
    pub fn head_line(&self) -> String {
        format!(
            "run #{} · {} · {}",
            self.run_id,
            crate::engine::format_when(Some(self.ran_at)),
            super::render::documents_counted(self.documents, self.title_only)
        )
    }
}

/// `qq-34199 [4]`, `qq-34199 [4][12]`: how a brief cites, in every text rendering.
pub fn cite_text(c: &Cite) -> String {
    format!("{}{}", c.doc, crate::digest::render::citations(&c.paragraphs))
}

/// One document of a run, with its stored digest.
pub struct Member<'a> {
    pub doc: &'a Document,
    pub digest: Option<&'a Digest>,
}

/// Groups documents that tell the same story: indices into `docs`, each group in the order of
/// `docs`, groups ordered by their first member. Two documents go together when ingest put them
/// in one story (`story_of`: document id → story id, crate::stories), or when their titles share
/// rare terms other than the workflow's own query terms (every member matches those) — a run
/// also gathers follow-ups that are not copies.
pub fn group_stories(docs: &[&Document], query: &str, story_of: &HashMap<String, i64>) -> Vec<Vec<usize>> {
    let mut query_terms = HashSet::new();
    for_each_term(query, |id, _| {
        query_terms.insert(id);
    });
    let terms: Vec<HashSet<TermId>> = docs
        .iter()
        .map(|d| {
            let mut set = HashSet::new();
            for_each_term(&d.title, |id, _| {
                if !query_terms.contains(&id) && idf(id) >= HEADLINE_IDF {
                    set.insert(id);
                }
            });
            set
        })
        .collect();
    // Union-find over the pairs; runs are tens of documents, so pairs are cheap.
    let mut parent: Vec<usize> = (0..docs.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for i in 0..docs.len() {
        for j in i + 1..docs.len() {
            let shared = terms[i].intersection(&terms[j]).count();
            let smaller = terms[i].len().min(terms[j].len()).max(1);
            let same_story = matches!(
                (story_of.get(&docs[i].id), story_of.get(&docs[j].id)),
                (Some(a), Some(b)) if a == b
            );
            if same_story || (shared >= MIN_SHARED_TERMS && shared as f32 / smaller as f32 >= MIN_SHARED_SHARE) {
                let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                // The earlier document stays the root, so groups keep the order of `docs`.
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of_root: Vec<Option<usize>> = vec![None; docs.len()];
    for i in 0..docs.len() {
        let r = root(&mut parent, i);
        match group_of_root[r] {
            Some(g) => groups[g].push(i),
            None => {
                group_of_root[r] = Some(groups.len());
                groups.push(vec![i]);
            }
        }
    }
    groups
}

/// The claim a digest leads with: the first bullet of its first section (Core Viewpoint of news,
/// the rating of research), or `None` for an excerpt or an imported page (whose citations are
/// not this document's paragraphs).
fn lead_bullet<'d>(doc: &Document, digest: &'d Digest) -> Option<&'d crate::digest::Bullet> {
    if doc.is_imported() || digest.kind == DocKind::Excerpt {
        return None;
    }
    digest
        .sections
        .iter()
        .flat_map(|s| s.bullets.iter())
        .find(|b| b.verified != Some(false) && !b.citations.is_empty())
}

/// Words that say a figure moved; a clause with one of them comes before one without.
const MOVE_WORDS: &[&str] = &[
    "增长", "下降", "上涨", "下跌", "上升", "减少", "增加", "提高", "降低", "同比", "环比", "涨", "跌", "增", "降",
    "rose", "fell", "rise", "fall", "up ", "down ", "increase", "decrease", "gain", "drop", "jump", "surge", "climb",
    "slump", "grew", "growth", "decline",
];

/// Whether a quantity is a figure a reader follows: money, mass, percentages, multiples (not
/// years, dates, durations or bare counts).
fn is_figure(unit: &Unit) -> bool {
    matches!(unit, Unit::Money { .. } | Unit::Mass | Unit::Percent | Unit::PercentagePoints | Unit::Multiple)
}

/// The clause of `text` around byte range `span`: from the last clause break before it to the
/// next one after it (a comma before a digit is a thousands separator, not a break).
fn clause_around(text: &str, span: &std::ops::Range<usize>) -> String {
    let is_break = |i: usize, c: char| -> bool {
        match c {
            '，' | '。' | '；' | ';' | '！' | '？' | '!' | '?' | '：' => true,
            ',' => !text[i + 1..].starts_with(|n: char| n.is_ascii_digit()),
            '.' => text[i + 1..].starts_with(' '),
            _ => false,
        }
    };
    let start = text[..span.start]
        .char_indices()
        .rev()
        .find(|&(i, c)| is_break(i, c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[span.end..]
        .char_indices()
        .find(|&(i, c)| is_break(span.end + i, c))
        .map_or(text.len(), |(i, _)| span.end + i);
    let clause = text[start..end].trim();
    if clause.chars().count() <= MAX_FIGURE_CHARS {
        return balanced(clause);
    }
    // A long clause keeps the figure and what is nearest to it.
    let before: String = text[start..span.start].chars().rev().take(MAX_FIGURE_CHARS / 2).collect::<Vec<_>>().into_iter().rev().collect();
    let after: String = text[span.end..end].chars().take(MAX_FIGURE_CHARS / 2).collect();
    format!("…{}{}{}…", before.trim_start(), &text[span.clone()], after.trim_end())
}

/// A clause cut out of a sentence may open a bracket it does not close (`矿藏（约合人民币1.5万亿元`)
/// or close one it did not open (`约合人民币1.5元）`): the first is closed, the second dropped.
fn balanced(clause: &str) -> String {
    let mut out = String::with_capacity(clause.len() + 3);
    let mut open: Vec<char> = Vec::new();
    for c in clause.chars() {
        let closer = match c {
            '（' => Some('）'),
            '(' => Some(')'),
            '《' => Some('》'),
            '“' => Some('”'),
            _ => None,
        };
        if let Some(cl) = closer {
            open.push(cl);
        } else if matches!(c, '）' | ')' | '》' | '”') {
            if open.last() == Some(&c) {
                open.pop();
            } else {
                continue;
            }
        }
        out.push(c);
    }
    out.extend(open.into_iter().rev());
    out
}

/// Makes the brief of a run from its members (newest first) and the previous run's documents.
/// Pure: the same members give the same brief.
pub fn compose(
    run_id: i64,
    ran_at: DateTime<Utc>,
    query: &str,
    members: &[Member<'_>],
    previous_run: Option<i64>,
    previous: &[&Document],
    story_of: &HashMap<String, i64>,
) -> Brief {
    let title_only = members.iter().filter(|m| m.doc.is_title_only()).count() as u64;
    let readable: Vec<&Member<'_>> = members.iter().filter(|m| !m.doc.is_title_only()).collect();
    let docs: Vec<&Document> = readable.iter().map(|m| m.doc).collect();
    let mut groups = group_stories(&docs, query, story_of);
    // Most important first: the story most documents tell; ties keep the newest first.
    groups.sort_by_key(|g| std::cmp::Reverse(g.len()));

    let mut dropped = 0u64;
    let mut made_by: Vec<String> = Vec::new();
    let mut stories = Vec::new();
    let mut story_groups = Vec::new();
    for g in &groups {
        // The lead is the newest document of the group whose digest leads with a claim that
        // still checks out against its paragraph.
        let mut lead = None;
        for &i in g {
            let m = readable[i];
            let Some((digest, bullet)) = m.digest.and_then(|d| lead_bullet(m.doc, d).map(|b| (d, b))) else {
                continue;
            };
            match check_bullet(&bullet.text, &bullet.citations, m.doc, digest.lang == m.doc.lang) {
                Ok(()) => {
                    lead = Some((i, digest, bullet));
                    break;
                }
                Err(reason) => {
                    tracing::debug!(doc = %m.doc.id, %reason, "brief story failed verification; dropped");
                    dropped += 1;
                }
            }
        }
        let Some((i, digest, bullet)) = lead else { continue };
        let doc = readable[i].doc;
        if !made_by.contains(&digest.summarizer) {
            made_by.push(digest.summarizer.clone());
        }
        let follows = story_follows(g.iter().map(|&j| readable[j].doc), previous, query, story_of);
        stories.push(Story {
            text: bullet.text.clone(),
            lang: digest.lang,
            cite: Cite { doc: doc.id.clone(), paragraphs: bullet.citations.clone() },
            title: doc.title.clone(),
            also: g.iter().filter(|&&j| j != i).map(|&j| readable[j].doc.id.clone()).collect(),
            follows,
        });
        story_groups.push(g.clone());
        if stories.len() == MAX_STORIES {
            break;
        }
    }

    let mut figures = figures(&readable, &story_groups, &mut dropped);
    let ledger = ledger(&readable, &story_groups, story_of);
    // A figure the ledger shows with all its sources is not listed twice.
    figures.retain(|f| {
        !ledger.iter().flat_map(|c| &c.values).any(|v| f.figure == v.figure && v.cites.iter().any(|c| c.doc == f.cite.doc && f.cite.paragraphs.iter().all(|p| c.paragraphs.contains(p))))
    });
    Brief {
        run_id,
        ran_at,
        made_by: if made_by.is_empty() { "none".to_string() } else { made_by.join("+") },
        previous_run,
        documents: members.len() as u64,
        title_only,
        stories,
        figures,
        ledger,
        dropped,
    }
}

/// The claim ledger of the run's stories, in story order: for each set of two or more of the
/// run's documents that ingest put in one story (copies, not follow-ups: a follow-up's new
/// figure is news, not a dispute), the figures they disagree on and those two or more of them
/// agree on. Disagreements of every story come before any agreement; at most [`MAX_LEDGER`]
/// disagreements and [`MAX_AGREED`] agreements, labelled ones first.
/// Every value is read from the paragraph it cites (`digest::numbers`), so it needs no
/// re-check.
fn ledger(readable: &[&Member<'_>], story_groups: &[Vec<usize>], story_of: &HashMap<String, i64>) -> Vec<Checked> {
    let mut disputed = Vec::new();
    let mut agreed = Vec::new();
    for g in story_groups {
        let mut copies: Vec<(i64, Vec<&Document>)> = Vec::new();
        for &i in g {
            let doc = readable[i].doc;
            let Some(&story) = story_of.get(&doc.id) else { continue };
            match copies.iter_mut().find(|(s, _)| *s == story) {
                Some((_, docs)) => docs.push(doc),
                None => copies.push((story, vec![doc])),
            }
        }
        for (_, docs) in copies.into_iter().filter(|(_, docs)| docs.len() >= 2) {
            let lang = docs[0].lang;
            let figures = crate::stories::figures::ledger(&docs);
            let stated = |i: usize| {
                let f = &figures[i];
                let cites = f
                    .docs()
                    .into_iter()
                    .map(|d| Cite {
                        doc: d.to_string(),
                        paragraphs: f.sources.iter().filter(|c| c.doc == d).map(|c| c.paragraph).collect(),
                    })
                    .collect();
                Stated { figure: f.raw.clone(), cites }
            };
            for line in crate::stories::figures::lines(&figures, 2) {
                let measure = crate::stories::figures::line_label(&figures, &line);
                match line {
                    crate::stories::figures::Line::Conflict(group) => disputed.push(Checked {
                        measure,
                        lang,
                        values: group.into_iter().map(stated).collect(),
                    }),
                    crate::stories::figures::Line::Agreed(i) => {
                        agreed.push((figures[i].label().is_empty(), Checked { measure, lang, values: vec![stated(i)] }))
                    }
                }
            }
        }
    }
    // Of the agreements, those that say what they measure first: a `47%` known only by the
    // words that state it tells the reader of a brief less (the story page lists them all).
    agreed.sort_by_key(|(unnamed, _)| *unnamed);
    disputed.into_iter().take(MAX_LEDGER).chain(agreed.into_iter().map(|(_, c)| c).take(MAX_AGREED)).collect()
}

/// The previous run's document that tells the same story as a group of this run, if any: the
/// same test as [`group_stories`], applied across the two runs.
fn story_follows<'a>(
    group: impl Iterator<Item = &'a Document>,
    previous: &[&Document],
    query: &str,
    story_of: &HashMap<String, i64>,
) -> Option<String> {
    if previous.is_empty() {
        return None;
    }
    for d in group {
        let mut both: Vec<&Document> = vec![d];
        both.extend(previous.iter().copied());
        let groups = group_stories(&both, query, story_of);
        if let Some(g) = groups.iter().find(|g| g.contains(&0) && g.len() > 1) {
            return g.iter().find(|&&j| j != 0).map(|&j| both[j].id.clone());
        }
    }
    None
}

/// Most figure lines one document gives before other documents have had their turn.
const FIGURES_PER_DOCUMENT: usize = 2;

/// The figures of the run's stories, in story order: each a quantity of a verified digest
/// bullet, cited to the one paragraph that holds it, the same figure listed once. Figures of
/// one clause share a line (`98%, 97%, 93%`); lines that say something moved come first, and no
/// document fills the list while another has figures to give.
fn figures(readable: &[&Member<'_>], story_groups: &[Vec<usize>], dropped: &mut u64) -> Vec<Figure> {
    let mut lines: Vec<(bool, Figure)> = Vec::new();
    let mut seen: Vec<numbers::Quantity> = Vec::new();
    'groups: for g in story_groups {
        for &i in g {
            let m = readable[i];
            let Some(digest) = m.digest.filter(|d| !m.doc.is_imported() && d.kind != DocKind::Excerpt) else {
                continue;
            };
            for b in digest.sections.iter().flat_map(|s| s.bullets.iter()) {
                if b.verified == Some(false) {
                    continue;
                }
                for q in numbers::extract(&b.text).into_iter().filter(|q| is_figure(&q.unit)) {
                    if seen.iter().any(|s| s.unit == q.unit && s.matches(&q)) {
                        continue;
                    }
                    let Some(&p) = b
                        .citations
                        .iter()
                        .find(|&&p| m.doc.paragraph(p).is_some_and(|text| numbers::appears_in(&q, text)))
                    else {
                        continue;
                    };
                    let text = clause_around(&b.text, &q.span);
                    let cite = Cite { doc: m.doc.id.clone(), paragraphs: vec![p] };
                    if let Some((_, line)) = lines.iter_mut().find(|(_, l)| l.text == text && l.cite == cite) {
                        // The high end of a range the clause writes (`25.99-29.59万元`) extends
                        // the previous figure as written; other figures of the clause are listed.
                        let last = line.figure.rsplit(", ").next().unwrap_or_default().to_string();
                        let range = crate::stories::figures::RANGE_MARKS
                            .iter()
                            .map(|c| format!("{last}{c}{}", q.raw))
                            .find(|r| text.contains(r.as_str()));
                        match range {
                            Some(r) => {
                                line.figure.truncate(line.figure.len() - last.len());
                                line.figure.push_str(&r);
                            }
                            None => {
                                line.figure.push_str(", ");
                                line.figure.push_str(&q.raw);
                            }
                        }
                        seen.push(q);
                        continue;
                    }
                    if let Err(reason) = check_bullet(&text, &[p], m.doc, digest.lang == m.doc.lang) {
                        tracing::debug!(doc = %m.doc.id, %reason, "brief figure failed verification; dropped");
                        *dropped += 1;
                        continue;
                    }
                    let lower = text.to_lowercase();
                    let moved = MOVE_WORDS.iter().any(|w| lower.contains(w));
                    lines.push((moved, Figure { figure: q.raw.clone(), text, lang: digest.lang, cite }));
                    seen.push(q);
                    if lines.len() >= MAX_FIGURES * 4 {
                        break 'groups;
                    }
                }
            }
        }
    }
    // Figures that moved first; within each, story order.
    lines.sort_by_key(|(moved, _)| !moved);
    let mut per_doc: Vec<(&str, usize)> = Vec::new();
    let mut first: Vec<usize> = Vec::new();
    let mut rest: Vec<usize> = Vec::new();
    for (k, (_, f)) in lines.iter().enumerate() {
        let n = match per_doc.iter_mut().find(|(d, _)| *d == f.cite.doc) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                per_doc.push((&f.cite.doc, 1));
                1
            }
        };
        if n <= FIGURES_PER_DOCUMENT { first.push(k) } else { rest.push(k) }
    }
    let mut keep: Vec<usize> = first.into_iter().chain(rest).take(MAX_FIGURES).collect();
    keep.sort_unstable();
    let mut lines: Vec<Option<Figure>> = lines.into_iter().map(|(_, f)| Some(f)).collect();
    keep.into_iter().filter_map(|k| lines[k].take()).collect()
}

/// Makes and stores the brief of run `run_id` of workflow `workflow_id` from its members and
/// their stored digests. A run that collected nothing gets none: the page keeps showing the
/// brief of the last run that did.
pub fn make_and_store(store: &Store, workflow_id: i64, run_id: i64, ran_at: DateTime<Utc>, query: &str) -> Result<Option<Brief>> {
    let conn = store.connection();
    let ids = |run: i64| -> Result<Vec<String>> {
        Ok(conn
            .prepare_cached(
                "SELECT m.doc_id FROM workflow_documents m JOIN documents d ON d.id = m.doc_id
                 WHERE m.workflow_id = ?1 AND m.run_id = ?2
                 ORDER BY d.published_at IS NULL, d.published_at DESC, d.seq DESC",
            )?
            .query_map(params![workflow_id, run], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    };
    let member_ids = ids(run_id)?;
    if member_ids.is_empty() {
        return Ok(None);
    }
    let previous_run: Option<i64> = conn
        .prepare_cached("SELECT MAX(run_id) FROM workflow_documents WHERE workflow_id = ?1 AND run_id < ?2 AND run_id > 0")?
        .query_row(params![workflow_id, run_id], |r| r.get(0))?;
    let docs: Vec<Document> = store.get_many(&member_ids)?.into_iter().map(|s| s.doc).collect();
    let digests: Vec<Option<Digest>> = docs.iter().map(|d| super::stored_digest(store, &d.id)).collect::<Result<_>>()?;
    let previous: Vec<Document> = match previous_run {
        Some(p) => store.get_many(&ids(p)?)?.into_iter().map(|s| s.doc).collect(),
        None => Vec::new(),
    };
    let members: Vec<Member<'_>> = docs.iter().zip(&digests).map(|(doc, g)| Member { doc, digest: g.as_ref() }).collect();
    let prev_refs: Vec<&Document> = previous.iter().collect();
    let all_ids: Vec<String> = docs.iter().chain(&previous).map(|d| d.id.clone()).collect();
    let story_of: HashMap<String, i64> =
        crate::stories::stories_of(conn, &all_ids)?.into_iter().map(|(id, s)| (id, s.id)).collect();
    let brief = compose(run_id, ran_at, query, &members, previous_run, &prev_refs, &story_of);
    conn.execute(
        "INSERT OR REPLACE INTO workflow_briefs (run_id, workflow_id, brief) VALUES (?1, ?2, ?3)",
        params![run_id, workflow_id, serde_json::to_string(&brief)?],
    )?;
    tracing::debug!(workflow_id, run_id, stories = brief.stories.len(), figures = brief.figures.len(), ledger = brief.ledger.len(), dropped = brief.dropped, "run brief stored");
    Ok(Some(brief))
}

/// The newest stored brief of a workflow. One written by another version of dossier that this
/// one cannot read is skipped (logged): the next run that collects anything writes a new one.
pub fn latest(store: &Store, workflow_id: i64) -> Result<Option<Brief>> {
    let json: Option<String> = store
        .connection()
        .prepare_cached("SELECT brief FROM workflow_briefs WHERE workflow_id = ?1 ORDER BY run_id DESC LIMIT 1")?
        .query_row([workflow_id], |r| r.get(0))
        .optional()?;
    Ok(json.and_then(|j| match serde_json::from_str(&j) {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!(workflow_id, error = %e, "stored run brief unreadable; the next run writes a new one");
            None
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Bullet, Section};

    fn doc(id: &str, title: &str, paragraphs: &[&str], day: u32) -> Document {
        Document {
            id: id.into(),
            title: title.into(),
            source: "测试社".into(),
            published_at: Some(Utc.with_ymd_and_hms(2025, 3, day, 8, 0, 0).unwrap()),
            published_precision: None,
            url: None,
            lang: Lang::Zh,
            paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
            meta: serde_json::Value::Null,
        }
    }
    use chrono::TimeZone;

    fn digest(bullets: &[(&str, &[usize])]) -> Digest {
        Digest {
            kind: DocKind::News,
            lang: Lang::Zh,
            summarizer: "extractive".into(),
            sections: vec![Section {
                heading: "Core Viewpoint".into(),
                level: 1,
                bullets: bullets
                    .iter()
                    .map(|(t, c)| Bullet { text: t.to_string(), citations: c.to_vec(), verified: Some(true) })
                    .collect(),
            }],
            excerpt: None,
            note: None,
            verification: None,
        }
    }

    #[test]
    fn headlines_sharing_rare_terms_are_one_story_and_query_terms_do_not_count() {
        let a = doc("a", "稀土出口管制升级 欧盟汽车厂商告急", &["x"], 3);
        let b = doc("b", "欧盟汽车厂商因稀土出口管制减产", &["x"], 2);
        let c = doc("c", "稀土价格周报：氧化镨钕上涨", &["x"], 1);
        let groups = group_stories(&[&a, &b, &c], "稀土", &HashMap::new());
        assert_eq!(groups, vec![vec![0, 1], vec![2]]);
        // Sharing only the query's own terms is no story.
        let d = doc("d", "稀土新闻", &["x"], 1);
        let e = doc("e", "稀土消息", &["x"], 1);
        assert_eq!(group_stories(&[&d, &e], "稀土", &HashMap::new()), vec![vec![0], vec![1]]);
    }

    /// Copies that ingest put in one story go together even when their headlines share nothing
    /// (a repost under a new title); others keep the headline test.
    #[test]
    fn documents_of_one_ingest_story_are_one_brief_story() {
        let a = doc("a", "商务部公告", &["x"], 3);
        let b = doc("b", "重磅！新规今起实施", &["x"], 2);
        let c = doc("c", "稀土价格周报：氧化镨钕上涨", &["x"], 1);
        let story_of: HashMap<String, i64> = [("a".to_string(), 7), ("b".to_string(), 7), ("c".to_string(), 9)].into();
        assert_eq!(group_stories(&[&a, &b, &c], "稀土", &story_of), vec![vec![0, 1], vec![2]]);
        assert_eq!(group_stories(&[&a, &b, &c], "稀土", &HashMap::new()), vec![vec![0], vec![1], vec![2]]);
    }

    #[test]
    fn a_brief_cites_its_stories_and_figures_and_says_what_is_new() {
        let a = doc(
            "a",
            "欧盟汽车厂商告急 稀土出口管制升级",
            &["记者报道。", "欧盟汽车厂商库存告急，多家工厂减产。", "今年前三季度稀土磁体出口同比下降12.5%，出口额为5500亿美元。"],
            3,
        );
        let b = doc("b", "欧盟汽车厂商因稀土出口管制减产", &["欧盟汽车厂商宣布减产，库存仅够两周。"], 2);
        let c = doc("c", "氧化镨钕价格周报", &["氧化镨钕价格本周上涨3%，报每吨45万元。"], 1);
        let t = doc("t", "稀土快讯", &["# 稀土快讯"], 1);
        let old = doc("old", "氧化镨钕价格周报（上周）", &["氧化镨钕价格持平。"], 1);
        let da = digest(&[("欧盟汽车厂商库存告急，多家工厂减产", &[2]), ("今年前三季度稀土磁体出口同比下降12.5%，出口额为5500亿美元", &[3])]);
        let db = digest(&[("欧盟汽车厂商宣布减产，库存仅够两周", &[1])]);
        // A bullet whose number is not in its paragraph must not reach the brief.
        let dc = digest(&[("氧化镨钕价格本周上涨4%", &[1])]);
        let members = [
            Member { doc: &a, digest: Some(&da) },
            Member { doc: &b, digest: Some(&db) },
            Member { doc: &c, digest: Some(&dc) },
            Member { doc: &t, digest: None },
        ];
        let brief = compose(7, Utc.with_ymd_and_hms(2025, 3, 4, 0, 0, 0).unwrap(), "稀土", &members, Some(6), &[&old], &HashMap::new());
        assert_eq!(brief.documents, 4);
        assert_eq!(brief.title_only, 1);
        assert_eq!(brief.stories.len(), 1, "{brief:#?}");
        let s = &brief.stories[0];
        assert_eq!(cite_text(&s.cite), "a [2]");
        assert_eq!(s.also, vec!["b".to_string()]);
        assert_eq!(s.follows, None);
        assert_eq!(brief.dropped, 1, "c's unverifiable claim");
        let figures: Vec<(&str, &str, String)> =
            brief.figures.iter().map(|f| (f.figure.as_str(), f.text.as_str(), cite_text(&f.cite))).collect();
        assert_eq!(
            figures,
            vec![
                ("12.5%", "今年前三季度稀土磁体出口同比下降12.5%", "a [3]".to_string()),
                ("5500亿美元", "出口额为5500亿美元", "a [3]".to_string()),
            ]
        );
        assert_eq!(brief.new_since_line(), "New since run #6: 1 of 1 story.");
        assert_eq!(brief.made_by, "extractive");
    }

    /// Two copies of one ingest story (qqnews qq-18608 and qq-18609, cut to two paragraphs):
    /// the price they disagree on comes first, both values cited; the figures they agree on
    /// are listed once with both sources; a third document of another story adds nothing.
    #[test]
    fn the_ledger_of_copies_flags_what_they_disagree_on_first_and_lists_agreed_figures_once() {
        let p1 = "3后轮驱动焕新版相比2022款后轮驱动版（23.19万）上涨了2.8万元；长续航全轮驱动焕新版的售价为29.59万元，且暂时并没有提供像2022款的高性能版车型。";
        let p2 = "2023年Q2特斯拉营收249.27亿美元，同比增长47%，净利润27.03亿美元，同比增长20%。";
        let a = doc("qq-18608", "新Model 3为何不降反涨？20万买不到了", &[p1, p2], 1);
        let b = doc("qq-18609", "新Model 3为何不降反涨？“看不见的地方”升级", &[&p1.replace("29.59", "39.59"), p2], 1);
        let c = doc("c", "氧化镨钕价格周报", &["氧化镨钕价格本周上涨3%，报每吨45万元。"], 1);
        let da = digest(&[("长续航全轮驱动焕新版的售价为29.59万元", &[1])]);
        let db = digest(&[("长续航全轮驱动焕新版的售价为39.59万元", &[1])]);
        let dc = digest(&[("氧化镨钕价格本周上涨3%", &[1])]);
        let members = [
            Member { doc: &a, digest: Some(&da) },
            Member { doc: &b, digest: Some(&db) },
            Member { doc: &c, digest: Some(&dc) },
        ];
        let story_of: HashMap<String, i64> = [("qq-18608".to_string(), 5), ("qq-18609".to_string(), 5), ("c".to_string(), 6)].into();
        let brief = compose(2, Utc::now(), "特斯拉", &members, None, &[], &story_of);
        let lines: Vec<String> = brief.ledger.iter().map(|c| format!("{}: {}", c.measure, c.values_text(str::to_string))).collect();
        assert_eq!(
            lines,
            [
                "长续航全轮驱动焕新版的售价: 29.59万元 qq-18608 [1] ≠ 39.59万元 qq-18609 [1]",
                "上涨: 2.8万元 qq-18608 [1], qq-18609 [1]",
                "特斯拉营收 (2023年Q2): 249.27亿美元 qq-18608 [2], qq-18609 [2]",
                "特斯拉营收同比增长 (2023年Q2): 47% qq-18608 [2], qq-18609 [2]",
            ]
        );
        assert!(brief.ledger[0].disputed() && !brief.ledger[1].disputed());
        // The disputed price was a figure line of qq-18608's digest; the ledger now carries it.
        assert!(brief.figures.iter().all(|f| f.figure != "29.59万元"), "{:#?}", brief.figures);
        // Without ingest stories there are no copies, so no ledger (headline neighbours are
        // follow-ups, whose new figures are news, not disputes).
        assert!(compose(2, Utc::now(), "特斯拉", &members, None, &[], &HashMap::new()).ledger.is_empty());
    }

    #[test]
    fn a_story_of_the_previous_run_is_marked_as_continuing() {
        let c = doc("c", "氧化镨钕价格周报：本周上涨", &["氧化镨钕价格本周上涨3%，报每吨45万元。"], 2);
        let old = doc("old", "氧化镨钕价格周报：上周持平", &["氧化镨钕价格持平。"], 1);
        let dc = digest(&[("氧化镨钕价格本周上涨3%", &[1])]);
        let brief = compose(2, Utc::now(), "稀土", &[Member { doc: &c, digest: Some(&dc) }], Some(1), &[&old], &HashMap::new());
        assert_eq!(brief.stories[0].follows.as_deref(), Some("old"));
        assert_eq!(brief.new_since_line(), "New since run #1: 0 of 1 story; 1 continues an earlier one.");
        let first = compose(1, Utc::now(), "稀土", &[Member { doc: &c, digest: Some(&dc) }], None, &[], &HashMap::new());
        assert_eq!(first.new_since_line(), "First run: every story is new.");
    }

    #[test]
    fn a_long_clause_is_cut_around_its_figure() {
        let text = format!("{}出口额为5500亿美元{}", "很长的背景".repeat(30), "后续说明".repeat(30));
        let q = numbers::extract(&text).into_iter().next().unwrap();
        let clause = clause_around(&text, &q.span);
        assert!(clause.contains("5500亿美元") && clause.chars().count() <= MAX_FIGURE_CHARS + 12, "{clause}");
        assert_eq!(clause_around("Exports fell 3.5%, to $1,200 million.", &(13..17)), "Exports fell 3.5%");
        assert_eq!(balanced("矿藏（约合人民币1.5万亿元"), "矿藏（约合人民币1.5万亿元）");
        assert_eq!(balanced("1林吉特约合人民币1.5元）"), "1林吉特约合人民币1.5元");
        assert_eq!(balanced("《法案》规定(2025)"), "《法案》规定(2025)");
    }
}
