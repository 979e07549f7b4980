//! Fetching: how does dossier ask another site for a feed or a page without being a nuisance?
//!
//! One blocking reqwest client with a User-Agent that names dossier and where to read about it,
//! connect and whole-request timeouts, at most 5 redirects and gzip. Requests are conditional
//! when the caller has validators (ETag / Last-Modified): a 304 is a cheap "nothing new". A body
//! is read in pieces and abandoned past `sources.max_bytes`, so a runaway response never fills
//! memory. Requests to one host are spaced by `sources.host_delay_ms` (polls run one at a time,
//! so there is never more than one request in flight per host). Failures say whether they are
//! worth retrying: 429, 5xx, timeouts and refused connections are transient (with the server's
//! Retry-After when it gave one); anything else needs someone to look.

use std::collections::HashMap;
use std::io::Read;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::config::Config;

/// The User-Agent of every request dossier makes to a source or a webhook receiver:
/// `dossier/VERSION (+URL)`, the URL being where a site owner can reach whoever runs this
/// dossier (`sources.contact_url`, else `serve.public_url`).
pub fn user_agent(contact: Option<&str>) -> String {
    match contact {
        Some(url) => format!("dossier/{} (+{url})", env!("CARGO_PKG_VERSION")),
        None => format!("dossier/{}", env!("CARGO_PKG_VERSION")),
    }
}

/// Longest wait a Retry-After header may ask for; a larger value is capped, not trusted.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// Validators of a resource fetched before, sent so an unchanged one costs a 304.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// A response with a body.
#[derive(Debug, Clone)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// The Content-Type header, for the charset.
    pub content_type: Option<String>,
    pub validators: Validators,
    /// Where the body came from after redirects.
    pub final_url: String,
}

/// What a GET brought.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// 304: the resource is as it was at the validators.
    NotModified,
    Body(Body),
}

/// Why a GET failed.
#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    /// Worth trying again later: 429, 5xx, a timeout, a connection refused or reset. The
    /// server's Retry-After, when it sent one.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Will fail the same way until someone changes something: 4xx, a redirect loop, a body
    /// over the limit, a URL that is not http(s).
    Permanent { message: String },
}

impl FetchError {
    pub fn message(&self) -> &str {
        match self {
            FetchError::Transient { message, .. } | FetchError::Permanent { message } => message,
        }
    }
}

/// The polite HTTP client; one per polling thread.
pub struct Fetcher {
    client: reqwest::blocking::Client,
    max_bytes: u64,
    host_delay: Duration,
    last_request: HashMap<String, Instant>,
}

