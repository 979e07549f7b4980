use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use chrono::TimeZone;

use super::render::{self, Format};
use super::*;
use crate::config::{Config, Flags};
use crate::digest::DocKind;
use crate::engine::IngestOptions;

fn engine(dir: &Path) -> Result<Engine> {
    let flags = Flags {
        data_dir: Some(dir.to_path_buf()),
        ..Flags::default()
    };
    let mut config = Config::load(&flags, &HashMap::new())?;
    // These documents are near-identical made-up texts: with stories on they would be one story.
    // Stories in workflows are tested on real copies (tests/it/stories.rs).
    config.ingest.stories = false;
    Engine::open(config)
}

fn doc_line(id: &str, day: u32, title: &str, paragraphs: &[&str]) -> String {
    serde_json::json!({
        "id": id,
        "title": title,
        "source": "测试通讯社",
        "published_at": format!("2024-05-{day:02}T08:30:00Z"),
        "lang": "zh",
        "paragraphs": paragraphs,
    })
    .to_string()
        + "\n"
}

fn ingest(engine: &mut Engine, dir: &Path, name: &str, lines: &[String]) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, lines.concat()).map_err(|e| Error::io(&path, e))?;
    let summary = engine.ingest(
        &[path],
        &IngestOptions::default(),
        Arc::new(AtomicBool::new(false)),
        &mut |_| {},
    )?;
    assert_eq!(summary.failed, 0, "{:?}", summary.failures);
    Ok(())
}

fn rare_earth(id: &str, day: u32) -> String {
    doc_line(
        id,
        day,
        &format!("稀土出口管制新规 {id}"),
        &[
            "商务部宣布对部分稀土物项实施出口管制。",
            "据统计，2024年前四个月稀土出口量为1.6万吨，同比增长9.8%。",
            "业内人士认为，稀土供应链的安全关系到新能源汽车和风电产业。",
        ],
    )
}

fn input(name: &str, query: &str) -> WorkflowInput {
    WorkflowInput {
        name: name.into(),
        query: query.into(),
        first_run: Some(2),
        ..Default::default()
    }
}

#[test]
fn first_run_takes_the_newest_then_only_new_documents_and_an_empty_run_is_recorded() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
    let mut e = engine(dir.path())?;
    ingest(
        &mut e,
        dir.path(),
        "a.jsonl",
        &[
            rare_earth("a1", 1),
            rare_earth("a2", 2),
            rare_earth("a3", 3),
            doc_line("other", 4, "光伏装机", &["光伏新增装机容量创新高。"]),
        ],
    )?;
    let wf = input("稀土 供应链/周报", "稀土").validate(&e)?;
    Workflows::open(e.store())?.add(&wf)?;

    let first = run(&mut e, &wf.name)?;
    assert!(first.first_run);
    assert_eq!(first.new_documents, vec!["a3", "a2"], "the newest two, newest first");
    assert_eq!(first.digests_made, 2);
    let page1 = Workflows::open(e.store())?.page(&wf.name, 50)?;
    let rendered1: Vec<String> = [
        Format::Terminal,
        Format::Markdown,
        Format::Html,
        Format::Json,
        Format::Atom,
    ]
    .iter()
    .map(|f| render::render(&page1, *f, Some("http://127.0.0.1:7700")))
    .collect::<std::io::Result<_>>()
    .map_err(|e| Error::io("rendering", e))?;

    // Nothing new: the run is recorded (0 new, the cursor where it was), so "last run" tells
    // when it last looked; the page's entries and the feed stay byte for byte the same.
    let second = run(&mut e, &wf.name)?;
    assert!(
        !second.changed() && second.new_documents.is_empty() && second.digests_made == 0,
        "{second:?}"
    );
    let runs = Workflows::open(e.store())?.runs(&wf.name)?;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(second.run.new_documents, 0);
    assert_eq!(second.run.max_seq, first.run.max_seq, "the cursor does not move");
    assert!(second.run.id > first.run.id);
    let page2 = Workflows::open(e.store())?.page(&wf.name, 50)?;
    assert_eq!(page2.last_run.as_ref().map(|r| r.id), Some(second.run.id), "last run is the empty run");
    let ids = |p: &Page| p.entries.iter().map(|x| x.document.id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&page2), ids(&page1));
    assert_eq!(
        &render::render(&page2, Format::Atom, Some("http://127.0.0.1:7700")).map_err(|e| Error::io("rendering", e))?,
        &rendered1[4],
        "the feed does not change when nothing arrives"
    );

    // New matching documents — one of them published before everything collected — are
    // collected; a non-matching one is not; a1 (older, seen at the first run) never is.
    ingest(
        &mut e,
        dir.path(),
        "b.jsonl",
        &[
            rare_earth("b1", 10),
            rare_earth("b0", 1),
            doc_line("other2", 11, "光伏", &["光伏。"]),
        ],
    )?;
    let third = run(&mut e, &wf.name)?;
    assert!(!third.first_run);
    assert_eq!(third.new_documents, vec!["b1", "b0"]);
    assert_eq!(third.digests_made, 2);
    let page = Workflows::open(e.store())?.page(&wf.name, 50)?;
    let ids: Vec<&str> = page.entries.iter().map(|x| x.document.id.as_str()).collect();
    assert_eq!(ids, vec!["b1", "a3", "a2", "b0"]);
    assert!(page.entries.iter().all(|x| x.digest.is_some()));
    assert_eq!(page.total, 4);

    // An updated document loses its digest (its text changed); the next run remakes it
    // without collecting it twice.
    let mut changed = rare_earth("a3", 3);
    changed = changed.replace("1.6万吨", "1.7万吨");
    ingest(&mut e, dir.path(), "c.jsonl", &[changed])?;
    let fourth = run(&mut e, &wf.name)?;
    assert!(fourth.new_documents.is_empty());
    assert_eq!(fourth.digests_made, 1);
    assert_eq!(Workflows::open(e.store())?.page(&wf.name, 50)?.total, 4);
    Ok(())
}

