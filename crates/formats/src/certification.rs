//! Certification extract (要介護認定情報): one row per certification decision, with the
//! 74-item basic survey (認定調査票・基本調査), the two independence ratings, the attending
//! physician's opinion (主治医意見書), the primary (computer) and secondary (board) judgement and
//! the validity period. domain.md §2.3, §3.8–3.10.
//!
//! The hub's own layout for certification data is not published; this layout is ours, with the
//! items and code lists of the forms. MS932, header row of Japanese item names.

use chrono::NaiveDate;
use kaigo_codes::care_level::{CareLevel, Sex};

use crate::{encoding::TextEncoding, flat::FlatExtract, layout::Shape, sensitive::Sensitive};

/// The 74 basic-survey items (domain.md §3.8): item number, Japanese and English name, and the
/// number of answer codes (answers are 1…n; group 6 is 1 ない / 2 ある).
pub const SURVEY_ITEMS: [(&str, &str, &str, u8); 74] = [
    ("1-1", "麻痺等の有無（左上肢）", "paralysis: left arm", 2),
    ("1-1", "麻痺等の有無（右上肢）", "paralysis: right arm", 2),
    ("1-1", "麻痺等の有無（左下肢）", "paralysis: left leg", 2),
    ("1-1", "麻痺等の有無（右下肢）", "paralysis: right leg", 2),
    ("1-1", "麻痺等の有無（その他）", "paralysis: other", 2),
    ("1-2", "拘縮の有無（肩関節）", "contracture: shoulder", 2),
    ("1-2", "拘縮の有無（股関節）", "contracture: hip", 2),
    ("1-2", "拘縮の有無（膝関節）", "contracture: knee", 2),
    ("1-2", "拘縮の有無（その他）", "contracture: other", 2),
    ("1-3", "寝返り", "rolling over", 3),
    ("1-4", "起き上がり", "sitting up", 3),
    ("1-5", "座位保持", "keeping a sitting position", 4),
    ("1-6", "両足での立位保持", "standing on both feet", 3),
    ("1-7", "歩行", "walking", 3),
    ("1-8", "立ち上がり", "standing up", 3),
    ("1-9", "片足での立位", "standing on one foot", 3),
    ("1-10", "洗身", "washing the body", 4),
    ("1-11", "つめ切り", "nail clipping", 3),
    ("1-12", "視力", "eyesight", 5),
    ("1-13", "聴力", "hearing", 5),
    ("2-1", "移乗", "transfer", 4),
    ("2-2", "移動", "moving about", 4),
    ("2-3", "えん下", "swallowing", 3),
    ("2-4", "食事摂取", "eating", 4),
    ("2-5", "排尿", "urination", 4),
    ("2-6", "排便", "defecation", 4),
    ("2-7", "口腔清潔", "oral hygiene", 3),
    ("2-8", "洗顔", "face washing", 3),
    ("2-9", "整髪", "hair care", 3),
    ("2-10", "上衣の着脱", "putting on and taking off tops", 4),
    ("2-11", "ズボン等の着脱", "putting on and taking off trousers", 4),
    ("2-12", "外出頻度", "frequency of going out", 3),
    ("3-1", "意思の伝達", "communicating intentions", 4),
    ("3-2", "毎日の日課を理解", "understanding the daily routine", 2),
    ("3-3", "生年月日や年齢を言う", "stating birth date or age", 2),
    ("3-4", "短期記憶", "short-term memory", 2),
    ("3-5", "自分の名前を言う", "stating own name", 2),
    ("3-6", "今の季節を理解する", "knowing the season", 2),
    ("3-7", "場所の理解", "knowing the place", 2),
    ("3-8", "常時の徘徊", "constant wandering", 3),
    ("3-9", "外出すると戻れない", "cannot return when out", 3),
    ("4-1", "物を盗られたなどと被害的になる", "feels persecuted", 3),
    ("4-2", "作話", "confabulation", 3),
    (
        "4-3",
        "泣いたり笑ったりして感情が不安定になる",
        "emotional instability",
        3,
    ),
    ("4-4", "昼夜の逆転", "day-night reversal", 3),
    ("4-5", "しつこく同じ話をする", "repeats the same story", 3),
    ("4-6", "大声をだす", "shouting", 3),
    ("4-7", "介護に抵抗", "resisting care", 3),
    ("4-8", "落ち着きなし", "restlessness", 3),
    ("4-9", "一人で外に出たがり目が離せない", "wants to go out alone", 3),
    ("4-10", "収集癖", "collecting things", 3),
    ("4-11", "物や衣類を壊す", "breaking things", 3),
    ("4-12", "ひどい物忘れ", "severe forgetfulness", 3),
    ("4-13", "独り言・独り笑い", "talking or laughing alone", 3),
    ("4-14", "自分勝手に行動する", "acting selfishly", 3),
    ("4-15", "話がまとまらない", "incoherent talk", 3),
    ("5-1", "薬の内服", "taking medicine", 3),
    ("5-2", "金銭の管理", "managing money", 3),
    ("5-3", "日常の意思決定", "everyday decisions", 4),
    ("5-4", "集団への不適応", "maladjustment to groups", 3),
    ("5-5", "買い物", "shopping", 4),
    ("5-6", "簡単な調理", "simple cooking", 4),
    ("6", "点滴の管理", "drip infusion", 2),
    ("6", "中心静脈栄養", "central venous nutrition", 2),
    ("6", "透析", "dialysis", 2),
    ("6", "ストーマの処置", "stoma care", 2),
    ("6", "酸素療法", "oxygen therapy", 2),
    ("6", "レスピレーター", "respirator", 2),
    ("6", "気管切開の処置", "tracheostomy care", 2),
    ("6", "疼痛の看護", "pain nursing", 2),
    ("6", "経管栄養", "tube feeding", 2),
    ("6", "モニター測定", "monitoring", 2),
    ("6", "じょくそうの処置", "pressure ulcer care", 2),
    ("6", "カテーテル", "catheter", 2),
];

