//! `dossier serve`: the router driven with tower's `oneshot` (no sockets) on the bundled sample
//! plus a document full of script payloads, and `serve::run` on a real socket.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use dossier::config::{Config, Flags};
use dossier::engine::{Engine, IngestOptions};
use dossier::serve::{self, AppState};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::{root, sample, tempdir};

pub const TOKEN: &str = "test-token-5f1c";

pub fn config(dir: &Path) -> Config {
    let flags = Flags {
        data_dir: Some(dir.to_path_buf()),
        ..Flags::default()
    };
    Config::load(&flags, &HashMap::new()).unwrap_or_else(|e| panic!("config: {e}"))
}

pub fn ingest_into(dir: &Path, paths: &[std::path::PathBuf]) {
    let mut engine = Engine::open(config(dir)).unwrap_or_else(|e| panic!("open: {e}"));
    let summary = engine
        .ingest(
            paths,
            &IngestOptions::default(),
            Arc::new(AtomicBool::new(false)),
            &mut |_| {},
        )
        .unwrap_or_else(|e| panic!("ingest: {e}"));
    assert_eq!(summary.failed, 0, "{:?}", summary.failures);
}

pub fn xss_fixture() -> std::path::PathBuf {
    root().join("tests/browser/fixtures/xss.jsonl")
}

/// The sample plus the script-payload document, ingested once; tests that only read share it.
pub fn sample_with_xss() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir();
        ingest_into(dir.path(), &[sample(), xss_fixture()]);
        dir
    })
    .path()
}

fn state(dir: &Path, token: Option<&str>, max_body: Option<usize>) -> AppState {
    let mut c = config(dir);
    c.serve.token = token.map(str::to_string);
    if let Some(m) = max_body {
        c.serve.max_body_bytes = m;
    }
    AppState::open(c).unwrap_or_else(|e| panic!("AppState::open: {e}"))
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// An error reply: its status and `code`, with a message.
    fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.body);
        let v = self.json();
        assert_eq!(v["code"], code, "{v}");
        assert!(v["message"].as_str().is_some_and(|m| m.len() > 10), "{v}");
    }
}

async fn call(
    state: &AppState,
    method: Method,
    uri: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Reply {
    let mut req = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, "127.0.0.1:7700");
    if let Some(t) = token {
        req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.header(header::CONTENT_TYPE, ct);
    }
    let req = req.body(Body::from(body)).unwrap_or_else(|e| panic!("request: {e}"));
    let res = serve::router(state.clone())
        .oneshot(req)
        .await
        .unwrap_or_else(|e| match e {});
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX)
        .await
        .unwrap_or_else(|e| panic!("body: {e}"));
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(state: &AppState, uri: &str) -> Reply {
    call(state, Method::GET, uri, None, None, vec![]).await
}

fn enc(s: &str) -> String {
    dossier::workflow::html::encode_segment(s)
}

#[tokio::test]
async fn openapi_document_and_router_agree() {
    let state = state(sample_with_xss(), Some(TOKEN), None);
    let spec: Value = serde_json::from_str(serve::OPENAPI_JSON).unwrap_or_else(|e| panic!("openapi.json: {e}"));
    assert_eq!(spec["openapi"], "3.1.0");
    let mut in_spec = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                in_spec.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let routes = serve::api_routes(&state);
    let in_router: BTreeSet<(String, String)> = routes
        .iter()
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        in_spec, in_router,
        "every API route must be in openapi.json and vice versa"
    );
    // Write routes, and only they, declare the bearer requirement.
    for r in &routes {
        let op = &spec["paths"][r.path][r.method.as_str().to_lowercase()];
        assert_eq!(op.get("security").is_some(), r.write, "{} {}", r.method, r.path);
    }
    // And the list is what the router serves: no route answers "no such route".
    for r in &routes {
        let uri = r.path.replace("{id}", "qq-34199").replace("{name}", "nope");
        let reply = call(&state, r.method.clone(), &uri, None, None, vec![]).await;
        assert!(
            reply.status != StatusCode::METHOD_NOT_ALLOWED && !reply.body.contains("\"no_route\""),
            "{} {uri}: {} {}",
            r.method,
            reply.status,
            reply.body
        );
    }
    let served = get(&state, "/api/openapi.json").await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.json(), spec);
}

