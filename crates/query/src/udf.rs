//! Functions analysts need that SQL lacks, registered on every kaigo session: Japanese-era dates,
//! fiscal years, age bands, care levels, service kinds and insurer-number validity — each a thin
//! wrapper over `kaigo-codes`, so SQL and the pipeline cannot disagree.
//!
//! | function | returns |
//! |---|---|
//! | `wareki(date)` | `令和8年11月27日` (元年 for year 1) |
//! | `wareki_to_date(text)` | the date of `GYYMMDD` (`5081127`) or `令和8年11月27日` |
//! | `fiscal_year(date)` | the fiscal year (April–March) the date falls in |
//! | `age_at_month(birth_year_month, month_key)` | completed years in month `YYYYMM` of a person born in `YYYY-MM` (the birth month counts as reached) |
//! | `age_band(age)` | `<65`, `65-69`, …, `90-94`, `95+` |
//! | `care_level_ordinal(code)` | 0 非該当, 1 要支援1 (and 経過的要介護) … 7 要介護5 |
//! | `care_level_label(code)`, `care_level_label_en(code)` | `要介護3`, `care 3` |
//! | `service_kind_label(code)`, `service_kind_group(code)` | `訪問介護`, `in_home` |
//! | `is_valid_insurer_number(text)` | 6 digits, a real prefecture, the check digit right |
//! | `percent(part, whole)` | 100 × part / whole as a double; NULL unless whole > 0 |
//!
//! An input the codes do not know (an unknown code, an impossible era date) gives NULL rather
//! than failing the query, like SQL's `TRY_CAST`; `is_valid_insurer_number` gives false.

use std::sync::Arc;

use arrow::{
    array::{ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array, StringArray},
    datatypes::{DataType, Date32Type, Float64Type, Int64Type},
};
use chrono::NaiveDate;
use deltalake::datafusion::{
    common::Result,
    logical_expr::{
        ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature, Volatility, create_udf,
    },
    prelude::SessionContext,
};
use kaigo_codes::{
    calendar::{EraDate, age_band, fiscal_year_of},
    care_level::CareLevel,
    insurer::InsurerNumber,
    service,
};

/// Register every kaigo function on `context`.
pub fn register(context: &SessionContext) {
    for function in functions() {
        context.register_udf(function);
    }
}

/// The kaigo functions.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        text_to_text("care_level_label", |code| {
            CareLevel::parse(code).ok().map(CareLevel::label_ja)
        }),
        text_to_text("care_level_label_en", |code| {
            CareLevel::parse(code).ok().map(CareLevel::label_en)
        }),
        text_to_text("service_kind_label", |code| {
            service::by_code(code).ok().map(|kind| kind.name_ja)
        }),
        text_to_text("service_kind_group", |code| {
            service::by_code(code).ok().map(|kind| kind.group.code())
        }),
        unary("care_level_ordinal", DataType::Utf8, DataType::Int32, |values| {
            let codes = values.as_string::<i32>();
            let ordinals: Int32Array = codes
                .iter()
                .map(|code| Some(i32::from(CareLevel::parse(code?).ok()?.ordinal())))
                .collect();
            Arc::new(ordinals)
        }),
        unary("is_valid_insurer_number", DataType::Utf8, DataType::Boolean, |values| {
            let texts = values.as_string::<i32>();
            let valid: BooleanArray = texts
                .iter()
                .map(|text| text.map(|text| InsurerNumber::parse(text).is_ok()))
                .collect();
            Arc::new(valid)
        }),
        age_at_month(),
        percent(),
        unary("age_band", DataType::Int64, DataType::Utf8, |values| {
            let ages = values.as_primitive::<Int64Type>();
            let bands: StringArray = ages.iter().map(|age| age.map(age_band)).collect();
            Arc::new(bands)
        }),
        unary("fiscal_year", DataType::Date32, DataType::Int32, |values| {
            let dates = values.as_primitive::<Date32Type>();
            let years: Int32Array = dates.iter().map(|day| Some(fiscal_year_of(date(day?)?))).collect();
            Arc::new(years)
        }),
        unary("wareki", DataType::Date32, DataType::Utf8, |values| {
            let dates = values.as_primitive::<Date32Type>();
            let texts: StringArray = dates
                .iter()
                .map(|day| Some(EraDate::from_date(date(day?)?).ok()?.to_string()))
                .collect();
            Arc::new(texts)
        }),
        unary("wareki_to_date", DataType::Utf8, DataType::Date32, |values| {
            let texts = values.as_string::<i32>();
            let dates: Date32Array = texts
                .iter()
                .map(|text| {
                    let text = text?;
                    let era_date = EraDate::parse_compact(text)
                        .or_else(|_| EraDate::parse_kanji(text))
                        .ok()?;
                    Some(days(era_date.to_date().ok()?))
                })
                .collect();
            Arc::new(dates)
        }),
    ]
}

/// `age_at_month(birth_year_month 'YYYY-MM', month_key YYYYMM)`: the age the models stratify by,
/// from the birth year-month the warehouse keeps (never the day). The month key may be `int` (a
/// column) or `bigint` (a literal), so the signature lists both rather than being exact.
#[derive(Debug, PartialEq, Eq, Hash)]
struct AgeAtMonth {
    signature: Signature,
}

impl ScalarUDFImpl for AgeAtMonth {
    fn name(&self) -> &str {
        "age_at_month"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arguments: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, arguments: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&arguments.args)?;
        let births = arrays[0].as_string::<i32>();
        let month_keys = arrow::compute::cast(&arrays[1], &DataType::Int64)?;
        let ages: Int64Array = births
            .iter()
            .zip(month_keys.as_primitive::<Int64Type>().iter())
            .map(|(birth, month_key)| {
                let (year, month) = birth?.split_once('-')?;
                let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
                let month_key = month_key?;
                Some(month_key / 100 - year - i64::from(month_key % 100 < month))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(ages)))
    }
}

