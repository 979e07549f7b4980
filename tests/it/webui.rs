//! Managing dossier from the browser: login with the token (the session cookie's attributes, a
//! wrong token refused), CSRF and cross-site posts refused with 403, workflows added, edited,
//! run and deleted through the forms, "new since your last visit", the read-only UI without a
//! login, and the source health page. The router is driven with tower's `oneshot`.

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use dossier::serve::{self, AppState};
use tower::ServiceExt;

use super::serve::{TOKEN, config, ingest_into};
use super::{sample, tempdir};

/// The sample in a data directory of this module's own (these tests write workflows).
fn data() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempdir();
        ingest_into(dir.path(), &[sample()]);
        dir
    })
    .path()
}

fn state(token: Option<&str>) -> AppState {
    let mut c = config(data());
    c.serve.token = token.map(str::to_string);
    AppState::open(c).unwrap_or_else(|e| panic!("AppState::open: {e}"))
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Reply {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }

    /// The `name=value` part of the cookie `name` this reply sets.
    fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .and_then(|c| c.split(';').next().map(str::to_string))
    }

    /// The CSRF token of the first form on the page.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let at = self
            .body
            .find(marker)
            .unwrap_or_else(|| panic!("no CSRF field on the page: {}", self.body));
        self.body[at + marker.len()..]
            .chars()
            .take_while(|c| *c != '"')
            .collect()
    }
}

/// A request from this site's own page: `Host`, and the `Origin` and `Sec-Fetch-Site` a
/// browser sends with a form post.
async fn call(
    state: &AppState,
    method: Method,
    uri: &str,
    cookie: Option<&str>,
    form: &[(&str, &str)],
    origin: &str,
) -> Reply {
    let mut req = Request::builder()
        .method(method.clone())
        .uri(uri)
        .header(header::HOST, "127.0.0.1:7700");
    if let Some(c) = cookie {
        req = req.header(header::COOKIE, c);
    }
    let body = if method == Method::POST {
        req = req
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin)
            .header(
                "sec-fetch-site",
                // What a browser says: only the test's "evil" origin is another site.
                if origin.contains("evil") {
                    "cross-site"
                } else {
                    "same-origin"
                },
            );
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish()
    } else {
        String::new()
    };
    let req = req
        .body(Body::from(body))
        .unwrap_or_else(|e| panic!("request: {e}"));
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

const SITE: &str = "http://127.0.0.1:7700";

async fn get(state: &AppState, uri: &str, cookie: Option<&str>) -> Reply {
    call(state, Method::GET, uri, cookie, &[], SITE).await
}

async fn post(state: &AppState, uri: &str, cookie: Option<&str>, form: &[(&str, &str)]) -> Reply {
    call(state, Method::POST, uri, cookie, form, SITE).await
}

