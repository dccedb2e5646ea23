//! Months, fiscal years (年度, April–March) and Japanese eras (和暦).
//!
//! Era boundaries (first day of each era): 明治 1868-01-25 (as used for civil dates; year 1 is
//! 1868), 大正 1912-07-30, 昭和 1926-12-25, 平成 1989-01-08, 令和 2019-05-01. Japanese systems write
//! era dates as `GYYMMDD` with the era number G = 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.

use chrono::{Datelike, NaiveDate};

use crate::CodeError;

/// A calendar month, stored as months since year 0 so that arithmetic is cheap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct YearMonth(u32);

impl YearMonth {
    /// A month; `month` is 1–12.
    pub fn new(year: u32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self(year * 12 + month - 1))
    }

    /// The month containing a date.
    pub fn of(date: NaiveDate) -> Self {
        Self(date.year() as u32 * 12 + date.month0())
    }

    /// Year.
    pub fn year(self) -> u32 {
        self.0 / 12
    }

    /// Month 1–12.
    pub fn month(self) -> u32 {
        self.0 % 12 + 1
    }

    /// This month plus `months` (may be negative).
    pub fn plus_months(self, months: i32) -> Self {
        Self(
            self.0
                .checked_add_signed(months)
                .expect("month arithmetic stays after year 0"),
        )
    }

    /// Whole months from `earlier` to `self` (negative if `earlier` is later).
    pub fn months_since(self, earlier: Self) -> i32 {
        self.0 as i32 - earlier.0 as i32
    }

    /// First day of the month.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year() as i32, self.month(), 1).expect("valid month")
    }

    /// Last day of the month.
    pub fn last_day(self) -> NaiveDate {
        self.plus_months(1)
            .first_day()
            .pred_opt()
            .expect("not the first representable day")
    }

    /// Number of days in the month.
    pub fn days(self) -> u32 {
        self.last_day().day()
    }

    /// Fiscal year (年度) the month belongs to: April 2026 – March 2027 is FY2026.
    pub fn fiscal_year(self) -> u32 {
        if self.month() >= 4 {
            self.year()
        } else {
            self.year() - 1
        }
    }

    /// `YYYYMM` as used in claims (サービス提供年月).
    pub fn compact(self) -> String {
        let (year, month) = (self.year(), self.month());
        if year > 9999 {
            return format!("{year:04}{month:02}");
        }
        // Written for every claim line of a load: digit arithmetic instead of the formatter.
        [
            year / 1000,
            year / 100 % 10,
            year / 10 % 10,
            year % 10,
            month / 10,
            month % 10,
        ]
        .into_iter()
        .map(|digit| char::from(b'0' + digit as u8))
        .collect()
    }

    /// Parse `YYYYMM`.
    pub fn parse_compact(text: &str) -> Result<Self, CodeError> {
        if !crate::all_ascii_digits(text, 6) {
            return Err(CodeError::Shape {
                what: "year-month (YYYYMM)",
                expected: 6,
            });
        }
        let year = text[..4].parse().expect("digits");
        let month = text[4..].parse().expect("digits");
        Self::new(year, month).ok_or(CodeError::Date {
            what: "year-month (YYYYMM)",
        })
    }

    /// Parse `YYYY-MM` (the CLI form).
    pub fn parse_dashed(text: &str) -> Result<Self, CodeError> {
        let (year, month) = text.split_once('-').ok_or(CodeError::Shape {
            what: "year-month (YYYY-MM)",
            expected: 7,
        })?;
        if !crate::all_ascii_digits(year, 4)
            || !(1..=2).contains(&month.len())
            || !month.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(CodeError::Shape {
                what: "year-month (YYYY-MM)",
                expected: 7,
            });
        }
        Self::new(year.parse().expect("digits"), month.parse().expect("digits")).ok_or(CodeError::Date {
            what: "year-month (YYYY-MM)",
        })
    }

    /// Iterate months from `self` to `last` inclusive.
    pub fn through(self, last: Self) -> impl Iterator<Item = YearMonth> {
        (self.0..=last.0).map(Self)
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{:04}-{:02}", self.year(), self.month())
    }
}

