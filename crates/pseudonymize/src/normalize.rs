//! Canonical forms of identifiers before they are hashed.
//!
//! Every function is total and deterministic: it returns `None` when nothing usable is left
//! (empty text, letters in a number), never panics, and never looks at anything but its input.
//!
//! Kana names get two forms:
//! - **strict** (`full`, `surname`, `given`): NFKC (half-width → full-width katakana, full-width
//!   digits and spaces → ASCII), hiragana → katakana, spaces removed. Two strict forms are equal
//!   when the name was written the same way up to width, script and spacing.
//! - **loose** (`loose…`): strict, then small kana → large (ッ→ツ), voiced marks dropped (ガ→カ),
//!   long vowels collapsed (サトウ, サトー, サト → サト; オオノ, オーノ → オノ). Different names
//!   can share a loose form; linkage weighs the two forms differently.

use std::{borrow::Cow, sync::LazyLock};

use unicode_normalization::{IsNormalized, UnicodeNormalization, char::decompose_canonical, is_nfkc_quick};

/// NFKC of `text`. Identifiers are mostly NFKC already but for the ideographic space (U+3000,
/// NFKC → U+0020) between surname and given name: when the rest passes the quick check, the space
/// is the only change, as U+0020 composes with nothing. The full normalization decomposes and
/// recomposes every character, which made it the largest cost of turning a record into tokens.
fn nfkc(text: &str) -> Cow<'_, str> {
    if is_nfkc_quick(text.chars().filter(|&c| c != '\u{3000}')) != IsNormalized::Yes {
        Cow::Owned(text.nfkc().collect())
    } else if text.contains('\u{3000}') {
        Cow::Owned(text.replace('\u{3000}', " "))
    } else {
        Cow::Borrowed(text)
    }
}

/// A kana name in strict and loose form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KanaName {
    /// Strict, whole name without spaces.
    pub full: String,
    /// Strict surname (text before the first space; the whole name when there is no space).
    pub surname: String,
    /// Strict given name (after the first space; empty when there is no space).
    pub given: String,
    /// Loose whole name.
    pub loose: String,
    /// Loose surname.
    pub loose_surname: String,
    /// Loose given name.
    pub loose_given: String,
}

/// Normalize a kana name such as `サトウ　ハナコ`, `ｻﾄｳ ﾊﾅｺ` or `さとう はなこ`.
pub fn kana_name(text: &str) -> Option<KanaName> {
    let canonical: String = nfkc(text).chars().map(hiragana_to_katakana).collect();
    let mut parts = canonical.split_whitespace();
    let surname: String = parts.next()?.to_string();
    let given: String = parts.collect::<Vec<_>>().concat();
    let full = format!("{surname}{given}");
    Some(KanaName {
        loose: loose_kana(&full),
        loose_surname: loose_kana(&surname),
        loose_given: loose_kana(&given),
        full,
        surname,
        given,
    })
}

fn hiragana_to_katakana(c: char) -> char {
    match c {
        '\u{3041}'..='\u{3096}' => char::from_u32(c as u32 + 0x60).unwrap_or(c),
        _ => c,
    }
}

const SMALL_TO_LARGE: [(char, char); 12] = [
    ('ァ', 'ア'),
    ('ィ', 'イ'),
    ('ゥ', 'ウ'),
    ('ェ', 'エ'),
    ('ォ', 'オ'),
    ('ッ', 'ツ'),
    ('ャ', 'ヤ'),
    ('ュ', 'ユ'),
    ('ョ', 'ヨ'),
    ('ヮ', 'ワ'),
    ('ヵ', 'カ'),
    ('ヶ', 'ケ'),
];

/// Katakana from ァ to ヺ: the characters the vowel table and the fast loose form cover.
const KATAKANA: std::ops::RangeInclusive<char> = '\u{30A1}'..='\u{30FA}';

/// The vowel a katakana ends in, for collapsing long vowels.
fn vowel(c: char) -> Option<char> {
    const ROWS: [(char, &str); 5] = [
        ('a', "アカサタナハマヤラワガザダバパャァ"),
        ('i', "イキシチニヒミリギジヂビピィ"),
        ('u', "ウクスツヌフムユルグズヅブプュゥ"),
        ('e', "エケセテネヘメレゲゼデベペェ"),
        ('o', "オコソトノホモヨロヲゴゾドボポョォ"),
    ];
    // Looked up once per katakana instead of scanning the rows for every character of a name.
    static VOWELS: LazyLock<Vec<Option<char>>> = LazyLock::new(|| {
        KATAKANA
            .map(|c| ROWS.iter().find(|(_, row)| row.contains(c)).map(|(vowel, _)| *vowel))
            .collect()
    });
    KATAKANA
        .contains(&c)
        .then(|| VOWELS[(c as u32 - *KATAKANA.start() as u32) as usize])
        .flatten()
}