/// Logs in; the session cookie (`name=value`) and a CSRF token of its pages.
async fn login(state: &AppState) -> (String, String) {
    let r = post(
        state,
        "/login",
        None,
        &[("token", TOKEN), ("next", "/workflows")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let cookie = r
        .cookie("dossier_session")
        .unwrap_or_else(|| panic!("no session cookie: {:?}", r.set_cookies()));
    let page = get(state, "/manage/workflows/new", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    (cookie.clone(), page.csrf())
}

fn enc(s: &str) -> String {
    dossier::workflow::html::encode_segment(s)
}

#[tokio::test]
async fn login_sets_a_strict_http_only_session_cookie_and_a_wrong_token_is_refused() {
    let state = state(Some(TOKEN));
    let page = get(&state, "/login?next=/workflows", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("<input type=\"password\" name=\"token\""),
        "{}",
        page.body
    );

    let ok = post(
        &state,
        "/login",
        None,
        &[("token", TOKEN), ("next", "/workflows/%E7%A8%80")],
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/workflows/%E7%A8%80");
    let set = ok.set_cookies();
    assert_eq!(set.len(), 1, "{set:?}");
    let attrs: Vec<&str> = set[0].split("; ").collect();
    let id = attrs[0]
        .strip_prefix("dossier_session=")
        .unwrap_or_default();
    assert!(
        id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{set:?}"
    );
    for a in ["Path=/", "HttpOnly", "SameSite=Strict", "Max-Age=43200"] {
        assert!(attrs.contains(&a), "{a} missing: {set:?}");
    }
    assert!(
        !attrs.contains(&"Secure"),
        "plain http without serve.public_url: {set:?}"
    );
    let again = post(&state, "/login", None, &[("token", TOKEN)]).await;
    assert_ne!(
        again.cookie("dossier_session"),
        ok.cookie("dossier_session"),
        "every login a new random id"
    );
    assert_eq!(again.location(), "/workflows");
    let away = post(
        &state,
        "/login",
        None,
        &[("token", TOKEN), ("next", "//evil.example/x")],
    )
    .await;
    assert_eq!(
        away.location(),
        "/workflows",
        "never redirected off the site"
    );

    let wrong = post(&state, "/login", None, &[("token", "test-token-5f1d")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.set_cookies().is_empty(), "{:?}", wrong.set_cookies());
    assert!(
        wrong
            .body
            .contains("id=\"login-error\">That token is wrong."),
        "{}",
        wrong.body
    );
    let cross = call(
        &state,
        Method::POST,
        "/login",
        None,
        &[("token", TOKEN)],
        "https://evil.example",
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(cross.set_cookies().is_empty());

    // Behind https, the cookie is Secure.
    let mut c = config(data());
    c.serve.token = Some(TOKEN.into());
    c.serve.public_url = Some("https://news.example.org/dossier".into());
    let https = AppState::open(c).unwrap_or_else(|e| panic!("{e}"));
    let r = call(
        &https,
        Method::POST,
        "/login",
        None,
        &[("token", TOKEN)],
        "https://news.example.org",
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the public URL's origin is ours: {}",
        r.body
    );
    assert!(
        r.set_cookies()[0].ends_with("; Secure"),
        "{:?}",
        r.set_cookies()
    );

    // No token configured: nobody logs in.
    let none = state_without_token();
    let r = post(&none, "/login", None, &[("token", "")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        r.body.contains("has no token") && r.set_cookies().is_empty(),
        "{}",
        r.body
    );
}

fn state_without_token() -> AppState {
    state(None)
}

#[tokio::test]
async fn state_changing_posts_without_the_session_s_csrf_token_get_403() {
    let state = state(Some(TOKEN));
    let (cookie, csrf) = login(&state).await;
    let form = |csrf: &'static str| vec![("name", "csrf-test"), ("query", "稀土"), ("csrf", csrf)];

    let missing = post(
        &state,
        "/manage/workflows",
        Some(&cookie),
        &[("name", "csrf-test"), ("query", "稀土")],
    )
    .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN, "{}", missing.body);
    assert!(
        missing.body.contains("data-code=\"BadCsrf\"") && missing.body.contains("Reload the page"),
        "{}",
        missing.body
    );
    let wrong = post(&state, "/manage/workflows", Some(&cookie), &form("0000")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let mut fields = vec![("name", "csrf-test"), ("query", "稀土")];
    fields.push(("csrf", &csrf));
    let no_session = post(&state, "/manage/workflows", None, &fields).await;
    assert_eq!(no_session.status, StatusCode::FORBIDDEN);
    assert!(
        no_session.body.contains("data-code=\"NotLoggedIn\""),
        "{}",
        no_session.body
    );
    let cross = call(
        &state,
        Method::POST,
        "/manage/workflows",
        Some(&cookie),
        &fields,
        "https://evil.example",
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    assert!(
        cross.body.contains("data-code=\"CrossSite\""),
        "{}",
        cross.body
    );
    for refused in [&missing, &wrong, &no_session, &cross] {
        assert!(
            refused.body.contains("<h1>Not allowed</h1>"),
            "an HTML page: {}",
            refused.body
        );
    }
    let list = get(&state, "/api/workflows", None).await;
    assert!(
        !list.body.contains("csrf-test"),
        "nothing was added: {}",
        list.body
    );

    // Every other state-changing form is guarded the same way.
    for uri in [
        "/logout",
        "/manage/workflows/x/run",
        "/manage/workflows/x/edit",
        "/manage/workflows/x/delete",
        "/manage/sources",
        "/manage/sources/x/edit",
        "/manage/sources/x/delete",
    ] {
        let r = post(&state, uri, Some(&cookie), &[("csrf", "nope")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }

    let ok = post(&state, "/manage/workflows", Some(&cookie), &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    assert_eq!(ok.location(), "/workflows/csrf-test");

    // After logout the session and its token are dead.
    let out = post(&state, "/logout", Some(&cookie), &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("dossier_session=;") && c.contains("Max-Age=0")),
        "{:?}",
        out.set_cookies()
    );
    let after = post(
        &state,
        "/manage/workflows/csrf-test/delete",
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN);
    assert!(
        after.body.contains("data-code=\"NotLoggedIn\""),
        "{}",
        after.body
    );
}

#[tokio::test]
async fn without_login_the_ui_is_read_only() {
    let state = state(Some(TOKEN));
    let (cookie, csrf) = login(&state).await;
    let r = post(
        &state,
        "/manage/workflows",
        Some(&cookie),
        &[("name", "ro-test"), ("query", "稀土"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let list = get(&state, "/workflows", None).await;
    assert!(list.body.contains(">ro-test</a>"), "{}", list.body);
    assert!(
        !list.body.contains("Add a workflow") && !list.body.contains("<form"),
        "{}",
        list.body
    );
    let page = get(&state, "/workflows/ro-test", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("Run now") && !page.body.contains("name=\"csrf\""),
        "{}",
        page.body
    );
    assert!(
        page.set_cookies().is_empty(),
        "a reader without login gets no cookie: {:?}",
        page.set_cookies()
    );
    for uri in [
        "/manage/workflows/new",
        "/manage/workflows/ro-test/edit",
        "/manage/workflows/ro-test/delete",
        "/manage/sources/new",
    ] {
        let r = get(&state, uri, None).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(r.location(), format!("/login?next={}", enc(uri)), "{uri}");
    }
    let logged_in = get(&state, "/workflows", Some(&cookie)).await;
    assert!(
        logged_in
            .body
            .contains("<a id=\"add-workflow\" href=\"/manage/workflows/new\">"),
        "{}",
        logged_in.body
    );

    let sources = get(&state, "/sources", None).await;
    assert_eq!(sources.status, StatusCode::OK);
    assert!(
        sources.body.contains("<h1>Sources</h1>") && sources.body.contains("No sources yet."),
        "{}",
        sources.body
    );
    assert!(!sources.body.contains("Add a source"), "{}", sources.body);
    assert!(
        get(&state, "/sources", Some(&cookie))
            .await
            .body
            .contains("Add a source")
    );
}

#[tokio::test]
async fn workflows_are_added_edited_run_and_deleted_through_the_forms() {
    let state = state(Some(TOKEN));
    let (cookie, csrf) = login(&state).await;
    let c = Some(cookie.as_str());

    // An invalid workflow: the error above the form, what was typed kept, all escaped.
    let name = "稀土 <script>x</script>";
    let bad = post(
        &state,
        "/manage/workflows",
        c,
        &[
            ("name", name),
            ("query", "  "),
            ("first_run", "8"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(
        bad.body.contains(
            "<p class=\"error\" id=\"form-error\" data-code=\"bad_field\">query: is empty"
        ),
        "{}",
        bad.body
    );
    assert!(
        bad.body
            .contains("value=\"稀土 &lt;script&gt;x&lt;/script&gt;\""),
        "{}",
        bad.body
    );
    assert!(!bad.body.contains("<script>x"), "{}", bad.body);
    let bad = post(
        &state,
        "/manage/workflows",
        c,
        &[
            ("name", name),
            ("query", "稀土"),
            ("first_run", "lots"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert!(
        bad.body
            .contains("first_run: &quot;lots&quot; is not a number"),
        "{}",
        bad.body
    );

    let added = post(
        &state,
        "/manage/workflows",
        c,
        &[
            ("name", name),
            ("query", "稀土"),
            ("lang", "zh"),
            ("first_run", "5"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    assert_eq!(added.location(), format!("/workflows/{}", enc(name)));
    let dup = post(
        &state,
        "/manage/workflows",
        c,
        &[("name", name), ("query", "稀土"), ("csrf", &csrf)],
    )
    .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);

    // Run it: the result page counts the new documents; the workflow page shows them.
    let segment = enc(name);
    let run = post(
        &state,
        &format!("/manage/workflows/{segment}/run"),
        c,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.body);
    assert!(
        run.body
            .contains("First run: <strong>5</strong> new documents"),
        "{}",
        run.body
    );
    let again = post(
        &state,
        &format!("/manage/workflows/{segment}/run"),
        c,
        &[("csrf", &csrf)],
    )
    .await;
    assert!(
        again.body.contains("Run: <strong>0</strong> new documents"),
        "{}",
        again.body
    );
    let page = get(&state, &format!("/workflows/{segment}"), c).await;
    assert_eq!(
        page.body.matches("<article class=\"doc").count(),
        5,
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            "<form class=\"inline\" method=\"post\" action=\"/manage/workflows/{segment}/run\">"
        )),
        "{}",
        page.body
    );

    // Edit: the form is filled with the definition; saving renames it.
    let edit = get(&state, &format!("/manage/workflows/{segment}/edit"), c).await;
    assert!(
        edit.body
            .contains("<option value=\"zh\" lang=\"zh\" selected>"),
        "{}",
        edit.body
    );
    assert!(
        edit.body
            .contains("name=\"first_run\" min=\"1\" max=\"1000\" value=\"5\""),
        "{}",
        edit.body
    );
    let saved = post(
        &state,
        &format!("/manage/workflows/{segment}/edit"),
        c,
        &[
            ("name", "稀土-renamed"),
            ("query", "稀土 OR 锂"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    assert_eq!(
        saved.location(),
        format!("/workflows/{}", enc("稀土-renamed"))
    );
    let info = get(
        &state,
        &format!("/api/workflows/{}", enc("稀土-renamed")),
        None,
    )
    .await;
    assert!(
        info.body.contains("\"query\":\"稀土 OR 锂\"") && info.body.contains("\"documents\":5"),
        "{}",
        info.body
    );

    // Delete: a confirmation page, then the POST.
    let confirm = get(
        &state,
        &format!("/manage/workflows/{}/delete", enc("稀土-renamed")),
        c,
    )
    .await;
    assert!(
        confirm.body.contains("<h1>Delete 稀土-renamed?</h1>")
            && confirm.body.contains(">Delete</button>"),
        "{}",
        confirm.body
    );
    let gone = post(
        &state,
        &format!("/manage/workflows/{}/delete", enc("稀土-renamed")),
        c,
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(gone.status, StatusCode::SEE_OTHER);
    assert_eq!(
        get(&state, &format!("/workflows/{}", enc("稀土-renamed")), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Sources cannot be changed in this build; the form says so and keeps what was typed.
    let src = post(
        &state,
        "/manage/sources",
        c,
        &[
            ("name", "feed"),
            ("location", "https://example.com/f.xml"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(src.status, StatusCode::BAD_REQUEST);
    assert!(
        src.body.contains("id=\"form-error\"")
            && src.body.contains("value=\"https://example.com/f.xml\""),
        "{}",
        src.body
    );
}

#[tokio::test]
async fn a_workflow_page_marks_what_arrived_since_the_last_visit() {
    let state = state(Some(TOKEN));
    let (cookie, csrf) = login(&state).await;
    let name = "visits";
    let r = post(
        &state,
        "/manage/workflows",
        Some(&cookie),
        &[
            ("name", name),
            ("query", "稀土"),
            ("first_run", "3"),
            ("csrf", &csrf),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let run = post(
        &state,
        &format!("/manage/workflows/{name}/run"),
        Some(&cookie),
        &[("csrf", &csrf)],
    )
    .await;
    assert!(
        run.body.contains("<strong>3</strong> new documents"),
        "{}",
        run.body
    );

    // The first visit marks nothing and remembers the visit.
    let first = get(&state, &format!("/workflows/{name}"), Some(&cookie)).await;
    assert!(
        !first.body.contains("new-mark") && !first.body.contains("id=\"new-since\""),
        "{}",
        first.body
    );
    let seen = first
        .cookie("dossier_seen")
        .unwrap_or_else(|| panic!("no seen cookie: {:?}", first.set_cookies()));
    assert!(
        first
            .set_cookies()
            .iter()
            .any(|c| c.contains("HttpOnly; SameSite=Strict")),
        "{:?}",
        first.set_cookies()
    );

    // A visit remembered from before the run: all three are new.
    let key = &blake3::hash(name.as_bytes()).to_hex()[..12];
    let before = format!("{cookie}; dossier_seen={key}-1000000000");
    let page = get(&state, &format!("/workflows/{name}"), Some(&before)).await;
    assert_eq!(
        page.body.matches("<article class=\"doc new\"").count()
            + page
                .body
                .matches("<article class=\"doc title-only new\"")
                .count(),
        3,
        "{}",
        page.body
    );
    assert!(page.body.contains("<span class=\"meta\" id=\"new-since\">3 new since your last visit (2001-09-09 01:46)</span>"), "{}", page.body);

    // A visit after the run: nothing new.
    let later = format!(
        "{cookie}; dossier_seen={key}-{}",
        chrono::Utc::now().timestamp() + 60
    );
    let page = get(&state, &format!("/workflows/{name}"), Some(&later)).await;
    assert!(
        !page.body.contains("new-mark") && page.body.contains("0 new since your last visit"),
        "{}",
        page.body
    );
    assert!(!seen.is_empty());
}