impl From<YearMonth> for String {
    fn from(month: YearMonth) -> String {
        month.to_string()
    }
}

impl TryFrom<String> for YearMonth {
    type Error = CodeError;
    fn try_from(text: String) -> Result<Self, CodeError> {
        Self::parse_dashed(&text)
    }
}

/// First and last day of a fiscal year.
pub fn fiscal_year_bounds(fiscal_year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(fiscal_year, 4, 1).expect("valid"),
        NaiveDate::from_ymd_opt(fiscal_year + 1, 3, 31).expect("valid"),
    )
}

/// Fiscal year of a date.
pub fn fiscal_year_of(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// A Japanese era.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Era {
    /// 明治 (1).
    Meiji,
    /// 大正 (2).
    Taisho,
    /// 昭和 (3).
    Showa,
    /// 平成 (4).
    Heisei,
    /// 令和 (5).
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 5] = [Self::Meiji, Self::Taisho, Self::Showa, Self::Heisei, Self::Reiwa];

    /// The era number used in `GYYMMDD` dates.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Kanji name.
    pub fn name_ja(self) -> &'static str {
        ["明治", "大正", "昭和", "平成", "令和"][self as usize]
    }

    /// Initial letter (M, T, S, H, R).
    pub fn letter(self) -> char {
        ['M', 'T', 'S', 'H', 'R'][self as usize]
    }

    /// First day of the era.
    pub fn first_day(self) -> NaiveDate {
        let (year, month, day) =
            [(1868, 1, 25), (1912, 7, 30), (1926, 12, 25), (1989, 1, 8), (2019, 5, 1)][self as usize];
        NaiveDate::from_ymd_opt(year, month, day).expect("valid")
    }

    fn next(self) -> Option<Era> {
        Self::ALL.get(self as usize + 1).copied()
    }
}

/// A date in the Japanese calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EraDate {
    /// Era.
    pub era: Era,
    /// Era year, 1 = 元年.
    pub year: u32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–31.
    pub day: u32,
}

impl EraDate {
    /// The era date of a Gregorian date (from 1868-01-25 on).
    pub fn from_date(date: NaiveDate) -> Result<Self, CodeError> {
        let era = Era::ALL
            .into_iter()
            .rev()
            .find(|era| date >= era.first_day())
            .ok_or(CodeError::Date {
                what: "era date (before 明治)",
            })?;
        Ok(Self {
            era,
            year: (date.year() - era.first_day().year() + 1) as u32,
            month: date.month(),
            day: date.day(),
        })
    }

    /// The Gregorian date, checking that the day exists and lies inside the era
    /// (e.g. 平成31年5月1日 and 令和元年4月30日 do not exist).
    pub fn to_date(self) -> Result<NaiveDate, CodeError> {
        const WHAT: &str = "era date";
        if self.year == 0 {
            return Err(CodeError::Date { what: WHAT });
        }
        let year = self.era.first_day().year() + self.year as i32 - 1;
        let date = NaiveDate::from_ymd_opt(year, self.month, self.day).ok_or(CodeError::Date { what: WHAT })?;
        let after_start = date >= self.era.first_day();
        let before_end = self.era.next().is_none_or(|next| date < next.first_day());
        if after_start && before_end {
            Ok(date)
        } else {
            Err(CodeError::Date { what: WHAT })
        }
    }

    /// Parse the 7-digit form `GYYMMDD` (e.g. `5081126` = 令和8年11月26日).
    pub fn parse_compact(text: &str) -> Result<Self, CodeError> {
        const WHAT: &str = "era date (GYYMMDD)";
        if !crate::all_ascii_digits(text, 7) {
            return Err(CodeError::Shape {
                what: WHAT,
                expected: 7,
            });
        }
        let era_number: usize = text[..1].parse().expect("digit");
        let era = era_number
            .checked_sub(1)
            .and_then(|index| Era::ALL.get(index))
            .copied()
            .ok_or(CodeError::Unknown { what: WHAT })?;
        let era_date = Self {
            era,
            year: text[1..3].parse().expect("digits"),
            month: text[3..5].parse().expect("digits"),
            day: text[5..7].parse().expect("digits"),
        };
        era_date.to_date()?;
        Ok(era_date)
    }

