//! manage: how does a person with the token change things from the browser?
//!
//! The login page (the server's token, checked in constant time, starts a session — see
//! `session.rs`), logout, and the forms that add, edit, run and delete workflows and sources,
//! plus the source health page. Every form that changes something is a POST carrying the
//! session's CSRF token; a POST without a live session, with a wrong token or from another site
//! gets a 403 page saying what to do. A management page asked for without a session sends the
//! browser to the login page and back. Workflow input goes through `WorkflowInput::validate`,
//! as in `dossier workflow add` and the API; its errors are shown above the form, which keeps
//! what was typed. Without a login every page stays read-only. This module must not hold
//! workflow or source logic; it translates forms to library calls.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use maud::{Markup, html};

use crate::engine::format_when;
use crate::error::Error;
use crate::workflow::html::encode_segment;
use crate::workflow::{RunOutcome, SummarizerChoice, WorkflowInput, Workflows};

use super::session::{self, CSRF_FIELD, LoggedIn, Refusal};
use super::sources::{self, SourceForm};
use super::ui::{error_body, page};
use super::{ApiError, AppState};

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/sources", get(sources_page))
        .route("/manage/workflows", post(create_workflow))
        .route("/manage/workflows/new", get(new_workflow_page))
        .route(
            "/manage/workflows/{name}/edit",
            get(edit_workflow_page).post(update_workflow),
        )
        .route("/manage/workflows/{name}/run", post(run_workflow))
        .route(
            "/manage/workflows/{name}/delete",
            get(delete_workflow_page).post(delete_workflow),
        )
        .route("/manage/sources", post(create_source))
        .route("/manage/sources/new", get(new_source_page))
        .route(
            "/manage/sources/{name}/edit",
            get(edit_source_page).post(update_source),
        )
        .route(
            "/manage/sources/{name}/delete",
            get(delete_source_page).post(delete_source),
        )
}

/// The fields of a posted form, in order.
type Fields = Vec<(String, String)>;

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn csrf_input(s: &LoggedIn) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(s.csrf); }
}

/// A one-button form that posts to `action` with the session's CSRF token.
pub(super) fn post_button(action: &str, label: &str, class: &str, s: &LoggedIn) -> Markup {
    html! {
        form.inline method="post" action=(action) {
            (csrf_input(s))
            button type="submit" class=(class) { (label) }
        }
    }
}

