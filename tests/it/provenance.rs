//! Where an item comes from: the original outlet a syndicated article names (`环球时报 via 腾讯新闻`)
//! and imported seed pages, labelled and kept below real documents.

use super::*;

/// qq-5821 is a 腾讯新闻 item that opens `【环球时报-环球网报道 记者 王盼盼】`.
#[test]
fn an_article_naming_its_outlet_shows_it_with_the_feed() {
    let q = [
        "search",
        "俄宣布在白俄罗斯部署战术核武器",
        "--sort",
        "relevance",
        "--limit",
        "3",
    ];
    let v = json(dossier(sample_dir()).args(q).arg("--json"));
    let hit = v["hits"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|h| h["id"] == "qq-5821")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (hit["source"].as_str(), hit["outlet"].as_str()),
        (Some("腾讯新闻"), Some("环球时报")),
        "{v}"
    );
    let text = ok(dossier(sample_dir()).args(q));
    assert!(
        text.contains(
            "俄宣布在白俄罗斯部署战术核武器，中方表态\n环球时报 via 腾讯新闻 · 2023-03-27\n"
        ),
        "{text}"
    );
    let shown = ok(dossier(sample_dir()).args(["show", "qq-5821"]));
    assert!(
        shown.contains("\n环球时报 via 腾讯新闻 · 2023-03-27\n"),
        "{shown}"
    );
    // The source filter is on the feed.
    let feed = json(
        dossier(sample_dir())
            .args(q)
            .args(["--source", "腾讯新闻", "--json"]),
    );
    assert!(
        feed["hits"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|h| h["id"] == "qq-5821"),
        "{feed}"
    );
}

/// An imported seed page is labelled in terminal and JSON and comes after a real document that
/// matches as well, though the imported page was published the same day.
#[test]
fn imported_pages_are_labelled_and_come_after_real_documents() {
    let dir = tempdir();
    let real = serde_json::json!({
        "id": "real-1",
        "title": "Indo-Pacific rare earth alliance announced",
        "source": "Test Wire",
        "published_at": "2025-08-02T01:00:00Z",
        "lang": "en",
        "paragraphs": ["The foreign ministers of four countries announced an Indo-Pacific rare earth alliance on July 1."],
    });
    let path = dir.path().join("real.jsonl");
    write(&path, format!("{real}\n"));
    ok(dossier(dir.path()).arg("ingest").arg(&path));
    ok(dossier(dir.path())
        .arg("import-seed")
        .arg(seeds().join("000_b9f1a09f6e316b44.txt")));
    for sort in ["relevance", "newest"] {
        let v =
            json(dossier(dir.path()).args(["search", "Indo-Pacific", "--sort", sort, "--json"]));
        let hits = v["hits"].as_array().cloned().unwrap_or_default();
        assert_eq!(
            hits.first().and_then(|h| h["id"].as_str()),
            Some("real-1"),
            "{sort}: {v}"
        );
        assert!(
            hits.first().is_some_and(|h| h.get("imported").is_none()),
            "{v}"
        );
        let imported: Vec<&serde_json::Value> =
            hits.iter().filter(|h| h["imported"] == true).collect();
        assert!(!imported.is_empty(), "{sort}: {v}");
        assert!(
            imported
                .iter()
                .all(|h| h["id"].as_str().is_some_and(|id| id.starts_with("seed:"))),
            "{v}"
        );
    }
    let text = ok(dossier(dir.path()).args(["search", "Indo-Pacific"]));
    assert!(
        text.contains("Sou Hu Cai Jing · 2025-08-02 07:02 · imported (another tool's digest"),
        "{text}"
    );
    assert!(
        !text.contains("Test Wire · 2025-08-02 01:00 · imported"),
        "{text}"
    );
}