#[test]
fn filters_and_window_apply_to_runs() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
    let mut e = engine(dir.path())?;
    ingest(
        &mut e,
        dir.path(),
        "a.jsonl",
        &[rare_earth("a1", 1), rare_earth("a2", 2), rare_earth("a3", 3)],
    )?;
    let mut i = input("窗口", "稀土");
    i.until = Some("2024-05-02".into());
    i.first_run = Some(10);
    let wf = i.validate(&e)?;
    Workflows::open(e.store())?.add(&wf)?;
    assert_eq!(run(&mut e, "窗口")?.new_documents, vec!["a2", "a1"]);
    let mut other = input("别的来源", "稀土");
    other.sources = vec!["路透".into()];
    let wf = other.validate(&e)?;
    Workflows::open(e.store())?.add(&wf)?;
    assert!(run(&mut e, "别的来源")?.new_documents.is_empty());
    Ok(())
}

#[test]
fn definitions_are_validated_naming_the_field() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
    let e = engine(dir.path())?;
    let fields = &e;
    for (i, expect) in [
        (input("", "稀土"), "name: is empty"),
        (input("a\nb", "稀土"), "name: contains control characters"),
        (input("x", "  "), "query: is empty"),
        (input("x", "\"稀土"), "query: bad query"),
        (
            WorkflowInput {
                since: Some("昨天".into()),
                ..input("x", "稀土")
            },
            "since: cannot parse date",
        ),
        (
            WorkflowInput {
                since: Some("2024-05-02".into()),
                until: Some("2024-05-01".into()),
                ..input("x", "稀土")
            },
            "until: is before since",
        ),
        (
            WorkflowInput {
                lang: Some("fr".into()),
                ..input("x", "稀土")
            },
            "lang: \"fr\"",
        ),
        (
            WorkflowInput {
                first_run: Some(0),
                ..input("x", "稀土")
            },
            "first_run: is 0",
        ),
        (
            WorkflowInput {
                within_days: Some(0),
                ..input("x", "稀土")
            },
            "within_days: is 0",
        ),
    ] {
        let err = i.validate(fields).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with(expect), "{expect}: {err}");
    }
    let w = Workflows::open(e.store())?;
    let wf = input("稀土供应链", "稀土 供应链").validate(fields)?;
    w.add(&wf)?;
    let dup = w.add(&wf).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(dup.contains("already exists"), "{dup}");
    let renamed = Workflow {
        name: "稀土 (renamed)".into(),
        ..wf.clone()
    };
    w.update("稀土供应链", &renamed)?;
    assert_eq!(w.get("稀土 (renamed)")?.query, "稀土 供应链");
    assert!(matches!(w.get("稀土供应链"), Err(Error::NotFound { .. })));
    w.remove("稀土 (renamed)")?;
    assert!(w.list()?.is_empty());
    Ok(())
}

