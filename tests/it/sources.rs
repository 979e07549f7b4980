//! Sources: `dossier source …`, `dossier poll` and the polling `dossier serve`, against a real
//! HTTP server started in this process (axum on 127.0.0.1:0) whose feeds change between polls:
//! conditional GET, charsets, timeouts, 5xx recovery, redirect loops, oversized bodies, full
//! text from the linked page, and a webhook receiver.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::demo::{Server, free_addr};
use super::{dossier, json, ok, run, stderr, tempdir};

/// What the fixture server serves and what it saw.
#[derive(Default)]
struct Site {
    /// Items of /feed.xml: (guid, title, description).
    items: Vec<(String, String, String)>,
    /// Requests per path, and how many of them were answered 304.
    hits: HashMap<String, usize>,
    not_modified: usize,
    /// /flaky.xml answers 500 this many more times.
    flaky_failures: usize,
    /// Webhook posts: body and signature header.
    hooks: Vec<(Vec<u8>, Option<String>)>,
    /// /hook answers 500 this many more times.
    hook_failures: usize,
    user_agents: Vec<String>,
}

type Shared = Arc<Mutex<Site>>;

fn site(s: &Shared) -> std::sync::MutexGuard<'_, Site> {
    s.lock().unwrap_or_else(|p| p.into_inner())
}

fn rss(title: &str, items: &[(String, String, String)], base: &str) -> String {
    let mut out = format!(
        r#"<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title><link>{base}/</link><description>d</description>"#
    );
    for (guid, t, desc) in items {
        out.push_str(&format!(
            "<item><guid>{guid}</guid><title>{t}</title><link>{base}/article/{guid}.html</link><description>{desc}</description><pubDate>Sat, 28 Nov 2026 08:00:00 GMT</pubDate></item>"
        ));
    }
    out.push_str("</channel></rss>");
    out
}

fn hit(s: &Shared, path: &str, headers: &HeaderMap) {
    let mut site = site(s);
    *site.hits.entry(path.to_string()).or_default() += 1;
    if let Some(ua) = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
    {
        site.user_agents.push(ua.to_string());
    }
}

async fn feed(State(s): State<(Shared, String)>, headers: HeaderMap) -> Response {
    let (s, base) = s;
    hit(&s, "/feed.xml", &headers);
    let body = rss("Metals Wire", &site(&s).items, &base);
    let etag = format!(
        "\"{}\"",
        blake3::hash(body.as_bytes())
            .to_hex()
            .as_str()
            .get(..16)
            .unwrap_or_default()
    );
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        site(&s).not_modified += 1;
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/rss+xml; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}

/// The article pages items link to: full text, with the page furniture around it.
async fn article(UrlPath(file): UrlPath<String>) -> Response {
    let id = file.trim_end_matches(".html");
    if id.starts_with("gone") {
        return (StatusCode::NOT_FOUND, "no such article").into_response();
    }
    // Each article tells its own story (two of nine paragraphs, chosen by the id), so that
    // ingest does not file two items as copies of one story.
    const BODIES: [&str; 9] = [
        "Analysts said converters kept building inventories while demand from battery makers grew more slowly than new supply.",
        "Several producers in Australia announced output cuts that could steady prices in the first quarter.",
        "Chilean miners reported record quarterly shipments to Asian refiners despite a strike at one northern port.",
        "A government agency in Beijing published new rules on export licences for graphite anodes used in cells.",
        "European carmakers signed long-term offtake agreements with two Canadian developers earlier this month.",
        "Traders in Shanghai pointed to weaker spot premiums and rising warehouse stocks across the Yangtze delta.",
        "The largest smelter in Zambia restarted its second furnace after repairs that took most of the autumn.",
        "Insurance costs for bulk carriers crossing the Red Sea climbed again, adding to freight bills for ore.",
        "A Japanese trading house agreed to buy a minority stake in a nickel refinery planned for Indonesia.",
    ];
    let h = id.bytes().map(usize::from).sum::<usize>();
    let (first, second) = (BODIES[h % 9], BODIES[(h + 3) % 9]);
    let html = format!(
        r##"<html><head><meta charset="utf-8"><title>{id}</title></head><body>
<nav><a href="/">Home</a> <a href="/metals">Metals</a></nav>
<article><h1>{id}</h1>
<p>Full text of {id}: lithium carbonate prices fell again this week, extending a slide that began in early November.</p>
<div class="share-buttons"><a href="#">Share on X</a></div>
<p>{first}</p>
<p>{second}</p>
</article>
<ul class="related"><li><a href="/x">Copper hits a record</a></li></ul>
<footer>© Metals Wire</footer></body></html>"##
    );
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response()
}

