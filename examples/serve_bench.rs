//! How fast does `dossier serve` answer searches under load?
//!
//! A closed-loop load client: N concurrent clients (default 64), each sending
//! `GET /api/search?q=<query>` back to back over keep-alive connections for a fixed time,
//! cycling through the queries of a file (default ../shared/bench/queries.txt, one a line).
//! Prints requests/s, latency percentiles and errors (any non-200 or transport failure).
//!
//!     dossier --data-dir /tmp/qq ingest ../shared/corpus/qqnews.jsonl.gz
//!     dossier --data-dir /tmp/qq serve &
//!     cargo run --release --example serve_bench -- [--url http://127.0.0.1:7700] \
//!         [--clients 64] [--seconds 30] [--queries ../shared/bench/queries.txt] [--params 'limit=10']

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

struct Options {
    url: String,
    clients: usize,
    seconds: u64,
    queries: String,
    params: String,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        url: "http://127.0.0.1:7700".into(),
        clients: 64,
        seconds: 30,
        queries: concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench/queries.txt").into(),
        params: String::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => o.url = value()?,
            "--clients" => o.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--queries" => o.queries = value()?,
            "--params" => o.params = value()?,
            other => {
                return Err(format!(
                    "unknown option {other}; see the header of examples/serve_bench.rs"
                ));
            }
        }
    }
    Ok(o)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options()?;
    let text = std::fs::read_to_string(&o.queries).map_err(|e| format!("{}: {e}", o.queries))?;
    let urls: Arc<Vec<String>> = Arc::new(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|q| {
                let extra = if o.params.is_empty() {
                    String::new()
                } else {
                    format!("&{}", o.params)
                };
                format!("{}/api/search?q={}{extra}", o.url.trim_end_matches('/'), encode(q))
            })
            .collect(),
    );
    if urls.is_empty() {
        return Err(format!("{} has no queries", o.queries).into());
    }
    let client = reqwest::Client::builder().pool_max_idle_per_host(o.clients).build()?;
    // Warm up: each query once (first-touch of index pages), not measured.
    for u in urls.iter() {
        let r = client.get(u).send().await?;
        if !r.status().is_success() {
            return Err(format!("{u}: {}", r.status()).into());
        }
        r.bytes().await?;
    }
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..o.clients {
        let (client, urls, stop) = (client.clone(), urls.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let url = &urls[i % urls.len()];
                i += 1;
                let t = Instant::now();
                let ok = match client.get(url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    latencies.push(t.elapsed().as_micros() as u64);
                } else {
                    errors += 1;
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        all.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    println!(
        "{} clients, {:.1} s, {} queries: {} requests, {:.0} req/s, p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms, errors {}",
        o.clients,
        elapsed,
        urls.len(),
        all.len(),
        all.len() as f64 / elapsed,
        percentile(&all, 0.50),
        percentile(&all, 0.90),
        percentile(&all, 0.99),
        percentile(&all, 1.0),
        errors
    );
    Ok(())
}
