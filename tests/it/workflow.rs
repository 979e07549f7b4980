//! `dossier workflow add|list|show|edit|run|rm` on the bundled sample: the first run takes the
//! newest N, a second run with nothing new is recorded (0 new) and changes no entry, a later
//! ingest brings exactly the new matching documents, and every rendering reads like the seed
//! pages.

use serde_json::Value;

use super::{dossier, json, ok, run, sample, stderr, stdout, tempdir, write};

const NAME: &str = "稀土供应链";

fn sample_workflow(query: &str) -> tempfile::TempDir {
    let dir = tempdir();
    ok(dossier(dir.path()).arg("ingest").arg(sample()));
    ok(dossier(dir.path()).args(["workflow", "add", NAME, "--query", query, "--first-run", "5"]));
    dir
}

#[test]
fn a_run_with_nothing_new_is_recorded_and_later_runs_take_only_new_documents() {
    let dir = sample_workflow("稀土");
    let d = dir.path();
    let first = run(dossier(d).args(["workflow", "run", NAME, "--format", "json"]));
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        // The sample's five newest 稀土 items hold only their titles: nothing to digest.
        stderr(&first).contains("first run: collected 5 documents, made 0 digests (5 title only: nothing to digest)"),
        "{}",
        stderr(&first)
    );
    let page: Value = serde_json::from_str(&stdout(&first)).unwrap_or_else(|e| panic!("{e}"));
    let entries = page["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), 5);
    let dates: Vec<&str> = entries.iter().filter_map(|e| e["published_at"].as_str()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    // The first run takes the newest five matches — the same as searching.
    let search = json(dossier(d).args(["search", "稀土", "--limit", "5", "--json"]));
    let ids = |v: &Value, key: &str| {
        v[key]
            .as_array()
            .map(|a| a.iter().map(|x| x["id"].clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(ids(&page, "entries"), ids(&search, "hits"));
    assert!(entries.iter().all(|e| e["title_only"] == true && e["digest"].is_null()), "{page}");

    let pages_before: Vec<String> = ["terminal", "markdown", "html", "json", "atom"]
        .iter()
        .map(|f| ok(dossier(d).args(["workflow", "show", NAME, "--format", f])))
        .collect();
    let info_before = json(dossier(d).args(["workflow", "show", NAME, "--json"]));
    let second = run(dossier(d).args(["workflow", "run", NAME, "--format", "json"]));
    assert!(
        stderr(&second).contains("nothing new since the last run"),
        "{}",
        stderr(&second)
    );
    let page2: Value = serde_json::from_str(&stdout(&second)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page2["entries"], page["entries"], "the page's entries are unchanged");
    // A run is a run: recorded with 0 new and the cursor where it was, so `last run` says when
    // the workflow last looked.
    let info = json(dossier(d).args(["workflow", "show", NAME, "--json"]));
    assert_eq!(info["last_run"]["new_documents"], 0, "{info}");
    assert_eq!(info["last_run"]["max_seq"], info_before["last_run"]["max_seq"], "{info}");
    assert!(info["last_run"]["id"].as_i64() > info_before["last_run"]["id"].as_i64(), "{info}");
    assert_eq!(info["documents"], info_before["documents"]);
    let show = ok(dossier(d).args(["workflow", "show", NAME]));
    assert!(show.contains(": 0 new, 0 digests made"), "{show}");
    // Human words, no Rust debug names.
    assert!(
        show.contains("\n  digests:      extractive (quoted sentences, offline), in each document's own language\n"),
        "{show}"
    );
    // Set to English (the default) with only the extractive summarizer: it says what that needs.
    assert!(show.contains("\n  note:         English digests of Chinese sources need an LLM endpoint"), "{show}");
    assert!(!show.contains("Extractive") && !show.contains("summarizer:"), "{show}");
    let html = ok(dossier(d).args(["workflow", "show", NAME, "--format", "html"]));
    assert_eq!(html.matches("<article").count(), pages_before[2].matches("<article").count());
    assert_eq!(
        ok(dossier(d).args(["workflow", "show", NAME, "--format", "atom"])),
        pages_before[4],
        "the feed changes only when entries arrive"
    );

    // Two new matching documents (one dated before everything on the page) and one that does
    // not match.
    let newer = serde_json::json!({"id": "new-1", "title": "稀土集团发布年度报告", "source": "测试社", "published_at": "2025-01-02T03:04:00Z",
        "lang": "zh", "paragraphs": ["中国稀土集团发布年度报告，稀土产量同比增长8%。", "报告称将继续推进稀土产业整合。"]});
    let older = serde_json::json!({"id": "new-2", "title": "稀土旧闻补录", "source": "测试社", "published_at": "2001-01-01",
        "lang": "zh", "paragraphs": ["2001年稀土出口数据补录。"]});
    let other = serde_json::json!({"id": "new-3", "title": "光伏", "source": "测试社", "published_at": "2025-01-03", "lang": "zh", "paragraphs": ["光伏装机创新高。"]});
    let file = d.join("more.jsonl");
    write(&file, format!("{newer}\n{older}\n{other}\n"));
    ok(dossier(d).arg("ingest").arg(&file));
    let third = run(dossier(d).args(["workflow", "run", NAME, "--format", "terminal"]));
    assert!(
        stderr(&third).contains("collected 2 documents, made 2 digests"),
        "{}",
        stderr(&third)
    );
    let text = stdout(&third);
    assert!(
        text.starts_with("Workflow\n稀土供应链\nSearch documents\n\nDigests: 2 extractive in Chinese\nNote: English digests of Chinese sources need an LLM endpoint"),
        "{text}"
    );
    assert!(text.contains("\n\n稀土集团发布年度报告\n测试社 · 2025-01-02 03:04\n"), "{text}");
    // 2001-01-01 was written without a time: shown as a day.
    assert!(text.contains("\n稀土旧闻补录\n测试社 · 2001-01-01\n"), "{text}");
    assert!(text.contains("稀土旧闻补录") && !text.contains("光伏装机"));
    let info = json(dossier(d).args(["workflow", "show", NAME, "--json"]));
    assert_eq!(info["documents"], 7);
    assert_eq!(info["last_run"]["new_documents"], 2);
    let fourth = run(dossier(d).args(["workflow", "run", NAME]));
    assert!(stderr(&fourth).contains("nothing new"), "{}", stderr(&fourth));
}

#[test]
fn renderings_read_like_the_seeds_and_the_feed_parses() {
    // The newest 稀土供应链 articles are long enough for sectioned digests with citations.
    let dir = sample_workflow("稀土供应链");
    let d = dir.path();
    let html_path = d.join("page.html");
    ok(dossier(d)
        .args(["workflow", "run", NAME, "--format", "html", "--output"])
        .arg(&html_path));
    let html = std::fs::read_to_string(&html_path).unwrap_or_else(|e| panic!("{e}"));
    assert!(html.starts_with("<!DOCTYPE html><html lang=\"zh\">"), "the documents' language");
    assert!(html.contains(
        "<div class=\"kicker\" lang=\"en\">Workflow</div><h1>稀土供应链</h1><div class=\"subhead\" lang=\"en\">Search documents</div>"
    ));
    assert_eq!(html.matches("<article class=\"doc\"").count(), 5);
    assert!(
        html.contains("<style>") && !html.contains("<script"),
        "standalone: styles inlined, no script"
    );
    // Every citation links to a paragraph that is in the page.
    let mut cites = 0;
    for part in html.split("class=\"cite\" href=\"#").skip(1) {
        let target = part.split('"').next().unwrap_or("");
        assert!(
            html.contains(&format!("<li id=\"{target}\"")),
            "citation #{target} has no paragraph"
        );
        cites += 1;
    }
    assert!(cites >= 1, "{cites} citations");
    assert!(regex_like_meta(&html), "source · YYYY-MM-DD HH:MM lines");
    assert!(html.contains("<span class=\"source\">腾讯新闻</span> · <time>2024-"), "day-only dates show as days");
    assert!(!html.contains(" 00:00</time>"), "no day-only date shows a made-up midnight");

    let md = ok(dossier(d).args(["workflow", "show", NAME, "--format", "markdown"]));
    assert!(md.starts_with("# 稀土供应链\n\n*Search documents*"), "{md}");
    // The run brief, then one section per document.
    assert_eq!(md.matches("\n## ").count(), 6);
    assert!(md.contains("\n## Run brief\n"), "{md}");

    let atom = ok(dossier(d).args(["workflow", "show", NAME, "--format", "atom"]));
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap_or_else(|e| panic!("Atom does not parse: {e}"));
    assert_eq!(feed.title.map(|t| t.content).as_deref(), Some(NAME));
    // The run brief first (its own test checks it), then one entry per document.
    assert!(feed.entries[0].id.starts_with("urn:dossier:workflow:"), "{atom}");
    let documents: Vec<_> = feed.entries.iter().filter(|e| e.id.starts_with("urn:dossier:document:")).collect();
    assert_eq!(documents.len(), 5);
    let mut ids: Vec<&str> = documents.iter().map(|e| e.id.as_str()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "entry ids are unique");
    for e in &documents {
        assert!(
            e.title.is_some() && e.published.is_some() && e.content.is_some(),
            "{e:?}"
        );
        assert!(!e.authors.is_empty());
    }
    // Without serve.public_url the links are relative and the subtitle says so.
    assert!(feed.description.is_some_and(|d| d.content.contains("serve.public_url")));
    assert!(documents.iter().all(|e| e.links.iter().any(|l| l.href.starts_with("/documents/"))));
    // With it, links are absolute; `workflow run --base-url` wins over it for that command.
    let links = |atom: &str| -> Vec<String> {
        let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        feed.entries
            .iter()
            .filter(|e| e.id.starts_with("urn:dossier:document:"))
            .flat_map(|e| e.links.iter().filter(|l| l.rel.as_deref() == Some("alternate")).map(|l| l.href.clone()))
            .collect()
    };
    let public = ok(dossier(d).env("DOSSIER_PUBLIC_URL", "https://news.example.org/").args(["workflow", "show", NAME, "--format", "atom"]));
    let public = links(&public);
    assert_eq!(public.len(), 5);
    assert!(public.iter().all(|l| l.starts_with("https://news.example.org/documents/")), "{public:?}");
    let flag = ok(dossier(d)
        .env("DOSSIER_PUBLIC_URL", "https://news.example.org")
        .args(["workflow", "run", NAME, "--format", "atom", "--base-url", "http://10.0.0.5:7700/"]));
    let flag = links(&flag);
    assert!(!flag.is_empty() && flag.iter().all(|l| l.starts_with("http://10.0.0.5:7700/documents/")), "{flag:?}");
    for (env, flag, names) in [
        ("ftp://news.example.org", None, "serve.public_url"),
        ("https://news.example.org", Some("javascript:alert(1)"), "--base-url"),
    ] {
        let mut cmd = dossier(d);
        cmd.env("DOSSIER_PUBLIC_URL", env).args(["workflow", "run", NAME, "--format", "atom"]);
        if let Some(f) = flag {
            cmd.args(["--base-url", f]);
        }
        let o = run(&mut cmd);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(names) && stderr(&o).contains("http"), "{}", stderr(&o));
    }
    // Well-formed XML all the way through.
    let mut reader = quick_xml::Reader::from_str(&atom);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("malformed XML at {}: {e}", reader.buffer_position()),
        }
    }
}

/// True when the page has a `source · YYYY-MM-DD HH:MM` line per entry.
fn regex_like_meta(html: &str) -> bool {
    let metas: Vec<&str> = html.split("<div class=\"meta\">").skip(1).collect();
    metas.len() == 5
        && metas.iter().all(|m| {
            let time = m
                .split("<time>")
                .nth(1)
                .and_then(|t| t.split("</time>").next())
                .unwrap_or("");
            let day = time.len() >= 10 && time.as_bytes()[4] == b'-' && time.as_bytes()[7] == b'-';
            // qqnews gives only a day: `YYYY-MM-DD`, never a made-up `00:00`.
            day && (time.len() == 10 || (time.len() == 16 && time.as_bytes()[10] == b' ' && time.as_bytes()[13] == b':'))
        })
}

#[test]
fn add_list_show_edit_rm_with_clear_errors() {
    let dir = tempdir();
    let d = dir.path();
    ok(dossier(d).arg("ingest").arg(sample()));
    let name = "半导体 / 芯片 «周报»";
    ok(dossier(d).args([
        "workflow",
        "add",
        name,
        "--query",
        "半导体 芯片",
        "--lang",
        "zh",
        "--since",
        "2023年1月1日",
        "--source",
        "腾讯新闻",
    ]));
    let dup = run(dossier(d).args(["workflow", "add", name, "--query", "x"]));
    assert_eq!(dup.status.code(), Some(2));
    assert!(stderr(&dup).contains("already exists"), "{}", stderr(&dup));
    for (args, expect) in [
        (vec!["workflow", "add", "x"], "query: is empty"),
        (
            vec!["workflow", "add", "x", "--query", "稀土", "--since", "someday"],
            "since: cannot parse date",
        ),
        (vec!["workflow", "add", "x", "--query", "稀土 OR"], "query: bad query"),
        (vec!["workflow", "run", "nope"], "workflow not found: nope"),
        (
            vec!["workflow", "edit", "nope", "--query", "x"],
            "workflow not found: nope",
        ),
    ] {
        let o = run(dossier(d).args(&args));
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(expect), "{args:?}: {}", stderr(&o));
    }
    let list = ok(dossier(d).args(["workflow", "list"]));
    assert!(
        list.contains(name) && list.contains("0 documents\tlast run never"),
        "{list}"
    );
    let show = ok(dossier(d).args(["workflow", "show", name]));
    assert!(
        show.contains("sources:      腾讯新闻") && show.contains("published:    2023-01-01 00:00 .. "),
        "{show}"
    );

    ok(dossier(d).args([
        "workflow",
        "edit",
        name,
        "--rename",
        "芯片",
        "--query",
        "芯片",
        "--first-run",
        "3",
    ]));
    let info = json(dossier(d).args(["workflow", "show", "芯片", "--json"]));
    assert_eq!(info["query"], "芯片");
    assert_eq!(info["lang"], "zh", "options not given keep their value");
    assert_eq!(info["sources"], serde_json::json!(["腾讯新闻"]));
    ok(dossier(d).args(["workflow", "edit", "芯片", "--clear-filters"]));
    let info = json(dossier(d).args(["workflow", "show", "芯片", "--json"]));
    assert!(
        info["lang"].is_null() && info["since"].is_null() && info["sources"] == serde_json::json!([]),
        "{info}"
    );
    let o = run(dossier(d).args(["workflow", "run", "芯片"]));
    assert!(
        stderr(&o).contains("first run: collected 3 documents"),
        "{}",
        stderr(&o)
    );
    ok(dossier(d).args(["workflow", "rm", "芯片"]));
    assert!(ok(dossier(d).args(["workflow", "list"])).contains("No workflows yet"));
}

