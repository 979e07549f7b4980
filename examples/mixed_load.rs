//! Do reads keep answering while dossier writes? The issue-7 load: 64 clients mixing API
//! searches, UI search pages and document pages (which make digests) with POST ingests, while a
//! workflow run waits on an LLM that never answers.
//!
//! It starts everything itself on loopback: a "hanging LLM" (accepts connections, never
//! answers), `dossier serve` on a copy-free data directory you prepared, configured with that
//! LLM and a token; then it creates a workflow whose digests use the LLM, starts its run (which
//! hangs), and measures for `--seconds`. Prints p50/p99 per kind of request and the errors.
//!
//!     dossier --data-dir /tmp/qq ingest ../shared/corpus/qqnews.jsonl.gz
//!     cargo build --release
//!     cargo run --release --example mixed_load -- --data-dir /tmp/qq [--bin target/release/dossier] \
//!         [--clients 64] [--seconds 30] [--ingest-every-ms 500] [--port 7793]
//!
//! The data directory gains the ingested test documents (ids `load-…`) and a workflow
//! `load-test`; use a scratch copy if that matters.

use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Options {
    bin: String,
    data_dir: String,
    clients: usize,
    seconds: u64,
    ingest_every_ms: u64,
    port: u16,
    queries: String,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        bin: concat!(env!("CARGO_MANIFEST_DIR"), "/target/release/dossier").into(),
        data_dir: String::new(),
        clients: 64,
        seconds: 30,
        ingest_every_ms: 500,
        port: 7793,
        queries: concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/bench/queries.txt").into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--bin" => o.bin = value()?,
            "--data-dir" => o.data_dir = value()?,
            "--clients" => o.clients = value()?.parse().map_err(|e| format!("--clients: {e}"))?,
            "--seconds" => o.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?,
            "--ingest-every-ms" => o.ingest_every_ms = value()?.parse().map_err(|e| format!("--ingest-every-ms: {e}"))?,
            "--port" => o.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--queries" => o.queries = value()?,
            other => return Err(format!("unknown option {other}; see the header of examples/mixed_load.rs")),
        }
    }
    if o.data_dir.is_empty() {
        return Err("--data-dir DIR (an ingested data directory) is required".into());
    }
    Ok(o)
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