/// A page built by hand (fixed times) from a real article of the sample, digested by the
/// extractive summarizer: the renderings are snapshotted.
fn fixed_page() -> Page {
    let doc = Document {
        id: "qq-34199".into(),
        title: "外媒：马来西亚向中国寻求进口稀土加工技术".into(),
        source: "腾讯新闻".into(),
        published_at: Utc.with_ymd_and_hms(2024, 3, 19, 8, 5, 0).single(),
        published_precision: None,
        url: Some("https://new.qq.com/rain/a/20240319A00000".into()),
        lang: Lang::Zh,
        paragraphs: vec![
            "Times）当地时间18日报道，马来西亚正在向中国申请进口稀土加工技术，以期开发该国价值近1万亿林吉特的矿藏（约合人民币1.5235万亿元，1林吉特约合人民币1.5元）。报道提到，虽然中国政府已于去年12月起将稀土萃取分离工艺技术列入禁止出口的“稀土的提炼、加工、利用技术”，但文章认为马方此举出于“深远的地缘战略考虑”。".into(),
            "《海峡时报》表示，马来西亚地下蕴藏着全部17种稀土元素，中国是唯一拥有所有稀土产能的生产国，马来西亚与中国合作所产生的价值将比与其他国家合作要大得多。不过报道也提到，虽然中国方面很可能拥有在马来西亚建厂的最有效方案，但其是否会为马来西亚“破例”则有待观察。".into(),
            "_2019年，澳大利亚稀土巨头莱纳斯公司的工人走过等待运往马来西亚的稀土精矿_".into(),
            "18日，《海峡时报》称其获悉马来西亚内阁已责成科学、技术与创新部长郑立慷于4月底访问中国，以寻求一家公司在马来西亚投资稀土精炼厂。郑立慷表示，马来西亚将“探索在稀土供应链中发挥更大作用的机会”。".into(),
            "报道提到，去年6月，时任马来西亚自然资源、环境与气候变化部部长的聂纳兹米表示，该国拥有超过1600万吨非放射性稀土元素，政府估值约为8000亿林吉特（约合人民币1.219万亿元）。一些专家认为，随着需求增加，这些矿产价值将很快突破1万亿林吉特。".into(),
            "为了从这些矿产中获取更多的经济价值，马来西亚政府从今年1月1日起暂停出口未经加工的稀土。马来西亚总理安瓦尔对此表示，该禁令旨在“确保国家获得最大回报”，计划通过建立稀土行业下游能力，实现到2025年使国内生产总值增加95亿林吉特（增加0.5%），并创造7000个就业机会的目标。".into(),
            "值得一提的是，去年9月安瓦尔宣布“稀土出口禁令”时，路透社等西方媒体借机炒作称，马来西亚这一声明正值其他国家试图让自己的关键供应链“远离中国”。不过马来西亚地质研究所所长阿布德·拉希德·加法尔很快公开反驳了所谓“中国威胁论”。".into(),
            "“目前，中国是世界上主要的稀土生产国。在知识和技术方面，从勘探、开采、加工到生产，他们都是世界第一。”加法尔说，“如果能达成双赢的交易，他们也可以成为马来西亚的好伙伴。”".into(),
            "除了禁止出口，安瓦尔政府当时还承诺将为该国稀土行业制定蓝图，设计在岸加工和其他相关服务的计划。早前曾有报道提到，马来西亚计划制定全国稀土元素资源详细绘测图，并全面规划从开采、加工及出口的一体化工业生产模式。《海峡时报》称，目前该计划尚未出台，但这一框架所产生的价值将远超单纯出口原矿产。".into(),
            "报道特别强调，尽管许多国家都拥有稀土加工技术，但中国是唯一拥有对全部17种稀土有成熟生产能力的生产国，同时也已经开始精炼马来西亚矿藏。马来西亚地下蕴藏着全部17种稀土元素，因此，与中国以外的任何其他国家合作都无法让所有稀土元素得到提炼，而产出的价值也会较低。".into(),
            "马来西亚政府从今年1月1日起暂停出口未经加工的稀土 <b>&</b>。".into(),
        ],
        meta: serde_json::Value::Null,
    };
    // Written by hand (as on the seed page), so the snapshots test the renderings, not the
    // summarizer.
    let bullet = |text: &str, citations: Vec<usize>, verified| crate::digest::Bullet {
        text: text.into(),
        citations,
        verified,
    };
    let digest = Some(Digest {
        kind: DocKind::News,
        lang: Lang::En,
        summarizer: "imported".into(),
        sections: vec![
            crate::digest::Section {
                heading: "Core Viewpoint".into(),
                level: 1,
                bullets: vec![bullet(
                    "Malaysia is seeking rare earth processing technology from China to develop deposits worth nearly 1 trillion ringgit",
                    vec![1, 2],
                    Some(true),
                )],
            },
            crate::digest::Section {
                heading: "Group 1: Resources <& export ban>".into(),
                level: 1,
                bullets: vec![
                    bullet(
                        "Malaysia holds all 17 rare earth elements and over 16 million tons of non-radioactive deposits",
                        vec![2, 5],
                        Some(true),
                    ),
                    bullet(
                        "Unprocessed rare earth exports have been suspended since January 1",
                        vec![11],
                        Some(false),
                    ),
                ],
            },
        ],
        excerpt: None,
        note: None,
        verification: None,
    });
    let ran_at = Utc.with_ymd_and_hms(2024, 3, 20, 9, 0, 0).single().unwrap_or_default();
    Page {
        workflow: Workflow {
            name: "稀土供应链".into(),
            query: "稀土".into(),
            sources: vec![],
            lang: None,
            since: None,
            until: None,
            within_days: None,
            summarizer: SummarizerChoice::Extractive,
            output_lang: OutputLanguage::En,
            first_run: 20,
        },
        last_run: Some(RunRecord {
            id: 1,
            ran_at,
            max_seq: 10,
            new_documents: 1,
            digests_made: 1,
            digest_failures: 0,
        }),
        total: 1,
        title_only: 0,
        brief: None,
        entries: vec![Entry {
            document: doc,
            added_at: ran_at,
            digest,
            story: Default::default(),
        }],
    }
}

