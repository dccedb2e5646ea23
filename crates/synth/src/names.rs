//! Japanese names for synthetic persons, and the spelling variants a real hub contains.
//!
//! How often two persons share a name is calibrated, because linkage must tell a person who moved
//! from a stranger who shares their name, birth date and sex:
//! - **Surnames** follow the published rank–frequency curve of Japan's surnames
//!   ([`SURNAME_SHARES`]: the ten largest, and ranks 100, 1,000, 3,000 and 5,000, between which
//!   the share is interpolated on a log–log scale and beyond which it is extrapolated). The 100
//!   most common are real; rarer ranks are compounds of common kanji parts.
//! - **Given names** depend on sex and birth year: each name has the birth year its fashion peaked
//!   and a class (ranked first in a year, in a year's top ten, or another usual name of the era)
//!   read from the published rankings by birth year; the shape around the peak is an assumption.
//!
//! Rarer given names are compounds of common parts, equally likely in every birth year; their
//! weight sets the share of persons with a namesake to the published one. Sources and checks:
//! `docs/decisions/2026-11-26-synthetic-hub.md` (point 9). Kana is what collides: 博, 弘, 浩, 宏
//! are all ヒロシ, 斎藤 and 斉藤 both サイトウ.

use std::sync::OnceLock;

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

/// How popular a given name was in the birth years around its peak: ranked first in some year of
/// the published rankings by birth year, in a year's top ten, or another usual name of its era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    First,
    TopTen,
    Usual,
}

impl Class {
    /// Relative weight at the peak year (assumption; [`RARE_GIVEN_WEIGHT`] is what is calibrated).
    fn weight(self) -> f64 {
        match self {
            Class::First => 10.0,
            Class::TopTen => 4.0,
            Class::Usual => 1.0,
        }
    }
}

/// Spread of a name's fashion around its peak birth year, in years (assumption).
const FASHION_SPREAD_YEARS: f64 = 9.0;

use Class::{First, TopTen, Usual};