/// 障害高齢者の日常生活自立度（寝たきり度）, mildest first.
pub const BEDRIDDEN_RATINGS: [&str; 9] = ["自立", "J1", "J2", "A1", "A2", "B1", "B2", "C1", "C2"];
/// 認知症高齢者の日常生活自立度, mildest first.
pub const DEMENTIA_RATINGS: [&str; 8] = ["自立", "Ⅰ", "Ⅱa", "Ⅱb", "Ⅲa", "Ⅲb", "Ⅳ", "M"];

/// Application kind (申請区分).
pub mod application_kind {
    /// 新規申請 (new application).
    pub const NEW: &str = "1";
    /// 更新申請 (renewal).
    pub const RENEWAL: &str = "2";
    /// 区分変更申請 (change of level).
    pub const CHANGE: &str = "3";
}

crate::layout! {
    /// One certification decision.
    pub struct CertificationRecord {
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Insured number.
        insured_number: Sensitive<String> = ("被保険者番号", "insured number", Shape::Digits(10)),
        /// Name in kana.
        kana_name: Sensitive<String> = ("氏名カナ", "name (kana)", Shape::MaxChars(40)),
        /// Birth date.
        birth_date: Sensitive<NaiveDate> = ("生年月日", "birth date", Shape::Any),
        /// Sex.
        sex: Sex = ("性別", "sex", Shape::Any),
        /// Application date.
        application_date: NaiveDate = ("申請年月日", "application date", Shape::Any),
        /// 1 新規 / 2 更新 / 3 区分変更.
        application_kind: String = ("申請区分", "application kind", Shape::Digits(1)),
        /// Survey date.
        survey_date: NaiveDate = ("認定調査実施日", "survey date", Shape::Any),
        /// Survey 1-1: paralysis: left arm (1–2).
        survey_01: u8 = ("1-1 麻痺等の有無（左上肢）", "survey 1-1: paralysis: left arm", Shape::Digits(1)),
        /// Survey 1-1: paralysis: right arm (1–2).
        survey_02: u8 = ("1-1 麻痺等の有無（右上肢）", "survey 1-1: paralysis: right arm", Shape::Digits(1)),
        /// Survey 1-1: paralysis: left leg (1–2).
        survey_03: u8 = ("1-1 麻痺等の有無（左下肢）", "survey 1-1: paralysis: left leg", Shape::Digits(1)),
        /// Survey 1-1: paralysis: right leg (1–2).
        survey_04: u8 = ("1-1 麻痺等の有無（右下肢）", "survey 1-1: paralysis: right leg", Shape::Digits(1)),
        /// Survey 1-1: paralysis: other (1–2).
        survey_05: u8 = ("1-1 麻痺等の有無（その他）", "survey 1-1: paralysis: other", Shape::Digits(1)),
        /// Survey 1-2: contracture: shoulder (1–2).
        survey_06: u8 = ("1-2 拘縮の有無（肩関節）", "survey 1-2: contracture: shoulder", Shape::Digits(1)),
        /// Survey 1-2: contracture: hip (1–2).
        survey_07: u8 = ("1-2 拘縮の有無（股関節）", "survey 1-2: contracture: hip", Shape::Digits(1)),
        /// Survey 1-2: contracture: knee (1–2).
        survey_08: u8 = ("1-2 拘縮の有無（膝関節）", "survey 1-2: contracture: knee", Shape::Digits(1)),
        /// Survey 1-2: contracture: other (1–2).
        survey_09: u8 = ("1-2 拘縮の有無（その他）", "survey 1-2: contracture: other", Shape::Digits(1)),
        /// Survey 1-3: rolling over (1–3).
        survey_10: u8 = ("1-3 寝返り", "survey 1-3: rolling over", Shape::Digits(1)),
        /// Survey 1-4: sitting up (1–3).
        survey_11: u8 = ("1-4 起き上がり", "survey 1-4: sitting up", Shape::Digits(1)),
        /// Survey 1-5: keeping a sitting position (1–4).
        survey_12: u8 = ("1-5 座位保持", "survey 1-5: keeping a sitting position", Shape::Digits(1)),
        /// Survey 1-6: standing on both feet (1–3).
        survey_13: u8 = ("1-6 両足での立位保持", "survey 1-6: standing on both feet", Shape::Digits(1)),
        /// Survey 1-7: walking (1–3).
        survey_14: u8 = ("1-7 歩行", "survey 1-7: walking", Shape::Digits(1)),
        /// Survey 1-8: standing up (1–3).
        survey_15: u8 = ("1-8 立ち上がり", "survey 1-8: standing up", Shape::Digits(1)),
        /// Survey 1-9: standing on one foot (1–3).
        survey_16: u8 = ("1-9 片足での立位", "survey 1-9: standing on one foot", Shape::Digits(1)),
        /// Survey 1-10: washing the body (1–4).
        survey_17: u8 = ("1-10 洗身", "survey 1-10: washing the body", Shape::Digits(1)),
        /// Survey 1-11: nail clipping (1–3).
        survey_18: u8 = ("1-11 つめ切り", "survey 1-11: nail clipping", Shape::Digits(1)),
        /// Survey 1-12: eyesight (1–5).
        survey_19: u8 = ("1-12 視力", "survey 1-12: eyesight", Shape::Digits(1)),
        /// Survey 1-13: hearing (1–5).
        survey_20: u8 = ("1-13 聴力", "survey 1-13: hearing", Shape::Digits(1)),
        /// Survey 2-1: transfer (1–4).
        survey_21: u8 = ("2-1 移乗", "survey 2-1: transfer", Shape::Digits(1)),
        /// Survey 2-2: moving about (1–4).
        survey_22: u8 = ("2-2 移動", "survey 2-2: moving about", Shape::Digits(1)),
        /// Survey 2-3: swallowing (1–3).
        survey_23: u8 = ("2-3 えん下", "survey 2-3: swallowing", Shape::Digits(1)),
        /// Survey 2-4: eating (1–4).
        survey_24: u8 = ("2-4 食事摂取", "survey 2-4: eating", Shape::Digits(1)),
        /// Survey 2-5: urination (1–4).
        survey_25: u8 = ("2-5 排尿", "survey 2-5: urination", Shape::Digits(1)),
        /// Survey 2-6: defecation (1–4).
        survey_26: u8 = ("2-6 排便", "survey 2-6: defecation", Shape::Digits(1)),
        /// Survey 2-7: oral hygiene (1–3).
        survey_27: u8 = ("2-7 口腔清潔", "survey 2-7: oral hygiene", Shape::Digits(1)),
        /// Survey 2-8: face washing (1–3).
        survey_28: u8 = ("2-8 洗顔", "survey 2-8: face washing", Shape::Digits(1)),
        /// Survey 2-9: hair care (1–3).
        survey_29: u8 = ("2-9 整髪", "survey 2-9: hair care", Shape::Digits(1)),
        /// Survey 2-10: putting on and taking off tops (1–4).
        survey_30: u8 = ("2-10 上衣の着脱", "survey 2-10: putting on and taking off tops", Shape::Digits(1)),
        /// Survey 2-11: putting on and taking off trousers (1–4).
        survey_31: u8 = ("2-11 ズボン等の着脱", "survey 2-11: putting on and taking off trousers", Shape::Digits(1)),
        /// Survey 2-12: frequency of going out (1–3).
        survey_32: u8 = ("2-12 外出頻度", "survey 2-12: frequency of going out", Shape::Digits(1)),
        /// Survey 3-1: communicating intentions (1–4).
        survey_33: u8 = ("3-1 意思の伝達", "survey 3-1: communicating intentions", Shape::Digits(1)),
        /// Survey 3-2: understanding the daily routine (1–2).
        survey_34: u8 = ("3-2 毎日の日課を理解", "survey 3-2: understanding the daily routine", Shape::Digits(1)),
        /// Survey 3-3: stating birth date or age (1–2).
        survey_35: u8 = ("3-3 生年月日や年齢を言う", "survey 3-3: stating birth date or age", Shape::Digits(1)),
        /// Survey 3-4: short-term memory (1–2).
        survey_36: u8 = ("3-4 短期記憶", "survey 3-4: short-term memory", Shape::Digits(1)),
        /// Survey 3-5: stating own name (1–2).
        survey_37: u8 = ("3-5 自分の名前を言う", "survey 3-5: stating own name", Shape::Digits(1)),
        /// Survey 3-6: knowing the season (1–2).
        survey_38: u8 = ("3-6 今の季節を理解する", "survey 3-6: knowing the season", Shape::Digits(1)),
        /// Survey 3-7: knowing the place (1–2).
        survey_39: u8 = ("3-7 場所の理解", "survey 3-7: knowing the place", Shape::Digits(1)),
        /// Survey 3-8: constant wandering (1–3).
        survey_40: u8 = ("3-8 常時の徘徊", "survey 3-8: constant wandering", Shape::Digits(1)),
        /// Survey 3-9: cannot return when out (1–3).
        survey_41: u8 = ("3-9 外出すると戻れない", "survey 3-9: cannot return when out", Shape::Digits(1)),
        /// Survey 4-1: feels persecuted (1–3).
        survey_42: u8 = ("4-1 物を盗られたなどと被害的になる", "survey 4-1: feels persecuted", Shape::Digits(1)),
        /// Survey 4-2: confabulation (1–3).
        survey_43: u8 = ("4-2 作話", "survey 4-2: confabulation", Shape::Digits(1)),
        /// Survey 4-3: emotional instability (1–3).
        survey_44: u8 = ("4-3 泣いたり笑ったりして感情が不安定になる", "survey 4-3: emotional instability", Shape::Digits(1)),
        /// Survey 4-4: day-night reversal (1–3).
        survey_45: u8 = ("4-4 昼夜の逆転", "survey 4-4: day-night reversal", Shape::Digits(1)),
        /// Survey 4-5: repeats the same story (1–3).
        survey_46: u8 = ("4-5 しつこく同じ話をする", "survey 4-5: repeats the same story", Shape::Digits(1)),
        /// Survey 4-6: shouting (1–3).
        survey_47: u8 = ("4-6 大声をだす", "survey 4-6: shouting", Shape::Digits(1)),
        /// Survey 4-7: resisting care (1–3).
        survey_48: u8 = ("4-7 介護に抵抗", "survey 4-7: resisting care", Shape::Digits(1)),
        /// Survey 4-8: restlessness (1–3).
        survey_49: u8 = ("4-8 落ち着きなし", "survey 4-8: restlessness", Shape::Digits(1)),
        /// Survey 4-9: wants to go out alone (1–3).
        survey_50: u8 = ("4-9 一人で外に出たがり目が離せない", "survey 4-9: wants to go out alone", Shape::Digits(1)),
        /// Survey 4-10: collecting things (1–3).
        survey_51: u8 = ("4-10 収集癖", "survey 4-10: collecting things", Shape::Digits(1)),
        /// Survey 4-11: breaking things (1–3).
        survey_52: u8 = ("4-11 物や衣類を壊す", "survey 4-11: breaking things", Shape::Digits(1)),
        /// Survey 4-12: severe forgetfulness (1–3).
        survey_53: u8 = ("4-12 ひどい物忘れ", "survey 4-12: severe forgetfulness", Shape::Digits(1)),
        /// Survey 4-13: talking or laughing alone (1–3).
        survey_54: u8 = ("4-13 独り言・独り笑い", "survey 4-13: talking or laughing alone", Shape::Digits(1)),
        /// Survey 4-14: acting selfishly (1–3).
        survey_55: u8 = ("4-14 自分勝手に行動する", "survey 4-14: acting selfishly", Shape::Digits(1)),
        /// Survey 4-15: incoherent talk (1–3).
        survey_56: u8 = ("4-15 話がまとまらない", "survey 4-15: incoherent talk", Shape::Digits(1)),
        /// Survey 5-1: taking medicine (1–3).
        survey_57: u8 = ("5-1 薬の内服", "survey 5-1: taking medicine", Shape::Digits(1)),
        /// Survey 5-2: managing money (1–3).
        survey_58: u8 = ("5-2 金銭の管理", "survey 5-2: managing money", Shape::Digits(1)),
        /// Survey 5-3: everyday decisions (1–4).
        survey_59: u8 = ("5-3 日常の意思決定", "survey 5-3: everyday decisions", Shape::Digits(1)),
        /// Survey 5-4: maladjustment to groups (1–3).
        survey_60: u8 = ("5-4 集団への不適応", "survey 5-4: maladjustment to groups", Shape::Digits(1)),
        /// Survey 5-5: shopping (1–4).
        survey_61: u8 = ("5-5 買い物", "survey 5-5: shopping", Shape::Digits(1)),
        /// Survey 5-6: simple cooking (1–4).
        survey_62: u8 = ("5-6 簡単な調理", "survey 5-6: simple cooking", Shape::Digits(1)),
        /// Survey 6: drip infusion (1–2).
        survey_63: u8 = ("6 点滴の管理", "survey 6: drip infusion", Shape::Digits(1)),
        /// Survey 6: central venous nutrition (1–2).
        survey_64: u8 = ("6 中心静脈栄養", "survey 6: central venous nutrition", Shape::Digits(1)),
        /// Survey 6: dialysis (1–2).
        survey_65: u8 = ("6 透析", "survey 6: dialysis", Shape::Digits(1)),
        /// Survey 6: stoma care (1–2).
        survey_66: u8 = ("6 ストーマの処置", "survey 6: stoma care", Shape::Digits(1)),
        /// Survey 6: oxygen therapy (1–2).
        survey_67: u8 = ("6 酸素療法", "survey 6: oxygen therapy", Shape::Digits(1)),
        /// Survey 6: respirator (1–2).
        survey_68: u8 = ("6 レスピレーター", "survey 6: respirator", Shape::Digits(1)),
        /// Survey 6: tracheostomy care (1–2).
        survey_69: u8 = ("6 気管切開の処置", "survey 6: tracheostomy care", Shape::Digits(1)),
        /// Survey 6: pain nursing (1–2).
        survey_70: u8 = ("6 疼痛の看護", "survey 6: pain nursing", Shape::Digits(1)),
        /// Survey 6: tube feeding (1–2).
        survey_71: u8 = ("6 経管栄養", "survey 6: tube feeding", Shape::Digits(1)),
        /// Survey 6: monitoring (1–2).
        survey_72: u8 = ("6 モニター測定", "survey 6: monitoring", Shape::Digits(1)),
        /// Survey 6: pressure ulcer care (1–2).
        survey_73: u8 = ("6 じょくそうの処置", "survey 6: pressure ulcer care", Shape::Digits(1)),
        /// Survey 6: catheter (1–2).
        survey_74: u8 = ("6 カテーテル", "survey 6: catheter", Shape::Digits(1)),
        /// 7-1 障害高齢者の日常生活自立度 (surveyor).
        bedridden_rating: String = ("障害高齢者の日常生活自立度（調査）", "bedridden rating (survey)", Shape::MaxChars(2)),
        /// 7-2 認知症高齢者の日常生活自立度 (surveyor).
        dementia_rating: String = ("認知症高齢者の日常生活自立度（調査）", "dementia rating (survey)", Shape::MaxChars(2)),
        /// Date of the physician's opinion.
        opinion_date: NaiveDate = ("意見書記入日", "opinion date", Shape::Any),
        /// Medical institution that wrote the opinion.
        medical_institution: String = ("医療機関番号", "medical institution number", Shape::Digits(10)),
        /// Whether the opinion was sent electronically through the hub.
        opinion_electronic: bool = ("意見書電子送付", "opinion sent electronically", Shape::Any),
        /// Main diagnosis (ICD-10 code).
        diagnosis: Option<String> = ("診断名（ICD-10）", "diagnosis (ICD-10)", Shape::MaxChars(5)),
        /// 1 安定 / 2 不安定 / 3 不明.
        stability: String = ("症状としての安定性", "stability of symptoms", Shape::Digits(1)),
        /// 特定疾病 number 1–16 (2nd-tier insured only).
        specified_disease: Option<u8> = ("特定疾病", "specified disease (2nd tier)", Shape::Any),
        /// Bedridden rating (physician).
        opinion_bedridden_rating: String = ("障害高齢者の日常生活自立度（意見書）", "bedridden rating (opinion)", Shape::MaxChars(2)),
        /// Dementia rating (physician).
        opinion_dementia_rating: String = ("認知症高齢者の日常生活自立度（意見書）", "dementia rating (opinion)", Shape::MaxChars(2)),
        /// Short-term memory: 1 問題なし / 2 問題あり.
        short_term_memory: u8 = ("短期記憶（意見書）", "short-term memory (opinion)", Shape::Digits(1)),
        /// Cognitive ability for decisions: 1 自立 … 4 判断できない.
        decision_ability: u8 = ("日常の意思決定を行うための認知能力", "decision-making ability", Shape::Digits(1)),
        /// Ability to communicate: 1 伝えられる … 4 伝えられない.
        communication: u8 = ("自分の意思の伝達能力", "ability to communicate", Shape::Digits(1)),
        /// Height in cm.
        height_cm: Option<u16> = ("身長（cm）", "height (cm)", Shape::Any),
        /// Weight in kg.
        weight_kg: Option<u16> = ("体重（kg）", "weight (kg)", Shape::Any),
        /// 要介護認定等基準時間 in tenths of a minute.
        base_time_tenths: u32 = ("要介護認定等基準時間（0.1分）", "care-need base time (0.1 min)", Shape::Any),
        /// Intermediate score, group 1 (身体機能・起居動作).
        group1_score: u8 = ("中間評価項目得点第1群", "intermediate score group 1", Shape::Any),
        /// Intermediate score, group 2 (生活機能).
        group2_score: u8 = ("中間評価項目得点第2群", "intermediate score group 2", Shape::Any),
        /// Intermediate score, group 3 (認知機能).
        group3_score: u8 = ("中間評価項目得点第3群", "intermediate score group 3", Shape::Any),
        /// Intermediate score, group 4 (精神・行動障害).
        group4_score: u8 = ("中間評価項目得点第4群", "intermediate score group 4", Shape::Any),
        /// Intermediate score, group 5 (社会生活への適応).
        group5_score: u8 = ("中間評価項目得点第5群", "intermediate score group 5", Shape::Any),
        /// Primary (computer) judgement.
        primary_level: CareLevel = ("一次判定結果", "primary judgement", Shape::Any),
        /// Board meeting date.
        board_date: NaiveDate = ("認定審査会開催日", "board date", Shape::Any),
        /// Secondary (board) judgement: the certified level.
        secondary_level: CareLevel = ("二次判定結果", "secondary judgement (certified level)", Shape::Any),
        /// Validity start (non-eligible decisions carry none).
        validity_start: Option<NaiveDate> = ("認定有効期間開始年月日", "valid from", Shape::Any),
        /// Validity end.
        validity_end: Option<NaiveDate> = ("認定有効期間終了年月日", "valid to", Shape::Any),
    }
}

