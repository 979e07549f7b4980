use super::*;

fn render(query: &str, vocabulary: &Vocabulary) -> String {
    let units = plan(segment::query_words(query), vocabulary, Options::default());
    let units: Vec<String> = units
        .iter()
        .map(|u| {
            let alts: Vec<String> = u
                .alternatives
                .iter()
                .map(|a| {
                    let groups: Vec<String> = a.groups.iter().map(|g| g.join("_")).collect();
                    format!("{} ({})", groups.join("+"), a.via.as_str())
                })
                .collect();
            format!("{}{}: {}", u.text, if u.optional { " [optional]" } else { "" }, alts.join(" | "))
        })
        .collect();
    format!("{query}\n  {}\n", units.join("\n  "))
}

/// How queries become units, with the shipped table: compound words, unknown words, mixed
/// Latin and digits, synonyms, aliases, translations. `_` joins words that must stand
/// together, `+` words that must all appear.
#[test]
fn golden_query_plans() {
    let v = Vocabulary::shipped();
    let queries = [
        // Compound words the dictionary keeps whole.
        "企业破产",
        "北方稀土",
        "供应链",
        // Unknown words split into characters, with function characters at the edges.
        "被约谈",
        "川普关税",
        "稀土的出口",
        // Mixed Latin and digits.
        "A股",
        "5G",
        "600111",
        "Q3营收",
        "SH600018",
        // Synonyms, aliases, translations.
        "高管变动",
        "股份回购",
        "rare earth export controls",
        "稀土",
        "the impact of tariffs",
        // English finance queries (BENCHMARKS.md, "Search quality"): the glossary first, then
        // only the dictionary's main senses.
        "tariff",
        "export controls",
        "share buyback",
        "bankruptcy",
        "interest rate",
        "inflation",
        "executive resigns",
        "antimony",
        "lithium price",
        "chip sanctions",
        "出口",
        "约谈 辞任 问询函",
    ];
    let out: String = queries.iter().map(|q| render(q, &v)).collect();
    insta::assert_snapshot!(out);
}

#[test]
fn compound_words_expand_only_to_parts_that_cover_them() {
    assert_eq!(compound_parts("企业破产"), Some((vec!["企业".to_string(), "破产".into()], Via::Part)));
    assert_eq!(compound_parts("供应链"), None);
    assert_eq!(compound_parts("破产"), None);
    assert_eq!(compound_parts("a股"), None);
}

#[test]
fn unknown_words_drop_function_characters_and_never_become_single_characters() {
    let chars = |s: &str| s.chars().map(String::from).collect::<Vec<_>>();
    assert_eq!(inner_words(&chars("被约谈")), Some((vec!["约谈".to_string()], Via::InnerWord)));
    assert_eq!(inner_words(&chars("被的")), None);
    assert_eq!(inner_words(&chars("振东")), None);
}

#[test]
fn function_words_alone_are_optional() {
    let v = Vocabulary::default();
    let units = plan(segment::query_words("稀土 的 the"), &v, Options::default());
    let optional: Vec<bool> = units.iter().map(|u| u.optional).collect();
    assert_eq!(optional, [false, true, true]);
}

#[test]
fn keys_join_chinese_directly_and_other_words_with_a_space() {
    let w = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(key_of(&w(&["高管", "变动"])), "高管变动");
    assert_eq!(key_of(&w(&["rare", "earth"])), "rare earth");
    assert_eq!(key_of(&w(&["5g", "基站"])), "5g 基站");
}

#[test]
fn without_options_only_the_typed_words_remain() {
    let units = plan(segment::query_words("企业破产"), &Vocabulary::shipped(), Options { vocabulary: false, words: false });
    assert_eq!(units.len(), 1);
    assert_eq!(units[0].alternatives.len(), 1);
}