/// The four kinds of item issue 8 names — a title-only item, an item naming its original outlet,
/// an imported page, a day-only date — each as a workflow page shows it in the terminal, in
/// HTML and in JSON, frozen together so a change to one rendering shows beside the others.
#[test]
fn each_kind_of_item_in_terminal_html_and_json() {
    let dir = tempdir();
    let items = [
        serde_json::json!({"id": "m-title", "title": "稀土价格大涨", "source": "腾讯新闻", "published_at": "2025-08-03T09:15:00Z",
            "lang": "zh", "paragraphs": ["# 稀土价格大涨"]}),
        serde_json::json!({"id": "m-outlet", "title": "稀土出口管制新规发布", "source": "腾讯新闻", "published_at": "2025-08-03T08:30:00Z",
            "lang": "zh", "paragraphs": ["【环球时报记者 王盼盼】商务部宣布对部分稀土物项实施出口管制。", "新规自12月1日起施行，涉及7类中重稀土。"]}),
        serde_json::json!({"id": "m-day", "title": "稀土永磁企业扩产", "source": "财联社", "published_at": "2025-08-01",
            "lang": "zh", "paragraphs": ["多家稀土永磁企业宣布扩产计划，合计新增产能3万吨。", "业内人士表示，需求增长主要来自新能源汽车。"]}),
    ];
    let path = dir.path().join("items.jsonl");
    write(&path, items.iter().map(|i| format!("{i}\n")).collect::<String>());
    ok(dossier(dir.path()).arg("ingest").arg(&path));
    ok(dossier(dir.path()).arg("import-seed").arg(seeds().join("000_b9f1a09f6e316b44.txt")));
    ok(dossier(dir.path()).args(["workflow", "add", "matrix", "--query", "稀土", "--first-run", "50"]));
    ok(dossier(dir.path()).args(["workflow", "run", "matrix"]));
    let page = |format: &str| ok(dossier(dir.path()).args(["workflow", "show", "matrix", "--format", format]));
    let (terminal, html) = (page("terminal"), page("html"));
    let v: serde_json::Value = serde_json::from_str(&page("json")).unwrap_or_default();
    let entries = v["entries"].as_array().cloned().unwrap_or_default();
    let seed_id = entries
        .iter()
        .filter_map(|e| e["id"].as_str())
        .find(|id| id.starts_with("seed:"))
        .unwrap_or("no imported entry")
        .to_string();
    let seed_title = entries.iter().find(|e| e["id"] == seed_id.as_str()).and_then(|e| e["title"].as_str()).unwrap_or("").to_string();
    let mut out = String::new();
    for (what, id, title) in [
        ("title-only item", "m-title", "稀土价格大涨"),
        ("item naming its original outlet", "m-outlet", "稀土出口管制新规发布"),
        ("imported page", seed_id.as_str(), seed_title.as_str()),
        ("day-only date", "m-day", "稀土永磁企业扩产"),
    ] {
        // Terminal: the item's block, from its title to the blank line after it.
        let block: String = terminal
            .split("\n\n")
            .filter(|b| b.lines().any(|l| l.starts_with(title)))
            .collect::<Vec<_>>()
            .join("\n\n");
        // HTML: the item's head (title, source line, labels), digest bullets left out.
        let article = html
            .split("<article")
            .skip(1)
            .find(|a| a.contains(title))
            .map(|a| a.split("<div class=\"digest\"").next().unwrap_or(a).split("</article>").next().unwrap_or(a))
            .unwrap_or("(missing)");
        let entry = entries.iter().find(|e| e["id"] == id).cloned().unwrap_or_default();
        let fields: Vec<String> = ["id", "source", "outlet", "published_at", "when", "title_only", "imported"]
            .iter()
            .filter(|k| !entry[**k].is_null())
            .map(|k| format!("{k}: {}", entry[*k]))
            .collect();
        let digest = match &entry["digest"] {
            serde_json::Value::Null => "none".to_string(),
            d => format!("{} ({})", d["summarizer"], d["kind"]),
        };
        out.push_str(&format!(
            "## {what}\n### terminal\n{block}\n### html\n<article{article}\n### json\n{}\ndigest: {digest}\n\n",
            fields.join("\n")
        ));
    }
    insta::assert_snapshot!("item_kinds_terminal_html_json", out);
}
