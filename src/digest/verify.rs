//! verify: does every bullet of a digest rest on the paragraphs it cites?
//!
//! The check that makes a digest something an analyst can quote. For each bullet:
//! - it must say something and cite at least one paragraph;
//! - every citation must name an existing paragraph ("cites [14] but the document has 9
//!   paragraphs");
//! - every number in it (citation markers and list numbering removed) must appear, after
//!   unit normalization (`numbers`), in at least one of its cited paragraphs ("1.13 billion
//!   yuan" against "11.3亿元");
//! - when it is written in the document's language, a fair share of its wording must occur in
//!   the cited paragraphs — a bullet that shares almost nothing with [3] was not taken from
//!   [3], whatever its numbers say.
//!
//! Failing bullets are dropped or kept and marked, by policy; sections left empty go, and a
//! digest with nothing left becomes an excerpt. The report says what was checked and why each
//! bullet failed. This module must not write bullets or fix citations: a wrong bullet is
//! reported, never repaired.

use crate::digest::numbers::{self, Quantity};
use crate::digest::terms::{TermMap, for_each_term, idf};
use crate::digest::{BulletIssue, Digest, DocKind, VerificationReport, layout};
use crate::document::{Document, Lang};

/// What to do with a bullet that fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyPolicy {
    /// Remove it from the digest.
    Drop,
    /// Keep it with `verified: Some(false)`; renderers show it as unverified.
    Mark,
}

/// Below this share of its content terms found in the cited paragraphs, a same-language bullet
/// is not supported by them. Extractive bullets score 1.0; a faithful paraphrase keeps the
/// names and key terms and stays well above it.
pub const MIN_WORDING_SUPPORT: f32 = 0.3;
/// Bullets with fewer content terms than this are too short for the wording test to mean
/// anything.
const MIN_TERMS_FOR_WORDING: usize = 6;
/// Terms at least this rare in financial news count as content (not "的是", "said").
const CONTENT_IDF: f32 = 2.0;
/// Length of the excerpt that replaces a digest with nothing left.
const EXCERPT_CHARS: usize = 300;

/// Verifies every bullet of `digest` against `doc`, applies `policy` to the failures, and
/// stores the report in `digest.verification`.
pub fn verify(digest: &mut Digest, doc: &Document, policy: VerifyPolicy) {
    let mut report = VerificationReport::default();
    let same_language = digest.lang == doc.lang;
    let mut evidence = Evidence::new(doc);
    for section in digest.sections.iter_mut() {
        let heading = section.heading.clone();
        section.bullets.retain_mut(|bullet| {
            report.bullets_checked += 1;
            match evidence.check(&bullet.text, &bullet.citations, same_language) {
                Ok(()) => {
                    bullet.verified = Some(true);
                    report.bullets_kept += 1;
                    true
                }
                Err(reason) => {
                    let dropped = policy == VerifyPolicy::Drop;
                    tracing::debug!(doc = %doc.id, section = %heading, %reason, dropped, "digest bullet failed verification");
                    report.issues.push(BulletIssue { section: heading.clone(), bullet: bullet.text.clone(), reason, dropped });
                    if dropped {
                        report.bullets_dropped += 1;
                        false
                    } else {
                        bullet.verified = Some(false);
                        report.bullets_kept += 1;
                        report.bullets_unverified += 1;
                        true
                    }
                }
            }
        });
    }
    remove_empty_sections(digest);
    if digest.kind != DocKind::Excerpt && digest.sections.iter().all(|s| s.bullets.is_empty()) {
        digest.kind = DocKind::Excerpt;
        digest.sections.clear();
        digest.lang = doc.lang;
        digest.excerpt = Some(layout::excerpt(doc, EXCERPT_CHARS));
    }
    digest.verification = Some(report);
}

/// Why a bullet is not supported by its citations, or `Ok`.
pub fn check_bullet(
    text: &str,
    citations: &[usize],
    doc: &Document,
    same_language: bool,
) -> Result<(), String> {
    Evidence::new(doc).check(text, citations, same_language)
}

/// The document's paragraphs as evidence, with each paragraph's quantities and terms worked
/// out once however many bullets cite it.
struct Evidence<'d> {
    doc: &'d Document,
    quantities: Vec<Option<Vec<Quantity>>>,
    terms: Vec<Option<TermMap<()>>>,
}

