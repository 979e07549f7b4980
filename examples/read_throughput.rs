//! How fast does `ingest::read_input` turn a corpus into documents?
//!
//! Reads each given file (default: ../shared/corpus/qqnews.jsonl.gz) three times with
//! `read_input` and reports the median as MB/s of unpacked JSONL and documents/s, plus the
//! time gzip decompression alone takes, and every record that failed (first 10 messages).
//! On a shared machine wall time depends on the neighbours, so CPU time of this process is
//! reported too (Linux: /proc/self/stat).
//!
//!     cargo run --release --example read_throughput [FILE…]

use std::io::Read;
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use dossier::ingest::{Format, Input, ReadOptions, read_input};

fn main() -> anyhow::Result<()> {
    let mut paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        paths.push(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/qqnews.jsonl.gz"),
        );
    }
    let opts = ReadOptions::default();
    for path in paths {
        let bytes = std::fs::metadata(&path)?.len();
        let root = path.parent().map(PathBuf::from).unwrap_or_default();
        let input = Input {
            path: path.clone(),
            format: Format::Jsonl,
            bytes,
            root,
        };

        let started = Instant::now();
        let cpu_started = cpu_time();
        let mut unpacked = 0u64;
        let mut magic = [0u8; 2];
        std::fs::File::open(&path)?.read_exact(&mut magic)?;
        let file = std::io::BufReader::new(std::fs::File::open(&path)?);
        let mut decoder: Box<dyn Read> = if magic == [0x1f, 0x8b] {
            Box::new(flate2::read::MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = decoder.read(&mut buf)?;
            if n == 0 {
                break;
            }
            unpacked += n as u64;
        }
        let gunzip = started.elapsed();
        let gunzip_cpu = cpu_time() - cpu_started;

        let mut runs: Vec<(Duration, f64, u64, Vec<String>)> = Vec::new();
        for _ in 0..3 {
            let started = Instant::now();
            let cpu_started = cpu_time();
            let (mut docs, mut errors) = (0u64, Vec::new());
            read_input(&input, &opts, &mut |record| {
                match record.result {
                    Ok(doc) => {
                        docs += 1;
                        std::hint::black_box(doc);
                    }
                    Err(e) => errors.push(e.to_string()),
                }
                ControlFlow::Continue(())
            })?;
            runs.push((started.elapsed(), cpu_time() - cpu_started, docs, errors));
        }
        runs.sort_by_key(|r| r.0);
        let (median, cpu, docs, errors) = &runs[1];
        let secs = median.as_secs_f64();
        let mb = unpacked as f64 / 1e6;
        println!(
            "{}: {mb:.1} MB unpacked, {docs} docs, {} errors\n  read_input, median of 3: {secs:.2} s wall = {:.0} MB/s, {:.0} docs/s; {cpu:.2} s CPU = {:.0} MB per CPU-second\n  decompression (or plain read) alone: {:.0} MB/s wall, {:.0} MB per CPU-second",
            path.display(),
            errors.len(),
            mb / secs,
            *docs as f64 / secs,
            mb / cpu,
            mb / gunzip.as_secs_f64(),
            mb / gunzip_cpu,
        );
        for e in errors.iter().take(10) {
            println!("  {e}");
        }
    }
    Ok(())
}

/// CPU time used by this process so far, all threads, in seconds (0 where unavailable):
/// utime + stime from /proc/self/stat, in clock ticks of 1/100 s.
fn cpu_time() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
