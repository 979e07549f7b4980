//! config: how is this dossier set up?
//!
//! All settings live in one `Config`, built once at start-up from, in increasing precedence, a
//! TOML file (`--config`, `DOSSIER_CONFIG`, or `<data-dir>/config.toml`), environment
//! variables (`DOSSIER_*`), and command-line flags. The binary hands this module the
//! environment and the flags; nothing else in dossier reads the environment.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::digest::llm::{LlmConfig, OutputLang, ResponseFormat};
use crate::error::{Error, Result};

/// Everything configurable. Field docs name the environment variable that overrides each one.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and index live. `DOSSIER_DATA_DIR`, `--data-dir`.
    pub data_dir: PathBuf,
    pub ingest: IngestConfig,
    pub llm: LlmSettings,
    pub serve: ServeConfig,
    pub sources: SourcesConfig,
}

/// The `[sources]` section: how feeds, pages and webhook receivers are fetched, and how
/// `dossier serve` schedules polls.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourcesConfig {
    /// Where site owners can reach whoever runs this dossier, sent in the User-Agent
    /// (`dossier/VERSION (+URL)`); default `serve.public_url`. `DOSSIER_CONTACT_URL`.
    pub contact_url: Option<String>,
    /// Seconds to connect to a host. `DOSSIER_FETCH_CONNECT_TIMEOUT_SECS`.
    pub connect_timeout_secs: u64,
    /// Seconds one whole request may take (headers and body) before it is abandoned.
    /// `DOSSIER_FETCH_TIMEOUT_SECS`.
    pub timeout_secs: u64,
    /// Largest response body read, bytes (after gzip); a larger one is abandoned mid-stream.
    /// `DOSSIER_FETCH_MAX_BYTES`.
    pub max_bytes: u64,
    /// Milliseconds between two requests to the same host. `DOSSIER_FETCH_HOST_DELAY_MS`.
    pub host_delay_ms: u64,
    /// Whether `dossier serve` polls sources on their schedules and runs the workflows when new
    /// documents arrive. `DOSSIER_SERVE_POLL` (true/false).
    pub poll_in_serve: bool,
    /// Seconds between two looks of `dossier serve` for sources that are due.
    /// `DOSSIER_POLL_TICK_SECS`.
    pub tick_secs: u64,
    /// Fetch the linked page of feed items that carry only a summary. `DOSSIER_FULL_TEXT`.
    pub full_text: bool,
    /// Attempts per webhook delivery (the first plus retries with doubling delays).
    /// `DOSSIER_WEBHOOK_ATTEMPTS`.
    pub webhook_attempts: u32,
    /// Milliseconds before the first webhook retry; each further retry waits twice as long.
    /// `DOSSIER_WEBHOOK_RETRY_MS`.
    pub webhook_retry_ms: u64,
}