/// Women's given names: kanji, kana, birth year of the peak, class.
const FEMALE_GIVEN: &[(&str, &str, i32, Class)] = &[
    ("和子", "カズコ", 1938, First),
    ("幸子", "サチコ", 1937, TopTen),
    ("節子", "セツコ", 1936, TopTen),
    ("洋子", "ヨウコ", 1950, TopTen),
    ("京子", "キョウコ", 1953, TopTen),
    ("恵子", "ケイコ", 1957, First),
    ("美智子", "ミチコ", 1950, TopTen),
    ("久子", "ヒサコ", 1926, TopTen),
    ("文子", "フミコ", 1921, First),
    ("悦子", "エツコ", 1945, TopTen),
    ("光子", "ミツコ", 1929, TopTen),
    ("静子", "シズコ", 1920, TopTen),
    ("千代子", "チヨコ", 1920, TopTen),
    ("信子", "ノブコ", 1930, TopTen),
    ("清子", "キヨコ", 1918, TopTen),
    ("弘子", "ヒロコ", 1938, TopTen),
    ("良子", "ヨシコ", 1927, Usual),
    ("正子", "マサコ", 1915, TopTen),
    ("昭子", "アキコ", 1928, TopTen),
    ("和江", "カズエ", 1935, Usual),
    ("敏子", "トシコ", 1935, Usual),
    ("君子", "キミコ", 1930, Usual),
    ("春子", "ハルコ", 1925, Usual),
    ("芳子", "ヨシコ", 1925, Usual),
    ("キヨ", "キヨ", 1915, TopTen),
    ("ハナ", "ハナ", 1915, TopTen),
    ("トミ", "トミ", 1915, Usual),
    ("ミヨ", "ミヨ", 1918, Usual),
    ("富子", "トミコ", 1925, Usual),
    ("すみ子", "スミコ", 1930, Usual),
    ("百合子", "ユリコ", 1955, Usual),
    ("順子", "ジュンコ", 1955, TopTen),
    ("典子", "ノリコ", 1958, Usual),
    ("由美子", "ユミコ", 1965, First),
    ("啓子", "ケイコ", 1955, Usual),
    ("明美", "アケミ", 1960, TopTen),
    ("直子", "ナオコ", 1965, Usual),
    ("喜代子", "キヨコ", 1930, Usual),
    ("艶子", "ツヤコ", 1920, Usual),
    ("ちよ", "チヨ", 1915, Usual),
    ("みつ", "ミツ", 1915, Usual),
    ("貞子", "サダコ", 1926, TopTen),
    ("美代子", "ミヨコ", 1926, TopTen),
    ("智子", "トモコ", 1976, First),
    ("孝子", "タカコ", 1940, Usual),
    ("道子", "ミチコ", 1935, Usual),
    ("八重子", "ヤエコ", 1925, Usual),
    ("フサ", "フサ", 1915, Usual),
    ("シズエ", "シズエ", 1918, Usual),
    ("タツ", "タツ", 1915, Usual),
    ("千代", "チヨ", 1914, First),
    ("照子", "テルコ", 1926, TopTen),
    ("勝子", "カツコ", 1943, TopTen),
    ("久美子", "クミコ", 1962, TopTen),
    ("真由美", "マユミ", 1966, TopTen),
    ("直美", "ナオミ", 1969, First),
    ("陽子", "ヨウコ", 1972, First),
    ("裕子", "ユウコ", 1973, TopTen),
    ("愛", "アイ", 1986, First),
    ("美香", "ミカ", 1978, Usual),
    ("恵美子", "エミコ", 1955, Usual),
    ("紀子", "ノリコ", 1965, Usual),
    ("和美", "カズミ", 1955, Usual),
    ("幸江", "サチエ", 1940, Usual),
    ("房子", "フサコ", 1925, Usual),
    ("政子", "マサコ", 1925, Usual),
    ("澄子", "スミコ", 1930, Usual),
    ("初子", "ハツコ", 1925, Usual),
    ("絹子", "キヌコ", 1928, Usual),
    ("米子", "ヨネコ", 1920, Usual),
    ("ヨシ", "ヨシ", 1913, TopTen),
    ("ハル", "ハル", 1913, TopTen),
    ("キミ", "キミ", 1915, TopTen),
    ("マツ", "マツ", 1913, Usual),
    ("トシ", "トシ", 1918, Usual),
    ("松子", "マツコ", 1925, Usual),
    ("美恵子", "ミエコ", 1950, Usual),
    ("寿子", "ヒサコ", 1933, Usual),
    ("栄子", "エイコ", 1935, Usual),
    ("愛子", "アイコ", 1938, Usual),
    ("公子", "キミコ", 1945, Usual),
    ("雅子", "マサコ", 1963, Usual),
    ("真理子", "マリコ", 1965, Usual),
    ("純子", "ジュンコ", 1960, Usual),
    ("裕美", "ヒロミ", 1975, Usual),
    ("恵", "メグミ", 1983, Usual),
    ("香織", "カオリ", 1980, Usual),
    ("麻美", "アサミ", 1983, Usual),
];

