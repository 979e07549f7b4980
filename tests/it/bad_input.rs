//! Bad input: every kind of broken record gets a clear error naming file, line and problem;
//! the rest still ingests; the exit status says something failed.

use super::*;

fn good(id: &str, text: &str) -> String {
    serde_json::json!({"id": id, "title": format!("标题{id}"), "source": "s", "published_at": "2024-05-01",
        "lang": "zh", "paragraphs": [text]})
    .to_string()
}

/// A file with one good record between each kind of bad one.
fn mixed_file(dir: &Path) -> PathBuf {
    let mut bytes: Vec<u8> = Vec::new();
    let mut push = |l: &[u8]| {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    };
    push(good("g1", "稀土价格上涨").as_bytes());
    push(br#"{"id": "m1", "title": "broken", "paragraphs": ["#); // malformed JSON
    push(good("g2", "锂价下跌").as_bytes());
    let mut invalid = good("iu", "无效编码").into_bytes();
    invalid.splice(30..30, [0xff, 0xfe]); // invalid UTF-8 inside the line
    push(&invalid);
    push(good("g3", "光伏装机").as_bytes());
    push(good("g1", "重复的编号").as_bytes()); // duplicate id in this file
    push(br#"{"id": "np", "title": "no paragraphs", "lang": "zh"}"#); // missing paragraphs
    push(br#"{"id": "bd", "title": "bad date", "published_at": "May fifth", "paragraphs": ["x"]}"#);
    push(good("g4", "铜价走高").as_bytes());
    let f = dir.join("mixed.jsonl");
    write(&f, bytes);
    f
}

#[test]
fn each_bad_record_is_reported_and_the_rest_ingests() {
    let dir = tempdir();
    let f = mixed_file(dir.path());
    let o = run(dossier(dir.path()).args(["ingest"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "must fail when a record failed");
    let err = stderr(&o).replace(&dir.path().display().to_string(), "<dir>");
    insta::assert_snapshot!("bad_input_errors", err);
    let out = stdout(&o);
    assert!(out.contains("ingested 4") && out.contains("failed 5"), "{out}");
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["documents"], 4);
    assert_eq!(stats["index_documents"], 4);
}

#[test]
fn strict_stops_at_the_first_error_keeping_what_came_before() {
    let dir = tempdir();
    let f = mixed_file(dir.path());
    let o = run(dossier(dir.path()).args(["ingest", "--strict", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert_eq!((s["ingested"].as_u64(), s["failed"].as_u64()), (Some(1), Some(1)), "{s}");
}

#[test]
fn an_enormous_document_is_refused_with_its_size() {
    let dir = tempdir();
    let big = "稀".repeat(50 * 1024 * 1024 / 3);
    let f = dir.path().join("big.jsonl");
    write(&f, format!("{}\n{}\n", serde_json::json!({"id": "big", "title": "big", "paragraphs": [big]}), good("after", "后面的文档")));
    let o = run(dossier(dir.path()).args(["ingest"]).arg(&f));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("big.jsonl:1") && err.contains("MB"), "{err}");
    assert!(stdout(&o).contains("ingested 1"), "{}", stdout(&o));
}

#[test]
fn a_missing_path_is_a_user_error() {
    let dir = tempdir();
    let o = run(dossier(dir.path()).args(["ingest", "/nonexistent/news.jsonl"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    // One message, said once, naming the path and what to do.
    assert_eq!(
        stderr(&o),
        "error: /nonexistent/news.jsonl: no such file or directory; check the path (ingest reads \
         JSONL files, plain or .gz, RSS/Atom feeds, and directories of .txt/.md/.html/.pdf files)\n"
    );
}

#[test]
fn a_missing_config_file_is_a_user_error() {
    let dir = tempdir();
    let o = run(dossier(dir.path()).args(["--config", "/nonexistent/dossier.toml", "stats"]));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("/nonexistent/dossier.toml does not exist") && err.contains("--config"), "{err}");
}

#[test]
fn the_size_limit_names_the_real_setting() {
    let dir = tempdir();
    let f = dir.path().join("two.jsonl");
    write(&f, format!("{}\n", good("long", &"稀土".repeat(400))));
    let o = run(dossier(dir.path()).args(["ingest"]).arg(&f).env("DOSSIER_MAX_DOC_BYTES", "1000"));
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("raise ingest.max_doc_bytes in config.toml (or DOSSIER_MAX_DOC_BYTES)") && !err.contains("--max-doc-bytes"),
        "{err}"
    );
}

/// Gzip of `lines`, each followed by a newline.
fn gzip_lines(lines: impl IntoIterator<Item = String>) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for l in lines {
        let _ = gz.write_all(l.as_bytes());
        let _ = gz.write_all(b"\n");
    }
    gz.finish().unwrap_or_default()
}

/// Bad lines that compress to almost nothing: `short` lines of `x` and `long` lines whose
/// error quotes a 100 KB value.
fn bomb(short: usize, long: usize) -> Vec<u8> {
    let quoted = serde_json::json!({"id": "q", "paragraphs": "稀".repeat(100_000 / 3)}).to_string();
    gzip_lines((0..long).map(|_| quoted.clone()).chain((0..short).map(|_| "x".to_string())))
}

#[test]
fn a_gzip_bomb_of_bad_lines_gives_a_bounded_report() {
    let dir = tempdir();
    let f = dir.path().join("bomb.jsonl.gz");
    write(&f, bomb(20_000, 200));
    let o = run(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert_eq!(s["failed"], 20_200, "{s}");
    assert_eq!(s["failures"].as_array().map(Vec::len), Some(100));
    assert_eq!(s["failures_omitted"], 20_100);
    assert!(stdout(&o).len() < 100_000, "summary of {} bytes", stdout(&o).len());
    // Every failure is still said as it happens, each line short.
    let err = stderr(&o);
    assert_eq!(err.lines().count(), 20_200);
    let longest = err.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 500, "a stderr line of {longest} characters");
    assert!(err.contains("paragraphs: invalid type: string \"稀稀"), "{}", err.lines().next().unwrap_or(""));
}

#[test]
fn a_feed_item_with_an_unreadable_date_is_a_bad_record() {
    let dir = tempdir();
    let f = dir.path().join("news.rss");
    write(
        &f,
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Markets</title>\
         <item><title>Copper rises</title><guid>a</guid><pubDate>Wed, 01 May 2024 10:30:00 GMT</pubDate></item>\
         <item><title>Undated flash</title><guid>b</guid></item>\
         <item><title>Gold slips</title><guid>c</guid><pubDate>yesterday evening</pubDate></item>\
         </channel></rss>",
    );
    let o = run(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.starts_with(&format!(
            "error: {}:3: item 3: (\"Gold slips\") <pubDate> \"yesterday evening\" is not a date: accepted forms",
            f.display()
        )) && err.contains("correct it in the feed, or remove the element to ingest the item undated"),
        "{err}"
    );
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert_eq!((s["ingested"].as_u64(), s["failed"].as_u64()), (Some(2), Some(1)), "{s}");
    let doc = json(dossier(dir.path()).args(["show", "b", "--json"]));
    assert_eq!(doc["published_at"], serde_json::Value::Null, "no date: undated");
}

#[test]
fn a_blank_token_does_not_expose_the_server() {
    let dir = tempdir();
    let o = run(dossier(dir.path()).args(["serve", "--addr", "0.0.0.0:0"]).env("DOSSIER_TOKEN", "  \t "));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("refusing to listen on 0.0.0.0 without a token"), "{}", stderr(&o));
}

/// Sends SIGINT, as a terminal's Ctrl-C does.
fn interrupt(child: &std::process::Child) {
    let _ = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status();
}

/// Waits for a child to end, at most `secs`; kills it and fails if it does not.
fn wait_at_most(mut child: std::process::Child, secs: u64) -> std::process::Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("the command did not end within {secs} s of the interrupt");
}

#[test]
fn ctrl_c_stops_serve_with_130() {
    use std::io::BufRead;
    let dir = tempdir();
    let mut child = dossier(dir.path())
        .args(["serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(err) = child.stderr.take() else { panic!("no stderr") };
    let mut lines = std::io::BufReader::new(err).lines();
    assert!(lines.any(|l| l.is_ok_and(|l| l.contains("dossier serving on"))), "the server did not start");
    interrupt(&child);
    let o = wait_at_most(child, 20);
    assert_eq!(o.status.code(), Some(130));
}

/// A data directory holding one document, `d1`, with a workflow `w` digesting by LLM.
fn one_document(dir: &Path) {
    let f = dir.join("one.jsonl");
    // Long enough to be news (a short text is an excerpt, digested without a model).
    write(&f, format!("{}\n", good("d1", &"稀土价格上涨，北方稀土公告称产量增加。".repeat(40))));
    ok(dossier(dir).args(["ingest"]).arg(&f));
    ok(dossier(dir).args(["workflow", "add", "w", "--query", "稀土", "--summarizer", "llm"]));
}

/// A one-request-at-a-time HTTP server answering every request with `response`.
fn answering(response: &'static str) -> std::net::SocketAddr {
    use std::io::{BufRead, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let mut reader = std::io::BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line.trim_end() != "" {
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = reader.into_inner().write_all(response.as_bytes());
        }
    });
    addr
}

#[test]
fn llm_failures_exit_2_with_one_message() {
    let dir = tempdir();
    one_document(dir.path());
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        l.local_addr().unwrap_or_else(|e| panic!("{e}"))
    };
    // Accepts connections (the kernel's backlog) and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let garbage = answering("HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot json!");
    let forbidden = answering("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let cases = [
        (refused, "cannot connect"),
        (silent.local_addr().unwrap_or_else(|e| panic!("{e}")), "(timeout)"),
        (garbage, "not a chat-completions response"),
        (forbidden, "refused the API key"),
    ];
    for (addr, says) in cases {
        let o = run(dossier(dir.path())
            .args(["digest", "d1", "--summarizer", "llm"])
            .env("DOSSIER_LLM_URL", format!("http://{addr}/v1"))
            .env("DOSSIER_LLM_MODEL", "m")
            .env("DOSSIER_LLM_MAX_RETRIES", "0")
            .env("DOSSIER_LLM_TIMEOUT_SECS", "1"));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{says}: {err}");
        let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
        assert_eq!(errors.len(), 1, "{err}");
        assert!(errors[0].starts_with("error: LLM: POST http://") && errors[0].contains(says), "{err}");
    }
}

#[test]
fn ctrl_c_during_a_workflow_run_exits_130() {
    let dir = tempdir();
    one_document(dir.path());
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = silent.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let child = dossier(dir.path())
        .args(["workflow", "run", "w"])
        .env("DOSSIER_LLM_URL", format!("http://{addr}/v1"))
        .env("DOSSIER_LLM_MODEL", "m")
        .env("DOSSIER_LLM_TIMEOUT_SECS", "120")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    // Wait until the run is waiting on the model.
    let _ = silent.set_nonblocking(true);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let stream = loop {
        match silent.accept() {
            Ok((stream, _)) => break stream,
            Err(_) if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => {
                let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
                panic!("the workflow run never asked the model: {e}");
            }
        }
    };
    interrupt(&child);
    let o = wait_at_most(child, 20);
    drop(stream);
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
}

async fn post_ingest(state: &dossier::serve::AppState, body: Vec<u8>) -> (axum::http::StatusCode, serde_json::Value, usize) {
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/ingest")
        .header(axum::http::header::HOST, "127.0.0.1:7700")
        .header(axum::http::header::AUTHORIZATION, "Bearer t0ken")
        .body(axum::body::Body::from(body))
        .unwrap_or_else(|e| panic!("{e}"));
    let res = dossier::serve::router(state.clone()).oneshot(req).await.unwrap_or_else(|e| match e {});
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap_or_else(|e| panic!("{e}"));
    (status, serde_json::from_slice(&bytes).unwrap_or_default(), bytes.len())
}

#[tokio::test]
async fn an_api_gzip_bomb_is_bounded() {
    let dir = tempdir();
    let flags = dossier::config::Flags { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let mut config = dossier::config::Config::load(&flags, &Default::default()).unwrap_or_else(|e| panic!("{e}"));
    config.serve.token = Some("t0ken".into());
    config.serve.max_ingest_bytes = 4 * 1024 * 1024;
    let state = dossier::serve::AppState::open(config).unwrap_or_else(|e| panic!("{e}"));

    // Over the decompressed limit: refused whole, nothing ingested.
    let (status, v, _) = post_ingest(&state, bomb(3_000_000, 0)).await;
    assert_eq!(status, axum::http::StatusCode::PAYLOAD_TOO_LARGE, "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("serve.max_ingest_bytes")), "{v}");

    // Under it: a bounded summary, however many lines failed.
    let mut body = gzip_lines([good("api1", "稀土价格上涨")]);
    body.extend(bomb(200_000, 20));
    let (status, v, size) = post_ingest(&state, body).await;
    assert_eq!(status, axum::http::StatusCode::OK, "{v}");
    assert_eq!((v["ingested"].as_u64(), v["failed"].as_u64()), (Some(1), Some(200_020)), "{v}");
    assert_eq!(v["failures"].as_array().map(Vec::len), Some(100));
    assert!(size < 100_000, "a response of {size} bytes");
}

#[test]
fn a_truncated_gzip_keeps_the_records_before_the_damage() {
    let dir = tempdir();
    let bytes = std::fs::read(sample()).unwrap_or_default();
    let f = dir.path().join("cut.jsonl.gz");
    write(&f, &bytes[..bytes.len() / 2]);
    let o = run(dossier(dir.path()).args(["ingest", "--json"]).arg(&f));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap_or_default();
    assert!(s["ingested"].as_u64().unwrap_or(0) > 500, "{s}");
    assert!(stderr(&o).contains("cut.jsonl.gz"), "{}", stderr(&o));
}
