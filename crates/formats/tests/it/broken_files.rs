//! Damaged files: a whole-file error where the structure is broken, a row error (line, column,
//! rule) where one record is bad — and never the record's value in the message.

use kaigo_formats::{
    FormatError,
    certification::CertificationRecord,
    claims::{ClaimsReader, ClaimsWriter, DataKind},
    flat::{FlatReader, FlatWriter},
    layout::Rule,
    register::RegisterRecord,
};

use crate::round_trip::{certification, month, statement_records};

fn claims_bytes() -> Vec<u8> {
    let mut writer = ClaimsWriter::new(DataKind::Statements, "131011", 13, month(2026, 11));
    for record in statement_records() {
        writer.write(&record).unwrap();
    }
    let mut bytes = Vec::new();
    writer.finish(&mut bytes).unwrap();
    bytes
}

fn read_claims(bytes: &[u8]) -> Result<usize, FormatError> {
    let (_, records) = ClaimsReader::open(bytes)?.read_all()?;
    Ok(records.len())
}

fn decode(bytes: &[u8]) -> String {
    encoding_rs::SHIFT_JIS.decode(bytes).0.into_owned()
}

fn encode(text: &str) -> Vec<u8> {
    encoding_rs::SHIFT_JIS.encode(text).0.into_owned()
}

fn replace_line(bytes: &[u8], index: usize, line: &str) -> Vec<u8> {
    let text = decode(bytes);
    let mut lines: Vec<String> = text.split_terminator("\r\n").map(str::to_string).collect();
    lines[index] = line.to_string();
    encode(&(lines.join("\r\n") + "\r\n"))
}

#[test]
fn structural_damage_rejects_the_whole_claims_file() {
    let good = claims_bytes();
    assert_eq!(read_claims(&good).unwrap(), 3);
    let truncated = &good[..good.len() - "3,5\r\n".len()];
    assert!(matches!(
        read_claims(truncated),
        Err(FormatError::MissingEndRecord { .. })
    ));
    let cut_mid_record = &good[..good.len() / 2];
    assert!(read_claims(cut_mid_record).is_err());
    assert!(matches!(read_claims(b""), Err(FormatError::Empty { .. })));
    let mut with_bom = vec![0xEF, 0xBB, 0xBF];
    with_bom.extend_from_slice(&good);
    assert!(matches!(read_claims(&with_bom), Err(FormatError::ByteOrderMark { .. })));
    let no_control = replace_line(&good, 0, "9,1");
    assert!(matches!(
        read_claims(&no_control),
        Err(FormatError::MissingControlRecord { .. })
    ));
    let wrong_count = replace_line(&good, 0, "1,1,1,7,711,0,131011,0000000000,13,1,202611,0");
    assert!(matches!(
        read_claims(&wrong_count),
        Err(FormatError::RecordCount {
            declared: 7,
            found: 3,
            ..
        })
    ));
    let wrong_kind = replace_line(&good, 0, "1,1,1,3,999,0,131011,0000000000,13,1,202611,0");
    assert!(matches!(
        read_claims(&wrong_kind),
        Err(FormatError::ControlRecord { field: "data_kind", .. })
    ));
    let bad_month = replace_line(&good, 0, "1,1,1,3,711,0,131011,0000000000,13,1,202613,0");
    assert!(matches!(
        read_claims(&bad_month),
        Err(FormatError::ControlRecord {
            field: "processing_month",
            ..
        })
    ));
    let text = decode(&good);
    let gap = encode(&text.replacen("2,3,", "2,4,", 1));
    assert!(matches!(
        read_claims(&gap),
        Err(FormatError::RecordNumber {
            line: 3,
            expected: 3,
            ..
        })
    ));
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"2,6,\"7131\"\r\n");
    assert!(matches!(
        read_claims(&trailing),
        Err(FormatError::DataAfterEnd { line: 6, .. })
    ));
    let duplicated = {
        let lines: Vec<&str> = text.split_terminator("\r\n").collect();
        format!(
            "{}\r\n{}\r\n{}\r\n",
            lines[..3].join("\r\n"),
            lines[2],
            lines[3..].join("\r\n")
        )
    };
    assert!(matches!(
        read_claims(&encode(&duplicated)),
        Err(FormatError::RecordNumber { .. })
    ));
}