/// Men's given names: kanji, kana, birth year of the peak, class.
const MALE_GIVEN: &[(&str, &str, i32, Class)] = &[
    ("清", "キヨシ", 1922, First),
    ("茂", "シゲル", 1935, First),
    ("勇", "イサム", 1930, TopTen),
    ("博", "ヒロシ", 1941, First),
    ("実", "ミノル", 1935, TopTen),
    ("進", "ススム", 1933, TopTen),
    ("弘", "ヒロシ", 1945, TopTen),
    ("正", "タダシ", 1920, TopTen),
    ("明", "アキラ", 1952, TopTen),
    ("隆", "タカシ", 1950, TopTen),
    ("和夫", "カズオ", 1930, TopTen),
    ("正雄", "マサオ", 1918, TopTen),
    ("昭", "アキラ", 1927, TopTen),
    ("武", "タケシ", 1940, TopTen),
    ("勝", "マサル", 1943, First),
    ("修", "オサム", 1948, TopTen),
    ("誠", "マコト", 1964, First),
    ("豊", "ユタカ", 1940, Usual),
    ("三郎", "サブロウ", 1915, TopTen),
    ("一郎", "イチロウ", 1915, TopTen),
    ("次郎", "ジロウ", 1915, Usual),
    ("健一", "ケンイチ", 1960, TopTen),
    ("幸雄", "ユキオ", 1935, Usual),
    ("秀夫", "ヒデオ", 1930, Usual),
    ("義雄", "ヨシオ", 1925, Usual),
    ("稔", "ミノル", 1935, TopTen),
    ("正夫", "マサオ", 1930, Usual),
    ("哲也", "テツヤ", 1968, TopTen),
    ("俊夫", "トシオ", 1935, Usual),
    ("功", "イサオ", 1945, Usual),
    ("忠", "タダシ", 1930, Usual),
    ("浩", "ヒロシ", 1955, TopTen),
    ("昇", "ノボル", 1930, Usual),
    ("敏夫", "トシオ", 1935, Usual),
    ("光男", "ミツオ", 1933, Usual),
    ("重雄", "シゲオ", 1928, Usual),
    ("久雄", "ヒサオ", 1925, Usual),
    ("信夫", "ノブオ", 1930, Usual),
    ("利夫", "トシオ", 1935, Usual),
    ("貞夫", "サダオ", 1925, Usual),
    ("達也", "タツヤ", 1975, TopTen),
    ("剛", "ツヨシ", 1970, TopTen),
    ("徹", "トオル", 1965, Usual),
    ("治", "オサム", 1945, Usual),
    ("栄一", "エイイチ", 1925, Usual),
    ("保", "タモツ", 1935, Usual),
    ("正一", "ショウイチ", 1913, First),
    ("辰雄", "タツオ", 1925, Usual),
    ("金次郎", "キンジロウ", 1915, Usual),
    ("良一", "リョウイチ", 1925, Usual),
    ("武雄", "タケオ", 1918, TopTen),
    ("勲", "イサオ", 1943, TopTen),
    ("勉", "ツトム", 1950, TopTen),
    ("大輔", "ダイスケ", 1979, First),
    ("直樹", "ナオキ", 1978, TopTen),
    ("拓也", "タクヤ", 1982, TopTen),
    ("秀樹", "ヒデキ", 1968, Usual),
    ("浩二", "コウジ", 1962, Usual),
    ("和男", "カズオ", 1935, Usual),
    ("正義", "マサヨシ", 1935, Usual),
    ("孝", "タカシ", 1950, Usual),
    ("宏", "ヒロシ", 1950, Usual),
    ("勝利", "カツトシ", 1943, TopTen),
    ("敏", "サトシ", 1945, Usual),
    ("一男", "カズオ", 1930, Usual),
    ("登", "ノボル", 1930, Usual),
    ("薫", "カオル", 1945, Usual),
    ("悟", "サトル", 1960, Usual),
    ("学", "マナブ", 1965, Usual),
    ("和彦", "カズヒコ", 1960, Usual),
    ("健二", "ケンジ", 1962, Usual),
    ("裕之", "ヒロユキ", 1968, Usual),
    ("幸一", "コウイチ", 1950, Usual),
    ("英樹", "ヒデキ", 1968, Usual),
    ("和也", "カズヤ", 1975, Usual),
    ("健太郎", "ケンタロウ", 1985, Usual),
];

