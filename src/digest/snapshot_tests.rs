//! Snapshot tests of whole digests of real documents (tests/fixtures/digest/, taken from the
//! shared corpora): what the extractive summarizer makes of each kind of document, after
//! verification, as a reader sees it.

use std::path::PathBuf;

use crate::digest::{
    DigestRequest, DocKind, ExtractiveSummarizer, Summarizer, detect_kind, render_terminal,
};
use crate::document::Document;

fn fixture(name: &str) -> Document {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/digest")
        .join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn digest_text(name: &str, expected_kind: DocKind, query: Option<&str>) -> String {
    let doc = fixture(name);
    assert_eq!(detect_kind(&doc), expected_kind, "kind of {name}");
    let s = Summarizer::Extractive(ExtractiveSummarizer::default());
    let req = DigestRequest {
        query: query.map(str::to_string),
        ..DigestRequest::default()
    };
    let d = s
        .summarize(&doc, &req)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let v = d.verification.clone().unwrap_or_default();
    assert_eq!(
        v.bullets_dropped, 0,
        "extractive bullets quote their paragraphs: {:?}",
        v.issues
    );
    format!("{} — {}\n\n{}", doc.id, doc.title, render_terminal(&d))
}

#[test]
fn news_zh_rare_earth_consolidation() {
    insta::assert_snapshot!(digest_text(
        "news_zh_rare_earth_consolidation",
        DocKind::News,
        None
    ));
}

#[test]
fn news_zh_rare_earth_us_trade() {
    insta::assert_snapshot!(digest_text(
        "news_zh_rare_earth_us_trade",
        DocKind::News,
        None
    ));
}

#[test]
fn news_zh_rare_earth_malaysia() {
    insta::assert_snapshot!(digest_text(
        "news_zh_rare_earth_malaysia",
        DocKind::News,
        None
    ));
}

#[test]
fn research_zh_tesla_broker_forecast() {
    insta::assert_snapshot!(digest_text(
        "research_zh_tesla_broker_forecast",
        DocKind::Research,
        None
    ));
}

#[test]
fn research_zh_mengniu_rating() {
    insta::assert_snapshot!(digest_text(
        "research_zh_mengniu_rating",
        DocKind::Research,
        None
    ));
}

#[test]
fn roundup_zh_weekly_events() {
    insta::assert_snapshot!(digest_text(
        "roundup_zh_weekly_events",
        DocKind::Roundup,
        None
    ));
}

#[test]
fn short_zh_malaysia_ban() {
    insta::assert_snapshot!(digest_text("short_zh_malaysia_ban", DocKind::Excerpt, None));
}

#[test]
fn news_en_zambia_copper() {
    insta::assert_snapshot!(digest_text("news_en_zambia_copper", DocKind::News, None));
}

#[test]
fn query_changes_what_is_picked() {
    let without = digest_text("roundup_zh_weekly_events", DocKind::Roundup, None);
    let with = digest_text(
        "roundup_zh_weekly_events",
        DocKind::Roundup,
        Some("俄罗斯 制裁"),
    );
    assert!(!without.contains("制裁"), "{without}");
    assert!(with.contains("制裁"), "{with}");
}

#[test]
fn digests_are_deterministic() {
    let a = digest_text("news_zh_rare_earth_us_trade", DocKind::News, None);
    let b = digest_text("news_zh_rare_earth_us_trade", DocKind::News, None);
    assert_eq!(a, b);
}

#[test]
fn the_caller_can_override_the_kind() {
    let doc = fixture("news_zh_rare_earth_consolidation");
    let s = Summarizer::Extractive(ExtractiveSummarizer::default());
    let as_research = s
        .summarize(
            &doc,
            &DigestRequest {
                kind: Some(DocKind::Research),
                ..DigestRequest::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(as_research.kind, DocKind::Research);
    assert!(
        as_research
            .sections
            .iter()
            .any(|s| s.heading == "Core Insights")
    );
    let as_excerpt = s
        .summarize(
            &doc,
            &DigestRequest {
                kind: Some(DocKind::Excerpt),
                ..DigestRequest::default()
            },
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(as_excerpt.kind, DocKind::Excerpt);
    assert!(
        as_excerpt
            .excerpt
            .as_deref()
            .is_some_and(|e| e.ends_with("...") && e.chars().count() <= 303)
    );
}

#[test]
fn extractive_digests_stay_in_the_source_language() {
    let doc = fixture("news_zh_rare_earth_us_trade");
    let s = Summarizer::Extractive(ExtractiveSummarizer::default());
    let req = DigestRequest {
        lang: Some(crate::digest::OutputLang::English),
        ..DigestRequest::default()
    };
    let d = s.summarize(&doc, &req).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.lang, crate::document::Lang::Zh);
    assert_eq!(d.summarizer, s.name());
}

#[test]
fn json_is_the_serde_form_of_the_digest() {
    let doc = fixture("research_zh_mengniu_rating");
    let s = Summarizer::Extractive(ExtractiveSummarizer::default());
    let d = s
        .summarize(&doc, &DigestRequest::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let json = serde_json::to_string(&d).unwrap_or_default();
    let back: crate::digest::Digest = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(back, d);
    assert!(json.contains("\"heading\":\"Investment Rating\""));
}

/// A feed that split the byline over two paragraphs (`【环球时报报道 记者` / `赵觉珵】欧洲理事会…`):
/// no bullet opens with the byline's tail, and the groups are headed by phrases of the text.
#[test]
fn news_zh_critical_raw_materials_act() {
    let text = digest_text("news_zh_critical_raw_materials_act", DocKind::News, None);
    assert!(!text.contains("- 赵觉珵】"), "{text}");
    insta::assert_snapshot!(text);
}

/// English wire copy: one claim per bullet (at most 45 words), headings that are phrases of
/// the text rather than two names joined by a comma.
#[test]
fn news_en_budget_deficit() {
    let text = digest_text("news_en_budget_deficit", DocKind::News, None);
    for line in text.lines().filter(|l| l.trim_start().starts_with("- ")) {
        let words = line.split(" [").next().unwrap_or(line).split_whitespace().count() - 1;
        assert!(words <= 45, "{words} words: {line}");
    }
    insta::assert_snapshot!(text);
}
