//! The certification extract (要介護認定): an application's survey, opinion and decision.

use chrono::{Datelike, Duration};
use kaigo_codes::care_level::Sex;
use kaigo_formats::{
    Sensitive,
    certification::{BEDRIDDEN_RATINGS, CertificationRecord, DEMENTIA_RATINGS, SURVEY_ITEMS},
};
use rand::Rng;

use super::{Cert, Pass, Person, column, parameters, register::WrittenIdentity};
use crate::{
    SplitMix, SynthError,
    delivery::FileKind,
    population::{self},
    world::{self},
};

impl Pass<'_, '_> {
    pub(super) fn write_certification(
        &mut self,
        person: &Person,
        month_index: usize,
        kind: &'static str,
        cert: Cert,
        level: usize,
        rng: &mut SplitMix,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let WrittenIdentity {
            kana_name,
            number,
            birth,
            sex,
            applied,
        } = self.noisy_identity(person, rng, true);
        // The board's level; the computer's may differ (see `parameters::BOARD_RAISES_BELOW`).
        let draw = rng.random::<f64>();
        let primary = if draw < parameters::BOARD_RAISES_BELOW && level > 0 {
            level - 1
        } else if draw < parameters::BOARD_LOWERS_BELOW && level < 6 {
            level + 1
        } else {
            level
        };
        let (low, high) = population::base_time_band(primary);
        let base_time = low + (high - low) * rng.random::<f64>();
        let severity = (base_time / parameters::SEVERITY_FULL_MINUTES).min(1.0);
        let cognition = person.identity.cognition;
        let mut answers = [1u8; 74];
        for (index, &(number, _, _, choices)) in SURVEY_ITEMS.iter().enumerate() {
            let group = number.split('-').next().expect("item number");
            let driver = match group {
                "3" | "4" => cognition,
                "6" => (severity - parameters::SPECIAL_MEDICAL_FROM).max(0.0) * parameters::SPECIAL_MEDICAL_SLOPE,
                _ => severity,
            };
            let score = (driver + (rng.random::<f64>() - 0.5) * parameters::ANSWER_NOISE).clamp(0.0, 0.999);
            answers[index] = if choices == 2 && group != "3" {
                1 + u8::from(rng.random::<f64>() < driver * parameters::YES_NO_SHARE)
            } else {
                1 + (score * f64::from(choices)) as u8
            };
        }
        let group_score = |group: &str| {
            let items: Vec<(u8, u8)> = SURVEY_ITEMS
                .iter()
                .zip(answers)
                .filter(|((number, ..), _)| number.starts_with(group))
                .map(|((.., choices), answer)| (answer, *choices))
                .collect();
            let burden: f64 = items
                .iter()
                .map(|&(answer, choices)| f64::from(answer - 1) / f64::from(choices - 1))
                .sum::<f64>()
                / items.len() as f64;
            (100.0 * (1.0 - burden)).round() as u8
        };
        let rating = |table: &[&'static str], value: f64| {
            table[((value * table.len() as f64) as usize).min(table.len() - 1)].to_string()
        };
        let institution = world
            .provider_for(self.insurer, "31", person.id)
            .map(|index| &world.providers[index]);
        let opinion_date = cert.decided - Duration::days(rng.random_range(10..25));
        let mut record = CertificationRecord {
            insurer_number: world.insurers[self.insurer].number.to_string(),
            insured_number: Sensitive::new(number),
            kana_name: Sensitive::new(kana_name),
            birth_date: Sensitive::new(birth),
            sex,
            application_date: (cert.decided - Duration::days(rng.random_range(20..35)))
                .min(cert.start.max(cert.decided - Duration::days(40))),
            application_kind: kind.into(),
            survey_date: cert.decided - Duration::days(rng.random_range(14..21)),
            survey_01: 0,
            survey_02: 0,
            survey_03: 0,
            survey_04: 0,
            survey_05: 0,
            survey_06: 0,
            survey_07: 0,
            survey_08: 0,
            survey_09: 0,
            survey_10: 0,
            survey_11: 0,
            survey_12: 0,
            survey_13: 0,
            survey_14: 0,
            survey_15: 0,
            survey_16: 0,
            survey_17: 0,
            survey_18: 0,
            survey_19: 0,
            survey_20: 0,
            survey_21: 0,
            survey_22: 0,
            survey_23: 0,
            survey_24: 0,
            survey_25: 0,
            survey_26: 0,
            survey_27: 0,
            survey_28: 0,
            survey_29: 0,
            survey_30: 0,
            survey_31: 0,
            survey_32: 0,
            survey_33: 0,
            survey_34: 0,
            survey_35: 0,
            survey_36: 0,
            survey_37: 0,
            survey_38: 0,
            survey_39: 0,
            survey_40: 0,
            survey_41: 0,
            survey_42: 0,
            survey_43: 0,
            survey_44: 0,
            survey_45: 0,
            survey_46: 0,
            survey_47: 0,
            survey_48: 0,
            survey_49: 0,
            survey_50: 0,
            survey_51: 0,
            survey_52: 0,
            survey_53: 0,
            survey_54: 0,
            survey_55: 0,
            survey_56: 0,
            survey_57: 0,
            survey_58: 0,
            survey_59: 0,
            survey_60: 0,
            survey_61: 0,
            survey_62: 0,
            survey_63: 0,
            survey_64: 0,
            survey_65: 0,
            survey_66: 0,
            survey_67: 0,
            survey_68: 0,
            survey_69: 0,
            survey_70: 0,
            survey_71: 0,
            survey_72: 0,
            survey_73: 0,
            survey_74: 0,
            bedridden_rating: rating(&BEDRIDDEN_RATINGS, severity * parameters::BEDRIDDEN_SCALE),
            dementia_rating: rating(&DEMENTIA_RATINGS, cognition * parameters::DEMENTIA_SCALE),
            opinion_date,
            medical_institution: institution
                .map_or_else(|| "0000000000".into(), |provider| provider.number.to_string()),
            opinion_electronic: institution
                .and_then(world::opinion_electronic_since)
                .is_some_and(|since| since <= opinion_date),
            diagnosis: Some(["I63", "F03", "M17", "G20", "I50", "E11", "S72", "M48"][rng.random_range(0..8)].into()),
            stability: if severity > parameters::UNSTABLE_FROM && rng.random_bool(parameters::UNSTABLE_SHARE) {
                "2"
            } else {
                "1"
            }
            .into(),
            specified_disease: person.identity.second_tier.then(|| rng.random_range(1..=16)),
            opinion_bedridden_rating: rating(
                &BEDRIDDEN_RATINGS,
                (severity * parameters::BEDRIDDEN_SCALE + (rng.random::<f64>() - 0.5) * parameters::OPINION_NOISE)
                    .clamp(0.0, 0.999),
            ),
            opinion_dementia_rating: rating(
                &DEMENTIA_RATINGS,
                (cognition * parameters::DEMENTIA_SCALE + (rng.random::<f64>() - 0.5) * parameters::OPINION_NOISE)
                    .clamp(0.0, 0.999),
            ),
            short_term_memory: 1 + u8::from(cognition > parameters::SHORT_TERM_MEMORY_FROM),
            decision_ability: 1 + (cognition * 3.99) as u8,
            communication: 1 + (cognition * cognition * 3.99) as u8,
            height_cm: Some(if person.identity.sex == Sex::Female {
                rng.random_range(138..162)
            } else {
                rng.random_range(152..178)
            }),
            weight_kg: Some(if person.identity.sex == Sex::Female {
                rng.random_range(35..65)
            } else {
                rng.random_range(45..80)
            }),
            base_time_tenths: (base_time * 10.0).round() as u32,
            group1_score: group_score("1-"),
            group2_score: group_score("2-"),
            group3_score: group_score("3-"),
            group4_score: group_score("4-"),
            group5_score: group_score("5-"),
            primary_level: population::level(primary),
            board_date: cert.decided,
            secondary_level: population::level(level),
            validity_start: Some(cert.start),
            validity_end: Some(cert.end),
        };
        record.set_survey_answers(answers);
        let invalid = rng.random_bool(world.config.noise.invalid);
        let defect = rng.random_range(0..3);
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let (field, rule) = [
            ("secondary_level", "care_level_code"),
            ("board_date", "date"),
            ("validity_end", "validity_order"),
        ][defect];
        let line = delivery.certification.write_with(&record, |row| {
            if invalid {
                let text = match defect {
                    0 => "26".to_string(),
                    1 => format!("{}0231", cert.decided.year()),
                    _ => kaigo_codes::calendar::format_yyyymmdd(cert.start - Duration::days(1)),
                };
                row.replace(column::<CertificationRecord>(field), &text);
            }
        })?;
        delivery.record(
            FileKind::Certification,
            line,
            person.id,
            invalid.then_some((field, rule)),
        );
        if invalid {
            *self.stats.invalid.entry(rule).or_default() += 1;
        }
        self.stats.records += 1;
        *self.stats.certifications.entry(kind).or_default() += 1;
        self.record_noise(FileKind::Certification, line, person.id, &applied, month_index);
        Ok(())
    }
}