impl<'d> Evidence<'d> {
    fn new(doc: &'d Document) -> Self {
        let n = doc.paragraphs.len();
        Evidence {
            doc,
            quantities: vec![None; n],
            terms: (0..n).map(|_| None).collect(),
        }
    }

    /// Quantities of paragraph `p` (1-based, existing).
    fn quantities(&mut self, p: usize) -> &[Quantity] {
        let doc = self.doc;
        self.quantities[p - 1].get_or_insert_with(|| numbers::extract(&doc.paragraphs[p - 1]))
    }

    fn terms(&mut self, p: usize) -> &TermMap<()> {
        let doc = self.doc;
        self.terms[p - 1].get_or_insert_with(|| {
            let mut set = TermMap::default();
            for_each_term(&doc.paragraphs[p - 1], |id, _| {
                set.insert(id, ());
            });
            set
        })
    }

    fn check(
        &mut self,
        text: &str,
        citations: &[usize],
        same_language: bool,
    ) -> Result<(), String> {
        let doc = self.doc;
        let claim = claim_text(text);
        if !claim.chars().any(|c| c.is_alphanumeric()) {
            return Err("the bullet is empty".to_string());
        }
        if citations.is_empty() {
            return Err("no citation: every bullet must cite at least one paragraph".to_string());
        }
        let n = doc.paragraphs.len();
        let bad: Vec<usize> = citations
            .iter()
            .copied()
            .filter(|&c| c == 0 || c > n)
            .collect();
        if !bad.is_empty() {
            return Err(format!(
                "cites {} but the document has {n} paragraph{} (numbered from 1)",
                markers(&bad),
                if n == 1 { "" } else { "s" }
            ));
        }
        // A bullet that quotes its cited paragraphs word for word (the extractive summarizer's)
        // carries only their numbers and wording: nothing more to check.
        if self.quotes_verbatim(&claim, citations) {
            return Ok(());
        }
        let claimed = numbers::extract(&claim);
        if !claimed.is_empty() {
            let mut found = vec![false; claimed.len()];
            for &c in citations {
                let qs = self.quantities(c);
                for (k, q) in claimed.iter().enumerate() {
                    found[k] = found[k] || qs.iter().any(|p| q.matches(p));
                }
            }
            // Feeds break sentences, and sometimes numbers, across paragraphs ("2019 年 10" +
            // "月推出"); a bullet citing both consecutive paragraphs may quote the figure whole.
            if found.iter().any(|f| !f) {
                let mut sorted: Vec<usize> = citations.to_vec();
                sorted.sort_unstable();
                sorted.dedup();
                for pair in sorted.windows(2).filter(|w| w[1] == w[0] + 1) {
                    let joined = format!(
                        "{}{}",
                        doc.paragraphs[pair[0] - 1].trim_end(),
                        doc.paragraphs[pair[1] - 1].trim_start()
                    );
                    let qs = numbers::extract(&joined);
                    for (k, q) in claimed.iter().enumerate() {
                        found[k] = found[k] || qs.iter().any(|p| q.matches(p));
                    }
                }
            }
            let missing: Vec<&str> = claimed
                .iter()
                .zip(&found)
                .filter(|(_, f)| !**f)
                .map(|(q, _)| q.raw.as_str())
                .collect();
            if !missing.is_empty() {
                let shown: Vec<String> =
                    missing.iter().take(3).map(|m| format!("\"{m}\"")).collect();
                let more = if missing.len() > 3 {
                    format!(" (and {} more)", missing.len() - 3)
                } else {
                    String::new()
                };
                return Err(format!(
                    "{} {}{more} not found in {}",
                    if missing.len() == 1 {
                        "number"
                    } else {
                        "numbers"
                    },
                    shown.join(", "),
                    markers(citations)
                ));
            }
        }
        if same_language
            && Lang::detect(&claim) == doc.lang
            && let Some(share) = self.wording_support(&claim, citations)
            && share < MIN_WORDING_SUPPORT
        {
            return Err(format!(
                "shares only {:.0}% of its wording with {} (at least {:.0}% expected for a bullet in the document's language)",
                share * 100.0,
                markers(citations),
                MIN_WORDING_SUPPORT * 100.0
            ));
        }
        Ok(())
    }

