//! ui: what does a person see in the browser?
//!
//! Server-rendered HTML pages: search (a box with filters and newest-first / relevance sort;
//! results with their digests), a document with its numbered paragraphs (citations `[n]` link
//! to `#pn`; assets/app.js scrolls there and highlights it), the list of workflows and a page
//! per workflow, each with the index's size and last ingest in the footer. Pages work offline:
//! the stylesheet and script are embedded in the binary, there are no external fonts, and no
//! inline script or style (the Content-Security-Policy forbids it). Every piece of document
//! text is escaped. This module must not compute search results or digests itself.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use crate::digest::{Digest, DocKind};
use crate::engine::format_when;
use crate::search::{SearchResults, Snippet, SortOrder};
use crate::workflow::html::{self as wh, encode_segment, escape, safe_url};
use crate::workflow::{self, Workflows};

use super::api::{digest_of, search_request};
use super::{ApiError, AppState, Footer};

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");
/// Results per page of the search UI.
const PAGE_SIZE: usize = 10;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(search_page))
        .route("/documents/{id}", get(document_page))
        .route("/workflows", get(workflows_page))
        .route("/workflows/{name}", get(workflow_page))
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

fn footer_html(f: Option<&Footer>) -> String {
    match f {
        Some(f) => format!(
            "<footer class=\"site\" id=\"footer\">Index: <span class=\"docs\">{}</span> documents · {:.1} MB · last ingest <time>{}</time></footer>",
            f.documents,
            f.index_bytes as f64 / 1e6,
            escape(&format_when(f.last_ingest))
        ),
        None => "<footer class=\"site\" id=\"footer\">Index figures unavailable</footer>".to_string(),
    }
}

/// The frame of every page. `title` and `head` must already be escaped.
fn layout(title: &str, head: &str, body: &str, footer: Option<&Footer>) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n\
         <link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"/assets/app.css\">\n{head}\
         <script src=\"/assets/app.js\" defer></script>\n</head>\n<body>\n\
         <nav class=\"top\"><a class=\"brand\" href=\"/\">dossier</a><a href=\"/\">Search</a><a href=\"/workflows\">Workflows</a></nav>\n\
         <main class=\"page\">\n{body}\n</main>\n{}\n</body>\n</html>\n",
        footer_html(footer)
    )
}

async fn page(state: &AppState, status: StatusCode, title: &str, head: &str, body: &str) -> Response {
    let footer = state.footer().await.ok();
    (status, Html(layout(&escape(title), head, body, footer.as_ref()))).into_response()
}

fn error_body(e: &ApiError) -> String {
    format!(
        "<p class=\"error\" data-code=\"{}\">{}</p>",
        escape(e.code),
        escape(&e.message)
    )
}

pub(super) fn not_found_page(path: &str) -> Response {
    let body = format!(
        "<h1>Not found</h1><p class=\"error\">Nothing at <code>{}</code>.</p>",
        escape(path)
    );
    (
        StatusCode::NOT_FOUND,
        Html(layout("Not found · dossier", "", &body, None)),
    )
        .into_response()
}

/// The snippet with its matched words in `<mark>`, escaped.
fn snippet_html(s: &Snippet) -> String {
    let chars: Vec<char> = s.text.chars().collect();
    let mut out = String::new();
    let mut pos = 0;
    let piece = |from: usize, to: usize| escape(&chars[from..to].iter().collect::<String>());
    for [start, end] in &s.highlights {
        let (start, end) = ((*start).min(chars.len()), (*end).min(chars.len()));
        if start < pos || end < start {
            continue;
        }
        out.push_str(&piece(pos, start));
        let _ = write!(out, "<mark>{}</mark>", piece(start, end));
        pos = end;
    }
    out.push_str(&piece(pos, chars.len()));
    out
}

