//! ui: what does a person see in the browser?
//!
//! Server-rendered HTML pages: search (a box with filters and newest-first / relevance sort;
//! results with their digests), a document with its numbered paragraphs (citations `[n]` link
//! to `#pn`; assets/app.js scrolls there and highlights it), the list of workflows and a page
//! per workflow (with Run, Edit and Delete for a logged-in browser, and its new documents
//! marked: `manage.rs`), each with the index's size and last ingest in the footer. Pages work offline:
//! the stylesheet and script are embedded in the binary, there are no external fonts, and no
//! inline script or style (the Content-Security-Policy forbids it). Pages are `maud` templates,
//! so every piece of document text is escaped by construction. The chrome is English; a page
//! showing one document (or a workflow's documents) is in their language, and every document
//! title, digest and paragraph carries its own `lang`. This module must not compute search
//! results or digests itself.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use maud::{DOCTYPE, Markup, html};

use crate::digest::{Digest, DocKind};
use crate::document::{Document, Lang};
use crate::engine::{format_published, format_when};
use crate::search::{SearchResults, Snippet, SortOrder};
use crate::workflow::html::{self as wh, chrome_lang, encode_segment, safe_url};
use crate::workflow::{self, Workflows};

use super::api::search_request;
use super::{ApiError, AppState, Footer, manage, session};

const APP_CSS: &str = include_str!("assets/app.css");
const APP_JS: &str = include_str!("assets/app.js");
const MANAGE_CSS: &str = include_str!("assets/manage.css");
/// Results per page of the search UI.
const PAGE_SIZE: usize = 10;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(search_page))
        .route("/documents/{id}", get(document_page))
        .route("/stories/{id}", get(story_page))
        .route("/workflows", get(workflows_page))
        .route("/workflows/{name}", get(workflow_page))
        .route(
            "/assets/app.css",
            get(|| async { asset("text/css; charset=utf-8", APP_CSS) }),
        )
        .route(
            "/assets/manage.css",
            get(|| async { asset("text/css; charset=utf-8", MANAGE_CSS) }),
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

/// The example queries shown in the empty search box.
const PLACEHOLDER: &str = "稀土供应链, \"export controls\", 稀土 OR 锂 -镓";

fn footer_html(f: Option<&Footer>, chrome: Option<&str>) -> Markup {
    html! {
        footer.site #footer lang=[chrome] {
            @match f {
                Some(f) => {
                    "Index: " span.docs { (f.documents) } " documents · "
                    (format!("{:.1}", f.index_bytes as f64 / 1e6)) " MB · last ingest "
                    time { (format_when(f.last_ingest)) }
                }
                None => "Index figures unavailable",
            }
        }
    }
}

/// The frame of every page, in `lang` (the English chrome is marked `en` when that differs).
fn layout(lang: Lang, title: &str, head: Markup, body: Markup, footer: Option<&Footer>) -> Markup {
    let chrome = chrome_lang(lang);
    html! {
        (DOCTYPE)
        html lang=(lang.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/assets/app.css";
                link rel="stylesheet" href="/assets/manage.css";
                (head)
                script src="/assets/app.js" defer {}
            }
            body {
                nav.top lang=[chrome] {
                    a.brand href="/" { "dossier" }
                    a href="/" { "Search" }
                    a href="/workflows" { "Workflows" }
                    a href="/sources" { "Sources" }
                    a.account href="/login" { "Account" }
                }
                main.page { (body) }
                (footer_html(footer, chrome))
            }
        }
    }
}

/// A page of the UI in English chrome; [`page_in`] for pages in a document's language.
pub(super) async fn page(state: &AppState, status: StatusCode, title: &str, head: Markup, body: Markup) -> Response {
    page_in(state, Lang::En, status, title, head, body).await
}

async fn page_in(state: &AppState, lang: Lang, status: StatusCode, title: &str, head: Markup, body: Markup) -> Response {
    let footer = state.footer().await.ok();
    (status, Html(layout(lang, title, head, body, footer.as_ref()).into_string())).into_response()
}

pub(super) fn error_body(e: &ApiError) -> Markup {
    html! { p.error data-code=(e.code) { (e.message) } }
}