    /// True when every sentence of the claim occurs word for word in a cited paragraph, or in a
    /// run of consecutive cited paragraphs read across their breaks. Markup and whitespace are
    /// ignored on both sides (feeds break lines and add "**" anywhere; neither changes a word).
    fn quotes_verbatim(&mut self, claim: &str, citations: &[usize]) -> bool {
        let doc = self.doc;
        let mut sorted: Vec<usize> = citations.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        // Each maximal run of consecutive citations, read as one text.
        let mut sources: Vec<String> = Vec::new();
        let mut run = String::new();
        for (k, &c) in sorted.iter().enumerate() {
            if k > 0 && c != sorted[k - 1] + 1 {
                sources.push(std::mem::take(&mut run));
            }
            run.extend(doc.paragraphs[c - 1].chars().filter(|&ch| !ignorable(ch)));
        }
        sources.push(run);
        let pieces = crate::digest::sentences::split_paragraph(claim);
        !pieces.is_empty()
            && pieces.iter().all(|(_, piece)| {
                let piece: String = piece.chars().filter(|&ch| !ignorable(ch)).collect();
                sources.iter().any(|src| src.contains(&piece))
            })
    }

    /// Share of the claim's content terms (distinct, rare enough to carry meaning) that occur
    /// in the cited paragraphs; `None` when the claim has too few for the share to mean
    /// anything.
    fn wording_support(&mut self, claim: &str, citations: &[usize]) -> Option<f32> {
        let mut content: Vec<u64> = Vec::new();
        for_each_term(claim, |id, _| {
            if idf(id) >= CONTENT_IDF && !content.contains(&id) {
                content.push(id);
            }
        });
        if content.len() < MIN_TERMS_FOR_WORDING {
            return None;
        }
        let mut found = vec![false; content.len()];
        for &c in citations {
            let terms = self.terms(c);
            for (k, id) in content.iter().enumerate() {
                found[k] = found[k] || terms.contains_key(id);
            }
        }
        Some(found.iter().filter(|f| **f).count() as f32 / content.len() as f32)
    }
}

/// Characters that never change what a quotation says: whitespace and markdown emphasis.
fn ignorable(c: char) -> bool {
    c.is_whitespace() || c == '*' || c == '\u{200b}'
}

/// "[3][5]".
fn markers(c: &[usize]) -> String {
    c.iter().map(|n| format!("[{n}]")).collect()
}

/// The claim of a bullet without what is not a claim: citation markers ("[3]", "【3】",
/// "[3][5]", "[3, 5]") and list numbering at its start ("1.", "2)", "一、", "(3)", "- ").
pub fn claim_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        let (open, close) = if rest.starts_with('[') {
            ('[', ']')
        } else if rest.starts_with('【') {
            ('【', '】')
        } else {
            let c = rest.chars().next().unwrap_or(' ');
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let inner_start = open.len_utf8();
        match rest[inner_start..].find(close) {
            Some(end) if is_citation_list(&rest[inner_start..inner_start + end]) => {
                rest = &rest[inner_start + end + close.len_utf8()..];
            }
            _ => {
                out.push(open);
                rest = &rest[inner_start..];
            }
        }
    }
    strip_numbering(out.trim()).trim().to_string()
}

fn is_citation_list(inner: &str) -> bool {
    !inner.trim().is_empty()
        && inner
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '，' | ' ' | '-' | '–' | '、'))
        && inner.chars().any(|c| c.is_ascii_digit())
}

fn strip_numbering(s: &str) -> &str {
    let s = s.trim_start_matches(['-', '•', '·', '*', ' ']);
    // Arabic: "1.", "1)", "1、", "(1)", "（1）".
    let inner = s
        .strip_prefix('(')
        .or_else(|| s.strip_prefix('（'))
        .unwrap_or(s);
    let digits = inner.chars().take_while(|c| c.is_ascii_digit()).count();
    if (1..=2).contains(&digits) {
        let after = &inner[digits..];
        for sep in [".", ")", "、", "）", "．"] {
            if let Some(rest) = after.strip_prefix(sep) {
                // "1.5亿" is a number, not numbering.
                if sep == "." && rest.starts_with(|c: char| c.is_ascii_digit()) {
                    break;
                }
                return rest;
            }
        }
    }
    // Chinese: "一、", "（二）".
    let cn = inner
        .chars()
        .take_while(|c| "一二三四五六七八九十".contains(*c))
        .count();
    if (1..=2).contains(&cn) {
        let after = &inner[cn * 3..];
        for sep in ["、", "）", ")"] {
            if let Some(rest) = after.strip_prefix(sep) {
                return rest;
            }
        }
    }
    s
}

