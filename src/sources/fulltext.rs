//! Full text: what is the article on this page, without the site around it?
//!
//! Readability-style, on `scraper` (already used by ingest for HTML files): every block of text
//! (`p`, headings, list items, quotes) not inside page furniture — `nav`, `header`, `footer`,
//! `aside`, forms, and elements whose class or id names navigation, ads, share buttons,
//! comments or related links — scores its container by its length and punctuation; the
//! container with the most text (discounted by the share of that text inside links) is the
//! article, and its blocks, in document order, are the paragraphs. Lists that are mostly links
//! (related stories, tag clouds) are dropped. The dom_smoothie crate (a port of Mozilla's
//! Readability) does this too, but it brings a second HTML parser stack into the build; the
//! pages dossier follows are news articles where this simpler scoring finds the body.

use scraper::{ElementRef, Html, node::Node};

/// Blocks that are paragraphs of an article.
const BLOCKS: &[&str] = &["p", "h2", "h3", "h4", "li", "blockquote", "pre"];

/// Elements that are never article text.
const FURNITURE_TAGS: &[&str] = &[
    "nav", "header", "footer", "aside", "form", "button", "script", "style", "noscript", "iframe",
    "select", "textarea", "svg", "template", "figure", "menu",
];

/// Class or id words (split on `-`, `_`, spaces, and camel case lower-cased) that mark furniture.
const FURNITURE_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "navigation",
    "menu",
    "breadcrumb",
    "breadcrumbs",
    "footer",
    "sidebar",
    "share",
    "sharing",
    "social",
    "related",
    "recommend",
    "recommended",
    "comment",
    "comments",
    "ad",
    "ads",
    "advert",
    "advertisement",
    "adsbygoogle",
    "banner",
    "promo",
    "sponsor",
    "subscribe",
    "newsletter",
    "toolbar",
    "tags",
    "hot",
    "rank",
    "copyright",
    "popup",
    "modal",
];

/// A block whose text is more than this share links is a list of links, not prose.
const MAX_LINK_SHARE: f64 = 0.5;

/// The article's paragraphs, in order; empty when the page has no recognisable body.
pub fn extract(html: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let body = doc.root_element();
    // Score each block's parent (and, half, its grandparent) by the text it holds.
    let mut scores: Vec<(f64, ElementRef<'_>)> = Vec::new();
    let blocks: Vec<ElementRef<'_>> = body
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|el| BLOCKS.contains(&el.value().name()) && !in_furniture(*el))
        .collect();
    for block in &blocks {
        let text = text_of(*block);
        let chars = text.chars().count();
        if chars < 10 {
            continue;
        }
        let commas = text
            .chars()
            .filter(|c| matches!(c, ',' | '，' | '、' | '。' | ';' | '；'))
            .count();
        let score =
            (1.0 + commas as f64 + (chars as f64 / 100.0).min(3.0)) * (1.0 - link_share(*block));
        let mut weight = 1.0;
        for ancestor in block.ancestors().filter_map(ElementRef::wrap).take(2) {
            match scores.iter_mut().find(|(_, e)| e.id() == ancestor.id()) {
                Some(entry) => entry.0 += score * weight,
                None => scores.push((score * weight, ancestor)),
            }
            weight /= 2.0;
        }
    }
    let Some((_, best)) = scores.into_iter().max_by(|a, b| a.0.total_cmp(&b.0)) else {
        return Vec::new();
    };
    let mut paragraphs: Vec<String> = Vec::new();
    for block in best.descendants().filter_map(ElementRef::wrap) {
        if !BLOCKS.contains(&block.value().name()) || in_furniture(block) {
            continue;
        }
        // A block inside another block (a p in a blockquote, a p in an li) is read with it.
        if block
            .ancestors()
            .filter_map(ElementRef::wrap)
            .take_while(|a| a.id() != best.id())
            .any(|a| BLOCKS.contains(&a.value().name()))
        {
            continue;
        }
        if link_share(block) > MAX_LINK_SHARE {
            continue;
        }
        let text = text_of(block);
        if !text.is_empty() {
            paragraphs.push(text);
        }
    }
    paragraphs
}

/// Whether `el` or an ancestor is page furniture.
fn in_furniture(el: ElementRef<'_>) -> bool {
    std::iter::once(el)
        .chain(el.ancestors().filter_map(ElementRef::wrap))
        .any(|e| {
            let v = e.value();
            FURNITURE_TAGS.contains(&v.name())
                || v.attr("role").is_some_and(|r| {
                    matches!(r, "navigation" | "banner" | "complementary" | "contentinfo")
                })
                || v.id().is_some_and(names_furniture)
                || v.classes().any(names_furniture)
        })
}

fn names_furniture(name: &str) -> bool {
    name.split(|c: char| c == '-' || c == '_' || c.is_whitespace())
        .any(|word| FURNITURE_WORDS.contains(&word.to_ascii_lowercase().as_str()))
}

