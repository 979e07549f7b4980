//! serve: how do browsers and scripts reach dossier over HTTP?
//!
//! `dossier serve` runs an axum server with a JSON API under `/api` (search, documents and
//! digests, workflows, ingest, health, OpenAPI document) and a server-rendered web UI (search,
//! document pages, workflow pages) with one small script and one stylesheet, both embedded.
//! The engine is synchronous and SQLite connections are not `Sync`, so requests run on tokio's
//! blocking threads with a pool of connections sharing one tantivy reader. Reads never wait on
//! writes: only index writes (ingest) go through the one writing [`Engine`] behind a mutex and
//! the data directory's write lock; workflow changes are short SQLite transactions on a pooled
//! connection; a workflow run holds no lock while its digests are made (an LLM may hang); a
//! page that shows a digest not stored yet makes it on its read connection and queues it for a
//! background writer. Other processes (`dossier ingest`, `reindex`) may write the same data
//! directory: a background task picks up their index commits and rebuilt indexes, and catches
//! the index up when a writer died. Documents are untrusted: everything is escaped, and a strict
//! Content-Security-Policy forbids inline script. Writes need the configured bearer token (in
//! the browser: a login with it, then a CSRF token per form — `session.rs`, `manage.rs`), and
//! the server refuses a non-loopback address without one. This module must not parse input
//! formats or compute search results itself; it translates HTTP to library calls.

mod api;
mod poller;
mod manage;
mod session;
mod sources;
mod ui;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
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
use crate::digest::Digest;
use crate::digesting::UnstoredDigest;
use crate::engine::Engine;
use crate::error::{Error, Result};

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
    config: Arc<Config>,
    /// Index writes (ingest) only; never held by a read or a workflow run.
    writer: Mutex<Engine>,
    readers: Readers,
    footer: Mutex<Option<(Instant, Footer)>>,
    /// Set while one request recomputes the footer; the others show the previous figures.
    footer_refreshing: std::sync::atomic::AtomicBool,
    /// Digests made for a page but not stored yet, for the background writer.
    digest_queue: std::sync::mpsc::SyncSender<UnstoredDigest>,
    /// One run at a time per workflow in this process: a second run of the same workflow waits
    /// for the first instead of making the same digests again. Runs of different workflows, and
    /// runs in other processes, go on side by side (collecting is one transaction).
    runs: Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// The web UI's logged-in browsers.
    sessions: session::Sessions,
}

/// Pooled engines — each its own SQLite connection, all sharing one tantivy reader — handed
/// out one per request, at most `permits` at a time.
struct Readers {
    /// Holds the current index reader; pooled engines take theirs from it at checkout, so a
    /// rebuilt index reaches them all at once.
    current: Mutex<Engine>,
    idle: Mutex<Vec<Engine>>,
    permits: Arc<Semaphore>,
}

/// What a read handler may use: an engine of its own for the request.
pub struct Reader<'a> {
    pub engine: &'a Engine,
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

/// How many made-but-unstored digests may wait for the background writer; past that a page
/// still shows its digest and the next visit makes it again.
const DIGEST_QUEUE: usize = 4096;

impl AppState {
    /// Opens the data directory of `config`: the writing engine (catching the index up with
    /// the database if an ingest was interrupted and no other process is writing), the read
    /// pool, and the background digest writer.
    pub fn open(config: Config) -> Result<AppState> {
        let config = Arc::new(config);
        let mut engine = Engine::open_shared(config.clone())?;
        if engine.index_lag()? > 0 {
            engine.catch_up_if_free()?;
        }
        let current = engine.sibling()?;
        let readers_n = std::thread::available_parallelism()
            .map(|n| n.get() * 2)
            .unwrap_or(4)
            .clamp(4, 32);
        let (digest_queue, queued) = std::sync::mpsc::sync_channel(DIGEST_QUEUE);
        spawn_digest_writer(engine.sibling()?, queued)?;
        Ok(AppState {
            shared: Arc::new(Shared {
                readers: Readers {
                    current: Mutex::new(current),
                    idle: Mutex::new(Vec::new()),
                    permits: Arc::new(Semaphore::new(readers_n)),
                },
                config,
                writer: Mutex::new(engine),
                footer: Mutex::new(None),
                footer_refreshing: std::sync::atomic::AtomicBool::new(false),
                digest_queue,
                runs: Mutex::new(std::collections::HashMap::new()),
                sessions: session::Sessions::default(),
            }),
        })
    }

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    fn sessions(&self) -> &session::Sessions {
        &self.shared.sessions
    }

    /// A pooled engine (or a new one) reading the current index.
    fn pooled_engine(shared: &Shared) -> Result<Engine> {
        let popped = lock(&shared.readers.idle).pop();
        let current = lock(&shared.readers.current);
        let mut engine = match popped {
            Some(e) => e,
            None => current.sibling()?,
        };
        engine.share_index_of(&current);
        Ok(engine)
    }

