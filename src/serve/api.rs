//! api: what does the JSON API under /api answer, and to whom?
//!
//! One handler per endpoint, all listed in [`api_routes`] — the single list the router is built
//! from and that the OpenAPI document (assets/openapi.json) is checked against. Read endpoints
//! run on the read pool; write endpoints (ingest, workflow changes and runs) require
//! `Authorization: Bearer <serve.token>` and run on the writing engine. Every error is JSON
//! `{code, message}`. Handlers translate HTTP to library calls and must not hold logic of their
//! own beyond parsing parameters.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::dates;
use crate::document::Lang;
use crate::engine::{IngestOptions, format_published};
use crate::search::{Collapse, MatchMode, SearchRequest, SortOrder, TitleOnly};
use crate::workflow::render;
use crate::workflow::{self, WorkflowInput, Workflows};

use super::session::same_secret;
use super::{ApiError, AppState};

/// The OpenAPI 3.1 document describing every route of [`api_routes`].
pub const OPENAPI_JSON: &str = include_str!("assets/openapi.json");

/// Most hits one search request may ask for.
pub const MAX_LIMIT: usize = 100;
/// Deepest offset a search may page to.
pub const MAX_OFFSET: usize = 10_000;

/// One API endpoint: method, path (axum and OpenAPI share the `{param}` syntax), whether it
/// writes (and so needs the token), and its handler.
pub struct ApiRoute {
    pub method: Method,
    pub path: &'static str,
    pub write: bool,
    pub handler: MethodRouter<AppState>,
}

/// Every API endpoint. The router is built from this list, so the list is the router.
pub fn api_routes(state: &AppState) -> Vec<ApiRoute> {
    let read = |method: Method, path: &'static str, handler: MethodRouter<AppState>| ApiRoute {
        method,
        path,
        write: false,
        handler,
    };
    let write = |method: Method, path: &'static str, handler: MethodRouter<AppState>| ApiRoute {
        method,
        path,
        write: true,
        handler: handler.layer(middleware::from_fn_with_state(state.clone(), require_token)),
    };
    vec![
        read(Method::GET, "/api/health", get(health)),
        read(Method::GET, "/api/openapi.json", get(openapi)),
        read(Method::GET, "/api/search", get(search)),
        read(Method::GET, "/api/documents/{id}", get(document)),
        read(Method::GET, "/api/documents/{id}/digest", get(digest)),
        read(Method::GET, "/api/stories/{id}", get(story)),
        write(Method::POST, "/api/ingest", post(ingest)),
        read(Method::GET, "/api/workflows", get(list_workflows)),
        write(Method::POST, "/api/workflows", post(create_workflow)),
        read(Method::GET, "/api/workflows/{name}", get(show_workflow)),
        write(Method::PUT, "/api/workflows/{name}", put(update_workflow)),
        write(Method::DELETE, "/api/workflows/{name}", delete(delete_workflow)),
        write(Method::POST, "/api/workflows/{name}/run", post(run_workflow)),
        read(Method::GET, "/api/workflows/{name}/page", get(workflow_page)),
        read(Method::GET, "/api/workflows/{name}/feed.atom", get(workflow_feed)),
    ]
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = state.config().serve.token.as_deref().filter(|t| !t.is_empty()) else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "writes_disabled",
            "this server has no token configured, so write endpoints are off; set serve.token (or DOSSIER_TOKEN) and send it as `Authorization: Bearer <token>`",
        )
        .into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match given {
        Some(g) if same_secret(g.as_bytes(), token.as_bytes()) => next.run(req).await,
        Some(_) => {
            let mut res =
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "the bearer token is wrong").into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            res
        }
        None => {
            let mut res = ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this endpoint writes; send `Authorization: Bearer <serve.token>`",
            )
            .into_response();
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, axum::http::HeaderValue::from_static("Bearer"));
            res
        }
    }
}

/// A request body, or the JSON error for one that is too large or unreadable.
fn body_or_error(body: Result<Bytes, BytesRejection>, limit: usize) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the request body is larger than the limit of {limit} bytes (serve.max_body_bytes); send fewer documents per request"),
            )
        } else {
            ApiError::new(rejection.status(), "bad_body", rejection.body_text())
        }
    })
}

fn json_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde quotes the offending value: a bounded excerpt of it.
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(format!("the JSON body is invalid: {}", crate::error::excerpt(&e.to_string(), 300)))
    })
}

// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    documents: u64,
    index_documents: u64,
    last_ingest: Option<DateTime<Utc>>,
}

async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let footer = state.footer().await?;
    let index_documents = state.read(|r| Ok(r.engine.index_documents())).await?;
    Ok(Json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
        documents: footer.documents,
        index_documents,
        last_ingest: footer.last_ingest,
    }))
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON).into_response()
}