#[test]
fn renderings_read_like_the_seed_pages() -> Result<()> {
    let page = fixed_page();
    let render = |f, base| render::render(&page, f, base).map_err(|e| Error::io("rendering", e));
    insta::assert_snapshot!("page_terminal", render(Format::Terminal, None)?);
    insta::assert_snapshot!("page_markdown", render(Format::Markdown, None)?);
    insta::assert_snapshot!("page_html", render(Format::Html, None)?);
    insta::assert_snapshot!("page_json", render(Format::Json, None)?);
    insta::assert_snapshot!("page_atom", render(Format::Atom, Some("http://127.0.0.1:7700"))?);
    Ok(())
}

#[test]
fn atom_feed_parses_back() -> Result<()> {
    let page = fixed_page();
    let xml = render::atom(&page, Some("http://127.0.0.1:7700/")).map_err(|e| Error::io("rendering", e))?;
    let feed =
        feed_rs::parser::parse(xml.as_bytes()).map_err(|e| Error::Config(format!("feed does not parse: {e}")))?;
    assert_eq!(feed.title.map(|t| t.content).as_deref(), Some("稀土供应链"));
    assert_eq!(feed.entries.len(), 1);
    let entry = &feed.entries[0];
    assert_eq!(entry.id, "urn:dossier:document:qq-34199");
    let links: Vec<(Option<&str>, &str)> = entry.links.iter().map(|l| (l.rel.as_deref(), l.href.as_str())).collect();
    assert_eq!(
        links,
        vec![
            (Some("alternate"), "http://127.0.0.1:7700/documents/qq-34199"),
            (Some("related"), "https://new.qq.com/rain/a/20240319A00000"),
        ]
    );
    let content = entry.content.as_ref().and_then(|c| c.body.clone()).unwrap_or_default();
    assert!(
        content.contains("href=\"http://127.0.0.1:7700/documents/qq-34199#p"),
        "{content}"
    );
    Ok(())
}