impl Default for SourcesConfig {
    fn default() -> Self {
        SourcesConfig {
            contact_url: None,
            connect_timeout_secs: 10,
            timeout_secs: 30,
            max_bytes: 10 * 1024 * 1024,
            host_delay_ms: 1000,
            poll_in_serve: true,
            tick_secs: 5,
            full_text: true,
            webhook_attempts: 4,
            webhook_retry_ms: 2000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Largest accepted document (title + paragraphs), bytes. `DOSSIER_MAX_DOC_BYTES`.
    pub max_doc_bytes: usize,
    /// Indexing threads. `DOSSIER_INDEX_THREADS`.
    pub index_threads: usize,
    /// Index writer memory budget, MiB (shared by the threads). `DOSSIER_INDEX_HEAP_MB`.
    pub index_heap_mb: usize,
    /// Documents per database transaction.
    pub batch_docs: usize,
    /// Make the index durable (a tantivy commit) at least this often, seconds.
    pub index_commit_secs: u64,
    /// How long a writer (ingest, reindex, an API ingest) waits for another process that is
    /// writing the same data directory before giving up with a "busy" error, seconds.
    /// `DOSSIER_LOCK_WAIT_SECS`.
    pub lock_wait_secs: u64,
    /// Group documents into stories (near-duplicate copies) as they are stored. Off, ingest is
    /// a little faster and every document stands alone until a later ingest with it on.
    pub stories: bool,
}

impl Default for IngestConfig {
    fn default() -> Self {
        IngestConfig {
            max_doc_bytes: 8 * 1024 * 1024,
            index_threads: 2,
            index_heap_mb: 256,
            batch_docs: 2000,
            index_commit_secs: 30,
            lock_wait_secs: 30,
            stories: true,
        }
    }
}

/// The `[llm]` section: every field of [`LlmConfig`], each also settable from the environment.
/// [`LlmSettings::llm_config`] is the one conversion into the client's configuration.
#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmSettings {
    /// OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1. `DOSSIER_LLM_URL`.
    pub base_url: Option<String>,
    /// Model name sent to the endpoint. `DOSSIER_LLM_MODEL`.
    pub model: Option<String>,
    /// Bearer token. `DOSSIER_LLM_API_KEY` (better there than in a file others may read).
    pub api_key: Option<String>,
    /// Limit for one request, answer included. `DOSSIER_LLM_TIMEOUT_SECS`.
    pub timeout_secs: u64,
    /// Retries of timeouts, connection errors, 429 and 5xx. `DOSSIER_LLM_MAX_RETRIES`.
    pub max_retries: u32,
    /// Documents digested at once. `DOSSIER_LLM_CONCURRENCY`.
    pub concurrency: usize,
    /// Limit on the answer's length, tokens. `DOSSIER_LLM_MAX_TOKENS`.
    pub max_tokens: u32,
    /// "en" (default, as in the seeds) or "source" (also "zh"). `DOSSIER_LLM_LANG`.
    pub output_lang: String,
    /// How JSON is asked for: "json_object" (default; any server), "json_object+schema"
    /// (llama.cpp / llama-cpp-python: the schema becomes a grammar) or "json_schema" (OpenAI
    /// structured outputs, vLLM, Ollama). `DOSSIER_LLM_RESPONSE_FORMAT`.
    pub response_format: String,
    /// Characters of paragraph text sent; the rest of a longer document is left out.
    /// `DOSSIER_LLM_MAX_INPUT_CHARS`.
    pub max_input_chars: usize,
    /// First delay between retries, milliseconds (doubles each retry, up to 30 s).
    /// `DOSSIER_LLM_RETRY_BASE_DELAY_MS`.
    pub retry_base_delay_ms: u64,
    /// Longest `Retry-After` honoured, seconds; a server asking for more fails the request.
    /// `DOSSIER_LLM_MAX_RETRY_WAIT_SECS`.
    pub max_retry_wait_secs: u64,
    /// Largest response body read, bytes; a larger answer is an error, not read to its end.
    /// `DOSSIER_LLM_MAX_RESPONSE_BYTES`.
    pub max_response_bytes: u64,
}

// Hand-written so that the API key never reaches a log line.
impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("timeout_secs", &self.timeout_secs)
            .field("max_retries", &self.max_retries)
            .field("concurrency", &self.concurrency)
            .field("max_tokens", &self.max_tokens)
            .field("output_lang", &self.output_lang)
            .field("response_format", &self.response_format)
            .field("max_input_chars", &self.max_input_chars)
            .field("retry_base_delay_ms", &self.retry_base_delay_ms)
            .field("max_retry_wait_secs", &self.max_retry_wait_secs)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings {
            base_url: None,
            model: None,
            api_key: None,
            timeout_secs: 120,
            max_retries: 4,
            concurrency: 4,
            max_tokens: 1024,
            output_lang: "en".into(),
            response_format: "json_object".into(),
            max_input_chars: 24_000,
            retry_base_delay_ms: 1000,
            max_retry_wait_secs: 60,
            max_response_bytes: 1024 * 1024,
        }
    }
}