    /// Parse the written form `令和8年11月26日` (元年 for year 1; ASCII or full-width digits).
    pub fn parse_kanji(text: &str) -> Result<Self, CodeError> {
        const WHAT: &str = "era date (令和8年11月26日)";
        let shape = CodeError::Date { what: WHAT };
        let era = Era::ALL
            .into_iter()
            .find(|era| text.starts_with(era.name_ja()))
            .ok_or(CodeError::Unknown { what: WHAT })?;
        let rest: String = text[era.name_ja().len()..]
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).expect("digit"),
                c => c,
            })
            .collect();
        let rest = rest.replacen("元年", "1年", 1);
        let positions = ['年', '月', '日'].map(|mark| rest.find(mark));
        if !(positions[0] < positions[1] && positions[1] < positions[2] && positions[0].is_some()) {
            return Err(shape);
        }
        let mut numbers = rest.split(['年', '月', '日']);
        let mut next = || -> Result<u32, CodeError> {
            numbers
                .next()
                .filter(|part| !part.is_empty() && part.len() <= 2)
                .and_then(|part| part.parse().ok())
                .ok_or(shape.clone())
        };
        let era_date = Self {
            era,
            year: next()?,
            month: next()?,
            day: next()?,
        };
        if !rest.ends_with('日') || numbers.any(|part| !part.is_empty()) {
            return Err(shape);
        }
        era_date.to_date()?;
        Ok(era_date)
    }

    /// The 7-digit form `GYYMMDD`.
    pub fn compact(&self) -> String {
        format!("{}{:02}{:02}{:02}", self.era.number(), self.year, self.month, self.day)
    }
}

impl std::fmt::Display for EraDate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.year == 1 {
            write!(formatter, "{}元年{}月{}日", self.era.name_ja(), self.month, self.day)
        } else {
            write!(
                formatter,
                "{}{}年{}月{}日",
                self.era.name_ja(),
                self.year,
                self.month,
                self.day
            )
        }
    }
}

/// The 5-year age band analysts tabulate by: `<65`, `65-69`, …, `90-94`, `95+` (the bands of
/// the certification statistics, domain.md §2.2.1).
pub fn age_band(age: i64) -> &'static str {
    const BANDS: [&str; 7] = ["65-69", "70-74", "75-79", "80-84", "85-89", "90-94", "95+"];
    if age < 65 {
        "<65"
    } else {
        BANDS[(((age - 65) / 5) as usize).min(6)]
    }
}

/// Parse a Gregorian `YYYYMMDD` date.
pub fn parse_yyyymmdd(text: &str) -> Result<NaiveDate, CodeError> {
    const WHAT: &str = "date (YYYYMMDD)";
    if !crate::all_ascii_digits(text, 8) {
        return Err(CodeError::Shape {
            what: WHAT,
            expected: 8,
        });
    }
    NaiveDate::from_ymd_opt(
        text[..4].parse().expect("digits"),
        text[4..6].parse().expect("digits"),
        text[6..].parse().expect("digits"),
    )
    .ok_or(CodeError::Date { what: WHAT })
}

