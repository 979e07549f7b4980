use super::*;

fn engine() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let config = Config::load(
        &crate::config::Flags {
            data_dir: Some(dir.path().join("data")),
            ..Default::default()
        },
        &HashMap::new(),
    )
    .unwrap_or_else(|e| panic!("config: {e}"));
    let engine = Engine::open(config).unwrap_or_else(|e| panic!("open: {e}"));
    (dir, engine)
}

#[test]
fn intervals_parse_and_print() -> Result<()> {
    assert_eq!(parse_every("30m")?, 1800);
    assert_eq!(parse_every(" 1s")?, 1);
    assert_eq!(parse_every("2h")?, 7200);
    assert_eq!(parse_every("1d")?, 86400);
    for bad in ["", "30", "m", "0s", "5 weeks", "-1m"] {
        let e = parse_every(bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.starts_with("--every"), "{bad:?}: {e}");
    }
    assert_eq!(
        (format_every(1800), format_every(90), format_every(86400)),
        ("30m".into(), "90s".into(), "1d".into())
    );
    Ok(())
}

#[test]
fn backoff_doubles_honours_retry_after_and_is_capped() {
    let m = Duration::from_secs(60);
    assert_eq!(backoff(m, 1, None), m);
    assert_eq!(backoff(m, 3, None), Duration::from_secs(240));
    assert_eq!(backoff(m, 40, None), MAX_BACKOFF);
    assert_eq!(
        backoff(m, 1, Some(Duration::from_secs(600))),
        Duration::from_secs(600)
    );
    // A Retry-After shorter than the interval does not poll sooner than the schedule.
    assert_eq!(backoff(m, 1, Some(Duration::from_secs(5))), m);
}

#[test]
fn summary_only_items_are_short() {
    let mut doc = Document {
        id: "a".into(),
        title: "t".into(),
        source: "s".into(),
        published_at: None,
        published_precision: None,
        url: None,
        lang: Lang::En,
        paragraphs: vec!["A short summary.".into()],
        meta: serde_json::Value::Null,
    };
    assert!(is_summary_only(&doc));
    doc.paragraphs = vec!["x".repeat(200); 3];
    assert!(!is_summary_only(&doc));
    set_meta(&mut doc, "text", "summary".into());
    assert_eq!(doc.meta["text"], "summary");
}

#[test]
fn sources_are_added_listed_edited_and_removed() -> Result<()> {
    let (dir, engine) = engine();
    let watched = dir.path().join("inbox");
    std::fs::create_dir(&watched).map_err(|e| Error::io(&watched, e))?;
    let s = Sources::open(engine.store());
    let input = SourceInput {
        name: Some("wire".into()),
        location: Some("https://example.org/feed.xml".into()),
        every: Some("15m".into()),
        ..Default::default()
    };
    let added = s.add(&input)?;
    assert_eq!((added.kind, added.every_secs), (Kind::Feed, 900));
    assert!(matches!(s.add(&input), Err(Error::AlreadyExists { .. })));
    let bad = SourceInput {
        name: Some("x".into()),
        location: Some("ftp://example.org/x".into()),
        ..Default::default()
    };
    assert!(
        s.add(&bad)
            .is_err_and(|e| e.to_string().contains("only http:// and https://"))
    );
    let missing = SourceInput {
        name: Some("x".into()),
        location: Some("/no/such/dir".into()),
        ..Default::default()
    };
    assert!(s.add(&missing).is_err_and(|e| {
        e.to_string()
            .contains("neither an http(s) URL nor an existing directory")
    }));
    let inbox = SourceInput {
        name: Some("inbox".into()),
        location: Some(watched.display().to_string()),
        lang: Some("zh".into()),
        ..Default::default()
    };
    assert_eq!(s.add(&inbox)?.kind, Kind::Directory);
    assert_eq!(
        s.due(Utc::now())?,
        vec!["inbox".to_string(), "wire".to_string()]
    );
    let edited = s.edit(
        "wire",
        &SourceInput {
            name: Some("newswire".into()),
            source_label: Some("Wire".into()),
            ..Default::default()
        },
    )?;
    assert_eq!(
        (edited.name.as_str(), edited.source_label.as_deref()),
        ("newswire", Some("Wire"))
    );
    s.remove("newswire")?;
    assert!(matches!(s.remove("newswire"), Err(Error::NotFound { .. })));
    assert_eq!(s.list()?.len(), 1);
    Ok(())
}

#[test]
fn a_watched_directory_ingests_new_and_changed_files_once() -> Result<()> {
    let (dir, mut engine) = engine();
    let watched = dir.path().join("inbox");
    std::fs::create_dir(&watched).map_err(|e| Error::io(&watched, e))?;
    let write = |name: &str, text: &str| {
        let p = watched.join(name);
        std::fs::write(&p, text).map_err(|e| Error::io(&p, e))
    };
    write(
        "a.txt",
        "Lithium prices\n\nLithium carbonate prices fell again this week.",
    )?;
    Sources::open(engine.store()).add(&SourceInput {
        name: Some("inbox".into()),
        location: Some(watched.display().to_string()),
        source_label: Some("Desk".into()),
        ..Default::default()
    })?;
    let mut poller = Poller::new(&engine.config.clone())?;
    let first = poller.poll(&mut engine, "inbox")?;
    assert_eq!(
        (first.seen, first.new, first.error.as_deref()),
        (1, 1, None)
    );
    let again = poller.poll(&mut engine, "inbox")?;
    assert_eq!(
        (again.seen, again.new),
        (0, 0),
        "an unchanged file is not read again"
    );
    write(
        "b.md",
        "# Copper\n\nCopper hit a record high on supply worries.",
    )?;
    let third = poller.poll(&mut engine, "inbox")?;
    assert_eq!((third.seen, third.new), (1, 1));
    let (docs, _) = engine.counts()?;
    assert_eq!(docs, 2);
    let info = Sources::open(engine.store()).get("inbox")?;
    assert_eq!(
        (info.total_new, info.failures, info.last_error),
        (2, 0, None)
    );
    // The directory gone: the source fails, keeps what it stored, and backs off.
    std::fs::remove_dir_all(&watched).map_err(|e| Error::io(&watched, e))?;
    let gone = poller.poll(&mut engine, "inbox")?;
    assert!(
        gone.error
            .as_deref()
            .is_some_and(|e| e.contains("does not exist")),
        "{gone:?}"
    );
    assert_eq!(engine.counts()?.0, 2);
    assert_eq!(Sources::open(engine.store()).get("inbox")?.failures, 1);
    Ok(())
}