pub(super) fn not_found_page(path: &str) -> Response {
    let body = html! {
        h1 { "Not found" }
        p.error { "Nothing at " code { (path) } "." }
    };
    (
        StatusCode::NOT_FOUND,
        Html(layout(Lang::En, "Not found · dossier", html! {}, body, None).into_string()),
    )
        .into_response()
}

/// The snippet with its matched words in `<mark>`.
fn snippet_html(s: &Snippet) -> Markup {
    let chars: Vec<char> = s.text.chars().collect();
    let piece = |from: usize, to: usize| chars[from..to].iter().collect::<String>();
    // (text, marked) in order; highlights are character offsets into the text.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut pos = 0;
    for [start, end] in &s.highlights {
        let (start, end) = ((*start).min(chars.len()), (*end).min(chars.len()));
        if start < pos || end < start {
            continue;
        }
        pieces.push((piece(pos, start), false));
        pieces.push((piece(start, end), true));
        pos = end;
    }
    pieces.push((piece(pos, chars.len()), false));
    html! {
        @for (text, marked) in &pieces {
            @if *marked { mark { (text) } } @else { (text) }
        }
    }
}

fn search_form(params: &[(String, String)]) -> Markup {
    let get = |k: &str| {
        params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let selected = |k: &str, v: &str, default: bool| {
        let cur = get(k);
        cur == v || (cur.is_empty() && default)
    };
    html! {
        form.search method="get" action="/" role="search" {
            input type="search" name="q" value=(get("q")) placeholder=(PLACEHOLDER) aria-label="Search" autofocus;
            select name="sort" aria-label="Order" {
                option value="newest" selected[selected("sort", "newest", true)] { "Newest first" }
                option value="relevance" selected[selected("sort", "relevance", false)] { "Relevance" }
            }
            button type="submit" { "Search" }
            div.filters {
                label { "Source " input type="text" name="source" value=(get("source")); }
                label {
                    "Language "
                    select name="lang" {
                        option value="" selected[selected("lang", "", true)] { "any" }
                        option value="zh" lang="zh" selected[selected("lang", "zh", false)] { "中文" }
                        option value="en" selected[selected("lang", "en", false)] { "English" }
                    }
                }
                label { "Since " input type="date" name="since" value=(get("since")); }
                label { "Until " input type="date" name="until" value=(get("until")); }
                label {
                    "Match "
                    select name="match" {
                        option value="all" selected[selected("match", "all", true)] { "all words" }
                        option value="any" selected[selected("match", "any", false)] { "any word" }
                    }
                }
                label {
                    "Title-only items "
                    select name="title_only" {
                        option value="show" selected[selected("title_only", "show", true)] { "show" }
                        option value="hide" selected[selected("title_only", "hide", false)] { "hide" }
                    }
                }
            }
        }
    }
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
            .read(|r| Workflows::open(r.engine.store())?.list())
            .await
            .unwrap_or_default();
        let body = html! {
            (form)
            p.summary { "All words must match; “quoted phrases”, OR and -exclusion work as in " code { "dossier search" } "." }
            @if !workflows.is_empty() {
                h2 { "Workflows" }
                ul.workflows {
                    @for w in &workflows {
                        li {
                            a href={ "/workflows/" (encode_segment(&w.workflow.name)) } { (w.workflow.name) }
                            " "
                            span.meta { (w.documents) " documents" }
                        }
                    }
                }
            }
        };
        return page(&state, StatusCode::OK, "dossier", html! {}, body).await;
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
            return page(&state, e.status, "Search · dossier", html! {}, html! { (form) (error_body(&e)) }).await;
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
            return page(&state, e.status, "Search · dossier", html! {}, html! { (form) (error_body(&e)) }).await;
        }
        Err(e) => return page(&state, e.status, "Search · dossier", html! {}, html! { (form) (error_body(&e)) }).await,
    };
    let title = format!("{} · dossier", request.query);
    let results = match state
        .read(move |r| r.engine.search_now(&request))
        .await
    {
        Ok(r) => r,
        Err(e) => return page(&state, e.status, &title, html! {}, html! { (form) (error_body(&e)) }).await,
    };
    let digests = digests_for(&state, &results).await;
    let body = html! { (form) (results_html(&results, &digests, &params, pageno)) };
    page(&state, StatusCode::OK, &title, html! {}, body).await
}