impl Fetcher {
    pub fn new(config: &Config) -> crate::Result<Fetcher> {
        let cfg = &config.sources;
        let contact = cfg
            .contact_url
            .as_deref()
            .or(config.serve.public_url.as_deref());
        let client = reqwest::blocking::Client::builder()
            .user_agent(user_agent(contact))
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.max(1)))
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .gzip(true)
            .build()
            .map_err(|e| {
                crate::Error::Config(format!("cannot set up the HTTP client for sources: {e}"))
            })?;
        Ok(Fetcher {
            client,
            max_bytes: cfg.max_bytes,
            host_delay: Duration::from_millis(cfg.host_delay_ms),
            last_request: HashMap::new(),
        })
    }

    /// The configured client, for webhook deliveries (same User-Agent and timeouts).
    pub fn client(&self) -> &reqwest::blocking::Client {
        &self.client
    }

    /// Waits until `host` may be asked again, then marks it asked.
    fn pace(&mut self, host: &str) {
        if let Some(last) = self.last_request.get(host) {
            let since = last.elapsed();
            if since < self.host_delay {
                std::thread::sleep(self.host_delay - since);
            }
        }
        self.last_request.insert(host.to_string(), Instant::now());
    }

    /// GETs `url`, conditionally when `validators` has any.
    pub fn get(
        &mut self,
        url: &str,
        validators: Option<&Validators>,
    ) -> Result<Fetched, FetchError> {
        let parsed = url::Url::parse(url).map_err(|e| FetchError::Permanent {
            message: format!("not a URL ({e})"),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(FetchError::Permanent {
                message: format!(
                    "only http:// and https:// URLs can be fetched, not {}:",
                    parsed.scheme()
                ),
            });
        }
        let host = parsed.host_str().unwrap_or_default().to_string();
        self.pace(&host);
        let mut request = self.client.get(parsed.clone());
        if let Some(v) = validators {
            if let Some(etag) = &v.etag {
                request = request.header(reqwest::header::IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &v.last_modified {
                request = request.header(reqwest::header::IF_MODIFIED_SINCE, lm);
            }
        }
        let started = Instant::now();
        let response = request.send().map_err(|e| request_error(&e))?;
        let status = response.status();
        tracing::debug!(
            url,
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "fetched"
        );
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(parse_retry_after);
            return Err(FetchError::Transient {
                message: format!("the server answered {status}; dossier will try again later"),
                retry_after,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Permanent {
                message: format!("the server answered {status}; check the URL"),
            });
        }
        let header = |name: reqwest::header::HeaderName| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(String::from)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE);
        let validators = Validators {
            etag: header(reqwest::header::ETAG),
            last_modified: header(reqwest::header::LAST_MODIFIED),
        };
        let final_url = response.url().to_string();
        if let Some(len) = response.content_length()
            && len > self.max_bytes
        {
            return Err(too_large(self.max_bytes));
        }
        let mut bytes = Vec::new();
        // Read one byte past the limit to tell "exactly at the limit" from "over it".
        let read = response
            .take(self.max_bytes.saturating_add(1))
            .read_to_end(&mut bytes);
        if let Err(e) = read {
            return Err(read_error(&e));
        }
        if bytes.len() as u64 > self.max_bytes {
            return Err(too_large(self.max_bytes));
        }
        Ok(Fetched::Body(Body {
            bytes,
            content_type,
            validators,
            final_url,
        }))
    }
}

fn too_large(limit: u64) -> FetchError {
    FetchError::Permanent {
        message: format!(
            "the response is larger than {limit} bytes (sources.max_bytes or DOSSIER_FETCH_MAX_BYTES); \
             raise the limit if the source is genuine"
        ),
    }
}

/// Classifies a failed request: timeouts and connection failures are transient.
fn request_error(e: &reqwest::Error) -> FetchError {
    if e.is_redirect() {
        return FetchError::Permanent {
            message: "more than 5 redirects (a redirect loop?); check the URL".into(),
        };
    }
    if e.is_timeout() {
        return FetchError::Transient {
            message: "timed out (sources.timeout_secs or DOSSIER_FETCH_TIMEOUT_SECS); dossier will try again later".into(),
            retry_after: None,
        };
    }
    if e.is_connect() {
        return FetchError::Transient {
            message: format!(
                "could not connect ({}); dossier will try again later",
                root_cause(e)
            ),
            retry_after: None,
        };
    }
    if e.is_builder() {
        return FetchError::Permanent {
            message: format!("cannot request this URL: {}", root_cause(e)),
        };
    }
    FetchError::Transient {
        message: format!("the request failed: {}", root_cause(e)),
        retry_after: None,
    }
}

/// A body read that failed: a timeout mid-body is transient like one before it.
fn read_error(e: &std::io::Error) -> FetchError {
    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
        || e.to_string().contains("timed out");
    if timed_out {
        return FetchError::Transient {
            message: "timed out reading the body (sources.timeout_secs or DOSSIER_FETCH_TIMEOUT_SECS); dossier will try again later".into(),
            retry_after: None,
        };
    }
    FetchError::Transient {
        message: format!("reading the body failed: {e}"),
        retry_after: None,
    }
}

/// The innermost cause of a reqwest error: its own Display hides it ("error sending request").
fn root_cause(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// Retry-After as seconds or an HTTP date, capped at a day; a date in the past means now.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(secs) => Duration::from_secs(secs),
        Err(_) => {
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            (at.with_timezone(&Utc) - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
        }
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after("99999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = (Utc::now() + chrono::Duration::seconds(600)).to_rfc2822();
        let wait = parse_retry_after(&later).map(|d| d.as_secs());
        assert!(wait.is_some_and(|s| (590..=600).contains(&s)), "{wait:?}");
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn user_agent_names_dossier_its_version_and_contact() {
        let v = env!("CARGO_PKG_VERSION");
        assert_eq!(
            user_agent(Some("https://news.example.org")),
            format!("dossier/{v} (+https://news.example.org)")
        );
        assert_eq!(user_agent(None), format!("dossier/{v}"));
    }
}
