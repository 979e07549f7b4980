//! How well does story detection tell copies from same-topic articles? Precision and recall of
//! "same story" (a candidate — an LSH band or two anchors in common — then confirmed by `stories::same_story` on stored samples) on the labelled pairs
//! that scripts/make-story-pairs.py writes to target/story-pairs.jsonl.gz, per kind of pair, and
//! at a range of overlap thresholds (to tune `SAME_STORY_OVERLAP`).
//!
//!     python3 scripts/make-story-pairs.py
//!     cargo run --release --example story_pairs [-- FILE]

use std::io::Read;

use dossier::Document;
use dossier::stories::{Sketch, bands, sketch};

#[derive(serde::Deserialize)]
struct Pair {
    label: String,
    kind: String,
    /// For real copies: the share of the longer text the pair shares too (the labelling measure).
    #[serde(default)]
    coverage_both: Option<f64>,
    a: serde_json::Value,
    b: serde_json::Value,
}

/// A corpus record as a document (day-only dates do not deserialize into `Document`; dates do
/// not matter here).
fn from_json(v: &serde_json::Value) -> Document {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Document {
        id: s("id"),
        title: s("title"),
        source: s("source"),
        published_at: None,
        published_precision: None,
        url: None,
        lang: dossier::Lang::parse(&s("lang")).unwrap_or(dossier::Lang::Zh),
        paragraphs: v["paragraphs"]
            .as_array()
            .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_string)).collect())
            .unwrap_or_default(),
        meta: serde_json::Value::Null,
    }
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "target/story-pairs.jsonl.gz".into());
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path)?).read_to_string(&mut text)?;
    let pairs: Vec<Pair> = text.lines().map(serde_json::from_str).collect::<Result<_, _>>()?;
    // (kind, label, candidate, shared, ratio, decided)
    let show = std::env::var("SHOW").is_ok();
    let scored: Vec<(String, bool, bool, f64, f64, bool)> = pairs
        .iter()
        .map(|p| {
            let (da, db) = (from_json(&p.a), from_json(&p.b));
            let (a, b) = (Sketch::of(&da), Sketch::of(&db));
            let cand = a.is_usable() && b.is_usable() && bands::are_candidates(&a, &b);
            let (sa, sb) = (sketch::shingles(&da), sketch::shingles(&db));
            let (mut sa, mut sb) = (sa, sb);
            sa.sort_unstable();
            sb.sort_unstable();
            let (shared, ratio) = sketch::overlap(&sa, &sb);
            let decided = cand && dossier::stories::same_story(&a, &b);
            if show && p.label == "same" && !decided && p.kind == "real" {
                println!(
                    "MISS shared {shared:.2} ratio {ratio:.2} shingles {}/{} | {} {} | {} {}",
                    sa.len(), sb.len(),
                    p.a["id"].as_str().unwrap_or(""), p.a["title"].as_str().unwrap_or(""),
                    p.b["id"].as_str().unwrap_or(""), p.b["title"].as_str().unwrap_or(""),
                );
            }
            (p.kind.clone(), p.label == "same", cand, shared, ratio, decided)
        })
        .collect();
    println!("{} pairs from {path}", pairs.len());
    for kind in ["real", "synthetic", "same-topic"] {
        let of: Vec<_> = scored.iter().filter(|s| s.0 == kind).collect();
        let cands = of.iter().filter(|s| s.2).count();
        println!("  {kind}: {} pairs, {} LSH candidates", of.len(), cands);
    }
    println!("threshold  precision  recall  (real recall, synthetic recall)  false merges");
    for t in [0.3, 0.4, 0.5, 0.6, 0.7] {
        let said = |s: &(String, bool, bool, f64, f64, bool)| s.2 && s.3 >= t && s.4 >= dossier::stories::MIN_SIZE_RATIO;
        let tp = scored.iter().filter(|s| s.1 && said(s)).count();
        let fp = scored.iter().filter(|s| !s.1 && said(s)).count();
        let pos = scored.iter().filter(|s| s.1).count();
        let recall_of = |k: &str| {
            let p: Vec<_> = scored.iter().filter(|s| s.1 && s.0 == k).collect();
            p.iter().filter(|s| said(s)).count() as f64 / p.len().max(1) as f64
        };
        println!(
            "  {t:.1}      {:.4}     {:.4}  ({:.4}, {:.4})  {fp}",
            tp as f64 / (tp + fp).max(1) as f64,
            tp as f64 / pos.max(1) as f64,
            recall_of("real"),
            recall_of("synthetic"),
        );
    }
    // What ingest decides: stored samples, the short-text rule, at least MIN_SHINGLES each.
    let tp = scored.iter().filter(|s| s.1 && s.5).count();
    let fp = scored.iter().filter(|s| !s.1 && s.5).count();
    let pos = scored.iter().filter(|s| s.1).count();
    let recall_of = |k: &str| {
        let p: Vec<_> = scored.iter().filter(|s| s.1 && s.0 == k).collect();
        p.iter().filter(|s| s.5).count() as f64 / p.len().max(1) as f64
    };
    println!(
        "as decided (stories::same_story): precision {:.4}, recall {:.4} (real {:.4}, synthetic {:.4}), {fp} false merges",
        tp as f64 / (tp + fp).max(1) as f64,
        tp as f64 / pos.max(1) as f64,
        recall_of("real"),
        recall_of("synthetic"),
    );
    // "Pairs that share >= 60 % of their text" read strictly: of both texts.
    let both: Vec<usize> = pairs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.label == "same" && p.coverage_both.is_none_or(|c| c >= 0.6))
        .map(|(i, _)| i)
        .collect();
    let found = both.iter().filter(|&&i| scored[i].5).count();
    println!(
        "recall on copies sharing >= 60 % of both texts: {:.4} ({found} of {})",
        found as f64 / both.len().max(1) as f64,
        both.len()
    );
    // Why real copies are missed: not usable (too little body text), size ratio, overlap.
    let missed: Vec<_> = scored.iter().filter(|s| s.1 && s.0 == "real" && !s.5).collect();
    let small = missed.iter().filter(|s| s.4 < dossier::stories::MIN_SIZE_RATIO).count();
    let low = missed.iter().filter(|s| s.4 >= dossier::stories::MIN_SIZE_RATIO && s.3 < 0.5).count();
    let nocand = missed.iter().filter(|s| !s.2).count();
    println!("missed real copies: {} (size ratio < 0.2: {small}; overlap < 0.5: {low}; not candidates: {nocand})", missed.len());
    let mut buckets = [0usize; 10];
    for s in &missed {
        buckets[((s.3 * 10.0) as usize).min(9)] += 1;
    }
    println!("  their overlap (exact, smaller's share) by tenths: {buckets:?}");
    let _ = sketch::BANDS;
    Ok(())
}
