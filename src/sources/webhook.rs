//! Webhooks: how is someone told that a workflow collected new documents?
//!
//! A workflow may have one webhook (`workflow_webhooks`): after a run that collected documents,
//! a JSON POST to its URL lists them (title, source, dates, the link to the document's page,
//! the one-line digest) with `X-Dossier-Signature: sha256=<hex HMAC-SHA256 of the body>` when
//! it has a secret, so the receiver can tell dossier's posts from forgeries. A delivery is
//! retried with doubling delays (`sources.webhook_attempts`, `sources.webhook_retry_ms`) on a
//! network failure, 429 or 5xx, and every delivery — made or given up — is logged
//! (`webhook_deliveries`, `dossier workflow deliveries NAME`). [`after_new_documents`] is what
//! `dossier serve` and `dossier poll` call once new documents are stored: it runs every workflow
//! (each collects only documents past its cursor, so nothing is counted twice) and delivers.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use sha2::Sha256;

use crate::config::Config;
use crate::engine::Engine;
use crate::error::{Error, Result};
use crate::store::Store;
use crate::workflow::{self, RunOutcome, Workflows};

/// The header carrying the body's signature.
pub const SIGNATURE_HEADER: &str = "X-Dossier-Signature";

/// A workflow's webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub url: String,
    pub secret: Option<String>,
}

/// One logged delivery.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub at: DateTime<Utc>,
    pub run_id: i64,
    pub url: String,
    pub attempts: u32,
    /// The receiver's last HTTP status, if it answered.
    pub status: Option<u16>,
    pub delivered: bool,
    pub error: Option<String>,
}

/// The body of a delivery.
#[derive(Debug, Serialize)]
pub struct Payload {
    pub workflow: String,
    pub run_id: i64,
    pub ran_at: DateTime<Utc>,
    /// The workflow's page and feed (absolute with `serve.public_url`, else relative).
    pub page: String,
    pub feed: String,
    pub documents: Vec<PayloadDocument>,
}

#[derive(Debug, Serialize)]
pub struct PayloadDocument {
    pub id: String,
    pub title: String,
    pub source: String,
    pub published_at: Option<DateTime<Utc>>,
    /// The original article.
    pub url: Option<String>,
    /// The document's page on the dossier server.
    pub link: String,
    /// The digest in one line, when the run made or found one.
    pub digest: Option<String>,
}

fn workflow_id(store: &Store, name: &str) -> Result<i64> {
    store
        .connection()
        .query_row("SELECT id FROM workflows WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()?
        .ok_or_else(|| Error::NotFound {
            what: "workflow (see `dossier workflow list`)",
            name: name.to_string(),
        })
}

/// The webhook of workflow `name`, if it has one.
pub fn get(store: &Store, name: &str) -> Result<Option<Webhook>> {
    let id = workflow_id(store, name)?;
    Ok(store
        .connection()
        .query_row(
            "SELECT url, secret FROM workflow_webhooks WHERE workflow_id = ?1",
            [id],
            |r| {
                Ok(Webhook {
                    url: r.get(0)?,
                    secret: r.get(1)?,
                })
            },
        )
        .optional()?)
}

/// Sets (or with `None` removes) the webhook of workflow `name`. The URL must be http(s).
pub fn set(store: &Store, name: &str, hook: Option<&Webhook>) -> Result<()> {
    let id = workflow_id(store, name)?;
    match hook {
        None => {
            store
                .connection()
                .execute("DELETE FROM workflow_webhooks WHERE workflow_id = ?1", [id])?;
        }
        Some(h) => {
            let url = url::Url::parse(h.url.trim()).map_err(|e| Error::BadField {
                field: "--webhook".into(),
                message: format!(
                    "{:?} is not a URL ({e}); give the receiver's http(s) address",
                    h.url
                ),
            })?;
            if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
                return Err(Error::BadField {
                    field: "--webhook".into(),
                    message: format!(
                        "{:?}: only http:// and https:// receivers are supported",
                        h.url
                    ),
                });
            }
            let secret = h.secret.as_deref().map(str::trim).filter(|s| !s.is_empty());
            store.connection().execute(
                "INSERT INTO workflow_webhooks (workflow_id, url, secret) VALUES (?1, ?2, ?3)
                 ON CONFLICT(workflow_id) DO UPDATE SET url = excluded.url, secret = excluded.secret",
                params![id, url.as_str(), secret],
            )?;
        }
    }
    Ok(())
}