/// Digests of the hits: stored ones, and for the rest extractive ones made now (and stored,
/// so the next search is quick). A digest that cannot be made leaves the snippet in its place.
async fn digests_for(state: &AppState, results: &SearchResults) -> Vec<Option<Digest>> {
    // Title-only hits have nothing to digest: they are not asked for one.
    let ids: Vec<String> = results.hits.iter().filter(|h| !h.title_only).map(|h| h.id.clone()).collect();
    let n = ids.len();
    let made = match state.digests(ids).await {
        Ok(made) => made
            .into_iter()
            .map(|d| match d {
                Ok(d) => Some(d),
                Err(e) => {
                    tracing::warn!(error = %e, "could not make a digest for a search result");
                    None
                }
            })
            .collect(),
        Err(_) => vec![None; n],
    };
    let mut made = made.into_iter();
    results.hits.iter().map(|h| if h.title_only { None } else { made.next().flatten() }).collect()
}

fn results_html(r: &SearchResults, digests: &[Option<Digest>], params: &[(String, String)], pageno: usize) -> Markup {
    if r.hits.is_empty() {
        return html! { p.summary { "No documents match " q { (r.query) } "." } };
    }
    let order = match r.sort {
        SortOrder::Newest => "newest first",
        SortOrder::Relevance => "by relevance",
    };
    let has_next = r.offset + r.hits.len() < r.total && r.offset + PAGE_SIZE <= super::api::MAX_OFFSET;
    html! {
        p.summary #summary {
            (r.offset + 1) "–" (r.offset + r.hits.len()) " of " span.total { (r.total) }
            " documents matching " q { (r.query) } ", " (order)
            @if r.title_only_hidden {
                " · title-only items hidden"
            } @else if r.title_only > 0 {
                " · " (r.title_only) " of these title only"
            }
        }
        div #results {
            @for (hit, digest) in r.hits.iter().zip(digests) {
                @let href = format!("/documents/{}", encode_segment(&hit.id));
                @if hit.title_only {
                    article.doc.result.title-only lang=(hit.lang.as_str()) {
                        (wh::title_only_line(&hit.title, Some(&href), &hit.source_label(), &format_published(hit.published_at, hit.published_precision), chrome_lang(hit.lang)))
                    }
                } @else {
                article.doc.result lang=(hit.lang.as_str()) {
                    (wh::entry_head(&hit.title, Some(&href), &hit.source_label(), &format_published(hit.published_at, hit.published_precision)))
                    @if hit.imported { (wh::imported_label(chrome_lang(hit.lang))) }
                    // As on the seed pages, a result reads as its digest; a document too short
                    // for one shows the snippet with the matched words instead.
                    @match digest.as_ref().filter(|d| d.kind != DocKind::Excerpt && !d.sections.is_empty()) {
                        Some(d) if hit.imported => (wh::imported_digest_html(d)),
                        Some(d) => (wh::digest_html(d, &|n| Some(format!("{href}#p{n}")))),
                        None => p.snippet { (snippet_html(&hit.snippet)) },
                    }
                    @if let Some(of) = &hit.duplicate_of {
                        p.meta lang=[chrome_lang(hit.lang)] {
                            "Same text as " a href={ "/documents/" (encode_segment(of)) } { (of) }
                        }
                    }
                    (wh::story_sources(hit.story, &hit.also, &wh::Links::Server { prefix: "" }))
                }
                }
            }
        }
        div.pager {
            @if pageno > 1 {
                a rel="prev" href=(page_link(params, pageno - 1)) { "← Newer / previous" }
            } @else {
                span {}
            }
            @if has_next {
                a rel="next" href=(page_link(params, pageno + 1)) { "Next →" }
            }
        }
    }
}