    fn return_engine(shared: &Shared, engine: Engine) {
        lock(&shared.readers.idle).push(engine);
    }

    /// Runs `f` with a pooled connection on a blocking thread. For reads, and for short SQLite
    /// writes (workflow definitions) that never wait on the index writer.
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
            let engine = Self::pooled_engine(&shared)?;
            let result = f(Reader { engine: &engine });
            Self::return_engine(&shared, engine);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("a read task failed: {e}")))?;
        out.map_err(ApiError::from)
    }

    /// Runs `f` with the writing engine (index writes: ingest) on a blocking thread, then makes
    /// what it committed visible to readers.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Engine) -> Result<T> + Send + 'static,
    {
        let shared = self.shared.clone();
        let out = tokio::task::spawn_blocking(move || -> Result<T> {
            let mut engine = lock(&shared.writer);
            let result = f(&mut engine);
            refresh_readers(&shared, Some(&engine))?;
            expire_footer(&shared);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("a write task failed: {e}")))?;
        out.map_err(ApiError::from)
    }

    /// The document's digest: the stored one, or an extractive one made now on a read
    /// connection and queued for storing — the request never waits for a write.
    pub async fn digest(&self, id: String) -> Result<Digest, ApiError> {
        let mut made = self.digests(vec![id]).await?;
        made.pop()
            .ok_or_else(|| ApiError::internal("no digest could be made for this document"))?
            .map_err(ApiError::from)
    }

    /// Digests of several documents, as [`AppState::digest`]: one result per id.
    pub async fn digests(&self, ids: Vec<String>) -> Result<Vec<Result<Digest>>, ApiError> {
        let queue = self.shared.digest_queue.clone();
        self.read(move |r| {
            let digester = r.engine.digester();
            Ok(ids
                .iter()
                .map(|id| {
                    digester.stored_or_unstored(id).map(|(digest, pending)| {
                        if let Some(p) = pending {
                            // Full queue: drop it; the next visit makes it again.
                            let _ = queue.try_send(p);
                        }
                        digest
                    })
                })
                .collect())
        })
        .await
    }

    /// Runs a workflow on its own connection, outside the read pool and every lock: its digests
    /// may wait minutes on an LLM without delaying any other request.
    pub async fn run_workflow(&self, name: String) -> Result<crate::workflow::RunOutcome, ApiError> {
        let this_workflow = lock(&self.shared.runs).entry(name.clone()).or_default().clone();
        let _one_at_a_time = this_workflow.lock().await;
        let shared = self.shared.clone();
        let out = tokio::task::spawn_blocking(move || -> Result<_> {
            let engine = lock(&shared.readers.current).sibling()?;
            crate::workflow::run(&engine, &name)
        })
        .await
        .map_err(|e| ApiError::internal(format!("a workflow run failed: {e}")))?;
        out.map_err(ApiError::from)
    }

    /// The footer's figures, recomputed at most every few seconds, by one request at a time:
    /// while it does, the others show the previous figures (a write expires them, and 64
    /// clients must not all recount at once).
    pub async fn footer(&self) -> Result<Footer, ApiError> {
        use std::sync::atomic::Ordering;
        let cached = lock(&self.shared.footer).clone();
        if let Some((at, f)) = &cached
            && (at.elapsed() < FOOTER_TTL || self.shared.footer_refreshing.swap(true, Ordering::AcqRel))
        {
            return Ok(f.clone());
        }
        if cached.is_none() {
            self.shared.footer_refreshing.store(true, Ordering::Release);
        }
        let footer = self
            .read(|r| {
                let (documents, last_ingest) = r.engine.counts()?;
                Ok(Footer { documents, index_bytes: r.engine.index_bytes(), last_ingest })
            })
            .await;
        self.shared.footer_refreshing.store(false, Ordering::Release);
        let footer = footer?;
        *lock(&self.shared.footer) = Some((Instant::now(), footer.clone()));
        Ok(footer)
    }

    /// Picks up what other processes did to the data directory: index commits of a `dossier
    /// ingest`, an index rebuilt by `dossier reindex`, and an index left behind by a writer that
    /// died (caught up here when no other process is writing).
    pub fn reload_index(&self) -> Result<()> {
        let shared = &self.shared;
        refresh_readers(shared, None)?;
        let (store_seq, index_seq) = lock(&shared.readers.current).seqs()?;
        if store_seq > index_seq
            && let Ok(mut writer) = shared.writer.try_lock()
        {
            // try_lock: an ingest of this server is running and will index them itself.
            if writer.catch_up_if_free()?.is_some_and(|n| n > 0) {
                refresh_readers(shared, Some(&writer))?;
                expire_footer(&shared);
            }
        }
        Ok(())
    }
}

