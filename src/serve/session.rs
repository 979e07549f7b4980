//! session: who may change things from the browser, and did this form come from our own page?
//!
//! A browser logs in once with the server's token (`serve.token`) and gets a session cookie
//! (`HttpOnly; SameSite=Strict; Path=/`, and `Secure` when `serve.public_url` is https) holding
//! a random id. Sessions live in this process's memory only — a restart logs everyone out, which
//! is the safe direction — keyed by a hash of the id (a lookup's timing says nothing about the
//! ids held) and expire [`SESSION_TTL`] after login. Each session has its own CSRF token, which
//! every state-changing form carries in a hidden field (synchroniser token); a POST is refused
//! unless the session, that token and — when the browser sends them — `Origin` and
//! `Sec-Fetch-Site` all agree. The `dossier_seen` cookie remembers, per workflow, when a
//! logged-in browser last opened its page, so the page can mark what arrived since.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};

use crate::config::ServeConfig;
use crate::error::{Error, Result};

/// How long a login lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3600);
/// Sessions kept at most; only token holders create them, so this bounds a runaway script.
const MAX_SESSIONS: usize = 1000;
pub const SESSION_COOKIE: &str = "dossier_session";
pub const SEEN_COOKIE: &str = "dossier_seen";
/// Workflows remembered in the `dossier_seen` cookie (most recently visited first).
const SEEN_MAX: usize = 40;
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

struct Session {
    csrf: String,
    expires: Instant,
}

/// What a request of a logged-in browser carries along.
#[derive(Debug, Clone)]
pub struct LoggedIn {
    /// The session's CSRF token, for the hidden field of every form on the page.
    pub csrf: String,
    /// The cookie's session id (to end the session at logout).
    id: String,
}

/// The sessions of this process.
#[derive(Default)]
pub struct Sessions {
    by_hash: Mutex<HashMap<[u8; 32], Session>>,
}

/// 32 random bytes from the operating system, as hex.
fn random_hex() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::io(
            "the operating system's random source",
            std::io::Error::other(e.to_string()),
        )
    })?;
    let mut out = String::with_capacity(64);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

fn key(id: &str) -> [u8; 32] {
    *blake3::hash(id.as_bytes()).as_bytes()
}

impl Sessions {
    /// Starts a session: its id (for the cookie) and what pages need of it.
    pub fn create(&self) -> Result<LoggedIn> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut map = super::lock(&self.by_hash);
        map.retain(|_, s| s.expires > now);
        if map.len() >= MAX_SESSIONS
            && let Some(oldest) = map.iter().min_by_key(|(_, s)| s.expires).map(|(k, _)| *k)
        {
            map.remove(&oldest);
        }
        map.insert(
            key(&id),
            Session {
                csrf: csrf.clone(),
                expires: now + SESSION_TTL,
            },
        );
        tracing::info!(sessions = map.len(), "browser session started");
        Ok(LoggedIn { csrf, id })
    }

    /// The live session the request's cookie names, if any.
    pub fn get(&self, headers: &HeaderMap) -> Option<LoggedIn> {
        let id = cookie(headers, SESSION_COOKIE)?;
        let mut map = super::lock(&self.by_hash);
        let k = key(&id);
        match map.get(&k) {
            Some(s) if s.expires > Instant::now() => Some(LoggedIn {
                csrf: s.csrf.clone(),
                id,
            }),
            Some(_) => {
                map.remove(&k);
                None
            }
            None => None,
        }
    }

    /// Ends a session.
    pub fn end(&self, session: &LoggedIn) {
        super::lock(&self.by_hash).remove(&key(&session.id));
    }
}

/// The value of cookie `name` in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

fn secure(serve: &ServeConfig) -> bool {
    serve
        .public_url
        .as_deref()
        .is_some_and(|u| u.len() >= 8 && u[..8].eq_ignore_ascii_case("https://"))
}

/// A `Set-Cookie` value with the attributes every cookie of ours has; `max_age` 0 deletes it.
fn set_cookie(serve: &ServeConfig, name: &str, value: &str, max_age: u64) -> HeaderValue {
    let secure = if secure(serve) { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    // Our names and values are hex, digits and punctuation: always a valid header value.
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("dossier_invalid=1"))
}

pub fn session_cookie(serve: &ServeConfig, session: &LoggedIn) -> HeaderValue {
    set_cookie(serve, SESSION_COOKIE, &session.id, SESSION_TTL.as_secs())
}

pub fn clear_session_cookie(serve: &ServeConfig) -> HeaderValue {
    set_cookie(serve, SESSION_COOKIE, "", 0)
}