/// Format a date as `YYYYMMDD`.
pub fn format_yyyymmdd(date: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(year: i32, month: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(year, month, day).unwrap()
    }

    #[test]
    fn written_era_dates_parse_and_reject_what_does_not_exist() {
        let parse = |text| EraDate::parse_kanji(text).and_then(EraDate::to_date);
        assert_eq!(parse("令和8年11月26日"), Ok(date(2026, 11, 26)));
        assert_eq!(parse("令和元年5月1日"), Ok(date(2019, 5, 1)));
        assert_eq!(parse("昭和２２年３月５日"), Ok(date(1947, 3, 5)));
        for bad in [
            "令和元年4月30日",
            "平成31年5月1日",
            "令和8年2月30日",
            "令和8月11年26日",
            "令和8年11月",
            "R8.11.26",
            "令和8年11月26日x",
        ] {
            assert!(EraDate::parse_kanji(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn age_bands_are_five_years_wide_from_65() {
        let bands: Vec<&str> = [40, 64, 65, 69, 70, 94, 95, 104].map(age_band).to_vec();
        assert_eq!(bands, ["<65", "<65", "65-69", "65-69", "70-74", "90-94", "95+", "95+"]);
    }

    #[test]
    fn era_boundaries_convert_both_ways() {
        let cases = [
            (date(2019, 4, 30), Era::Heisei, 31),
            (date(2019, 5, 1), Era::Reiwa, 1),
            (date(1989, 1, 7), Era::Showa, 64),
            (date(1989, 1, 8), Era::Heisei, 1),
            (date(1926, 12, 24), Era::Taisho, 15),
            (date(1926, 12, 25), Era::Showa, 1),
            (date(1912, 7, 29), Era::Meiji, 45),
            (date(1912, 7, 30), Era::Taisho, 1),
            (date(2026, 11, 26), Era::Reiwa, 8),
        ];
        for (gregorian, era, year) in cases {
            let era_date = EraDate::from_date(gregorian).unwrap();
            assert_eq!((era_date.era, era_date.year), (era, year), "{gregorian}");
            assert_eq!(era_date.to_date().unwrap(), gregorian);
            assert_eq!(EraDate::parse_compact(&era_date.compact()).unwrap(), era_date);
        }
        assert_eq!(
            EraDate::from_date(date(2019, 5, 1)).unwrap().to_string(),
            "令和元年5月1日"
        );
        assert_eq!(
            EraDate::parse_compact("5081126").unwrap().to_date().unwrap(),
            date(2026, 11, 26)
        );
    }

    #[test]
    fn dates_outside_their_era_are_rejected() {
        // 平成31年5月1日 is 令和元年5月1日; 令和元年4月30日 is still 平成.
        assert!(EraDate::parse_compact("4310501").is_err());
        assert!(EraDate::parse_compact("5010430").is_err());
        assert!(EraDate::parse_compact("3640108").is_err());
        assert!(EraDate::parse_compact("3640107").is_ok());
        // Era 6 does not exist, year 0 does not exist, 2月30日 does not exist.
        assert!(EraDate::parse_compact("6010101").is_err());
        assert!(EraDate::parse_compact("5000101").is_err());
        assert!(EraDate::parse_compact("5080230").is_err());
        assert!(EraDate::from_date(date(1868, 1, 24)).is_err());
    }

    #[test]
    fn months_and_fiscal_years() {
        let march = YearMonth::new(2027, 3).unwrap();
        assert_eq!(march.fiscal_year(), 2026);
        assert_eq!(march.plus_months(1).fiscal_year(), 2027);
        assert_eq!(march.plus_months(-3).compact(), "202612");
        for (year, month) in [(1, 1), (999, 10), (2028, 3), (9999, 12), (10000, 1)] {
            let compact = YearMonth::new(year, month).unwrap().compact();
            assert_eq!(compact, format!("{year:04}{month:02}"));
            if year <= 9999 {
                assert_eq!(
                    YearMonth::parse_compact(&compact).unwrap(),
                    YearMonth::new(year, month).unwrap()
                );
            }
        }
        assert_eq!(YearMonth::parse_compact("202802").unwrap().days(), 29);
        assert_eq!(YearMonth::parse_dashed("2025-04").unwrap().months_since(march), -23);
        assert!(YearMonth::parse_compact("202513").is_err());
        assert_eq!(fiscal_year_of(date(2028, 3, 31)), 2027);
        assert_eq!(fiscal_year_bounds(2027), (date(2027, 4, 1), date(2028, 3, 31)));
        assert_eq!(
            YearMonth::new(2025, 4)
                .unwrap()
                .through(YearMonth::new(2028, 3).unwrap())
                .count(),
            36
        );
        assert!(parse_yyyymmdd("20250230").is_err());
        assert_eq!(format_yyyymmdd(date(2025, 4, 1)), "20250401");
    }
}