/// Parses search parameters as the CLI names them: `q`, `sort`, `match`, `since`, `until`,
/// `source` (repeatable), `lang`, `limit`, `offset`, `title_only` (show|hide), `collapse`
/// (story|none), `explain` and `literal` (true|false). `extra` names further keys the caller
/// reads itself; any other key is an error, so a typo does not silently widen a search.
pub fn search_request(params: &[(String, String)], extra: &[&str]) -> Result<SearchRequest, ApiError> {
    let mut r = SearchRequest {
        limit: 10,
        ..Default::default()
    };
    let mut query = None;
    for (k, v) in params {
        let v = v.trim();
        match k.as_str() {
            "q" => query = Some(v.to_string()),
            "sort" => {
                r.sort = match v {
                    "" | "newest" => SortOrder::Newest,
                    "relevance" => SortOrder::Relevance,
                    _ => return Err(ApiError::bad_request(format!("sort={v:?}: use newest or relevance"))),
                }
            }
            "match" => {
                r.match_mode = match v {
                    "" | "all" => MatchMode::All,
                    "any" => MatchMode::Any,
                    _ => return Err(ApiError::bad_request(format!("match={v:?}: use all or any"))),
                }
            }
            "since" if !v.is_empty() => r.since = Some(dates::parse_bound(v, false)?),
            "until" if !v.is_empty() => r.until = Some(dates::parse_bound(v, true)?),
            "since" | "until" => {}
            "source" => {
                if !v.is_empty() {
                    r.sources.push(v.to_string());
                }
            }
            "lang" if !v.is_empty() => {
                r.lang = Some(Lang::parse(v).ok_or_else(|| ApiError::bad_request(format!("lang={v:?}: use zh or en")))?)
            }
            "lang" => {}
            "limit" => {
                r.limit = v
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("limit={v:?} is not a number")))?;
                if r.limit == 0 || r.limit > MAX_LIMIT {
                    return Err(ApiError::bad_request(format!(
                        "limit={v} must be from 1 to {MAX_LIMIT}"
                    )));
                }
            }
            "offset" => {
                r.offset = v
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("offset={v:?} is not a number")))?;
                if r.offset > MAX_OFFSET {
                    return Err(ApiError::bad_request(format!(
                        "offset={v} is past the deepest page ({MAX_OFFSET})"
                    )));
                }
            }
            "collapse" => {
                r.collapse = match v {
                    "" => None,
                    "story" => Some(Collapse::Story),
                    "none" => Some(Collapse::None),
                    _ => return Err(ApiError::bad_request(format!("collapse={v:?}: use story or none"))),
                };
            }
            "explain" | "literal" => {
                let on = match v {
                    "" | "false" => false,
                    "true" => true,
                    _ => return Err(ApiError::bad_request(format!("{k}={v:?}: use true or false"))),
                };
                if k == "explain" {
                    r.explain = on;
                } else {
                    r.literal = on;
                }
            }
            "title_only" => {
                r.title_only = match v {
                    "" => TitleOnly::Show,
                    v => TitleOnly::parse(v).ok_or_else(|| {
                        ApiError::bad_request(format!("title_only={v:?}: use show or hide"))
                    })?,
                }
            }
            k if extra.contains(&k) => {}
            k => {
                return Err(ApiError::bad_request(format!(
                    "unknown parameter {k:?}; the search takes q, sort, match, since, until, source, lang, limit, offset, title_only, collapse, explain, literal"
                )));
            }
        }
    }
    r.query = query
        .ok_or_else(|| ApiError::bad_request("the parameter q (the query) is missing; use q=* for every document"))?;
    Ok(r)
}

async fn search(
    State(state): State<AppState>,
    Query(params): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let request = search_request(&params, &[])?;
    let results = state
        .read(move |r| r.engine.search_now(&request))
        .await?;
    Ok(Json(results).into_response())
}

#[derive(Serialize)]
struct Paragraph<'a> {
    n: usize,
    text: &'a str,
}

#[derive(Serialize)]
struct DocumentView<'a> {
    id: &'a str,
    title: &'a str,
    source: &'a str,
    /// The original outlet the text names; `source` stays the feed.
    #[serde(skip_serializing_if = "Option::is_none")]
    outlet: Option<&'a str>,
    /// An imported seed page: its digest cites the original page's paragraphs, not these.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    imported: bool,
    published_at: Option<DateTime<Utc>>,
    when: String,
    url: Option<&'a str>,
    lang: Lang,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<&'a str>,
    /// The item holds only its title: it has no digest.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    title_only: bool,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    meta: &'a serde_json::Value,
    paragraphs: Vec<Paragraph<'a>>,
}

