//! Several dossier processes on one data directory, as an operator runs them: a `dossier serve`
//! taking API writes while cron jobs run `dossier ingest` and `dossier reindex` beside it.
//! Every test starts the real binary as a server process and talks to it over loopback HTTP.

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{dossier, ok, run, sample, stderr, tempdir, write};

const TOKEN: &str = "processes-test-token";

/// A `dossier serve` process, killed when dropped.
struct Server {
    child: Child,
    base: String,
    http: reqwest::blocking::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    l.local_addr().map(|a| a.port()).unwrap_or_else(|e| panic!("addr: {e}"))
}

impl Server {
    fn start(dir: &Path, env: &[(&str, String)]) -> Server {
        let port = free_port();
        let mut cmd = dossier(dir);
        cmd.args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DOSSIER_TOKEN", TOKEN)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap_or_else(|e| panic!("starting serve: {e}"));
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"));
        let server = Server { child, base: format!("http://127.0.0.1:{port}"), http };
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if server.http.get(server.url("/api/health")).send().is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dossier serve did not answer /api/health within 60 s");
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: String, content_type: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .bearer_auth(TOKEN)
            .header("content-type", content_type)
            .body(body)
            .send()
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = r.status().as_u16();
        (status, r.json().unwrap_or(Value::Null))
    }
}

fn doc(id: &str, title: &str, text: &str) -> String {
    json!({
        "id": id,
        "title": title,
        "source": "测试通讯社",
        "published_at": "2024-05-01T08:30:00Z",
        "lang": "zh",
        "paragraphs": [text, "业内人士认为，供应链的安全关系到新能源汽车和风电产业。"],
    })
    .to_string()
        + "\n"
}

fn rare_earth(id: &str) -> String {
    doc(id, &format!("稀土出口管制 {id}"), &format!("商务部宣布对部分稀土物项实施出口管制（{id}）。"))
}

fn ingest_file(dir: &Path, name: &str, lines: &[String]) {
    let f = dir.join(name);
    write(&f, lines.concat());
    ok(dossier(dir).arg("ingest").arg(&f));
}

fn ids(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str().map(String::from))
        .collect();
    out.sort();
    out
}

