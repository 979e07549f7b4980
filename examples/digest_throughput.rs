//! How many documents a second does the extractive digest handle on one thread?
//!
//! Reads a corpus file (default ../shared/corpus/qqnews.jsonl.gz), loads every document into
//! memory first (parsing is not what is measured), then digests all of them three times on one
//! thread — kind detection, extractive summary and verification, exactly what
//! `Summarizer::summarize` does — and prints the median documents per second, plus the time
//! spent in verification alone and what the digests looked like (kinds, bullets, drops).
//!
//!     cargo run --release --example digest_throughput [-- path/to/corpus.jsonl.gz [limit]]

use std::io::BufRead;
use std::time::Instant;

use dossier::digest::{
    DigestRequest, DocKind, ExtractiveSummarizer, Summarizer, VerifyPolicy, detect_kind, verify,
};
use dossier::{Document, Lang};

/// One corpus line, as the shared corpora write it (dates may be day-only, so they stay text).
#[derive(serde::Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    url: Option<String>,
    lang: String,
    paragraphs: Vec<String>,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/qqnews.jsonl.gz"
        )
        .to_string()
    });
    let limit: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(usize::MAX);

    let file = std::fs::File::open(&path).map_err(|e| format!("{path}: {e}"))?;
    let reader = std::io::BufReader::new(flate2::read::GzDecoder::new(file));
    let mut docs = Vec::new();
    for line in reader.lines().take(limit) {
        let line = line?;
        let r: Record = serde_json::from_str(&line)?;
        if r.paragraphs.iter().all(|p| p.trim().is_empty()) {
            continue;
        }
        let title = if r.title.trim().is_empty() {
            Document::first_sentence(&r.paragraphs)
        } else {
            r.title
        };
        docs.push(Document {
            id: r.id,
            title,
            source: r.source,
            published_at: None,
            published_precision: None,
            url: r.url,
            lang: Lang::parse(&r.lang).unwrap_or(Lang::Zh),
            paragraphs: r.paragraphs,
            meta: serde_json::Value::Null,
        });
    }
    let bytes: usize = docs.iter().map(|d| d.text_len()).sum();
    println!(
        "{path}: {} documents, {:.1} MB of text",
        docs.len(),
        bytes as f64 / 1e6
    );

    let summarizer = Summarizer::Extractive(ExtractiveSummarizer::default());
    let request = DigestRequest::default();
    // Warm-up: loads the segmenter dictionary and the background table once.
    for d in docs.iter().take(50) {
        summarizer.summarize(d, &request)?;
    }

    let mut rates = Vec::new();
    let (mut bullets, mut dropped) = (0usize, 0usize);
    let mut kinds = [0usize; 4];
    // Documents long enough to digest (not excerpts), timed on their own too: a third of a
    // news feed is two-line flashes that only become excerpts, which flatters the overall rate.
    let mut digested_rates = Vec::new();
    for run in 1..=3 {
        let start = Instant::now();
        let (mut digested, mut digested_secs) = (0usize, 0.0f64);
        for d in &docs {
            let one = Instant::now();
            let digest = summarizer.summarize(d, &request)?;
            if digest.kind != DocKind::Excerpt {
                digested += 1;
                digested_secs += one.elapsed().as_secs_f64();
            }
            if run == 1 {
                let v = digest.verification.unwrap_or_default();
                bullets += v.bullets_kept;
                dropped += v.bullets_dropped;
                kinds[match digest.kind {
                    DocKind::News => 0,
                    DocKind::Research => 1,
                    DocKind::Roundup => 2,
                    DocKind::Excerpt => 3,
                }] += 1;
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let rate = docs.len() as f64 / secs;
        let digested_rate = digested as f64 / digested_secs;
        println!(
            "run {run}: {secs:.2} s, {rate:.0} docs/s; digested documents alone {digested_rate:.0} docs/s"
        );
        rates.push(rate);
        digested_rates.push(digested_rate);
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    digested_rates.sort_by(|a, b| a.total_cmp(b));
    println!(
        "median: {:.0} docs/s (single thread, summarize + verify); {:.0} docs/s over documents that get a digest",
        rates[1], digested_rates[1]
    );

    // Verification alone, on the digests the summarizer made.
    let extractive = ExtractiveSummarizer::default();
    let digests: Vec<_> = docs
        .iter()
        .map(|d| extractive.summarize(d, detect_kind(d), None))
        .collect();
    let start = Instant::now();
    for (d, mut g) in docs.iter().zip(digests) {
        verify(&mut g, d, VerifyPolicy::Drop);
    }
    println!(
        "verification alone: {:.0} docs/s",
        docs.len() as f64 / start.elapsed().as_secs_f64()
    );
    println!(
        "digests: {} news, {} research, {} roundup, {} excerpt; {bullets} bullets kept, {dropped} dropped",
        kinds[0], kinds[1], kinds[2], kinds[3]
    );
    Ok(())
}