async fn document_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<super::api::DigestQuery>,
) -> Response {
    let lookup = id.clone();
    let stored = match state
        .read(move |r| {
            r.engine.store().get(&lookup)?.ok_or(crate::Error::NotFound {
                what: "document",
                name: lookup,
            })
        })
        .await
    {
        Ok(d) => d,
        Err(e) => return page(&state, e.status, "Not found · dossier", html! {}, error_body(&e)).await,
    };
    let (digest, families) = match state.digest_as(id, q.summarizer).await {
        Ok((d, families)) => (Some(d), families),
        // A title-only item has no digest by design; its page says so below.
        Err(_) if stored.doc.is_title_only() => (None, Vec::new()),
        Err(e) => {
            tracing::warn!(doc = %stored.doc.id, error = %e.message, "document page without digest");
            (None, Vec::new())
        }
    };
    let d = &stored.doc;
    let toggle = digest.as_ref().map(|g| digest_toggle(&d.id, g, &families));
    let body = document_html(d, stored.duplicate_of.as_deref(), digest.as_ref(), toggle);
    page_in(&state, d.lang, StatusCode::OK, &format!("{} · dossier", d.title), html! {}, body).await
}

/// Which summarizer made the shown digest, and links to the document's other stored digests
/// (an LLM digest and the extractive one are both kept).
fn digest_toggle(id: &str, shown: &Digest, families: &[String]) -> Markup {
    let shown_family = crate::store::family_of(&shown.summarizer);
    html! {
        p.digest-by lang="en" {
            "Digest by " (shown.summarizer)
            @for f in families.iter().filter(|f| f.as_str() != shown_family) {
                " · " a href={ "/documents/" (encode_segment(id)) "?summarizer=" (f) } { "show the " (f) " digest" }
            }
        }
    }
}

/// A link to paragraph `n` of document `id`.
fn doc_href(id: &str, n: usize) -> String {
    format!("/documents/{}#p{n}", encode_segment(id))
}

/// One line of a story page's claim ledger: the measure, each value with its sources, a conflict
/// flagged.
fn ledger_item(figures: &[crate::stories::figures::Figure], line: &crate::stories::figures::Line) -> Markup {
    html! {
        @let group = match line { crate::stories::figures::Line::Conflict(g) => g.clone(), crate::stories::figures::Line::Agreed(i) => vec![*i] };
        li.disputed[group.len() > 1] {
            (crate::stories::figures::labelled(&crate::stories::figures::line_label(figures, line)))
            @for (k, &i) in group.iter().enumerate() {
                @if k > 0 { " ≠ " }
                strong { (figures[i].raw) }
                @for (j, d) in figures[i].docs().into_iter().enumerate() {
                    @if j > 0 { "," }
                    " " span.cite {
                        (d) " "
                        @for c in figures[i].sources.iter().filter(|c| c.doc == d) { a href=(doc_href(d, c.paragraph)) { "[" (c.paragraph) "]" } }
                    }
                }
            }
            @if group.len() > 1 { " " span.label { "sources disagree" } }
        }
    }
}

/// A story: its digest cited to member and paragraph, then every member with source, time and
/// the paragraphs it alone has.
async fn story_page(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let built = state
        .read(move |r| {
            let n = id.parse::<i64>().map_err(|_| crate::Error::NotFound { what: "story", name: id.clone() })?;
            crate::stories::page::build(r.engine.store(), n)
        })
        .await;
    let p = match built {
        Ok(p) => p,
        Err(e) => return page(&state, e.status, "Not found · dossier", html! {}, error_body(&e)).await,
    };
    let body = html! {
        article.story {
            div.kicker { "Story " (p.id) " · " (p.size) @if p.size == 1 { " source" } @else { " sources" } }
            h1 { (p.title) }
            h2 { "Digest" }
            @if p.digest.is_empty() { p { (crate::stories::page::NO_DIGEST) } }
            ul.digest {
                @for b in &p.digest {
                    li {
                        (b.text) " "
                        span.cite {
                            (b.doc) " "
                            @for n in &b.paragraphs { a href=(doc_href(&b.doc, *n)) { "[" (n) "]" } }
                        }
                    }
                }
            }
            @let (shared, one_source) = crate::stories::figures::page_lines(&p.figures, p.size);
            @if !shared.is_empty() || !one_source.is_empty() {
                // The claim ledger, disagreements first: what the analyst checks before quoting;
                // what only one copy states apart, folded.
                h2 { "Figures" }
                ul.ledger {
                    @for line in &shared { (ledger_item(&p.figures, line)) }
                }
                @if !one_source.is_empty() {
                    details.one-source {
                        summary { (one_source.len()) " figure" @if one_source.len() != 1 { "s" } " one source alone states" }
                        ul.ledger {
                            @for line in &one_source { (ledger_item(&p.figures, line)) }
                        }
                    }
                }
            }
            h2 { "Sources" }
            ol.members {
                @for m in &p.members {
                    li.member {
                        a href={ "/documents/" (encode_segment(&m.member.id)) } { (m.member.title) }
                        div.meta { span.source { (m.member.source) } " · " time { (m.when) } " · " code { (m.member.id) } }
                        @if !m.adds.is_empty() {
                            details.adds {
                                summary { "Adds " (m.adds.len()) @if m.adds.len() == 1 { " paragraph" } @else { " paragraphs" } " no other source has" }
                                @for a in &m.adds {
                                    p { a href=(doc_href(&m.member.id, a.paragraph)) { "[" (a.paragraph) "]" } " " (a.text) }
                                }
                            }
                        } @else if p.size > 1 {
                            p.meta { "Adds nothing the others lack." }
                        }
                    }
                }
            }
        }
    };
    page(&state, StatusCode::OK, &format!("{} · story · dossier", p.title), html! {}, body).await
}