/// At the default log level a command's stderr carries no INFO line repeating what it prints:
/// `workflow add` says nothing there, `workflow run` only its one outcome line.
#[test]
fn the_default_log_level_does_not_repeat_stdout() {
    let dir = tempdir();
    let d = dir.path();
    ok(dossier(d).arg("ingest").arg(sample()));
    let add = run(dossier(d).env_remove("RUST_LOG").args(["workflow", "add", NAME, "--query", "稀土", "--first-run", "2"]));
    assert!(add.status.success());
    assert_eq!(stdout(&add), "added workflow 稀土供应链; run it with `dossier workflow run 稀土供应链`\n");
    assert_eq!(stderr(&add), "");
    let first = run(dossier(d).env_remove("RUST_LOG").args(["workflow", "run", NAME]));
    assert_eq!(stderr(&first), "稀土供应链: first run: collected 2 documents, made 0 digests (2 title only: nothing to digest)\n");
    let again = run(dossier(d).env_remove("RUST_LOG").args(["workflow", "run", NAME]));
    assert_eq!(stderr(&again), "稀土供应链: nothing new since the last run\n");
    let search = run(dossier(d).env_remove("RUST_LOG").args(["search", "稀土", "--digest", "--limit", "2"]));
    assert!(search.status.success());
    assert_eq!(stderr(&search), "");
}