fn see_other(location: &str) -> Response {
    let location =
        HeaderValue::from_str(location).unwrap_or_else(|_| HeaderValue::from_static("/"));
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// Where to go after logging in: a path on this server only (never `//host` or a URL).
fn local_path(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(next)
}

/// The page a refused POST gets: 403, what was wrong and what to do.
async fn refused(state: &AppState, why: Refusal) -> Response {
    tracing::warn!(refusal = ?why, "refused a form post");
    let body = html! {
        h1 { "Not allowed" }
        p.error #refused data-code=(format!("{why:?}")) { (why.message()) }
        p { a href="/login" { "Log in" } " · " a href="/" { "Search" } }
    };
    page(
        state,
        StatusCode::FORBIDDEN,
        "Not allowed · dossier",
        html! {},
        body,
    )
    .await
}

/// A POST's form fields and session, or the response refusing it (too large, not a form, no
/// session, a bad CSRF token, another site).
async fn posted(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(LoggedIn, Fields), Response> {
    let fields = form_fields(state, body).await?;
    match session::check_post(state.sessions(), &state.config().serve, headers, &fields) {
        Ok(s) => Ok((s, fields)),
        Err(why) => Err(refused(state, why).await),
    }
}

async fn form_fields(
    state: &AppState,
    body: Result<Bytes, BytesRejection>,
) -> Result<Fields, Response> {
    match body {
        Ok(b) => Ok(url::form_urlencoded::parse(&b).into_owned().collect()),
        Err(rejection) => {
            let e = ApiError::new(
                rejection.status(),
                "bad_body",
                format!("the form could not be read: {}", rejection.body_text()),
            );
            Err(page(state, e.status, "Error · dossier", html! {}, error_body(&e)).await)
        }
    }
}

/// The session of a management page's request, or where to send the browser instead: the
/// login page, and back here after it.
fn logged_in(state: &AppState, headers: &HeaderMap, back: &str) -> Result<LoggedIn, String> {
    state
        .sessions()
        .get(headers)
        .ok_or_else(|| format!("/login?next={}", encode_segment(back)))
}

// --- login ------------------------------------------------------------------------------------

fn no_token_body() -> Markup {
    html! {
        h1 { "Log in" }
        p.error #no-token {
            "This server has no token (" code { "serve.token" } " or " code { "DOSSIER_TOKEN" } "), so its web UI is read-only and nobody can log in. Set one and restart "
            code { "dossier serve" } " to manage workflows and sources here."
        }
    }
}

fn login_form(next: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Log in" }
        p.summary { "Log in with this server's token (" code { "serve.token" } ") to add, edit, run and delete workflows and sources. Without it every page is read-only." }
        @if let Some(e) = error { p.error #login-error { (e) } }
        form.manage #login method="post" action="/login" {
            input type="hidden" name="next" value=(next);
            label { "Token " input type="password" name="token" autocomplete="current-password" required autofocus; }
            div.actions { button type="submit" { "Log in" } }
        }
    }
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<Fields>,
) -> Response {
    let next = field(&params, "next").to_string();
    if state
        .config()
        .serve
        .token
        .as_deref()
        .is_none_or(str::is_empty)
    {
        return page(
            &state,
            StatusCode::OK,
            "Log in · dossier",
            html! {},
            no_token_body(),
        )
        .await;
    }
    if let Some(s) = state.sessions().get(&headers) {
        let body = html! {
            h1 { "Logged in" }
            p #logged-in { "This browser is logged in: you can add, edit, run and delete " a href="/workflows" { "workflows" } " and " a href="/sources" { "sources" } "." }
            (post_button("/logout", "Log out", "secondary", &s))
        };
        return page(
            &state,
            StatusCode::OK,
            "Logged in · dossier",
            html! {},
            body,
        )
        .await;
    }
    page(
        &state,
        StatusCode::OK,
        "Log in · dossier",
        html! {},
        login_form(&next, None),
    )
    .await
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if !session::same_site(&headers, &state.config().serve) {
        return refused(&state, Refusal::CrossSite).await;
    }
    let fields = match form_fields(&state, body).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let Some(token) = state.config().serve.token.clone().filter(|t| !t.is_empty()) else {
        return page(
            &state,
            StatusCode::FORBIDDEN,
            "Log in · dossier",
            html! {},
            no_token_body(),
        )
        .await;
    };
    let next = field(&fields, "next").to_string();
    let given = field(&fields, "token").trim();
    if !session::same_secret(given.as_bytes(), token.as_bytes()) {
        tracing::warn!("a browser login with a wrong token");
        let error = "That token is wrong. Use the token this server was started with (serve.token, or the DOSSIER_TOKEN environment variable).";
        return page(
            &state,
            StatusCode::UNAUTHORIZED,
            "Log in · dossier",
            html! {},
            login_form(&next, Some(error)),
        )
        .await;
    }
    let s = match state.sessions().create() {
        Ok(s) => s,
        Err(e) => {
            let e = ApiError::from(e);
            return page(
                &state,
                e.status,
                "Log in · dossier",
                html! {},
                error_body(&e),
            )
            .await;
        }
    };
    let mut res = see_other(local_path(&next).unwrap_or("/workflows"));
    res.headers_mut().append(
        header::SET_COOKIE,
        session::session_cookie(&state.config().serve, &s),
    );
    res
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (s, _) = match posted(&state, &headers, body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    state.sessions().end(&s);
    let mut res = see_other("/");
    res.headers_mut().append(
        header::SET_COOKIE,
        session::clear_session_cookie(&state.config().serve),
    );
    res
}

// --- workflows --------------------------------------------------------------------------------

/// The workflow form's fields as `dossier workflow add` takes them.
const WORKFLOW_FIELDS: [&str; 10] = [
    "name",
    "query",
    "sources",
    "lang",
    "since",
    "until",
    "within_days",
    "summarizer",
    "output_lang",
    "first_run",
];

/// A workflow's definition as the form's fields, to fill the edit form.
fn workflow_fields(input: &WorkflowInput) -> Fields {
    let summarizer = match input.summarizer.unwrap_or_default() {
        SummarizerChoice::Extractive => "extractive",
        SummarizerChoice::Llm => "llm",
    };
    let output_lang = match input.output_lang.unwrap_or_default() {
        crate::workflow::OutputLanguage::En => "en",
        crate::workflow::OutputLanguage::Source => "source",
    };
    let values = [
        input.name.clone(),
        input.query.clone(),
        input.sources.join(", "),
        input.lang.clone().unwrap_or_default(),
        input.since.clone().unwrap_or_default(),
        input.until.clone().unwrap_or_default(),
        input.within_days.map(|d| d.to_string()).unwrap_or_default(),
        summarizer.to_string(),
        output_lang.to_string(),
        input.first_run.map(|n| n.to_string()).unwrap_or_default(),
    ];
    WORKFLOW_FIELDS
        .iter()
        .map(|k| k.to_string())
        .zip(values)
        .collect()
}

fn bad(field: &str, message: impl Into<String>) -> Error {
    Error::BadField {
        field: field.to_string(),
        message: message.into(),
    }
}

fn number<T: std::str::FromStr>(
    fields: &[(String, String)],
    name: &str,
    what: &str,
) -> crate::Result<Option<T>> {
    match field(fields, name).trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(|_| {
            bad(
                name,
                format!("{v:?} is not a number; give {what}, or leave it empty"),
            )
        }),
    }
}