/// [`fixed_page`] with a second, title-only item (a qqnews headline whose text is `# title`).
fn page_with_title_only() -> Page {
    let mut page = fixed_page();
    let headline = "乌军装甲车内外载满士兵：俄军导弹高速来袭";
    let doc = Document {
        id: "qq-10642".into(),
        title: headline.into(),
        source: "腾讯新闻".into(),
        // qqnews gives a day only: shown as 2024-03-18, never a made-up 00:00.
        published_at: Utc.with_ymd_and_hms(2024, 3, 18, 0, 0, 0).single(),
        published_precision: Some(crate::document::DatePrecision::Day),
        url: None,
        lang: Lang::Zh,
        paragraphs: vec![format!("# {headline}")],
        meta: serde_json::Value::Null,
    };
    let added_at = page.entries[0].added_at;
    page.entries.push(Entry { document: doc, added_at, digest: None, story: Default::default() });
    page.total = 2;
    page.title_only = 1;
    page
}

/// A title-only item is one line in every rendering, marked "title only", never "no digest
/// yet", and the page counts it apart.
#[test]
fn title_only_items_render_as_one_line() -> Result<()> {
    let page = page_with_title_only();
    let render = |f| render::render(&page, f, None).map_err(|e| Error::io("rendering", e));
    let terminal = render(Format::Terminal)?;
    assert!(!terminal.contains("no digest yet"), "{terminal}");
    assert!(terminal.contains("腾讯新闻 · 2024-03-18 · title only") && !terminal.contains("00:00"), "{terminal}");
    insta::assert_snapshot!("title_only_terminal", terminal);
    insta::assert_snapshot!("title_only_markdown", render(Format::Markdown)?);
    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)?)?;
    assert_eq!(json["title_only"], 1);
    assert_eq!(json["entries"][1]["title_only"], true);
    assert_eq!(json["entries"][1]["when"], "2024-03-18", "a day-only date has no time");
    assert_eq!(json["entries"][0]["when"], "2024-03-19 08:05");
    assert!(json["entries"][0].get("title_only").is_none(), "only title-only items carry the mark");
    let html = render(Format::Html)?;
    let article = html.split("<article").nth(2).unwrap_or_default();
    insta::assert_snapshot!("title_only_html_article", article);
    assert!(!article.contains("details"), "a title-only item has no text to fold out: {article}");
    assert!(html.contains("2 documents, 1 title only"), "{html}");
    assert!(article.contains("<time>2024-03-18</time>"), "{article}");
    Ok(())
}

/// A workflow run does not try to digest a title-only item: it neither fails nor counts a
/// digest, and the digesting path says why when asked directly.
#[test]
fn runs_skip_title_only_items() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
    let mut engine = engine(dir.path())?;
    ingest(
        &mut engine,
        dir.path(),
        "a.jsonl",
        &[rare_earth("real", 1), doc_line("bare", 2, "稀土价格大涨", &["# 稀土价格大涨"])],
    )?;
    let wf = input("稀土", "稀土").validate(&engine)?;
    Workflows::open(engine.store())?.add(&wf)?;
    let out = super::run(&engine, "稀土")?;
    assert_eq!(out.new_documents.len(), 2);
    assert_eq!((out.digests_made, out.digest_failures.len()), (1, 0));
    let err = engine.digester().digest("bare", &Default::default()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("document bare") && err.contains("holds only its title"), "{err}");
    let page = Workflows::open(engine.store())?.page("稀土", 10)?;
    assert_eq!((page.total, page.title_only), (2, 1));
    Ok(())
}

