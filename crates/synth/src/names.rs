//! Japanese names for synthetic persons, and the spelling variants a real hub contains.
//!
//! Surnames are the 100 most common ones plus compounds of common kanji parts, so that natural
//! homonyms (same kana name, birth date and sex) are rare, as in life, while common names still
//! collide now and then. Given names are those usual for people born 1925–1985.

use rand::Rng;

/// Common surnames (kanji, kana), most frequent first.
const COMMON_SURNAMES: &[(&str, &str)] = &[
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
    ("藤田", "フジタ"),
    ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"),
    ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("坂本", "サカモト"),
    ("斉藤", "サイトウ"),
    ("福田", "フクダ"),
    ("太田", "オオタ"),
    ("西村", "ニシムラ"),
    ("藤井", "フジイ"),
    ("金子", "カネコ"),
    ("岡本", "オカモト"),
    ("藤原", "フジワラ"),
    ("中野", "ナカノ"),
    ("三浦", "ミウラ"),
    ("原田", "ハラダ"),
    ("中川", "ナカガワ"),
    ("松田", "マツダ"),
    ("竹内", "タケウチ"),
    ("小野", "オノ"),
    ("田村", "タムラ"),
    ("中山", "ナカヤマ"),
    ("和田", "ワダ"),
    ("石田", "イシダ"),
    ("森田", "モリタ"),
    ("上田", "ウエダ"),
    ("原", "ハラ"),
    ("内田", "ウチダ"),
    ("柴田", "シバタ"),
    ("酒井", "サカイ"),
    ("宮崎", "ミヤザキ"),
    ("横山", "ヨコヤマ"),
    ("高木", "タカギ"),
    ("安藤", "アンドウ"),
    ("宮本", "ミヤモト"),
    ("大野", "オオノ"),
    ("小島", "コジマ"),
    ("谷口", "タニグチ"),
    ("工藤", "クドウ"),
    ("今井", "イマイ"),
    ("高田", "タカダ"),
    ("増田", "マスダ"),
    ("丸山", "マルヤマ"),
    ("杉山", "スギヤマ"),
    ("村田", "ムラタ"),
    ("大塚", "オオツカ"),
    ("新井", "アライ"),
    ("小山", "コヤマ"),
    ("平野", "ヒラノ"),
    ("藤本", "フジモト"),
    ("河野", "コウノ"),
    ("上野", "ウエノ"),
    ("野口", "ノグチ"),
    ("武田", "タケダ"),
    ("松井", "マツイ"),
    ("千葉", "チバ"),
    ("岩崎", "イワサキ"),
    ("菅原", "スガワラ"),
    ("木下", "キノシタ"),
    ("久保", "クボ"),
    ("佐野", "サノ"),
    ("野村", "ノムラ"),
    ("松尾", "マツオ"),
    ("菊地", "キクチ"),
    ("杉本", "スギモト"),
];

/// Kanji parts for compound surnames: first part.
const SURNAME_HEADS: &[(&str, &str)] = &[
    ("大", "オオ"),
    ("小", "コ"),
    ("上", "カミ"),
    ("下", "シモ"),
    ("中", "ナカ"),
    ("北", "キタ"),
    ("南", "ミナミ"),
    ("東", "ヒガシ"),
    ("西", "ニシ"),
    ("石", "イシ"),
    ("岩", "イワ"),
    ("松", "マツ"),
    ("杉", "スギ"),
    ("竹", "タケ"),
    ("梅", "ウメ"),
    ("桜", "サクラ"),
    ("菊", "キク"),
    ("藤", "フジ"),
    ("柳", "ヤナギ"),
    ("森", "モリ"),
    ("林", "ハヤシ"),
    ("宮", "ミヤ"),
    ("浅", "アサ"),
    ("深", "フカ"),
    ("長", "ナガ"),
    ("高", "タカ"),
    ("古", "フル"),
    ("新", "アラ"),
    ("早", "ハヤ"),
    ("今", "イマ"),
    ("川", "カワ"),
    ("山", "ヤマ"),
    ("野", "ノ"),
    ("秋", "アキ"),
    ("春", "ハル"),
    ("金", "カネ"),
    ("白", "シラ"),
    ("黒", "クロ"),
    ("赤", "アカ"),
    ("青", "アオ"),
];

