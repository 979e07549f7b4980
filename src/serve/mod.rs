//! serve: how do browsers and scripts reach dossier over HTTP?
//!
//! `dossier serve` runs an axum server with a JSON API under `/api` (search, documents and
//! digests, workflows, ingest, health, OpenAPI document) and a server-rendered web UI (search,
//! document pages, workflow pages) with one small script and one stylesheet, both embedded.
//! The engine is synchronous and SQLite connections are not `Sync`, so reads run on a pool of
//! read connections sharing one tantivy reader, and every write (ingest, workflow changes and
//! runs, digests) goes through the one writing [`Engine`] behind a mutex — all on tokio's
//! blocking threads. Documents are untrusted: everything is escaped, and a strict
//! Content-Security-Policy forbids inline script. Writes need the configured bearer token, and
//! the server refuses a non-loopback address without one. This module must not parse input
//! formats or compute search results itself; it translates HTTP to library calls.

mod api;
mod ui;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::index::SearchIndex;
use crate::store::Store;
use crate::workflow::Workflows;

pub use api::{ApiRoute, OPENAPI_JSON, api_routes};

/// The Content-Security-Policy of every response: only our own script and stylesheet, no
/// inline script or style, no framing, forms only to ourselves.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// How long the footer's figures (document count, index size, last ingest) are reused.
const FOOTER_TTL: Duration = Duration::from_secs(5);

/// What every handler shares: the configuration, the writing engine and the read pool.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    writer: Mutex<Engine>,
    readers: Readers,
    footer: Mutex<Option<(Instant, Footer)>>,
}

/// Read connections: one tantivy reader (`Sync`, its searchers are cheap clones) and SQLite
/// connections handed out one per request, at most `permits` at a time.
struct Readers {
    db_path: PathBuf,
    index: SearchIndex,
    idle: Mutex<Vec<Store>>,
    permits: Arc<Semaphore>,
}

/// What a read handler may use.
pub struct Reader<'a> {
    pub store: &'a Store,
    pub index: &'a SearchIndex,
}

