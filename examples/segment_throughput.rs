//! segment_throughput: how fast does the index-mode segmenter cut real Chinese news?
//!
//! Reads a corpus file (gzip JSONL, default ../shared/corpus/qqnews.jsonl.gz), loads every
//! title and body (paragraphs joined by newlines, as the index sees them) into memory, then
//! times tokenizing all of them single-threaded: jieba's own cut as a baseline under the
//! same machine load, then the segmenter in index mode and in query mode.
//!
//! Run: `cargo run --release --example segment_throughput [-- path/to/file.jsonl.gz]`

use std::io::BufRead;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use dossier::segment::ChineseSegmenter;
use tantivy::tokenizer::{TokenStream, Tokenizer};

#[derive(serde::Deserialize)]
struct Record {
    #[serde(default)]
    title: String,
    #[serde(default)]
    paragraphs: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let path = std::env::args().nth(1).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/qqnews.jsonl.gz")
    });
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mut texts = Vec::new();
    for (index, line) in std::io::BufReader::new(flate2::read::GzDecoder::new(file)).lines().enumerate() {
        let line = line.with_context(|| format!("{}:{}: reading", path.display(), index + 1))?;
        let record: Record =
            serde_json::from_str(&line).with_context(|| format!("{}:{}: not a record", path.display(), index + 1))?;
        texts.push(record.title);
        texts.push(record.paragraphs.join("\n"));
    }
    let bytes: usize = texts.iter().map(String::len).sum();
    println!("{}: {} texts, {:.1} MB", path.display(), texts.len(), bytes as f64 / 1e6);

    let started = Instant::now();
    // The first segmenter loads the shared dictionary; the timed ones reuse it.
    let index = ChineseSegmenter::for_index();
    println!("dictionary load: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);

    // Baseline under the same machine load: jieba's own cut (default dictionary, no HMM).
    let jieba = jieba_rs::Jieba::new();
    let started = Instant::now();
    let words: usize = texts.iter().map(|text| jieba.cut(text, false).len()).sum();
    let seconds = started.elapsed().as_secs_f64();
    println!("jieba cut alone: {seconds:.2} s, {:.1} MB/s ({words} words incl. punctuation)", bytes as f64 / 1e6 / seconds);

    for (name, mut segmenter) in [("index", index), ("query", ChineseSegmenter::for_query())] {
        let started = Instant::now();
        let mut tokens = 0u64;
        for text in &texts {
            let mut stream = segmenter.token_stream(text);
            while stream.advance() {
                tokens += 1;
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{name} mode: {:.2} s, {:.1} MB/s, {:.2} M tokens/s ({} tokens)",
            seconds,
            bytes as f64 / 1e6 / seconds,
            tokens as f64 / 1e6 / seconds,
            tokens
        );
    }
    Ok(())
}