fn search_form(params: &[(String, String)]) -> String {
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let selected = |k: &str, v: &str, default: bool| {
        let cur = get(k);
        if cur == v || (cur.is_empty() && default) {
            " selected"
        } else {
            ""
        }
    };
    format!(
        "<form class=\"search\" method=\"get\" action=\"/\" role=\"search\">\
         <input type=\"search\" name=\"q\" value=\"{q}\" placeholder=\"稀土供应链, \"export controls\", 稀土 OR 锂 -镓\" aria-label=\"Search\" autofocus>\
         <select name=\"sort\" aria-label=\"Order\"><option value=\"newest\"{s_new}>Newest first</option><option value=\"relevance\"{s_rel}>Relevance</option></select>\
         <button type=\"submit\">Search</button>\
         <div class=\"filters\">\
         <label>Source <input type=\"text\" name=\"source\" value=\"{source}\"></label>\
         <label>Language <select name=\"lang\"><option value=\"\"{l_any}>any</option><option value=\"zh\"{l_zh}>中文</option><option value=\"en\"{l_en}>English</option></select></label>\
         <label>Since <input type=\"date\" name=\"since\" value=\"{since}\"></label>\
         <label>Until <input type=\"date\" name=\"until\" value=\"{until}\"></label>\
         <label>Match <select name=\"match\"><option value=\"all\"{m_all}>all words</option><option value=\"any\"{m_any}>any word</option></select></label>\
         </div></form>",
        q = escape(get("q")),
        s_new = selected("sort", "newest", true),
        s_rel = selected("sort", "relevance", false),
        source = escape(get("source")),
        l_any = selected("lang", "", true),
        l_zh = selected("lang", "zh", false),
        l_en = selected("lang", "en", false),
        since = escape(get("since")),
        until = escape(get("until")),
        m_all = selected("match", "all", true),
        m_any = selected("match", "any", false),
    )
}

/// The query string of the search with another page number.
fn page_link(params: &[(String, String)], page: usize) -> String {
    let mut out = String::from("/?");
    for (k, v) in params.iter().filter(|(k, v)| k != "page" && !v.is_empty()) {
        let _ = write!(out, "{}={}&", encode_segment(k), encode_segment(v));
    }
    let _ = write!(out, "page={page}");
    out
}

async fn search_page(State(state): State<AppState>, Query(params): Query<Vec<(String, String)>>) -> Response {
    let form = search_form(&params);
    let has_query = params.iter().any(|(k, v)| k == "q" && !v.trim().is_empty());
    if !has_query {
        let workflows = state
            .read(|r| Workflows::open(r.store)?.list())
            .await
            .unwrap_or_default();
        let mut body = format!(
            "{form}<p class=\"summary\">All words must match; “quoted phrases”, OR and -exclusion work as in <code>dossier search</code>.</p>"
        );
        if !workflows.is_empty() {
            body.push_str("<h2>Workflows</h2><ul class=\"workflows\">");
            for w in &workflows {
                let _ = write!(
                    body,
                    "<li><a href=\"/workflows/{}\">{}</a> <span class=\"meta\">{} documents</span></li>",
                    encode_segment(&w.workflow.name),
                    escape(&w.workflow.name),
                    w.documents
                );
            }
            body.push_str("</ul>");
        }
        return page(&state, StatusCode::OK, "dossier", "", &body).await;
    }
    let pageno: usize = match params
        .iter()
        .find(|(k, _)| k == "page")
        .map(|(_, v)| v.trim().parse::<usize>())
    {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            let e = ApiError::bad_request("page must be a number from 1");
            return page(&state, e.status, "Search · dossier", "", &(form + &error_body(&e))).await;
        }
    };
    let request = search_request(&params, &["page"]).map(|mut r| {
        r.limit = PAGE_SIZE;
        r.offset = (pageno - 1) * PAGE_SIZE;
        r
    });
    let request = match request {
        Ok(r) if r.offset <= super::api::MAX_OFFSET => r,
        Ok(_) => {
            let e = ApiError::bad_request("that page is past the deepest one shown; narrow the search");
            return page(&state, e.status, "Search · dossier", "", &(form + &error_body(&e))).await;
        }
        Err(e) => return page(&state, e.status, "Search · dossier", "", &(form + &error_body(&e))).await,
    };
    let title = format!("{} · dossier", request.query);
    let results = match state
        .read(move |r| crate::search::search(r.index, r.store, &request))
        .await
    {
        Ok(r) => r,
        Err(e) => return page(&state, e.status, &title, "", &(form + &error_body(&e))).await,
    };
    let digests = digests_for(&state, &results).await;
    let body = form + &results_html(&results, &digests, &params, pageno);
    page(&state, StatusCode::OK, &title, "", &body).await
}

