//! The 47 prefectures (都道府県) in JIS X 0401 order: code 01 北海道 … 47 沖縄県.

use crate::CodeError;

/// One prefecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefecture {
    /// JIS X 0401 code, 1–47.
    pub code: u8,
    /// Name in Japanese, with its suffix (都/道/府/県).
    pub name_ja: &'static str,
    /// Name in English (Hepburn, without suffix).
    pub name_en: &'static str,
}

macro_rules! prefectures {
    ($(($code:literal, $ja:literal, $en:literal)),* $(,)?) => {
        /// All prefectures, index = code − 1.
        pub const PREFECTURES: [Prefecture; 47] = [$(Prefecture { code: $code, name_ja: $ja, name_en: $en }),*];
    };
}

prefectures![
    (1, "北海道", "Hokkaido"),
    (2, "青森県", "Aomori"),
    (3, "岩手県", "Iwate"),
    (4, "宮城県", "Miyagi"),
    (5, "秋田県", "Akita"),
    (6, "山形県", "Yamagata"),
    (7, "福島県", "Fukushima"),
    (8, "茨城県", "Ibaraki"),
    (9, "栃木県", "Tochigi"),
    (10, "群馬県", "Gunma"),
    (11, "埼玉県", "Saitama"),
    (12, "千葉県", "Chiba"),
    (13, "東京都", "Tokyo"),
    (14, "神奈川県", "Kanagawa"),
    (15, "新潟県", "Niigata"),
    (16, "富山県", "Toyama"),
    (17, "石川県", "Ishikawa"),
    (18, "福井県", "Fukui"),
    (19, "山梨県", "Yamanashi"),
    (20, "長野県", "Nagano"),
    (21, "岐阜県", "Gifu"),
    (22, "静岡県", "Shizuoka"),
    (23, "愛知県", "Aichi"),
    (24, "三重県", "Mie"),
    (25, "滋賀県", "Shiga"),
    (26, "京都府", "Kyoto"),
    (27, "大阪府", "Osaka"),
    (28, "兵庫県", "Hyogo"),
    (29, "奈良県", "Nara"),
    (30, "和歌山県", "Wakayama"),
    (31, "鳥取県", "Tottori"),
    (32, "島根県", "Shimane"),
    (33, "岡山県", "Okayama"),
    (34, "広島県", "Hiroshima"),
    (35, "山口県", "Yamaguchi"),
    (36, "徳島県", "Tokushima"),
    (37, "香川県", "Kagawa"),
    (38, "愛媛県", "Ehime"),
    (39, "高知県", "Kochi"),
    (40, "福岡県", "Fukuoka"),
    (41, "佐賀県", "Saga"),
    (42, "長崎県", "Nagasaki"),
    (43, "熊本県", "Kumamoto"),
    (44, "大分県", "Oita"),
    (45, "宮崎県", "Miyazaki"),
    (46, "鹿児島県", "Kagoshima"),
    (47, "沖縄県", "Okinawa"),
];

/// The prefecture with this JIS code.
pub fn by_code(code: u8) -> Result<&'static Prefecture, CodeError> {
    match code {
        1..=47 => Ok(&PREFECTURES[usize::from(code) - 1]),
        _ => Err(CodeError::Unknown {
            what: "prefecture code",
        }),
    }
}

/// The prefecture named by a two-digit code such as `"13"`.
pub fn parse(text: &str) -> Result<&'static Prefecture, CodeError> {
    if !crate::all_ascii_digits(text, 2) {
        return Err(CodeError::Shape {
            what: "prefecture code",
            expected: 2,
        });
    }
    by_code(text.parse().map_err(|_| CodeError::Unknown {
        what: "prefecture code",
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_in_jis_order() {
        for (index, prefecture) in PREFECTURES.iter().enumerate() {
            assert_eq!(usize::from(prefecture.code), index + 1);
        }
        assert_eq!(parse("13").unwrap().name_ja, "東京都");
        assert_eq!(parse("47").unwrap().name_en, "Okinawa");
        assert!(parse("48").is_err());
        assert!(parse("00").is_err());
        assert!(parse("1").is_err());
    }
}