/// Compares two secrets in time independent of their contents and lengths: their hashes are
/// compared, and blake3's `Hash` equality is constant-time.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    blake3::hash(a) == blake3::hash(b)
}

/// Why a state-changing request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No live session: not logged in, or the session expired or the server restarted.
    NotLoggedIn,
    /// The form's CSRF token is missing or is not this session's.
    BadCsrf,
    /// The browser says the request came from another site.
    CrossSite,
}

impl Refusal {
    /// What the refusal page says: what was wrong and what to do.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NotLoggedIn => {
                "You are not logged in, or your session ended (sessions last 12 hours and end when the server restarts). Log in with the server's token, then submit the form again."
            }
            Refusal::BadCsrf => {
                "This form's security token is missing or out of date (it belongs to an earlier login). Reload the page and submit the form again."
            }
            Refusal::CrossSite => {
                "This request came from another site, so it was refused. Use the forms of this dossier's own pages."
            }
        }
    }
}

/// Whether the browser's own headers place the request on this site: `Sec-Fetch-Site` (when
/// sent) is `same-origin` or `none`, and `Origin` (when sent) is this server as the request
/// named it (`Host`) or `serve.public_url`. Older clients send neither; the CSRF token still
/// guards them.
pub fn same_site(headers: &HeaderMap, serve: &ServeConfig) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if !(site.eq_ignore_ascii_case("same-origin") || site.eq_ignore_ascii_case("none")) {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    // A privacy setting can make a browser send `null` for its own page's posts; then its
    // `Sec-Fetch-Site: same-origin` (checked above) is the word to take, and without it, refuse.
    if origin == "null" {
        return headers
            .get("sec-fetch-site")
            .is_some_and(|s| s.as_bytes().eq_ignore_ascii_case(b"same-origin"));
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let by_host = origin
        .split_once("://")
        .is_some_and(|(_, rest)| host.is_some_and(|h| rest.eq_ignore_ascii_case(h)));
    let by_public_url = serve
        .public_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .is_some_and(|u| {
            u.origin()
                .ascii_serialization()
                .eq_ignore_ascii_case(origin)
        });
    by_host || by_public_url
}

/// Checks a state-changing form post: a live session, its CSRF token in `form`, and no sign of
/// another site. Returns the session.
pub fn check_post(
    sessions: &Sessions,
    serve: &ServeConfig,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> std::result::Result<LoggedIn, Refusal> {
    if !same_site(headers, serve) {
        return Err(Refusal::CrossSite);
    }
    let session = sessions.get(headers).ok_or(Refusal::NotLoggedIn)?;
    let given = form
        .iter()
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !same_secret(given.as_bytes(), session.csrf.as_bytes()) {
        return Err(Refusal::BadCsrf);
    }
    Ok(session)
}

/// When this browser last opened workflow `name`'s page (Unix seconds), from `dossier_seen`.
pub fn last_seen(headers: &HeaderMap, name: &str) -> Option<i64> {
    let want = seen_key(name);
    seen_entries(headers)
        .into_iter()
        .find(|(k, _)| *k == want)
        .map(|(_, t)| t)
}

/// The `dossier_seen` cookie with workflow `name` seen at `now` (moved to the front; the
/// oldest entries dropped past [`SEEN_MAX`]).
pub fn seen_cookie(serve: &ServeConfig, headers: &HeaderMap, name: &str, now: i64) -> HeaderValue {
    let want = seen_key(name);
    let mut entries = vec![(want.clone(), now)];
    entries.extend(
        seen_entries(headers)
            .into_iter()
            .filter(|(k, _)| *k != want),
    );
    entries.truncate(SEEN_MAX);
    let value: Vec<String> = entries.iter().map(|(k, t)| format!("{k}-{t}")).collect();
    set_cookie(serve, SEEN_COOKIE, &value.join("."), 365 * 24 * 3600)
}

/// A workflow's key in the cookie: names may be long and in any script; a short hash is not.
fn seen_key(name: &str) -> String {
    blake3::hash(name.as_bytes()).to_hex()[..12].to_string()
}

fn seen_entries(headers: &HeaderMap) -> Vec<(String, i64)> {
    cookie(headers, SEEN_COOKIE)
        .map(|v| {
            v.split('.')
                .filter_map(|e| e.split_once('-'))
                .filter(|(k, _)| k.len() == 12 && k.bytes().all(|b| b.is_ascii_hexdigit()))
                .filter_map(|(k, t)| Some((k.to_string(), t.parse().ok()?)))
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                *k,
                HeaderValue::from_str(v).unwrap_or_else(|e| panic!("{e}")),
            );
        }
        h
    }

    #[test]
    fn sessions_are_found_by_their_cookie_and_end_at_logout() -> Result<()> {
        let sessions = Sessions::default();
        let s = sessions.create()?;
        assert_eq!(s.id.len(), 64);
        assert_ne!(s.id, s.csrf);
        let h = headers(&[("cookie", &format!("other=1; {SESSION_COOKIE}={}", s.id))]);
        assert_eq!(sessions.get(&h).map(|l| l.csrf), Some(s.csrf.clone()));
        assert!(
            sessions
                .get(&headers(&[("cookie", "dossier_session=00")]))
                .is_none()
        );
        sessions.end(&s);
        assert!(sessions.get(&h).is_none());
        Ok(())
    }

    #[test]
    fn posts_need_the_session_its_token_and_our_own_origin() -> Result<()> {
        let config = ServeConfig::default();
        let sessions = Sessions::default();
        let s = sessions.create()?;
        let cookie = format!("{SESSION_COOKIE}={}", s.id);
        let form = vec![(CSRF_FIELD.to_string(), s.csrf.clone())];
        let ok = headers(&[
            ("cookie", &cookie),
            ("host", "127.0.0.1:7700"),
            ("origin", "http://127.0.0.1:7700"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(check_post(&sessions, &config, &ok, &form).is_ok());
        let plain = headers(&[("cookie", &cookie)]);
        assert!(
            check_post(&sessions, &config, &plain, &form).is_ok(),
            "clients that send neither header rely on the token"
        );
        let wrong = vec![(CSRF_FIELD.to_string(), "0".repeat(64))];
        assert_eq!(
            check_post(&sessions, &config, &plain, &wrong).err(),
            Some(Refusal::BadCsrf)
        );
        assert_eq!(
            check_post(&sessions, &config, &plain, &[]).err(),
            Some(Refusal::BadCsrf)
        );
        let evil = headers(&[
            ("cookie", &cookie),
            ("host", "127.0.0.1:7700"),
            ("origin", "https://evil.example"),
        ]);
        assert_eq!(
            check_post(&sessions, &config, &evil, &form).err(),
            Some(Refusal::CrossSite)
        );
        let cross = headers(&[("cookie", &cookie), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            check_post(&sessions, &config, &cross, &form).err(),
            Some(Refusal::CrossSite)
        );
        let null = headers(&[
            ("cookie", &cookie),
            ("host", "127.0.0.1:7700"),
            ("origin", "null"),
        ]);
        assert_eq!(
            check_post(&sessions, &config, &null, &form).err(),
            Some(Refusal::CrossSite)
        );
        let null_same_origin = headers(&[
            ("cookie", &cookie),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(
            check_post(&sessions, &config, &null_same_origin, &form).is_ok(),
            "the browser's Sec-Fetch-Site vouches for a null Origin"
        );
        assert_eq!(
            check_post(&sessions, &config, &headers(&[]), &form).err(),
            Some(Refusal::NotLoggedIn)
        );
        Ok(())
    }

    #[test]
    fn cookies_are_http_only_strict_and_secure_behind_https() -> Result<()> {
        let mut config = ServeConfig::default();
        let s = Sessions::default().create()?;
        let v = session_cookie(&config, &s);
        let v = v.to_str().unwrap_or_default();
        assert_eq!(
            v,
            format!(
                "dossier_session={}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
                s.id
            )
        );
        config.public_url = Some("https://news.example.org/dossier".into());
        assert!(
            session_cookie(&config, &s)
                .to_str()
                .unwrap_or_default()
                .ends_with("; Secure")
        );
        assert!(
            clear_session_cookie(&config)
                .to_str()
                .unwrap_or_default()
                .contains("Max-Age=0")
        );
        Ok(())
    }

    #[test]
    fn the_seen_cookie_remembers_each_workflow_s_last_visit() {
        let config = ServeConfig::default();
        let c = seen_cookie(&config, &HeaderMap::new(), "稀土供应链", 100);
        let value = c
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let h = headers(&[("cookie", &value)]);
        assert_eq!(last_seen(&h, "稀土供应链"), Some(100));
        assert_eq!(last_seen(&h, "other"), None);
        let c = seen_cookie(&config, &h, "other", 200);
        let value = c
            .to_str()
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_string();
        let h = headers(&[("cookie", &value)]);
        assert_eq!(
            (last_seen(&h, "稀土供应链"), last_seen(&h, "other")),
            (Some(100), Some(200))
        );
        let junk = headers(&[("cookie", "dossier_seen=zz-1.abc.0123456789ab-x")]);
        assert_eq!(last_seen(&junk, "other"), None);
    }
}