/// Rarer given names, compounds of a first and a second part; each weighs [`RARE_GIVEN_WEIGHT`]
/// in every birth year.
const FEMALE_FIRST_PARTS: &[(&str, &str)] = &[
    ("和", "カズ"),
    ("幸", "サチ"),
    ("節", "セツ"),
    ("洋", "ヒロ"),
    ("京", "キョウ"),
    ("恵", "ケイ"),
    ("久", "ヒサ"),
    ("文", "フミ"),
    ("悦", "エツ"),
    ("光", "ミツ"),
    ("静", "シズ"),
    ("信", "ノブ"),
    ("清", "キヨ"),
    ("弘", "ヒロ"),
    ("良", "ヨシ"),
    ("正", "マサ"),
    ("昭", "アキ"),
    ("敏", "トシ"),
    ("君", "キミ"),
    ("春", "ハル"),
    ("富", "トミ"),
    ("順", "ヨリ"),
    ("典", "ノリ"),
    ("直", "ナオ"),
    ("貞", "サダ"),
    ("智", "トモ"),
    ("孝", "タカ"),
    ("照", "テル"),
    ("勝", "カツ"),
    ("房", "フサ"),
    ("澄", "スミ"),
    ("初", "ハツ"),
    ("絹", "キヌ"),
    ("米", "ヨネ"),
    ("松", "マツ"),
    ("栄", "エイ"),
    ("千", "チ"),
    ("美", "ミ"),
    ("喜", "キ"),
    ("八重", "ヤエ"),
];
const FEMALE_SECOND_PARTS: &[(&str, &str)] = &[
    ("子", "コ"),
    ("江", "エ"),
    ("代", "ヨ"),
    ("枝", "エ"),
    ("美", "ミ"),
    ("乃", "ノ"),
    ("世", "ヨ"),
    ("恵", "エ"),
    ("香", "カ"),
    ("奈", "ナ"),
    ("絵", "エ"),
    ("里", "リ"),
    ("穂", "ホ"),
    ("津", "ツ"),
    ("野", "ノ"),
    ("緒", "オ"),
    ("佳", "カ"),
    ("花", "カ"),
    ("音", "ネ"),
    ("栄", "エ"),
    ("代子", "ヨコ"),
    ("枝子", "エコ"),
    ("美子", "ミコ"),
    ("恵子", "エコ"),
    ("江子", "エコ"),
    ("世子", "ヨコ"),
    ("乃子", "ノコ"),
    ("津子", "ツコ"),
    ("野子", "ノコ"),
    ("里子", "リコ"),
    ("香子", "カコ"),
    ("奈子", "ナコ"),
    ("与", "ヨ"),
    ("女", "メ"),
    ("重", "エ"),
    ("路", "ジ"),
    ("舞", "マイ"),
    ("弥", "ミ"),
    ("実", "ミ"),
    ("見", "ミ"),
    ("巳", "ミ"),
    ("生", "オ"),
    ("尾", "オ"),
    ("恵美", "エミ"),
    ("美代", "ミヨ"),
    ("美恵", "ミエ"),
    ("和子", "ワコ"),
    ("喜子", "キコ"),
    ("稚子", "チコ"),
    ("千代", "チヨ"),
];
const MALE_FIRST_PARTS: &[(&str, &str)] = &[
    ("和", "カズ"),
    ("正", "マサ"),
    ("幸", "ユキ"),
    ("秀", "ヒデ"),
    ("義", "ヨシ"),
    ("俊", "トシ"),
    ("敏", "トシ"),
    ("光", "ミツ"),
    ("重", "シゲ"),
    ("久", "ヒサ"),
    ("信", "ノブ"),
    ("利", "トシ"),
    ("貞", "サダ"),
    ("辰", "タツ"),
    ("良", "ヨシ"),
    ("武", "タケ"),
    ("勝", "カツ"),
    ("清", "キヨ"),
    ("博", "ヒロ"),
    ("茂", "シゲ"),
    ("昭", "アキ"),
    ("政", "マサ"),
    ("健", "ケン"),
    ("英", "ヒデ"),
    ("康", "ヤス"),
    ("忠", "タダ"),
    ("孝", "タカ"),
    ("哲", "テツ"),
    ("達", "タツ"),
    ("末", "スエ"),
    ("金", "キン"),
    ("銀", "ギン"),
    ("国", "クニ"),
    ("春", "ハル"),
    ("秋", "アキ"),
    ("富", "トミ"),
    ("静", "シズ"),
    ("輝", "テル"),
    ("邦", "クニ"),
    ("喜", "キ"),
];
const MALE_SECOND_PARTS: &[(&str, &str)] = &[
    ("雄", "オ"),
    ("夫", "オ"),
    ("男", "オ"),
    ("一", "イチ"),
    ("二", "ジ"),
    ("三", "ゾウ"),
    ("郎", "ロウ"),
    ("治", "ジ"),
    ("吉", "キチ"),
    ("次", "ジ"),
    ("之", "ユキ"),
    ("彦", "ヒコ"),
    ("平", "ヘイ"),
    ("蔵", "ゾウ"),
    ("助", "スケ"),
    ("作", "サク"),
    ("太", "タ"),
    ("介", "スケ"),
    ("人", "ト"),
    ("司", "ジ"),
    ("樹", "キ"),
    ("也", "ヤ"),
    ("典", "ノリ"),
    ("和", "カズ"),
    ("明", "アキ"),
    ("弘", "ヒロ"),
    ("光", "ミツ"),
    ("正", "マサ"),
    ("信", "ノブ"),
    ("義", "ヨシ"),
    ("広", "ヒロ"),
    ("秋", "アキ"),
    ("春", "ハル"),
    ("松", "マツ"),
    ("造", "ゾウ"),
    ("市", "イチ"),
    ("衛", "エ"),
    ("兵衛", "ベエ"),
    ("太郎", "タロウ"),
    ("次郎", "ジロウ"),
    ("三郎", "サブロウ"),
    ("四郎", "シロウ"),
    ("五郎", "ゴロウ"),
    ("一郎", "イチロウ"),
    ("之助", "ノスケ"),
    ("右衛門", "エモン"),
    ("左衛門", "ザエモン"),
    ("士", "シ"),
    ("志", "シ"),
    ("朗", "ロウ"),
];