fn small_to_large(c: char) -> char {
    SMALL_TO_LARGE
        .iter()
        .find(|(small, _)| *small == c)
        .map_or(c, |(_, large)| *large)
}

/// Small kana → large, voiced and semi-voiced marks dropped: サッド → サツト.
fn unvoiced(strict: &str) -> String {
    // A name of katakana only (nearly all) is done character by character: a katakana
    // decomposes into its base and at most one mark, and bases never recompose.
    if strict.chars().all(|c| KATAKANA.contains(&c) || c == 'ー') {
        strict.chars().map(|c| without_voicing(small_to_large(c))).collect()
    } else {
        unvoiced_by_normalization(strict)
    }
}

/// [`unvoiced`] for any text: decompose, remove U+3099/U+309A, recompose.
fn unvoiced_by_normalization(strict: &str) -> String {
    strict
        .chars()
        .map(small_to_large)
        .collect::<String>()
        .nfd()
        .filter(|&c| c != '\u{3099}' && c != '\u{309A}')
        .nfc()
        .collect()
}

/// The first character of the canonical decomposition: ガ → カ, パ → ハ, ヴ → ウ.
fn without_voicing(c: char) -> char {
    let mut base = None;
    decompose_canonical(c, |part| {
        base.get_or_insert(part);
    });
    base.unwrap_or(c)
}

fn loose_kana(strict: &str) -> String {
    let plain = unvoiced(strict);
    let mut out = String::with_capacity(plain.len());
    let mut previous_vowel: Option<char> = None;
    for c in plain.chars() {
        if c == 'ー' {
            continue;
        }
        let this = vowel(c);
        let elongates = matches!(
            (previous_vowel, c),
            (Some('a'), 'ア')
                | (Some('i'), 'イ')
                | (Some('u'), 'ウ')
                | (Some('e'), 'エ' | 'イ')
                | (Some('o'), 'オ' | 'ウ')
        );
        if elongates {
            continue;
        }
        out.push(c);
        previous_vowel = this;
    }
    out
}

/// A kanji name in strict form (NFKC, spaces removed) and loose form (old and variant character
/// forms mapped to their common form: 髙→高, 齋→斎, 邊→辺 …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KanjiName {
    /// Strict whole name.
    pub full: String,
    /// Loose whole name.
    pub loose: String,
}