/// Makes the footer's figures due for a recount (kept meanwhile).
fn expire_footer(shared: &Shared) {
    if let Some((at, _)) = lock(&shared.footer).as_mut() {
        *at = Instant::now().checked_sub(FOOTER_TTL).unwrap_or(*at);
    }
}

/// Makes readers see the latest index: the writer's (when it just wrote) or the data
/// directory's current one (a `reindex` elsewhere swapped it), at its latest commit.
fn refresh_readers(shared: &Shared, written: Option<&Engine>) -> Result<()> {
    let mut current = lock(&shared.readers.current);
    if let Some(writer) = written {
        current.share_index_of(writer);
    }
    current.refresh_index()?;
    Ok(())
}

/// Stores the digests pages made, in small batches on one connection of its own, so no
/// request waits for SQLite's write lock. Ends when the server's state is dropped.
fn spawn_digest_writer(engine: Engine, queued: std::sync::mpsc::Receiver<UnstoredDigest>) -> Result<()> {
    std::thread::Builder::new()
        .name("digest-writer".into())
        .spawn(move || {
            let digester = engine.digester();
            while let Ok(first) = queued.recv() {
                let mut batch = vec![first];
                while batch.len() < 64
                    && let Ok(more) = queued.try_recv()
                {
                    batch.push(more);
                }
                // Another process may hold SQLite's write lock for a while (each try waits out the
                // busy timeout); past a few tries they are lost only from the cache: the next
                // visit makes them again.
                for attempt in 1..=3 {
                    match digester.keep_unstored(&batch) {
                        Ok(()) => break,
                        Err(e) => tracing::warn!(error = %e, attempt, digests = batch.len(), "could not store digests made for pages"),
                    }
                }
            }
        })
        .map_err(|e| Error::io("digest-writer thread", e))?;
    Ok(())
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
            Error::Fetch { .. } => (StatusCode::BAD_GATEWAY, "fetch_failed"),
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
        .merge(manage::routes())
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
    // Not `no-referrer`: under it browsers send `Origin: null` with our own form posts, and the
    // forms' origin check needs the real one. Other sites still get no referrer.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
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

/// Serves `state` on `listener` until `shutdown` completes, then stops accepting and lets the
/// requests in flight finish (for at most `serve.shutdown_grace_secs`). Refuses a non-loopback
/// listener without a configured token. Connections are bounded in number
/// (`serve.max_connections`) and in how long they may dawdle (`serve.header_timeout_secs`,
/// `serve.idle_timeout_secs`): half-sent or silent clients are closed, never left to pile up.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let addr: SocketAddr = listener.local_addr().map_err(|e| Error::io("listener", e))?;
    check_exposure(addr.ip(), state.config().serve.token.as_deref())?;
    let limits = ConnectionLimits::from(&state.config().serve);
    // Other processes write the data directory too; pick up what they did.
    let reloader = {
        let state = state.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(2));
            loop {
                tick.tick().await;
                let s = state.clone();
                match tokio::task::spawn_blocking(move || s.reload_index()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "could not reload the index"),
                    Err(e) => tracing::warn!(error = %e, "the index reload task failed"),
                }
            }
        })
    };
    let stop_polling = Arc::new(std::sync::atomic::AtomicBool::new(false));
    if state.config().sources.poll_in_serve {
        poller::spawn(&state, stop_polling.clone())?;
    }
    tracing::info!(%addr, max_connections = limits.max_connections, "dossier serving on http://{addr}");
    serve_connections(listener, router(state), limits, shutdown).await;
    reloader.abort();
    stop_polling.store(true, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// The connection settings of `ServeConfig`, as `run` applies them.
#[derive(Debug, Clone, Copy)]
struct ConnectionLimits {
    max_connections: usize,
    header_timeout: Duration,
    idle_timeout: Duration,
    shutdown_grace: Duration,
}

impl From<&crate::config::ServeConfig> for ConnectionLimits {
    fn from(c: &crate::config::ServeConfig) -> Self {
        ConnectionLimits {
            // Config validation refuses 0; a zero here would only deadlock the accept loop.
            max_connections: c.max_connections.max(1),
            header_timeout: c.header_timeout().max(Duration::from_millis(1)),
            idle_timeout: c.idle_timeout().max(Duration::from_millis(1)),
            shutdown_grace: c.shutdown_grace(),
        }
    }
}

/// The accept loop. axum::serve has no header-read timeout and no connection limit, so this
/// drives hyper's HTTP/1 connections itself: a permit per connection (taken before `accept`,
/// so clients over the limit wait in the kernel's backlog and hold no descriptor here),
/// hyper's header timer, an idle watchdog per connection, and a graceful drain on shutdown.
async fn serve_connections(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let mut connections = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: not fatal. Pause
                    // on the resource errors so a full table does not turn into a busy loop.
                    tracing::warn!(error = %e, "accept failed");
                    if !matches!(
                        e.kind(),
                        std::io::ErrorKind::ConnectionAborted
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::ConnectionRefused
                    ) {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    continue;
                }
            },
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%peer, error = %e, "could not set TCP_NODELAY");
        }
        connections.spawn(serve_connection(
            stream,
            app.clone(),
            http.clone(),
            limits.idle_timeout,
            stopping.clone(),
            permit,
        ));
        // Reap finished connections so the set does not grow with every client ever served.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let open = connections.len();
    tracing::info!(open, "shutting down: no new connections; finishing requests in flight");
    // Receivers may all be gone already (no open connections); nothing to tell then.
    let _ = stop.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            still_open = connections.len(),
            grace_secs = limits.shutdown_grace.as_secs(),
            "requests still in flight after the shutdown grace period; closing them (serve.shutdown_grace_secs)"
        );
        connections.abort_all();
    }
}