/// The posted form as a [`WorkflowInput`]; `validate` checks the rest.
fn workflow_input(fields: &[(String, String)]) -> crate::Result<WorkflowInput> {
    let opt = |k: &str| Some(field(fields, k).trim().to_string()).filter(|v| !v.is_empty());
    let summarizer = match field(fields, "summarizer").trim() {
        "" | "extractive" => SummarizerChoice::Extractive,
        "llm" => SummarizerChoice::Llm,
        v => {
            return Err(bad(
                "summarizer",
                format!("{v:?} is not a summarizer; choose extractive or llm"),
            ));
        }
    };
    let output_lang = match field(fields, "output_lang").trim() {
        "" | "en" => crate::workflow::OutputLanguage::En,
        "source" => crate::workflow::OutputLanguage::Source,
        v => {
            return Err(bad(
                "output_lang",
                format!("{v:?} is not an output language; choose en or source"),
            ));
        }
    };
    Ok(WorkflowInput {
        name: field(fields, "name").to_string(),
        query: field(fields, "query").to_string(),
        sources: field(fields, "sources")
            .split([',', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        lang: opt("lang"),
        since: opt("since"),
        until: opt("until"),
        within_days: number(fields, "within_days", "a number of days of at least 1")?,
        summarizer: Some(summarizer),
        output_lang: Some(output_lang),
        first_run: number(fields, "first_run", "a number from 1 to 1000")?,
    })
}

fn workflow_form(
    action: &str,
    submit: &str,
    values: &[(String, String)],
    s: &LoggedIn,
    error: Option<&ApiError>,
) -> Markup {
    let v = |k: &str| field(values, k);
    let sel = |k: &str, option: &str, default: bool| v(k) == option || (v(k).is_empty() && default);
    html! {
        @if let Some(e) = error { p.error #form-error data-code=(e.code) { (e.message) } }
        form.manage #workflow-form method="post" action=(action) {
            (csrf_input(s))
            label { "Name " input type="text" name="name" value=(v("name")) required placeholder="稀土供应链"; }
            label { "Query " input type="text" name="query" value=(v("query")) required placeholder="稀土 出口管制"; }
            p.hint { "The query language of search: all words must match; “quoted phrases”, OR and -exclusion work." }
            label { "Sources " input type="text" name="sources" value=(v("sources")) placeholder="any; or names, comma-separated"; }
            label {
                "Language "
                select name="lang" {
                    option value="" selected[sel("lang", "", true)] { "any" }
                    option value="zh" lang="zh" selected[sel("lang", "zh", false)] { "中文" }
                    option value="en" selected[sel("lang", "en", false)] { "English" }
                }
            }
            label { "Since " input type="text" name="since" value=(v("since")) placeholder="2024-05-01"; }
            label { "Until " input type="text" name="until" value=(v("until")) placeholder="2024-06-30"; }
            label { "Within the last … days " input type="number" name="within_days" min="1" value=(v("within_days")); }
            label {
                "Summarizer "
                select name="summarizer" {
                    option value="extractive" selected[sel("summarizer", "extractive", true)] { "extractive (offline)" }
                    option value="llm" selected[sel("summarizer", "llm", false)] { "LLM (llm.* settings)" }
                }
            }
            label {
                "Digest language "
                select name="output_lang" {
                    option value="en" selected[sel("output_lang", "en", true)] { "English" }
                    option value="source" selected[sel("output_lang", "source", false)] { "the document's own" }
                }
            }
            label { "First run collects " input type="number" name="first_run" min="1" max="1000" value=(v("first_run")) placeholder=(crate::workflow::DEFAULT_FIRST_RUN); " newest documents" }
            div.actions { button type="submit" { (submit) } " " a href="/workflows" { "Cancel" } }
        }
    }
}

async fn new_workflow_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match logged_in(&state, &headers, "/manage/workflows/new") {
        Ok(s) => s,
        Err(to) => return see_other(&to),
    };
    let body = html! { h1 { "New workflow" } (workflow_form("/manage/workflows", "Add workflow", &[], &s, None)) };
    page(
        &state,
        StatusCode::OK,
        "New workflow · dossier",
        html! {},
        body,
    )
    .await
}

async fn create_workflow(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (s, fields) = match posted(&state, &headers, body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = workflow_input(&fields);
    let added = state
        .read(move |r| {
            let wf = input?.validate(r.engine)?;
            Workflows::open(r.engine.store())?.add(&wf)?;
            Ok(wf.name)
        })
        .await;
    match added {
        Ok(name) => {
            tracing::info!(workflow = %name, "workflow added in the browser");
            see_other(&format!("/workflows/{}", encode_segment(&name)))
        }
        Err(e) => {
            let body = html! { h1 { "New workflow" } (workflow_form("/manage/workflows", "Add workflow", &fields, &s, Some(&e))) };
            page(&state, e.status, "New workflow · dossier", html! {}, body).await
        }
    }
}

async fn edit_workflow_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let s = match logged_in(
        &state,
        &headers,
        &format!("/manage/workflows/{}/edit", encode_segment(&name)),
    ) {
        Ok(s) => s,
        Err(to) => return see_other(&to),
    };
    let lookup = name.clone();
    let title = format!("Edit {name} · dossier");
    match state
        .read(move |r| Workflows::open(r.engine.store())?.get(&lookup))
        .await
    {
        Ok(wf) => {
            let action = format!("/manage/workflows/{}/edit", encode_segment(&name));
            let body = html! { h1 { "Edit " (name) } (workflow_form(&action, "Save", &workflow_fields(&WorkflowInput::from(&wf)), &s, None)) };
            page(&state, StatusCode::OK, &title, html! {}, body).await
        }
        Err(e) => page(&state, e.status, &title, html! {}, error_body(&e)).await,
    }
}

async fn update_workflow(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (s, fields) = match posted(&state, &headers, body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = workflow_input(&fields);
    let old = name.clone();
    let updated = state
        .read(move |r| {
            let wf = input?.validate(r.engine)?;
            Workflows::open(r.engine.store())?.update(&old, &wf)?;
            Ok(wf.name)
        })
        .await;
    match updated {
        Ok(new_name) => see_other(&format!("/workflows/{}", encode_segment(&new_name))),
        Err(e) => {
            let action = format!("/manage/workflows/{}/edit", encode_segment(&name));
            let body = html! { h1 { "Edit " (name) } (workflow_form(&action, "Save", &fields, &s, Some(&e))) };
            page(
                &state,
                e.status,
                &format!("Edit {name} · dossier"),
                html! {},
                body,
            )
            .await
        }
    }
}

fn run_summary(o: &RunOutcome) -> Markup {
    html! {
        p.summary #run-result data-new=(o.run.new_documents) {
            @if o.first_run { "First run: " } @else { "Run: " }
            strong { (o.run.new_documents) } " new document" @if o.run.new_documents != 1 { "s" }
            " · " (o.digests_made) " digest" @if o.digests_made != 1 { "s" } " made"
            @if o.title_only > 0 { " · " (o.title_only) " title only" }
            @if !o.digest_failures.is_empty() { " · " (o.digest_failures.len()) " digests failed (the next run tries again)" }
        }
        @if !o.digest_failures.is_empty() {
            ul.failures { @for f in &o.digest_failures { li { code { (f.id) } ": " (f.message) } } }
        }
    }
}

async fn run_workflow(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(res) = posted(&state, &headers, body).await {
        return res;
    }
    let title = format!("Run {name} · dossier");
    let link = format!("/workflows/{}", encode_segment(&name));
    match state.run_workflow(name.clone()).await {
        Ok(o) => {
            let body = html! {
                h1 { "Ran " (name) }
                (run_summary(&o))
                p { a #open-workflow href=(link) { "Open " (name) } " · " a href="/workflows" { "All workflows" } }
            };
            page(&state, StatusCode::OK, &title, html! {}, body).await
        }
        Err(e) => {
            let body = html! { h1 { "Run " (name) } (error_body(&e)) p { a href=(link) { "Back to " (name) } } };
            page(&state, e.status, &title, html! {}, body).await
        }
    }
}

async fn delete_workflow_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let segment = encode_segment(&name);
    confirm_delete(
        &state,
        &headers,
        &name,
        &format!("/manage/workflows/{segment}/delete"),
        "The workflow, its runs and its list of collected documents are deleted. The documents and their digests stay.",
        &format!("/workflows/{segment}"),
    )
    .await
}

/// The page that asks before deleting `name`: what goes and what stays, a Delete button posting
/// to `action` (login and CSRF as every form), and a way back to `cancel`.
async fn confirm_delete(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    action: &str,
    consequence: &str,
    cancel: &str,
) -> Response {
    let s = match logged_in(state, headers, action) {
        Ok(s) => s,
        Err(to) => return see_other(&to),
    };
    let body = html! {
        h1 { "Delete " (name) "?" }
        p { (consequence) }
        (post_button(action, "Delete", "danger", &s))
        p { a href=(cancel) { "Cancel" } }
    };
    page(state, StatusCode::OK, &format!("Delete {name} · dossier"), html! {}, body).await
}

async fn delete_workflow(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(res) = posted(&state, &headers, body).await {
        return res;
    }
    let lookup = name.clone();
    match state
        .read(move |r| Workflows::open(r.engine.store())?.remove(&lookup))
        .await
    {
        Ok(()) => {
            tracing::info!(workflow = %name, "workflow deleted in the browser");
            see_other("/workflows")
        }
        Err(e) => {
            page(
                &state,
                e.status,
                "Delete · dossier",
                html! {},
                error_body(&e),
            )
            .await
        }
    }
}

/// The Run / Edit / Delete controls of a workflow's page, for a logged-in browser, and how many
/// of its documents arrived since this browser's last visit.
pub(super) fn workflow_controls(
    name: &str,
    s: &LoggedIn,
    new: usize,
    since: Option<DateTime<Utc>>,
) -> Markup {
    let segment = encode_segment(name);
    html! {
        div.controls lang="en" {
            (post_button(&format!("/manage/workflows/{segment}/run"), "Run now", "primary", s))
            a href={ "/manage/workflows/" (segment) "/edit" } { "Edit" }
            a href={ "/manage/workflows/" (segment) "/delete" } { "Delete…" }
            @if let Some(t) = since {
                span.meta #new-since { (new) " new since your last visit (" (format_when(Some(t))) ")" }
            }
        }
    }
}

// --- sources ----------------------------------------------------------------------------------

async fn sources_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = state.sessions().get(&headers);
    let list = match state.read(|r| sources::list(r.engine)).await {
        Ok(l) => l,
        Err(e) => {
            return page(
                &state,
                e.status,
                "Sources · dossier",
                html! {},
                error_body(&e),
            )
            .await;
        }
    };
    let when =
        |t: Option<DateTime<Utc>>| t.map_or_else(|| "never".to_string(), |t| format_when(Some(t)));
    let body = html! {
        h1 { "Sources" }
        @if session.is_some() { p { a #add-source href="/manage/sources/new" { "Add a source" } } }
        @if list.is_empty() {
            p.empty { "No sources yet." }
        } @else {
            table.list #sources {
                thead { tr { th { "Source" } th { "Polled" } th { "Last poll" } th { "Last success" } th { "Items seen · new" } th { "Next poll" } th { "Last error" } @if session.is_some() { th {} } } }
                tbody {
                    @for src in &list {
                        tr.failing[src.last_error.is_some()] {
                            td { strong { (src.name) } br; span.meta { (src.kind) " · " code { (src.location) } } }
                            td { "every " (src.every) }
                            td { (when(src.last_poll)) }
                            td { (when(src.last_success)) }
                            td { (src.items_seen) " · " (src.items_new) }
                            td { (when(src.next_poll)) }
                            td { @if let Some(e) = &src.last_error { span.error-text { (e) } } @else { "—" } }
                            @if session.is_some() {
                                @let segment = encode_segment(&src.name);
                                td { a href={ "/manage/sources/" (segment) "/edit" } { "Edit" } " " a href={ "/manage/sources/" (segment) "/delete" } { "Delete…" } }
                            }
                        }
                    }
                }
            }
        }
    };
    page(&state, StatusCode::OK, "Sources · dossier", html! {}, body).await
}

fn source_fields(s: &SourceForm) -> Fields {
    [
        ("name", &s.name),
        ("location", &s.location),
        ("every", &s.every),
        ("lang", &s.lang),
        ("source_label", &s.source_label),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect()
}

fn source_input(fields: &[(String, String)]) -> SourceForm {
    let f = |k: &str| field(fields, k).trim().to_string();
    SourceForm {
        name: f("name"),
        location: f("location"),
        every: f("every"),
        lang: f("lang"),
        source_label: f("source_label"),
    }
}

fn source_form(
    action: &str,
    submit: &str,
    values: &[(String, String)],
    s: &LoggedIn,
    error: Option<&ApiError>,
) -> Markup {
    let v = |k: &str| field(values, k);
    html! {
        @if let Some(e) = error { p.error #form-error data-code=(e.code) { (e.message) } }
        form.manage #source-form method="post" action=(action) {
            (csrf_input(s))
            label { "Name " input type="text" name="name" value=(v("name")) required; }
            label { "Feed URL or directory " input type="text" name="location" value=(v("location")) required placeholder="https://example.com/feed.xml"; }
            label { "Poll every " input type="text" name="every" value=(v("every")) placeholder="30m"; }
            label { "Language " input type="text" name="lang" value=(v("lang")) placeholder="zh or en; empty to detect"; }
            label { "Source label " input type="text" name="source_label" value=(v("source_label")); }
            div.actions { button type="submit" { (submit) } " " a href="/sources" { "Cancel" } }
        }
    }
}

async fn new_source_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let s = match logged_in(&state, &headers, "/manage/sources/new") {
        Ok(s) => s,
        Err(to) => return see_other(&to),
    };
    let body =
        html! { h1 { "New source" } (source_form("/manage/sources", "Add source", &[], &s, None)) };
    page(
        &state,
        StatusCode::OK,
        "New source · dossier",
        html! {},
        body,
    )
    .await
}

async fn create_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (s, fields) = match posted(&state, &headers, body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = source_input(&fields);
    match state.read(move |r| sources::add(r.engine, &input)).await {
        Ok(()) => see_other("/sources"),
        Err(e) => {
            let body = html! { h1 { "New source" } (source_form("/manage/sources", "Add source", &fields, &s, Some(&e))) };
            page(&state, e.status, "New source · dossier", html! {}, body).await
        }
    }
}

async fn edit_source_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    let action = format!("/manage/sources/{}/edit", encode_segment(&name));
    let s = match logged_in(&state, &headers, &action) {
        Ok(s) => s,
        Err(to) => return see_other(&to),
    };
    let lookup = name.clone();
    let title = format!("Edit {name} · dossier");
    match state.read(move |r| sources::get(r.engine, &lookup)).await {
        Ok(src) => {
            let body = html! { h1 { "Edit " (name) } (source_form(&action, "Save", &source_fields(&src), &s, None)) };
            page(&state, StatusCode::OK, &title, html! {}, body).await
        }
        Err(e) => page(&state, e.status, &title, html! {}, error_body(&e)).await,
    }
}