fn gbk(text: &str) -> Vec<u8> {
    encoding_rs::GBK.encode(text).0.into_owned()
}

/// A GBK feed (declared in its XML declaration and the header) whose one item is a summary
/// linking to a GBK page that declares its charset only in a meta tag.
async fn gbk_feed(State(s): State<(Shared, String)>, headers: HeaderMap) -> Response {
    let (s, base) = s;
    hit(&s, "/gbk.xml", &headers);
    let body = format!(
        r#"<?xml version="1.0" encoding="GBK"?><rss version="2.0"><channel><title>财经快讯</title><link>{base}/</link><description>d</description><item><guid>gbk-1</guid><title>稀土出口管制新规发布</title><link>{base}/gbk-page.html</link><description>商务部发布稀土出口管制新规。</description><pubDate>Sat, 28 Nov 2026 08:00:00 GMT</pubDate></item></channel></rss>"#
    );
    (
        [(header::CONTENT_TYPE, "application/xml; charset=GBK")],
        gbk(&body),
    )
        .into_response()
}

async fn gbk_page() -> Response {
    let html = r##"<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>稀土</title></head><body>
<div class="top-nav"><a href="/">首页</a><a href="/cj">财经</a></div>
<div class="article"><h1>稀土出口管制新规发布</h1>
<p>11月28日，商务部发布公告，对部分中重稀土相关物项实施出口管制，自12月1日起施行。</p>
<p>业内人士表示，新规将进一步规范稀土出口秩序，短期内对海外供应链形成一定压力。</p>
<div class="share"><a href="#">分享到微博</a></div></div></body></html>"##;
    ([(header::CONTENT_TYPE, "text/html")], gbk(html)).into_response()
}

async fn slow(headers: HeaderMap, State(s): State<(Shared, String)>) -> Response {
    hit(&s.0, "/slow.xml", &headers);
    tokio::time::sleep(Duration::from_secs(6)).await;
    rss("Slow", &[], "").into_response()
}

async fn flaky(State(s): State<(Shared, String)>, headers: HeaderMap) -> Response {
    let (s, base) = s;
    hit(&s, "/flaky.xml", &headers);
    let fail = {
        let mut site = site(&s);
        let fail = site.flaky_failures > 0;
        site.flaky_failures = site.flaky_failures.saturating_sub(1);
        fail
    };
    if fail {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "120")],
            "down",
        )
            .into_response();
    }
    let items = vec![("flaky-1".to_string(), "Copper output recovers".to_string(), "Copper output recovered in Chile after the strike ended, miners said on Friday, and shipments resumed.".to_string())];
    rss("Flaky", &items, &base).into_response()
}

async fn busy() -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::RETRY_AFTER, "120")],
        "slow down",
    )
        .into_response()
}

async fn redirect_loop() -> Response {
    (StatusCode::FOUND, [(header::LOCATION, "/loop")]).into_response()
}

async fn big() -> Response {
    let mut body = rss("Big", &[], "");
    body.push_str(&" ".repeat(300_000));
    ([(header::CONTENT_TYPE, "application/rss+xml")], body).into_response()
}

async fn hook(State(s): State<(Shared, String)>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-dossier-signature")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let mut site = site(&s.0);
    if site.hook_failures > 0 {
        site.hook_failures -= 1;
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    site.hooks.push((body.to_vec(), sig));
    StatusCode::NO_CONTENT
}

/// Starts the fixture site on its own runtime thread; returns its base URL and its state.
fn start_site() -> (String, Shared) {
    let shared: Shared = Arc::new(Mutex::new(Site::default()));
    let listener =
        std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr: SocketAddr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let base = format!("http://{addr}");
    let state = (shared.clone(), base.clone());
    let app = Router::new()
        .route("/feed.xml", get(feed))
        .route("/article/{file}", get(article))
        .route("/gbk.xml", get(gbk_feed))
        .route("/gbk-page.html", get(gbk_page))
        .route("/slow.xml", get(slow))
        .route("/flaky.xml", get(flaky))
        .route("/loop", get(redirect_loop))
        .route("/busy.xml", get(busy))
        .route("/big.xml", get(big))
        .route("/hook", post(hook))
        .with_state(state);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("runtime: {e}"));
        rt.block_on(async move {
            listener
                .set_nonblocking(true)
                .unwrap_or_else(|e| panic!("{e}"));
            let listener =
                tokio::net::TcpListener::from_std(listener).unwrap_or_else(|e| panic!("{e}"));
            let _ = axum::serve(listener, app).await;
        });
    });
    (base, shared)
}