/// The deliveries of workflow `name`, newest first.
pub fn deliveries(store: &Store, name: &str, limit: usize) -> Result<Vec<Delivery>> {
    let id = workflow_id(store, name)?;
    let mut stmt = store.connection().prepare(
        "SELECT at, run_id, url, attempts, status, delivered, error FROM webhook_deliveries
         WHERE workflow_id = ?1 ORDER BY id DESC LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![id, limit as i64], |r| {
            Ok(Delivery {
                at: Utc
                    .timestamp_opt(r.get(0)?, 0)
                    .single()
                    .unwrap_or(DateTime::<Utc>::UNIX_EPOCH),
                run_id: r.get(1)?,
                url: r.get(2)?,
                attempts: r.get::<_, i64>(3)?.clamp(0, i64::from(u32::MAX)) as u32,
                status: r
                    .get::<_, Option<i64>>(4)?
                    .and_then(|s| u16::try_from(s).ok()),
                delivered: r.get::<_, i64>(5)? != 0,
                error: r.get(6)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(7 + bytes.len() * 2);
    hex.push_str("sha256=");
    for b in bytes {
        hex.push_str(&format!("{b:02x}"));
    }
    hex
}

/// Builds the payload of a run that collected documents.
pub fn payload(engine: &Engine, outcome: &RunOutcome, base: Option<&str>) -> Result<Payload> {
    let base = base.unwrap_or("").trim_end_matches('/');
    let name = crate::workflow::html::encode_segment(&outcome.workflow);
    let mut documents = Vec::new();
    for id in &outcome.new_documents {
        let doc = engine.document(id)?;
        let digest =
            workflow::stored_digest(engine.store(), id)?.map(|d| crate::seed::render_seed_line(&d));
        documents.push(PayloadDocument {
            link: format!(
                "{base}/documents/{}",
                crate::workflow::html::encode_segment(id)
            ),
            id: doc.id,
            title: doc.title,
            source: doc.source,
            published_at: doc.published_at,
            url: doc.url,
            digest,
        });
    }
    Ok(Payload {
        workflow: outcome.workflow.clone(),
        run_id: outcome.run.id,
        ran_at: outcome.run.ran_at,
        page: format!("{base}/workflows/{name}"),
        feed: format!("{base}/api/workflows/{name}/feed.atom"),
        documents,
    })
}

/// POSTs `body` to the hook, retrying transient failures; returns the log entry.
pub fn deliver(
    client: &reqwest::blocking::Client,
    hook: &Webhook,
    body: &[u8],
    attempts: u32,
    first_retry: Duration,
) -> Delivery {
    let mut status = None;
    let mut error = None;
    let mut tries = 0;
    let mut wait = first_retry;
    while tries < attempts.max(1) {
        if tries > 0 {
            std::thread::sleep(wait);
            wait = wait.saturating_mul(2);
        }
        tries += 1;
        let mut request = client
            .post(&hook.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(secret) = &hook.secret {
            request = request.header(SIGNATURE_HEADER, signature(secret, body));
        }
        match request.send() {
            Ok(r) if r.status().is_success() => {
                return Delivery {
                    at: Utc::now(),
                    run_id: 0,
                    url: hook.url.clone(),
                    attempts: tries,
                    status: Some(r.status().as_u16()),
                    delivered: true,
                    error: None,
                };
            }
            Ok(r) => {
                status = Some(r.status().as_u16());
                error = Some(format!("the receiver answered {}", r.status()));
                // A 4xx other than 429 will not change by itself.
                if r.status().is_client_error()
                    && r.status() != reqwest::StatusCode::TOO_MANY_REQUESTS
                {
                    break;
                }
            }
            Err(e) => {
                status = None;
                error = Some(format!("the request failed: {e}"));
            }
        }
        tracing::debug!(url = %hook.url, attempt = tries, error = ?error, "webhook delivery failed");
    }
    Delivery {
        at: Utc::now(),
        run_id: 0,
        url: hook.url.clone(),
        attempts: tries,
        status,
        delivered: false,
        error,
    }
}

fn log_delivery(store: &Store, workflow: &str, d: &Delivery) -> Result<()> {
    let id = workflow_id(store, workflow)?;
    store.connection().execute(
        "INSERT INTO webhook_deliveries (workflow_id, run_id, url, at, attempts, status, delivered, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![id, d.run_id, d.url, d.at.timestamp(), d.attempts, d.status, i64::from(d.delivered), d.error],
    )?;
    Ok(())
}

/// Runs every workflow after new documents arrived, and delivers the webhooks of those that
/// collected some. A workflow that fails is logged and the others go on.
pub fn after_new_documents(
    engine: &Engine,
    client: &reqwest::blocking::Client,
    config: &Config,
) -> Result<Vec<RunOutcome>> {
    let mut outcomes = Vec::new();
    for name in workflow_names(engine)? {
        outcomes.extend(run_and_notify(engine, client, config, &name)?);
    }
    Ok(outcomes)
}

/// The names of every workflow.
pub fn workflow_names(engine: &Engine) -> Result<Vec<String>> {
    Ok(Workflows::open(engine.store())?
        .list()?
        .into_iter()
        .map(|w| w.workflow.name)
        .collect())
}

/// Runs one workflow and, when it collected documents, delivers its webhook. `None` when the
/// run failed for a reason other than a fault (logged; the next arrival runs it again).
pub fn run_and_notify(
    engine: &Engine,
    client: &reqwest::blocking::Client,
    config: &Config,
    name: &str,
) -> Result<Option<RunOutcome>> {
    let outcome = match workflow::run(engine, name) {
        Ok(o) => o,
        Err(e) if e.class() != crate::error::ErrorClass::Internal => {
            tracing::warn!(workflow = %name, error = %e, "workflow run after new documents failed");
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    if !outcome.new_documents.is_empty()
        && let Some(hook) = get(engine.store(), name)?
    {
        let body = serde_json::to_vec(&payload(
            engine,
            &outcome,
            config.serve.public_url.as_deref(),
        )?)?;
        let mut d = deliver(
            client,
            &hook,
            &body,
            config.sources.webhook_attempts,
            Duration::from_millis(config.sources.webhook_retry_ms),
        );
        d.run_id = outcome.run.id;
        if d.delivered {
            tracing::info!(workflow = %name, url = %hook.url, attempts = d.attempts, documents = outcome.new_documents.len(), "webhook delivered");
        } else {
            tracing::warn!(workflow = %name, url = %hook.url, attempts = d.attempts, error = ?d.error, "webhook not delivered");
        }
        log_delivery(engine.store(), name, &d)?;
    }
    Ok(Some(outcome))
}

/// `dossier workflow deliveries NAME`.
pub fn deliveries_text(name: &str, list: &[Delivery]) -> String {
    if list.is_empty() {
        return format!("No webhook deliveries for {name} yet.\n");
    }
    let mut out = String::new();
    for d in list {
        let status = d
            .status
            .map_or("no answer".to_string(), |s| format!("HTTP {s}"));
        let what = if d.delivered { "delivered" } else { "FAILED" };
        out.push_str(&format!(
            "{} run {} → {}: {what} after {} attempt{} ({status})",
            d.at.format("%Y-%m-%d %H:%M:%S UTC"),
            d.run_id,
            d.url,
            d.attempts,
            if d.attempts == 1 { "" } else { "s" }
        ));
        if let Some(e) = &d.error {
            out.push_str(&format!(": {}", crate::report::terminal_safe(e)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_github_style_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