/// Kanji parts for compound surnames: second part.
const SURNAME_TAILS: &[(&str, &str)] = &[
    ("田", "タ"),
    ("川", "カワ"),
    ("山", "ヤマ"),
    ("野", "ノ"),
    ("原", "ハラ"),
    ("沢", "サワ"),
    ("井", "イ"),
    ("島", "シマ"),
    ("崎", "サキ"),
    ("浜", "ハマ"),
    ("岡", "オカ"),
    ("谷", "タニ"),
    ("村", "ムラ"),
    ("本", "モト"),
    ("口", "グチ"),
    ("木", "キ"),
    ("瀬", "セ"),
    ("橋", "ハシ"),
    ("尾", "オ"),
    ("内", "ウチ"),
    ("倉", "クラ"),
    ("江", "エ"),
    ("部", "ベ"),
    ("塚", "ツカ"),
    ("坂", "サカ"),
    ("森", "モリ"),
    ("池", "イケ"),
    ("城", "シロ"),
    ("永", "ナガ"),
    ("戸", "ト"),
];

const FEMALE_GIVEN: &[(&str, &str)] = &[
    ("和子", "カズコ"),
    ("幸子", "サチコ"),
    ("節子", "セツコ"),
    ("洋子", "ヨウコ"),
    ("京子", "キョウコ"),
    ("恵子", "ケイコ"),
    ("美智子", "ミチコ"),
    ("久子", "ヒサコ"),
    ("文子", "フミコ"),
    ("悦子", "エツコ"),
    ("光子", "ミツコ"),
    ("静子", "シズコ"),
    ("千代子", "チヨコ"),
    ("信子", "ノブコ"),
    ("清子", "キヨコ"),
    ("弘子", "ヒロコ"),
    ("良子", "ヨシコ"),
    ("正子", "マサコ"),
    ("昭子", "アキコ"),
    ("和江", "カズエ"),
    ("敏子", "トシコ"),
    ("君子", "キミコ"),
    ("春子", "ハルコ"),
    ("芳子", "ヨシコ"),
    ("キヨ", "キヨ"),
    ("ハナ", "ハナ"),
    ("トミ", "トミ"),
    ("ミヨ", "ミヨ"),
    ("富子", "トミコ"),
    ("すみ子", "スミコ"),
    ("百合子", "ユリコ"),
    ("順子", "ジュンコ"),
    ("典子", "ノリコ"),
    ("由美子", "ユミコ"),
    ("啓子", "ケイコ"),
    ("明美", "アケミ"),
    ("直子", "ナオコ"),
    ("喜代子", "キヨコ"),
    ("艶子", "ツヤコ"),
    ("ちよ", "チヨ"),
    ("みつ", "ミツ"),
    ("貞子", "サダコ"),
    ("美代子", "ミヨコ"),
    ("智子", "トモコ"),
    ("孝子", "タカコ"),
    ("道子", "ミチコ"),
    ("八重子", "ヤエコ"),
    ("フサ", "フサ"),
    ("シズエ", "シズエ"),
    ("タツ", "タツ"),
];

const MALE_GIVEN: &[(&str, &str)] = &[
    ("清", "キヨシ"),
    ("茂", "シゲル"),
    ("勇", "イサム"),
    ("博", "ヒロシ"),
    ("実", "ミノル"),
    ("進", "ススム"),
    ("弘", "ヒロシ"),
    ("正", "タダシ"),
    ("明", "アキラ"),
    ("隆", "タカシ"),
    ("和夫", "カズオ"),
    ("正雄", "マサオ"),
    ("昭", "アキラ"),
    ("武", "タケシ"),
    ("勝", "マサル"),
    ("修", "オサム"),
    ("誠", "マコト"),
    ("豊", "ユタカ"),
    ("三郎", "サブロウ"),
    ("一郎", "イチロウ"),
    ("次郎", "ジロウ"),
    ("健一", "ケンイチ"),
    ("幸雄", "ユキオ"),
    ("秀夫", "ヒデオ"),
    ("義雄", "ヨシオ"),
    ("稔", "ミノル"),
    ("正夫", "マサオ"),
    ("哲也", "テツヤ"),
    ("俊夫", "トシオ"),
    ("功", "イサオ"),
    ("忠", "タダシ"),
    ("浩", "ヒロシ"),
    ("昇", "ノボル"),
    ("敏夫", "トシオ"),
    ("光男", "ミツオ"),
    ("重雄", "シゲオ"),
    ("久雄", "ヒサオ"),
    ("信夫", "ノブオ"),
    ("利夫", "トシオ"),
    ("貞夫", "サダオ"),
    ("達也", "タツヤ"),
    ("剛", "ツヨシ"),
    ("徹", "トオル"),
    ("治", "オサム"),
    ("栄一", "エイイチ"),
    ("保", "タモツ"),
    ("正一", "ショウイチ"),
    ("辰雄", "タツオ"),
    ("金次郎", "キンジロウ"),
    ("良一", "リョウイチ"),
];