/// Digests of the hits: stored ones, and for the rest extractive ones made now (and stored,
/// so the next search is quick). A digest that cannot be made leaves the snippet in its place.
async fn digests_for(state: &AppState, results: &SearchResults) -> Vec<Option<Digest>> {
    let ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    let n = ids.len();
    match state.digests(ids).await {
        Ok(made) => made
            .into_iter()
            .map(|d| match d {
                Some(Ok(d)) => Some(d),
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "could not make a digest for a search result");
                    None
                }
                None => None,
            })
            .collect(),
        Err(_) => vec![None; n],
    }
}

fn results_html(r: &SearchResults, digests: &[Option<Digest>], params: &[(String, String)], pageno: usize) -> String {
    let mut out = String::new();
    if r.hits.is_empty() {
        let _ = write!(
            out,
            "<p class=\"summary\">No documents match <q>{}</q>.</p>",
            escape(&r.query)
        );
        return out;
    }
    let _ = write!(
        out,
        "<p class=\"summary\" id=\"summary\">{}–{} of <span class=\"total\">{}</span> documents matching <q>{}</q>, {}</p><div id=\"results\">",
        r.offset + 1,
        r.offset + r.hits.len(),
        r.total,
        escape(&r.query),
        match r.sort {
            SortOrder::Newest => "newest first",
            SortOrder::Relevance => "by relevance",
        }
    );
    for (hit, digest) in r.hits.iter().zip(digests) {
        let href = format!("/documents/{}", encode_segment(&hit.id));
        out.push_str("<article class=\"doc result\">");
        out.push_str(&wh::entry_head(
            &hit.title,
            Some(&href),
            &hit.source,
            &format_when(hit.published_at),
        ));
        // As on the seed pages, a result reads as its digest; a document too short for one
        // shows the snippet with the matched words instead.
        match digest
            .as_ref()
            .filter(|d| d.kind != DocKind::Excerpt && !d.sections.is_empty())
        {
            Some(d) => {
                let cite = |n: usize| Some(format!("{href}#p{n}"));
                out.push_str(&wh::digest_html(d, &cite));
            }
            None => {
                let _ = write!(out, "<p class=\"snippet\">{}</p>", snippet_html(&hit.snippet));
            }
        }
        if let Some(of) = &hit.duplicate_of {
            let _ = write!(
                out,
                "<p class=\"meta\">Same text as <a href=\"/documents/{}\">{}</a></p>",
                encode_segment(of),
                escape(of)
            );
        }
        out.push_str("</article>");
    }
    out.push_str("</div><div class=\"pager\">");
    if pageno > 1 {
        let _ = write!(
            out,
            "<a rel=\"prev\" href=\"{}\">← Newer / previous</a>",
            escape(&page_link(params, pageno - 1))
        );
    } else {
        out.push_str("<span></span>");
    }
    if r.offset + r.hits.len() < r.total && r.offset + PAGE_SIZE <= super::api::MAX_OFFSET {
        let _ = write!(
            out,
            "<a rel=\"next\" href=\"{}\">Next →</a>",
            escape(&page_link(params, pageno + 1))
        );
    }
    out.push_str("</div>");
    out
}