fn age_at_month() -> ScalarUDF {
    ScalarUDF::from(AgeAtMonth {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Int32]),
                TypeSignature::Exact(vec![DataType::Utf8, DataType::Int64]),
            ],
            Volatility::Immutable,
        ),
    })
}

/// `percent(part, whole)`: the share every roll-out rate is, NULL where there is no whole (so a
/// rate over nothing is missing, not 0 or infinite). Integers are taken as doubles.
fn percent() -> ScalarUDF {
    let implementation = |arguments: &[ColumnarValue]| -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(arguments)?;
        let (parts, wholes) = (
            arrays[0].as_primitive::<Float64Type>(),
            arrays[1].as_primitive::<Float64Type>(),
        );
        let shares: Float64Array = parts
            .iter()
            .zip(wholes.iter())
            .map(|(part, whole)| match (part, whole) {
                (Some(part), Some(whole)) if whole > 0.0 => Some(100.0 * part / whole),
                _ => None,
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(shares)))
    };
    create_udf(
        "percent",
        vec![DataType::Float64, DataType::Float64],
        DataType::Float64,
        Volatility::Immutable,
        Arc::new(implementation),
    )
}

const EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");

fn date(days_since_epoch: i32) -> Option<NaiveDate> {
    EPOCH.checked_add_signed(chrono::Duration::days(i64::from(days_since_epoch)))
}

fn days(date: NaiveDate) -> i32 {
    (date - EPOCH).num_days() as i32
}

/// A one-argument immutable function over whole arrays (scalars arrive as one-row arrays and
/// DataFusion turns the one-row answer back into a scalar).
fn unary(
    name: &str,
    input: DataType,
    output: DataType,
    function: impl Fn(&ArrayRef) -> ArrayRef + Send + Sync + 'static,
) -> ScalarUDF {
    let implementation = move |arguments: &[ColumnarValue]| -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(arguments)?;
        Ok(ColumnarValue::Array(function(&arrays[0])))
    };
    create_udf(
        name,
        vec![input],
        output,
        Volatility::Immutable,
        Arc::new(implementation),
    )
}

/// A text → text lookup.
fn text_to_text(name: &str, lookup: impl Fn(&str) -> Option<&'static str> + Send + Sync + 'static) -> ScalarUDF {
    unary(name, DataType::Utf8, DataType::Utf8, move |values| {
        let texts = values.as_string::<i32>();
        let labels: StringArray = texts.iter().map(|text| lookup(text?)).collect();
        Arc::new(labels) as ArrayRef
    })
}

#[cfg(test)]
mod tests {
    use arrow::array::RecordBatch;

    use super::*;

    /// Run `SELECT <expressions>` and render the one row as text.
    async fn row(sql: &str) -> Vec<String> {
        let context = SessionContext::new();
        register(&context);
        let batches = context.sql(sql).await.unwrap().collect().await.unwrap();
        let batch: &RecordBatch = &batches[0];
        batch
            .columns()
            .iter()
            .map(|column| {
                if column.is_null(0) {
                    "NULL".to_string()
                } else {
                    arrow::util::display::array_value_to_string(column, 0).unwrap()
                }
            })
            .collect()
    }

    #[tokio::test]
    async fn each_function_answers_like_the_codes() {
        assert_eq!(
            row(
                "SELECT wareki(DATE '2026-11-27'), wareki(DATE '2019-05-01'), wareki_to_date('5081127'), \
                 wareki_to_date('令和元年5月1日'), wareki_to_date('4310501'), fiscal_year(DATE '2027-03-31'), \
                 fiscal_year(DATE '2027-04-01')"
            )
            .await,
            [
                "令和8年11月27日",
                "令和元年5月1日",
                "2026-11-27",
                "2019-05-01",
                "NULL",
                "2026",
                "2027"
            ]
        );
        assert_eq!(
            row(
                "SELECT age_at_month('1940-06', 202505), age_at_month('1940-06', 202506), \
                 age_at_month('1940-6x', 202506), age_band(age_at_month('1960-04', 202604))"
            )
            .await,
            ["84", "85", "NULL", "65-69"]
        );
        assert_eq!(
            row(
                "SELECT age_band(64), age_band(65), age_band(94), age_band(101), age_band(NULL), \
                 care_level_ordinal('21'), care_level_ordinal('12'), care_level_ordinal('99'), \
                 care_level_label('25'), care_level_label_en('13')"
            )
            .await,
            [
                "<65",
                "65-69",
                "90-94",
                "95+",
                "NULL",
                "3",
                "1",
                "NULL",
                "要介護5",
                "support 2"
            ]
        );
        assert_eq!(
            row(
                "SELECT service_kind_label('11'), service_kind_group('51'), service_kind_group('ZZ'), \
                 is_valid_insurer_number('131011'), is_valid_insurer_number('131012'), \
                 is_valid_insurer_number('991011'), is_valid_insurer_number('13101')"
            )
            .await,
            ["訪問介護", "facility", "NULL", "true", "false", "false", "false"]
        );
    }

    #[tokio::test]
    async fn functions_apply_row_by_row_over_a_column() {
        let context = SessionContext::new();
        register(&context);
        let batches = context
            .sql("SELECT care_level_ordinal(code) AS ordinal FROM (VALUES ('12'), ('25'), (NULL), ('21')) AS t(code) ORDER BY ordinal NULLS LAST")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let ordinals = batches[0].column(0).as_primitive::<arrow::datatypes::Int32Type>();
        assert_eq!(ordinals.iter().collect::<Vec<_>>(), [Some(1), Some(3), Some(7), None]);
    }
}
