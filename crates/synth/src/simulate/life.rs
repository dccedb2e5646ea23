//! The LIFE assessment extract (科学的介護情報システム): Barthel items and the evaluation point.

use chrono::Duration;
use kaigo_codes::care_level::Sex;
use kaigo_formats::{
    Sensitive,
    certification::{BEDRIDDEN_RATINGS, DEMENTIA_RATINGS},
    life::{BARTHEL_ITEMS, LifeRecord, evaluation_point},
};
use rand::Rng;

use super::{CareMonth, MonthEvents, Pass, column, parameters, register::WrittenIdentity};
use crate::{
    SplitMix, SynthError,
    delivery::FileKind,
    population::{self},
    world::Provider,
};

impl Pass<'_, '_> {
    pub(super) fn write_life(
        &mut self,
        CareMonth {
            person,
            month_index,
            level,
            ..
        }: CareMonth<'_>,
        provider: &Provider,
        first: bool,
        events: &MonthEvents,
        rng: &mut SplitMix,
    ) -> Result<(), SynthError> {
        let world = self.world;
        let month = world.months[month_index];
        let WrittenIdentity {
            number,
            birth,
            sex,
            applied,
            ..
        } = self.noisy_identity(person, rng, false);
        let female = person.identity.sex == Sex::Female;
        let (kanji, _) = person.full_name();
        // Barthel items fall with the latent level; each item is snapped to its 5-point steps.
        let severity = (person.latent as f64 + rng.random::<f64>()) / 7.0;
        let mut items = [0u8; 10];
        for (index, &(_, _, maximum)) in BARTHEL_ITEMS.iter().enumerate() {
            let ability = (1.0
                - severity
                    * (parameters::BARTHEL_SEVERITY_LOW + parameters::BARTHEL_SEVERITY_SPREAD * rng.random::<f64>())
                + (rng.random::<f64>() - 0.5) * parameters::BARTHEL_NOISE)
                .clamp(0.0, 1.0);
            items[index] = ((f64::from(maximum) * ability / 5.0).round() as u8 * 5).min(maximum);
        }
        let cognition = person.identity.cognition;
        let vitality: [u8; 5] = std::array::from_fn(|_| {
            (2.0 * (1.0 - severity * parameters::VITALITY_SEVERITY - cognition * parameters::VITALITY_COGNITION)
                + (rng.random::<f64>() - 0.5))
                .clamp(0.0, 2.0)
                .round() as u8
        });
        let ending = events
            .death
            .map(|day| (day, "6"))
            .or(events.hospital_from.map(|day| (day, "5")));
        let record = LifeRecord {
            provider_number: provider.number.to_string(),
            insurer_number: world.insurers[self.insurer].number.to_string(),
            insured_number: Sensitive::new(number),
            name: Sensitive::new(kanji),
            birth_date: Sensitive::new(birth),
            sex,
            care_level: population::level(level),
            bedridden_rating: BEDRIDDEN_RATINGS[((severity * 9.0) as usize).min(8)].into(),
            dementia_rating: DEMENTIA_RATINGS[((cognition * 8.0) as usize).min(7)].into(),
            evaluation_date: month.first_day() + Duration::days(rng.random_range(0..i64::from(month.days()))),
            evaluation_point: if ending.is_some() {
                evaluation_point::END
            } else if first {
                evaluation_point::START
            } else {
                evaluation_point::DURING
            }
            .into(),
            barthel_feeding: items[0],
            barthel_transfer: items[1],
            barthel_grooming: items[2],
            barthel_toilet: items[3],
            barthel_bathing: items[4],
            barthel_walking: items[5],
            barthel_stairs: items[6],
            barthel_dressing: items[7],
            barthel_bowel: items[8],
            barthel_bladder: items[9],
            barthel_total: items.iter().sum(),
            vitality_waking: vitality[0],
            vitality_communication: vitality[1],
            vitality_eating: vitality[2],
            vitality_excretion: vitality[3],
            vitality_activity: vitality[4],
            vitality_total: vitality.iter().sum(),
            dbd13_total: ((cognition * parameters::DBD13_COGNITION + rng.random::<f64>() * parameters::DBD13_NOISE)
                as u8)
                .min(52),
            height_mm: Some(if female {
                rng.random_range(1380..1620)
            } else {
                rng.random_range(1520..1780)
            }),
            weight_hg: Some(if female {
                rng.random_range(350..650)
            } else {
                rng.random_range(450..800)
            }),
            denture: rng.random_bool(parameters::DENTURE_SHARE),
            choking: rng.random_bool(parameters::CHOKING_BASE + severity * parameters::CHOKING_SEVERITY),
            dirty_teeth: rng.random_bool(parameters::DIRTY_TEETH_SHARE),
            gum_bleeding: rng.random_bool(parameters::GUM_BLEEDING_SHARE),
            emergency_admission_date: events.hospital_from,
            end_date: ending.map(|(day, _)| day),
            end_reason: ending.map(|(_, reason)| reason.to_string()),
        };
        let invalid = rng.random_bool(world.config.noise.invalid);
        let defect = rng.random_range(0..2);
        let Some(delivery) = self.delivery(month_index) else {
            return Ok(());
        };
        let (field, rule) = [("barthel_transfer", "barthel_step"), ("barthel_total", "barthel_total")][defect];
        let line = delivery.life.write_with(&record, |row| {
            if invalid {
                let text = if defect == 0 {
                    "7".to_string()
                } else {
                    (record.barthel_total.wrapping_add(5) % 105).to_string()
                };
                row.replace(column::<LifeRecord>(field), &text);
            }
        })?;
        delivery.record(FileKind::Life, line, person.id, invalid.then_some((field, rule)));
        if invalid {
            *self.stats.invalid.entry(rule).or_default() += 1;
        }
        self.stats.records += 1;
        self.stats.life_assessments += 1;
        self.record_noise(FileKind::Life, line, person.id, &applied, month_index);
        Ok(())
    }
}
