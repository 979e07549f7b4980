//! extractive: which sentences of a document say the most, and how do they fill a template?
//!
//! The offline summarizer: no model, deterministic, fast enough to digest a whole feed. It
//! splits the document into sentences (each remembering its paragraph), drops boilerplate,
//! and scores every sentence by
//! - centrality: cosine similarity of its term vector (character bigrams and English words,
//!   weighted by background rarity, see `terms`) to the rest of the document,
//! - closeness to the title, and to the reader's query when there is one,
//! - position (news puts the point first),
//! - information: figures with units and names,
//!
//! with penalties for sentences that are too short or too long, questions, and lead-ins that
//! end in a colon. The Core Viewpoint is scored apart, as the article's own thesis: centrality,
//! the title's terms and lead position, never the query except to break a near-tie, with
//! market-tick lines off the title and lone short hooks held back.
//! It picks sentences by maximal marginal relevance (no near-duplicates),
//! and fills the template of the document kind: news gets "Core Viewpoint" and theme groups
//! (sentences clustered by what they are about, wherever they stand) each headed by one
//! phrase of the text (`themes::theme_phrase`); research gets "Investment Rating", "Core
//! Insights" and "Summary by Sections" following the report's own headings; a roundup gets one
//! group per topic and keeps its `；` lists whole. Bullets are source sentences, trimmed of
//! bylines and datelines (`layout::trim_sentence`) and to the clause that carries the claim
//! (`layout::trim_to_claim`), citing the paragraph they come from; two adjacent short
//! sentences may share a bullet and cite both, and a bullet restating another is dropped with
//! its citations given to the one kept.
//! When no digest can be made the result is an excerpt. This module must not verify
//! (mod.rs runs `verify`) nor render.

use crate::digest::layout::{self, Layout, Role};
use crate::digest::sentences::split_document;
use crate::digest::terms::{TermId, TermMap, for_each_term, idf};
use crate::digest::themes::theme_phrase;
use crate::digest::{Bullet, Digest, DocKind, Section};
use crate::document::{Document, Lang, is_cjk};

/// Section headings of the templates (the seed pages' wording).
pub const CORE_VIEWPOINT: &str = "Core Viewpoint";
pub const CORE_INSIGHTS: &str = "Core Insights";
pub const INVESTMENT_RATING: &str = "Investment Rating";
pub const SUMMARY_BY_SECTIONS: &str = "Summary by Sections";

/// Name the extractive summarizer signs its digests with.
pub const SUMMARIZER_NAME: &str = "extractive";

/// The offline, model-free summarizer.
#[derive(Debug, Clone)]
pub struct ExtractiveSummarizer {
    /// Most bullets in one digest, all sections together.
    pub max_bullets: usize,
    /// Length of the excerpt made when no digest can be.
    pub excerpt_chars: usize,
}

impl Default for ExtractiveSummarizer {
    fn default() -> Self {
        ExtractiveSummarizer {
            max_bullets: 12,
            excerpt_chars: 300,
        }
    }
}

/// One sentence that may become (part of) a bullet.
#[derive(Debug, Clone)]
struct Candidate {
    /// Trimmed text, ready for a bullet.
    text: String,
    /// The paragraph the sentence starts in.
    paragraph: usize,
    /// Every paragraph the sentence spans (feeds break sentences across paragraphs).
    cites: Vec<usize>,
    /// Index among all sentences of the document of its first and last piece, for adjacency.
    order: usize,
    last_order: usize,
    /// Ends without a sentence stop and could not be completed from the next paragraph.
    open: bool,
    /// Index in `Layout::parts`.
    part: usize,
    /// Length in "units": a Chinese character is one, an English word about three.
    units: f32,
    /// Normalized term vector: (vocabulary index, weight), sorted by index.
    vector: Vec<(u32, f32)>,
    score: f32,
    /// How well the sentence stands for the whole document, whatever the query: the Core
    /// Viewpoint is the best of these.
    thesis: f32,
    /// Similarity to the reader's query (0 without one); breaks near-ties between theses.
    query_sim: f32,
}

/// Units below which a sentence says too little to be a bullet.
const MIN_UNITS: f32 = 12.0;
/// Two sentences more similar than this say the same thing.
const DUPLICATE_SIMILARITY: f32 = 0.62;
/// Adjacent sentences of one paragraph shorter than this together may share one bullet.
const JOIN_UNITS: f32 = 110.0;
/// Adjacent sentences of two paragraphs may share a bullet when shorter than this together.
const JOIN_ACROSS_UNITS: f32 = 90.0;
/// A sentence broken across paragraphs is followed over at most this many of them.
const MAX_SPAN: usize = 3;

impl ExtractiveSummarizer {
    pub fn new() -> Self {
        Self::default()
    }

    /// Digests `doc` with the template of `kind`; `query` (the workflow's search) favours the
    /// sentences that answer it. Never fails: a document with nothing to digest becomes an
    /// excerpt.
    pub fn summarize(&self, doc: &Document, kind: DocKind, query: Option<&str>) -> Digest {
        if kind == DocKind::Excerpt {
            return self.excerpt(doc);
        }
        let layout = Layout::of(doc);
        let (mut cands, vocab) = candidates(doc, &layout, kind);
        let usable_units: f32 = cands.iter().map(|c| c.units).sum();
        if cands.len() < 2 || usable_units < crate::digest::kind::MIN_DIGEST_CHARS as f32 * 0.6 {
            return self.excerpt(doc);
        }
        score(&mut cands, &vocab, doc, &layout, kind, query);
        let budget = ((cands.len() as f32).sqrt() * 1.6).ceil() as usize;
        let budget = budget.clamp(3, self.max_bullets.max(1));
        let doc_count = |id: TermId| vocab.count(id);
        let mut sections = match kind {
            DocKind::Research => research(doc, &layout, &cands, budget, &doc_count),
            DocKind::Roundup => roundup(doc, &layout, &cands, budget, &doc_count),
            _ => news(doc, &cands, budget, &doc_count),
        };
        dedupe_bullets(&mut sections, doc.lang);
        if sections.iter().all(|s| s.bullets.is_empty()) {
            return self.excerpt(doc);
        }
        Digest {
            kind,
            lang: doc.lang,
            summarizer: SUMMARIZER_NAME.to_string(),
            sections,
            excerpt: None,
            note: None,
            verification: None,
        }
    }

    /// The excerpt digest of a document.
    pub fn excerpt(&self, doc: &Document) -> Digest {
        Digest {
            kind: DocKind::Excerpt,
            lang: doc.lang,
            summarizer: SUMMARIZER_NAME.to_string(),
            sections: Vec::new(),
            excerpt: Some(layout::excerpt(doc, self.excerpt_chars)),
            note: None,
            verification: None,
        }
    }
}

/// The terms of the document being summarized, indexed densely, with their weights.
struct Vocabulary {
    index: TermMap<u32>,
    weights: Vec<f32>,
    /// Occurrences of each term in the candidate sentences.
    counts: Vec<u32>,
}

