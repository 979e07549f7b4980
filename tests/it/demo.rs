//! `dossier demo`: the first command of the README. It keeps its data in a named directory,
//! leaves the workflow it shows, and ends with three commands that work as printed.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

/// A `dossier` with a clean environment and no `--data-dir`, whose home directory is `home`
/// (so the demo's default directory lands there), listening (for `serve`) on `addr`.
fn bare_dossier(home: &Path, addr: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_dossier"));
    clean_env(&mut c, home, addr);
    c
}

fn clean_env(c: &mut Command, home: &Path, addr: &str) {
    c.env_remove("DOSSIER_DATA_DIR")
        .env_remove("DOSSIER_CONFIG")
        .env_remove("DOSSIER_PUBLIC_URL")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env("HOME", home)
        .env("DOSSIER_ADDR", addr)
        .env("RUST_LOG", "warn");
}

/// A printed command line, run by a shell as a user would paste it, with the `dossier` under
/// test first on PATH.
fn shell(line: &str, home: &Path, addr: &str) -> Command {
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_dossier")).parent().map(Path::to_path_buf).unwrap_or_default();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    let mut c = Command::new("sh");
    c.arg("-c").arg(line);
    clean_env(&mut c, home, addr);
    c.env("PATH", path);
    c
}

pub fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = l.local_addr().unwrap_or_else(|e| panic!("local_addr: {e}"));
    addr.to_string()
}

/// Kills the server when the test ends, whatever happens.
pub struct Server(pub std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn demo_shows_the_rare_earth_workflow_newest_first() {
    let dir = tempdir();
    let out = ok(dossier(dir.path()).arg("demo"));
    assert!(out.contains("Workflow\n稀土供应链\nSearch documents"), "{out}");
    // Each hit: title line, then `source · YYYY-MM-DD` (qqnews gives days) or `… HH:MM`; a
    // title-only hit is one line `title — source · YYYY-MM-DD · title only [id]`.
    let dates: Vec<&str> = out
        .lines()
        .filter_map(|l| l.split_once(" · ").and_then(|(_, d)| d.get(..10)))
        .filter(|d| d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-')
        .collect();
    assert!(!out.contains(" 00:00\n"), "a day-only date shows without a made-up time:\n{out}");
    assert!(dates.len() >= 5, "too few dated hits:\n{out}");
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted, "not newest first");
    assert!(out.contains("稀土"), "{out}");
}

#[test]
fn demo_keeps_its_data_and_its_three_next_commands_work_as_printed() {
    let home = tempdir();
    let addr = free_addr();
    let out = ok(bare_dossier(home.path(), &addr).arg("demo"));
    let data = home.path().join(".local/share/dossier-demo");
    assert!(out.starts_with(&format!("Sample: 2951 real articles in {}\n", data.display())), "{out}");
    // The 20 newest hold two copies of stories already among them: 18 new stories, 20 digests.
    assert!(out.contains("Created workflow 稀土供应链: first run: collected 18 documents, made 20 digests"), "{out}");
    assert!(data.join("dossier.db").is_file(), "the data stays in {}", data.display());

    // The workflow it showed is there afterwards.
    let list = ok(bare_dossier(home.path(), &addr).arg("--data-dir").arg(&data).args(["workflow", "list"]));
    assert!(list.starts_with("稀土供应链\t\"稀土供应链\"\t20 documents\tlast run "), "{list}");

    let (_, tail) = out.split_once("Try next:\n").unwrap_or_else(|| panic!("no next commands:\n{out}"));
    let commands: Vec<&str> = tail.lines().filter_map(|l| l.strip_prefix("  ")).collect();
    assert_eq!(commands.len(), 3, "{tail}");
    let prefix = format!("dossier --data-dir {} ", data.display());
    assert!(commands.iter().all(|c| c.starts_with(&prefix)), "{commands:#?}");

    // 1. The search finds the workflow's documents.
    let search = commands[0];
    assert!(search.contains(" search "), "{search}");
    let found = ok(&mut shell(search, home.path(), &addr));
    assert!(found.contains("of 20") || found.contains("documents matching \"稀土供应链\""), "{found}");
    assert!(!found.starts_with("No documents"), "{found}");
    let first_title = out
        .split_once("Search documents\n\n")
        // Past the run brief, which ends saying what is new (on a first run, everything).
        .map(|(_, rest)| rest.split_once("First run: every story is new.\n").map_or(rest, |(_, after)| after))
        // Past the page's "Digests: …" line (and a language note, if any).
        .and_then(|rest| rest.lines().find(|l| !l.is_empty() && !l.starts_with("Digests: ") && !l.starts_with("Note: ")))
        .unwrap_or_else(|| panic!("no first entry:\n{out}"));
    assert!(found.contains(first_title), "the newest document {first_title:?} is found:\n{found}");

    // 2. The web UI serves the workflow's page at the URL printed beside `serve`.
    let serve = commands[1];
    let (cmd, url) = serve.split_once("# then open ").unwrap_or_else(|| panic!("no URL: {serve}"));
    assert!(cmd.trim_end().ends_with(" serve"), "{serve}");
    assert_eq!(url, format!("http://{addr}/workflows/稀土供应链"));
    // `exec`: the shell becomes the server, so that the guard stops the server itself.
    let _server = Server(
        shell(&format!("exec {serve}"), home.path(), &addr)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{serve}: {e}")),
    );
    let http = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    let page = loop {
        match http.get(url).send() {
            Ok(r) => break r,
            Err(_) if started.elapsed() < Duration::from_secs(30) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("{url} did not answer: {e}"),
        }
    };
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    let html = page.text().unwrap_or_default();
    assert!(html.contains("稀土供应链") && html.contains(first_title), "{html}");

    // 3. Ingest reads the file it names (and would read one's own the same way).
    let ingest = commands[2];
    assert!(ingest.contains(" ingest "), "{ingest}");
    let ingested = ok(&mut shell(ingest, home.path(), &addr));
    assert!(ingested.starts_with("ingested 0, updated 0, unchanged 2951, failed 0"), "{ingested}");
}

#[test]
fn a_temporary_demo_says_its_data_is_gone_and_prints_no_commands() {
    let home = tempdir();
    let out = ok(bare_dossier(home.path(), "127.0.0.1:7700").args(["demo", "--temp"]));
    assert!(out.contains(" (temporary)\n") && out.contains("The temporary directory is deleted now."), "{out}");
    assert!(!out.contains("Try next:"), "{out}");
    assert!(!home.path().join(".local/share/dossier-demo").exists());
}
