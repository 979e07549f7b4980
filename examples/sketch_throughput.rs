//! sketch_throughput: how much does story detection cost per document before it looks anything
//! up — the body's paragraph layout, the shingles, the MinHash band keys and the stored sample?
//!
//! Reads the first N records of a corpus file (gzip or plain JSONL, default the first 10,000 of
//! ../shared/corpus/qqnews.jsonl.gz), then times, single-threaded and in turn, jieba's own `cut`
//! of the same bodies (the baseline under the same machine load), the layout alone, and the whole
//! sketch (layout + windows + band keys + sample), five passes each, printing the median. It
//! also prints a checksum of every sketch (headline pairs, band keys, sample): a change meant
//! to be faster must leave it unchanged, or stored samples and band keys stop matching; and one
//! of every layout (roles and parts), which digests read too.
//!
//! Run: `cargo run --release --example sketch_throughput [-- FILE [N [once]]]` (`once`: one pass of
//! the sketch only, to count its instructions under `valgrind --tool=callgrind`)

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use dossier::Document;
use dossier::digest::layout::Layout;
use dossier::stories::Sketch;

#[derive(serde::Deserialize)]
struct Record {
    #[serde(default)]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    paragraphs: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/qqnews.jsonl.gz")
    });
    let limit: usize = args.next().map(|n| n.parse()).transpose().context("N must be a number")?.unwrap_or(10_000);
    let file = std::fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let reader: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut docs = Vec::new();
    for (index, line) in std::io::BufReader::new(reader).lines().take(limit).enumerate() {
        let line = line.with_context(|| format!("{}:{}: reading", path.display(), index + 1))?;
        let r: Record =
            serde_json::from_str(&line).with_context(|| format!("{}:{}: not a record", path.display(), index + 1))?;
        docs.push(Document {
            id: r.id,
            title: r.title,
            source: String::new(),
            published_at: None,
            published_precision: None,
            url: None,
            lang: dossier::Lang::parse(&r.lang).unwrap_or(dossier::Lang::Zh),
            paragraphs: r.paragraphs,
            meta: serde_json::Value::Null,
        });
    }
    let bytes: usize = docs.iter().map(|d| d.paragraphs.iter().map(String::len).sum::<usize>()).sum();
    println!("{}: {} documents, {:.1} MB of body text", path.display(), docs.len(), bytes as f64 / 1e6);

    if args.next().as_deref() == Some("once") {
        // One pass of the whole sketch and nothing else, for counting instructions
        // (`valgrind --tool=callgrind`), which repeat exactly where timings do not.
        let n: usize = docs.iter().map(|d| Sketch::of(d).sample.hashes.len()).sum();
        println!("  {n} sampled hashes");
        return Ok(());
    }
    let jieba = jieba_rs::Jieba::new();
    let time = |what: &str, f: &dyn Fn() -> u64| {
        let mut secs: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64()
            })
            .collect();
        secs.sort_by(f64::total_cmp);
        let s = secs[secs.len() / 2];
        println!(
            "  {what:<40} {:>8.1} ms  {:>6.1} MB/s  {:>5.1} µs/doc",
            s * 1e3,
            bytes as f64 / 1e6 / s,
            s * 1e6 / docs.len() as f64
        );
        s
    };
    let base = time("jieba cut (baseline)", &|| {
        docs.iter().flat_map(|d| &d.paragraphs).map(|p| jieba.cut(p, true).len() as u64).sum()
    });
    time("layout (body paragraphs)", &|| docs.iter().map(|d| Layout::of(d).roles.len() as u64).sum());
    let whole = time("sketch (layout + windows + band keys + sample)", &|| {
        docs.iter().map(|d| {
            let s = Sketch::of(d);
            (s.keys.len() + s.sample.hashes.len()) as u64
        }).sum()
    });
    println!("  sketch / jieba cut: {:.3}", whole / base);

    // FNV-1a over every document's headline pairs, band keys and sample.
    let mut sum: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |v: u64| {
        for b in v.to_le_bytes() {
            sum = (sum ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    };
    for d in &docs {
        let s = Sketch::of(d);
        s.headline.iter().for_each(|&h| eat(h));
        s.keys.iter().for_each(|&k| eat(k as u64));
        let sample = &s.sample;
        eat(u64::from(sample.shingles));
        eat(u64::from(sample.level));
        sample.hashes.iter().for_each(|&h| eat(u64::from(h)));
    }
    println!("  checksum {sum:016x}");

    // The same over every document's layout (roles and parts), which digests read too: a
    // faster layout must classify every paragraph as before.
    let mut sum: u64 = 0xcbf2_9ce4_8422_2325;
    for d in &docs {
        let l = Layout::of(d);
        for b in format!("{:?}{:?}{:?}", l.roles, l.parts, l.part_of).bytes() {
            sum = (sum ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    println!("  layout checksum {sum:016x}");
    Ok(())
}