impl Vocabulary {
    /// Occurrences of a term in the document's candidate sentences.
    fn count(&self, id: TermId) -> u32 {
        self.index.get(&id).map_or(0, |&i| self.counts[i as usize])
    }
}

impl Vocabulary {
    /// The normalized vector of any text over this vocabulary. Terms the document lacks cannot
    /// match anything, so they are left out of the vector but still count in its norm.
    fn vector_of(&self, text: &str) -> Vec<(u32, f32)> {
        let mut known: Vec<(u32, f32)> = Vec::new();
        let mut unknown: Vec<u64> = Vec::new();
        for_each_term(text, |id, _| match self.index.get(&id) {
            Some(&idx) => known.push((idx, 1.0)),
            None => {
                if !unknown.contains(&id) {
                    unknown.push(id);
                }
            }
        });
        let mut vector = count_sorted(&mut known);
        for t in vector.iter_mut() {
            t.1 = (1.0 + t.1.ln()) * self.weights[t.0 as usize];
        }
        let unknown_sq: f32 = unknown.iter().map(|&id| idf(id) * idf(id)).sum();
        let norm = (vector.iter().map(|t| t.1 * t.1).sum::<f32>() + unknown_sq).sqrt();
        if norm > 0.0 {
            for t in vector.iter_mut() {
                t.1 /= norm;
            }
        }
        vector
    }
}

/// Sorts (index, 1.0) entries and merges equal indices into counts.
fn count_sorted(entries: &mut [(u32, f32)]) -> Vec<(u32, f32)> {
    entries.sort_unstable_by_key(|t| t.0);
    let mut out: Vec<(u32, f32)> = Vec::with_capacity(entries.len());
    for &(idx, n) in entries.iter() {
        match out.last_mut() {
            Some(last) if last.0 == idx => last.1 += n,
            _ => out.push((idx, n)),
        }
    }
    out
}

/// Splits the body paragraphs into trimmed, non-boilerplate sentences with term vectors.
fn candidates(doc: &Document, layout: &Layout, kind: DocKind) -> (Vec<Candidate>, Vocabulary) {
    let sentences = split_document(&doc.paragraphs);
    let mut index: TermMap<u32> = TermMap::default();
    let mut ids: Vec<u64> = Vec::new();
    let mut out = Vec::with_capacity(sentences.len());
    let mut entries: Vec<(u32, f32)> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    let mut k = 0;
    while k < sentences.len() {
        let order = k;
        let s = sentences[k];
        k += 1;
        if layout.role(s.paragraph) != &Role::Body {
            continue;
        }
        // A paragraph's last sentence left open continues in the next body paragraph.
        let mut raw = s.text.to_string();
        let mut cites = vec![s.paragraph];
        let mut last_order = order;
        let mut open;
        // A roundup lists its items with `；` ("2月20日发行的是…；2月21日…。"): its bullets
        // keep the whole list, so a piece ending in `；` runs on to the sentence end. A list
        // laid out one item per paragraph is not followed: each paragraph is a whole item.
        let keep_lists = kind == DocKind::Roundup;
        loop {
            while keep_lists && ends_list_item(&raw) && units_of(&raw) < 300.0 {
                let p = *cites.last().unwrap_or(&s.paragraph);
                match sentences.get(last_order + 1) {
                    Some(n) if n.paragraph == p => {
                        raw.push_str(n.text);
                        last_order += 1;
                        k = last_order + 1;
                    }
                    _ => break,
                }
            }
            open = ends_open(&raw);
            if !open || cites.len() >= MAX_SPAN {
                break;
            }
            let p = *cites.last().unwrap_or(&s.paragraph);
            let is_last_of_paragraph = sentences
                .get(last_order + 1)
                .is_none_or(|n| n.paragraph != p);
            let next_para = p + 1;
            if !is_last_of_paragraph
                || next_para > doc.paragraphs.len()
                || layout.role(next_para) != &Role::Body
            {
                break;
            }
            let next_text = layout::strip_markup(&doc.paragraphs[next_para - 1]);
            let mut next_chars = next_text.chars();
            let first = next_chars.next();
            let decimal =
                first == Some('.') && next_chars.next().is_some_and(|c| c.is_ascii_digit());
            if let Some(stop) = first
                .filter(|&c| !decimal && matches!(c, '。' | '！' | '？' | '；' | '.' | '!' | '?'))
            {
                // "…扩大到“极致”" + "。本月初…": the stop is all that was missing.
                raw.push(stop);
                open = false;
                break;
            }
            let Some(next) = sentences
                .get(last_order + 1)
                .filter(|n| n.paragraph == next_para)
            else {
                break;
            };
            if units_of(&raw) + units_of(next.text) > 300.0 {
                break;
            }
            let last_char = raw.trim_end_matches('*').chars().next_back();
            let first_char = next.text.trim_start_matches('*').chars().next();
            if last_char.is_some_and(|c| c.is_ascii_alphanumeric())
                && first_char.is_some_and(|c| c.is_ascii_alphanumeric())
            {
                raw.push(' ');
            }
            raw.push_str(next.text);
            cites.push(next_para);
            last_order += 1;
            k = last_order + 1;
        }
        if layout::is_junk_text(&raw) {
            continue;
        }
        let Some(text) = layout::trim_sentence(&raw, &doc.title) else {
            continue;
        };
        let mut text = layout::trim_to_claim(&text, doc.lang);
        if keep_lists {
            // The paragraph is one whole item of a list: it ends the bullet, not the list.
            let t = text.trim_end();
            if let Some(item) = t.strip_suffix('；') {
                text = format!("{item}。");
            } else if let Some(item) = t.strip_suffix(';') {
                text = format!("{item}.");
            }
        }
        let units = units_of(&text);
        if units < MIN_UNITS {
            continue;
        }
        entries.clear();
        for_each_term(&text, |id, _| {
            let idx = *index.entry(id).or_insert_with(|| {
                ids.push(id);
                ids.len() as u32 - 1
            });
            entries.push((idx, 1.0));
        });
        let vector = count_sorted(&mut entries);
        counts.resize(ids.len(), 0);
        for &(idx, n) in &vector {
            counts[idx as usize] += n as u32;
        }
        let part = layout.part_of[s.paragraph - 1];
        out.push(Candidate {
            text,
            paragraph: s.paragraph,
            cites,
            order,
            last_order,
            open,
            part,
            units,
            vector,
            score: 0.0,
            thesis: 0.0,
            query_sim: 0.0,
        });
    }
    let weights: Vec<f32> = ids.iter().map(|&id| idf(id)).collect();
    for c in out.iter_mut() {
        for t in c.vector.iter_mut() {
            t.1 = (1.0 + t.1.ln()) * weights[t.0 as usize];
        }
        normalize(&mut c.vector);
    }
    (
        out,
        Vocabulary {
            index,
            weights,
            counts,
        },
    )
}

fn normalize(v: &mut [(u32, f32)]) {
    let norm = v.iter().map(|t| t.1 * t.1).sum::<f32>().sqrt();
    if norm > 0.0 {
        for t in v.iter_mut() {
            t.1 /= norm;
        }
    }
}