/// One HTTP/1 connection: served until the client closes it, hyper's header timer fires, it
/// has been idle for `idle_timeout`, or shutdown is asked for (then the request in flight, if
/// any, is finished first).
async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    http: hyper::server::conn::http1::Builder,
    idle_timeout: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let activity = Arc::new(Activity::new());
    let io = hyper_util::rt::TokioIo::new(Tracked {
        inner: stream,
        activity: activity.clone(),
    });
    let service = {
        let activity = activity.clone();
        let app = hyper_util::service::TowerToHyperService::new(app);
        hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
            let in_flight = InFlight::begin(&activity);
            let response = hyper::service::Service::call(&app, req);
            async move {
                let r = response.await;
                drop(in_flight);
                r
            }
        })
    };
    let conn = http.serve_connection(io, service);
    let mut conn = std::pin::pin!(conn);
    let mut shutting_down = *stopping.borrow();
    if shutting_down {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        // Shutting down, a connection with no request in flight need not linger: a client
        // half-way through sending a header would otherwise hold the exit up to the header
        // timeout.
        let idle_timeout = if shutting_down {
            idle_timeout.min(SHUTDOWN_IDLE)
        } else {
            idle_timeout
        };
        let wake = activity.idle_deadline(idle_timeout);
        tokio::select! {
            done = conn.as_mut() => {
                if let Err(e) = done {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            changed = stopping.changed(), if !shutting_down => {
                shutting_down = true;
                // A dropped sender means the accept loop is gone: shut down just the same.
                let _ = changed;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(wake) => {
                if activity.idle_for(idle_timeout) {
                    tracing::debug!(idle_secs = idle_timeout.as_secs_f64(), "closing an idle connection");
                    return;
                }
            }
        }
    }
}

/// How long, once shutdown is asked for, a connection with no request in flight may stay silent.
const SHUTDOWN_IDLE: Duration = Duration::from_millis(500);

/// When a connection last moved bytes, and how many of its requests are being handled.
struct Activity {
    epoch: Instant,
    /// Milliseconds since `epoch` of the last read or write that moved bytes.
    last_ms: std::sync::atomic::AtomicU64,
    in_flight: std::sync::atomic::AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            last_ms: std::sync::atomic::AtomicU64::new(0),
            in_flight: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, std::sync::atomic::Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.epoch + Duration::from_millis(self.last_ms.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// True when no request is being handled and nothing moved for `timeout`.
    fn idle_for(&self, timeout: Duration) -> bool {
        self.in_flight.load(std::sync::atomic::Ordering::Relaxed) == 0 && self.last().elapsed() >= timeout
    }

    /// When to look again: `timeout` after the last activity (or from now, while a request is
    /// being handled — a slow handler moves no bytes but is not idle).
    fn idle_deadline(&self, timeout: Duration) -> tokio::time::Instant {
        let from = if self.in_flight.load(std::sync::atomic::Ordering::Relaxed) > 0 {
            Instant::now()
        } else {
            self.last()
        };
        tokio::time::Instant::from_std(from + timeout)
    }
}

/// Marks a request as being handled for as long as it lives.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: &Arc<Activity>) -> InFlight {
        activity.in_flight.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // The idle clock starts when the handler finishes, not when the request arrived.
        self.0.touch();
        self.0.in_flight.fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A socket that records on its `Activity` every read or write that moves bytes.
struct Tracked {
    inner: tokio::net::TcpStream,
    activity: Arc<Activity>,
}

impl tokio::io::AsyncRead for Tracked {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, std::task::Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl tokio::io::AsyncWrite for Tracked {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, std::task::Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
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