impl CertificationRecord {
    /// The 74 survey answers in item order.
    pub fn survey_answers(&self) -> [u8; 74] {
        [
            self.survey_01,
            self.survey_02,
            self.survey_03,
            self.survey_04,
            self.survey_05,
            self.survey_06,
            self.survey_07,
            self.survey_08,
            self.survey_09,
            self.survey_10,
            self.survey_11,
            self.survey_12,
            self.survey_13,
            self.survey_14,
            self.survey_15,
            self.survey_16,
            self.survey_17,
            self.survey_18,
            self.survey_19,
            self.survey_20,
            self.survey_21,
            self.survey_22,
            self.survey_23,
            self.survey_24,
            self.survey_25,
            self.survey_26,
            self.survey_27,
            self.survey_28,
            self.survey_29,
            self.survey_30,
            self.survey_31,
            self.survey_32,
            self.survey_33,
            self.survey_34,
            self.survey_35,
            self.survey_36,
            self.survey_37,
            self.survey_38,
            self.survey_39,
            self.survey_40,
            self.survey_41,
            self.survey_42,
            self.survey_43,
            self.survey_44,
            self.survey_45,
            self.survey_46,
            self.survey_47,
            self.survey_48,
            self.survey_49,
            self.survey_50,
            self.survey_51,
            self.survey_52,
            self.survey_53,
            self.survey_54,
            self.survey_55,
            self.survey_56,
            self.survey_57,
            self.survey_58,
            self.survey_59,
            self.survey_60,
            self.survey_61,
            self.survey_62,
            self.survey_63,
            self.survey_64,
            self.survey_65,
            self.survey_66,
            self.survey_67,
            self.survey_68,
            self.survey_69,
            self.survey_70,
            self.survey_71,
            self.survey_72,
            self.survey_73,
            self.survey_74,
        ]
    }