fn dot(a: &[(u32, f32)], b: &[(u32, f32)]) -> f32 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f32);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// True when a sentence stops without a sentence end (a lead-in ending in a colon counts as
/// ended: it is complete, just not useful alone).
fn ends_open(text: &str) -> bool {
    let t = text.trim_end().trim_end_matches('*').trim_end();
    let t = t.trim_end_matches(['”', '"', '’', '\'', '）', ')', '】', '》', '」']);
    !t.chars().next_back().is_some_and(|c| {
        matches!(
            c,
            '。' | '！' | '？' | '；' | '…' | '.' | '!' | '?' | ';' | '：' | ':'
        )
    })
}

/// Share of the shorter bullet's bigrams found in the other at which two bullets state the
/// same claim (qq-34199: "全部17种稀土元素…" twice, once joined to a neighbour).
const SAME_CLAIM_OVERLAP: f32 = 0.6;

/// Share of a long clause's bigrams at which it says what another long clause says.
const SAME_CLAUSE_OVERLAP: f32 = 0.8;

/// The bigrams of each clause of a bullet long enough to be a claim of its own (14+
/// characters, 10+ words).
fn long_clauses(text: &str, lang: Lang) -> Vec<std::collections::HashSet<u64>> {
    let (breaks, min): (&[char], usize) = match lang {
        Lang::En => (&[',', ';', '.', ':'], 10),
        _ => (&['，', '；', '。', '：', '！', '？'], 14),
    };
    text.split(breaks)
        .filter(|c| match lang {
            Lang::En => c.split_whitespace().count() >= min,
            _ => c.chars().filter(|ch| ch.is_alphanumeric()).count() >= min,
        })
        .map(|c| claim_bigrams(c, lang))
        .collect()
}

/// Character bigrams of a Chinese bullet, word bigrams of an English one, hashed.
fn claim_bigrams(text: &str, lang: Lang) -> std::collections::HashSet<u64> {
    use std::hash::{Hash, Hasher};
    let hash = |a: &str, b: &str| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (a, b).hash(&mut h);
        h.finish()
    };
    // Two chars fit one u64 exactly; only word pairs need hashing.
    if lang == Lang::En {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect();
        words.windows(2).map(|w| hash(&w[0], &w[1])).collect()
    } else {
        let chars: Vec<char> = text.chars().filter(|c| c.is_alphanumeric()).collect();
        chars
            .windows(2)
            .map(|w| (u64::from(w[0]) << 32) | u64::from(w[1]))
            .collect()
    }
}

/// Drops a bullet that restates an earlier one of the same digest (earlier sections hold the
/// better sentences: Core Viewpoint first), giving its citations to the one kept, then drops
/// sections left empty and renumbers the groups.
fn dedupe_bullets(sections: &mut Vec<Section>, lang: Lang) {
    type Grams = std::collections::HashSet<u64>;
    let overlaps = |a: &Grams, b: &Grams, share: f32| {
        let small = a.len().min(b.len());
        small > 0 && a.intersection(b).count() as f32 >= share * small as f32
    };
    // (section, bullet, bigrams of the bullet, bigrams of each of its long clauses)
    let mut kept: Vec<(usize, usize, Grams, Vec<Grams>)> = Vec::new();
    let mut emptied = false;
    for si in 0..sections.len() {
        let mut bi = 0;
        while bi < sections[si].bullets.len() {
            let text = &sections[si].bullets[bi].text;
            let grams = claim_bigrams(text, lang);
            let clauses = long_clauses(text, lang);
            // The same claim: most of the bullet, or one whole long clause ("马来西亚地下蕴藏着
            // 全部17种稀土元素，…" opening two bullets of qq-34199).
            let same = kept.iter().find(|(_, _, g, cl)| {
                overlaps(g, &grams, SAME_CLAIM_OVERLAP)
                    || clauses
                        .iter()
                        .any(|c| cl.iter().any(|k| overlaps(k, c, SAME_CLAUSE_OVERLAP)))
            });
            if let Some(&(ks, kb, _, _)) = same {
                let dropped = sections[si].bullets.remove(bi);
                let cites = &mut sections[ks].bullets[kb].citations;
                for c in dropped.citations {
                    if !cites.contains(&c) {
                        cites.push(c);
                    }
                }
                cites.sort_unstable();
                emptied |= sections[si].bullets.is_empty();
                continue;
            }
            kept.push((si, bi, grams, clauses));
            bi += 1;
        }
    }
    if emptied {
        // A level-1 section without bullets followed by sub-sections ("Summary by Sections")
        // is a heading, not an empty group.
        let keep: Vec<bool> = (0..sections.len())
            .map(|i| {
                !sections[i].bullets.is_empty()
                    || sections.get(i + 1).is_some_and(|n| n.level > sections[i].level)
            })
            .collect();
        let mut k = keep.iter();
        sections.retain(|_| *k.next().unwrap_or(&true));
        let mut n = 0;
        for sec in sections.iter_mut() {
            if let Some(rest) = sec.heading.strip_prefix("Group ")
                && let Some((num, name)) = rest.split_once(": ").or(Some((rest, "")))
                && num.parse::<usize>().is_ok()
            {
                n += 1;
                sec.heading = if name.is_empty() {
                    format!("Group {n}")
                } else {
                    format!("Group {n}: {name}")
                };
            }
        }
    }
}

/// True when a sentence ends a list item (`；`) rather than the sentence.
fn ends_list_item(text: &str) -> bool {
    text.trim_end().ends_with(['；', ';'])
}

/// Length in units: Chinese characters count one, English words three.
fn units_of(text: &str) -> f32 {
    let mut units = 0.0f32;
    let mut in_word = false;
    for c in text.chars() {
        if is_cjk(c) {
            units += 1.0;
            in_word = false;
        } else if crate::digest::terms::is_word_char(c) {
            if !in_word {
                units += 3.0;
                in_word = true;
            }
        } else {
            in_word = false;
        }
    }
    units
}