/// The element's text, whitespace collapsed: a run of whitespace between two CJK characters
/// (a line break in the markup) disappears, any other becomes one space.
fn text_of(el: ElementRef<'_>) -> String {
    let raw: String = el.text().collect();
    let mut out = String::new();
    let mut pending_space = false;
    for c in raw.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space && !(is_cjk(c) && out.chars().next_back().is_some_and(is_cjk)) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{2E80}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FFEF}')
}

/// The share of the element's characters that are inside links.
fn link_share(el: ElementRef<'_>) -> f64 {
    let total: usize = el
        .text()
        .map(|t| t.chars().filter(|c| !c.is_whitespace()).count())
        .sum();
    if total == 0 {
        return 0.0;
    }
    let linked: usize = el
        .descendants()
        .filter(|n| matches!(n.value(), Node::Text(_)))
        .filter(|n| {
            n.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|a| a.value().name() == "a")
        })
        .map(|n| match n.value() {
            Node::Text(t) => t.chars().filter(|c| !c.is_whitespace()).count(),
            _ => 0,
        })
        .sum();
    linked as f64 / total as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZH_PAGE: &str = r##"<!doctype html><html><head><title>稀土出口新规 - 财经网</title></head><body>
<div class="top-nav"><a href="/">首页</a> <a href="/finance">财经</a> <a href="/stock">股票</a></div>
<header><h1>财经网</h1></header>
<div class="main">
  <div class="article-content">
    <h1>商务部发布稀土出口管制新规</h1>
    <p>11月28日，商务部发布公告，对部分中重稀土相关物项实施出口管制，自12月1日起施行。</p>
    <div class="share-bar"><a href="#">分享到微信</a> <a href="#">分享到微博</a></div>
    <p>业内人士表示，新规将进一步规范稀土出口秩序，短期内对海外供应链形成一定压力，国内冶炼分离企业或受益。</p>
    <p>数据显示，今年前10个月，我国稀土出口量为4.6万吨，同比增长8.3%。</p>
  </div>
  <div class="related-news"><h3>相关阅读</h3><ul>
    <li><a href="/a">稀土板块午后拉升，北方稀土涨停</a></li>
    <li><a href="/b">锂价连续三周下跌</a></li></ul></div>
  <div id="ad-box"><p>广告：开户即送好礼，点击了解详情。</p></div>
</div>
<footer><p>版权所有 © 财经网，未经许可不得转载。</p></footer>
</body></html>"##;

    const EN_PAGE: &str = r##"<html><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/markets">Markets</a></li></ul></nav>
<main><article>
<h1>Lithium prices slide for a third week</h1>
<p>Lithium carbonate prices fell again this week, extending a slide that began in early November, as inventories at converters kept rising.</p>
<aside class="newsletter"><p>Sign up for our daily briefing, delivered every morning.</p></aside>
<p>Analysts at two brokers said demand from battery makers, while still growing, has not kept pace with new supply from Australia and Africa.</p>
<h2>What comes next</h2>
<p>Several producers have announced output cuts, which could steady prices in the first quarter.</p>
<ul class="social-links"><li><a href="#">Share on X</a></li><li><a href="#">Share on LinkedIn</a></li></ul>
</article>
<section class="recommended"><h2>More from Markets</h2><ul><li><a href="/1">Copper hits a record</a></li></ul></section>
</main>
<footer><p>© Example Media 2026. All rights reserved.</p></footer>
</body></html>"##;

    #[test]
    fn chinese_article_keeps_its_paragraphs_in_order_without_furniture() {
        let paragraphs = extract(ZH_PAGE);
        assert_eq!(
            paragraphs,
            vec![
                "11月28日，商务部发布公告，对部分中重稀土相关物项实施出口管制，自12月1日起施行。",
                "业内人士表示，新规将进一步规范稀土出口秩序，短期内对海外供应链形成一定压力，国内冶炼分离企业或受益。",
                "数据显示，今年前10个月，我国稀土出口量为4.6万吨，同比增长8.3%。",
            ]
        );
    }

    #[test]
    fn english_article_keeps_headings_and_drops_share_and_newsletter() {
        let paragraphs = extract(EN_PAGE);
        assert_eq!(paragraphs.len(), 4, "{paragraphs:#?}");
        assert!(paragraphs[0].starts_with("Lithium carbonate prices fell again"));
        assert_eq!(paragraphs[2], "What comes next");
        assert!(
            paragraphs.iter().all(|p| !p.contains("Share on")
                && !p.contains("Sign up")
                && !p.contains("Copper"))
        );
    }

    #[test]
    fn a_page_without_prose_has_no_text() {
        assert!(extract("<html><body><nav><a href='/'>Home</a></nav></body></html>").is_empty());
        assert!(extract("").is_empty());
    }

    #[test]
    fn furniture_words_are_whole_words() {
        assert!(
            names_furniture("share-bar") && names_furniture("ad_box") && names_furniture("top nav")
        );
        assert!(
            !names_furniture("header-title")
                && !names_furniture("reader")
                && !names_furniture("shadow")
        );
    }
}