/// A story page as JSON: members best first with what each adds, and the cited digest.
async fn story(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let page = state
        .read(move |r| {
            let n = id.parse::<i64>().map_err(|_| crate::Error::NotFound { what: "story", name: id.clone() })?;
            crate::stories::page::build(r.engine.store(), n)
        })
        .await?;
    Ok(Json(page).into_response())
}

async fn document(State(state): State<AppState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let stored = state
        .read(move |r| {
            r.engine.store().get(&id)?.ok_or(crate::Error::NotFound {
                what: "document",
                name: id,
            })
        })
        .await?;
    let d = &stored.doc;
    let view = DocumentView {
        id: &d.id,
        title: &d.title,
        source: &d.source,
        outlet: d.outlet(),
        imported: d.is_imported(),
        published_at: d.published_at,
        when: format_published(d.published_at, d.published_precision),
        url: d.url.as_deref(),
        lang: d.lang,
        duplicate_of: stored.duplicate_of.as_deref(),
        title_only: d.is_title_only(),
        meta: &d.meta,
        paragraphs: d
            .paragraphs
            .iter()
            .enumerate()
            .map(|(i, p)| Paragraph { n: i + 1, text: p })
            .collect(),
    };
    Ok(Json(view).into_response())
}

/// `?summarizer=extractive|llm` picks a stored digest's family; without it, the preferred one.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct DigestQuery {
    pub summarizer: Option<crate::digesting::SummarizerChoice>,
}

async fn digest(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<DigestQuery>,
) -> Result<Response, ApiError> {
    Ok(Json(state.digest_as(id, q.summarizer).await?.0).into_response())
}

/// Turns a request body into JSONL: a JSON object is one record, a JSON array one record per
/// element; anything else is taken as JSONL already.
fn body_to_jsonl(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let is_json = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Ok(body.to_vec());
    }
    let value: serde_json::Value = json_body(body)?;
    let records = match value {
        serde_json::Value::Array(items) => items,
        v @ serde_json::Value::Object(_) => vec![v],
        _ => {
            return Err(ApiError::bad_request(
                "a JSON body must be one document (an object) or an array of documents",
            ));
        }
    };
    let mut out = Vec::with_capacity(body.len());
    for r in records {
        serde_json::to_writer(&mut out, &r).map_err(|e| ApiError::internal(e.to_string()))?;
        out.push(b'\n');
    }
    Ok(out)
}

async fn ingest(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_error(body, state.config().serve.max_body_bytes)?;
    let jsonl = body_to_jsonl(&headers, &body)?;
    if jsonl.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "the body is empty; send a JSON document or JSONL, one document a line",
        ));
    }
    // Decompressed off the async threads and outside the write lock.
    let limit = state.config().serve.max_ingest_bytes;
    let (dir, path) = tokio::task::spawn_blocking(move || body_file(&jsonl, limit))
        .await
        .map_err(|e| ApiError::internal(format!("writing the body failed: {e}")))??;
    let summary = state
        .write(move |engine| {
            let _keep = dir;
            let mut summary = engine.ingest(
                std::slice::from_ref(&path),
                &IngestOptions::default(),
                Arc::new(AtomicBool::new(false)),
                &mut |_| {},
            )?;
            let shown = path.display().to_string();
            for f in &mut summary.failures {
                f.location = f.location.replacen(&shown, "body", 1);
            }
            Ok(summary)
        })
        .await?;
    if summary.failed > 0 && summary.ingested + summary.updated + summary.unchanged == 0 {
        let first: Vec<String> = summary
            .failures
            .iter()
            .take(5)
            .map(|f| format!("{}: {}", f.location, f.message))
            .collect();
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_input",
            format!(
                "no document was ingested; {} failed: {}",
                summary.failed,
                first.join("; ")
            ),
        ));
    }
    Ok(Json(summary).into_response())
}

/// Writes an ingest body to a temporary file as plain JSONL: a gzip body is decompressed here,
/// at most to `limit` bytes, so that a small body cannot expand into gigabytes on the server.
fn body_file(body: &[u8], limit: u64) -> Result<(tempfile::TempDir, std::path::PathBuf), ApiError> {
    use std::io::Read;
    let dir = tempfile::tempdir().map_err(|e| ApiError::from(crate::Error::io(std::env::temp_dir(), e)))?;
    let path = dir.path().join("body.jsonl");
    let mut file = std::fs::File::create(&path).map_err(|e| ApiError::from(crate::Error::io(&path, e)))?;
    if !body.starts_with(&[0x1f, 0x8b]) {
        std::io::Write::write_all(&mut file, body).map_err(|e| ApiError::from(crate::Error::io(&path, e)))?;
        return Ok((dir, path));
    }
    let mut decoder = flate2::read::MultiGzDecoder::new(body).take(limit.saturating_add(1));
    let written = std::io::copy(&mut decoder, &mut file).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
            ApiError::bad_request(format!("the gzip body is corrupt or truncated ({e}); send it again"))
        }
        _ => ApiError::from(crate::Error::io(&path, e)),
    })?;
    if written > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!(
                "the gzip body decompresses to more than {limit} bytes (serve.max_ingest_bytes); \
                 send fewer documents per request, or raise serve.max_ingest_bytes (DOSSIER_MAX_INGEST_BYTES)"
            ),
        ));
    }
    Ok((dir, path))
}