/// The run brief of a terminal page: from `Run brief` to the line saying what is new, with the
/// run's time (which changes every run) written `<time>`.
fn brief_block(page: &str) -> String {
    let start = page.find("Run brief · ").unwrap_or_else(|| panic!("no brief on the page:\n{page}"));
    let rest = &page[start..];
    let end = rest
        .find("First run: every story is new.\n")
        .map(|i| i + "First run: every story is new.\n".len())
        .or_else(|| rest.find("New since run #").and_then(|i| rest[i..].find('\n').map(|j| i + j + 1)))
        .unwrap_or_else(|| panic!("the brief does not say what is new:\n{rest}"));
    let block = &rest[..end];
    // "Run brief · run #1 · 2026-11-29 23:01 · 5 documents"
    let mut parts: Vec<&str> = block.splitn(4, " · ").collect();
    if parts.len() == 4 {
        parts[2] = "<time>";
    }
    parts.join(" · ")
}

#[test]
fn the_run_brief_cites_the_run_and_says_what_is_new() {
    let dir = sample_workflow("稀土供应链");
    let d = dir.path();
    let text = ok(dossier(d).args(["workflow", "run", NAME, "--format", "terminal"]));
    let brief = brief_block(&text);
    // Above the documents, below the page's head.
    assert!(text.find("Run brief").unwrap_or(0) < text.find("\n[").unwrap_or(0), "{text}");
    insta::assert_snapshot!("workflow_brief_sample", brief);

    // Every line cites a document of the page and a paragraph it has, and its figure is there.
    let page = json(dossier(d).args(["workflow", "show", NAME, "--format", "json"]));
    let b = &page["brief"];
    let stories = b["stories"].as_array().cloned().unwrap_or_default();
    let figures = b["figures"].as_array().cloned().unwrap_or_default();
    assert!(!stories.is_empty() && !figures.is_empty(), "{b}");
    let entries: Vec<String> = page["entries"].as_array().into_iter().flatten().filter_map(|e| e["id"].as_str().map(String::from)).collect();
    for line in stories.iter().chain(&figures) {
        let doc = line["cite"]["doc"].as_str().unwrap_or("");
        assert!(entries.iter().any(|e| e == doc), "{doc} is not on the page");
        let shown = json(dossier(d).args(["show", doc, "--json"]));
        let paragraphs = shown["paragraphs"].as_array().cloned().unwrap_or_default();
        let cited: Vec<String> = line["cite"]["paragraphs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| {
                let n = n.as_u64().unwrap_or(0) as usize;
                assert!(n >= 1 && n <= paragraphs.len(), "{doc} [{n}] does not exist");
                paragraphs[n - 1].as_str().unwrap_or("").to_string()
            })
            .collect();
        if let Some(figure) = line["figure"].as_str() {
            assert!(cited.iter().any(|p| p.contains(figure)), "{figure} is not in {doc} {cited:?}");
        }
    }
    assert_eq!(b["previous_run"], Value::Null, "a first run has nothing before it");

    // The standalone HTML links each brief citation to the paragraph in the page.
    let html = ok(dossier(d).args(["workflow", "show", NAME, "--format", "html"]));
    let brief_html = html.split("<section class=\"brief\">").nth(1).and_then(|s| s.split("</section>").next()).unwrap_or("");
    assert!(brief_html.contains("<h2 lang=\"en\">Run brief</h2>"), "{brief_html}");
    let mut links = 0;
    for part in brief_html.split("class=\"cite\" href=\"#").skip(1) {
        let target = part.split('"').next().unwrap_or("");
        assert!(html.contains(&format!("<li id=\"{target}\"")), "brief citation #{target} has no paragraph");
        links += 1;
    }
    assert!(links >= stories.len() + figures.len(), "{brief_html}");
    // Markdown and the feed carry it at the top too; `workflow show` prints it.
    let md = ok(dossier(d).args(["workflow", "show", NAME, "--format", "markdown"]));
    let at = md.find("\n## Run brief\n").unwrap_or_else(|| panic!("{md}"));
    assert!(!md[..at].contains("\n## "), "the brief comes before the documents:\n{md}");
    let atom = ok(dossier(d).args(["workflow", "show", NAME, "--format", "atom"]));
    let feed = feed_rs::parser::parse(atom.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    assert!(feed.entries[0].title.as_ref().is_some_and(|t| t.content.starts_with("Run brief")), "{atom}");
    let show = ok(dossier(d).args(["workflow", "show", NAME]));
    assert!(show.contains("\nRun brief · run #1 · ") && show.contains("First run: every story is new."), "{show}");

    // A run with nothing new keeps the brief of the run that brought something.
    ok(dossier(d).args(["workflow", "run", NAME]));
    assert_eq!(json(dossier(d).args(["workflow", "show", NAME, "--format", "json"]))["brief"], *b);

    // A later run: one document telling the lead story again continues it, one is new.
    let lead = &stories[0];
    // The same story republished under another id and title: the lead document's text.
    let lead_doc = json(dossier(d).args(["show", lead["cite"]["doc"].as_str().unwrap_or(""), "--json"]));
    let again = serde_json::json!({"id": "again-1", "title": format!("{}（续）", lead_doc["title"].as_str().unwrap_or("")),
        "source": "测试社", "published_at": "2030-01-02T03:04:00Z", "lang": "zh", "paragraphs": lead_doc["paragraphs"]});
    let fresh = serde_json::json!({"id": "fresh-1", "title": "镓锗锑新规落地 企业调整采购", "source": "测试社",
        "published_at": "2030-01-02T05:04:00Z", "lang": "zh",
        "paragraphs": [
            "商务部今日宣布镓锗锑出口新规正式落地，稀土供应链相关企业纷纷调整采购计划。",
            "业内人士表示，新规实施后，镓的出口价格较上月上涨15%，多家下游企业提前备货。",
            "分析人士认为，新规将推动国内企业加快技术升级，提高资源利用效率，稀土供应链的稳定性有望增强。",
            "据统计，今年前十个月我国锗产品出口量同比下降8.2%，出口额约为3.5亿美元。"
        ]});
    let file = d.join("more.jsonl");
    write(&file, format!("{again}\n{fresh}\n"));
    ok(dossier(d).arg("ingest").arg(&file));
    let later = json(dossier(d).args(["workflow", "run", NAME, "--format", "json"]));
    let b2 = &later["brief"];
    assert_eq!(b2["documents"], 2, "{b2}");
    assert!(b2["previous_run"].as_i64().is_some(), "{b2}");
    let by_doc = |id: &str| b2["stories"].as_array().into_iter().flatten().find(|s| s["cite"]["doc"] == id).cloned().unwrap_or(Value::Null);
    assert_eq!(by_doc("again-1")["follows"], lead["cite"]["doc"], "{b2}");
    assert_eq!(by_doc("fresh-1")["follows"], Value::Null, "{b2}");
    let text = ok(dossier(d).args(["workflow", "show", NAME, "--format", "terminal"]));
    assert!(text.contains("New since run #1: 1 of 2 stories; 1 continues an earlier one."), "{text}");
}