/// A document page's body: title, `source · time · id` (and the original, if it is an http(s)
/// URL), the digest with citations to `#pn`, the numbered paragraphs. In the document's language.
fn document_html(d: &Document, duplicate_of: Option<&str>, digest: Option<&Digest>, toggle: Option<Markup>) -> Markup {
    let chrome = chrome_lang(d.lang);
    html! {
        article.document lang=(d.lang.as_str()) {
            h1 { (d.title) }
            div.meta {
                span.source { (d.source_label()) } " · " time { (format_published(d.published_at, d.published_precision)) } " · " code { (d.id) }
                @if let Some(url) = d.url.as_deref().and_then(safe_url) {
                    " · " a href=(url) rel="noopener noreferrer nofollow" lang=[chrome] { "original" }
                }
            }
            @if let Some(of) = duplicate_of {
                p.meta lang=[chrome] { "Same text as " a href={ "/documents/" (encode_segment(of)) } { (of) } }
            }
            @if d.is_imported() { (wh::imported_label(chrome)) }
            @if let Some(t) = toggle { (t) }
            @match digest {
                Some(g) if d.is_imported() => (wh::imported_digest_html(g)),
                Some(g) => (wh::digest_html(g, &|n| Some(format!("#p{n}")))),
                None if d.is_title_only() => p.nodigest lang=[chrome] { "Title only: this item holds nothing but its headline, so it has no digest." },
                None => p.nodigest lang=[chrome] { "No digest could be made for this document." },
            }
            h2.text lang=[chrome] { "Text · " (d.paragraphs.len()) " paragraphs" }
            (wh::paragraphs_html(&d.paragraphs, ""))
        }
    }
}