/// A workflow set to English whose Chinese document got an extractive (Chinese) digest says
/// which summarizer and language made it, and that English needs an LLM endpoint and how to
/// set one — on the page in every form and in `workflow show`. With English digests only, or
/// with the source's language asked for, it claims nothing and warns of nothing.
#[test]
fn pages_say_which_summarizer_and_language_made_the_digests() -> Result<()> {
    let mut page = fixed_page();
    if let Some(g) = page.entries[0].digest.as_mut() {
        g.summarizer = "extractive".into();
        g.lang = Lang::Zh;
    }
    let render = |page: &Page, f| render::render(page, f, None).map_err(|e| Error::io("rendering", e));
    let terminal = render(&page, Format::Terminal)?;
    assert!(terminal.contains("\nDigests: 1 extractive in Chinese\n"), "{terminal}");
    for text in [terminal, render(&page, Format::Html)?, render(&page, Format::Json)?] {
        assert!(text.contains("English digests of Chinese sources need an LLM endpoint"), "{text}");
        assert!(text.contains("llm.base_url and llm.model") && text.contains("DOSSIER_LLM_URL and DOSSIER_LLM_MODEL"), "{text}");
    }
    let html = render(&page, Format::Html)?;
    assert!(
        html.contains("<code>dossier workflow edit 稀土供应链 --summarizer llm</code>") && !html.contains('`'),
        "the command in the HTML note is code, without backticks: {html}"
    );
    let json: serde_json::Value = serde_json::from_str(&render(&page, Format::Json)?)?;
    assert_eq!(json["digests_made_by"], serde_json::json!([{"summarizer": "extractive", "lang": "zh", "count": 1}]));

    let made = render::made_by(&page);
    let info = WorkflowInfo {
        workflow: page.workflow.clone(),
        created_at: page.entries[0].added_at,
        updated_at: page.entries[0].added_at,
        documents: 1,
        last_run: page.last_run.clone(),
    };
    let show = render::info_text(&info, &[], &made, None);
    assert!(show.contains("  digests:      extractive (quoted sentences, offline), in each document's own language\n"), "{show}");
    assert!(show.contains("  made so far:  1 extractive in Chinese\n") && show.contains("need an LLM endpoint"), "{show}");
    assert!(!show.contains("English\n") && !show.contains("output En"), "{show}");
    // The command names this workflow, quoted for a shell when it needs to be.
    assert!(show.contains("`dossier workflow edit 稀土供应链 --summarizer llm`"), "{show}");
    let mut odd = page.workflow.clone();
    odd.name = "rare earths: Tom's".into();
    let note = render::language_note(&odd).unwrap_or_default();
    assert!(note.contains("`dossier workflow edit 'rare earths: Tom'\\''s' --summarizer llm`"), "{note}");

    page.workflow.output_lang = OutputLanguage::Source;
    assert!(!render(&page, Format::Terminal)?.contains("LLM endpoint"));
    // The seed page's imported English digests keep an English workflow's promise.
    assert!(!render(&fixed_page(), Format::Terminal)?.contains("LLM endpoint"));
    Ok(())
}

/// [`fixed_page`] whose article names its outlet (the sample's qq-34199 opens
/// `【环球时报记者 …】` in the feed), followed by an imported seed page of the same day.
fn page_with_outlet_and_imported() -> Page {
    let mut page = fixed_page();
    let mut article = page.entries[0].clone();
    article.document.meta = serde_json::json!({ "outlet": "环球时报" });
    article.digest = None;
    let mut seed = page.entries[0].clone();
    seed.document.id = "seed-000-1".into();
    seed.document.url = None;
    seed.document.meta = serde_json::json!({ "imported_from": "000_b9f1a09f6e316b44.txt", "seed_line": 5 });
    page.entries = vec![article, seed];
    page.total = 2;
    page
}