#[test]
fn a_bad_claims_record_is_a_row_error_naming_line_column_and_rule() {
    let good = decode(&claims_bytes());
    let bad_level = good.replacen("\"22\",\"\",\"20260401\"", "\"26\",\"\",\"20260401\"", 1);
    assert_ne!(bad_level, good);
    let (_, records) = ClaimsReader::open(&encode(&bad_level)[..]).unwrap().read_all().unwrap();
    let error = records[0].1.as_ref().unwrap_err();
    assert_eq!(
        (error.line, error.field, error.rule),
        (2, Some((16, "care_level")), Rule::Code)
    );
    assert!(
        records[1].1.is_ok() && records[2].1.is_ok(),
        "the file goes on after a bad row"
    );
    let message = error.to_string();
    assert_eq!(message, "line 2, column 17 (care_level): rule code");

    let negative = good.replacen(
        "\"3096\",\"\",\"\",\"\",\"身体介護\"",
        "\"-5\",\"\",\"\",\"\",\"身体介護\"",
        1,
    );
    let (_, records) = ClaimsReader::open(&encode(&negative)[..]).unwrap().read_all().unwrap();
    assert_eq!(records[1].1.as_ref().unwrap_err().rule, Rule::Integer);

    let unknown_form = good.replacen("2,2,\"7131\"", "2,2,\"9999\"", 1);
    let (_, records) = ClaimsReader::open(&encode(&unknown_form)[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert_eq!(records[0].1.as_ref().unwrap_err().field, Some((2, "exchange_id")));

    let short = good.replacen(",\"\",\"\",\"\",\"身体介護\"", ",\"\",\"\",\"身体介護\"", 1);
    let (_, records) = ClaimsReader::open(&encode(&short)[..]).unwrap().read_all().unwrap();
    assert_eq!(records[1].1.as_ref().unwrap_err().rule, Rule::FieldCount);
}

fn certification_bytes() -> Vec<u8> {
    let mut writer = FlatWriter::<_, CertificationRecord>::new(Vec::new()).unwrap();
    writer.write(&certification()).unwrap();
    writer.finish().unwrap()
}

#[test]
fn flat_files_reject_wrong_header_encoding_bom_and_empty() {
    let good = certification_bytes();
    assert_eq!(
        FlatReader::<_, CertificationRecord>::open(&good[..])
            .unwrap()
            .read_all()
            .unwrap()
            .len(),
        1
    );
    assert!(matches!(
        FlatReader::<_, CertificationRecord>::open(&b""[..]),
        Err(FormatError::Empty { .. })
    ));
    // The same content in UTF-8: the Japanese header does not decode as MS932 to the expected names.
    let decoded = encoding_rs::SHIFT_JIS.decode(&good).0.into_owned();
    let error = FlatReader::<_, CertificationRecord>::open(decoded.as_bytes())
        .err()
        .unwrap();
    assert!(
        matches!(
            error,
            FormatError::Header {
                column: 0,
                expected: "保険者番号",
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("MS932"));
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(&good);
    assert!(matches!(
        FlatReader::<_, CertificationRecord>::open(&bom[..]),
        Err(FormatError::ByteOrderMark { .. })
    ));
    // Another extract's file is not this extract.
    assert!(matches!(
        FlatReader::<_, RegisterRecord>::open(&good[..]),
        Err(FormatError::Header { .. })
    ));
    // A header with an extra column.
    let text = encoding_rs::SHIFT_JIS.decode(&good).0.into_owned();
    let extra = text.replacen("\r\n", ",余分\r\n", 1);
    let (extra_bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&extra);
    assert!(matches!(
        FlatReader::<_, CertificationRecord>::open(&extra_bytes[..]),
        Err(FormatError::Header { .. })
    ));
}

#[test]
fn flat_row_errors_name_the_field_and_never_the_value() {
    let good = certification_bytes();
    let text = encoding_rs::SHIFT_JIS.decode(&good).0.into_owned();
    let lines: Vec<&str> = text.split_terminator("\r\n").collect();
    let mut fields: Vec<String> = lines[1].split(',').map(str::to_string).collect();
    fields[3] = "19350230".into(); // birth date that does not exist
    let broken = format!("{}\r\n{}\r\n{}\r\n", lines[0], fields.join(","), lines[1]);
    let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&broken);
    let rows = FlatReader::<_, CertificationRecord>::open(&bytes[..])
        .unwrap()
        .read_all()
        .unwrap();
    let error = rows[0].1.as_ref().unwrap_err();
    assert_eq!(
        (error.line, error.field, error.rule),
        (2, Some((3, "birth_date")), Rule::Date)
    );
    assert!(!error.to_string().contains("1935"), "no value in the message");
    assert!(rows[1].1.is_ok());
    // An invalid MS932 byte sequence in one field is that row's encoding error.
    let mut bad_bytes = good.clone();
    let position = bad_bytes.windows(6).position(|window| window == b"131011").unwrap() + 100;
    bad_bytes.insert(position.min(bad_bytes.len() - 3), 0x82);
    bad_bytes.insert(position.min(bad_bytes.len() - 3), 0x82);
    let rows = FlatReader::<_, CertificationRecord>::open(&bad_bytes[..])
        .unwrap()
        .read_all()
        .unwrap();
    assert!(rows[0].1.is_err());
}

/// Record lines are the file's lines whatever the terminator, after blank lines, and for records
/// with a quoted line break (the `csv` crate's own positions slip in each of these cases).
#[test]
fn record_lines_are_file_lines_for_lf_crlf_blank_lines_and_quoted_breaks() {
    use kaigo_formats::registry::ProviderActivityRecord;
    let header = "対象年月,事業所番号,利用者数,閲覧同意登録者数,閲覧件数";
    let row = "202610,1370100421,3,1,1";
    let quoted = "202610,\"13701\n00421\",3,1,1";
    for newline in ["\n", "\r\n"] {
        // line 1 header, 2 row, 3 blank, 4 row, 5–6 quoted row, 7 row (no final newline)
        let text = [header, row, "", row, quoted, row].join(newline).replace('\n', newline);
        let text = text.replace("\r\r\n", "\r\n");
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode(&text);
        let lines: Vec<u64> = FlatReader::<_, ProviderActivityRecord>::open(bytes.as_ref())
            .unwrap()
            .read_all()
            .unwrap()
            .into_iter()
            .map(|(line, _)| line)
            .collect();
        assert_eq!(lines, [2, 4, 5, 7], "terminator {newline:?}");
    }
}