async fn workflows_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = state.sessions().get(&headers);
    let list = match state.read(|r| Workflows::open(r.engine.store())?.list()).await {
        Ok(l) => l,
        Err(e) => return page(&state, e.status, "Workflows · dossier", html! {}, error_body(&e)).await,
    };
    let body = html! {
        h1 { "Workflows" }
        @if session.is_some() { p { a #add-workflow href="/manage/workflows/new" { "Add a workflow" } } }
        @if list.is_empty() {
            p.empty { "No workflows yet: add one with " code { "dossier workflow add NAME --query …" } " or POST /api/workflows." }
        } @else {
            table.list {
                thead { tr { th { "Workflow" } th { "Query" } th { "Documents" } th { "Last run" } } }
                tbody {
                    @for w in &list {
                        tr {
                            td { a href={ "/workflows/" (encode_segment(&w.workflow.name)) } { (w.workflow.name) } }
                            td { code { (w.workflow.query) } }
                            td { (w.documents) }
                            td {
                                @match &w.last_run {
                                    Some(r) => (format_when(Some(r.ran_at))),
                                    None => "never",
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&state, StatusCode::OK, "Workflows · dossier", html! {}, body).await
}

async fn workflow_page(State(state): State<AppState>, headers: HeaderMap, Path(name): Path<String>) -> Response {
    let lookup = name.clone();
    let wf_page = match state
        .read(move |r| Workflows::open(r.engine.store())?.page(&lookup, workflow::DEFAULT_PAGE_LIMIT))
        .await
    {
        Ok(p) => p,
        Err(e) => return page(&state, e.status, "Workflow · dossier", html! {}, error_body(&e)).await,
    };
    let segment = encode_segment(&name);
    let feed = format!("/api/workflows/{segment}/feed.atom");
    let head = html! { link rel="alternate" type="application/atom+xml" title=(name) href=(feed); };
    let lang = wh::page_lang(&wf_page);
    let chrome = chrome_lang(lang);
    // A logged-in browser sees the controls and what arrived since its last visit (when it
    // opened this page before: the `dossier_seen` cookie).
    let login = state.sessions().get(&headers);
    let new_since = login.as_ref().and_then(|_| session::last_seen(&headers, &name)).and_then(|t| DateTime::from_timestamp(t, 0));
    let new = new_since.map_or(0, |t| wf_page.entries.iter().filter(|e| e.added_at >= t).count());
    let body = html! {
        @if let Some(s) = &login { (manage::workflow_controls(&name, s, new, new_since)) }
        (wh::page_body_marking(&wf_page, &wh::Links::Server { prefix: "" }, chrome, new_since))
        p.meta lang=[chrome] {
            a href=(feed) { "Atom feed" } " · " a href={ "/api/workflows/" (segment) "/page" } { "JSON" }
        }
    };
    let mut res = page_in(&state, lang, StatusCode::OK, &format!("{name} · dossier"), head, body).await;
    if login.is_some() {
        let seen = session::seen_cookie(&state.config().serve, &headers, &name, Utc::now().timestamp());
        res.headers_mut().append(header::SET_COOKIE, seen);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::Hit;
    use crate::workflow::html::tests::{ESCAPES, assert_inert, hostile_page};

    fn page_html(lang: Lang, body: Markup) -> String {
        let footer = Footer { documents: 3, index_bytes: 2_500_000, last_ingest: None };
        layout(lang, "t", html! {}, body, Some(&footer)).into_string()
    }

    #[test]
    fn snippets_mark_matches_and_escape_the_rest() {
        let s = Snippet {
            text: "<b>稀土</b>出口".into(),
            highlights: vec![[3, 5]],
        };
        assert_eq!(snippet_html(&s).into_string(), "&lt;b&gt;<mark>稀土</mark>&lt;/b&gt;出口");
    }

    #[test]
    fn the_search_form_is_valid_html_with_the_query_in_its_attribute() {
        let q = "\"><script>alert(1)</script>";
        let html = page_html(Lang::En, search_form(&[("q".into(), q.into()), ("sort".into(), "relevance".into())]));
        let doc = scraper::Html::parse_document(&html);
        let input = scraper::Selector::parse("form.search input[name=q]").unwrap_or_else(|e| panic!("{e:?}"));
        let inputs: Vec<_> = doc.select(&input).collect();
        assert_eq!(inputs.len(), 1, "{html}");
        let attr = |name: &str| inputs[0].value().attr(name).unwrap_or_default().to_string();
        assert_eq!(attr("placeholder"), PLACEHOLDER, "the placeholder's quotes stay inside it");
        assert_eq!(attr("value"), q);
        assert_eq!(attr("aria-label"), "Search", "no attribute after the placeholder was lost");
        assert!(html.contains("<option value=\"relevance\" selected>Relevance</option>"), "{html}");
        assert!(html.contains("<option value=\"newest\">Newest first</option>"), "{html}");
        assert!(!html.contains("<script>alert"), "{html}");
    }

    #[test]
    fn the_chrome_is_english_and_a_chinese_page_says_so() {
        let en = page_html(Lang::En, html! {});
        assert!(en.starts_with("<!DOCTYPE html><html lang=\"en\">"), "{en}");
        assert!(en.contains("<nav class=\"top\"><a class=\"brand\" href=\"/\">dossier</a>"), "{en}");
        assert!(en.contains("<script src=\"/assets/app.js\" defer></script>"), "{en}");
        assert!(
            en.contains("<footer class=\"site\" id=\"footer\">Index: <span class=\"docs\">3</span> documents · 2.5 MB · last ingest <time>"),
            "{en}"
        );
        let zh = page_html(Lang::Zh, html! {});
        assert!(zh.contains("<html lang=\"zh\">") && zh.contains("<nav class=\"top\" lang=\"en\">"), "{zh}");
        assert!(zh.contains("<footer class=\"site\" id=\"footer\" lang=\"en\">"), "{zh}");
    }

    #[test]
    fn a_hostile_document_page_is_inert_and_in_its_language() {
        let page = hostile_page([Lang::Zh, Lang::En]);
        let e = &page.entries[0];
        let html = page_html(e.document.lang, document_html(&e.document, Some("a\"b"), e.digest.as_ref(), None));
        assert_inert(&html);
        assert!(html.contains("<article class=\"document\" lang=\"zh\">"), "{html}");
        assert!(html.contains("<h2 class=\"text\" lang=\"en\">Text · 2 paragraphs</h2>"), "{html}");
        assert!(!html.contains(">original</a>"), "a javascript: URL is not linked");
        assert!(html.contains("<a href=\"/documents/a%22b\">a&quot;b</a>"), "{html}");
        assert!(html.contains("<li id=\"p1\" value=\"1\"><a class=\"pn\" href=\"#p1\">1</a>"), "{html}");
        assert!(html.contains("<a class=\"cite\" href=\"#p2\" data-p=\"2\">[2]</a>"), "{html}");

        let en = &page.entries[1];
        let html = page_html(en.document.lang, document_html(&en.document, None, None, None));
        assert!(html.contains("<html lang=\"en\">") && html.contains("<h2 class=\"text\">Text"), "{html}");
        assert!(
            html.contains("<a href=\"https://example.com/a?b=1&amp;c=&quot;2&quot;\" rel=\"noopener noreferrer nofollow\">original</a>"),
            "{html}"
        );
    }

    #[test]
    fn hostile_search_results_are_inert_and_carry_their_language() {
        let page = hostile_page([Lang::Zh, Lang::En]);
        let hit = |e: &workflow::Entry| Hit {
            id: e.document.id.clone(),
            title: e.document.title.clone(),
            source: e.document.source.clone(),
            published_at: e.document.published_at,
            published_precision: e.document.published_precision,
            url: e.document.url.clone(),
            lang: e.document.lang,
            score: 1.0,
            snippet: Snippet { text: format!("<script>x</script>{ESCAPES}"), highlights: vec![[8, 9]] },
            duplicate_of: Some("dup\"><img>".into()),
            title_only: false,
            outlet: None,
            imported: false,
            story: None,
            also: Vec::new(),
            explain: vec![],
        };
        let results = SearchResults {
            query: "\"><svg onload=alert(1)>".into(),
            total: 30,
            offset: 0,
            limit: PAGE_SIZE,
            sort: SortOrder::Newest,
            hits: page.entries.iter().map(hit).collect(),
            title_only: 0,
            title_only_hidden: false,
        };
        let digests: Vec<Option<Digest>> = page.entries.iter().map(|e| e.digest.clone()).collect();
        let params = [("q".to_string(), "a&b\"".to_string())];
        let html = page_html(Lang::En, results_html(&results, &digests, &params, 2));
        assert_inert(&html);
        assert!(html.contains("<article class=\"doc result\" lang=\"zh\">"), "{html}");
        assert!(html.contains("<article class=\"doc result\" lang=\"en\">"), "{html}");
        // Result 1 has a digest: citations go to the document page, its id percent-encoded.
        assert!(html.contains("href=\"/documents/x%2F1%22%3F%23#p1\""), "{html}");
        // Result 2 has none: the snippet, marked and escaped.
        assert!(html.contains("<p class=\"snippet\">&lt;script&gt;<mark>x</mark>&lt;/script&gt;"), "{html}");
        assert!(html.contains("<a rel=\"prev\" href=\"/?q=a%26b%22&amp;page=1\">"), "{html}");
        assert!(html.contains("<a rel=\"next\" href=\"/?q=a%26b%22&amp;page=3\">"), "{html}");
        assert!(html.contains("<q>&quot;&gt;&lt;svg onload=alert(1)&gt;</q>"), "{html}");
    }

    /// A result whose text names its outlet shows `outlet via feed`; an imported seed page is
    /// labelled and its citations are plain text, on the results and on its document page.
    #[test]
    fn outlets_and_imported_pages_in_results_and_on_document_pages() {
        let page = hostile_page([Lang::Zh, Lang::En]);
        let hit = |e: &workflow::Entry, outlet: Option<&str>, imported: bool| Hit {
            id: e.document.id.clone(),
            title: e.document.title.clone(),
            source: "腾讯新闻".into(),
            published_at: e.document.published_at,
            published_precision: e.document.published_precision,
            url: None,
            lang: e.document.lang,
            score: 1.0,
            snippet: Snippet { text: String::new(), highlights: vec![] },
            duplicate_of: None,
            title_only: false,
            outlet: outlet.map(str::to_string),
            imported,
            story: None,
            also: Vec::new(),
            explain: vec![],
        };
        let e = &page.entries[0];
        let results = SearchResults {
            query: "稀土".into(),
            total: 2,
            offset: 0,
            limit: PAGE_SIZE,
            sort: SortOrder::Relevance,
            hits: vec![hit(e, Some("环球时报"), false), hit(e, None, true)],
            title_only: 0,
            title_only_hidden: false,
        };
        let digests = vec![e.digest.clone(), e.digest.clone()];
        let html = results_html(&results, &digests, &[], 1).into_string();
        let mut articles = html.split("<article").skip(1);
        let (real, seed) = (articles.next().unwrap_or_default(), articles.next().unwrap_or_default());
        assert!(real.contains("<span class=\"source\">环球时报 via 腾讯新闻</span>"), "{real}");
        assert!(real.contains("<a class=\"cite\" href=") && !real.contains(">imported</span>"), "{real}");
        assert!(seed.contains("<span class=\"source\">腾讯新闻</span>") && seed.contains(">imported</span>"), "{seed}");
        assert!(!seed.contains("<a class=\"cite\""), "an imported page's citations are not links: {seed}");
        assert!(seed.contains("<span class=\"cite\" title=\"cites paragraph n of the page"), "{seed}");

        let mut doc = e.document.clone();
        doc.meta = serde_json::json!({ "imported_from": "000_x.txt" });
        let html = document_html(&doc, None, e.digest.as_ref(), None).into_string();
        assert!(html.contains(">imported</span>") && !html.contains("<a class=\"cite\""), "{html}");
        doc.meta = serde_json::json!({ "outlet": "观察者网" });
        let html = document_html(&doc, None, e.digest.as_ref(), None).into_string();
        assert!(html.contains("via ") && html.contains("<a class=\"cite\" href=\"#p"), "{html}");
        assert!(!html.contains(">imported</span>"), "{html}");
    }

    /// The document page names the summarizer of the digest it shows and links to the other
    /// stored one; a stand-in digest shows its note, in English, above the bullets.
    #[test]
    fn document_page_toggles_between_stored_digests() {
        let e = &hostile_page([Lang::Zh, Lang::En]).entries[0];
        let Some(mut g) = e.digest.clone() else { panic!("the test page has a digest") };
        g.summarizer = "llm:qwen".into();
        let families = ["extractive".to_string(), "llm".to_string()];
        let toggle = digest_toggle("qq 1", &g, &families).into_string();
        assert!(toggle.contains("Digest by llm:qwen"), "{toggle}");
        assert!(toggle.contains("<a href=\"/documents/qq%201?summarizer=extractive\">show the extractive digest</a>"), "{toggle}");
        assert!(!toggle.contains("summarizer=llm"), "{toggle}");
        g.summarizer = "extractive".into();
        g.note = Some("The LLM digest failed (timeout); this is the extractive digest.".into());
        let html = document_html(&e.document, None, Some(&g), Some(digest_toggle("qq 1", &g, &families))).into_string();
        assert!(html.contains("summarizer=llm\">show the llm digest</a>"), "{html}");
        assert!(html.contains("<p class=\"digest-note\" lang=\"en\">The LLM digest failed (timeout)"), "{html}");
    }
}