async fn document_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let lookup = id.clone();
    let stored = match state
        .read(move |r| {
            r.store.get(&lookup)?.ok_or(crate::Error::NotFound {
                what: "document",
                name: lookup,
            })
        })
        .await
    {
        Ok(d) => d,
        Err(e) => return page(&state, e.status, "Not found · dossier", "", &error_body(&e)).await,
    };
    let digest = match digest_of(&state, id).await {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::warn!(doc = %stored.doc.id, error = %e.message, "document page without digest");
            None
        }
    };
    let d = &stored.doc;
    let mut body = String::from("<article class=\"document\">");
    let _ = write!(
        body,
        "<h1>{}</h1><div class=\"meta\"><span class=\"source\">{}</span> · <time>{}</time> · <code>{}</code>",
        escape(&d.title),
        escape(&d.source),
        escape(&format_when(d.published_at)),
        escape(&d.id)
    );
    if let Some(url) = d.url.as_deref().and_then(safe_url) {
        let _ = write!(
            body,
            " · <a href=\"{}\" rel=\"noopener noreferrer nofollow\">original</a>",
            escape(url)
        );
    }
    body.push_str("</div>");
    if let Some(of) = &stored.duplicate_of {
        let _ = write!(
            body,
            "<p class=\"meta\">Same text as <a href=\"/documents/{}\">{}</a></p>",
            encode_segment(of),
            escape(of)
        );
    }
    match &digest {
        Some(g) => body.push_str(&wh::digest_html(g, &|n| Some(format!("#p{n}")))),
        None => body.push_str("<p class=\"nodigest\">No digest could be made for this document.</p>"),
    }
    let _ = write!(body, "<h2 class=\"text\">Text · {} paragraphs</h2>", d.paragraphs.len());
    body.push_str(&wh::paragraphs_html(&d.paragraphs, ""));
    body.push_str("</article>");
    page(&state, StatusCode::OK, &format!("{} · dossier", d.title), "", &body).await
}

async fn workflows_page(State(state): State<AppState>) -> Response {
    let list = match state.read(|r| Workflows::open(r.store)?.list()).await {
        Ok(l) => l,
        Err(e) => return page(&state, e.status, "Workflows · dossier", "", &error_body(&e)).await,
    };
    let mut body = String::from("<h1>Workflows</h1>");
    if list.is_empty() {
        body.push_str("<p class=\"empty\">No workflows yet: add one with <code>dossier workflow add NAME --query …</code> or POST /api/workflows.</p>");
    } else {
        body.push_str("<table class=\"list\"><thead><tr><th>Workflow</th><th>Query</th><th>Documents</th><th>Last run</th></tr></thead><tbody>");
        for w in &list {
            let _ = write!(
                body,
                "<tr><td><a href=\"/workflows/{}\">{}</a></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                encode_segment(&w.workflow.name),
                escape(&w.workflow.name),
                escape(&w.workflow.query),
                w.documents,
                escape(
                    &w.last_run
                        .as_ref()
                        .map(|r| format_when(Some(r.ran_at)))
                        .unwrap_or_else(|| "never".into())
                )
            );
        }
        body.push_str("</tbody></table>");
    }
    page(&state, StatusCode::OK, "Workflows · dossier", "", &body).await
}

async fn workflow_page(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let lookup = name.clone();
    let wf_page = match state
        .read(move |r| Workflows::open(r.store)?.page(&lookup, workflow::DEFAULT_PAGE_LIMIT))
        .await
    {
        Ok(p) => p,
        Err(e) => return page(&state, e.status, "Workflow · dossier", "", &error_body(&e)).await,
    };
    let feed = format!("/api/workflows/{}/feed.atom", encode_segment(&name));
    let head = format!(
        "<link rel=\"alternate\" type=\"application/atom+xml\" title=\"{}\" href=\"{}\">\n",
        escape(&name),
        escape(&feed)
    );
    let mut body = wh::page_body(&wf_page, &wh::Links::Server { prefix: "" });
    let _ = write!(
        body,
        "<p class=\"meta\"><a href=\"{}\">Atom feed</a> · <a href=\"/api/workflows/{}/page\">JSON</a></p>",
        escape(&feed),
        encode_segment(&name)
    );
    page(&state, StatusCode::OK, &format!("{name} · dossier"), &head, &body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mark_matches_and_escape_the_rest() {
        let s = Snippet {
            text: "<b>稀土</b>出口".into(),
            highlights: vec![[3, 5]],
        };
        assert_eq!(snippet_html(&s), "&lt;b&gt;<mark>稀土</mark>&lt;/b&gt;出口");
    }
}
