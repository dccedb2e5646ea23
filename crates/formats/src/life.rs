//! LIFE assessment extract (科学的介護情報システム, domain.md §3.11): one row per assessment of one
//! user by one provider, with the Barthel Index items, Vitality Index, DBD13, height, weight,
//! oral items, evaluation point and the service-end reason.
//!
//! The official LIFE CSV specification was not found; this layout is ours, with the items of
//! the 2021 form "科学的介護推進に関する評価". LIFE is a web system, so the extract is UTF-8.

use chrono::NaiveDate;
use kaigo_codes::care_level::{CareLevel, Sex};

use crate::{encoding::TextEncoding, flat::FlatExtract, layout::Shape, sensitive::Sensitive};

/// Barthel Index items with their maximum score; each is scored in steps of 5 from 0.
pub const BARTHEL_ITEMS: [(&str, &str, u8); 10] = [
    ("食事", "feeding", 10),
    ("椅子とベッド間の移乗", "transfer", 15),
    ("整容", "grooming", 5),
    ("トイレ動作", "toilet use", 10),
    ("入浴", "bathing", 5),
    ("平地歩行", "walking", 15),
    ("階段昇降", "stairs", 10),
    ("更衣", "dressing", 10),
    ("排便コントロール", "bowel control", 10),
    ("排尿コントロール", "bladder control", 10),
];

/// 評価時点: 1 サービス利用開始時 / 2 サービス利用中 / 3 サービス利用終了時.
pub mod evaluation_point {
    /// At the start of service.
    pub const START: &str = "1";
    /// During service.
    pub const DURING: &str = "2";
    /// At the end of service.
    pub const END: &str = "3";
}

/// 終了理由 codes (our numbering of the form's list).
pub const END_REASONS: [(&str, &str, &str); 8] = [
    ("1", "居宅サービスの利用", "moved to in-home services"),
    ("2", "介護老人福祉施設入所", "admitted to a welfare facility"),
    ("3", "介護老人保健施設入所", "admitted to a health facility"),
    ("4", "介護医療院入所", "admitted to a care-medical institution"),
    ("5", "医療機関入院", "admitted to hospital"),
    ("6", "死亡", "died"),
    ("7", "介護サービス利用をしなくなった", "stopped using care services"),
    ("8", "その他", "other"),
];

