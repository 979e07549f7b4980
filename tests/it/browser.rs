//! The web UI in a real headless Chromium (Debian's `chromium`), driven by
//! tests/browser/ui.mjs with playwright-core: search 稀土, open a result, click a citation and
//! see its paragraph highlighted; the home page's placeholder is whole; a run brief citation on
//! a workflow page opens the right paragraph of the right document; a collapsed story opens to
//! its sources; pages showing a document
//! full of script payloads run none of them;
//! and tests/browser/manage.mjs logs in with the token, adds a workflow through its form, runs
//! it and sees its documents. Screenshots go to target/tmp/browser/. Without Chromium, Node or the script's
//! node_modules the test FAILS in CI (CI=true; .ci/run installs them). Elsewhere it is skipped,
//! and says so where a passing test cannot hide it: a `SKIPPED:` line on the real stderr and a
//! file in target/tmp/skipped/ (see `skipped` in main.rs).

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::root;
use super::serve::{config, ingest_into, xss_fixture};

pub fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What is missing to run the browser test, if anything.
fn missing_prerequisite() -> Option<String> {
    if !chromium().exists() {
        return Some(format!(
            "{} not found (apt-get install -y chromium)",
            chromium().display()
        ));
    }
    if Command::new("node")
        .arg("--version")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        return Some("node not found (apt-get install -y nodejs npm)".into());
    }
    if !root().join("tests/browser/node_modules/playwright-core").exists() {
        return Some("tests/browser/node_modules missing (npm ci --prefix tests/browser)".into());
    }
    None
}

/// Whether `test` can run here; when not, fails in CI and elsewhere records the skip.
fn may_run(test: &str) -> bool {
    if let Some(what) = missing_prerequisite() {
        if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
            panic!("the browser test cannot run in CI: {what}");
        }
        super::skipped(test, &what);
        return false;
    }
    super::ran(test);
    true
}

const UI_TEST: &str = "browser::ui_search_citation_highlight_and_xss_in_chromium";

#[test]
fn ui_search_citation_highlight_and_xss_in_chromium() {
    if !may_run(UI_TEST) {
        return;
    }
    let dir = super::tempdir();
    ingest_into(dir.path(), &[super::sample(), xss_fixture()]);
    let xss_workflow = "xss <script>window.__xss=10</script><img src=x onerror=alert(1)>";
    {
        let mut engine = dossier::engine::Engine::open(config(dir.path())).unwrap_or_else(|e| panic!("{e}"));
        let w = dossier::workflow::Workflows::open(engine.store()).unwrap_or_else(|e| panic!("{e}"));
        for (name, query) in [("稀土供应链", "稀土供应链"), (xss_workflow, "xsspayload")] {
            let input = dossier::workflow::WorkflowInput {
                name: name.into(),
                query: query.into(),
                first_run: Some(8),
                ..Default::default()
            };
            w.add(
                &input
                    .validate(&engine)
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        }
        for name in ["稀土供应链", xss_workflow] {
            dossier::workflow::run(&mut engine, name).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let report = drive(
        config(dir.path()),
        "ui.mjs",
        &[shots.display().to_string(), "xss-1".into(), xss_workflow.into()],
    );
    let v: serde_json::Value =
        serde_json::from_str(report.trim()).unwrap_or_else(|e| panic!("report is not JSON ({e}): {report}"));
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["checks"].as_array().is_some_and(|c| c.len() >= 25), "{v}");
    for shot in ["search.png", "document-citation.png", "workflow.png", "brief-citation.png", "story.png", "xss.png"] {
        assert!(
            shots.join(shot).metadata().is_ok_and(|m| m.len() > 1000),
            "screenshot {shot}"
        );
    }
}

/// Serves `config` in-process on a free port and runs `node tests/browser/SCRIPT <base-url>
/// ARGS…` against it; its report (stdout). Panics when the script fails.
fn drive(config: dossier::config::Config, script: &str, args: &[String]) -> String {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("{e}"));
    let state = dossier::serve::AppState::open(config).unwrap_or_else(|e| panic!("{e}"));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap_or_else(|e| panic!("bind: {e}"));
    let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = runtime.spawn(dossier::serve::run(listener, state, async move {
        let _ = stopped.await;
    }));

    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    std::fs::create_dir_all(&shots).unwrap_or_else(|e| panic!("{e}"));
    let mut child = Command::new("node")
        .arg(root().join("tests/browser").join(script))
        .arg(format!("http://{addr}"))
        .args(args)
        .env("CHROMIUM", chromium())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("node: {e}"));
    // A hung browser must not hang the suite.
    let deadline = std::time::Instant::now() + Duration::from_secs(240);
    while child.try_wait().ok().flatten().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let _ = stop.send(());
    let _ = runtime.block_on(server);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "browser test {script} failed ({}):\n{report}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

const MANAGE_TEST: &str = "browser::manage_login_add_and_run_a_workflow_in_chromium";

/// tests/browser/manage.mjs: read-only without login, a wrong token refused, login (an
/// HttpOnly, SameSite=Strict cookie), a workflow added through the form (an invalid one first),
/// run, and its documents seen on its page; logout.
#[test]
fn manage_login_add_and_run_a_workflow_in_chromium() {
    if !may_run(MANAGE_TEST) {
        return;
    }
    let dir = super::tempdir();
    ingest_into(dir.path(), &[super::sample()]);
    let mut c = config(dir.path());
    c.serve.token = Some(super::serve::TOKEN.into());
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser");
    let report = drive(c, "manage.mjs", &[shots.display().to_string(), super::serve::TOKEN.into()]);
    let v: serde_json::Value =
        serde_json::from_str(report.trim()).unwrap_or_else(|e| panic!("report is not JSON ({e}): {report}"));
    assert_eq!(v["ok"], true, "{v}");
    assert!(v["checks"].as_array().is_some_and(|c| c.len() >= 14), "{v}");
    for shot in ["manage-run.png", "manage-workflow.png"] {
        assert!(shots.join(shot).metadata().is_ok_and(|m| m.len() > 1000), "screenshot {shot}");
    }
}
