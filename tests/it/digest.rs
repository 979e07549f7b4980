//! Digests from the command line: extractive digests of real articles, search --digest, and
//! importing the seed pages with their digests.

use super::*;

#[test]
fn extractive_digest_of_a_real_article_is_cited_verified_and_stored() {
    let dir = tempdir();
    ok(dossier(dir.path()).arg("ingest").arg(sample()));
    let d = json(dossier(dir.path()).args(["digest", "qq-34199", "--json"]));
    assert_eq!(d["summarizer"], "extractive");
    assert_eq!(d["kind"], "news");
    assert_eq!(d["sections"][0]["heading"], "Core Viewpoint");
    let report = &d["verification"];
    assert_eq!(report["bullets_dropped"], 0, "{report}");
    let doc = json(dossier(dir.path()).args(["show", "qq-34199", "--json"]));
    let n = doc["paragraphs"].as_array().map(Vec::len).unwrap_or(0);
    for s in d["sections"].as_array().into_iter().flatten() {
        for b in s["bullets"].as_array().into_iter().flatten() {
            let cites: Vec<u64> = b["citations"].as_array().into_iter().flatten().filter_map(|c| c.as_u64()).collect();
            assert!(!cites.is_empty() && cites.iter().all(|c| (1..=n as u64).contains(c)), "{b}");
        }
    }
    let text = ok(dossier(dir.path()).args(["digest", "qq-34199"]));
    insta::assert_snapshot!("digest_qq_34199", text);
    let md = ok(dossier(dir.path()).args(["digest", "qq-34199", "--markdown"]));
    assert!(md.contains("Core Viewpoint") && md.contains("[2]"), "{md}");
    // A Markdown digest stands alone: title, then source, time and id.
    insta::assert_snapshot!("digest_qq_34199_markdown", md);
    let stats = json(dossier(dir.path()).args(["stats", "--json"]));
    assert_eq!(stats["digests"], 1);
    // The kind can be set per document; it sticks for later digests.
    let ex = json(dossier(dir.path()).args(["digest", "qq-34199", "--kind", "excerpt", "--json"]));
    assert_eq!(ex["kind"], "excerpt", "{ex}");
    let again = json(dossier(dir.path()).args(["digest", "qq-34199", "--json"]));
    assert_eq!(again["kind"], "excerpt");
    let o = run(dossier(dir.path()).args(["digest", "qq-34199", "--kind", "memo"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a digest kind"), "{}", stderr(&o));
}

/// With an LLM endpoint configured the LLM digest is the one asked for by default; when the model
/// cannot answer (here: nothing listens on the port), the extractive digest is shown with a note
/// saying why, both on the command line and in `show --json`, and the failure is remembered.
#[test]
fn a_failed_llm_digest_falls_back_to_the_extractive_one_with_a_note() {
    let dir = tempdir();
    ok(dossier(dir.path()).arg("ingest").arg(sample()));
    let llm = |c: &mut std::process::Command| {
        c.env("DOSSIER_LLM_URL", "http://127.0.0.1:9/v1")
            .env("DOSSIER_LLM_MODEL", "absent-model")
            .env("DOSSIER_LLM_MAX_RETRIES", "0")
            .env("DOSSIER_LLM_TIMEOUT_SECS", "5");
    };
    let mut c = dossier(dir.path());
    llm(c.args(["digest", "qq-34199", "--json"]));
    let d = json(&mut c);
    assert_eq!(d["summarizer"], "extractive", "{d}");
    let note = d["note"].as_str().unwrap_or("");
    assert!(note.starts_with("The LLM digest failed (") && note.contains("this is the extractive digest"), "{note}");
    let mut c = dossier(dir.path());
    llm(c.args(["digest", "qq-34199"]));
    let text = ok(&mut c);
    assert!(text.lines().nth(2).is_some_and(|l| l.starts_with("Note: The LLM digest failed")), "{text}");
    // Asked for by name, the LLM's failure is an error, not a silent stand-in.
    let mut c = dossier(dir.path());
    llm(c.args(["digest", "qq-34199", "--summarizer", "llm"]));
    assert_ne!(run(&mut c).status.code(), Some(0));
    let mut c = dossier(dir.path());
    llm(c.args(["show", "qq-34199", "--json"]));
    let doc = json(&mut c);
    assert_eq!(doc["digest"]["summarizer"], "extractive", "{}", doc["digest"]);
    assert!(doc["digest"]["note"].as_str().is_some_and(|n| n.contains("LLM digest failed")), "{}", doc["digest"]);
    assert_eq!(doc["digests"].as_object().map(|o| o.keys().cloned().collect::<Vec<_>>()), Some(vec!["extractive".to_string()]));
    // Without an endpoint the extractive digest is the one shown, with no note.
    let doc = json(dossier(dir.path()).args(["show", "qq-34199", "--json"]));
    assert!(doc["digest"]["summarizer"] == "extractive" && doc["digest"]["note"].is_null(), "{}", doc["digest"]);
}

/// The paragraph numbers cited at the end of a bullet line ("… [3]", "… [3][10]"), or None
/// when the line does not end in citation markers.
fn trailing_citations(line: &str) -> Option<Vec<usize>> {
    let mut rest = line.trim_end().strip_suffix('.').unwrap_or(line.trim_end());
    let mut cites = Vec::new();
    while let Some(open) = rest.strip_suffix(']').and_then(|r| r.rfind('[')) {
        let n = rest[open + 1..rest.len() - 1].parse().ok()?;
        cites.push(n);
        rest = rest[..open].trim_end();
    }
    cites.reverse();
    (!cites.is_empty()).then_some(cites)
}

#[test]
fn trailing_citations_reads_only_paragraph_markers() {
    assert_eq!(trailing_citations("  - 稀土出口下降 [3]"), Some(vec![3]));
    assert_eq!(trailing_citations("  - 稀土出口下降 [3][10]."), Some(vec![3, 10]));
    assert_eq!(trailing_citations("  [qq-34199]"), None);
    assert_eq!(trailing_citations("  - 没有引用"), None);
}

#[test]
fn search_with_digests_lays_hits_out_like_the_seeds() {
    let out = ok(dossier(sample_dir()).args(["search", "稀土", "出口管制", "--digest", "--limit", "3", "--json"]));
    let hits: Vec<String> = serde_json::from_str::<serde_json::Value>(&out).ok().and_then(|v| {
        v["hits"].as_array().map(|h| h.iter().filter_map(|h| h["id"].as_str().map(String::from)).collect())
    }).unwrap_or_default();
    assert_eq!(hits.len(), 3, "{out}");
    let json_out: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
    assert_eq!(json_out["digest_query"], "稀土 出口管制", "the digests are labelled as made for the query");
    let out = ok(dossier(sample_dir()).args(["search", "稀土", "出口管制", "--digest", "--limit", "3"]));
    assert!(
        out.starts_with("Digests focused on \"稀土 出口管制\": they favour the sentences about it; `dossier digest ID` gives a document's general digest.\n\n"),
        "{out}"
    );
    assert!(out.contains("Core Viewpoint"), "{out}");
    assert!(out.contains(" · 20"), "{out}");
    // Each hit's block runs from its title to its `[id]` line; every bullet in it (a "  - "
    // line, not a heading, the title or the id line) ends in paragraph citations that exist in
    // that document.
    let mut bullets = 0;
    let mut block: Vec<&str> = Vec::new();
    let mut checked_hits = Vec::new();
    for line in out.lines() {
        let id = line.trim().strip_prefix('[').and_then(|l| l.strip_suffix(']'));
        let Some(id) = id.filter(|id| hits.iter().any(|h| h == id)) else {
            block.push(line);
            continue;
        };
        let doc = json(dossier(sample_dir()).args(["show", id, "--json"]));
        let n = doc["paragraphs"].as_array().map(Vec::len).unwrap_or(0);
        for b in block.iter().filter(|l| l.trim_start().starts_with("- ")) {
            let cites = trailing_citations(b).unwrap_or_else(|| panic!("{id}: bullet without citations: {b:?}\n{out}"));
            assert!(cites.iter().all(|c| (1..=n).contains(c)), "{id} has {n} paragraphs; bullet cites {cites:?}: {b}");
            bullets += 1;
        }
        // Citations belong to bullets: headings, title and source lines carry none.
        assert!(
            block.iter().all(|l| l.trim_start().starts_with("- ") || trailing_citations(l).is_none()),
            "a line that is not a bullet carries citations: {block:?}"
        );
        checked_hits.push(id.to_string());
        block.clear();
    }
    assert_eq!(checked_hits, hits, "every hit ends with its id line: {out}");
    assert!(bullets >= 3, "only {bullets} cited bullets in three digests:\n{out}");
}

#[test]
fn digest_all_covers_every_document_and_a_rerun_reuses_them() {
    let dir = tempdir();
    let f = dir.path().join("few.jsonl");
    let text = std::fs::read(sample()).unwrap_or_default();
    let mut s = String::new();
    let _ = std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&text[..]), &mut s);
    write(&f, s.lines().take(200).collect::<Vec<_>>().join("\n"));
    ok(dossier(dir.path()).arg("ingest").arg(&f));
    let first = json(dossier(dir.path()).args(["digest", "--all", "--json"]));
    assert_eq!(first["made"], 200, "{first}");
    assert_eq!(first["failed"], 0);
    let again = json(dossier(dir.path()).args(["digest", "--all", "--json"]));
    assert_eq!(again["made"], 0, "{again}");
}

#[test]
fn the_three_seed_pages_import_with_their_digests() {
    let dir = tempdir();
    let mut counts = Vec::new();
    for (file, expected) in [
        ("000_b9f1a09f6e316b44.txt", 10),
        ("001_3906136895591979.txt", 8),
        ("002_c73b6274a546cfca.txt", 2),
    ] {
        let r = json(dossier(dir.path()).args(["import-seed", "--json"]).arg(seeds().join(file)));
        assert_eq!(r["documents"], expected, "{file}: {r}");
        counts.push(r["documents"].as_u64().unwrap_or(0));
        assert_eq!(r["workflow_created"], true, "{file}: {r}");
    }
    // Each page's workflow exists afterwards, searching its name.
    let list = ok(dossier(dir.path()).args(["workflow", "list"]));
    for name in ["稀土供应链", "稀土博弈", "稀土自主"] {
        assert!(list.contains(&format!("{name}\t\"{name}\"\t0 documents\tlast run never\n")), "{list}");
    }
    let text = ok(dossier(dir.path()).args(["import-seed"]).arg(seeds().join("002_c73b6274a546cfca.txt")));
    assert!(
        text.ends_with("workflow 稀土自主 exists already and is left as it is; `dossier workflow run 稀土自主` collects new documents\n"),
        "{text}"
    );
    let fresh = tempdir();
    let text = ok(dossier(fresh.path()).args(["import-seed"]).arg(seeds().join("002_c73b6274a546cfca.txt")));
    assert!(
        text.ends_with("\ncreated workflow 稀土自主 (query 稀土自主); `dossier workflow run 稀土自主` collects its documents\n"),
        "{text}"
    );
    assert!(!text.contains("(workflow "), "{text}");
    let run_it = run(dossier(fresh.path()).args(["workflow", "run", "稀土自主"]));
    assert!(run_it.status.success(), "{}", stderr(&run_it));
    // Importing again changes nothing.
    let r = json(dossier(dir.path()).args(["import-seed", "--json"]).arg(seeds().join("000_b9f1a09f6e316b44.txt")));
    assert_eq!(r["unchanged"], 10, "{r}");
    // The imported digests are searchable and shown as they were.
    let hits = json(dossier(dir.path()).args(["search", "Indo-Pacific", "--json"]));
    let id = hits["hits"][0]["id"].as_str().unwrap_or("").to_string();
    assert!(id.starts_with("seed:"), "{hits}");
    let d = json(dossier(dir.path()).args(["digest", &id, "--json"]));
    assert_eq!(d["summarizer"], "imported");
    let bad = dir.path().join("bad.txt");
    write(&bad, "Workflow\n稀土\nSearch documents\n标题\nSou Hu Cai Jing· 2025-13-45 99:99\nGroup 1 - x [1]\n");
    let o = run(dossier(dir.path()).args(["import-seed"]).arg(&bad));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.txt:"), "{}", stderr(&o));
}

#[test]
fn an_index_from_another_version_asks_for_reindex() {
    let dir = tempdir();
    let f = dir.path().join("a.jsonl");
    write(&f, r#"{"id":"a","title":"稀土","source":"s","paragraphs":["稀土价格上涨"]}"#);
    ok(dossier(dir.path()).arg("ingest").arg(&f));
    let meta = dir.path().join("index/meta.json");
    let text = std::fs::read_to_string(&meta).unwrap_or_default();
    let current = format!(r#"\"version\":{}"#, dossier::index::INDEX_VERSION);
    assert!(text.contains(&current), "{text}");
    write(&meta, text.replace(&current, r#"\"version\":999"#));
    let o = run(dossier(dir.path()).args(["search", "稀土"]));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dossier reindex"), "{}", stderr(&o));
    ok(dossier(dir.path()).arg("reindex"));
    let v = json(dossier(dir.path()).args(["search", "稀土", "--json"]));
    assert_eq!(v["total"], 1);
}
