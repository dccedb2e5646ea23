//! Insured-register changes (被保険者台帳 異動情報): one row per acquisition, loss or change of
//! an insured person's record at one insurer, with the identifying items.
//!
//! The synthetic register lists only insured persons who hold, or will hold, a certification in
//! the simulated period (the other ~30 million insured 65+ never appear in any other extract).
//! Reason codes are ours (the hub's list is not published): see [`REASONS`].

use chrono::NaiveDate;
use kaigo_codes::care_level::Sex;

use crate::{encoding::TextEncoding, flat::FlatExtract, layout::Shape, sensitive::Sensitive};

/// 異動区分: 1 取得 (acquisition) / 2 喪失 (loss) / 3 変更 (change).
pub mod event_kind {
    /// Acquisition.
    pub const ACQUISITION: &str = "1";
    /// Loss.
    pub const LOSS: &str = "2";
    /// Change of recorded items.
    pub const CHANGE: &str = "3";
}

/// The 異動事由 codes other crates act on (all of them: [`REASONS`]).
pub mod reason {
    /// 転入: moved in from another insurer.
    pub const MOVED_IN: &str = "02";
    /// 死亡: death.
    pub const DEATH: &str = "11";
    /// 転出: moved out to another insurer.
    pub const MOVED_OUT: &str = "12";
    /// その他変更: another change of the recorded items, among them a new insured number at the
    /// same insurer (registered under the new number).
    pub const OTHER_CHANGE: &str = "23";
}

/// 異動事由 codes: (code, event kind, Japanese, English).
pub const REASONS: [(&str, &str, &str, &str); 9] = [
    (
        "01",
        "1",
        "65歳到達・既存資格",
        "reached 65 or already insured at extract start",
    ),
    ("02", "1", "転入", "moved in"),
    ("03", "1", "第2号被保険者資格取得", "2nd-tier insured (40–64)"),
    ("11", "2", "死亡", "death"),
    ("12", "2", "転出", "moved out"),
    ("13", "2", "その他喪失", "other loss"),
    ("21", "3", "氏名変更", "name change"),
    ("22", "3", "住所変更（保険者内）", "address change within the insurer"),
    ("23", "3", "その他変更", "other change"),
];

/// The event kind ([`event_kind`]) of a reason code, if [`REASONS`] lists it.
pub fn event_kind_of(reason: &str) -> Option<&'static str> {
    REASONS
        .iter()
        .find(|(code, ..)| *code == reason)
        .map(|(_, kind, ..)| *kind)
}

crate::layout! {
    /// One register change.
    pub struct RegisterRecord {
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Event date.
        event_date: NaiveDate = ("異動年月日", "event date", Shape::Any),
        /// 1 取得 / 2 喪失 / 3 変更.
        event_kind: String = ("異動区分", "event kind", Shape::Digits(1)),
        /// Reason (see [`REASONS`]).
        reason: String = ("異動事由", "reason", Shape::Digits(2)),
        /// Name in kana.
        kana_name: Sensitive<String> = ("氏名カナ", "name (kana)", Shape::MaxChars(40)),
        /// Name in kanji.
        kanji_name: Sensitive<String> = ("氏名", "name", Shape::MaxChars(40)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別", "sex", Shape::Any),
        /// 1 第1号 / 2 第2号.
        tier: String = ("被保険者区分", "insured tier", Shape::Digits(1)),
        /// Municipality (local-government code, 6 digits).
        municipality_code: String = ("住所地市町村コード", "municipality code", Shape::Digits(6)),
    }
}

impl FlatExtract for RegisterRecord {
    const NAME: &'static str = "register";
    const ENCODING: TextEncoding = TextEncoding::Ms932;
    const TITLE_JA: &'static str = "被保険者台帳 異動情報";
    const TITLE_EN: &'static str = "Insured-register changes";
}