async fn update_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let (s, fields) = match posted(&state, &headers, body).await {
        Ok(p) => p,
        Err(res) => return res,
    };
    let input = source_input(&fields);
    let old = name.clone();
    match state
        .read(move |r| sources::edit(r.engine, &old, &input))
        .await
    {
        Ok(()) => see_other("/sources"),
        Err(e) => {
            let action = format!("/manage/sources/{}/edit", encode_segment(&name));
            let body = html! { h1 { "Edit " (name) } (source_form(&action, "Save", &fields, &s, Some(&e))) };
            page(
                &state,
                e.status,
                &format!("Edit {name} · dossier"),
                html! {},
                body,
            )
            .await
        }
    }
}

async fn delete_source_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    confirm_delete(
        &state,
        &headers,
        &name,
        &format!("/manage/sources/{}/delete", encode_segment(&name)),
        "The source is no longer polled. Documents it brought stay.",
        "/sources",
    )
    .await
}

async fn delete_source(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if let Err(res) = posted(&state, &headers, body).await {
        return res;
    }
    match state.read(move |r| sources::remove(r.engine, &name)).await {
        Ok(()) => see_other("/sources"),
        Err(e) => {
            page(
                &state,
                e.status,
                "Delete · dossier",
                html! {},
                error_body(&e),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_workflow_form_reads_as_workflow_add_and_says_which_field_is_wrong() -> crate::Result<()>
    {
        let input = workflow_input(&fields(&[
            ("name", "稀土"),
            ("query", "稀土 出口"),
            ("sources", "财新, 新华社\n"),
            ("lang", "zh"),
            ("within_days", " 7 "),
            ("summarizer", "llm"),
            ("output_lang", "source"),
            ("first_run", ""),
        ]))?;
        assert_eq!(input.sources, vec!["财新", "新华社"]);
        assert_eq!(
            (input.lang.as_deref(), input.within_days, input.first_run),
            (Some("zh"), Some(7), None)
        );
        assert_eq!(input.summarizer, Some(SummarizerChoice::Llm));
        let back = workflow_fields(&input);
        assert_eq!(field(&back, "sources"), "财新, 新华社");
        assert_eq!(field(&back, "summarizer"), "llm");
        for (k, v, expect) in [
            ("first_run", "ten", "first_run: \"ten\" is not a number"),
            (
                "summarizer",
                "gpt",
                "summarizer: \"gpt\" is not a summarizer; choose extractive or llm",
            ),
            (
                "output_lang",
                "fr",
                "output_lang: \"fr\" is not an output language",
            ),
        ] {
            let err = workflow_input(&fields(&[("name", "x"), ("query", "y"), (k, v)]))
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.starts_with(expect), "{err}");
        }
        Ok(())
    }

    #[test]
    fn after_login_only_local_paths_are_followed() {
        assert_eq!(
            local_path("/workflows/%E7%A8%80"),
            Some("/workflows/%E7%A8%80")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "",
            "/a b",
            "/稀土",
        ] {
            assert_eq!(local_path(bad), None, "{bad}");
        }
    }
}