/// The review's data loss: a server's seq counter, read once at start, collided with a CLI
/// ingest's rows (every POST answered 500 `UNIQUE constraint failed: documents.seq`), and a
/// workflow run then recorded a stale cursor and never collected the documents below it.
#[test]
fn serve_cli_and_api_writers_share_one_truth_and_runs_collect_each_document_once() {
    let dir = tempdir();
    // The made-up articles below differ only in their id: with stories on they would be one
    // story, and this test counts documents.
    write(&dir.path().join("config.toml"), "[ingest]\nstories = false\n");
    let server = Server::start(dir.path(), &[]);
    let (status, body) = server.post(
        "/api/workflows",
        json!({"name": "稀土", "query": "稀土", "first_run": 100}).to_string(),
        "application/json",
    );
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.post("/api/workflows/%E7%A8%80%E5%9C%9F/run", String::new(), "application/json");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["new_documents"], json!([]), "{body}");

    // Writers in turn: CLI, API, CLI, API — each must see what the other committed.
    ingest_file(dir.path(), "a.jsonl", &[rare_earth("cli-a1"), rare_earth("cli-a2"), doc("cli-other", "央行降准", "央行宣布降准0.5个百分点。")]);
    let (status, body) = server.post("/api/ingest", rare_earth("api-b1") + &rare_earth("api-b2"), "application/x-ndjson");
    assert_eq!(status, 200, "API ingest after a CLI ingest: {body}");
    assert_eq!(body["ingested"], 2, "{body}");
    ingest_file(dir.path(), "c.jsonl", &[rare_earth("cli-c1")]);
    let (status, body) = server.post("/api/ingest", rare_earth("api-d1"), "application/x-ndjson");
    assert_eq!(status, 200, "{body}");

    let (status, body) = server.post("/api/workflows/%E7%A8%80%E5%9C%9F/run", String::new(), "application/json");
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        ids(&body["new_documents"]),
        vec!["api-b1", "api-b2", "api-d1", "cli-a1", "cli-a2", "cli-c1"],
        "{body}"
    );
    // Nothing new: nothing collected twice.
    let (_, body) = server.post("/api/workflows/%E7%A8%80%E5%9C%9F/run", String::new(), "application/json");
    assert_eq!(body["new_documents"], json!([]), "{body}");
    // A CLI run of the same workflow beside the server sees the same cursor.
    ingest_file(dir.path(), "e.jsonl", &[rare_earth("cli-e1")]);
    let o = run(dossier(dir.path()).args(["workflow", "run", "稀土", "--format", "json"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let (_, body) = server.post("/api/workflows/%E7%A8%80%E5%9C%9F/run", String::new(), "application/json");
    assert_eq!(body["new_documents"], json!([]), "the CLI run collected cli-e1 already: {body}");
    let (status, page) = server.get("/api/workflows/%E7%A8%80%E5%9C%9F/page?limit=100");
    assert_eq!(status, 200);
    let mut on_page: Vec<String> = page["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["id"].as_str().map(String::from))
        .collect();
    on_page.sort();
    assert_eq!(on_page, vec!["api-b1", "api-b2", "api-d1", "cli-a1", "cli-a2", "cli-c1", "cli-e1"], "{page}");
    // The server's searches see the CLI's documents too.
    let (_, found) = server.get("/api/search?q=%E7%A8%80%E5%9C%9F&limit=100");
    assert_eq!(found["total"], 7, "{found}");
}

/// `reindex` used to delete the live index: a running ingest died (`FileDoesNotExist`) and the
/// server answered every search with `total: 0` for the whole rebuild. Now the rebuild happens
/// aside and is swapped in; writers wait for it or are refused as busy.
#[test]
fn reindex_swaps_in_a_new_index_while_the_server_keeps_answering() {
    let dir = tempdir();
    ok(dossier(dir.path()).arg("ingest").arg(sample()));
    let server = Arc::new(Server::start(dir.path(), &[]));
    let (_, before) = server.get("/api/search?q=%E7%A8%80%E5%9C%9F");
    let expected = before["total"].as_u64().unwrap_or(0);
    assert!(expected > 50, "{before}");

    let stop = Arc::new(AtomicBool::new(false));
    let (asked, wrong) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let load = {
        let (server, stop, asked, wrong) = (server.clone(), stop.clone(), asked.clone(), wrong.clone());
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut first_wrong = None;
            while !stop.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(300) {
                let (status, v) = server.get("/api/search?q=%E7%A8%80%E5%9C%9F");
                asked.fetch_add(1, Ordering::Relaxed);
                if status != 200 || v["total"].as_u64().unwrap_or(0) < expected {
                    wrong.fetch_add(1, Ordering::Relaxed);
                    first_wrong.get_or_insert(format!("{status} {v}"));
                }
            }
            first_wrong
        })
    };
    // An ingest started during the rebuild waits for it, then lands in the new index.
    let extra = dir.path().join("extra.jsonl");
    write(&extra, rare_earth("during-reindex"));
    let mut waiting = dossier(dir.path())
        .arg("ingest")
        .arg(&extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let o = run(dossier(dir.path()).arg("reindex"));
    assert!(o.status.success(), "reindex: {}", stderr(&o));
    let ingest_status = waiting.wait().unwrap_or_else(|e| panic!("{e}"));
    let mut err = String::new();
    if let Some(mut e) = waiting.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    assert!(ingest_status.success(), "the ingest beside reindex failed: {err}");
    // The server picks the swapped index and the late document up by itself.
    let started = Instant::now();
    loop {
        let (_, v) = server.get("/api/search?q=%E7%A8%80%E5%9C%9F");
        if v["total"].as_u64() == Some(expected + 1) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the server never saw the new index: {v}");
        std::thread::sleep(Duration::from_millis(200));
    }
    stop.store(true, Ordering::Relaxed);
    let first_wrong = load.join().unwrap_or_else(|_| Some("the load thread panicked".into()));
    assert!(asked.load(Ordering::Relaxed) > 5, "the load hardly ran");
    assert_eq!(wrong.load(Ordering::Relaxed), 0, "searches during the rebuild answered wrong: {first_wrong:?}");
    // One index directory is left, named by the pointer; the replaced one is gone.
    let current = std::fs::read_to_string(dir.path().join("index.current")).unwrap_or_default();
    assert!(dir.path().join(current.trim()).join("meta.json").exists(), "{current}");
    assert!(!dir.path().join("index").exists(), "the replaced index was not removed");
    let cli = super::json(dossier(dir.path()).args(["search", "稀土", "--json"]));
    assert_eq!(cli["total"].as_u64(), Some(expected + 1));
}

/// A writer that finds the data directory busy waits up to `ingest.lock_wait_secs`, then says
/// who holds it and what to do — exit 2, nothing written, nothing corrupted.
#[test]
fn a_second_writer_is_refused_with_a_clear_busy_error() {
    let dir = tempdir();
    ingest_file(dir.path(), "a.jsonl", &[rare_earth("first")]);
    let held = dossier::engine::WriteLock::acquire(dir.path(), "a test holding the lock", Duration::ZERO)
        .unwrap_or_else(|e| panic!("{e}"));
    let f = dir.path().join("b.jsonl");
    write(&f, rare_earth("second"));
    let started = Instant::now();
    let o = run(dossier(dir.path()).arg("ingest").arg(&f).env("DOSSIER_LOCK_WAIT_SECS", "1"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(started.elapsed() >= Duration::from_secs(1), "it did not wait");
    let msg = stderr(&o);
    assert!(
        msg.contains("is busy") && msg.contains("a test holding the lock") && msg.contains("ingest.lock_wait_secs"),
        "{msg}"
    );
    let o = run(dossier(dir.path()).arg("reindex").env("DOSSIER_LOCK_WAIT_SECS", "0"));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    drop(held);
    // Searching needs no lock; the refused document was never stored.
    let v = super::json(dossier(dir.path()).args(["search", "稀土", "--json"]));
    assert_eq!(v["total"], 1, "{v}");
    ok(dossier(dir.path()).arg("ingest").arg(&f));
    let v = super::json(dossier(dir.path()).args(["search", "稀土", "--json"]));
    assert_eq!(v["total"], 2, "{v}");
}

/// An OpenAI-compatible endpoint that accepts connections and never answers.
fn hanging_llm() -> (u16, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let _ = listener.set_nonblocking(true);
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        let started = Instant::now();
        while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(300) {
            match listener.accept() {
                Ok((c, _)) => held.push(c),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    (port, stop)
}

/// Reads never wait on writes: with SQLite's write lock held by another process and a workflow
/// run waiting on an LLM that never answers, searches, pages that make digests, and an API
/// ingest all answer promptly; the page's digest is stored once the lock is free.
#[test]
fn reads_never_wait_on_writes_or_on_a_hanging_llm() {
    let dir = tempdir();
    ingest_file(dir.path(), "a.jsonl", &[rare_earth("r1"), rare_earth("r2"), rare_earth("r3")]);
    let (llm_port, llm_stop) = hanging_llm();
    let server = Arc::new(Server::start(
        dir.path(),
        &[
            ("DOSSIER_LLM_URL", format!("http://127.0.0.1:{llm_port}/v1")),
            ("DOSSIER_LLM_MODEL", "never-answers".into()),
            ("DOSSIER_LLM_TIMEOUT_SECS", "60".into()),
        ],
    ));
    let (status, body) = server.post(
        "/api/workflows",
        json!({"name": "llm", "query": "稀土", "summarizer": "llm"}).to_string(),
        "application/json",
    );
    assert_eq!(status, 201, "{body}");
    let run_started = Arc::new(AtomicBool::new(false));
    {
        let (server, started) = (server.clone(), run_started.clone());
        std::thread::spawn(move || {
            started.store(true, Ordering::Relaxed);
            // Answers only when the LLM's timeouts and retries run out; the test ends first.
            let _ = server.http.post(server.url("/api/workflows/llm/run")).bearer_auth(TOKEN).send();
        });
    }
    while !run_started.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(500));

    // Another process holds SQLite's write lock (as a long ingest transaction would).
    let conn = rusqlite::Connection::open(dir.path().join("dossier.db")).unwrap_or_else(|e| panic!("{e}"));
    // The run may already have stored extractive stand-ins for digests its LLM has not made; what
    // counts is that nothing is written while the lock is held.
    let count_digests = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT COUNT(*) FROM digests WHERE doc_id IN ('r2', 'r3')", [], |r| r.get(0))
            .unwrap_or(-1)
    };
    conn.execute_batch("BEGIN IMMEDIATE").unwrap_or_else(|e| panic!("{e}"));
    let before = count_digests(&conn);
    let timed = |path: &str| {
        let t = Instant::now();
        let r = server.http.get(server.url(path)).send().unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = r.status().as_u16();
        let _ = r.text();
        (status, t.elapsed())
    };
    for path in ["/api/search?q=%E7%A8%80%E5%9C%9F", "/?q=%E7%A8%80%E5%9C%9F", "/documents/r2", "/api/documents/r3/digest", "/api/health"] {
        let (status, took) = timed(path);
        assert_eq!(status, 200, "{path}");
        assert!(took < Duration::from_secs(3), "{path} waited {took:?} behind a write");
    }
    assert_eq!(count_digests(&conn), before, "digests were written while another process held the lock?");
    conn.execute_batch("COMMIT").unwrap_or_else(|e| panic!("{e}"));
    // With the lock free, an ingest is not held up by the hanging run either.
    let t = Instant::now();
    let (status, body) = server.post("/api/ingest", rare_earth("r4"), "application/x-ndjson");
    assert_eq!(status, 200, "{body}");
    assert!(t.elapsed() < Duration::from_secs(10), "ingest waited {:?}", t.elapsed());
    // The digests the pages made are stored off the request path.
    let started = Instant::now();
    loop {
        let stored: i64 = conn
            .query_row("SELECT COUNT(*) FROM digests WHERE doc_id IN ('r2', 'r3')", [], |r| r.get(0))
            .unwrap_or(-1);
        if stored >= 2 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "page digests never stored ({stored})");
        std::thread::sleep(Duration::from_millis(100));
    }
    llm_stop.store(true, Ordering::Relaxed);
}