crate::layout! {
    /// One LIFE assessment.
    pub struct LifeRecord {
        /// Submitting provider.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Name (kanji).
        name: Sensitive<String> = ("氏名", "name", Shape::MaxChars(40)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別", "sex", Shape::Any),
        /// Care level.
        care_level: CareLevel = ("要介護度", "care level", Shape::Any),
        /// Bedridden rating.
        bedridden_rating: String = ("障害高齢者の日常生活自立度", "bedridden rating", Shape::MaxChars(2)),
        /// Dementia rating.
        dementia_rating: String = ("認知症高齢者の日常生活自立度", "dementia rating", Shape::MaxChars(2)),
        /// Evaluation date.
        evaluation_date: NaiveDate = ("評価日", "evaluation date", Shape::Any),
        /// 1 開始時 / 2 利用中 / 3 終了時.
        evaluation_point: String = ("評価時点", "evaluation point", Shape::Digits(1)),
        /// Barthel: feeding (0/5/10).
        barthel_feeding: u8 = ("ADL食事", "Barthel: feeding", Shape::Any),
        /// Barthel: transfer (0/5/10/15).
        barthel_transfer: u8 = ("ADL椅子とベッド間の移乗", "Barthel: transfer", Shape::Any),
        /// Barthel: grooming (0/5).
        barthel_grooming: u8 = ("ADL整容", "Barthel: grooming", Shape::Any),
        /// Barthel: toilet use (0/5/10).
        barthel_toilet: u8 = ("ADLトイレ動作", "Barthel: toilet use", Shape::Any),
        /// Barthel: bathing (0/5).
        barthel_bathing: u8 = ("ADL入浴", "Barthel: bathing", Shape::Any),
        /// Barthel: walking (0/5/10/15).
        barthel_walking: u8 = ("ADL平地歩行", "Barthel: walking", Shape::Any),
        /// Barthel: stairs (0/5/10).
        barthel_stairs: u8 = ("ADL階段昇降", "Barthel: stairs", Shape::Any),
        /// Barthel: dressing (0/5/10).
        barthel_dressing: u8 = ("ADL更衣", "Barthel: dressing", Shape::Any),
        /// Barthel: bowel control (0/5/10).
        barthel_bowel: u8 = ("ADL排便コントロール", "Barthel: bowel control", Shape::Any),
        /// Barthel: bladder control (0/5/10).
        barthel_bladder: u8 = ("ADL排尿コントロール", "Barthel: bladder control", Shape::Any),
        /// Barthel total 0–100.
        barthel_total: u8 = ("ADL合計", "Barthel total", Shape::Any),
        /// Vitality: waking (0–2).
        vitality_waking: u8 = ("VI起床", "Vitality: waking", Shape::Any),
        /// Vitality: communication (0–2).
        vitality_communication: u8 = ("VI意思疎通", "Vitality: communication", Shape::Any),
        /// Vitality: eating (0–2).
        vitality_eating: u8 = ("VI食事", "Vitality: eating", Shape::Any),
        /// Vitality: excretion (0–2).
        vitality_excretion: u8 = ("VI排泄", "Vitality: excretion", Shape::Any),
        /// Vitality: rehabilitation and activity (0–2).
        vitality_activity: u8 = ("VIリハビリ・活動", "Vitality: activity", Shape::Any),
        /// Vitality total 0–10.
        vitality_total: u8 = ("VI合計", "Vitality total", Shape::Any),
        /// DBD13 total 0–52 (13 items × 0–4).
        dbd13_total: u8 = ("DBD13合計", "DBD13 total", Shape::Any),
        /// Height in 0.1 cm.
        height_mm: Option<u16> = ("身長（mm）", "height (mm)", Shape::Any),
        /// Weight in 0.1 kg.
        weight_hg: Option<u16> = ("体重（0.1kg）", "weight (0.1 kg)", Shape::Any),
        /// Uses dentures.
        denture: bool = ("義歯の使用", "uses dentures", Shape::Any),
        /// Chokes when eating.
        choking: bool = ("むせ", "choking", Shape::Any),
        /// Dirty teeth.
        dirty_teeth: bool = ("歯の汚れ", "dirty teeth", Shape::Any),
        /// Swollen or bleeding gums.
        gum_bleeding: bool = ("歯肉の腫れ・出血", "swollen or bleeding gums", Shape::Any),
        /// Emergency hospital admission date, if any.
        emergency_admission_date: Option<NaiveDate> = ("緊急入院日", "emergency admission date", Shape::Any),
        /// Service end date.
        end_date: Option<NaiveDate> = ("終了日", "service end date", Shape::Any),
        /// Service end reason (see [`END_REASONS`]).
        end_reason: Option<String> = ("終了理由", "service end reason", Shape::Digits(1)),
    }
}

impl LifeRecord {
    /// The ten Barthel item scores in [`BARTHEL_ITEMS`] order.
    pub fn barthel_items(&self) -> [u8; 10] {
        [
            self.barthel_feeding,
            self.barthel_transfer,
            self.barthel_grooming,
            self.barthel_toilet,
            self.barthel_bathing,
            self.barthel_walking,
            self.barthel_stairs,
            self.barthel_dressing,
            self.barthel_bowel,
            self.barthel_bladder,
        ]
    }
}

impl FlatExtract for LifeRecord {
    const NAME: &'static str = "life";
    const ENCODING: TextEncoding = TextEncoding::Utf8;
    const TITLE_JA: &'static str = "LIFE 科学的介護推進に関する評価";
    const TITLE_EN: &'static str = "LIFE assessments";
}