const VARIANTS: [(char, char); 24] = [
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('齋', '斎'),
    ('齊', '斉'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('澤', '沢'),
    ('濱', '浜'),
    ('櫻', '桜'),
    ('廣', '広'),
    ('國', '国'),
    ('嶋', '島'),
    ('島', '島'),
    ('德', '徳'),
    ('眞', '真'),
    ('實', '実'),
    ('惠', '恵'),
    ('條', '条'),
    ('藏', '蔵'),
    ('榮', '栄'),
    ('壽', '寿'),
    ('曻', '昇'),
    ('𠮷', '吉'),
];

/// Normalize a kanji name.
pub fn kanji_name(text: &str) -> Option<KanjiName> {
    let full: String = nfkc(text).chars().filter(|c| !c.is_whitespace()).collect();
    if full.is_empty() {
        return None;
    }
    let loose = full
        .chars()
        .map(|c| {
            VARIANTS
                .iter()
                .find(|(variant, _)| *variant == c)
                .map_or(c, |(_, common)| *common)
        })
        .collect();
    Some(KanjiName { full, loose })
}

/// Digits only: NFKC (full-width → ASCII), spaces and hyphens removed; `None` if anything else
/// remains or nothing does.
pub fn digits(text: &str) -> Option<String> {
    let cleaned: String = nfkc(text).chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (!cleaned.is_empty() && cleaned.bytes().all(|byte| byte.is_ascii_digit())).then_some(cleaned)
}

/// An insured number (被保険者番号): digits, zero-padded to 10.
pub fn insured_number(text: &str) -> Option<String> {
    let value = digits(text)?;
    match value.len() {
        10 => Some(value),
        1..10 => Some(format!("{value:0>10}")),
        _ => None,
    }
}

/// An insurer number: 6 digits; the 8-digit claim form (`00` + 6) and short forms are accepted.
pub fn insurer_number(text: &str) -> Option<String> {
    let value = digits(text)?;
    match value.len() {
        8 if value.starts_with("00") => Some(value[2..].to_string()),
        6 => Some(value),
        1..6 => Some(format!("{value:0>6}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spelling_variants_meet_in_the_loose_form() {
        let base = kana_name("サトウ　キョウコ").unwrap();
        for variant in [
            "ｻﾄｳ ｷｮｳｺ",
            "サトー　キョーコ",
            "さとう　きょうこ",
            "サトウキヨウコ",
            "サトウ  キョウコ",
            "サトウ キョウコ",
        ] {
            let other = kana_name(variant).unwrap();
            assert_eq!(other.loose, base.loose, "{variant}");
        }
        assert_eq!(
            kana_name("ゴトウ　ハナ").unwrap().loose,
            kana_name("コトウ　ハナ").unwrap().loose
        );
        assert_eq!(
            kana_name("オオノ　タロウ").unwrap().loose,
            kana_name("オーノ　タロー").unwrap().loose
        );
        assert_eq!(kana_name("ケイコ").unwrap().loose, kana_name("ケーコ").unwrap().loose);
        // Strict keeps what was written, up to width, script and spaces.
        assert_eq!(base.full, "サトウキョウコ");
        assert_eq!(base.surname, "サトウ");
        assert_eq!(base.given, "キョウコ");
        assert_eq!(kana_name("ｻﾄｳ ｷｮｳｺ").unwrap().full, base.full);
        assert_ne!(kana_name("サトー　キョウコ").unwrap().full, base.full);
        // Different names stay different.
        assert_ne!(
            kana_name("サトウ　ハナコ").unwrap().loose,
            kana_name("サイトウ　ハナコ").unwrap().loose
        );
        assert!(kana_name("   ").is_none());
        assert!(kana_name("").is_none());
    }

    #[test]
    fn the_quick_nfkc_is_nfkc() {
        // Every string of up to three of these: the ideographic space next to combining marks,
        // half-width kana, voiced marks alone, full-width digits, kanji and supplementary kanji.
        let alphabet = [
            'a', '1', '１', ' ', '\u{3000}', '\u{0301}', '\u{3099}', '\u{309B}', 'ｶ', 'ﾞ', 'ﾟ', 'カ', 'か', 'ガ', 'ー',
            '髙', '𠮷', '㍻', '-', '\u{1100}', '\u{1161}',
        ];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for text in [format!("{a}"), format!("{a}{b}"), format!("{a}{b}{c}")] {
                        assert_eq!(nfkc(&text), text.nfkc().collect::<String>(), "{text:?}");
                    }
                }
            }
        }
        assert!(matches!(nfkc("サトウハナコ"), Cow::Borrowed(_)));
    }

    #[test]
    fn katakana_lose_their_voicing_as_by_normalization() {
        let alphabet: Vec<char> = KATAKANA.chain(['ー']).collect();
        for a in &alphabet {
            for b in &alphabet {
                let text = format!("{a}{b}");
                assert_eq!(unvoiced(&text), unvoiced_by_normalization(&text), "{text}");
            }
        }
        assert_eq!(unvoiced("ガッパヴ"), "カツハウ");
    }

    #[test]
    fn numbers_are_digits_with_their_padding() {
        assert_eq!(insured_number("０１２３４５６７８９").as_deref(), Some("0123456789"));
        assert_eq!(insured_number("12345").as_deref(), Some("0000012345"));
        assert_eq!(insured_number("12345678901"), None);
        assert_eq!(insured_number("12a45"), None);
        assert_eq!(insurer_number("00131011").as_deref(), Some("131011"));
        assert_eq!(insurer_number("131011").as_deref(), Some("131011"));
        assert_eq!(insurer_number("13101"), Some("013101".to_string()));
        assert_eq!(insurer_number("1234567"), None);
        assert_eq!(digits("03-1234-5678").as_deref(), Some("0312345678"));
        assert_eq!(digits(""), None);
    }

    #[test]
    fn kanji_variants_meet_in_the_loose_form() {
        assert_eq!(
            kanji_name("髙橋　𠮷子").unwrap().loose,
            kanji_name("高橋 吉子").unwrap().loose
        );
        assert_ne!(
            kanji_name("髙橋　𠮷子").unwrap().full,
            kanji_name("高橋 吉子").unwrap().full
        );
        assert_eq!(kanji_name("齋藤 芳子").unwrap().loose, "斎藤芳子");
        assert!(kanji_name(" \u{3000}").is_none());
    }
}
