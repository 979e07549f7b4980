//! The `dossier` command: parses arguments, sets up logging, and calls into the library.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use dossier::config::{Config, Flags};
use dossier::engine::{Engine, IngestOptions};
use dossier::report::{self, Highlight};
use dossier::stories::page as story_page;
use dossier::search::{Collapse, MatchMode, SearchRequest, SortOrder, TitleOnly};
use dossier::digest::llm::OutputLang;
use dossier::digest::{render_markdown_for, render_terminal, render_terminal_for};
use dossier::digesting::{DigestOptions, SummarizerChoice};
use dossier::error::ErrorClass;
use dossier::{Error, Lang, dates};

#[derive(Parser)]
#[command(name = "dossier", version, about = "Search and digest financial news and research, Chinese and English")]
struct Cli {
    /// Data directory (database and index). Also DOSSIER_DATA_DIR.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Configuration file (TOML). Also DOSSIER_CONFIG; default <data-dir>/config.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// More logging (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ingest JSONL (plain or .gz), directories of .txt/.md/.html, and RSS/Atom files.
    Ingest {
        /// Files and directories to read (directories are walked in sorted order): JSONL, one
        /// document a line, plain or .gz; .txt, .md and .html files; saved RSS 2.0 and Atom feed
        /// files. PDFs are not supported yet.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Stop at the first bad record instead of skipping it.
        #[arg(long)]
        strict: bool,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the search index from the database.
    Reindex,
    /// Figures (money, tonnes, percentages) that the stories matching a search state, each with
    /// its sources; figures the sources disagree on are flagged.
    Figures {
        /// The search, in the language of `dossier search`.
        #[arg(required = true, num_args = 1..)]
        query: Vec<String>,
        /// Only documents published on or after this date.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Stories to read (the newest matching).
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = FiguresFormat::Table)]
        format: FiguresFormat,
    },
    /// Show a story: every copy of it with source and time, what each adds, and a digest cited
    /// to member and paragraph.
    Story {
        /// The story's number (as search and workflow pages show it) or a document id.
        id: String,
        /// Output JSON.
        #[arg(long)]
        json: bool,
    },
    /// Search documents, newest first by default.
    Search(SearchArgs),
    /// Make (or show the stored) digest of a document, or of all documents lacking one.
    Digest {
        /// The document's id (see `search`); omit with --all.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Digest every document that has no digest yet.
        #[arg(long)]
        all: bool,
        /// With --all: only documents published on or after this date.
        #[arg(long, value_name = "DATE", requires = "all")]
        since: Option<String>,
        /// Which summarizer's digest. Default for one document: llm when an endpoint is
        /// configured (llm.base_url and llm.model), falling back to the extractive digest, with a
        /// note, when the model fails; extractive otherwise and for --all.
        #[arg(long, value_enum)]
        summarizer: Option<SummarizerChoice>,
        /// Output language for LLM digests: en (default) or zh/source (the document's own).
        #[arg(long)]
        lang: Option<String>,
        /// Set this document's kind (news, research, roundup, excerpt) for this and later
        /// digests, instead of detecting it; `auto` goes back to detection.
        #[arg(long, value_name = "KIND", conflicts_with = "all")]
        kind: Option<String>,
        /// Make it again even if a current digest is stored.
        #[arg(long)]
        force: bool,
        #[arg(long, conflicts_with = "markdown")]
        json: bool,
        #[arg(long)]
        markdown: bool,
    },
    /// Import a saved result page (the format of ../shared/seeds/) with its digests.
    ImportSeed {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Show one document with its numbered paragraphs.
    Show {
        id: String,
        /// With --json: which stored digest is `digest` (default: llm when an endpoint is
        /// configured, else extractive); `digests` holds every stored one.
        #[arg(long, value_enum)]
        summarizer: Option<SummarizerChoice>,
        #[arg(long)]
        json: bool,
    },
    /// Document counts, date range, and sizes.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Measure search quality on a BEIR-layout relevance set (e.g. ../shared/eval/cmrc2018).
    Eval {
        dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        k: usize,
        #[arg(long = "match", value_enum, default_value_t = MatchMode::Any)]
        match_mode: MatchMode,
        #[arg(long)]
        json: bool,
    },
    /// Time the queries of a file (one a line) against this data directory: p50/p99 per sort.
    BenchQueries {
        file: PathBuf,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Saved searches whose pages collect new documents with their digests.
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Feeds and watched directories polled on a schedule (by `dossier serve` or `dossier poll`).
    #[command(subcommand)]
    Source(SourceCommand),
    /// Poll every source that is due once, then run the workflows if documents arrived (for
    /// cron or a systemd timer).
    Poll {
        #[arg(long)]
        json: bool,
    },
    /// Serve the JSON API and the web UI (default 127.0.0.1:7700; config serve.addr).
    Serve {
        /// Listen address, e.g. 127.0.0.1:7700. Also DOSSIER_ADDR.
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
    },
    /// Ingest the bundled sample, create and run the 稀土供应链 workflow, and show its page.
    ///
    /// The data stays in a directory of its own (default: dossier-demo beside the default data
    /// directory, e.g. ~/.local/share/dossier-demo; or --data-dir DIR, or --keep DIR), never in
    /// your everyday data directory, and the demo ends with three commands to try on it.
    /// DOSSIER_DATA_DIR is not used, so a standing setting never receives the sample.
    Demo {
        /// The workflow's query (also its name).
        #[arg(long, default_value = "稀土供应链")]
        query: String,
        /// Keep the demo's data in DIR (the default keeps it in dossier-demo).
        #[arg(long, value_name = "DIR", conflicts_with = "temp")]
        keep: Option<PathBuf>,
        /// Use a temporary directory, deleted when the demo ends.
        #[arg(long)]
        temp: bool,
    },
}

#[derive(Subcommand)]
enum WorkflowCommand {
    /// Save a new workflow.
    Add {
        name: String,
        #[command(flatten)]
        def: WorkflowArgs,
    },
    /// Every workflow with its document count and last run.
    List {
        #[arg(long)]
        json: bool,
    },
    /// A workflow's definition and runs, or with --format its page (without running it).
    Show {
        name: String,
        #[arg(long)]
        json: bool,
        #[arg(long, value_enum)]
        format: Option<WorkflowFormat>,
        /// Documents on the page.
        #[arg(long, default_value_t = dossier::workflow::DEFAULT_PAGE_LIMIT)]
        limit: usize,
    },
    /// Change a workflow; options not given keep their value.
    Edit {
        name: String,
        /// A new name.
        #[arg(long, value_name = "NAME")]
        rename: Option<String>,
        /// Remove the source, language and date filters before applying the options given.
        #[arg(long)]
        clear_filters: bool,
        #[command(flatten)]
        def: WorkflowArgs,
    },
    /// Collect new documents, make their digests, record the run, and print the page.
    Run {
        name: String,
        #[arg(long, value_enum, default_value_t = WorkflowFormat::Terminal)]
        format: WorkflowFormat,
        /// Write the page to this file instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Documents on the page.
        #[arg(long, default_value_t = dossier::workflow::DEFAULT_PAGE_LIMIT)]
        limit: usize,
        /// Public URL of a `dossier serve` for absolute links in the Atom feed (default:
        /// serve.public_url).
        #[arg(long, value_name = "URL")]
        base_url: Option<String>,
    },
    /// Delete a workflow (its documents and digests stay).
    Rm { name: String },
    /// Set or remove the webhook told of each run that collects documents (a JSON POST).
    Webhook {
        name: String,
        /// The receiver's http(s) URL.
        #[arg(long, value_name = "URL", required_unless_present = "remove", conflicts_with = "remove")]
        url: Option<String>,
        /// Sign each body: header X-Dossier-Signature: sha256=HMAC-SHA256(secret, body).
        #[arg(long, value_name = "SECRET", requires = "url")]
        secret: Option<String>,
        /// Remove the webhook.
        #[arg(long)]
        remove: bool,
    },
    /// The webhook deliveries of a workflow, newest first.
    Deliveries {
        name: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

use dossier::workflow::render::Format as WorkflowFormat;

/// A source's settings as flags (all optional so `edit` can change one thing).
#[derive(Args)]
struct SourceArgs {
    /// How often to poll: 90s, 30m, 2h, 1d (default 30m).
    #[arg(long, value_name = "INTERVAL")]
    every: Option<String>,
    /// Language of its documents (zh or en); default: detected per document.
    #[arg(long)]
    lang: Option<String>,
    /// Source name given to its documents; default: the feed's title or the directory's name.
    #[arg(long, value_name = "LABEL")]
    source_label: Option<String>,
}

#[derive(Subcommand)]
enum SourceCommand {
    /// Add a feed (an http(s) URL of RSS 2.0 or Atom) or a directory to watch.
    Add {
        name: String,
        /// The feed's URL, or a directory whose new and changed files are ingested.
        #[arg(value_name = "URL|DIR")]
        location: String,
        #[command(flatten)]
        opts: SourceArgs,
    },
    /// Every source with its state: last poll, last success, items seen and new, last error,
    /// next poll.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change a source; options not given keep their value (an empty --lang or --source-label
    /// removes it).
    Edit {
        name: String,
        #[arg(long, value_name = "NAME")]
        rename: Option<String>,
        /// A new feed URL or directory.
        #[arg(long, value_name = "URL|DIR")]
        location: Option<String>,
        #[command(flatten)]
        opts: SourceArgs,
    },
    /// Delete a source (its documents stay).
    Rm { name: String },
    /// Poll one source now (or every source), due or not, then run the workflows if documents
    /// arrived.
    Poll {
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// A workflow's definition as flags (all optional so `edit` can change one thing).
#[derive(Args)]
struct WorkflowArgs {
    /// The search, in the language of `dossier search`.
    #[arg(long)]
    query: Option<String>,
    /// Only this source (repeat for several).
    #[arg(long, value_name = "S")]
    source: Vec<String>,
    /// Only this language: zh or en.
    #[arg(long)]
    lang: Option<String>,
    /// Only documents published on or after this date.
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only documents published on or before this date.
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only documents published in the last N days before each run.
    #[arg(long, value_name = "N")]
    within_days: Option<u32>,
    #[arg(long, value_enum)]
    summarizer: Option<dossier::workflow::SummarizerChoice>,
    /// Digest language: en (as the seed pages) or source.
    #[arg(long, value_enum)]
    output_lang: Option<dossier::workflow::OutputLanguage>,
    /// How many of the newest matching documents the first run collects (default 20).
    #[arg(long, value_name = "N")]
    first_run: Option<usize>,
}

impl WorkflowArgs {
    /// Applies the flags given to `input`.
    fn apply(self, input: &mut dossier::workflow::WorkflowInput) {
        if let Some(q) = self.query {
            input.query = q;
        }
        if !self.source.is_empty() {
            input.sources = self.source;
        }
        if self.lang.is_some() {
            input.lang = self.lang;
        }
        if self.since.is_some() {
            input.since = self.since;
        }
        if self.until.is_some() {
            input.until = self.until;
        }
        if self.within_days.is_some() {
            input.within_days = self.within_days;
        }
        if self.summarizer.is_some() {
            input.summarizer = self.summarizer;
        }
        if self.output_lang.is_some() {
            input.output_lang = self.output_lang;
        }
        if self.first_run.is_some() {
            input.first_run = self.first_run;
        }
    }
}

#[derive(Args)]
struct SearchArgs {
    /// Words (all must match), "quoted phrases", OR between alternatives, -word to exclude.
    #[arg(required = true, num_args = 1..)]
    query: Vec<String>,
    #[arg(long, value_enum, default_value_t = SortOrder::Newest)]
    sort: SortOrder,
    /// all: every word must appear (default); any: any word may (for question-like queries).
    #[arg(long = "match", value_enum, default_value_t = MatchMode::All)]
    match_mode: MatchMode,
    /// Only documents published on or after this date (2024-05-01, 2024年5月1日, RFC 3339…).
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only documents published on or before this date (a bare date includes the whole day).
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
    /// Only this source (repeat for several).
    #[arg(long, value_name = "S")]
    source: Vec<String>,
    /// Only this language: zh or en.
    #[arg(long)]
    lang: Option<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
    #[arg(long, default_value_t = 0)]
    offset: usize,
    /// Items that hold only their title: show lists them as one line each (marked "title
    /// only"); hide leaves them out.
    #[arg(long, value_enum, default_value_t = TitleOnly::Show, value_name = "show|hide")]
    title_only: TitleOnly,
    /// story: one entry per story (copies of it listed as "+N sources"); none: every document.
    /// Default: story for newest first, none for relevance.
    #[arg(long, value_enum, value_name = "story|none")]
    collapse: Option<Collapse>,
    /// Output JSON (shape documented in README.md).
    #[arg(long)]
    json: bool,
    /// Say for each hit what matched each query term: the word, a part of it, a synonym, an
    /// alias or a translation (JSON: `explain`).
    #[arg(long)]
    explain: bool,
    /// Search only the words as typed: no synonyms, aliases, translations or word parts.
    #[arg(long)]
    literal: bool,
    /// Print each hit with its digest (made when missing).
    #[arg(long)]
    digest: bool,
    /// Which summarizer's digests: default llm when an endpoint is configured (llm.base_url and
    /// llm.model; a failed LLM digest falls back to the extractive one, with a note), else
    /// extractive.
    #[arg(long, value_enum, requires = "digest")]
    summarizer: Option<SummarizerChoice>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    // The server stops gracefully on tokio's own Ctrl-C handling; a second handler would
    // replace it.
    if !matches!(cli.command, Command::Serve { .. }) {
        install_interrupt_handler();
    }
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `dossier search … | head` closes the pipe early: that is not an error.
            if err.chain().any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)) {
                return ExitCode::SUCCESS;
            }
            let code = exit_status(&err);
            if code == 130 {
                eprintln!("{}", error_message(&err));
            } else {
                eprintln!("error: {}", report::terminal_safe(&error_message(&err)));
            }
            ExitCode::from(code)
        }
    }
}

/// The exit status for an error: 2 for a mistake of the user or a failure outside dossier, 3
/// for an internal fault, 130 when interrupted (as a shell reports a Ctrl-C).
fn exit_status(err: &anyhow::Error) -> u8 {
    match err.chain().find_map(|e| e.downcast_ref::<Error>()).map(Error::class) {
        Some(ErrorClass::User | ErrorClass::External) => 2,
        Some(ErrorClass::Interrupted) => 130,
        Some(ErrorClass::Internal) | None => 3,
    }
}

/// The error and its causes on one line, each said once: library errors already include their
/// source's text (`I/O error on PATH: No such file…`), so a cause whose text is already there
/// is not repeated.
fn error_message(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info,tantivy=warn",
        (false, 1) => "debug,tantivy=info",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let flags = Flags { config_file: cli.config.clone(), data_dir: cli.data_dir.clone(), addr: None };
    Ok(Config::load(&flags, &env)?)
}

/// Set by Ctrl-C; commands that asked for it (`cancel_flag`) poll it.
static INTERRUPT: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// True once the running command polls `INTERRUPT` and so stops cleanly by itself.
static COOPERATIVE: AtomicBool = AtomicBool::new(false);

/// Ctrl-C in a command that polls the flag (ingest, reindex, digest --all) sets it: the run
/// stops at the next record, commits, reports and exits 130. In any other command, and on a
/// second Ctrl-C, the process exits 130 at once; committed work is safe either way (SQLite
/// and the index roll back what was not committed).
fn install_interrupt_handler() {
    let flag = INTERRUPT.get_or_init(Arc::default).clone();
    let installed = ctrlc::set_handler(move || {
        if COOPERATIVE.load(Ordering::SeqCst) && !flag.swap(true, Ordering::SeqCst) {
            return;
        }
        std::process::exit(130);
    });
    if let Err(e) = installed {
        tracing::debug!(error = %e, "no Ctrl-C handler; an interrupt ends the process");
    }
}

/// The interrupt flag, for a command that polls it.
fn cancel_flag() -> Arc<AtomicBool> {
    COOPERATIVE.store(true, Ordering::SeqCst);
    INTERRUPT.get_or_init(Arc::default).clone()
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    // The demo takes only an explicit --data-dir, not the environment's (see `demo --help`).
    let data_dir_flag = cli.data_dir.clone();
    let interactive = std::io::stderr().is_terminal();
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Ingest { paths, strict, json } => {
            let mut engine = Engine::open(config)?;
            let cancel = cancel_flag();
            let opts = IngestOptions { strict, interactive };
            let summary = engine.ingest(&paths, &opts, cancel, &mut |f| {
                eprintln!("error: {}", report::terminal_safe(&format!("{}: {}", f.location, f.message)));
            })?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&summary)?)?;
            } else {
                write!(stdout, "{}", report::ingest_text(&summary))?;
            }
            Ok(if summary.interrupted {
                ExitCode::from(130)
            } else if summary.failed > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Reindex => {
            let mut engine = Engine::open_for_rebuild(config)?;
            let summary = engine.reindex(interactive, cancel_flag())?;
            write!(stdout, "{}", report::reindex_text(&summary))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Search(args) => {
            let request = search_request(&args)?;
            let data_dir = config.data_dir.clone();
            let mut engine = Engine::open(config)?;
            let results = engine.search(&request)?;
            if results.total == 0 && engine.store().max_seq()? == 0 {
                // Not "no documents match": there is nothing to match. Still a successful
                // search (exit 0, and the usual JSON), as for any empty result; the hint goes to
                // stderr so that it reaches the user even when stdout is piped.
                eprintln!("nothing has been ingested into {} yet: {}", data_dir.display(), report::NOTHING_INGESTED_HINT);
                let demo = dossier::demo::default_dir();
                if demo != data_dir && demo.join("dossier.db").is_file() {
                    eprintln!("the demo's data is in {0}: dossier --data-dir {0} search …", demo.display());
                }
                if args.json {
                    writeln!(stdout, "{}", serde_json::to_string_pretty(&results)?)?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            let digests = if args.digest {
                let opts = DigestOptions {
                    summarizer: args.summarizer.unwrap_or_default(),
                    query: Some(request.query.clone()),
                    ..Default::default()
                };
                let mut out = Vec::with_capacity(results.hits.len());
                for hit in &results.hits {
                    // A title-only hit has nothing to digest; it stays one line.
                    out.push(match (hit.title_only, args.summarizer) {
                        (true, _) => None,
                        (false, Some(_)) => Some(engine.digester().digest(&hit.id, &opts)?),
                        (false, None) => Some(engine.digester().digest_preferred(&hit.id, &opts)?),
                    });
                }
                Some(out)
            } else {
                None
            };
            if args.json {
                let mut v = serde_json::to_value(&results)?;
                if digests.is_some() {
                    // Made for this query: they may differ from `dossier digest ID`.
                    v["digest_query"] = serde_json::Value::String(request.query.clone());
                }
                if let (Some(ds), Some(hits)) = (&digests, v["hits"].as_array_mut()) {
                    for (h, d) in hits.iter_mut().zip(ds) {
                        h["digest"] = serde_json::to_value(d)?;
                    }
                }
                writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                let style = if std::io::stdout().is_terminal() { Highlight::Ansi } else { Highlight::Plain };
                let rendered: Option<Vec<Option<String>>> = digests
                    .map(|ds| ds.iter().map(|d| d.as_ref().map(render_terminal)).collect());
                write!(stdout, "{}", report::search_text(&results, style, rendered.as_deref()))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Digest { id, all, since, summarizer, lang, kind, force, json, markdown } => {
            let lang = match lang.as_deref() {
                None => None,
                Some("zh") => Some(OutputLang::Source),
                Some(l) => Some(OutputLang::parse(l).ok_or_else(|| {
                    Error::Config(format!("--lang {l:?}: use en, zh or source"))
                })?),
            };
            let opts = DigestOptions { summarizer: summarizer.unwrap_or_default(), lang, query: None, force };
            let engine = Engine::open(config)?;
            if all {
                let since = since.as_deref().map(|s| dates::parse_bound(s, false)).transpose()?;
                let s = engine.digester().digest_missing(since, &opts, interactive, cancel_flag())?;
                if json {
                    writeln!(stdout, "{}", serde_json::to_string_pretty(&s)?)?;
                } else {
                    write!(stdout, "{}", report::digest_run_text(&s))?;
                }
                return Ok(if s.interrupted { ExitCode::from(130) } else if s.failed > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS });
            }
            let id = id.unwrap_or_default();
            if let Some(kind) = kind.as_deref() {
                engine.digester().set_kind(&id, kind)?;
            }
            let digest = match summarizer {
                Some(_) => engine.digester().digest(&id, &opts)?,
                None => engine.digester().digest_preferred(&id, &opts)?,
            };
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&digest)?)?;
            } else if markdown {
                let doc = engine.document(&id)?;
                write!(stdout, "{}{}", dossier::workflow::render::markdown_heading(&doc, "#"), render_markdown_for(&digest, &doc))?;
            } else {
                let doc = engine.document(&id)?;
                let label = doc.source_label();
                let (title, source) = (report::terminal_safe(&doc.title), report::terminal_safe(&label));
                let imported = dossier::workflow::render::imported_tag(&doc);
                writeln!(stdout, "{title}\n{source} · {}{imported}", dossier::engine::format_published(doc.published_at, doc.published_precision))?;
                write!(stdout, "{}", render_terminal_for(&digest, &doc))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportSeed { file, json } => {
            let mut engine = Engine::open(config)?;
            let r = engine.import_seed(&file)?;
            // The page's workflow, made (searching its name) unless one of that name exists.
            let workflow = match r.workflow.as_deref() {
                Some(name) => match dossier::demo::ensure_workflow(&engine, name, name) {
                    Ok(state) => Some((name, state)),
                    Err(e) if e.class() == ErrorClass::User => {
                        eprintln!(
                            "warning: no workflow {0} made: {1}; add one with `dossier workflow add {0} --query QUERY`",
                            report::terminal_safe(name),
                            report::terminal_safe(&e.to_string())
                        );
                        None
                    }
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            if json {
                let mut v = serde_json::to_value(&r)?;
                v["workflow_created"] = serde_json::Value::Bool(
                    workflow.is_some_and(|(_, s)| s == dossier::demo::WorkflowState::Created),
                );
                writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(
                    stdout,
                    "imported {} documents from {} (new {}, updated {}, unchanged {}); digests: {}",
                    r.documents,
                    file.display(),
                    r.ingested,
                    r.updated,
                    r.unchanged,
                    r.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect::<Vec<_>>().join(", ")
                )?;
                if let Some((name, state)) = workflow {
                    let name = report::terminal_safe(name);
                    match state {
                        dossier::demo::WorkflowState::Created => writeln!(
                            stdout,
                            "created workflow {name} (query {name}); `dossier workflow run {name}` collects its documents"
                        )?,
                        dossier::demo::WorkflowState::Existing => writeln!(
                            stdout,
                            "workflow {name} exists already and is left as it is; `dossier workflow run {name}` collects new documents"
                        )?,
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, summarizer, json } => {
            let engine = Engine::open(config)?;
            let doc = engine.document(&id)?;
            if json {
                let digester = engine.digester();
                let want = summarizer.unwrap_or_else(|| digester.preferred());
                let mut v = serde_json::to_value(&doc)?;
                v["digest"] = serde_json::to_value(dossier::digesting::stored_digest_of(engine.store(), &id, want)?)?;
                v["digests"] = serde_json::to_value(digester.stored_digests(&id)?)?;
                writeln!(stdout, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                write!(stdout, "{}", report::document_text(&doc))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Figures { query, since, limit, format } => {
            let mut engine = Engine::open(config)?;
            let request = SearchRequest {
                query: query.join(" "),
                since: since.as_deref().map(|s| dates::parse_bound(s, false)).transpose()?,
                limit,
                ..Default::default()
            };
            let rows = dossier::stories::figures::for_search(&mut engine, &request)?;
            match format {
                FiguresFormat::Table => write!(stdout, "{}", dossier::stories::figures::table(&rows))?,
                FiguresFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&rows)?)?,
                FiguresFormat::Csv => write!(stdout, "{}", dossier::stories::figures::csv(&rows))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Story { id, json } => {
            let engine = Engine::open(config)?;
            let store = engine.store();
            // A number is a story; anything else (or a number no story has) is a document id.
            let story = match id.parse::<i64>().ok().filter(|n| story_page::build(store, *n).is_ok()) {
                Some(n) => n,
                None => story_page::story_of(store, &id)?.ok_or_else(|| Error::NotFound {
                    what: "story or document",
                    name: format!("{id} (give a story number from `dossier search` or a document id)"),
                })?,
            };
            let page = story_page::build(store, story)?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&page)?)?;
            } else {
                write!(stdout, "{}", story_page::terminal(&page))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { json } => {
            let engine = Engine::open(config)?;
            let stats = engine.stats()?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&stats)?)?;
            } else {
                write!(stdout, "{}", report::stats_text(&stats))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval { dir, k, match_mode, json } => {
            let work = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
            let r = dossier::eval::run(&config, &dir, work.path(), k, match_mode)?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                writeln!(
                    stdout,
                    "{}: {} documents, {} queries, match {:?}: recall@{k} {:.4}, nDCG@{k} {:.4}, MRR {:.4} ({:.1} s)",
                    r.dataset, r.documents, r.queries, r.match_mode, r.recall_at_k, r.ndcg_at_k, r.mrr, r.seconds
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchQueries { file, runs, limit, json } => {
            let text = std::fs::read_to_string(&file).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => Error::NotFound { what: "query file", name: file.display().to_string() },
                _ => Error::io(&file, e),
            })?;
            let queries: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
            let mut engine = Engine::open(config)?;
            let r = dossier::bench::query_latency(&mut engine, &queries, runs, limit)?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&r)?)?;
            } else {
                for l in &r {
                    writeln!(
                        stdout,
                        "{:?}: {} queries × {} runs, top {limit}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (mean {:.0} matches)",
                        l.sort, l.queries, runs, l.p50_ms, l.p99_ms, l.max_ms, l.mean_hits
                    )?;
                    let slow: Vec<String> =
                        l.slowest.iter().map(|q| format!("{} {:.2} ms ({} matches)", q.query, q.median_ms, q.hits)).collect();
                    writeln!(stdout, "  slowest (median): {}", slow.join("; "))?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Workflow(cmd) => workflow_command(config, cmd, &mut stdout),
        Command::Source(cmd) => source_command(config, cmd, &mut stdout),
        Command::Poll { json } => {
            let mut engine = Engine::open(config)?;
            poll_and_run(&mut engine, None, json, &mut stdout)
        }
        Command::Serve { addr } => {
            let mut config = config;
            if let Some(a) = addr {
                config.serve.addr = a;
            }
            let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
            let interrupted = Arc::new(AtomicBool::new(false));
            runtime.block_on(async {
                // Listen for Ctrl-C before anything else: `ctrl_c()` registers only when first
                // polled, and a Ctrl-C before that would kill the process unannounced.
                #[cfg(unix)]
                let sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                    .context("listening for Ctrl-C")?;
                let state = dossier::serve::AppState::open(config.clone())?;
                let listener = tokio::net::TcpListener::bind(&config.serve.addr).await.map_err(|e| {
                    Error::Config(format!(
                        "cannot listen on {}: {e}; choose another address with --addr, DOSSIER_ADDR or serve.addr",
                        config.serve.addr
                    ))
                })?;
                dossier::serve::run(listener, state, shutdown_signal(sigint, interrupted.clone())).await?;
                anyhow::Ok(())
            })?;
            Ok(if interrupted.load(Ordering::SeqCst) { ExitCode::from(130) } else { ExitCode::SUCCESS })
        }
        Command::Demo { query, keep, temp } => {
            use dossier::demo::DemoDir;
            let dir = if temp {
                DemoDir::Temporary
            } else {
                DemoDir::Keep(keep.or(data_dir_flag).unwrap_or_else(dossier::demo::default_dir))
            };
            let text = dossier::demo::run(&config, &query, &dir).context("the demo failed")?;
            write!(stdout, "{text}")?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Completes on Ctrl-C or SIGTERM (what `kill`, systemd and container runtimes send), so
/// either one ends `serve` gracefully. A signal handler that cannot be installed is logged and
/// left out rather than ending the server at once.
/// Completes on Ctrl-C (SIGINT: the command was interrupted, so it exits 130 once the requests
/// in flight are done, and `interrupted` is set) or on SIGTERM (a service manager stopping it:
/// a normal end, exit 0).
#[cfg(unix)]
async fn shutdown_signal(mut sigint: tokio::signal::unix::Signal, interrupted: Arc<AtomicBool>) {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = sigint.recv() => {
            interrupted.store(true, Ordering::SeqCst);
            tracing::info!(signal = "SIGINT", "shutting down");
        }
        () = term => tracing::info!(signal = "SIGTERM", "shutting down"),
    }
}

fn workflow_command(config: Config, cmd: WorkflowCommand, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    use dossier::workflow::{self, WorkflowInput, Workflows, render};
    let public_url = config.serve.public_url.clone();
    let mut engine = Engine::open(config)?;
    match cmd {
        WorkflowCommand::Add { name, def } => {
            let mut input = WorkflowInput { name, ..Default::default() };
            def.apply(&mut input);
            let wf = input.validate(&engine)?;
            Workflows::open(engine.store())?.add(&wf)?;
            writeln!(stdout, "added workflow {}; run it with `dossier workflow run {}`", wf.name, wf.name)?;
        }
        WorkflowCommand::List { json } => {
            let list = Workflows::open(engine.store())?.list()?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                write!(stdout, "{}", render::list_text(&list))?;
            }
        }
        WorkflowCommand::Show { name, json, format, limit } => {
            let w = Workflows::open(engine.store())?;
            if let Some(format) = format {
                let page = w.page(&name, limit)?;
                write!(stdout, "{}", render::render(&page, format, public_url.as_deref())?)?;
            } else if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&w.info(&name)?)?)?;
            } else {
                write!(stdout, "{}", render::info_text(&w.info(&name)?, &w.runs(&name)?, &w.digests_made_by(&name)?, w.latest_brief(&name)?.as_ref()))?;
            }
        }
        WorkflowCommand::Edit { name, rename, clear_filters, def } => {
            let w = Workflows::open(engine.store())?;
            let mut input = WorkflowInput::from(&w.get(&name)?);
            if clear_filters {
                input.sources.clear();
                input.lang = None;
                input.since = None;
                input.until = None;
                input.within_days = None;
            }
            def.apply(&mut input);
            if let Some(new_name) = rename {
                input.name = new_name;
            }
            let wf = input.validate(&engine)?;
            w.update(&name, &wf)?;
            writeln!(stdout, "updated workflow {}", wf.name)?;
        }
        WorkflowCommand::Run { name, format, output, limit, base_url } => {
            // --base-url wins over serve.public_url for this command; checked before the run.
            let base_url = match base_url {
                Some(u) => Some(dossier::config::public_url("--base-url", &u)?),
                None => public_url,
            };
            // An index left behind by a writer that died holds documents the run would miss
            // until someone catches it up; do it now unless another process is writing.
            if engine.index_lag()? > 0 {
                engine.catch_up_if_free()?;
            }
            let outcome = workflow::run(&engine, &name)?;
            eprint!("{}", render::outcome_text(&outcome));
            let page = Workflows::open(engine.store())?.page(&name, limit)?;
            let text = render::render(&page, format, base_url.as_deref())?;
            match output {
                Some(path) => std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?,
                None => write!(stdout, "{text}")?,
            }
        }
        WorkflowCommand::Rm { name } => {
            Workflows::open(engine.store())?.remove(&name)?;
            writeln!(stdout, "removed workflow {name}")?;
        }
        WorkflowCommand::Webhook { name, url, secret, remove } => {
            use dossier::sources::webhook;
            match url {
                Some(url) if !remove => {
                    webhook::set(engine.store(), &name, Some(&webhook::Webhook { url: url.clone(), secret }))?;
                    writeln!(stdout, "runs of {name} that collect documents will be posted to {url}")?;
                }
                _ => {
                    webhook::set(engine.store(), &name, None)?;
                    writeln!(stdout, "removed the webhook of {name}")?;
                }
            }
        }
        WorkflowCommand::Deliveries { name, limit, json } => {
            let list = dossier::sources::webhook::deliveries(engine.store(), &name, limit)?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                write!(stdout, "{}", dossier::sources::webhook::deliveries_text(&name, &list))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn source_command(config: Config, cmd: SourceCommand, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    use dossier::sources::{self, SourceInput, Sources};
    let mut engine = Engine::open(config)?;
    match cmd {
        SourceCommand::Add { name, location, opts } => {
            let SourceArgs { every, lang, source_label } = opts;
            let input = SourceInput { name: Some(name), location: Some(location), every, lang, source_label };
            let s = Sources::open(engine.store()).add(&input)?;
            writeln!(
                stdout,
                "added source {} ({}, every {}); `dossier source poll {}` polls it now, `dossier serve` or `dossier poll` on its schedule",
                s.name,
                s.location,
                sources::format_every(s.every_secs),
                s.name
            )?;
        }
        SourceCommand::List { json } => {
            let list = Sources::open(engine.store()).list()?;
            if json {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&list)?)?;
            } else {
                write!(stdout, "{}", sources::list_text(&list))?;
            }
        }
        SourceCommand::Edit { name, rename, location, opts } => {
            let SourceArgs { every, lang, source_label } = opts;
            let input = SourceInput { name: rename, location, every, lang, source_label };
            let s = Sources::open(engine.store()).edit(&name, &input)?;
            writeln!(stdout, "updated source {}", s.name)?;
        }
        SourceCommand::Rm { name } => {
            Sources::open(engine.store()).remove(&name)?;
            writeln!(stdout, "removed source {name} (its documents stay)")?;
        }
        SourceCommand::Poll { name, json } => {
            let names = match name {
                Some(n) => vec![n],
                None => Sources::open(engine.store()).list()?.into_iter().map(|s| s.name).collect(),
            };
            return poll_and_run(&mut engine, Some(names), json, stdout);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Polls the named sources (or those due), runs the workflows when documents arrived, and
/// reports. Exit status 2 when every source polled failed (a cron job should notice); a
/// partial failure is reported and exits 0.
fn poll_and_run(engine: &mut Engine, names: Option<Vec<String>>, json: bool, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    use dossier::sources::{self, Poller};
    let config = engine.config.clone();
    let mut poller = Poller::new(&config)?;
    let outcomes = match names {
        Some(names) => {
            let mut out = Vec::new();
            for n in names {
                out.push(poller.poll(engine, &n)?);
            }
            out
        }
        None => poller.poll_due(engine)?,
    };
    let arrived: u64 = outcomes.iter().map(|o| o.new + o.updated).sum();
    let runs = if arrived > 0 {
        sources::webhook::after_new_documents(engine, poller.fetcher().client(), &config)?
    } else {
        Vec::new()
    };
    if json {
        let report = serde_json::json!({ "polls": outcomes, "workflow_runs": runs });
        writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(stdout, "{}", sources::outcome_text(&outcomes))?;
        for r in runs.iter().filter(|r| !r.new_documents.is_empty()) {
            writeln!(stdout, "workflow {}: {} new documents", r.workflow, r.new_documents.len())?;
        }
    }
    let failed = outcomes.iter().filter(|o| o.error.is_some()).count();
    Ok(if failed > 0 && failed == outcomes.len() { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FiguresFormat {
    Table,
    Json,
    Csv,
}

fn search_request(a: &SearchArgs) -> anyhow::Result<SearchRequest> {
    let lang = match &a.lang {
        Some(l) => Some(Lang::parse(l).ok_or_else(|| {
            Error::Config(format!("--lang {l:?} is not a language dossier knows; use zh or en"))
        })?),
        None => None,
    };
    Ok(SearchRequest {
        query: a.query.join(" "),
        sort: a.sort,
        match_mode: a.match_mode,
        since: a.since.as_deref().map(|s| dates::parse_bound(s, false)).transpose()?,
        until: a.until.as_deref().map(|s| dates::parse_bound(s, true)).transpose()?,
        sources: a.source.clone(),
        lang,
        limit: a.limit,
        offset: a.offset,
        title_only: a.title_only,
        collapse: a.collapse,
        explain: a.explain,
        literal: a.literal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let io = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = anyhow::Error::from(Error::io("/no/such/file", io));
        let text = error_message(&err);
        assert_eq!(text.matches("entity not found").count(), 1, "{text}");
        assert!(text.starts_with("I/O error on /no/such/file"), "{text}");
        // Context that adds something is kept, once.
        let err = anyhow::Error::from(Error::Llm("down".into())).context("the demo failed");
        assert_eq!(error_message(&err), "the demo failed: LLM: down");
    }

    #[test]
    fn exit_status_follows_the_class_through_context() {
        let status = |e: Error| exit_status(&anyhow::Error::from(e).context("while doing it"));
        assert_eq!(status(Error::Interrupted), 130);
        assert_eq!(status(Error::Llm("refused".into())), 2);
        assert_eq!(status(Error::NotFound { what: "input file or directory", name: "/x".into() }), 2);
        assert_eq!(status(Error::Json(serde_json::from_str::<u8>("x").unwrap_err())), 3);
        assert_eq!(exit_status(&anyhow::anyhow!("not one of ours")), 3);
    }
}