/// Removes sections without bullets, except a level-1 heading that introduces level-2
/// sections which still have some ("Summary by Sections"); renumbers "Group n" headings.
fn remove_empty_sections(digest: &mut Digest) {
    digest
        .sections
        .retain(|s| !(s.level >= 2 && s.bullets.is_empty()));
    let keep: Vec<bool> = (0..digest.sections.len())
        .map(|i| {
            let s = &digest.sections[i];
            !s.bullets.is_empty()
                || digest
                    .sections
                    .get(i + 1)
                    .is_some_and(|next| next.level >= 2)
        })
        .collect();
    let mut k = keep.into_iter();
    digest.sections.retain(|_| k.next().unwrap_or(false));
    let mut group = 0;
    for s in digest.sections.iter_mut() {
        if let Some(rest) = s.heading.strip_prefix("Group ") {
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                group += 1;
                s.heading = format!("Group {group}{}", &rest[digits..]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::{Bullet, Section};

    fn doc(lang: Lang, paragraphs: &[&str]) -> Document {
        Document {
            id: "t".into(),
            title: "标题".into(),
            source: "test".into(),
            published_at: None,
            published_precision: None,
            url: None,
            lang,
            paragraphs: paragraphs.iter().map(|s| s.to_string()).collect(),
            meta: serde_json::Value::Null,
        }
    }

    /// (heading, level, [(bullet text, citations)])
    type SectionSpec<'a> = (&'a str, u8, Vec<(&'a str, Vec<usize>)>);

    fn digest(lang: Lang, sections: Vec<SectionSpec<'_>>) -> Digest {
        Digest {
            kind: DocKind::News,
            lang,
            summarizer: "test".into(),
            sections: sections
                .into_iter()
                .map(|(h, level, bullets)| Section {
                    heading: h.into(),
                    level,
                    bullets: bullets
                        .into_iter()
                        .map(|(t, c)| Bullet {
                            text: t.into(),
                            citations: c,
                            verified: None,
                        })
                        .collect(),
                })
                .collect(),
            excerpt: None,
            verification: None,
        }
    }

    fn rare_earth_doc() -> Document {
        doc(
            Lang::Zh,
            &[
                "2025年7月，一组数据显示，5个月内有3,834吨中国稀土氧化物经泰国和墨西哥的“灰色渠道”进入美国。",
                "福特芝加哥工厂因钕铁硼磁体短缺停产，每日损失高达2200万美元。",
                "氧化镨钕价格突破每吨98万元，特斯拉电池成本上升35%。",
            ],
        )
    }

    #[test]
    fn claim_text_strips_markers_and_numbering() {
        assert_eq!(claim_text("1. 稀土价格上涨35% [3][5]"), "稀土价格上涨35%");
        assert_eq!(claim_text("（二）出口3,834吨【2】"), "出口3,834吨");
        assert_eq!(claim_text("1.5亿元的订单 [3, 4]"), "1.5亿元的订单");
        assert_eq!(
            claim_text("- Prices rose [see note] 5% [12]"),
            "Prices rose [see note] 5%"
        );
    }

    #[test]
    fn citation_to_a_missing_paragraph_fails() {
        let d = rare_earth_doc();
        let err = check_bullet("福特工厂停产 [14]", &[14], &d, true).unwrap_err();
        assert_eq!(
            err,
            "cites [14] but the document has 3 paragraphs (numbered from 1)"
        );
        let err = check_bullet("福特工厂停产", &[0, 2], &d, true).unwrap_err();
        assert!(err.starts_with("cites [0]"), "{err}");
        assert_eq!(
            check_bullet("福特工厂停产", &[], &d, true).unwrap_err(),
            "no citation: every bullet must cite at least one paragraph"
        );
    }

    #[test]
    fn same_wording_with_the_wrong_citation_fails() {
        let d = rare_earth_doc();
        let bullet = "福特芝加哥工厂因钕铁硼磁体短缺停产";
        assert!(check_bullet(bullet, &[2], &d, true).is_ok());
        let err = check_bullet(bullet, &[3], &d, true).unwrap_err();
        assert!(err.starts_with("shares only "), "{err}");
        // Across languages wording cannot be compared; numbers still are.
        assert!(
            check_bullet(
                "Ford's Chicago plant halted production for lack of magnets",
                &[3],
                &d,
                false
            )
            .is_ok()
        );
    }

    #[test]
    fn verification_report_drop_policy() {
        let d = rare_earth_doc();
        let mut g = digest(
            Lang::Zh,
            vec![
                (
                    "Core Viewpoint",
                    1,
                    vec![(
                        "5个月内有3,834吨中国稀土氧化物经泰国和墨西哥进入美国。",
                        vec![1],
                    )],
                ),
                (
                    "Group 1: 福特 停产",
                    1,
                    vec![
                        // Fabricated figure: the text says 2200万美元 a day.
                        (
                            "福特芝加哥工厂因钕铁硼磁体短缺停产，每日损失高达3500万美元。",
                            vec![2],
                        ),
                        ("福特芝加哥工厂因钕铁硼磁体短缺停产。", vec![9]),
                    ],
                ),
                (
                    "Group 2: 氧化镨钕 价格",
                    1,
                    vec![(
                        "氧化镨钕价格突破每吨98万元，特斯拉电池成本上升35%。",
                        vec![3],
                    )],
                ),
                ("Summary by Sections", 1, vec![]),
                ("空的小节", 2, vec![("每日损失高达2200万美元。", vec![])]),
            ],
        );
        verify(&mut g, &d, VerifyPolicy::Drop);
        insta::assert_json_snapshot!("verification_drop", g);
    }

    #[test]
    fn mark_policy_keeps_failures_visibly() {
        let d = rare_earth_doc();
        let mut g = digest(
            Lang::Zh,
            vec![(
                "Core Viewpoint",
                1,
                vec![
                    ("每日损失高达3500万美元。", vec![2]),
                    ("每日损失高达2200万美元。", vec![2]),
                ],
            )],
        );
        verify(&mut g, &d, VerifyPolicy::Mark);
        let v = g.verification.as_ref().map(|v| {
            (
                v.bullets_checked,
                v.bullets_kept,
                v.bullets_dropped,
                v.bullets_unverified,
            )
        });
        assert_eq!(v, Some((2, 2, 0, 1)));
        assert_eq!(g.sections[0].bullets[0].verified, Some(false));
        assert_eq!(g.sections[0].bullets[1].verified, Some(true));
        assert!(
            crate::digest::render::render_terminal(&g)
                .contains("每日损失高达3500万美元。 [2] (unverified)")
        );
    }

    #[test]
    fn nothing_left_becomes_an_excerpt() {
        let d = rare_earth_doc();
        let mut g = digest(
            Lang::Zh,
            vec![("Core Viewpoint", 1, vec![("损失高达9亿美元。", vec![2])])],
        );
        verify(&mut g, &d, VerifyPolicy::Drop);
        assert_eq!(g.kind, DocKind::Excerpt);
        assert!(g.sections.is_empty());
        assert!(
            g.excerpt
                .as_deref()
                .is_some_and(|e| e.starts_with("2025年7月"))
        );
        assert_eq!(g.verification.map(|v| v.bullets_dropped), Some(1));
    }

    #[test]
    fn unit_normalized_numbers_match_across_languages() {
        let d = rare_earth_doc();
        let en = |text: &str, cites: Vec<usize>| check_bullet(text, &cites, &d, false);
        assert_eq!(
            en(
                "In five months 3,834 tons of Chinese rare earth oxides entered the U.S. [1]",
                vec![1]
            ),
            Ok(())
        );
        assert_eq!(en("Ford lost up to $22 million a day [2]", vec![2]), Ok(()));
        assert_eq!(en("Tesla's battery costs rose 35% [3]", vec![3]), Ok(()));
        let err = en("Tesla's battery costs rose 53% [3]", vec![3]).unwrap_err();
        assert_eq!(err, "number \"53%\" not found in [3]");
        let err = en("Ford lost up to $22 million a day", vec![3]).unwrap_err();
        assert!(err.contains("not found in [3]"), "{err}");
    }

    #[test]
    fn a_figure_broken_across_cited_paragraphs_is_found() {
        let d = doc(
            Lang::Zh,
            &[
                "Solar Roof V3 是特斯拉于 2019 年 10",
                "月推出的首款大规模量产的光伏屋顶产品。",
            ],
        );
        let bullet = "Solar Roof V3 是特斯拉于 2019 年 10月推出的首款大规模量产的光伏屋顶产品。";
        assert_eq!(check_bullet(bullet, &[1, 2], &d, true), Ok(()));
        assert!(check_bullet(bullet, &[1], &d, true).is_err());
    }

    /// An LLM bullet that fuses two paragraphs of a real article (qq-34356 [4] and [5], the
    /// bundled sample): each number may come from any cited paragraph, and the wording is
    /// measured against all of them together — but a number cited to the wrong paragraph fails.
    #[test]
    fn a_bullet_fusing_several_real_paragraphs_takes_numbers_from_any_of_them() {
        let d = doc(
            Lang::Zh,
            &[
                "据欧洲新闻台网站报道，上述法案为欧洲国家在国内开采矿产等关键原材料“开了绿灯”，并推进绿色技术发展。该法案共列出34种关键原材料，其中17种被认为是“战略性原材料”，包括稀土、锂、镍、钴和硅等。法案设定的目标称，在2030年前，欧盟每年原材料消耗量的10%应来自境内开采，40%在欧盟加工，25%来自回收再利用。而针对战略性原材料，法案要求来自单一第三国的供应量不能超过65%。",
                "《关键原材料法案》于去年3月由欧盟委员会正式提出，去年12月由欧洲议会通过。法国媒体认为，“如今该法案已闯过最后一关，以欧盟一般法案进度而言算是非常快速”。欧洲动态网称，《关键原材料法案》旨在减少欧盟对第三国的依赖，特别是中国，因为中国在许多相关原材料的供应链上都有话语权。目前中国供应欧盟98%用量的稀土、97%的锂、93%的镁，这些都是半导体、锂电池、太阳能和风力发电等产业的关键原材料。",
            ],
        );
        let en = "The act caps supply of strategic raw materials from any single third country at 65%, while China now supplies 98% of the EU's rare earths";
        assert_eq!(check_bullet(en, &[1, 2], &d, false), Ok(()));
        assert_eq!(check_bullet(en, &[1], &d, false), Err("number \"98%\" not found in [1]".to_string()));
        assert_eq!(check_bullet(en, &[2], &d, false), Err("number \"65%\" not found in [2]".to_string()));
        let zh = "法案要求来自单一第三国的战略性原材料供应量不能超过65%，而目前中国供应欧盟98%用量的稀土";
        assert_eq!(check_bullet(zh, &[1, 2], &d, true), Ok(()));
        assert!(check_bullet(zh, &[2], &d, true).is_err());
    }

    #[test]
    fn verbatim_quotes_pass_whatever_their_numbers() {
        let d = doc(
            Lang::Zh,
            &[
                "截至2022年12月31日，红星美凯龙总股本4,354,732673股，包括A股3,613,447,039股。红星控股直接持有60.12%。",
                "**特斯拉储能业务** 充分融合了电池技术。",
            ],
        );
        assert_eq!(
            check_bullet("红星控股直接持有60.12%。", &[1], &d, true),
            Ok(())
        );
        assert_eq!(
            check_bullet(
                "截至2022年12月31日，红星美凯龙总股本4,354,732673股，包括A股3,613,447,039股。",
                &[1],
                &d,
                true
            ),
            Ok(())
        );
        assert_eq!(
            check_bullet("特斯拉储能业务充分融合了电池技术。", &[2], &d, true),
            Ok(())
        );
        // Quoting the right words from the wrong paragraph is no quote.
        assert!(check_bullet("红星控股直接持有60.12%。", &[2], &d, true).is_err());
        assert!(check_bullet("红星控股直接持有61.12%。", &[1], &d, true).is_err());
        // A sentence running over three paragraphs.
        let d = doc(
            Lang::Zh,
            &[
                "恒大汽车称认购方已同意认购股份（即6,177,",
                "106,404股），占已发行股份总数约",
                "27.50%。",
            ],
        );
        assert_eq!(
            check_bullet(
                "恒大汽车称认购方已同意认购股份（即6,177,106,404股），占已发行股份总数约27.50%。",
                &[1, 2, 3],
                &d,
                true
            ),
            Ok(())
        );
    }
}