    /// Set the 74 survey answers in item order.
    pub fn set_survey_answers(&mut self, answers: [u8; 74]) {
        self.survey_01 = answers[0];
        self.survey_02 = answers[1];
        self.survey_03 = answers[2];
        self.survey_04 = answers[3];
        self.survey_05 = answers[4];
        self.survey_06 = answers[5];
        self.survey_07 = answers[6];
        self.survey_08 = answers[7];
        self.survey_09 = answers[8];
        self.survey_10 = answers[9];
        self.survey_11 = answers[10];
        self.survey_12 = answers[11];
        self.survey_13 = answers[12];
        self.survey_14 = answers[13];
        self.survey_15 = answers[14];
        self.survey_16 = answers[15];
        self.survey_17 = answers[16];
        self.survey_18 = answers[17];
        self.survey_19 = answers[18];
        self.survey_20 = answers[19];
        self.survey_21 = answers[20];
        self.survey_22 = answers[21];
        self.survey_23 = answers[22];
        self.survey_24 = answers[23];
        self.survey_25 = answers[24];
        self.survey_26 = answers[25];
        self.survey_27 = answers[26];
        self.survey_28 = answers[27];
        self.survey_29 = answers[28];
        self.survey_30 = answers[29];
        self.survey_31 = answers[30];
        self.survey_32 = answers[31];
        self.survey_33 = answers[32];
        self.survey_34 = answers[33];
        self.survey_35 = answers[34];
        self.survey_36 = answers[35];
        self.survey_37 = answers[36];
        self.survey_38 = answers[37];
        self.survey_39 = answers[38];
        self.survey_40 = answers[39];
        self.survey_41 = answers[40];
        self.survey_42 = answers[41];
        self.survey_43 = answers[42];
        self.survey_44 = answers[43];
        self.survey_45 = answers[44];
        self.survey_46 = answers[45];
        self.survey_47 = answers[46];
        self.survey_48 = answers[47];
        self.survey_49 = answers[48];
        self.survey_50 = answers[49];
        self.survey_51 = answers[50];
        self.survey_52 = answers[51];
        self.survey_53 = answers[52];
        self.survey_54 = answers[53];
        self.survey_55 = answers[54];
        self.survey_56 = answers[55];
        self.survey_57 = answers[56];
        self.survey_58 = answers[57];
        self.survey_59 = answers[58];
        self.survey_60 = answers[59];
        self.survey_61 = answers[60];
        self.survey_62 = answers[61];
        self.survey_63 = answers[62];
        self.survey_64 = answers[63];
        self.survey_65 = answers[64];
        self.survey_66 = answers[65];
        self.survey_67 = answers[66];
        self.survey_68 = answers[67];
        self.survey_69 = answers[68];
        self.survey_70 = answers[69];
        self.survey_71 = answers[70];
        self.survey_72 = answers[71];
        self.survey_73 = answers[72];
        self.survey_74 = answers[73];
    }
}

impl FlatExtract for CertificationRecord {
    const NAME: &'static str = "certification";
    const ENCODING: TextEncoding = TextEncoding::Ms932;
    const TITLE_JA: &'static str = "要介護認定情報（認定調査票・主治医意見書・判定結果）";
    const TITLE_EN: &'static str = "Care-need certification (survey, physician's opinion, judgement)";
}
