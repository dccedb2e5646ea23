//! Every loaded column holds its own source field: the loaded rows of flat extracts are read back
//! against the hub's records, line by line. Ingest filling one column from a field of another
//! (two same-typed columns swapped, `group2_score` from `group3_score`, say) fails here.

use std::{collections::HashMap, path::Path};

use arrow::{array::AsArray, datatypes::Int64Type, util::display::array_value_to_string};
use kaigo_formats::{
    certification::CertificationRecord, flat::FlatExtract, flat::FlatReader, layout::RowBuf, life::LifeRecord,
    registry::InsurerRecord,
};
use kaigo_ingest::source_file_id;

use crate::{deliveries, loaded, read_table};

/// The fields of every valid record of the extract `E` in the hub, by (source file id, line).
fn records<E: FlatExtract>(hub: &Path) -> HashMap<(String, i64), HashMap<&'static str, String>> {
    let mut records = HashMap::new();
    let file_name = format!("{}.csv", E::NAME);
    for path in deliveries(hub)
        .iter()
        .flat_map(|delivery| kaigo_testkit::files_under(delivery))
    {
        if path.file_name().and_then(|name| name.to_str()) != Some(file_name.as_str()) {
            continue;
        }
        let id = source_file_id(path.strip_prefix(hub).unwrap().to_str().unwrap());
        let reader = FlatReader::<_, E>::open(std::fs::File::open(&path).unwrap()).unwrap();
        for (line, record) in reader.read_all().unwrap() {
            let Ok(record) = record else { continue };
            let mut row = RowBuf::new();
            record.write_fields(&mut row);
            let fields = E::FIELDS
                .iter()
                .enumerate()
                .map(|(index, field)| (field.name, row.field(index).to_string()))
                .collect();
            records.insert((id.clone(), line as i64), fields);
        }
    }
    records
}

/// Compare every column of `table` with its source field — the field of the same name, or the
/// one `renamed` gives — as the file writes it; `derived` columns (normalized or computed) are
/// the only ones left out, so a column added later is compared too.
fn each_column_holds_its_field<E: FlatExtract>(table: &str, renamed: &[(&str, &str)], derived: &[&str]) {
    let loaded = loaded();
    let records = records::<E>(&loaded.hub);
    let lineage = ["delivery_month", "source_file_id", "source_line"];
    let mut compared = 0;
    for batch in read_table(&loaded.warehouse, table) {
        let schema = batch.schema();
        let files = batch.column_by_name("source_file_id").unwrap().as_string::<i32>();
        let lines = batch.column_by_name("source_line").unwrap().as_primitive::<Int64Type>();
        for row in 0..batch.num_rows() {
            let fields = &records[&(files.value(row).to_string(), lines.value(row))];
            for (field, column) in schema.fields().iter().zip(batch.columns()) {
                let name = field.name().as_str();
                if lineage.contains(&name) || derived.contains(&name) {
                    continue;
                }
                let source = renamed
                    .iter()
                    .find(|(column, _)| *column == name)
                    .map_or(name, |(_, source)| *source);
                let written = fields
                    .get(source)
                    .unwrap_or_else(|| panic!("{table}.{name}: no field {source} in {}", E::NAME));
                // As the file writes it: dates YYYYMMDD, flags 1/0, nulls empty.
                let loaded = match array_value_to_string(column, row).unwrap().as_str() {
                    "true" => "1".to_string(),
                    "false" => "0".to_string(),
                    value if field.data_type() == &arrow::datatypes::DataType::Date32 => value.replace('-', ""),
                    value => value.to_string(),
                };
                assert_eq!(
                    &loaded,
                    written,
                    "{table}.{name} (field {source}) at line {}",
                    lines.value(row)
                );
                compared += 1;
            }
        }
    }
    assert!(compared > 1000, "{table}: {compared} values compared");
}

#[test]
fn every_certification_column_holds_its_own_field() {
    each_column_holds_its_field::<CertificationRecord>(
        "certifications",
        &[
            ("sex_code", "sex"),
            ("application_on", "application_date"),
            ("application_kind_code", "application_kind"),
            ("survey_on", "survey_date"),
            ("opinion_on", "opinion_date"),
            ("medical_institution_number", "medical_institution"),
            ("is_opinion_electronic", "opinion_electronic"),
            ("diagnosis_code", "diagnosis"),
            ("stability_code", "stability"),
            ("short_term_memory_code", "short_term_memory"),
            ("decision_ability_code", "decision_ability"),
            ("communication_code", "communication"),
            ("base_time_tenth_minutes", "base_time_tenths"),
            ("primary_level_code", "primary_level"),
            ("board_on", "board_date"),
            ("care_level_code", "secondary_level"),
            ("valid_from", "validity_start"),
            ("valid_to", "validity_end"),
        ],
        &["identity_key", "insurer_number", "birth_year_month"],
    );
}

#[test]
fn every_life_assessment_column_holds_its_own_field() {
    each_column_holds_its_field::<LifeRecord>(
        "life_assessments",
        &[
            ("sex_code", "sex"),
            ("care_level_code", "care_level"),
            ("evaluated_on", "evaluation_date"),
            ("evaluation_point_code", "evaluation_point"),
            ("has_denture", "denture"),
            ("has_choking", "choking"),
            ("emergency_admission_on", "emergency_admission_date"),
            ("ended_on", "end_date"),
            ("end_reason_code", "end_reason"),
        ],
        &["identity_key", "insurer_number", "birth_year_month"],
    );
}

#[test]
fn every_insurer_column_holds_its_own_field() {
    each_column_holds_its_field::<InsurerRecord>(
        "insurers",
        &[
            ("insurer_name", "name"),
            ("size_class_code", "size_class"),
            ("n_member_municipalities", "member_municipalities"),
            ("planned_start_on", "planned_start_date"),
            ("started_on", "start_date"),
            ("status_code", "status"),
            ("as_of_month", "as_of"),
        ],
        &[],
    );
}
