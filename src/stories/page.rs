//! page: what does a story page say — who carried the story, when, what each copy adds, and
//! what the story is, cited to member and paragraph?
//!
//! A member "adds" a body paragraph when less than half of that paragraph's shingles occur in
//! any other member: new quotes, a closing paragraph of background, an update. The story digest
//! is the extractive digest of the best member (the most complete text) with each bullet cited
//! as `id [n]`, followed by the first whole sentence of each run of paragraphs another member
//! adds (at most three a member), cited to that member — so everything the story page claims
//! points at a paragraph someone published.

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
    /// `qq-21473 [3]` / `qq-21473 [3][4]`, the way digests and briefs cite.
    pub fn citation(&self) -> String {
        format!("{}{}", self.doc, crate::digest::render::citations(&self.paragraphs))
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
        if digest.is_empty() {
            digest = lead_bullets(best);
        }
    }
    for v in views.iter().skip(1) {
        if let Some(d) = doc_of(&v.member.id) {
            digest.extend(added_bullets(d, &v.adds));
        }
    }
    let ordered: Vec<Document> = views.iter().filter_map(|v| doc_of(&v.member.id).cloned()).collect();
    let figures = super::figures::ledger(&ordered);
    Ok(StoryPage { id, title: best.title.clone(), size: views.len(), members: views, digest, figures })
}

/// Most bullets one member's additions give the story digest: the story page lists every
/// paragraph it adds under Sources; the digest says what the first few are about.
const ADDED_BULLETS: usize = 3;

/// The story digest's bullets for what `doc` adds: for each run of added paragraphs, the first
/// whole sentence, trimmed and cut to one claim like a digest bullet (datelines, source tags,
/// leading connectives), cited to the paragraphs it spans. Feeds break sentences across paragraphs (`…售价涨至 50240
/// 美元（当前约 34.8` / `万元人民币），…`): a paragraph that does not end a sentence is read
/// with the next, and one that continues the previous one's sentence with that one, so no
/// bullet starts or stops mid-sentence.
fn added_bullets(doc: &Document, adds: &[Added]) -> Vec<StoryBullet> {
    let body = numbered_body(doc);
    let position = |n: usize| body.iter().position(|(m, _)| *m == n);
    let mut out = Vec::new();
    let mut covered = 0usize;
    for a in adds {
        if out.len() >= ADDED_BULLETS {
            break;
        }
        let Some(mut first) = position(a.paragraph) else { continue };
        if a.paragraph <= covered {
            continue;
        }
        while first > 0 && !ends_sentence(body[first - 1].1) && body[first - 1].0 > covered {
            first -= 1;
        }
        let mut last = first;
        while last + 1 < body.len() && !ends_sentence(body[last].1) {
            last += 1;
        }
        // The run's text, with where each paragraph starts in it.
        let mut text = String::new();
        let mut starts = Vec::new();
        for (n, p) in &body[first..=last] {
            let p = p.trim();
            let latin = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
            if latin(text.chars().next_back()) && latin(p.chars().next()) {
                text.push(' ');
            }
            starts.push((text.len(), *n));
            text.push_str(p);
        }
        covered = body[last].0;
        let Some(&(at, sentence)) = crate::digest::sentences::split_paragraph(&text).first() else { continue };
        let Some(trimmed) = crate::digest::layout::trim_sentence(sentence, &doc.title) else { continue };
        // Cut to one claim as the digest's own bullets are, and cited to the paragraphs what is
        // left of it spans.
        let claim = crate::digest::layout::trim_to_claim(&trimmed, doc.lang);
        let kept = claim.trim_end_matches('…');
        let end = sentence.find(kept).map_or(at + sentence.len(), |i| at + i + kept.len());
        let paragraphs: Vec<usize> = starts.iter().filter(|(from, _)| *from < end).map(|&(_, n)| n).collect();
        out.push(StoryBullet { text: claim, doc: doc.id.clone(), paragraphs });
    }
    out
}

/// The story digest of a best member too short for a digest (its own page shows an excerpt):
/// the opening sentence of each of its first body paragraphs, cited like every other bullet, so
/// the story page still says what the story is.
fn lead_bullets(doc: &Document) -> Vec<StoryBullet> {
    let lead: Vec<Added> = numbered_body(doc)
        .into_iter()
        .take(ADDED_BULLETS)
        .map(|(paragraph, p)| Added { paragraph, text: p.to_string() })
        .collect();
    added_bullets(doc, &lead)
}

/// Whether a paragraph ends a sentence (a stop, perhaps inside closing quotes or brackets).
fn ends_sentence(p: &str) -> bool {
    let t = p.trim_end().trim_end_matches(['”', '」', '』', '"', '\'', '）', ')', '】']);
    t.ends_with(['。', '！', '？', '!', '?', '.', '…', '；', ';', '：', ':'])
}

/// What a story page says in place of its digest when no member has body text.
pub const NO_DIGEST: &str = "No digest: every copy of this story is only its headline.";