/// A dossier command for these tests: short timeouts, no pause between requests.
fn dossier_fast(dir: &Path) -> std::process::Command {
    let mut c = dossier(dir);
    c.env("DOSSIER_FETCH_TIMEOUT_SECS", "2")
        .env("DOSSIER_FETCH_HOST_DELAY_MS", "0")
        .env("DOSSIER_FETCH_MAX_BYTES", "100000")
        .env("DOSSIER_WEBHOOK_RETRY_MS", "50");
    c
}

fn item(guid: &str, title: &str, desc: &str) -> (String, String, String) {
    (guid.into(), title.into(), desc.into())
}

fn max_seq(dir: &Path) -> i64 {
    let conn =
        rusqlite::Connection::open(dir.join("dossier.db")).unwrap_or_else(|e| panic!("db: {e}"));
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM documents", [], |r| {
        r.get(0)
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn source<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no source {name} in {list}"))
}

#[test]
fn feeds_poll_politely_and_robustly() {
    let (base, site_state) = start_site();
    let long =
        "Lithium carbonate prices fell again this week as inventories at converters kept rising. "
            .repeat(6);
    site(&site_state).items = vec![item(
        "li-1",
        "Lithium slides again",
        &format!("<p>{long}</p><p>{long}</p><p>{long}</p>"),
    )];
    site(&site_state).flaky_failures = 1;
    let dir = tempdir();
    let d = dir.path();
    for (name, path) in [
        ("wire", "/feed.xml"),
        ("gbk", "/gbk.xml"),
        ("slow", "/slow.xml"),
        ("flaky", "/flaky.xml"),
        ("loop", "/loop"),
        ("big", "/big.xml"),
    ] {
        ok(dossier_fast(d).args([
            "source",
            "add",
            name,
            &format!("{base}{path}"),
            "--every",
            "1h",
        ]));
    }
    // Polled every second, but the server asks for two minutes: Retry-After wins.
    ok(dossier_fast(d).args([
        "source",
        "add",
        "busy",
        &format!("{base}/busy.xml"),
        "--every",
        "1s",
    ]));
    ok(dossier_fast(d).args(["workflow", "add", "lithium", "--query", "lithium"]));

    // One pass over every source: the broken ones fail, each with its own error, and the
    // others are stored regardless.
    let started = Instant::now();
    let report = json(dossier_fast(d).args(["poll", "--json"]));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a slow source held up the others: {:?}",
        started.elapsed()
    );
    let polls = report["polls"].as_array().cloned().unwrap_or_default();
    let poll = |name: &str| {
        polls
            .iter()
            .find(|p| p["source"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no poll of {name}: {report}"))
    };
    assert_eq!(
        (
            poll("wire")["new"].as_u64(),
            poll("wire")["error"].is_null()
        ),
        (Some(1), true),
        "{report}"
    );
    assert_eq!(poll("gbk")["new"], 1, "{report}");
    let error = |name: &str| poll(name)["error"].as_str().unwrap_or_default().to_string();
    assert!(error("slow").contains("timed out"), "{}", error("slow"));
    assert!(
        error("flaky").contains("503") && error("flaky").contains("try again later"),
        "{}",
        error("flaky")
    );
    assert!(
        error("loop").contains("more than 5 redirects"),
        "{}",
        error("loop")
    );
    assert!(
        error("big").contains("larger than 100000 bytes")
            && error("big").contains("sources.max_bytes"),
        "{}",
        error("big")
    );
    // The workflow ran on the new documents.
    let lithium = report["workflow_runs"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["workflow"] == "lithium"))
        .cloned();
    assert_eq!(
        lithium.map(|r| r["new_documents"].clone()),
        Some(serde_json::json!(["li-1"])),
        "{report}"
    );

    // The state says so: a failing source backs off (503 with Retry-After: 120, never sooner
    // than its hour), keeps its place, and shows its error.
    let list = json(dossier_fast(d).args(["source", "list", "--json"]));
    let flaky = source(&list, "flaky");
    assert_eq!(flaky["failures"], 1);
    assert!(
        flaky["last_success"].is_null()
            && flaky["last_error"]
                .as_str()
                .is_some_and(|e| e.contains("503"))
    );
    let busy = source(&list, "busy");
    let at = |field: &str| {
        chrono::DateTime::parse_from_rfc3339(busy[field].as_str().unwrap_or_default())
            .map(|t| t.timestamp())
            .unwrap_or(0)
    };
    assert!(
        at("next_poll") - at("last_poll") >= 120,
        "429 Retry-After: 120 not honoured: {busy}"
    );
    assert!(
        busy["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("429")),
        "{busy}"
    );
    let wire = source(&list, "wire");
    assert_eq!(
        (wire["items_seen"].as_u64(), wire["items_new"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(
        site(&site_state)
            .user_agents
            .iter()
            .all(|ua| ua.starts_with(&format!("dossier/{}", env!("CARGO_PKG_VERSION"))))
    );

    // The GBK feed and its GBK page decoded; the summary-only item got the page's text.
    let gbk_doc = json(dossier_fast(d).args(["show", "gbk-1", "--json"]));
    let text = gbk_doc["paragraphs"].to_string();
    assert!(
        text.contains("商务部发布公告")
            && text.contains("短期内对海外供应链")
            && !text.contains("分享"),
        "{gbk_doc}"
    );
    assert_eq!(gbk_doc["title"], "稀土出口管制新规发布");
    assert_eq!(gbk_doc["meta"]["text"], "page");

    // Unchanged feed: a 304, nothing written.
    let seq = max_seq(d);
    let again = json(dossier_fast(d).args(["source", "poll", "wire", "--json"]));
    assert_eq!(again["polls"][0]["not_modified"], true, "{again}");
    assert_eq!(max_seq(d), seq, "a 304 poll wrote documents");
    assert_eq!(site(&site_state).not_modified, 1);

    // A new item (summary only: its page's full text is fetched) reaches the store, the
    // workflow page and its Atom feed.
    site(&site_state).items.push(item(
        "li-2",
        "Lithium producers cut output",
        "Producers cut lithium output.",
    ));
    let third = json(dossier_fast(d).args(["source", "poll", "wire", "--json"]));
    assert_eq!(third["polls"][0]["new"], 1, "{third}");
    let doc = json(dossier_fast(d).args(["show", "li-2", "--json"]));
    assert!(
        doc["paragraphs"][0]
            .as_str()
            .is_some_and(|p| p.starts_with("Full text of li-2")),
        "{doc}"
    );
    assert!(
        !doc["paragraphs"].to_string().contains("Share on X")
            && !doc["paragraphs"].to_string().contains("Copper hits"),
        "{doc}"
    );
    let atom = ok(dossier_fast(d).args(["workflow", "show", "lithium", "--format", "atom"]));
    assert!(
        atom.contains("Lithium producers cut output")
            && atom
                .contains("<link rel=\"alternate\" type=\"text/html\" href=\"/documents/li-2\"/>"),
        "{atom}"
    );
    assert!(atom.contains("<summary>"), "{atom}");

    // 500 then recovery: polled again, the flaky source stores its item and clears its error.
    let recovered = json(dossier_fast(d).args(["source", "poll", "flaky", "--json"]));
    assert_eq!(
        (
            recovered["polls"][0]["new"].as_u64(),
            recovered["polls"][0]["error"].is_null()
        ),
        (Some(1), true),
        "{recovered}"
    );
    let list = json(dossier_fast(d).args(["source", "list", "--json"]));
    assert_eq!(
        (
            source(&list, "flaky")["failures"].as_u64(),
            source(&list, "flaky")["last_error"].is_null()
        ),
        (Some(0), true)
    );
    let text = ok(dossier_fast(d).args(["source", "list"]));
    assert!(
        text.contains("loop (feed, every 1h)")
            && text.contains("last error (1 failed poll): more than 5 redirects"),
        "{text}"
    );
}

#[test]
fn a_summary_whose_page_cannot_be_read_is_kept_and_marked() {
    let (base, site_state) = start_site();
    site(&site_state).items = vec![item("gone-1", "Nickel falls", "Nickel fell on Friday.")];
    let dir = tempdir();
    let d = dir.path();
    ok(dossier_fast(d).args([
        "source",
        "add",
        "wire",
        &format!("{base}/feed.xml"),
        "--source-label",
        "Metals Desk",
        "--lang",
        "en",
    ]));
    let out = ok(dossier_fast(d).args(["source", "poll", "wire"]));
    assert!(
        out.starts_with("wire: 1 item seen, 1 new, 0 updated; next poll "),
        "{out}"
    );
    let doc = json(dossier_fast(d).args(["show", "gone-1", "--json"]));
    assert_eq!(
        (doc["source"].as_str(), doc["lang"].as_str()),
        (Some("Metals Desk"), Some("en")),
        "{doc}"
    );
    assert_eq!(
        doc["paragraphs"],
        serde_json::json!(["Nickel fell on Friday."])
    );
    assert_eq!(doc["meta"]["text"], "summary");
    assert!(
        doc["meta"]["text_note"]
            .as_str()
            .is_some_and(|n| n.contains("404")),
        "{doc}"
    );
    let shown = ok(dossier_fast(d).args(["show", "gone-1"]));
    assert!(shown.contains("feed summary only"), "{shown}");
}

#[test]
fn bad_source_definitions_are_refused_with_the_fix() {
    let dir = tempdir();
    let d = dir.path();
    let o = run(dossier(d).args(["source", "add", "x", "ftp://example.org/feed"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("only http:// and https:// feeds can be polled"),
        "{}",
        stderr(&o)
    );
    let o = run(dossier(d).args([
        "source",
        "add",
        "x",
        "https://example.org/feed",
        "--every",
        "30",
    ]));
    assert!(stderr(&o).contains("like 30m or 2h"), "{}", stderr(&o));
    let o = run(dossier(d).args(["source", "poll", "nope"]));
    assert!(
        stderr(&o).contains("source (see `dossier source list`) not found: nope"),
        "{}",
        stderr(&o)
    );
    assert!(ok(dossier(d).args(["source", "list"])).contains("No sources yet"));
}

/// Waits until `check` holds, polling every 100 ms for at most `limit`.
fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn http_get(url: &str) -> String {
    reqwest::blocking::get(url)
        .and_then(|r| r.text())
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

#[test]
fn serve_polls_runs_workflows_and_notifies() {
    let (base, site_state) = start_site();
    site(&site_state).items = vec![item(
        "cu-1",
        "Copper rallies on supply worries",
        "Copper rallied.",
    )];
    // The receiver fails the first delivery once: it is retried.
    site(&site_state).hook_failures = 1;
    let dir = tempdir();
    let d = dir.path();
    ok(dossier_fast(d).args([
        "source",
        "add",
        "wire",
        &format!("{base}/feed.xml"),
        "--every",
        "1s",
    ]));
    ok(dossier_fast(d).args(["workflow", "add", "copper", "--query", "copper"]));
    ok(dossier_fast(d).args([
        "workflow",
        "webhook",
        "copper",
        "--url",
        &format!("{base}/hook"),
        "--secret",
        "s3cret",
    ]));
    let addr = free_addr();
    let server = Server(
        dossier_fast(d)
            .args(["serve", "--addr", &addr])
            .env("DOSSIER_POLL_TICK_SECS", "1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn serve: {e}")),
    );
    let hooked = |n: usize| site(&site_state).hooks.len() >= n;
    assert!(
        eventually(Duration::from_secs(20), || hooked(1)),
        "the first item never reached the webhook"
    );
    // A new item arrives: within a poll interval (plus the run) it is on the page, in the feed
    // and at the webhook.
    site(&site_state).items.push(item(
        "cu-2",
        "Copper smelters cut output",
        "Copper smelters cut output.",
    ));
    let arrived = Instant::now();
    assert!(
        eventually(Duration::from_secs(15), || hooked(2)),
        "the new item never reached the webhook"
    );
    assert!(
        arrived.elapsed() < Duration::from_secs(10),
        "took {:?}",
        arrived.elapsed()
    );
    let (body, sig) = site(&site_state).hooks[1].clone();
    assert_eq!(
        sig,
        Some(dossier::sources::webhook::signature("s3cret", &body))
    );
    let payload: Value =
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("webhook body: {e}"));
    assert_eq!(payload["workflow"], "copper");
    assert_eq!(payload["documents"][0]["id"], "cu-2", "{payload}");
    assert_eq!(payload["documents"][0]["link"], "/documents/cu-2");
    let page = http_get(&format!("http://{addr}/workflows/copper"));
    assert!(page.contains("Copper smelters cut output"), "{page}");
    let atom = http_get(&format!("http://{addr}/api/workflows/copper/feed.atom"));
    assert!(
        atom.contains("Copper smelters cut output") && atom.contains("href=\"/documents/cu-2\""),
        "{atom}"
    );
    drop(server);
    let log = ok(dossier(d).args(["workflow", "deliveries", "copper"]));
    assert!(
        log.contains(&format!(
            "→ {base}/hook: delivered after 1 attempt (HTTP 204)"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "→ {base}/hook: delivered after 2 attempts (HTTP 204)"
        )),
        "{log}"
    );
    // Each document was collected once, however many polls ran.
    let info = json(dossier(d).args(["workflow", "show", "copper", "--json"]));
    assert_eq!(info["documents"], 2, "{info}");
}