/// An OpenAI-compatible endpoint that accepts every connection, reads the request and never
/// answers: the worst LLM there is. Runs until the process ends.
fn hanging_llm() -> Result<u16, std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in listener.incoming().flatten() {
            let mut c = conn;
            let _ = c.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            held.push(c); // never answered, never closed
        }
    });
    Ok(port)
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    ApiSearch,
    UiSearch,
    UiDocument,
    Health,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let o = options()?;
    let text = std::fs::read_to_string(&o.queries).map_err(|e| format!("{}: {e}", o.queries))?;
    let queries: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
    let llm_port = hanging_llm()?;
    let token = "mixed-load-token";
    let base = format!("http://127.0.0.1:{}", o.port);
    let _server = Server(
        Command::new(&o.bin)
            .args(["--data-dir", &o.data_dir, "serve", "--addr", &format!("127.0.0.1:{}", o.port)])
            .env("DOSSIER_TOKEN", token)
            .env("DOSSIER_LLM_URL", format!("http://127.0.0.1:{llm_port}/v1"))
            .env("DOSSIER_LLM_MODEL", "never-answers")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("starting {}: {e}", o.bin))?,
    );
    // A request unanswered after 10 s counts as an error (and keeps a stuck server from
    // stalling the measurement).
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.clients + 4)
        .timeout(Duration::from_secs(10))
        .build()?;
    let ready = Instant::now();
    loop {
        if client.get(format!("{base}/api/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        if ready.elapsed() > Duration::from_secs(60) {
            return Err("the server did not come up within 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Document ids to visit: the hits of the queries (their pages make digests when missing).
    let mut doc_urls = Vec::new();
    for q in &queries {
        let v: serde_json::Value = client.get(format!("{base}/api/search?q={}&limit=5", encode(q))).send().await?.json().await?;
        for h in v["hits"].as_array().into_iter().flatten() {
            if let Some(id) = h["id"].as_str() {
                doc_urls.push(format!("{base}/documents/{}", encode(id)));
            }
        }
    }
    let api_urls: Vec<String> = queries.iter().map(|q| format!("{base}/api/search?q={}", encode(q))).collect();
    let ui_urls: Vec<String> = queries.iter().map(|q| format!("{base}/?q={}", encode(q))).collect();
    if api_urls.is_empty() || doc_urls.is_empty() {
        return Err("no queries, or the data directory matches none of them".into());
    }

    // A workflow whose digests wait on the hanging LLM, and its run (answered only when the
    // LLM's timeouts and retries run out: long after this measurement).
    let _ = client.delete(format!("{base}/api/workflows/load-test")).bearer_auth(token).send().await;
    let created = client
        .post(format!("{base}/api/workflows"))
        .bearer_auth(token)
        .json(&serde_json::json!({"name": "load-test", "query": queries[0], "summarizer": "llm", "first_run": 50}))
        .send()
        .await?;
    if !created.status().is_success() {
        return Err(format!("creating the workflow: {} {}", created.status(), created.text().await?).into());
    }
    let run = {
        // Its own client, without the 10 s limit: this request is meant to wait.
        let (client, url) = (reqwest::Client::new(), format!("{base}/api/workflows/load-test/run"));
        tokio::spawn(async move { client.post(url).bearer_auth(token).send().await.map(|r| r.status()) })
    };

    let stop = Arc::new(AtomicBool::new(false));
    // The writer: small POST ingests, back to back with a pause.
    let ingests = Arc::new(AtomicU64::new(0));
    let ingest_errors = Arc::new(AtomicU64::new(0));
    let ingest_lat = {
        let (client, stop, n, errs) = (client.clone(), stop.clone(), ingests.clone(), ingest_errors.clone());
        let url = format!("{base}/api/ingest");
        let every = Duration::from_millis(o.ingest_every_ms);
        tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut i = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let body: String = (0..20)
                    .map(|k| {
                        serde_json::json!({
                            "id": format!("load-{}-{i}-{k}", std::process::id()),
                            "title": format!("稀土出口管制 负载测试 {i} {k}"),
                            "source": "负载测试",
                            "published_at": "2024-05-01T08:00:00Z",
                            "paragraphs": [format!("商务部宣布对部分稀土物项实施出口管制。第{i}批第{k}篇。"), "业内人士认为，稀土供应链的安全关系到新能源汽车。"]
                        })
                        .to_string()
                            + "\n"
                    })
                    .collect();
                i += 1;
                let t = Instant::now();
                match client.post(&url).bearer_auth(token).body(body).send().await {
                    Ok(r) if r.status().is_success() => {
                        lat.push(t.elapsed().as_micros() as u64);
                        n.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        errs.fetch_add(1, Ordering::Relaxed);
                    }
                }
                tokio::time::sleep(every).await;
            }
            lat
        })
    };
    let (api_urls, ui_urls, doc_urls) = (Arc::new(api_urls), Arc::new(ui_urls), Arc::new(doc_urls));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..o.clients {
        let (client, stop) = (client.clone(), stop.clone());
        let (api, ui, docs) = (api_urls.clone(), ui_urls.clone(), doc_urls.clone());
        let health = format!("{base}/api/health");
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<(Kind, u64)> = Vec::with_capacity(4096);
            let mut errors = 0u64;
            let mut i = c;
            while !stop.load(Ordering::Relaxed) {
                let (kind, url) = match i % 10 {
                    0..=3 => (Kind::ApiSearch, &api[i % api.len()]),
                    4..=6 => (Kind::UiSearch, &ui[i % ui.len()]),
                    7..=8 => (Kind::UiDocument, &docs[i % docs.len()]),
                    _ => (Kind::Health, &health),
                };
                i += 7;
                let t = Instant::now();
                let ok = match client.get(url).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    lat.push((kind, t.elapsed().as_micros() as u64));
                } else {
                    errors += 1;
                }
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(o.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut by_kind: std::collections::BTreeMap<String, Vec<u64>> = Default::default();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await?;
        for (k, us) in l {
            by_kind.entry(format!("{k:?}")).or_default().push(us);
        }
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut reads: Vec<u64> = by_kind.values().flatten().copied().collect();
    reads.sort_unstable();
    println!(
        "{} clients, {elapsed:.1} s, LLM never answers, a workflow run waiting on it ({}):",
        o.clients,
        if run.is_finished() { "finished early!" } else { "still waiting" }
    );
    for (k, v) in by_kind.iter_mut() {
        v.sort_unstable();
        println!(
            "  {k:<11} {:>7} requests  p50 {:>6.1} ms  p99 {:>6.1} ms  max {:>7.1} ms",
            v.len(),
            percentile(v, 0.5),
            percentile(v, 0.99),
            percentile(v, 1.0)
        );
    }
    println!(
        "  all reads   {:>7} requests  p50 {:>6.1} ms  p99 {:>6.1} ms  ({:.0} req/s), errors {errors}",
        reads.len(),
        percentile(&reads, 0.5),
        percentile(&reads, 0.99),
        reads.len() as f64 / elapsed
    );
    let mut il = ingest_lat.await?;
    il.sort_unstable();
    println!(
        "  POST ingest {:>7} requests  p50 {:>6.1} ms  p99 {:>6.1} ms  (20 documents each), errors {}",
        ingests.load(Ordering::Relaxed),
        percentile(&il, 0.5),
        percentile(&il, 0.99),
        ingest_errors.load(Ordering::Relaxed)
    );
    run.abort();
    Ok(())
}
