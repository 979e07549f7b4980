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
    let clock = Clock::start();
    let words: usize = texts.iter().map(|text| jieba.cut(text, false).len()).sum();
    report("jieba cut alone", bytes, words as u64, clock);

    for (name, mut segmenter) in [("index mode", index), ("query mode", ChineseSegmenter::for_query())] {
        let clock = Clock::start();
        let mut tokens = 0u64;
        for text in &texts {
            let mut stream = segmenter.token_stream(text);
            while stream.advance() {
                tokens += 1;
            }
        }
        report(name, bytes, tokens, clock);
    }
    Ok(())
}

/// Wall time and, on Linux, this thread's CPU time: on a shared machine the CPU time is the
/// stable measure of single-threaded cost.
#[derive(Clone, Copy)]
struct Clock {
    wall: Instant,
    cpu_ns: Option<u64>,
}

impl Clock {
    fn start() -> Clock {
        Clock { wall: Instant::now(), cpu_ns: thread_cpu_ns() }
    }
}

/// Nanoseconds this thread has run on a CPU (first field of /proc/thread-self/schedstat).
fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

fn report(name: &str, bytes: usize, tokens: u64, clock: Clock) {
    let wall = clock.wall.elapsed().as_secs_f64();
    let mb = bytes as f64 / 1e6;
    let mut line = format!("{name}: wall {wall:.2} s = {:.1} MB/s", mb / wall);
    if let (Some(start), Some(end)) = (clock.cpu_ns, thread_cpu_ns()) {
        let cpu = (end - start) as f64 / 1e9;
        line += &format!(
            "; cpu {cpu:.2} s = {:.1} MB/s, {:.2} M tokens/s",
            mb / cpu,
            tokens as f64 / 1e6 / cpu
        );
    }
    println!("{line} ({tokens} tokens)");
}