/// The page as terminal text.
pub fn terminal(p: &StoryPage) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Story {} · {} source{}", p.id, p.size, if p.size == 1 { "" } else { "s" });
    let _ = writeln!(out, "{}\n", terminal_safe(&p.title));
    let _ = writeln!(out, "Digest");
    if p.digest.is_empty() {
        let _ = writeln!(out, "{NO_DIGEST}");
    }
    for b in &p.digest {
        let _ = writeln!(out, "- {} — {}", terminal_safe(&b.text), terminal_safe(&b.citation()));
    }
    let (shared, one_source) = super::figures::page_lines(&p.figures, p.size);
    for (heading, lines) in [("Figures (conflicts first)", shared), ("Figures one source alone states", one_source)] {
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{heading}");
        for line in lines {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// qq-8691 as stored: the feed broke its sentences across paragraphs.
    fn broken() -> Document {
        Document::for_test(
            "特斯拉全球大涨价：Model 3中国涨至23.19万元，涨价2千元",
            &[
                "IT之家 5 月 2 日消息，据特斯拉官网，特斯拉车型全线涨价。目前特斯拉 Model Y 在中国的价格上涨至 26.39 万元，Model Y",
                "长续航版在中国的价格上涨至 31.39 万元。特斯拉 Model Y 高性能版在中国的售价上涨至 36.39 万元。",
                "此外，特斯拉 Model 3 在中国的售价涨至 23.19 万元，Model 3 高性能版涨至 33.19 万元。",
                "Model Y 在美国的价格上涨至 47240 美元（IT之家备注：当前约 32.7 万元人民币），长续航版上涨至 50240 美元（当前约 34.8",
                "万元人民币），特斯拉 Model Y 高性能版上涨至 54240 美元（当前约 37.6 万元人民币），Model 3 上涨至 40240 美元（当前约",
                "27.9 万元人民币）和 53240 美元（当前约 36.9 万元人民币）。",
                "今年 4 月，特斯拉才刚刚将 Model Y 长续航版下调至 49990 美元，Model Y 高性能版降至 53990 美元，Model 3",
                "后轮驱动版降至 39990 美元。",
            ],
        )
    }

    fn adds(ns: &[usize]) -> Vec<Added> {
        ns.iter().map(|&n| Added { paragraph: n, text: String::new() }).collect()
    }

    #[test]
    fn added_paragraphs_give_whole_sentences_cited_to_every_paragraph_they_span() {
        let d = broken();
        let bullets = added_bullets(&d, &adds(&[4, 5, 6, 7, 8]));
        let got: Vec<(String, Vec<usize>)> = bullets.iter().map(|b| (b.text.clone(), b.paragraphs.clone())).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        // A sentence over one claim's length (paragraphs 4–6) is cut at a clause break like a
        // digest bullet, and cited to the paragraphs what is kept spans.
        assert_eq!(got[0].1, vec![4, 5]);
        assert!(got[0].0.starts_with("Model Y 在美国的价格上涨至 47240 美元"), "{}", got[0].0);
        assert!(got[0].0.contains("34.8万元人民币"), "{}", got[0].0);
        assert!(got[0].0.ends_with('…'), "{}", got[0].0);
        // One within it (paragraphs 7–8) is whole, cited to both.
        assert_eq!(got[1].1, vec![7, 8]);
        assert!(got[1].0.contains("Model 3后轮驱动版降至 39990 美元"), "{}", got[1].0);
    }

    /// qq-34892 as stored: two paragraphs, too little for a digest.
    fn short() -> Document {
        Document::for_test(
            "湖南吉首多名学生被社会团伙组织恐吓威胁？教体局称属实，警方已介入",
            &[
                "湖南吉首多名学生被社会团伙组织恐吓威胁？教体局称属实，警方已介入",
                "3月25日，湖南吉首市一份关于多名学生被社会团伙恐吓的情况报告引关注。报告署名为吉首学生安委办，称两所学校学生被社会团伙组织恐吓威胁。",
                "记者从吉首市教体局获悉，该报告属实，目前该事件还在调查中，学生被社会团伙组织恐吓威胁的情况有所改善。记者从吉首市公安局获悉，警方已介入调查。",
            ],
        )
    }

    #[test]
    fn a_story_too_short_for_a_digest_opens_with_its_lead_sentences_cited() {
        let d = short();
        let g = ExtractiveSummarizer::new().summarize(&d, crate::digest::kind::detect_kind(&d), None);
        assert!(g.sections.iter().all(|s| s.bullets.is_empty()), "the case this covers: no digest bullets");
        let bullets = lead_bullets(&d);
        let got: Vec<(String, String)> = bullets.iter().map(|b| (b.text.clone(), b.citation())).collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got[0].0.contains("湖南吉首市一份关于多名学生被社会团伙恐吓的情况报告引关注"), "{got:?}");
        assert_eq!(got[0].1, "t [2]");
        assert!(got[1].0.contains("该报告属实"), "{got:?}");
        assert_eq!(got[1].1, "t [3]");
    }

    #[test]
    fn an_added_paragraph_that_continues_a_sentence_is_read_from_its_start() {
        let d = broken();
        let bullets = added_bullets(&d, &adds(&[5]));
        assert_eq!(bullets.len(), 1);
        assert_eq!(bullets[0].paragraphs, vec![4, 5]);
        // Cited the way digests and briefs cite.
        assert!(bullets[0].citation().ends_with(" [4][5]"), "{}", bullets[0].citation());
        assert!(bullets[0].text.starts_with("Model Y 在美国"), "{}", bullets[0].text);
        // …and a dateline does not open a bullet.
        let first = added_bullets(&d, &adds(&[1]));
        assert_eq!(first[0].paragraphs, vec![1]);
        assert!(!first[0].text.contains("5 月 2 日消息"), "{}", first[0].text);
    }
}