#[tokio::test]
async fn search_takes_the_cli_parameters() {
    let state = state(sample_with_xss(), None, None);
    let r = get(&state, &format!("/api/search?q={}&limit=5", enc("稀土"))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    let hits = v["hits"].as_array().cloned().unwrap_or_default();
    assert_eq!(hits.len(), 5);
    assert!(v["total"].as_u64().unwrap_or(0) > 50, "{}", v["total"]);
    let dates: Vec<&str> = hits.iter().filter_map(|h| h["published_at"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");
    // Same results as the CLI for the same parameters.
    let cli = super::json(super::dossier(sample_with_xss()).args(["search", "稀土", "--limit", "5", "--json"]));
    let ids = |v: &Value| {
        v["hits"]
            .as_array()
            .map(|h| h.iter().map(|x| x["id"].clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(ids(&v), ids(&cli));

    let r = get(
        &state,
        &format!(
            "/api/search?q={}&sort=relevance&lang=zh&source={}&source=nowhere&since=2023-01-01&limit=3",
            enc("稀土 出口管制"),
            enc("腾讯新闻")
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(v["sort"], "relevance");
    for h in v["hits"].as_array().into_iter().flatten() {
        assert_eq!(h["source"], "腾讯新闻");
        assert!(h["published_at"].as_str().is_some_and(|d| d >= "2023-01-01"));
    }
    get(&state, &format!("/api/search?q={}", enc("\"稀土")))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_query");
    get(&state, "/api/search?q=x&since=yesterday")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_date");
    get(&state, "/api/search?q=x&limt=3")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    get(&state, "/api/search")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn documents_with_numbered_paragraphs_and_digests() {
    let state = state(sample_with_xss(), None, None);
    let r = get(&state, "/api/documents/qq-34199").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let doc = r.json();
    let paragraphs = doc["paragraphs"].as_array().cloned().unwrap_or_default();
    assert!(paragraphs.len() > 5);
    for (i, p) in paragraphs.iter().enumerate() {
        assert_eq!(p["n"], i + 1);
    }
    // qqnews gives a day only: no made-up 00:00.
    assert_eq!(doc["when"], "2024-03-19");
    let r = get(&state, "/api/documents/qq-34199/digest").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let digest = r.json();
    let cited: Vec<u64> = digest["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["bullets"].as_array().cloned().unwrap_or_default())
        .flat_map(|b| b["citations"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c.as_u64())
        .collect();
    assert!(
        !cited.is_empty() && cited.iter().all(|&c| c >= 1 && c as usize <= paragraphs.len()),
        "{cited:?}"
    );
    // The same digest the second time (stored, not remade).
    assert_eq!(get(&state, "/api/documents/qq-34199/digest").await.json(), digest);
    get(&state, "/api/documents/no-such-doc")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    get(&state, "/api/documents/no-such-doc/digest")
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json_errors() {
    let state = state(sample_with_xss(), None, None);
    get(&state, "/api/nothing-here")
        .await
        .assert_error(StatusCode::NOT_FOUND, "no_route");
    call(&state, Method::PATCH, "/api/search", None, None, vec![])
        .await
        .assert_error(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    let r = get(&state, "/no/such/page").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.body.contains("<h1>Not found</h1>"));
    let h = get(&state, "/api/health").await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.json()["status"], "ok");
    assert!(h.json()["documents"].as_u64().unwrap_or(0) > 2900);
}

#[tokio::test]
async fn writes_need_the_configured_token() {
    let dir = tempdir();
    let doc = json!({"id": "w-1", "title": "稀土永磁出口增长", "source": "测试", "published_at": "2024-06-01", "lang": "zh",
                     "paragraphs": ["稀土永磁出口同比增长15%。", "第二段。"]});
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    // No token configured: writes are off, reads work.
    let open = state(dir.path(), None, None);
    call(
        &open,
        Method::POST,
        "/api/ingest",
        None,
        Some("application/json"),
        body.clone(),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "writes_disabled");
    call(
        &open,
        Method::POST,
        "/api/workflows",
        Some("anything"),
        Some("application/json"),
        b"{}".to_vec(),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "writes_disabled");
    drop(open);

    let st = state(dir.path(), Some(TOKEN), None);
    let missing = call(
        &st,
        Method::POST,
        "/api/ingest",
        None,
        Some("application/json"),
        body.clone(),
    )
    .await;
    missing.assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        missing
            .headers
            .get(header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    call(
        &st,
        Method::POST,
        "/api/ingest",
        Some("wrong-token-xxxx"),
        Some("application/json"),
        body.clone(),
    )
    .await
    .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    call(&st, Method::DELETE, "/api/workflows/x", None, None, vec![])
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");
    call(&st, Method::POST, "/api/workflows/x/run", None, None, vec![])
        .await
        .assert_error(StatusCode::UNAUTHORIZED, "unauthorized");

    // One JSON document.
    let r = call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.json()["ingested"], 1);
    // JSONL with one bad line: the good ones go in, the bad one is reported by body line.
    let jsonl = format!(
        "{}\n{{\"id\": \"w-bad\", \"paragraphs\": []}}\n{}\n",
        json!({"id": "w-2", "title": "稀土价格", "published_at": "2024-06-02", "paragraphs": ["稀土价格上涨。"]}),
        json!({"id": "w-3", "title": "锂价", "published_at": "2024-06-03", "paragraphs": ["锂价下跌。"]})
    );
    let r = call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/x-ndjson"),
        jsonl.into_bytes(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = r.json();
    assert_eq!(
        (v["ingested"].as_u64(), v["failed"].as_u64()),
        (Some(2), Some(1)),
        "{v}"
    );
    assert!(
        v["failures"][0]["location"].as_str().is_some_and(|l| l == "body:2"),
        "{v}"
    );
    // A JSON array.
    let arr = json!([{"id": "w-4", "title": "稀土A", "paragraphs": ["稀土。"]}, {"id": "w-5", "title": "稀土B", "paragraphs": ["稀土。"]}]);
    let r = call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        serde_json::to_vec(&arr).unwrap_or_default(),
    )
    .await;
    assert_eq!(r.json()["ingested"], 2, "{}", r.body);
    // Searchable at once.
    let s = get(&st, &format!("/api/search?q={}", enc("稀土"))).await.json();
    assert_eq!(s["total"], 4, "{s}");
    // Nothing usable: 422; not JSON: 400; empty: 400.
    call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/x-ndjson"),
        b"{\"id\": \"x\"}\n".to_vec(),
    )
    .await
    .assert_error(StatusCode::UNPROCESSABLE_ENTITY, "bad_input");
    call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        b"{not json".to_vec(),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        b"42".to_vec(),
    )
    .await
    .assert_error(StatusCode::BAD_REQUEST, "bad_request");
    call(&st, Method::POST, "/api/ingest", Some(TOKEN), None, b"  \n".to_vec())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn request_bodies_over_the_limit_get_a_clear_413() {
    let dir = tempdir();
    let st = state(dir.path(), Some(TOKEN), Some(1024));
    let big = json!({"id": "big", "title": "t", "paragraphs": ["稀".repeat(2000)]});
    let r = call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        serde_json::to_vec(&big).unwrap_or_default(),
    )
    .await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    assert!(
        r.json()["message"]
            .as_str()
            .is_some_and(|m| m.contains("1024 bytes") && m.contains("serve.max_body_bytes")),
        "{}",
        r.body
    );
    let wf = json!({"name": "x".repeat(100), "query": "稀土 ".repeat(300)});
    call(
        &st,
        Method::POST,
        "/api/workflows",
        Some(TOKEN),
        Some("application/json"),
        serde_json::to_vec(&wf).unwrap_or_default(),
    )
    .await
    .assert_error(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    // Under the limit is fine.
    let small = json!({"id": "small", "title": "稀土", "paragraphs": ["稀土。"]});
    let r = call(
        &st,
        Method::POST,
        "/api/ingest",
        Some(TOKEN),
        Some("application/json"),
        serde_json::to_vec(&small).unwrap_or_default(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn workflows_created_run_paged_and_fed_over_the_api() {
    let dir = tempdir();
    ingest_into(dir.path(), &[sample()]);
    // Feeds link to the configured public URL; requests all say `Host: 127.0.0.1:7700`.
    let public = "https://news.example.org/dossier";
    let mut c = config(dir.path());
    c.serve.token = Some(TOKEN.to_string());
    c.serve.public_url = Some(public.to_string());
    let st = AppState::open(c).unwrap_or_else(|e| panic!("AppState::open: {e}"));
    let name = "稀土供应链 / 周报";
    // Until May 2024: the sample's newer 稀土 items hold only their titles (no digest), and
    // this test is about digests in pages and feeds.
    let def = json!({"name": name, "query": "稀土", "first_run": 4, "since": "2023-01-01", "until": "2024-05-01"});
    let post = |body: Value| {
        call(
            &st,
            Method::POST,
            "/api/workflows",
            Some(TOKEN),
            Some("application/json"),
            serde_json::to_vec(&body).unwrap_or_default(),
        )
    };
    let r = post(def.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let location = format!("/api/workflows/{}", enc(name));
    assert_eq!(
        r.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()),
        Some(location.as_str())
    );
    assert_eq!(r.json()["since"], "2023-01-01T00:00:00Z");
    post(def.clone())
        .await
        .assert_error(StatusCode::CONFLICT, "already_exists");
    post(json!({"name": "bad", "query": "\"稀土"}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_field");
    post(json!({"name": "bad", "query": "稀土", "colour": "red"}))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "bad_request");

    let list = get(&st, "/api/workflows").await.json();
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(get(&st, &location).await.json()["last_run"], Value::Null);

    let run = call(&st, Method::POST, &format!("{location}/run"), Some(TOKEN), None, vec![]).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    let first = run.json();
    assert_eq!(first["first_run"], true);
    // The four newest hold a copy of a story already among them: three new stories.
    assert_eq!(first["new_documents"].as_array().map(Vec::len), Some(3));
    let page1 = get(&st, &format!("{location}/page")).await;
    assert_eq!(page1.status, StatusCode::OK);
    let feed1 = get(&st, &format!("{location}/feed.atom")).await;
    assert_eq!(
        feed1.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("application/atom+xml; charset=utf-8")
    );

    // Running again with nothing new is recorded as a run with 0 new; the entries and the
    // feed stay as they were.
    let again = call(&st, Method::POST, &format!("{location}/run"), Some(TOKEN), None, vec![])
        .await
        .json();
    assert_eq!(again["run"]["new_documents"], 0, "{again}");
    assert_eq!(again["run"]["max_seq"], first["run"]["max_seq"], "{again}");
    assert_eq!(again["new_documents"], json!([]));
    let page2 = get(&st, &format!("{location}/page")).await.json();
    assert_eq!(page2["entries"], page1.json()["entries"]);
    assert_eq!(page2["last_run"]["id"], again["run"]["id"], "{page2}");
    assert_eq!(get(&st, &format!("{location}/feed.atom")).await.body, feed1.body);

    let page = page1.json();
    let entries = page["entries"].as_array().cloned().unwrap_or_default();
    // Four documents, three stories: the page shows each story once.
    assert_eq!(entries.len(), 3);
    assert!(
        entries
            .iter()
            .all(|e| e["digest"]["sections"].is_array() || e["digest"]["excerpt"].is_string()),
        "{page}"
    );
    let feed = feed_rs::parser::parse(feed1.body.as_bytes())
        .unwrap_or_else(|e| panic!("Atom does not parse: {e}\n{}", feed1.body));
    assert_eq!(feed.title.map(|t| t.content).as_deref(), Some(name));
    // The run brief comes first, then one entry per story.
    assert!(feed.entries[0].id.starts_with("urn:dossier:workflow:"), "{:?}", feed.entries[0].id);
    let documents: Vec<_> = feed.entries.iter().filter(|e| e.id.starts_with("urn:dossier:document:")).collect();
    assert_eq!(documents.len(), 3, "one entry per story");
    assert!(!feed1.body.contains("127.0.0.1"), "no link from the Host header:\n{}", feed1.body);
    assert!(
        feed.links.iter().any(|l| l.rel.as_deref() == Some("self")
            && l.href == format!("{public}/api/workflows/{}/feed.atom", enc(name))),
        "{:?}",
        feed.links
    );
    for (e, p) in documents.iter().zip(&entries) {
        assert_eq!(
            e.id,
            format!("urn:dossier:document:{}", enc(p["id"].as_str().unwrap_or("")))
        );
        assert!(
            e.links
                .iter()
                .any(|l| l.rel.as_deref() == Some("alternate")
                    && l.href == format!("{public}/documents/{}", enc(p["id"].as_str().unwrap_or("")))),
            "{:?}",
            e.links
        );
        assert!(
            e.content
                .as_ref()
                .and_then(|c| c.body.as_deref())
                .is_some_and(|b| b.contains("class=\"digest\""))
        );
    }

    // Update (rename), then delete.
    let renamed = json!({"name": "稀土", "query": "稀土 出口", "first_run": 4});
    let r = call(
        &st,
        Method::PUT,
        &location,
        Some(TOKEN),
        Some("application/json"),
        serde_json::to_vec(&renamed).unwrap_or_default(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.json()["documents"],
        4,
        "collected documents stay with the renamed workflow"
    );
    get(&st, &location)
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    let r = call(
        &st,
        Method::DELETE,
        &format!("/api/workflows/{}", enc("稀土")),
        Some(TOKEN),
        None,
        vec![],
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    get(&st, &format!("/api/workflows/{}", enc("稀土")))
        .await
        .assert_error(StatusCode::NOT_FOUND, "not_found");
    call(
        &st,
        Method::POST,
        &format!("/api/workflows/{}/run", enc("稀土")),
        Some(TOKEN),
        None,
        vec![],
    )
    .await
    .assert_error(StatusCode::NOT_FOUND, "not_found");
}

/// Counts opening tags of `tag` in raw HTML.
fn tags(html: &str, tag: &str) -> usize {
    html.to_ascii_lowercase().matches(&format!("<{tag}")).count()
}

#[tokio::test]
async fn untrusted_documents_render_as_inert_text() {
    let dir = sample_with_xss();
    let mut engine = Engine::open(config(dir)).unwrap_or_else(|e| panic!("{e}"));
    let wf_name = "xss <script>alert(1)</script>";
    let w = dossier::workflow::Workflows::open(engine.store()).unwrap_or_else(|e| panic!("{e}"));
    if w.get(wf_name).is_err() {
        let input = dossier::workflow::WorkflowInput {
            name: wf_name.into(),
            query: "xsspayload".into(),
            ..Default::default()
        };
        let wf = input
            .validate(&engine)
            .unwrap_or_else(|e| panic!("{e}"));
        w.add(&wf).unwrap_or_else(|e| panic!("{e}"));
        dossier::workflow::run(&mut engine, wf_name).unwrap_or_else(|e| panic!("{e}"));
    }
    drop(engine);
    let st = state(dir, None, None);
    for uri in [
        "/documents/xss-1".to_string(),
        format!("/?q={}", enc("xsspayload")),
        format!("/workflows/{}", enc(wf_name)),
        "/workflows".to_string(),
        "/".to_string(),
    ] {
        let r = get(&st, &uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
        let csp = r
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(
            r.headers
                .get(header::X_CONTENT_TYPE_OPTIONS)
                .and_then(|v| v.to_str().ok()),
            Some("nosniff")
        );
        let b = &r.body;
        assert_eq!(tags(b, "script"), 1, "{uri}: only our own script tag:\n{b}");
        assert!(b.contains("<script src=\"/assets/app.js\" defer></script>"));
        for t in ["img", "svg", "iframe"] {
            assert_eq!(tags(b, t), 0, "{uri}: <{t} from a document reached the page");
        }
        assert!(!b.to_ascii_lowercase().contains("href=\"javascript:"), "{uri}");
        if uri != "/" && uri != "/workflows" {
            assert!(b.contains("&lt;script&gt;"), "{uri}: the payload is shown as text");
        }
    }
    let doc = get(&st, "/documents/xss-1").await.body;
    assert!(
        doc.contains("&lt;img src=x onerror=alert(document.domain)&gt;Evil Wire"),
        "the source is escaped"
    );
    assert!(!doc.contains(">original</a>"), "a javascript: URL is not linked");
    // The feed of a workflow holding the payload stays well-formed XML and parses.
    let feed = get(&st, &format!("/api/workflows/{}/feed.atom", enc(wf_name)))
        .await
        .body;
    let parsed = feed_rs::parser::parse(feed.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{feed}"));
    let documents: Vec<_> = parsed.entries.iter().filter(|e| e.id.starts_with("urn:dossier:document:")).collect();
    assert_eq!(documents.len(), 1);
    // No serve.public_url: links are relative, never taken from the Host header.
    assert!(!feed.contains("127.0.0.1"), "{feed}");
    let links: Vec<(Option<&str>, &str)> =
        documents[0].links.iter().map(|l| (l.rel.as_deref(), l.href.as_str())).collect();
    assert_eq!(links, vec![(Some("alternate"), "/documents/xss-1")], "the javascript: URL is no link");
    assert!(
        documents[0]
            .title
            .as_ref()
            .is_some_and(|t| t.content.contains("<script>"))
    );
}

#[tokio::test]
async fn ui_pages_search_and_document() {
    let st = state(sample_with_xss(), None, None);
    let home = get(&st, "/").await;
    assert!(home.body.contains("<form class=\"search\"") && home.body.contains("id=\"footer\""));
    assert!(home.body.starts_with("<!DOCTYPE html><html lang=\"en\">"), "the UI chrome is English");
    assert!(
        home.body.contains("placeholder=\"稀土供应链, &quot;export controls&quot;, 稀土 OR 锂 -镓\" aria-label=\"Search\""),
        "the placeholder's quotes stay inside it"
    );
    assert!(
        home.body.contains("documents · ") && home.body.contains("last ingest <time>20"),
        "footer: index size and last ingest"
    );
    let r = get(&st, &format!("/?q={}&sort=newest", enc("稀土"))).await;
    assert_eq!(r.status, StatusCode::OK);
    // The newest 稀土 items of the sample hold only their titles: one line each, no digest.
    let title_only = r.body.matches("<article class=\"doc result title-only\" lang=\"zh\">").count();
    assert!(title_only >= 1 && r.body.contains("of these title only"), "{}", r.body);
    assert!(r.body.contains("title only</span>"));
    assert_eq!(r.body.matches("<article class=\"doc result\" lang=\"zh\">").count() + title_only, 10);
    let (digests, snippets) = (
        r.body.matches("<div class=\"digest\"").count(),
        r.body.matches("<p class=\"snippet\">").count(),
    );
    assert_eq!(
        digests + snippets + title_only,
        10,
        "each result shows its digest, or its snippet when it has no sectioned digest, or is title only"
    );
    let hidden = get(&st, &format!("/?q={}&title_only=hide", enc("稀土"))).await;
    assert!(!hidden.body.contains("result title-only") && hidden.body.contains("title-only items hidden"), "{}", hidden.body);
    assert!(hidden.body.contains("<option value=\"hide\" selected>hide</option>"), "the form keeps the choice");
    assert!(digests >= 3, "results carry digests ({digests})");
    assert_eq!(r.body.matches("<p class=\"snippet\">").count(), snippets);
    if snippets > 0 {
        assert!(r.body.contains("<mark>稀土</mark>"), "snippets mark the matched words");
    }
    assert!(
        r.body
            .contains("rel=\"next\" href=\"/?q=%E7%A8%80%E5%9C%9F&amp;sort=newest&amp;page=2\""),
        "pager keeps the query"
    );
    let bad = get(&st, &format!("/?q={}", enc("\"稀土"))).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("class=\"error\"") && bad.body.contains("never closed"));
    let d = get(&st, "/documents/qq-34199").await;
    assert!(d.body.contains("<li id=\"p1\" value=\"1\">"));
    assert!(
        d.body.contains("<html lang=\"zh\">") && d.body.contains("<nav class=\"top\" lang=\"en\">"),
        "a Chinese document's page is Chinese, its chrome English"
    );
    assert!(
        d.body.contains("class=\"cite\" href=\"#p"),
        "citations link to paragraphs"
    );
    let css = get(&st, "/assets/app.css").await;
    assert_eq!(
        css.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()),
        Some("text/css; charset=utf-8")
    );
    assert!(
        css.body.contains("PingFang SC")
            && css.body.contains("Noto Sans CJK SC")
            && css.body.contains("Microsoft YaHei")
    );
    assert!(css.body.contains("line-height: 1.7"));
    assert!(
        !css.body.contains("@import") && !css.body.contains("url(http"),
        "no external fonts"
    );
    let js = get(&st, "/assets/app.js").await;
    assert!(js.body.contains("highlight"));
}

#[tokio::test]
async fn run_serves_on_a_socket_and_refuses_public_addresses_without_a_token() {
    let dir = tempdir();
    let st = state(dir.path(), None, None);
    let public = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let err = serve::run(public, st.clone(), async {})
        .await
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("without a token"), "{err}");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve::run(listener, st, async move {
        let _ = stopped.await;
    }));
    let health: Value = reqwest::Client::new()
        .get(format!("http://{addr}/api/health"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["status"], "ok");
    let _ = stop.send(());
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "graceful shutdown: {done:?}");
}

// ----- Connections: limits, timeouts, graceful shutdown ---------------------------------------
//
// The server must survive clients that connect and then dawdle: half-sent request lines, silent
// sockets, idle keep-alive connections. Every loop below is bounded in count and time, and
// everything stays on loopback.

/// A loopback server from `run` with these connection settings; returns its address, the stop
/// switch and the task.
async fn spawn_server(
    dir: &Path,
    tune: impl FnOnce(&mut dossier::config::ServeConfig),
) -> (
    std::net::SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<dossier::Result<()>>,
) {
    let mut c = config(dir);
    tune(&mut c.serve);
    let st = AppState::open(c).unwrap_or_else(|e| panic!("AppState::open: {e}"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve::run(listener, st, async move {
        let _ = stopped.await;
    }));
    (addr, stop, server)
}

/// Reads until the server closes the connection (EOF or reset); the time it took, or None when
/// it was still open after `limit`.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: std::time::Duration) -> Option<std::time::Duration> {
    use tokio::io::AsyncReadExt;
    let started = std::time::Instant::now();
    let mut buf = [0u8; 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(limit, read_all).await.ok().map(|()| started.elapsed())
}

async fn health_within(addr: std::net::SocketAddr, limit: std::time::Duration) -> (StatusCode, std::time::Duration) {
    let started = std::time::Instant::now();
    let res = reqwest::Client::builder()
        .timeout(limit)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .get(format!("http://{addr}/api/health"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("/api/health did not answer within {limit:?}: {e}"));
    (res.status(), started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_requests_neither_block_health_nor_stay_open_past_the_header_timeout() {
    use tokio::io::AsyncWriteExt;
    let dir = tempdir();
    let (addr, stop, server) = spawn_server(dir.path(), |s| {
        s.max_connections = 1000;
        s.header_timeout_secs = 1;
        // Longer than the test: only the header timeout may close these.
        s.idle_timeout_secs = 60;
    })
    .await;
    let opened = std::time::Instant::now();
    let mut idle = Vec::new();
    for i in 0..600 {
        let mut s = tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::TcpStream::connect(addr))
            .await
            .unwrap_or_else(|_| panic!("connect {i} timed out"))
            .unwrap_or_else(|e| panic!("connect {i}: {e}"));
        s.write_all(b"GET /api/hea").await.unwrap_or_else(|e| panic!("write {i}: {e}"));
        idle.push(s);
    }
    let (status, took) = health_within(addr, std::time::Duration::from_secs(5)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        took < std::time::Duration::from_secs(1),
        "/api/health took {took:?} beside 600 half-sent requests"
    );
    // Each half-sent connection is closed by the server once the 1 s header timeout passes,
    // and not before it.
    let mut closed = 0;
    for (i, s) in idle.iter_mut().enumerate() {
        let left = std::time::Duration::from_secs(8).saturating_sub(opened.elapsed());
        assert!(closed_within(s, left).await.is_some(), "connection {i} still open 8 s after its half request");
        closed += 1;
    }
    assert_eq!(closed, 600);
    assert!(
        opened.elapsed() >= std::time::Duration::from_millis(900),
        "closed before the header timeout: {:?}",
        opened.elapsed()
    );
    let _ = stop.send(());
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "graceful shutdown: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_and_silent_connections_are_closed_after_the_idle_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempdir();
    let (addr, stop, server) = spawn_server(dir.path(), |s| {
        s.header_timeout_secs = 60;
        s.idle_timeout_secs = 1;
    })
    .await;
    // A keep-alive connection that made one request and then says nothing.
    let mut kept = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    kept.write_all(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    let answered = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while !String::from_utf8_lossy(&head).contains("\"status\"") {
            match kept.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    let head = String::from_utf8_lossy(&head).into_owned();
    assert!(answered.is_ok() && head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("connection: close"), "not kept alive: {head}");
    // A connection that never sends a byte.
    let mut silent = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}"));
    // Both idle from about now: watch them together.
    let limit = std::time::Duration::from_secs(6);
    let (kept_took, silent_took) = tokio::join!(closed_within(&mut kept, limit), closed_within(&mut silent, limit));
    for (what, took) in [("idle keep-alive", kept_took), ("silent", silent_took)] {
        assert!(
            took.is_some_and(|t| t >= std::time::Duration::from_millis(700)),
            "{what} connection: closed after {took:?}, expected about 1 s"
        );
    }
    let _ = stop.send(());
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "graceful shutdown: {done:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    let dir = tempdir();
    let (addr, stop, server) = spawn_server(dir.path(), |s| {
        s.max_connections = 4;
        s.header_timeout_secs = 1;
        s.idle_timeout_secs = 60;
    })
    .await;
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("{e}")));
    }
    // Give the server the moment it needs to accept all four.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    // The fifth waits in the backlog until the header timeout frees a slot, then is served.
    let (status, took) = health_within(addr, std::time::Duration::from_secs(6)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        took >= std::time::Duration::from_millis(500),
        "answered after {took:?}: the limit of 4 connections was not applied"
    );
    drop(silent);
    let _ = stop.send(());
    let done = tokio::time::timeout(std::time::Duration::from_secs(10), server).await;
    assert!(matches!(done, Ok(Ok(Ok(())))), "graceful shutdown: {done:?}");
}

/// `dossier serve` as a process on a free loopback port: the child, its address, and its
/// stderr lines (drained on a thread so the child never blocks on a full pipe).
fn serve_process(dir: &Path, env: &[(&str, &str)]) -> (std::process::Child, std::net::SocketAddr, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let mut cmd = super::dossier(dir);
    cmd.args(["serve", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("dossier serve: {e}"));
    let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr).lines().map_while(std::result::Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let addr = loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let line = rx.recv_timeout(left).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("dossier serve did not report its address: {e}")
        });
        if let Some(rest) = line.split("serving on http://").nth(1) {
            let addr = rest.split_whitespace().next().unwrap_or("");
            break addr.parse().unwrap_or_else(|e| panic!("address {addr:?} in {line:?}: {e}"));
        }
    };
    (child, addr, rx)
}

fn wait_exit(child: &mut std::process::Child, limit: std::time::Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn sigterm(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success(), "kill -TERM failed");
}

#[test]
fn sigterm_lets_the_request_in_flight_finish_and_exits_0() {
    use std::io::{Read, Write};
    let dir = tempdir();
    let (mut child, addr, _log) = serve_process(
        dir.path(),
        &[("DOSSIER_TOKEN", TOKEN), ("DOSSIER_HEADER_TIMEOUT_SECS", "60"), ("DOSSIER_IDLE_TIMEOUT_SECS", "60")],
    );
    // A client half-way through a request line must not hold the exit up for its timeouts.
    let mut dawdler = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    dawdler.write_all(b"GET /api/hea").unwrap_or_else(|e| panic!("{e}"));
    let body = r#"{"id":"inflight-1","title":"稀土在途","source":"test","paragraphs":["稀土出口在途请求。"]}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut s = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}"));
    s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap_or_else(|e| panic!("{e}"));
    write!(
        s,
        "POST /api/ingest HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{first}",
        body.len()
    )
    .unwrap_or_else(|e| panic!("{e}"));
    s.flush().unwrap_or_else(|e| panic!("{e}"));
    // The head is in; the handler is waiting for the rest of the body.
    std::thread::sleep(std::time::Duration::from_millis(500));
    sigterm(&child);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(
        matches!(child.try_wait(), Ok(None)),
        "dossier serve exited with a request in flight"
    );
    // It no longer accepts new connections.
    let refused = std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2));
    assert!(refused.is_err(), "a new connection was accepted after SIGTERM");
    s.write_all(rest.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "the request in flight did not complete: {reply}");
    assert!(reply.contains("\"ingested\":1"), "{reply}");
    let status = wait_exit(&mut child, std::time::Duration::from_secs(5));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit after SIGTERM (within 5 s): {status:?}");
    drop(dawdler);
    // What the finished request wrote is there.
    let v = super::json(super::dossier(dir.path()).args(["show", "inflight-1", "--json"]));
    assert_eq!(v["title"], "稀土在途");
}

#[test]
fn serve_holds_no_more_sockets_than_max_connections() {
    let dir = tempdir();
    let (mut child, addr, _log) = serve_process(
        dir.path(),
        &[("DOSSIER_MAX_CONNECTIONS", "8"), ("DOSSIER_HEADER_TIMEOUT_SECS", "30"), ("DOSSIER_IDLE_TIMEOUT_SECS", "30")],
    );
    let fd_dir = format!("/proc/{}/fd", child.id());
    let sockets = || {
        std::fs::read_dir(&fd_dir)
            .map(|d| {
                d.filter_map(std::result::Result::ok)
                    .filter(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:")))
                    .count()
            })
            .unwrap_or(usize::MAX)
    };
    // The signal handlers' socket pair appears once the accept loop first polls for shutdown,
    // just after the address is logged: count from after that.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = sockets();
    assert!(before < usize::MAX, "cannot read {fd_dir}");
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{e}")));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    let during = sockets();
    drop(idle);
    sigterm(&child);
    let status = wait_exit(&mut child, std::time::Duration::from_secs(15));
    assert!(
        during <= before + 8,
        "100 idle clients made the server hold {during} sockets (was {before}; limit 8)"
    );
    assert!(during >= before + 8, "the 8 allowed connections were not accepted: {before} → {during}");
    assert_eq!(status.and_then(|s| s.code()), Some(0), "exit after SIGTERM: {status:?}");
}

/// The story page shows the claim ledger, the disputed Model 3 price of three real copies first,
/// each value with its citations linking to the paragraphs.
#[tokio::test]
async fn the_story_page_flags_a_figure_its_copies_disagree_on() {
    let dir = tempdir();
    ingest_into(dir.path(), &[root().join("tests/fixtures/stories/model3_price.jsonl")]);
    let s = state(dir.path(), None, None);
    let page = get(&s, "/stories/1").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let ledger = page.body.split("<ul class=\"ledger\">").nth(1).unwrap_or_else(|| panic!("no ledger: {}", page.body));
    let first = ledger.split("</li>").next().unwrap_or_default();
    assert!(
        first.starts_with("<li class=\"disputed\">长续航全轮驱动焕新版的售价: <strong>29.59万元</strong>")
            && first.contains("≠ <strong>39.59万元</strong>")
            && first.contains("href=\"/documents/qq-18609#p12\">[12]</a>")
            && first.contains("href=\"/documents/qq-18608#p12\">[12]</a>")
            && first.contains("sources disagree"),
        "{first}"
    );
}