impl LlmSettings {
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs)
    }

    /// The LLM client's configuration. Errors name the settings to set. Every field is set
    /// here (no `..`), so a new `LlmConfig` field cannot be forgotten.
    pub fn llm_config(&self) -> Result<LlmConfig> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
        let (Some(base_url), Some(model)) = (given(&self.base_url), given(&self.model)) else {
            return Err(Error::Config(
                "the LLM summarizer needs an endpoint and a model: set llm.base_url (e.g. \
                 http://127.0.0.1:8080/v1) and llm.model in config.toml, or DOSSIER_LLM_URL and \
                 DOSSIER_LLM_MODEL"
                    .into(),
            ));
        };
        let output_lang = OutputLang::parse(&self.output_lang).ok_or_else(|| {
            Error::Config(format!(
                "llm.output_lang (DOSSIER_LLM_LANG) is {:?}; use \"en\" or \"source\"",
                self.output_lang
            ))
        })?;
        let response_format = ResponseFormat::parse(&self.response_format).ok_or_else(|| {
            Error::Config(format!(
                "llm.response_format (DOSSIER_LLM_RESPONSE_FORMAT) is {:?}; use \"json_object\", \
                 \"json_object+schema\" or \"json_schema\"",
                self.response_format
            ))
        })?;
        Ok(LlmConfig {
            base_url,
            model,
            api_key: self.api_key.clone(),
            timeout: self.timeout(),
            max_retries: self.max_retries,
            concurrency: self.concurrency,
            output_lang,
            max_tokens: self.max_tokens,
            response_format,
            max_input_chars: self.max_input_chars,
            retry_base_delay: Duration::from_millis(self.retry_base_delay_ms),
            max_retry_wait: Duration::from_secs(self.max_retry_wait_secs),
            max_response_bytes: self.max_response_bytes,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Listen address. `DOSSIER_ADDR`, `--addr`.
    pub addr: String,
    /// Bearer token for write endpoints. `DOSSIER_TOKEN`. Trimmed; blank means no token.
    pub token: Option<String>,
    /// Largest accepted request body, bytes (as sent, so compressed for a gzip body).
    pub max_body_bytes: usize,
    /// The URL readers reach this server at (e.g. `https://news.example.org/dossier`), for the
    /// absolute links of Atom feeds; http(s), no query or fragment, kept without a trailing
    /// `/`. Without it feeds link relative to the server's root. `DOSSIER_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// Open connections served at once; further ones wait in the listen backlog until one
    /// closes, so idle clients cannot use up the process's file descriptors.
    /// `DOSSIER_MAX_CONNECTIONS`.
    pub max_connections: usize,
    /// Seconds a connection may take, from when it is ready for a request, to send the
    /// request's complete header; then it is closed. `DOSSIER_HEADER_TIMEOUT_SECS`.
    pub header_timeout_secs: u64,
    /// Seconds a connection may sit with no request in flight and no bytes moving (an idle
    /// keep-alive connection, a silent client) before it is closed. The header timeout also runs
    /// while a connection waits for a request, so the smaller of the two bounds a silent one.
    /// `DOSSIER_IDLE_TIMEOUT_SECS`.
    pub idle_timeout_secs: u64,
    /// On SIGTERM or Ctrl-C, seconds to let requests in flight finish before exiting anyway.
    /// `DOSSIER_SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace_secs: u64,
    /// Largest decompressed text of one POST /api/ingest body, bytes. `DOSSIER_MAX_INGEST_BYTES`.
    pub max_ingest_bytes: u64,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            addr: "127.0.0.1:7700".into(),
            token: None,
            max_body_bytes: 16 * 1024 * 1024,
            public_url: None,
            max_connections: 512,
            header_timeout_secs: 10,
            idle_timeout_secs: 5,
            shutdown_grace_secs: 10,
            max_ingest_bytes: 256 * 1024 * 1024,
        }
    }
}