/// Weight of each rarer given name in every birth year: with the named ones, it makes 1,000,000
/// persons born 1925–1985 have the published share of namesakes (see the module docs).
const RARE_GIVEN_WEIGHT: f64 = 0.1;

/// A name as an index into the tables: surname rank (the common surnames, then compounds of two
/// and of three parts) and given-name index (into the table for the person's sex).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NameId {
    /// Surname index.
    pub surname: u16,
    /// Given-name index (into the table for the person's sex).
    pub given: u16,
}

/// Published shares of surnames by frequency rank (share of the population).
/// Ranks 1–10, 100, 1,000 and 3,000: 名字由来net ranking of January 2015 (persons ÷ 127.1 million);
/// rank 5,000: its 2019 ranking (÷ 127.44 million). The top ten sum to 10.4 %, against 10.22 % in
/// 明治安田生命's 2018 survey of 6.55 million policy holders, whose top 100 hold 33.38 %.
pub const SURNAME_SHARES: &[(u32, f64)] = &[
    (1, 2_055_000.0 / 127.1e6),
    (2, 1_799_000.0 / 127.1e6),
    (3, 1_495_000.0 / 127.1e6),
    (4, 1_377_000.0 / 127.1e6),
    (5, 1_139_000.0 / 127.1e6),
    (6, 1_123_000.0 / 127.1e6),
    (7, 1_121_000.0 / 127.1e6),
    (8, 1_094_000.0 / 127.1e6),
    (9, 1_075_000.0 / 127.1e6),
    (10, 898_000.0 / 127.1e6),
    (100, 189_000.0 / 127.1e6),
    (1_000, 19_100.0 / 127.1e6),
    (3_000, 4_700.0 / 127.1e6),
    (5_000, 2_100.0 / 127.44e6),
];

/// Number of distinct surnames.
pub fn surname_count() -> usize {
    let (common, heads, tails) = (COMMON_SURNAMES.len(), SURNAME_HEADS.len(), SURNAME_TAILS.len());
    common + heads * tails + heads * heads * tails
}

/// Share of the population bearing the surname of a frequency rank (1-based), before the
/// normalisation over the ranks the pool has: log–log interpolation between the published
/// anchors, the last slope extrapolated.
pub fn published_surname_share(rank: u32) -> f64 {
    let anchors = SURNAME_SHARES;
    let last = anchors.len() - 1;
    let segment = anchors
        .windows(2)
        .position(|pair| rank <= pair[1].0)
        .unwrap_or(last - 1);
    let ((low_rank, low_share), (high_rank, high_share)) = (anchors[segment], anchors[segment + 1]);
    let slope = (high_share / low_share).ln() / (f64::from(high_rank) / f64::from(low_rank)).ln();
    low_share * (f64::from(rank) / f64::from(low_rank)).powf(slope)
}

/// Probability of each surname index, summing to 1.
pub fn surname_probabilities() -> &'static [f64] {
    static TABLE: OnceLock<Vec<f64>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let shares: Vec<f64> = (1..=surname_count() as u32).map(published_surname_share).collect();
        let total: f64 = shares.iter().sum();
        shares.into_iter().map(|share| share / total).collect()
    })
}

fn cumulative(weights: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    let mut table: Vec<f64> = weights
        .into_iter()
        .map(|weight| {
            sum += weight;
            sum
        })
        .collect();
    for value in &mut table {
        *value /= sum;
    }
    table
}

fn draw_from(cumulative: &[f64], rng: &mut impl Rng) -> u16 {
    let u: f64 = rng.random();
    cumulative
        .partition_point(|&bound| bound <= u)
        .min(cumulative.len() - 1) as u16
}

/// Draw a surname by its published frequency. With a `narrow` pool, uniformly among that many of
/// the most common.
pub fn draw_surname(rng: &mut impl Rng, narrow: Option<u16>) -> u16 {
    if let Some(pool) = narrow {
        return rng.random_range(0..pool.clamp(1, COMMON_SURNAMES.len() as u16));
    }
    static CUMULATIVE: OnceLock<Vec<f64>> = OnceLock::new();
    draw_from(
        CUMULATIVE.get_or_init(|| cumulative(surname_probabilities().iter().copied())),
        rng,
    )
}

/// Birth years with a table of their own; earlier and later years use the nearest.
const BIRTH_YEARS: std::ops::RangeInclusive<i32> = 1900..=2010;

