//! The register extract (資格異動): a person's gains and losses, and the identifier noise
//! every person-level extract applies.

use chrono::{Datelike, Months, NaiveDate};
use kaigo_codes::care_level::Sex;
use kaigo_formats::{Sensitive, register::RegisterRecord};
use rand::Rng;

use super::{Pass, Person, PersonId, column, mistype_digit, unit, variant_name};
use crate::{
    SplitMix, SynthError,
    delivery::{FileKind, NoiseTruth},
    mix,
    names::{self, KanaVariant},
    stream,
};

/// Identity fields as a human-entered extract writes them, and the noise applied.
pub(super) struct WrittenIdentity {
    pub kana_name: String,
    pub number: String,
    pub birth: NaiveDate,
    pub sex: Sex,
    pub applied: Vec<(&'static str, &'static str)>,
}

impl Pass<'_, '_> {
    pub(super) fn register_record(&self, person: &Person, day: NaiveDate, kind: &str, reason: &str) -> RegisterRecord {
        let (kanji, kana) = person.full_name();
        let insurer = &self.world.insurers[self.insurer];
        let municipality = &insurer.municipality_codes
            [(unit(self.seed(), person.id, "municipality", 0) * insurer.municipality_codes.len() as f64) as usize];
        RegisterRecord {
            insurer_number: insurer.number.to_string(),
            insured_number: Sensitive::new(person.insured_number.clone()),
            event_date: day,
            event_kind: kind.into(),
            reason: reason.into(),
            kana_name: Sensitive::new(kana),
            kanji_name: Sensitive::new(kanji),
            birth_date: Sensitive::new(person.identity.birth),
            sex: person.identity.sex,
            tier: if person.identity.second_tier { "2" } else { "1" }.into(),
            municipality_code: municipality.clone(),
        }
    }

    pub(super) fn write_register(
        &mut self,
        person: &Person,
        month_index: usize,
        record: RegisterRecord,
    ) -> Result<(), SynthError> {
        let seed = self.seed();
        let mut rng = SplitMix::new(mix(person.id
            ^ stream(
                seed,
                "register-noise",
                month_index as u64 * 31 + u64::from(record.event_kind.as_bytes()[0]),
            )));
        let noise = self.world.config.noise.clone();
        let kana_field = column::<RegisterRecord>("kana_name");
        let invalid = rng.random_bool(noise.invalid);
        let variant = rng
            .random_bool(noise.kana_variant / 2.0)
            .then(|| KanaVariant::ALL[rng.random_range(0..KanaVariant::ALL.len())]);
        let mut applied: Option<&'static str> = None;
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let line = delivery.register.write_with(&record, |row| {
            if let Some(variant) = variant
                && let Some(text) = names::kana_variant(row.field(kana_field), variant, &mut rng)
            {
                row.replace(kana_field, &text);
                applied = Some(variant_name(variant));
            }
            if invalid {
                // A birth date that makes the person younger than 40: not insured at all.
                row.replace(column::<RegisterRecord>("birth_date"), "20100401");
            }
        })?;
        delivery.record(
            FileKind::Register,
            line,
            person.id,
            invalid.then_some(("birth_date", "insured_age")),
        );
        if let Some(kind) = applied {
            delivery.noise.push(NoiseTruth {
                file: FileKind::Register,
                line,
                person: person.id,
                field: "kana_name",
                kind,
            });
        }
        self.stats.records += 1;
        if let Some(kind) = applied {
            *self.stats.noise.entry(kind).or_default() += 1;
        }
        if invalid {
            *self.stats.invalid.entry("insured_age").or_default() += 1;
        }
        Ok(())
    }

    /// Identity fields as written in a human-entered extract, with noise.
    pub(super) fn noisy_identity(&self, person: &Person, rng: &mut SplitMix, kana: bool) -> WrittenIdentity {
        let noise = &self.world.config.noise;
        let (_, mut kana_name) = person.full_name();
        let mut number = person.insured_number.clone();
        let mut birth = person.identity.birth;
        let mut sex = person.identity.sex;
        let mut applied = Vec::new();
        if kana && rng.random_bool(noise.kana_variant) {
            let variant = KanaVariant::ALL[rng.random_range(0..KanaVariant::ALL.len())];
            if let Some(text) = names::kana_variant(&kana_name, variant, rng) {
                kana_name = text;
                applied.push(("kana_name", variant_name(variant)));
            }
        }
        if rng.random_bool(noise.full_width_digits) {
            number = number
                .chars()
                .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).expect("digit"))
                .collect();
            applied.push(("insured_number", "full_width_digits"));
        } else if rng.random_bool(noise.insured_number_typo) {
            number = mistype_digit(&number, rng);
            applied.push(("insured_number", "digit_typo"));
        }
        if rng.random_bool(noise.missing_birth_day) && birth.day() != 1 {
            birth = birth.with_day(1).expect("valid");
            applied.push(("birth_date", "missing_birth_day"));
        }
        if rng.random_bool(noise.birth_month_wrong) {
            // Earlier, never later: a later month could make a person of exactly 40 too young to
            // be insured, which is an invalid record, not noise.
            birth = birth
                .checked_sub_months(Months::new(1))
                .expect("a birth date far from the calendar's start");
            applied.push(("birth_date", "birth_month_wrong"));
        }
        if rng.random_bool(noise.sex_wrong) {
            sex = match sex {
                Sex::Female => Sex::Male,
                Sex::Male => Sex::Female,
            };
            applied.push(("sex", "sex_wrong"));
        }
        WrittenIdentity {
            kana_name,
            number,
            birth,
            sex,
            applied,
        }
    }

    pub(super) fn record_noise(
        &mut self,
        file: FileKind,
        line: u64,
        person: PersonId,
        applied: &[(&'static str, &'static str)],
        month_index: usize,
    ) {
        for &(field, kind) in applied {
            if let Some(delivery) = self.delivery(month_index) {
                delivery.noise.push(NoiseTruth {
                    file,
                    line,
                    person,
                    field,
                    kind,
                });
            }
            *self.stats.noise.entry(kind).or_default() += 1;
        }
    }
}