impl ServeConfig {
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Checks a public base URL (`serve.public_url`, `workflow run --base-url`) and returns it
/// without its trailing `/`. `setting` names where it came from, for the error.
pub fn public_url(setting: &str, value: &str) -> Result<String> {
    let bad = |why: &str| {
        Error::Config(format!(
            "{setting} is {value:?}: {why}; give the address readers reach dossier at, like \"https://news.example.org\" or \"https://example.org/dossier\""
        ))
    };
    let url = url::Url::parse(value.trim()).map_err(|e| bad(&format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err(bad("it must be an http:// or https:// URL with a host"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("it must not have a ?query or #fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("it must not carry a user name or password (feeds are public)"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// The shape of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    ingest: IngestConfig,
    llm: LlmSettings,
    serve: ServeConfig,
    sources: SourcesConfig,
}

/// Settings given as command-line flags (highest precedence).
#[derive(Debug, Clone, Default)]
pub struct Flags {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
    pub addr: Option<String>,
}

impl Config {
    /// Builds the configuration: file < environment < flags. `env` is the process environment
    /// (passed in so tests can give their own).
    pub fn load(flags: &Flags, env: &HashMap<String, String>) -> Result<Config> {
        let explicit_file = flags.config_file.clone().or_else(|| env.get("DOSSIER_CONFIG").map(PathBuf::from));
        let data_dir_early = flags
            .data_dir
            .clone()
            .or_else(|| env.get("DOSSIER_DATA_DIR").map(PathBuf::from));
        let file = match &explicit_file {
            Some(path) => Some((path.clone(), read_file(path)?)),
            None => {
                let dir = data_dir_early.clone().unwrap_or_else(default_data_dir);
                let path = dir.join("config.toml");
                if path.exists() { Some((path.clone(), read_file(&path)?)) } else { None }
            }
        };
        let file_cfg = file.map(|(_, c)| c).unwrap_or_default();
        let mut cfg = Config {
            data_dir: file_cfg.data_dir.unwrap_or_else(default_data_dir),
            ingest: file_cfg.ingest,
            llm: file_cfg.llm,
            serve: file_cfg.serve,
            sources: file_cfg.sources,
        };
        // Environment.
        if let Some(v) = env.get("DOSSIER_DATA_DIR") {
            cfg.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env.get("DOSSIER_MAX_DOC_BYTES") {
            cfg.ingest.max_doc_bytes = parse_env("DOSSIER_MAX_DOC_BYTES", v)?;
        }
        if let Some(v) = env.get("DOSSIER_INDEX_THREADS") {
            cfg.ingest.index_threads = parse_env("DOSSIER_INDEX_THREADS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_INDEX_HEAP_MB") {
            cfg.ingest.index_heap_mb = parse_env("DOSSIER_INDEX_HEAP_MB", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LOCK_WAIT_SECS") {
            cfg.ingest.lock_wait_secs = parse_env("DOSSIER_LOCK_WAIT_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_URL") {
            cfg.llm.base_url = Some(v.clone());
        }
        if let Some(v) = env.get("DOSSIER_LLM_MODEL") {
            cfg.llm.model = Some(v.clone());
        }
        if let Some(v) = env.get("DOSSIER_LLM_TIMEOUT_SECS") {
            cfg.llm.timeout_secs = parse_env("DOSSIER_LLM_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_MAX_RETRIES") {
            cfg.llm.max_retries = parse_env("DOSSIER_LLM_MAX_RETRIES", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_CONCURRENCY") {
            cfg.llm.concurrency = parse_env("DOSSIER_LLM_CONCURRENCY", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_MAX_TOKENS") {
            cfg.llm.max_tokens = parse_env("DOSSIER_LLM_MAX_TOKENS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_MAX_INPUT_CHARS") {
            cfg.llm.max_input_chars = parse_env("DOSSIER_LLM_MAX_INPUT_CHARS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_RETRY_BASE_DELAY_MS") {
            cfg.llm.retry_base_delay_ms = parse_env("DOSSIER_LLM_RETRY_BASE_DELAY_MS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_MAX_RETRY_WAIT_SECS") {
            cfg.llm.max_retry_wait_secs = parse_env("DOSSIER_LLM_MAX_RETRY_WAIT_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_MAX_RESPONSE_BYTES") {
            cfg.llm.max_response_bytes = parse_env("DOSSIER_LLM_MAX_RESPONSE_BYTES", v)?;
        }
        if let Some(v) = env.get("DOSSIER_LLM_RESPONSE_FORMAT") {
            cfg.llm.response_format = v.clone();
        }
        if let Some(v) = env.get("DOSSIER_LLM_LANG") {
            cfg.llm.output_lang = v.clone();
        }
        if let Some(v) = env.get("DOSSIER_LLM_API_KEY") {
            cfg.llm.api_key = Some(v.clone());
        }
        if let Some(v) = env.get("DOSSIER_ADDR") {
            cfg.serve.addr = v.clone();
        }
        if let Some(v) = env.get("DOSSIER_TOKEN") {
            cfg.serve.token = Some(v.clone());
        }
        if let Some(v) = env.get("DOSSIER_PUBLIC_URL") {
            cfg.serve.public_url = Some(v.clone()).filter(|u| !u.is_empty());
        }
        if let Some(v) = env.get("DOSSIER_MAX_CONNECTIONS") {
            cfg.serve.max_connections = parse_env("DOSSIER_MAX_CONNECTIONS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_HEADER_TIMEOUT_SECS") {
            cfg.serve.header_timeout_secs = parse_env("DOSSIER_HEADER_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_IDLE_TIMEOUT_SECS") {
            cfg.serve.idle_timeout_secs = parse_env("DOSSIER_IDLE_TIMEOUT_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_SHUTDOWN_GRACE_SECS") {
            cfg.serve.shutdown_grace_secs = parse_env("DOSSIER_SHUTDOWN_GRACE_SECS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_MAX_INGEST_BYTES") {
            cfg.serve.max_ingest_bytes = parse_env("DOSSIER_MAX_INGEST_BYTES", v)?;
        }
        for (name, slot) in [
            ("DOSSIER_FETCH_CONNECT_TIMEOUT_SECS", &mut cfg.sources.connect_timeout_secs),
            ("DOSSIER_FETCH_TIMEOUT_SECS", &mut cfg.sources.timeout_secs),
            ("DOSSIER_FETCH_MAX_BYTES", &mut cfg.sources.max_bytes),
            ("DOSSIER_FETCH_HOST_DELAY_MS", &mut cfg.sources.host_delay_ms),
            ("DOSSIER_POLL_TICK_SECS", &mut cfg.sources.tick_secs),
            ("DOSSIER_WEBHOOK_RETRY_MS", &mut cfg.sources.webhook_retry_ms),
        ] {
            if let Some(v) = env.get(name) {
                *slot = parse_env(name, v)?;
            }
        }
        if let Some(v) = env.get("DOSSIER_CONTACT_URL") {
            cfg.sources.contact_url = Some(v.clone()).filter(|u| !u.trim().is_empty());
        }
        if let Some(v) = env.get("DOSSIER_WEBHOOK_ATTEMPTS") {
            cfg.sources.webhook_attempts = parse_env("DOSSIER_WEBHOOK_ATTEMPTS", v)?;
        }
        if let Some(v) = env.get("DOSSIER_SERVE_POLL") {
            cfg.sources.poll_in_serve = parse_bool_env("DOSSIER_SERVE_POLL", v)?;
        }
        if let Some(v) = env.get("DOSSIER_FULL_TEXT") {
            cfg.sources.full_text = parse_bool_env("DOSSIER_FULL_TEXT", v)?;
        }
        // A secret of blanks (an empty `DOSSIER_TOKEN=`, a stray newline in a file) is no
        // secret: treat it as unset so the server refuses to be exposed without a real one.
        cfg.serve.token = trimmed_secret(cfg.serve.token.take());
        cfg.llm.api_key = trimmed_secret(cfg.llm.api_key.take());
        // Flags.
        if let Some(d) = &flags.data_dir {
            cfg.data_dir = d.clone();
        }
        if let Some(a) = &flags.addr {
            cfg.serve.addr = a.clone();
        }
        cfg.validate()?;
        if let Some(u) = &cfg.serve.public_url {
            cfg.serve.public_url = Some(public_url("serve.public_url (or DOSSIER_PUBLIC_URL)", u)?);
        }
        Ok(cfg)
    }

    fn validate(&self) -> Result<()> {
        if self.ingest.index_heap_mb < 16 {
            return Err(Error::Config(format!(
                "ingest.index_heap_mb is {} MiB; the index writer needs at least 16 MiB per thread",
                self.ingest.index_heap_mb
            )));
        }
        if OutputLang::parse(&self.llm.output_lang).is_none() {
            return Err(Error::Config(format!(
                "llm.output_lang (DOSSIER_LLM_LANG) is {:?}; use \"en\" or \"source\"",
                self.llm.output_lang
            )));
        }
        // Zero would refuse every connection or close each one before its first request.
        for (name, value) in [
            ("serve.max_connections (DOSSIER_MAX_CONNECTIONS)", self.serve.max_connections as u64),
            ("serve.header_timeout_secs (DOSSIER_HEADER_TIMEOUT_SECS)", self.serve.header_timeout_secs),
            ("serve.idle_timeout_secs (DOSSIER_IDLE_TIMEOUT_SECS)", self.serve.idle_timeout_secs),
        ] {
            if value == 0 {
                return Err(Error::Config(format!("{name} is 0; it must be at least 1")));
            }
        }
        for (name, value) in [
            ("sources.connect_timeout_secs (DOSSIER_FETCH_CONNECT_TIMEOUT_SECS)", self.sources.connect_timeout_secs),
            ("sources.timeout_secs (DOSSIER_FETCH_TIMEOUT_SECS)", self.sources.timeout_secs),
            ("sources.max_bytes (DOSSIER_FETCH_MAX_BYTES)", self.sources.max_bytes),
            ("sources.tick_secs (DOSSIER_POLL_TICK_SECS)", self.sources.tick_secs),
            ("sources.webhook_attempts (DOSSIER_WEBHOOK_ATTEMPTS)", u64::from(self.sources.webhook_attempts)),
        ] {
            if value == 0 {
                return Err(Error::Config(format!("{name} is 0; it must be at least 1")));
            }
        }
        if ResponseFormat::parse(&self.llm.response_format).is_none() {
            return Err(Error::Config(format!(
                "llm.response_format (DOSSIER_LLM_RESPONSE_FORMAT) is {:?}; use \"json_object\", \
                 \"json_object+schema\" or \"json_schema\"",
                self.llm.response_format
            )));
        }
        Ok(())
    }

    pub fn db_path(&self) -> PathBuf {
        self.data_dir.join("dossier.db")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

/// The platform's per-user data directory (e.g. ~/.local/share/dossier).
pub fn default_data_dir() -> PathBuf {
    directories::ProjectDirs::from("", "", "dossier")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".dossier"))
}

fn read_file(path: &Path) -> Result<FileConfig> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::Config(format!(
            "the configuration file {} does not exist; create it, or name another with --config \
             or DOSSIER_CONFIG",
            path.display()
        )),
        _ => Error::io(path, e),
    })?;
    toml::from_str(&text).map_err(|e| {
        Error::Config(format!("{}: {}", path.display(), e.to_string().trim_end()))
    })
}

/// A secret without surrounding blanks, or `None` when nothing is left.
fn trimmed_secret(secret: Option<String>) -> Option<String> {
    secret.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn parse_bool_env(name: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::Config(format!("environment variable {name}={value:?} is not true or false"))),
    }
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> Result<T> {
    value.trim().parse().map_err(|_| {
        Error::Config(format!("environment variable {name}={value:?} is not a valid number"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_then_env_then_flags() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "data_dir = \"/from/file\"\n[serve]\naddr = \"127.0.0.1:1\"\n[ingest]\nindex_threads = 1\n")
            .map_err(|e| Error::io(&file, e))?;
        let mut env = HashMap::new();
        env.insert("DOSSIER_CONFIG".to_string(), file.display().to_string());
        let c = Config::load(&Flags::default(), &env)?;
        assert_eq!(c.data_dir, PathBuf::from("/from/file"));
        assert_eq!(c.ingest.index_threads, 1);
        env.insert("DOSSIER_DATA_DIR".into(), "/from/env".into());
        env.insert("DOSSIER_ADDR".into(), "127.0.0.1:2".into());
        let c = Config::load(&Flags::default(), &env)?;
        assert_eq!(c.data_dir, PathBuf::from("/from/env"));
        assert_eq!(c.serve.addr, "127.0.0.1:2");
        let flags = Flags { data_dir: Some("/from/flag".into()), ..Flags::default() };
        assert_eq!(Config::load(&flags, &env)?.data_dir, PathBuf::from("/from/flag"));
        Ok(())
    }

    #[test]
    fn public_url_from_file_or_env_is_checked_and_normalized() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[serve]\npublic_url = \"https://news.example.org/dossier/\"\n")
            .map_err(|e| Error::io(&file, e))?;
        let flags = Flags { config_file: Some(file), ..Flags::default() };
        let c = Config::load(&flags, &HashMap::new())?;
        assert_eq!(c.serve.public_url.as_deref(), Some("https://news.example.org/dossier"));
        let mut env = HashMap::new();
        env.insert("DOSSIER_PUBLIC_URL".to_string(), "http://10.0.0.5:7700".to_string());
        let c = Config::load(&flags, &env)?;
        assert_eq!(c.serve.public_url.as_deref(), Some("http://10.0.0.5:7700"));
        for bad in ["javascript:alert(1)", "ftp://x.org", "news.example.org", "https://x.org/?a=1", "https://x.org/#top", "https://u:p@x.org"] {
            env.insert("DOSSIER_PUBLIC_URL".to_string(), bad.to_string());
            let err = Config::load(&flags, &env).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.contains("serve.public_url") && err.contains("DOSSIER_PUBLIC_URL"), "{bad}: {err}");
        }
        Ok(())
    }

    #[test]
    fn blank_tokens_are_no_tokens() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[serve]\ntoken = \" s3cret\\n\"\n").map_err(|e| Error::io(&file, e))?;
        let flags = Flags { config_file: Some(file), ..Flags::default() };
        assert_eq!(Config::load(&flags, &HashMap::new())?.serve.token.as_deref(), Some("s3cret"));
        for blank in ["", "   ", "\t\n"] {
            let env = HashMap::from([
                ("DOSSIER_TOKEN".to_string(), blank.to_string()),
                ("DOSSIER_LLM_API_KEY".to_string(), blank.to_string()),
            ]);
            let c = Config::load(&flags, &env)?;
            assert_eq!(c.serve.token, None, "{blank:?}");
            assert_eq!(c.llm.api_key, None, "{blank:?}");
        }
        Ok(())
    }

    #[test]
    fn connection_settings_from_file_and_env_and_zero_is_refused() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "[serve]\nmax_connections = 64\nheader_timeout_secs = 3\n")
            .map_err(|e| Error::io(&file, e))?;
        let mut env = HashMap::new();
        env.insert("DOSSIER_CONFIG".to_string(), file.display().to_string());
        env.insert("DOSSIER_IDLE_TIMEOUT_SECS".to_string(), "7".to_string());
        let c = Config::load(&Flags::default(), &env)?;
        assert_eq!((c.serve.max_connections, c.serve.header_timeout_secs), (64, 3));
        assert_eq!((c.serve.idle_timeout_secs, c.serve.shutdown_grace_secs), (7, 10));
        env.insert("DOSSIER_MAX_CONNECTIONS".to_string(), "0".to_string());
        let err = Config::load(&Flags::default(), &env).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("serve.max_connections") && err.contains("DOSSIER_MAX_CONNECTIONS"), "{err}");
        Ok(())
    }

    #[test]
    fn every_llm_setting_comes_from_file_and_environment() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
        let file = dir.path().join("c.toml");
        let toml = "[llm]\nbase_url = \"http://h:1/v1\"\nmodel = \"m\"\napi_key = \"k\"\n\
                    timeout_secs = 7\nmax_retries = 1\nconcurrency = 3\nmax_tokens = 99\n\
                    output_lang = \"source\"\nresponse_format = \"json_schema\"\n\
                    max_input_chars = 500\nretry_base_delay_ms = 20\nmax_retry_wait_secs = 9\n\
                    max_response_bytes = 4096\n";
        std::fs::write(&file, toml).map_err(|e| Error::io(&file, e))?;
        let flags = Flags { config_file: Some(file), ..Flags::default() };
        let c = Config::load(&flags, &HashMap::new())?.llm.llm_config()?;
        assert_eq!((c.base_url.as_str(), c.model.as_str(), c.api_key.as_deref()), ("http://h:1/v1", "m", Some("k")));
        assert_eq!((c.timeout, c.max_retries, c.concurrency, c.max_tokens), (Duration::from_secs(7), 1, 3, 99));
        assert_eq!((c.output_lang, c.response_format), (OutputLang::Source, ResponseFormat::JsonSchema));
        assert_eq!((c.max_input_chars, c.retry_base_delay, c.max_retry_wait), (500, Duration::from_millis(20), Duration::from_secs(9)));
        assert_eq!(c.max_response_bytes, 4096);
        let env: HashMap<String, String> = [
            ("DOSSIER_LLM_URL", "http://e:2/v1"),
            ("DOSSIER_LLM_MODEL", "em"),
            ("DOSSIER_LLM_API_KEY", "ek"),
            ("DOSSIER_LLM_TIMEOUT_SECS", "8"),
            ("DOSSIER_LLM_MAX_RETRIES", "2"),
            ("DOSSIER_LLM_CONCURRENCY", "5"),
            ("DOSSIER_LLM_MAX_TOKENS", "77"),
            ("DOSSIER_LLM_LANG", "en"),
            ("DOSSIER_LLM_RESPONSE_FORMAT", "json_object+schema"),
            ("DOSSIER_LLM_MAX_INPUT_CHARS", "600"),
            ("DOSSIER_LLM_RETRY_BASE_DELAY_MS", "30"),
            ("DOSSIER_LLM_MAX_RETRY_WAIT_SECS", "11"),
            ("DOSSIER_LLM_MAX_RESPONSE_BYTES", "8192"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let c = Config::load(&flags, &env)?.llm.llm_config()?;
        assert_eq!((c.base_url.as_str(), c.model.as_str(), c.api_key.as_deref()), ("http://e:2/v1", "em", Some("ek")));
        assert_eq!((c.timeout, c.max_retries, c.concurrency, c.max_tokens), (Duration::from_secs(8), 2, 5, 77));
        assert_eq!((c.output_lang, c.response_format), (OutputLang::English, ResponseFormat::JsonObjectWithSchema));
        assert_eq!((c.max_input_chars, c.retry_base_delay, c.max_retry_wait), (600, Duration::from_millis(30), Duration::from_secs(11)));
        assert_eq!(c.max_response_bytes, 8192);
        Ok(())
    }

    #[test]
    fn an_unset_endpoint_names_the_settings() {
        let err = LlmSettings::default().llm_config().err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("llm.base_url") && err.contains("DOSSIER_LLM_URL") && err.contains("DOSSIER_LLM_MODEL"), "{err}");
    }

    #[test]
    fn bad_file_names_the_file_and_key() {
        let dir = tempfile::tempdir().ok();
        let Some(dir) = dir else { return };
        let file = dir.path().join("c.toml");
        let _ = std::fs::write(&file, "[ingest]\nindex_thread = 2\n");
        let flags = Flags { config_file: Some(file), ..Flags::default() };
        let err = Config::load(&flags, &HashMap::new()).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("c.toml") && err.contains("index_thread"), "{err}");
    }
}