fn given_table(female: bool) -> &'static [(&'static str, &'static str, i32, Class)] {
    if female { FEMALE_GIVEN } else { MALE_GIVEN }
}

/// Probability of each given name of a sex for persons born in a year.
pub fn given_probabilities(female: bool, birth_year: i32) -> Vec<f64> {
    let year = birth_year.clamp(*BIRTH_YEARS.start(), *BIRTH_YEARS.end());
    let weights: Vec<f64> = given_table(female)
        .iter()
        .map(|&(_, _, peak, class)| {
            let distance = f64::from(year - peak) / FASHION_SPREAD_YEARS;
            class.weight() * (-0.5 * distance * distance).exp()
        })
        .chain(std::iter::repeat_n(RARE_GIVEN_WEIGHT, rare_given_count(female)))
        .collect();
    let total: f64 = weights.iter().sum();
    weights.into_iter().map(|weight| weight / total).collect()
}

/// Draw a given name for a sex and birth year. With a `narrow` pool, uniformly among that many of
/// the first.
pub fn draw_given(rng: &mut impl Rng, female: bool, birth_year: i32, narrow: Option<u16>) -> u16 {
    let table = given_table(female);
    if let Some(pool) = narrow {
        return rng.random_range(0..pool.clamp(1, table.len() as u16));
    }
    static CUMULATIVE: OnceLock<[Vec<Vec<f64>>; 2]> = OnceLock::new();
    let tables = CUMULATIVE.get_or_init(|| {
        [false, true].map(|female| {
            BIRTH_YEARS
                .map(|year| cumulative(given_probabilities(female, year)))
                .collect()
        })
    });
    let year = birth_year.clamp(*BIRTH_YEARS.start(), *BIRTH_YEARS.end());
    draw_from(&tables[usize::from(female)][(year - BIRTH_YEARS.start()) as usize], rng)
}

/// Surname in kanji and kana.
pub fn surname(index: u16) -> (String, String) {
    let index = usize::from(index);
    if let Some(&(kanji, kana)) = COMMON_SURNAMES.get(index) {
        return (kanji.to_string(), kana.to_string());
    }
    let (heads, tails) = (SURNAME_HEADS.len(), SURNAME_TAILS.len());
    let compound = index - COMMON_SURNAMES.len();
    if compound < heads * tails {
        let ((head_kanji, head_kana), (tail_kanji, tail_kana)) =
            (SURNAME_HEADS[compound / tails], SURNAME_TAILS[compound % tails]);
        return (format!("{head_kanji}{tail_kanji}"), format!("{head_kana}{tail_kana}"));
    }
    // Three parts, rarer: 小松原, 北山田.
    let compound = compound - heads * tails;
    let ((first_kanji, first_kana), (second_kanji, second_kana), (tail_kanji, tail_kana)) = (
        SURNAME_HEADS[compound / (heads * tails)],
        SURNAME_HEADS[compound / tails % heads],
        SURNAME_TAILS[compound % tails],
    );
    (
        format!("{first_kanji}{second_kanji}{tail_kanji}"),
        format!("{first_kana}{second_kana}{tail_kana}"),
    )
}

/// Kanji and kana of a name or a part of one.
type Spelling = (&'static str, &'static str);

fn given_parts(female: bool) -> (&'static [Spelling], &'static [Spelling]) {
    if female {
        (FEMALE_FIRST_PARTS, FEMALE_SECOND_PARTS)
    } else {
        (MALE_FIRST_PARTS, MALE_SECOND_PARTS)
    }
}

fn rare_given_count(female: bool) -> usize {
    let (first, second) = given_parts(female);
    first.len() * second.len()
}

/// Number of given names of a sex: the named ones, then the compounds.
pub fn given_count(female: bool) -> usize {
    given_table(female).len() + rare_given_count(female)
}

/// Given name in kanji and kana.
pub fn given(index: u16, female: bool) -> (String, String) {
    let table = given_table(female);
    let index = usize::from(index) % given_count(female);
    if let Some(&(kanji, kana, _, _)) = table.get(index) {
        return (kanji.to_string(), kana.to_string());
    }
    let (first, second) = given_parts(female);
    let compound = index - table.len();
    let ((first_kanji, first_kana), (second_kanji, second_kana)) =
        (first[compound / second.len()], second[compound % second.len()]);
    (
        format!("{first_kanji}{second_kanji}"),
        format!("{first_kana}{second_kana}"),
    )
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
    /// Given name first (ハナコ　サトウ): a form filled in the Western order.
    NameOrder,
}