/// The outlet the text names is the source shown, the feed kept alongside; an imported page is
/// labelled in every rendering and its citations are not links.
#[test]
fn outlet_and_imported_pages_render_as_such() -> Result<()> {
    let page = page_with_outlet_and_imported();
    let render = |f| render::render(&page, f, Some("http://127.0.0.1:7700")).map_err(|e| Error::io("rendering", e));
    let terminal = render(Format::Terminal)?;
    assert!(terminal.contains("环球时报 via 腾讯新闻 · 2024-03-19 08:05\n"), "{terminal}");
    assert!(terminal.contains("腾讯新闻 · 2024-03-19 08:05 · imported (another tool's digest"), "{terminal}");
    insta::assert_snapshot!("outlet_imported_terminal", terminal);
    let markdown = render(Format::Markdown)?;
    assert!(markdown.contains("环球时报 via 腾讯新闻 · 2024-03-19 08:05 · `qq-34199`"), "{markdown}");
    assert!(markdown.contains("· imported (another tool"), "{markdown}");

    let json: serde_json::Value = serde_json::from_str(&render(Format::Json)?)?;
    assert_eq!(json["entries"][0]["source"], "腾讯新闻", "source stays the feed");
    assert_eq!(json["entries"][0]["outlet"], "环球时报");
    assert!(json["entries"][0].get("imported").is_none());
    assert_eq!(json["entries"][1]["imported"], true);
    assert!(json["entries"][1].get("outlet").is_none());

    let html = render(Format::Html)?;
    let article = html.split("<article").nth(1).unwrap_or_default();
    assert!(article.contains("<span class=\"source\">环球时报 via 腾讯新闻</span>"), "{article}");
    let seed = html.split("<article").nth(2).unwrap_or_default();
    insta::assert_snapshot!("imported_html_article", seed);
    assert!(!seed.contains("class=\"cite\" href"), "an imported page's citations are not links: {seed}");
    assert!(seed.contains("<span class=\"cite\" title=\"cites paragraph n of the page"), "{seed}");
    assert!(seed.contains(">imported</span>"), "{seed}");
    // The real document's citations still link.
    let real = render::render(&fixed_page(), Format::Html, Some("http://127.0.0.1:7700")).map_err(|e| Error::io("rendering", e))?;
    assert!(real.contains("class=\"cite\" href=\"#d1-p1\""), "{real}");
    Ok(())
}

/// Ingest keeps the outlet an article names; an imported page comes after the real documents of
/// its day on the workflow page, even when it was published later that day.
#[test]
fn ingest_keeps_the_outlet_and_pages_put_imported_after_real_documents() -> Result<()> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("tempdir", e))?;
    let mut engine = engine(dir.path())?;
    let mut seed: serde_json::Value = serde_json::from_str(&rare_earth("seed", 3))?;
    seed["published_at"] = "2024-05-03T23:00:00Z".into();
    seed["meta"] = serde_json::json!({ "imported_from": "000_x.txt" });
    let mut outlet: serde_json::Value = serde_json::from_str(&rare_earth("gt", 3))?;
    outlet["paragraphs"][0] = "【环球时报记者 赵觉珵】商务部宣布对部分稀土物项实施出口管制。".into();
    ingest(
        &mut engine,
        dir.path(),
        "a.jsonl",
        &[format!("{seed}\n"), format!("{outlet}\n"), rare_earth("older", 2), rare_earth("newer", 4)],
    )?;
    let doc = engine.document("gt")?;
    assert_eq!((doc.outlet(), doc.source_label().as_str()), (Some("环球时报"), "环球时报 via 测试通讯社"));
    assert_eq!(engine.document("older")?.outlet(), None);
    let mut wf = input("稀土", "稀土");
    wf.first_run = Some(10);
    let wf = wf.validate(&engine)?;
    Workflows::open(engine.store())?.add(&wf)?;
    super::run(&engine, "稀土")?;
    let page = Workflows::open(engine.store())?.page("稀土", 10)?;
    let order: Vec<&str> = page.entries.iter().map(|e| e.document.id.as_str()).collect();
    assert_eq!(order, vec!["newer", "gt", "seed", "older"]);
    Ok(())
}