/// A name as an index into the tables: surname index (common, then compounds) and given index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameId {
    /// Surname index.
    pub surname: u16,
    /// Given-name index (into the table for the person's sex).
    pub given: u16,
}

/// Number of distinct surnames.
pub fn surname_count() -> usize {
    COMMON_SURNAMES.len() + SURNAME_HEADS.len() * SURNAME_TAILS.len()
}

/// Draw a surname: the 100 common ones carry a third of the mass, Zipf-like. With a `narrow`
/// pool, uniformly among that many of the most common.
pub fn draw_surname(rng: &mut impl Rng, narrow: Option<u16>) -> u16 {
    if let Some(pool) = narrow {
        return rng.random_range(0..pool.clamp(1, COMMON_SURNAMES.len() as u16));
    }
    if rng.random_bool(0.34) {
        // Zipf with exponent ~1 over 100 names via inverse transform on a harmonic approximation.
        let u: f64 = rng.random();
        let index = ((COMMON_SURNAMES.len() as f64 + 1.0).powf(u) - 1.0) as usize;
        index.min(COMMON_SURNAMES.len() - 1) as u16
    } else {
        (COMMON_SURNAMES.len() + rng.random_range(0..SURNAME_HEADS.len() * SURNAME_TAILS.len())) as u16
    }
}

/// Draw a given name for a sex. With a `narrow` pool, uniformly among that many of the first.
pub fn draw_given(rng: &mut impl Rng, female: bool, narrow: Option<u16>) -> u16 {
    let table = if female { FEMALE_GIVEN } else { MALE_GIVEN };
    if let Some(pool) = narrow {
        return rng.random_range(0..pool.clamp(1, table.len() as u16));
    }
    let u: f64 = rng.random();
    // Mildly skewed: popular names are commoner.
    ((u * u) * table.len() as f64) as u16
}

/// Surname in kanji and kana.
pub fn surname(index: u16) -> (String, String) {
    let index = usize::from(index);
    if let Some(&(kanji, kana)) = COMMON_SURNAMES.get(index) {
        return (kanji.to_string(), kana.to_string());
    }
    let compound = index - COMMON_SURNAMES.len();
    let (head_kanji, head_kana) = SURNAME_HEADS[compound / SURNAME_TAILS.len()];
    let (tail_kanji, tail_kana) = SURNAME_TAILS[compound % SURNAME_TAILS.len()];
    (format!("{head_kanji}{tail_kanji}"), format!("{head_kana}{tail_kana}"))
}

/// Given name in kanji and kana.
pub fn given(index: u16, female: bool) -> (&'static str, &'static str) {
    let table = if female { FEMALE_GIVEN } else { MALE_GIVEN };
    table[usize::from(index) % table.len()]
}

/// Full name as written in the hub: kanji "姓　名" and kana "セイ　メイ" (full-width space).
pub fn full_name(name: NameId, female: bool) -> (String, String) {
    let (surname_kanji, surname_kana) = surname(name.surname);
    let (given_kanji, given_kana) = given(name.given, female);
    (
        format!("{surname_kanji}\u{3000}{given_kanji}"),
        format!("{surname_kana}\u{3000}{given_kana}"),
    )
}

/// The kinds of kana spelling variation injected as identifier noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KanaVariant {
    /// Small kana written large (ッ→ツ, ョ→ヨ).
    SmallKana,
    /// A voiced mark dropped (ガ→カ, ブ→フ).
    VoicedMark,
    /// A long vowel written with ー or spelt out (サトウ↔サトー, オオノ↔オーノ).
    LongVowel,
    /// The separator space changed (half-width, none, doubled).
    Spacing,
    /// Half-width katakana (ｻﾄｳ ﾊﾅｺ).
    HalfWidth,
}

impl KanaVariant {
    /// All variants.
    pub const ALL: [KanaVariant; 5] = [
        Self::SmallKana,
        Self::VoicedMark,
        Self::LongVowel,
        Self::Spacing,
        Self::HalfWidth,
    ];
}