/// Scores every candidate; see the module documentation for the parts.
fn score(
    cands: &mut [Candidate],
    vocab: &Vocabulary,
    doc: &Document,
    layout: &Layout,
    kind: DocKind,
    query: Option<&str>,
) {
    let mut centroid = vec![0.0f32; vocab.weights.len()];
    for c in cands.iter() {
        for &(i, w) in &c.vector {
            centroid[i as usize] += w;
        }
    }
    let centroid_sq: f32 = centroid.iter().map(|x| x * x).sum();
    let title = vocab.vector_of(&doc.title);
    let query_vector = query
        .map(clean_query)
        .filter(|q| !q.is_empty())
        .map(|q| vocab.vector_of(&q));
    // Rank of each body paragraph among body paragraphs, for position.
    let mut body_rank = vec![0usize; doc.paragraphs.len() + 1];
    let mut rank = 0;
    for (i, role) in layout.roles.iter().enumerate() {
        body_rank[i + 1] = rank;
        if *role == Role::Body {
            rank += 1;
        }
    }
    let position_decay = match kind {
        DocKind::News => 0.25,
        _ => 0.08,
    };
    let mut centralities = Vec::with_capacity(cands.len());
    for c in cands.iter() {
        let vc: f32 = c
            .vector
            .iter()
            .map(|&(i, w)| w * centroid[i as usize])
            .sum();
        let rest_norm = (centroid_sq - 2.0 * vc + 1.0).max(1e-6).sqrt();
        centralities.push((vc - 1.0) / rest_norm);
    }
    let max_central = centralities.iter().cloned().fold(1e-6f32, f32::max);
    let title_sims: Vec<f32> = cands.iter().map(|c| dot(&c.vector, &title)).collect();
    // Title similarity relative to the sentence closest to the title: titles are short, so
    // raw cosines are small and vary by document. The floor keeps a title that shares
    // nothing with the text from magnifying noise.
    let title_scale = title_sims.iter().cloned().fold(0.2f32, f32::max);
    // A short sentence that cannot take its neighbour along is a hook (`首个资本运作来了。`),
    // not a thesis.
    let short_alone: Vec<bool> = (0..cands.len())
        .map(|k| {
            cands[k].units < 40.0
                && cands.get(k + 1).is_none_or(|n| {
                    n.order != cands[k].last_order + 1 || n.paragraph != cands[k].paragraph
                })
        })
        .collect();
    let mut first_in_paragraph = usize::MAX;
    for (k, c) in cands.iter_mut().enumerate() {
        let central = (centralities[k] / max_central).max(0.0);
        let title_sim = title_sims[k];
        let rank = body_rank[c.paragraph] as f32;
        let position = 1.0 / (1.0 + position_decay * rank);
        let info = information(&c.text);
        let mut s = 0.42 * central + 0.25 * title_sim + 0.18 * position + 0.15 * info;
        c.query_sim = query_vector.as_ref().map_or(0.0, |q| dot(&c.vector, q));
        s += 0.6 * c.query_sim;
        // The thesis: what the whole document is about (centrality, the title's terms), with
        // the lead as a prior since news states its point first — and no query, which would
        // pull in whatever sentence names it (`日经225指数开盘下跌0.48%` under 稀土).
        let lead = 1.0 / (1.0 + rank);
        let mut t = 0.4 * central + 0.25 * title_sim / title_scale + 0.35 * lead;
        let form = length_factor(c.units) * form_factor(&c.text);
        s *= form;
        t *= form;
        if short_alone[k] {
            t *= 0.6;
        }
        if c.open {
            s *= 0.5;
            t *= 0.5;
        }
        // A price tick is the point of a market report (it then shares the title's terms),
        // never of a piece about something else.
        if title_sim < 0.1 && is_market_tick(&c.text) {
            t *= 0.3;
        }
        // The first sentence of a paragraph usually carries its point.
        if c.paragraph != first_in_paragraph {
            s *= 1.05;
            t *= 1.05;
            first_in_paragraph = c.paragraph;
        }
        c.score = s;
        c.thesis = t;
    }
}