async fn list_workflows(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list = state.read(|r| Workflows::open(r.engine.store())?.list()).await?;
    Ok(Json(list).into_response())
}

fn workflow_location(name: &str) -> String {
    format!("/api/workflows/{}", workflow::html::encode_segment(name))
}

async fn create_workflow(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_error(body, state.config().serve.max_body_bytes)?;
    let input: WorkflowInput = json_body(&body)?;
    let info = state
        .read(move |r| {
            let wf = input.validate(r.engine)?;
            let w = Workflows::open(r.engine.store())?;
            w.add(&wf)?;
            w.info(&wf.name)
        })
        .await?;
    let location = workflow_location(&info.workflow.name);
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(info)).into_response())
}

async fn show_workflow(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let info = state.read(move |r| Workflows::open(r.engine.store())?.info(&name)).await?;
    Ok(Json(info).into_response())
}

async fn update_workflow(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body_or_error(body, state.config().serve.max_body_bytes)?;
    let input: WorkflowInput = json_body(&body)?;
    let info = state
        .read(move |r| {
            let wf = input.validate(r.engine)?;
            let w = Workflows::open(r.engine.store())?;
            w.update(&name, &wf)?;
            w.info(&wf.name)
        })
        .await?;
    Ok(Json(info).into_response())
}

async fn delete_workflow(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    state
        .read(move |r| Workflows::open(r.engine.store())?.remove(&name))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn run_workflow(State(state): State<AppState>, Path(name): Path<String>) -> Result<Response, ApiError> {
    let outcome = state.run_workflow(name).await?;
    Ok(Json(outcome).into_response())
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct PageParams {
    limit: Option<usize>,
}

fn page_limit(p: &PageParams) -> Result<usize, ApiError> {
    match p.limit {
        None => Ok(workflow::DEFAULT_PAGE_LIMIT),
        Some(n) if (1..=1000).contains(&n) => Ok(n),
        Some(n) => Err(ApiError::bad_request(format!("limit={n} must be from 1 to 1000"))),
    }
}

async fn workflow_page(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, ApiError> {
    let limit = page_limit(&params)?;
    let page = state
        .read(move |r| Workflows::open(r.engine.store())?.page(&name, limit))
        .await?;
    let json = render::json(&page).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/json")], json).into_response())
}

/// The workflow's page as Atom. Absolute links start with `serve.public_url`; a request's
/// Host header is never used (anyone can send any Host, and a cache would keep their links).
async fn workflow_feed(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, ApiError> {
    let limit = page_limit(&params)?;
    let page = state
        .read(move |r| Workflows::open(r.engine.store())?.page(&name, limit))
        .await?;
    let xml = render::atom(&page, state.config().serve.public_url.as_deref())
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn search_parameters_as_the_cli_names_them() -> Result<(), String> {
        let r = search_request(
            &params(&[
                ("q", "稀土"),
                ("sort", "relevance"),
                ("source", "a"),
                ("source", "b"),
                ("lang", "zh"),
                ("since", "2024-01-01"),
                ("limit", "20"),
                ("explain", "true"),
            ]),
            &[],
        )
        .map_err(|e| e.message)?;
        assert!(r.explain && !r.literal);
        assert_eq!(r.query, "稀土");
        assert_eq!(r.sort, SortOrder::Relevance);
        assert_eq!(r.sources, vec!["a", "b"]);
        assert_eq!(r.lang, Some(Lang::Zh));
        assert_eq!(r.limit, 20);
        assert!(r.since.is_some());
        for (bad, expect) in [
            (vec![("q", "x"), ("limt", "3")], "unknown parameter \"limt\""),
            (vec![("q", "x"), ("limit", "1000")], "from 1 to 100"),
            (vec![("q", "x"), ("sort", "oldest")], "newest or relevance"),
            (vec![("sort", "newest")], "q (the query) is missing"),
            (vec![("q", "x"), ("since", "yesterday")], "cannot parse date"),
            (vec![("q", "x"), ("explain", "yes")], "explain=\"yes\": use true or false"),
        ] {
            let err = search_request(&params(&bad), &[])
                .err()
                .map(|e| e.message)
                .unwrap_or_default();
            assert!(err.contains(expect), "{bad:?}: {err}");
        }
        Ok(())
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"ab"));
    }
}