const SMALL_TO_LARGE: &[(char, char)] = &[
    ('ッ', 'ツ'),
    ('ャ', 'ヤ'),
    ('ュ', 'ユ'),
    ('ョ', 'ヨ'),
    ('ァ', 'ア'),
    ('ィ', 'イ'),
    ('ゥ', 'ウ'),
    ('ェ', 'エ'),
    ('ォ', 'オ'),
];
const VOICED_TO_PLAIN: &[(char, char)] = &[
    ('ガ', 'カ'),
    ('ギ', 'キ'),
    ('グ', 'ク'),
    ('ゲ', 'ケ'),
    ('ゴ', 'コ'),
    ('ザ', 'サ'),
    ('ジ', 'シ'),
    ('ズ', 'ス'),
    ('ゼ', 'セ'),
    ('ゾ', 'ソ'),
    ('ダ', 'タ'),
    ('ヂ', 'チ'),
    ('ヅ', 'ツ'),
    ('デ', 'テ'),
    ('ド', 'ト'),
    ('バ', 'ハ'),
    ('ビ', 'ヒ'),
    ('ブ', 'フ'),
    ('ベ', 'ヘ'),
    ('ボ', 'ホ'),
    ('パ', 'ハ'),
    ('ピ', 'ヒ'),
    ('プ', 'フ'),
    ('ペ', 'ヘ'),
    ('ポ', 'ホ'),
];
const HALF_WIDTH: &[(char, &str)] = &[
    ('ア', "ｱ"),
    ('イ', "ｲ"),
    ('ウ', "ｳ"),
    ('エ', "ｴ"),
    ('オ', "ｵ"),
    ('カ', "ｶ"),
    ('キ', "ｷ"),
    ('ク', "ｸ"),
    ('ケ', "ｹ"),
    ('コ', "ｺ"),
    ('サ', "ｻ"),
    ('シ', "ｼ"),
    ('ス', "ｽ"),
    ('セ', "ｾ"),
    ('ソ', "ｿ"),
    ('タ', "ﾀ"),
    ('チ', "ﾁ"),
    ('ツ', "ﾂ"),
    ('テ', "ﾃ"),
    ('ト', "ﾄ"),
    ('ナ', "ﾅ"),
    ('ニ', "ﾆ"),
    ('ヌ', "ﾇ"),
    ('ネ', "ﾈ"),
    ('ノ', "ﾉ"),
    ('ハ', "ﾊ"),
    ('ヒ', "ﾋ"),
    ('フ', "ﾌ"),
    ('ヘ', "ﾍ"),
    ('ホ', "ﾎ"),
    ('マ', "ﾏ"),
    ('ミ', "ﾐ"),
    ('ム', "ﾑ"),
    ('メ', "ﾒ"),
    ('モ', "ﾓ"),
    ('ヤ', "ﾔ"),
    ('ユ', "ﾕ"),
    ('ヨ', "ﾖ"),
    ('ラ', "ﾗ"),
    ('リ', "ﾘ"),
    ('ル', "ﾙ"),
    ('レ', "ﾚ"),
    ('ロ', "ﾛ"),
    ('ワ', "ﾜ"),
    ('ヲ', "ｦ"),
    ('ン', "ﾝ"),
    ('ガ', "ｶﾞ"),
    ('ギ', "ｷﾞ"),
    ('グ', "ｸﾞ"),
    ('ゲ', "ｹﾞ"),
    ('ゴ', "ｺﾞ"),
    ('ザ', "ｻﾞ"),
    ('ジ', "ｼﾞ"),
    ('ズ', "ｽﾞ"),
    ('ゼ', "ｾﾞ"),
    ('ゾ', "ｿﾞ"),
    ('ダ', "ﾀﾞ"),
    ('ヂ', "ﾁﾞ"),
    ('ヅ', "ﾂﾞ"),
    ('デ', "ﾃﾞ"),
    ('ド', "ﾄﾞ"),
    ('バ', "ﾊﾞ"),
    ('ビ', "ﾋﾞ"),
    ('ブ', "ﾌﾞ"),
    ('ベ', "ﾍﾞ"),
    ('ボ', "ﾎﾞ"),
    ('パ', "ﾊﾟ"),
    ('ピ', "ﾋﾟ"),
    ('プ', "ﾌﾟ"),
    ('ペ', "ﾍﾟ"),
    ('ポ', "ﾎﾟ"),
    ('ッ', "ｯ"),
    ('ャ', "ｬ"),
    ('ュ', "ｭ"),
    ('ョ', "ｮ"),
    ('ァ', "ｧ"),
    ('ィ', "ｨ"),
    ('ゥ', "ｩ"),
    ('ェ', "ｪ"),
    ('ォ', "ｫ"),
    ('ー', "ｰ"),
    ('\u{3000}', " "),
];