/// Drops search syntax from a query: exclusions (-term), field prefixes and operators.
fn clean_query(q: &str) -> String {
    q.split_whitespace()
        .filter(|w| !w.starts_with('-') && !matches!(*w, "AND" | "OR" | "NOT"))
        .map(|w| {
            w.rsplit(':')
                .next()
                .unwrap_or(w)
                .trim_matches(|c| c == '"' || c == '(' || c == ')')
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Figures and names: 0..1. One pass over the text: it runs on every sentence.
fn information(text: &str) -> f32 {
    let mut numbers = 0u32;
    let mut in_number = false;
    let mut units = 0u32; // 亿 万 % 吨 元 倍, dlrs, pct, tonnes, billion…
    let mut names = 0u32; // 公司 集团 银行 证券 政府 交易所 委员会 部 局 《, Corp, Inc, capitalized words
    let mut prev = ' ';
    let mut word_start: Option<usize> = None;
    let mut first_word = true;
    let ascii_word = |w: &str, first: bool, units: &mut u32, names: &mut u32| match w {
        "dlrs" | "dlr" | "pct" | "percent" | "tonnes" | "tons" | "billion" | "million" | "bln"
        | "mln" => *units += 1,
        "Corp" | "Inc" | "Co" | "Ltd" => *names += 1,
        _ if !first && w.starts_with(|c: char| c.is_ascii_uppercase()) => *names += 1,
        _ => {}
    };
    for (i, c) in text.char_indices() {
        let digit = c.is_ascii_digit();
        if digit && !in_number {
            numbers += 1;
        }
        in_number = digit || (in_number && matches!(c, '.' | ','));
        match c {
            '亿' | '万' | '%' | '％' | '吨' | '元' | '倍' => units += 1,
            '《' | '部' | '局' => names += 1,
            '司' if prev == '公' => names += 1,
            '团' if prev == '集' => names += 1,
            '行' if prev == '银' => names += 1,
            '券' if prev == '证' => names += 1,
            '府' if prev == '政' => names += 1,
            '所' if prev == '易' => names += 1,
            '会' if prev == '员' => names += 1,
            _ => {}
        }
        if c.is_ascii_alphabetic() {
            word_start.get_or_insert(i);
        } else if let Some(ws) = word_start.take() {
            ascii_word(&text[ws..i], first_word, &mut units, &mut names);
            first_word = false;
        }
        prev = c;
    }
    if let Some(ws) = word_start {
        ascii_word(&text[ws..], first_word, &mut units, &mut names);
    }
    let units = units.min(2) as f32 / 2.0;
    let names = names.min(3) as f32 / 3.0;
    (0.35 * (numbers.min(3) as f32 / 3.0) + 0.35 * units + 0.3 * names).min(1.0)
}

fn length_factor(units: f32) -> f32 {
    match units {
        u if u < 22.0 => 0.6,
        u if u < 32.0 => 0.85,
        u if u <= 170.0 => 1.0,
        u if u <= 260.0 => 0.8,
        _ => 0.55,
    }
}

/// Sentences that do not stand alone: lead-ins ending in a colon, questions, and sentences that
/// open with a pronoun pointing back.
fn form_factor(text: &str) -> f32 {
    let last = text
        .trim_end_matches(['”', '"', '）', ')', '’'])
        .chars()
        .next_back()
        .unwrap_or('。');
    let mut f = 1.0;
    if matches!(last, '：' | ':' | '，' | ',') {
        f *= 0.3;
    }
    if matches!(last, '？' | '?') {
        f *= 0.5;
    }
    const BACK_POINTERS: &[&str] = &[
        "这", "此", "该", "其", "他", "她", "它", "对此", "但", "而", "因此", "所以", "This ",
        "That ", "These ", "It ", "He ", "She ", "They ",
    ];
    if BACK_POINTERS.iter().any(|p| text.starts_with(p)) {
        f *= 0.85;
    }
    f
}

/// Picks up to `n` candidates from `pool` (indices into `cands`) by maximal marginal relevance,
/// never two near-duplicates and never one too similar to `taken`. Returns indices in document
/// order.
fn pick(cands: &[Candidate], pool: &[usize], n: usize, taken: &[usize]) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    // Similarity of each pool member to the closest sentence already taken or chosen, kept up
    // to date as sentences are chosen (one dot product per member per choice).
    let mut max_sim: Vec<f32> = pool
        .iter()
        .map(|&i| {
            taken
                .iter()
                .map(|&j| dot(&cands[i].vector, &cands[j].vector))
                .fold(0.0f32, f32::max)
        })
        .collect();
    let mut available: Vec<bool> = pool
        .iter()
        .map(|&i| cands[i].score > 0.0 && !taken.contains(&i))
        .collect();
    while chosen.len() < n {
        let mut best: Option<(usize, f32)> = None;
        for (k, &i) in pool.iter().enumerate() {
            if !available[k] {
                continue;
            }
            if max_sim[k] > DUPLICATE_SIMILARITY {
                available[k] = false;
                continue;
            }
            let value = cands[i].score - 0.3 * cands[i].score.max(0.2) * max_sim[k];
            if best.is_none_or(|(_, v)| value > v) {
                best = Some((k, value));
            }
        }
        let Some((k, _)) = best else { break };
        let i = pool[k];
        chosen.push(i);
        available[k] = false;
        for (m, &j) in pool.iter().enumerate() {
            if available[m] {
                max_sim[m] = max_sim[m].max(dot(&cands[j].vector, &cands[i].vector));
            }
        }
    }
    chosen.sort_by_key(|&i| cands[i].order);
    chosen
}

/// Turns candidates (in document order) into bullets, joining two adjacent short sentences.
fn bullets(cands: &[Candidate], picked: &[usize], lang: Lang) -> Vec<Bullet> {
    struct Open {
        bullet: Bullet,
        units: f32,
        last_order: usize,
        last_paragraph: usize,
        joined: bool,
    }
    let mut out: Vec<Open> = Vec::new();
    for &i in picked {
        let c = &cands[i];
        if let Some(last) = out.last_mut() {
            let limit = if c.paragraph == last.last_paragraph {
                JOIN_UNITS
            } else {
                JOIN_ACROSS_UNITS
            };
            if !last.joined && c.order == last.last_order + 1 && last.units + c.units <= limit {
                if lang == Lang::En
                    || last
                        .bullet
                        .text
                        .ends_with(|ch: char| ch.is_ascii_punctuation())
                {
                    last.bullet.text.push(' ');
                }
                last.bullet.text.push_str(&c.text);
                for &p in &c.cites {
                    if !last.bullet.citations.contains(&p) {
                        last.bullet.citations.push(p);
                    }
                }
                last.units += c.units;
                last.last_order = c.last_order;
                last.last_paragraph = *c.cites.last().unwrap_or(&c.paragraph);
                last.joined = true;
                continue;
            }
        }
        out.push(Open {
            bullet: Bullet {
                text: c.text.clone(),
                citations: c.cites.clone(),
                verified: None,
            },
            units: c.units,
            last_order: c.last_order,
            last_paragraph: *c.cites.last().unwrap_or(&c.paragraph),
            joined: false,
        });
    }
    out.into_iter().map(|o| o.bullet).collect()
}

/// The text of some candidates, for naming their theme.
fn joined_text(cands: &[Candidate], picked: &[usize]) -> String {
    picked
        .iter()
        .map(|&i| cands[i].text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Splits candidates (document order) into contiguous theme groups of at most `max_len`,
/// cutting where neighbours share the least: few common terms, far apart, or a heading of the
/// document between them.
fn contiguous_groups(
    cands: &[Candidate],
    picked: &[usize],
    groups: usize,
    max_len: usize,
) -> Vec<Vec<usize>> {
    if picked.is_empty() {
        return Vec::new();
    }
    let link = |a: usize, b: usize| -> f32 {
        let (ca, cb) = (&cands[a], &cands[b]);
        let gap = cb.paragraph.saturating_sub(ca.paragraph) as f32;
        let mut s = dot(&ca.vector, &cb.vector) + 0.5 / (1.0 + gap);
        if ca.part != cb.part {
            s -= 0.6;
        }
        s
    };
    let mut cuts: Vec<usize> = Vec::new(); // cut before position k of `picked`
    let mut order: Vec<(f32, usize)> = (1..picked.len())
        .map(|k| (link(picked[k - 1], picked[k]), k))
        .collect();
    order.sort_by(|a, b| a.0.total_cmp(&b.0));
    for &(_, k) in order.iter().take(groups.saturating_sub(1)) {
        cuts.push(k);
    }
    cuts.sort_unstable();
    let mut out: Vec<Vec<usize>> = Vec::new();
    let mut start = 0;
    for &k in cuts.iter().chain(std::iter::once(&picked.len())) {
        out.push(picked[start..k].to_vec());
        start = k;
    }
    // Break up groups still too long at their weakest link.
    while let Some(i) = out.iter().position(|g| g.len() > max_len) {
        let g = out.remove(i);
        let k = (1..g.len())
            .min_by(|&a, &b| link(g[a - 1], g[a]).total_cmp(&link(g[b - 1], g[b])))
            .unwrap_or(g.len() / 2);
        out.insert(i, g[k..].to_vec());
        out.insert(i, g[..k].to_vec());
    }
    out.retain(|g| !g.is_empty());
    out
}

/// Groups candidates by what they are about, wherever they stand in the document: average-link
/// clustering of their term vectors into at most `groups` groups of at most `max_len`, with a
/// small pull towards neighbours to settle ties (two unrelated sentences are closer when they
/// stand side by side). Groups come in the order of their first sentence, sentences in
/// document order.
fn theme_groups(
    cands: &[Candidate],
    picked: &[usize],
    groups: usize,
    max_len: usize,
) -> Vec<Vec<usize>> {
    let n = picked.len();
    let mut clusters: Vec<Vec<usize>> = picked.iter().map(|&i| vec![i]).collect();
    if n == 0 {
        return clusters;
    }
    let link = |a: usize, b: usize| -> f32 {
        let (ca, cb) = (&cands[a], &cands[b]);
        let gap = ca.order.abs_diff(cb.order) as f32;
        let mut s = dot(&ca.vector, &cb.vector) + 0.08 / (1.0 + gap);
        if ca.part != cb.part {
            s -= 0.3;
        }
        s
    };
    // Pairwise links once; clusters are small (a dozen sentences at most).
    let sim: Vec<Vec<f32>> = picked
        .iter()
        .map(|&a| picked.iter().map(|&b| link(a, b)).collect())
        .collect();
    let pos = |i: usize| picked.iter().position(|&p| p == i).unwrap_or(0);
    while clusters.len() > groups.max(1) {
        let mut best: Option<(usize, usize, f32)> = None;
        for x in 0..clusters.len() {
            for y in x + 1..clusters.len() {
                if clusters[x].len() + clusters[y].len() > max_len {
                    continue;
                }
                let mut total = 0.0;
                for &a in &clusters[x] {
                    for &b in &clusters[y] {
                        total += sim[pos(a)][pos(b)];
                    }
                }
                let avg = total / (clusters[x].len() * clusters[y].len()) as f32;
                if best.is_none_or(|(_, _, v)| avg > v) {
                    best = Some((x, y, avg));
                }
            }
        }
        let Some((x, y, _)) = best else { break };
        let merged = clusters.remove(y);
        clusters[x].extend(merged);
    }
    for c in clusters.iter_mut() {
        c.sort_by_key(|&i| cands[i].order);
    }
    clusters.sort_by_key(|c| c.first().map_or(usize::MAX, |&i| cands[i].order));
    clusters
}

/// Names and adds theme groups for `groups` (each a list of candidate indices).
fn theme_sections(
    doc: &Document,
    cands: &[Candidate],
    groups: &[Vec<usize>],
    doc_count: &dyn Fn(TermId) -> u32,
    level: u8,
    numbered: bool,
) -> Vec<Section> {
    let mut used: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for g in groups {
        let text = joined_text(cands, g);
        // One phrase of the text names the theme; two key terms side by side did not
        // ("Group 2: 新华 涨超").
        let phrase = theme_phrase(&text, doc_count, doc.lang, &used);
        used.extend(phrase.iter().cloned());
        let heading = match (numbered, phrase) {
            (true, Some(p)) => format!("Group {}: {p}", out.len() + 1),
            (true, None) => format!("Group {}", out.len() + 1),
            (false, Some(p)) => p,
            (false, None) => format!("Part {}", out.len() + 1),
        };
        out.push(Section {
            heading,
            level,
            bullets: bullets(cands, g, doc.lang),
        });
    }
    out
}

/// News: "Core Viewpoint", then contiguous theme groups.
fn news(
    doc: &Document,
    cands: &[Candidate],
    budget: usize,
    doc_count: &dyn Fn(TermId) -> u32,
) -> Vec<Section> {
    let all: Vec<usize> = (0..cands.len()).collect();
    let core = core_viewpoint(cands, &all);
    let mut sections = Vec::new();
    let mut taken = Vec::new();
    if let Some(core) = core {
        taken.extend(core.iter().copied());
        sections.push(Section {
            heading: CORE_VIEWPOINT.to_string(),
            level: 1,
            bullets: bullets(cands, &core, doc.lang),
        });
    }
    let rest = budget.saturating_sub(taken.len()).max(2);
    let picked = pick(cands, &all, rest, &taken);
    let groups = picked.len().div_ceil(3).clamp(1, 4);
    let grouped = theme_groups(cands, &picked, groups, 4);
    sections.extend(theme_sections(doc, cands, &grouped, doc_count, 1, true));
    sections
}

/// Sentences within this share of the best thesis are a tie the query may break.
const THESIS_TIE: f32 = 0.97;

/// The document's own thesis among `pool` (indices into `cands`): the sentence that best
/// stands for the whole of it; among near-ties, the one closest to the query. A short one takes
/// the next sentence of its paragraph along.
fn core_viewpoint(cands: &[Candidate], pool: &[usize]) -> Option<Vec<usize>> {
    let best = pool
        .iter()
        .copied()
        .max_by(|&a, &b| cands[a].thesis.total_cmp(&cands[b].thesis))?;
    if cands[best].thesis <= 0.0 {
        return None;
    }
    let floor = THESIS_TIE * cands[best].thesis;
    let core = pool
        .iter()
        .copied()
        .filter(|&i| cands[i].thesis >= floor)
        .max_by(|&a, &b| {
            let (x, y) = (&cands[a], &cands[b]);
            x.query_sim
                .total_cmp(&y.query_sim)
                .then(x.thesis.total_cmp(&y.thesis))
                // Equal on both: the earlier sentence.
                .then(b.cmp(&a))
        })
        .unwrap_or(best);
    let mut out = vec![core];
    if cands[core].units < 40.0
        && let Some(next) = cands.get(core + 1)
        && next.order == cands[core].last_order + 1
        && next.score > 0.0
        && next.paragraph == cands[core].paragraph
    {
        out.push(core + 1);
    }
    Some(out)
}

/// A market-tick line: an index, share or futures move given as a figure
/// (`日经225指数开盘下跌0.48%，报39582.33点。`, `The Dow fell 12 points.`). One pass of
/// `contains` over a short sentence; longer ones carry more than a tick.
fn is_market_tick(text: &str) -> bool {
    const ZH_MARKETS: &[&str] = &[
        "指数",
        "股指",
        "沪指",
        "深成指",
        "创业板指",
        "恒指",
        "日经",
        "道指",
        "纳指",
        "标普",
        "板块",
        "个股",
        "期货",
        "股价",
        "开盘",
        "收盘",
        "午盘",
        "尾盘",
    ];
    const ZH_MOVES: &[&str] = &["涨", "跌", "收于", "报收", "走高", "走低", "翻红", "翻绿"];
    if text.is_ascii() {
        if text.split_whitespace().count() > 30 {
            return false;
        }
        let lower = text.to_ascii_lowercase();
        let market = [
            "stock index",
            "share index",
            "stocks",
            "shares",
            "dow ",
            "nasdaq",
            "s&p",
            "futures",
            "nikkei",
        ]
        .iter()
        .any(|m| lower.contains(m));
        return market
            && [
                " rose ",
                " fell ",
                " gained ",
                " lost ",
                " closed ",
                " dropped ",
                " climbed ",
            ]
            .iter()
            .any(|m| lower.contains(m))
            && ["pct", "percent", "%", "points", "cents"]
                .iter()
                .any(|m| lower.contains(m));
    }
    text.chars().count() <= 80
        && (text.contains('%') || text.contains('％') || text.contains('点'))
        && ZH_MARKETS.iter().any(|m| text.contains(m))
        && ZH_MOVES.iter().any(|m| text.contains(m))
}

/// Investment-rating words, longest first so "强烈推荐" wins over "推荐".
const RATINGS: &[&str] = &[
    "强烈推荐",
    "谨慎推荐",
    "审慎推荐",
    "跑赢行业",
    "跑赢大市",
    "优于大市",
    "同步大市",
    "弱于大市",
    "跑输行业",
    "跑输大市",
    "买入",
    "增持",
    "推荐",
    "中性",
    "持有",
    "减持",
    "卖出",
    "超配",
    "标配",
    "低配",
    "Overweight",
    "Underweight",
    "Outperform",
    "Underperform",
    "Market Perform",
    "Equal-weight",
    "Equal Weight",
    "Neutral",
    "Buy",
    "Hold",
    "Sell",
];

/// Words that show a rating word is used as a rating ("维持“增持”评级", "target price").
const RATING_CONTEXT: &[&str] = &[
    "评级",
    "目标价",
    "维持",
    "首次覆盖",
    "给予",
    "上调至",
    "下调至",
    "rating",
    "price target",
    "target price",
    "initiate",
    "reiterate",
    "upgrade",
    "downgrade",
];

/// The candidate that states the investment rating, if the text gives one.
fn rating_sentence(cands: &[Candidate]) -> Option<usize> {
    cands.iter().position(|c| {
        let lower = c.text.to_ascii_lowercase();
        RATING_CONTEXT
            .iter()
            .any(|k| lower.contains(&k.to_ascii_lowercase()))
            && RATINGS.iter().any(|r| {
                if r.is_ascii() {
                    c.text.match_indices(r).any(|(at, m)| {
                        let before = c.text[..at].chars().next_back();
                        let after = c.text[at + m.len()..].chars().next();
                        !before.is_some_and(|b| b.is_ascii_alphanumeric())
                            && !after.is_some_and(|a| a.is_ascii_alphanumeric())
                    })
                } else {
                    c.text.contains(r)
                }
            })
    })
}

/// Research: "Investment Rating", "Core Insights", "Summary by Sections" with one level-2
/// section per part of the report (its own headings, else theme groups).
fn research(
    doc: &Document,
    layout: &Layout,
    cands: &[Candidate],
    budget: usize,
    doc_count: &dyn Fn(TermId) -> u32,
) -> Vec<Section> {
    let all: Vec<usize> = (0..cands.len()).collect();
    let mut sections = Vec::new();
    let mut taken: Vec<usize> = Vec::new();
    if let Some(r) = rating_sentence(cands) {
        taken.push(r);
        sections.push(Section {
            heading: INVESTMENT_RATING.to_string(),
            level: 1,
            bullets: bullets(cands, &[r], doc.lang),
        });
    }
    let insights = pick(cands, &all, 3.min(budget), &taken);
    taken.extend(insights.iter().copied());
    if !insights.is_empty() {
        sections.push(Section {
            heading: CORE_INSIGHTS.to_string(),
            level: 1,
            bullets: bullets(cands, &insights, doc.lang),
        });
    }
    let rest = budget.saturating_sub(taken.len()).max(3);
    let parts = part_sections(doc, layout, cands, rest, &taken, 8, 3, false);
    let subsections = if parts.len() >= 2 {
        parts
    } else {
        let picked = pick(cands, &all, rest, &taken);
        let grouped = contiguous_groups(cands, &picked, picked.len().div_ceil(3).clamp(1, 4), 3);
        theme_sections(doc, cands, &grouped, doc_count, 2, false)
    };
    if !subsections.is_empty() {
        sections.push(Section {
            heading: SUMMARY_BY_SECTIONS.to_string(),
            level: 1,
            bullets: Vec::new(),
        });
        sections.extend(subsections);
    }
    sections
}

/// One section per headed part of the document that has something worth saying, at most
/// `max_parts` (the best ones, kept in document order), each with up to `per_part` bullets.
#[allow(clippy::too_many_arguments)]
fn part_sections(
    doc: &Document,
    layout: &Layout,
    cands: &[Candidate],
    budget: usize,
    taken: &[usize],
    max_parts: usize,
    per_part: usize,
    numbered: bool,
) -> Vec<Section> {
    let mut parts: Vec<(usize, Vec<usize>, f32)> = Vec::new(); // part, pool, best score
    for (p, part) in layout.parts.iter().enumerate() {
        if part.heading.is_none() {
            continue;
        }
        let pool: Vec<usize> = (0..cands.len())
            .filter(|&i| cands[i].part == p && !taken.contains(&i))
            .collect();
        let best = pool.iter().map(|&i| cands[i].score).fold(0.0f32, f32::max);
        if best > 0.0 {
            parts.push((p, pool, best));
        }
    }
    if parts.len() > max_parts {
        let mut by_score: Vec<usize> = (0..parts.len()).collect();
        by_score.sort_by(|&a, &b| parts[b].2.total_cmp(&parts[a].2));
        let keep: Vec<usize> = by_score.into_iter().take(max_parts).collect();
        parts = parts
            .into_iter()
            .enumerate()
            .filter(|(i, _)| keep.contains(i))
            .map(|(_, p)| p)
            .collect();
    }
    let per = (budget / parts.len().max(1)).clamp(1, per_part);
    let mut taken: Vec<usize> = taken.to_vec();
    let mut out = Vec::new();
    for (p, pool, _) in parts {
        let picked = pick(cands, &pool, per, &taken);
        if picked.is_empty() {
            continue;
        }
        taken.extend(picked.iter().copied());
        let name = layout.parts[p].heading.clone().unwrap_or_default();
        let heading = if numbered {
            format!("Group {}: {name}", out.len() + 1)
        } else {
            name
        };
        out.push(Section {
            heading,
            level: if numbered { 1 } else { 2 },
            bullets: bullets(cands, &picked, doc.lang),
        });
    }
    out
}

/// Roundup: the opening as "Core Viewpoint", then one group per topic — the document's own
/// headings, else labelled paragraphs ("比亚迪：…"), else theme groups.
fn roundup(
    doc: &Document,
    layout: &Layout,
    cands: &[Candidate],
    budget: usize,
    doc_count: &dyn Fn(TermId) -> u32,
) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut taken = Vec::new();
    let opening: Vec<usize> = (0..cands.len()).filter(|&i| cands[i].part == 0).collect();
    if layout.has_headings() {
        // The opening of a roundup frames it: its thesis is there, not under a topic heading.
        let core = core_viewpoint(cands, &opening).unwrap_or_default();
        if !core.is_empty() {
            taken.extend(core.iter().copied());
            sections.push(Section {
                heading: CORE_VIEWPOINT.to_string(),
                level: 1,
                bullets: bullets(cands, &core, doc.lang),
            });
        }
        let groups = part_sections(doc, layout, cands, budget.max(10), &taken, 10, 2, true);
        if groups.len() >= 2 {
            sections.extend(groups);
            return sections;
        }
        sections.clear();
        taken.clear();
    }
    let labelled = labelled_groups(cands);
    if labelled.len() >= 2 {
        for (label, members) in labelled.into_iter().take(10) {
            let picked = pick(cands, &members, 2, &taken);
            if picked.is_empty() {
                continue;
            }
            taken.extend(picked.iter().copied());
            sections.push(Section {
                heading: format!("Group {}: {label}", sections.len() + 1),
                level: 1,
                bullets: bullets(cands, &picked, doc.lang),
            });
        }
        return sections;
    }
    news(doc, cands, budget, doc_count)
}

/// Paragraphs that open with a short label and a colon ("比亚迪：…", "Phelps Dodge: …"),
/// grouped by label in order of first appearance.
fn labelled_groups(cands: &[Candidate]) -> Vec<(String, Vec<usize>)> {
    let mut out: Vec<(String, Vec<usize>)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut last_paragraph = 0;
    for (i, c) in cands.iter().enumerate() {
        if c.paragraph != last_paragraph {
            last_paragraph = c.paragraph;
            current =
                label_of(&c.text).map(|label| match out.iter().position(|(l, _)| *l == label) {
                    Some(k) => k,
                    None => {
                        out.push((label, Vec::new()));
                        out.len() - 1
                    }
                });
        }
        if let Some(k) = current {
            out[k].1.push(i);
        }
    }
    out
}

fn label_of(text: &str) -> Option<String> {
    let pos = text.find('：').or_else(|| text.find(": "))?;
    let label = text[..pos].trim();
    let n = label.chars().count();
    let plain = label
        .chars()
        .all(|c| c.is_alphabetic() || c == ' ' || c == '&' || c == '-');
    (2..=12).contains(&n).then_some(()).filter(|_| {
        plain && !label.ends_with("表示") && !label.ends_with("称") && !label.ends_with("说")
    })?;
    Some(label.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(title: &str, paragraphs: &[&str]) -> Document {
        Document::for_test(title, paragraphs)
    }

    #[test]
    fn a_bullet_restating_another_goes_and_gives_it_its_citations() {
        let b = |text: &str, cite: usize| Bullet {
            text: text.to_string(),
            citations: vec![cite],
            verified: None,
        };
        let mut sections = vec![
            Section {
                heading: CORE_VIEWPOINT.to_string(),
                level: 1,
                bullets: vec![b("《海峡时报》表示，马来西亚地下蕴藏着全部17种稀土元素，中国是唯一拥有所有稀土产能的生产国。", 4)],
            },
            Section {
                heading: "Group 1: 稀土元素".to_string(),
                level: 1,
                bullets: vec![b("马来西亚地下蕴藏着全部17种稀土元素，因此与其他国家合作产出的价值较低。", 12)],
            },
            Section {
                heading: "Group 2: 生产总值".to_string(),
                level: 1,
                bullets: vec![b("马来西亚政府从今年1月1日起暂停出口未经加工的稀土。", 8)],
            },
        ];
        dedupe_bullets(&mut sections, Lang::Zh);
        assert_eq!(sections.len(), 2, "{sections:#?}");
        assert_eq!(sections[0].bullets[0].citations, vec![4, 12]);
        // Groups are renumbered after an emptied one is dropped.
        assert_eq!(sections[1].heading, "Group 1: 生产总值");
        assert_eq!(sections[1].bullets[0].citations, vec![8]);
    }

    #[test]
    fn bullets_are_source_sentences_citing_their_paragraph() {
        let d = doc(
            "中国稀土拟募资收购江华稀土",
            &[
                "中国稀土公告，拟向特定投资者非公开发行股份，募资20.3亿元，用于收购江华稀土94.67%股权。",
                "江华稀土为全国单本离子型稀土开采指标最大的矿山项目，是第一家离子型稀土绿色矿山试点单位。",
                "点击关注，获取更多资讯。",
                "2021年度、2022年1-9月江华稀土净利润分别为1.77亿、2.52亿元，盈利情况良好。",
                "中国稀土集团与湖南省人民政府签署战略合作协议，推动省内稀土产业整合，建设稀土新材料产业园。",
            ],
        );
        let digest = ExtractiveSummarizer::new().summarize(&d, DocKind::News, None);
        assert_eq!(digest.kind, DocKind::News);
        assert_eq!(digest.sections[0].heading, CORE_VIEWPOINT);
        for s in &digest.sections {
            for b in &s.bullets {
                assert!(!b.citations.is_empty());
                for &c in &b.citations {
                    let p = &d.paragraphs[c - 1];
                    // Every sentence of the bullet comes from a cited paragraph.
                    assert!(
                        crate::digest::sentences::split_paragraph(&b.text)
                            .iter()
                            .all(|(_, s)| b
                                .citations
                                .iter()
                                .any(|&k| d.paragraphs[k - 1].contains(s))),
                        "{b:?} vs {p}"
                    );
                }
                assert!(!b.text.contains("点击关注"));
            }
        }
    }

    #[test]
    fn too_little_text_is_an_excerpt() {
        let d = doc(
            "马来西亚计划禁止稀土原材料出口",
            &[
                "# 马来西亚计划禁止稀土原材料出口",
                "马来西亚将禁止稀土原材料的出口。",
            ],
        );
        let digest = ExtractiveSummarizer::new().summarize(&d, DocKind::News, None);
        assert_eq!(digest.kind, DocKind::Excerpt);
        assert_eq!(
            digest.excerpt.as_deref(),
            Some("马来西亚将禁止稀土原材料的出口。")
        );
        assert!(digest.sections.is_empty());
    }

    #[test]
    fn rating_needs_context() {
        let mk = |t: &str| Candidate {
            text: t.into(),
            paragraph: 1,
            cites: vec![1],
            order: 0,
            last_order: 0,
            open: false,
            part: 0,
            units: 20.0,
            vector: vec![],
            score: 1.0,
            thesis: 1.0,
            query_sim: 0.0,
        };
        assert_eq!(
            rating_sentence(&[
                mk("投资者纷纷买入黄金。"),
                mk("该行表示，维持对蒙牛的“增持”评级，目标价为36.8港元。")
            ]),
            Some(1)
        );
        assert_eq!(
            rating_sentence(&[mk("Analysts see a Buyback plan; rating agencies are calm.")]),
            None
        );
        assert_eq!(
            rating_sentence(&[mk("Morgan Stanley reiterated its Overweight rating.")]),
            Some(0)
        );
    }

    #[test]
    fn labels_name_roundup_groups() {
        assert_eq!(label_of("比亚迪：海外销量继续增长"), Some("比亚迪".into()));
        assert_eq!(label_of("公司表示：将继续推进"), None);
        assert_eq!(label_of("周一(2月20日)：中国央行公布LPR"), None);
    }

    #[test]
    fn core_viewpoint_is_the_thesis_not_the_query_match_nor_a_tick() {
        let d = doc(
            "A股持续走弱，创业板指跌逾1%，稀土永磁、医疗板块领跌",
            &[
                "日经225指数开盘下跌0.48%，报39582.33点。",
                "今日A股三大指数低开低走，创业板指跌逾1%，医疗、半导体板块领跌，两市超3000只个股下跌，成交额较上一交易日萎缩。",
                "稀土价格回落，稀土永磁概念股北方稀土跌近2%。",
                "医疗板块同样走弱，多只医疗器械股跌超2%，市场情绪整体偏谨慎。",
                "分析人士认为，A股短期仍将震荡，创业板指面临支撑位考验，投资者宜控制仓位。",
            ],
        );
        let digest = ExtractiveSummarizer::new().summarize(&d, DocKind::News, Some("稀土"));
        let core = &digest.sections[0];
        assert_eq!(core.heading, CORE_VIEWPOINT);
        assert!(
            core.bullets[0].text.starts_with("今日A股三大指数低开低走"),
            "{:?}",
            core.bullets[0].text
        );
    }

    #[test]
    fn market_ticks_are_recognised() {
        assert!(is_market_tick("日经225指数开盘下跌0.48%，报39582.33点。"));
        assert!(is_market_tick(
            "The Dow fell 12 points to 2,280 in early trading."
        ));
        assert!(!is_market_tick(
            "马来西亚总理安瓦尔11日宣布，该国政府将制定禁止稀土原材料出口的新政策。"
        ));
        assert!(!is_market_tick(
            "Retail prices rose 0.4 pct in February, the government said."
        ));
    }

    #[test]
    fn query_syntax_is_not_searched_for() {
        assert_eq!(
            clean_query("稀土 -美国 title:出口 \"管制\" AND 镓"),
            "稀土 出口 管制 镓"
        );
    }

    #[test]
    fn units_count_chinese_characters_and_english_words() {
        assert_eq!(units_of("稀土出口 rose 5%"), 4.0 + 3.0 + 3.0);
    }
}