/// The figures in the UI's footer.
#[derive(Debug, Clone, Serialize)]
pub struct Footer {
    pub documents: u64,
    pub index_bytes: u64,
    pub last_ingest: Option<DateTime<Utc>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a lock leaves data that is still consistent on disk (SQLite and
    // tantivy commit atomically), so carry on rather than fail every later request.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl AppState {
    /// Opens the data directory of `config`: the writing engine (catching the index up with
    /// the database if an ingest was interrupted), the workflow tables, and the read pool.
    pub fn open(config: Config) -> Result<AppState> {
        let mut engine = Engine::open(config.clone())?;
        if engine.index_lag()? > 0 {
            engine.catch_up()?;
        }
        Workflows::open(engine.store())?;
        let index = SearchIndex::open(&config.index_dir())?;
        let readers_n = std::thread::available_parallelism()
            .map(|n| n.get() * 2)
            .unwrap_or(4)
            .clamp(4, 32);
        Ok(AppState {
            shared: Arc::new(Shared {
                readers: Readers {
                    db_path: config.db_path(),
                    index,
                    idle: Mutex::new(Vec::new()),
                    permits: Arc::new(Semaphore::new(readers_n)),
                },
                config,
                writer: Mutex::new(engine),
                footer: Mutex::new(None),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Runs `f` with a read connection on a blocking thread.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(Reader<'_>) -> Result<T> + Send + 'static,
    {
        let permit = self
            .shared
            .readers
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::unavailable())?;
        let shared = self.shared.clone();
        let out = tokio::task::spawn_blocking(move || -> Result<T> {
            let _permit = permit;
            let readers = &shared.readers;
            let popped = lock(&readers.idle).pop();
            let store = match popped {
                Some(s) => s,
                None => Store::open(&readers.db_path)?,
            };
            let result = f(Reader {
                store: &store,
                index: &readers.index,
            });
            lock(&readers.idle).push(store);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("a read task failed: {e}")))?;
        out.map_err(ApiError::from)
    }

    /// Runs `f` with the writing engine on a blocking thread, then makes what it committed
    /// visible to readers.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Engine) -> Result<T> + Send + 'static,
    {
        let shared = self.shared.clone();
        let out = tokio::task::spawn_blocking(move || -> Result<T> {
            let mut engine = lock(&shared.writer);
            let result = f(&mut engine);
            shared.readers.index.reload()?;
            *lock(&shared.footer) = None;
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("a write task failed: {e}")))?;
        out.map_err(ApiError::from)
    }

    /// The footer's figures, recomputed at most every few seconds.
    pub async fn footer(&self) -> Result<Footer, ApiError> {
        if let Some((at, f)) = lock(&self.shared.footer).as_ref()
            && at.elapsed() < FOOTER_TTL
        {
            return Ok(f.clone());
        }
        let footer = self
            .read(|r| {
                let (documents, last): (i64, Option<i64>) =
                    r.store
                        .connection()
                        .query_row("SELECT COUNT(*), MAX(ingested_at) FROM documents", [], |row| {
                            Ok((row.get(0)?, row.get(1)?))
                        })?;
                Ok(Footer {
                    documents: documents as u64,
                    index_bytes: r.index.size_bytes(),
                    last_ingest: last.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)),
                })
            })
            .await?;
        *lock(&self.shared.footer) = Some((Instant::now(), footer.clone()));
        Ok(footer)
    }

    /// Picks up index commits made by other processes (a `dossier ingest` beside the server).
    pub fn reload_index(&self) -> Result<()> {
        self.shared.readers.index.reload()
    }
}

/// An error as the API reports it: `{"code": "...", "message": "..."}` with its status.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }

    fn unavailable() -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is shutting down",
        )
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        // Exhaustive: a new variant must get a status. 4xx only for what the client can fix by
        // changing its request; what the operator must fix (configuration, an old on-disk
        // format) is 5xx.
        let (status, code) = match &e {
            Error::BadQuery { .. } => (StatusCode::BAD_REQUEST, "bad_query"),
            Error::BadDate { .. } => (StatusCode::BAD_REQUEST, "bad_date"),
            Error::BadInput { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "bad_input"),
            Error::BadField { .. } => (StatusCode::BAD_REQUEST, "bad_field"),
            Error::NotFound { .. } => (StatusCode::NOT_FOUND, "not_found"),
            Error::AlreadyExists { .. } => (StatusCode::CONFLICT, "already_exists"),
            Error::Config(_) => (StatusCode::INTERNAL_SERVER_ERROR, "misconfigured"),
            Error::FormatVersion { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "format_version"),
            Error::Llm(_) => (StatusCode::BAD_GATEWAY, "llm_failed"),
            Error::Busy { .. } => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Error::Interrupted => (StatusCode::SERVICE_UNAVAILABLE, "interrupted"),
            Error::Io { .. } | Error::Sqlite(_) | Error::Index(_) | Error::Json(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        };
        if status.is_server_error() {
            tracing::error!(error = %e, "request failed");
        }
        ApiError::new(status, code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&ErrorBody {
            code: self.code,
            message: &self.message,
        })
        .unwrap_or_else(|_| String::from("{\"code\":\"internal\",\"message\":\"\"}"));
        let mut res = (self.status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        res
    }
}

/// The whole application: API routes, UI routes, JSON or HTML errors for unknown paths and
/// methods, the body-size limit and the security headers.
pub fn router(state: AppState) -> Router {
    let limit = state.config().serve.max_body_bytes;
    let mut router = Router::new();
    for route in api_routes(&state) {
        router = router.route(route.path, route.handler);
    }
    router
        .merge(ui::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") || uri.path() == "/api" {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_route",
            format!("no API endpoint at {}; see /api/openapi.json", uri.path()),
        )
        .into_response()
    } else {
        ui::not_found_page(uri.path())
    }
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> Response {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}; see /api/openapi.json", uri.path()),
    )
    .into_response()
}

async fn security_headers(mut res: Response) -> Response {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    res
}

/// Refuses to expose the server beyond this machine without a token: anyone who can reach it
/// could otherwise write to it.
pub fn check_exposure(ip: IpAddr, token: Option<&str>) -> Result<()> {
    if !ip.is_loopback() && token.is_none_or(|t| t.trim().is_empty()) {
        return Err(Error::Config(format!(
            "refusing to listen on {ip} without a token: anyone who can reach it could write to this dossier; \
             set serve.token (or DOSSIER_TOKEN), or listen on 127.0.0.1"
        )));
    }
    Ok(())
}

/// Serves `state` on `listener` until `shutdown` completes, then finishes the requests in
/// flight. Refuses a non-loopback listener without a configured token.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| Error::io("listener", e))?;
    check_exposure(addr.ip(), state.config().serve.token.as_deref())?;
    // A `dossier ingest` in another process commits to the index; pick its commits up.
    let reloader = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                if let Err(e) = state.reload_index() {
                    tracing::warn!(error = %e, "could not reload the index");
                }
            }
        })
    };
    tracing::info!(%addr, "dossier serving on http://{addr}");
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    reloader.abort();
    served.map_err(|e| Error::io(format!("http://{addr}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_statuses_by_who_can_fix_them() {
        let busy = Error::Busy { what: "the index".into(), detail: "locked".into(), remedy: "wait" };
        let res = ApiError::from(busy).into_response();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(res.headers().contains_key(header::RETRY_AFTER));
        let status = |e: Error| ApiError::from(e).status;
        assert_eq!(status(Error::Config("no LLM endpoint".into())), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(status(Error::Llm("refused".into())), StatusCode::BAD_GATEWAY);
        assert_eq!(status(Error::Interrupted), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status(Error::BadField { field: "kind".into(), message: "x".into() }), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn refuses_public_addresses_without_a_token() {
        let public: IpAddr = [0, 0, 0, 0].into();
        let err = check_exposure(public, None)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("refusing to listen on 0.0.0.0") && err.contains("serve.token"),
            "{err}"
        );
        assert!(check_exposure(public, Some("")).is_err());
        assert!(check_exposure(public, Some(" \t\n")).is_err());
        assert!(check_exposure(public, Some("s3cret")).is_ok());
        assert!(check_exposure([127, 0, 0, 1].into(), None).is_ok());
        assert!(check_exposure("::1".parse().unwrap_or(public), None).is_ok());
    }
}