/// Apply one spelling variant to a kana name. Returns `None` when the variant does not apply
/// to this name (e.g. no small kana in it), so the caller can try another.
pub fn kana_variant(kana: &str, variant: KanaVariant, rng: &mut impl Rng) -> Option<String> {
    match variant {
        KanaVariant::SmallKana => replace_first(kana, SMALL_TO_LARGE),
        KanaVariant::VoicedMark => replace_first(kana, VOICED_TO_PLAIN),
        KanaVariant::LongVowel => {
            for (long, short) in [
                ("オウ", "オー"),
                ("ウウ", "ウー"),
                ("オオ", "オー"),
                ("ユウ", "ユー"),
                ("トウ", "トー"),
                ("ドウ", "ドー"),
                ("コウ", "コー"),
                ("ゴウ", "ゴー"),
                ("ソウ", "ソー"),
                ("ロウ", "ロー"),
                ("ヨウ", "ヨー"),
                ("ノウ", "ノー"),
                ("ホウ", "ホー"),
                ("モウ", "モー"),
                ("キョウ", "キョー"),
                ("ショウ", "ショー"),
            ] {
                if kana.contains(long) {
                    return Some(kana.replacen(long, short, 1));
                }
            }
            None
        }
        KanaVariant::Spacing => {
            let replacement = ["", " ", "\u{3000}\u{3000}"][rng.random_range(0..3)];
            kana.contains('\u{3000}')
                .then(|| kana.replacen('\u{3000}', replacement, 1))
        }
        KanaVariant::HalfWidth => Some(
            kana.chars()
                .map(|c| {
                    HALF_WIDTH
                        .iter()
                        .find(|(full, _)| *full == c)
                        .map_or(c.to_string(), |(_, half)| half.to_string())
                })
                .collect(),
        ),
    }
}

fn replace_first(text: &str, table: &[(char, char)]) -> Option<String> {
    let (position, from, to) = text.char_indices().find_map(|(position, c)| {
        table
            .iter()
            .find(|(from, _)| *from == c)
            .map(|(from, to)| (position, *from, *to))
    })?;
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..position]);
    out.push(to);
    out.push_str(&text[position + from.len_utf8()..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn variants_change_the_spelling_as_described() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        assert_eq!(
            kana_variant("キョウコ", KanaVariant::SmallKana, &mut rng).unwrap(),
            "キヨウコ"
        );
        assert_eq!(
            kana_variant("ゴトウ　ハナ", KanaVariant::VoicedMark, &mut rng).unwrap(),
            "コトウ　ハナ"
        );
        assert_eq!(
            kana_variant("サトウ　ハナ", KanaVariant::LongVowel, &mut rng).unwrap(),
            "サトー　ハナ"
        );
        assert_eq!(
            kana_variant("サトウ　ハナ", KanaVariant::HalfWidth, &mut rng).unwrap(),
            "ｻﾄｳ ﾊﾅ"
        );
        assert!(kana_variant("ハナ", KanaVariant::SmallKana, &mut rng).is_none());
        let spaced = kana_variant("サトウ　ハナ", KanaVariant::Spacing, &mut rng).unwrap();
        assert_ne!(spaced, "サトウ　ハナ");
    }

    #[test]
    fn surname_indices_cover_common_and_compound_names() {
        assert_eq!(surname(0), ("佐藤".to_string(), "サトウ".to_string()));
        let last = (surname_count() - 1) as u16;
        assert_eq!(surname(last).0.chars().count(), 2);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        for _ in 0..1000 {
            assert!(usize::from(draw_surname(&mut rng, None)) < surname_count());
            assert!(usize::from(draw_given(&mut rng, true, None)) < FEMALE_GIVEN.len());
        }
    }

    #[test]
    fn a_narrow_pool_draws_only_the_first_names() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let surnames: std::collections::BTreeSet<u16> = (0..1000).map(|_| draw_surname(&mut rng, Some(3))).collect();
        assert_eq!(surnames, [0, 1, 2].into());
        let given: std::collections::BTreeSet<u16> = (0..1000).map(|_| draw_given(&mut rng, false, Some(2))).collect();
        assert_eq!(given, [0, 1].into());
        // A pool wider than a table is the table.
        assert!((0..1000).all(|_| usize::from(draw_given(&mut rng, true, Some(999))) < FEMALE_GIVEN.len()));
    }
}
