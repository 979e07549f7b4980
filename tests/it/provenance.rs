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
