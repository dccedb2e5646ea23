//! Registries delivered with every drop: insurers with their roll-out status, providers with
//! their hub onboarding, and per provider-month consent and record-view counts.
//! domain.md §1.4–1.6, §2.1, §2.5, §3.5. Layouts are ours; MS932 with a header row.

use chrono::NaiveDate;
use kaigo_codes::calendar::YearMonth;

use crate::{encoding::TextEncoding, flat::FlatExtract, layout::Shape};

/// 保険者規模区分 (size class).
pub const SIZE_CLASSES: [(&str, &str, &str); 4] = [
    ("1", "政令市・特別区", "designated city or Tokyo special ward"),
    ("2", "中核市", "core city"),
    ("3", "その他市町村", "other municipality"),
    ("4", "広域連合・一部事務組合", "joint insurer"),
];

/// 利用開始状況 (roll-out status).
pub const STATUSES: [(&str, &str, &str); 3] = [
    ("1", "確定", "date confirmed"),
    ("2", "日程調整中", "date being arranged"),
    ("3", "未定", "not yet arranged"),
];

crate::layout! {
    /// One insurer in the registry, as known in the delivery month.
    pub struct InsurerRecord {
        /// Insurer number.
        insurer_number: String = ("保険者番号", "insurer number", Shape::Digits(6)),
        /// Local-government code (for joint insurers, the lead member's).
        local_government_code: String = ("地方公共団体コード", "local-government code", Shape::Digits(6)),
        /// Prefecture code.
        prefecture_code: String = ("都道府県コード", "prefecture code", Shape::Digits(2)),
        /// Name.
        name: String = ("保険者名", "insurer name", Shape::MaxChars(40)),
        /// Size class (see [`SIZE_CLASSES`]).
        size_class: String = ("規模区分", "size class", Shape::Digits(1)),
        /// Member municipalities (1 unless joint).
        member_municipalities: u16 = ("構成市町村数", "member municipalities", Shape::Any),
        /// Population aged 65+.
        population_65_plus: u32 = ("第1号被保険者数", "1st-tier insured (65+)", Shape::Any),
        /// Population aged 40–64.
        population_40_64: u32 = ("第2号被保険者数", "2nd-tier insured (40–64)", Shape::Any),
        /// Area grade 1–8 (8 = その他).
        area_grade: u8 = ("地域区分", "area grade", Shape::Any),
        /// Fiscal year in which the standard-compliant system is (planned to be) complete.
        standardisation_fiscal_year: Option<u16> = ("標準化対応完了予定年度", "standardisation fiscal year", Shape::Any),
        /// Planned platform start date.
        planned_start_date: Option<NaiveDate> = ("利用開始予定日", "planned start date", Shape::Any),
        /// Actual platform start date (once live).
        start_date: Option<NaiveDate> = ("利用開始日", "start date", Shape::Any),
        /// Status (see [`STATUSES`]).
        status: String = ("利用開始状況", "roll-out status", Shape::Digits(1)),
        /// Month the row describes.
        as_of: YearMonth = ("基準年月", "as of", Shape::Any),
    }
}

impl FlatExtract for InsurerRecord {
    const NAME: &'static str = "insurers";
    const ENCODING: TextEncoding = TextEncoding::Ms932;
    const TITLE_JA: &'static str = "保険者一覧（介護情報基盤 利用開始状況）";
    const TITLE_EN: &'static str = "Insurer registry with roll-out status";
}

crate::layout! {
    /// One provider (事業所) with its hub onboarding.
    pub struct ProviderRecord {
        /// Provider number.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Name.
        name: String = ("事業所名", "provider name", Shape::MaxChars(60)),
        /// Insurer whose area the provider is in.
        insurer_number: String = ("所在地保険者番号", "insurer area", Shape::Digits(6)),
        /// Service kinds offered, `;`-separated.
        service_kinds: String = ("サービス種類", "service kinds", Shape::MaxChars(60)),
        /// Area grade 1–8.
        area_grade: u8 = ("地域区分", "area grade", Shape::Any),
        /// Capacity (beds or places), if any.
        capacity: Option<u32> = ("定員", "capacity", Shape::Any),
        /// Whether this is a medical institution (writes physician's opinions).
        is_medical_institution: bool = ("医療機関", "medical institution", Shape::Any),
        /// Registered on the hub portal.
        portal_registered_on: Option<NaiveDate> = ("ポータル登録日", "portal registered on", Shape::Any),
        /// Client certificate installed.
        client_certificate_on: Option<NaiveDate> = ("クライアント証明書設定日", "client certificate on", Shape::Any),
        /// Card reader set up.
        card_reader_on: Option<NaiveDate> = ("カードリーダー設定日", "card reader on", Shape::Any),
        /// Set-up subsidy granted (yen).
        subsidy_yen: Option<u32> = ("補助金交付額", "subsidy granted (yen)", Shape::Any),
        /// Medical institutions: sends physician's opinions electronically since.
        opinion_electronic_since: Option<NaiveDate> = ("意見書電子送付開始日", "opinions sent electronically since", Shape::Any),
    }
}

impl FlatExtract for ProviderRecord {
    const NAME: &'static str = "providers";
    const ENCODING: TextEncoding = TextEncoding::Ms932;
    const TITLE_JA: &'static str = "事業所一覧（介護情報基盤 利用登録状況）";
    const TITLE_EN: &'static str = "Provider registry with hub onboarding";
}

crate::layout! {
    /// Hub use by one provider in one month.
    pub struct ProviderActivityRecord {
        /// Month.
        month: YearMonth = ("対象年月", "month", Shape::Any),
        /// Provider number.
        provider_number: String = ("事業所番号", "provider number", Shape::Digits(10)),
        /// Users served this month.
        users: u32 = ("利用者数", "users", Shape::Any),
        /// Users whose consent to view is registered.
        users_with_consent: u32 = ("閲覧同意登録者数", "users with consent", Shape::Any),
        /// Record views through the hub.
        record_views: u32 = ("閲覧件数", "record views", Shape::Any),
    }
}

impl FlatExtract for ProviderActivityRecord {
    const NAME: &'static str = "provider_activity";
    const ENCODING: TextEncoding = TextEncoding::Ms932;
    const TITLE_JA: &'static str = "事業所別 閲覧同意・閲覧状況";
    const TITLE_EN: &'static str = "Provider consent and record views per month";
}