impl KanaVariant {
    /// All variants.
    pub const ALL: [KanaVariant; 6] = [
        Self::SmallKana,
        Self::VoicedMark,
        Self::LongVowel,
        Self::Spacing,
        Self::HalfWidth,
        Self::NameOrder,
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
        KanaVariant::NameOrder => kana
            .split_once('\u{3000}')
            .map(|(surname, given)| format!("{given}\u{3000}{surname}")),
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
        assert_eq!(
            kana_variant("サトウ　ハナ", KanaVariant::NameOrder, &mut rng).unwrap(),
            "ハナ　サトウ"
        );
        let spaced = kana_variant("サトウ　ハナ", KanaVariant::Spacing, &mut rng).unwrap();
        assert_ne!(spaced, "サトウ　ハナ");
    }

    #[test]
    fn surname_indices_cover_common_and_compound_names() {
        assert_eq!(surname(0), ("佐藤".to_string(), "サトウ".to_string()));
        assert_eq!(
            surname(COMMON_SURNAMES.len() as u16),
            ("大田".to_string(), "オオタ".to_string())
        );
        let last = (surname_count() - 1) as u16;
        assert_eq!(surname(last), ("青青戸".to_string(), "アオアオト".to_string()));
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2);
        for _ in 0..1000 {
            assert!(usize::from(draw_surname(&mut rng, None)) < surname_count());
            assert!(usize::from(draw_given(&mut rng, true, 1940, None)) < given_count(true));
        }
    }

    #[test]
    fn a_narrow_pool_draws_only_the_first_names() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let surnames: std::collections::BTreeSet<u16> = (0..1000).map(|_| draw_surname(&mut rng, Some(3))).collect();
        assert_eq!(surnames, [0, 1, 2].into());
        let given: std::collections::BTreeSet<u16> =
            (0..1000).map(|_| draw_given(&mut rng, false, 1940, Some(2))).collect();
        assert_eq!(given, [0, 1].into());
        // A pool wider than a table is the table.
        assert!((0..1000).all(|_| usize::from(draw_given(&mut rng, true, 1940, Some(999))) < given_count(true)));
    }

    #[test]
    fn surnames_follow_the_published_rank_frequency_curve() {
        // Anchors are returned as published; between them, log–log interpolation (hand-computed).
        for &(rank, share) in SURNAME_SHARES {
            assert!((published_surname_share(rank) / share - 1.0).abs() < 1e-12, "{rank}");
        }
        assert!((published_surname_share(31) - 0.003_285_26).abs() < 1e-8);
        // Beyond rank 5,000 the 3,000→5,000 slope (−1.5823) goes on.
        assert!((published_surname_share(20_000) - 1.837_61e-6).abs() < 1e-10);
        let probabilities = surname_probabilities();
        assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(probabilities.windows(2).all(|pair| pair[0] >= pair[1]));
        // The pool's ranks hold almost all of the published mass, so normalising barely moves it.
        let held: f64 = (1..=surname_count() as u32).map(published_surname_share).sum();
        assert!((0.95..1.02).contains(&held), "{held}");
        // An independent figure: the top 100 hold 33.38 % in 明治安田生命's 2018 survey (the
        // anchors' source counts 0.2 points more in the top ten alone).
        let top_100: f64 = probabilities[..100].iter().sum();
        assert!((top_100 - 0.3338).abs() < 0.02, "{top_100}");
    }

    #[test]
    fn given_names_follow_the_birth_cohort() {
        let most_common = |female: bool, year: i32| {
            let probabilities = given_probabilities(female, year);
            assert!((probabilities.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            let best = (0..probabilities.len())
                .max_by(|&a, &b| probabilities[a].total_cmp(&probabilities[b]))
                .unwrap();
            given(best as u16, female).0
        };
        // The names ranked first in those birth years (明治安田生命, 生まれ年別名前ランキング).
        assert_eq!(most_common(true, 1938), "和子");
        assert_eq!(most_common(true, 1957), "恵子");
        assert_eq!(most_common(true, 1965), "由美子");
        assert_eq!(most_common(false, 1922), "清");
        assert_eq!(most_common(false, 1964), "誠");
    }

    /// Sex, birth date and kana name of many persons drawn as the generator draws them, against
    /// the number of coincidences (same sex, birth date and kana name) the distributions imply.
    #[test]
    fn coincidences_match_the_rate_the_distributions_imply() {
        use chrono::{Datelike, Duration, NaiveDate};
        use std::collections::HashMap;
        // Two million persons: about 1,600 coincidences expected, so ±8 % is over 3 standard deviations.
        const PERSONS: u64 = 2_000_000;
        const FEMALE_SHARE: f64 = 0.687;
        let first_day = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap();
        let days = (NaiveDate::from_ymd_opt(1950, 1, 1).unwrap() - first_day).num_days();

        // Kana is what collides: index each surname and given name by its kana.
        let mut kana_ids: HashMap<String, u32> = HashMap::new();
        let mut kana_id = |kana: &str| {
            let next = kana_ids.len() as u32;
            *kana_ids.entry(kana.to_string()).or_insert(next)
        };
        let surname_kana: Vec<u32> = (0..surname_count())
            .map(|index| kana_id(&surname(index as u16).1))
            .collect();
        let given_kana: [Vec<u32>; 2] = [false, true].map(|female| {
            (0..given_count(female))
                .map(|index| kana_id(&given(index as u16, female).1))
                .collect()
        });
        let sum_of_squares = |probabilities: &[f64], ids: &[u32]| {
            let mut by_kana: HashMap<u32, f64> = HashMap::new();
            for (probability, id) in probabilities.iter().zip(ids) {
                *by_kana.entry(*id).or_default() += probability;
            }
            by_kana.values().map(|p| p * p).sum::<f64>()
        };

        // Expected pairs: C(N, 2) · Σ over (sex, day) of P(sex, day)² · Σ p(surname kana)² · Σ p(given kana | sex, year)².
        let surname_collision = sum_of_squares(surname_probabilities(), &surname_kana);
        let mut per_pair = 0.0;
        for (female, share) in [(false, 1.0 - FEMALE_SHARE), (true, FEMALE_SHARE)] {
            for day in 0..days {
                let year = (first_day + Duration::days(day)).year();
                let given_collision =
                    sum_of_squares(&given_probabilities(female, year), &given_kana[usize::from(female)]);
                per_pair += (share / days as f64).powi(2) * surname_collision * given_collision;
            }
        }
        let expected = per_pair * (PERSONS * (PERSONS - 1) / 2) as f64;

        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let mut cells: HashMap<(bool, i64, u32, u32), u32> = HashMap::new();
        for _ in 0..PERSONS {
            let female = rng.random_bool(FEMALE_SHARE);
            let day = rng.random_range(0..days);
            let year = (first_day + Duration::days(day)).year();
            let surname_index = draw_surname(&mut rng, None);
            let given_index = draw_given(&mut rng, female, year, None);
            let key = (
                female,
                day,
                surname_kana[usize::from(surname_index)],
                given_kana[usize::from(female)][usize::from(given_index)],
            );
            *cells.entry(key).or_default() += 1;
        }
        let observed: u64 = cells.values().map(|&n| u64::from(n) * u64::from(n - 1) / 2).sum();
        let ratio = observed as f64 / expected;
        eprintln!("coincidences: observed {observed}, expected {expected:.1}");
        assert!(
            (0.92..1.08).contains(&ratio),
            "observed {observed} coincidences, expected {expected:.0}"
        );
    }

    /// The published magnitude the given-name tail is calibrated to: of 1,000,000 full names,
    /// 350,000 belong to someone with a namesake (domain reference §4.1). Kanji names of persons
    /// born 1925–1985, any birth date.
    #[test]
    fn a_third_of_a_million_names_have_a_namesake() {
        use std::collections::HashMap;
        const PERSONS: u32 = 1_000_000;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let mut names: HashMap<String, u32> = HashMap::new();
        for _ in 0..PERSONS {
            let female = rng.random_bool(0.5);
            let year = rng.random_range(1925..=1985);
            let name = NameId {
                surname: draw_surname(&mut rng, None),
                given: draw_given(&mut rng, female, year, None),
            };
            *names.entry(full_name(name, female).0).or_default() += 1;
        }
        let with_namesake: u32 = names.values().filter(|&&n| n > 1).sum();
        let share = f64::from(with_namesake) / f64::from(PERSONS);
        eprintln!("share of persons with a namesake: {share:.4}");
        assert!((0.30..0.40).contains(&share), "{share}");
    }
}
