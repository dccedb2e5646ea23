//! The publication rules (公表形式基準 of the 介護DB guideline, domain.md §4.3) as code.

use serde::{Deserialize, Serialize};

/// What a count counts: the rules differ for persons and for providers or municipalities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountUnit {
    /// Persons (要介護者等), or events of persons (person-months, deaths, certifications).
    Persons,
    /// Providers (事業所) counted by attribute.
    Providers,
    /// Municipalities or insurers counted by attribute.
    Municipalities,
}

/// The area a cell describes, as far as the rules care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaUnit {
    /// A municipality (or an insurer, the municipal unit of the hub) with its population.
    Municipality {
        /// Population the rule's bands apply to.
        population: u64,
    },
    /// A prefecture, the nation or a cell without an area.
    Wider,
}

/// The smallest count a cell may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Minimum {
    /// No count at all (a municipality under 2,000 people): every cell is suppressed, zeros too.
    NoCounts,
    /// Counts from this value up, and 0.
    AtLeast(u64),
}

/// The thresholds, named; [`Rules::default`] is the guideline's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rules {
    /// Persons: no cell below this (0 allowed). 10.
    pub person_minimum: u64,
    /// Municipalities under this population show no counts. 2,000.
    pub no_counts_below_population: u64,
    /// Municipalities under this population (and at least the one above) show no person cell
    /// below [`Rules::mid_municipality_person_minimum`]. 25,000.
    pub mid_municipality_population: u64,
    /// The person minimum of a 2,000–24,999 municipality. 20.
    pub mid_municipality_person_minimum: u64,
    /// Providers or municipalities by attribute: no count below this (0 allowed). 3.
    pub attribute_minimum: u64,
    /// A rate whose numerator counts fewer events than this is flagged unstable. 20.
    pub unstable_rate_events: u64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            person_minimum: 10,
            no_counts_below_population: 2_000,
            mid_municipality_population: 25_000,
            mid_municipality_person_minimum: 20,
            attribute_minimum: 3,
            unstable_rate_events: 20,
        }
    }
}

impl Rules {
    /// The smallest count a cell of this unit and area may show.
    pub fn minimum(&self, unit: CountUnit, area: AreaUnit) -> Minimum {
        match (unit, area) {
            (CountUnit::Providers | CountUnit::Municipalities, _) => Minimum::AtLeast(self.attribute_minimum),
            (CountUnit::Persons, AreaUnit::Municipality { population })
                if population < self.no_counts_below_population =>
            {
                Minimum::NoCounts
            }
            (CountUnit::Persons, AreaUnit::Municipality { population })
                if population < self.mid_municipality_population =>
            {
                Minimum::AtLeast(self.mid_municipality_person_minimum)
            }
            (CountUnit::Persons, _) => Minimum::AtLeast(self.person_minimum),
        }
    }

    /// True when showing `value` breaks the rule.
    pub fn violates(&self, unit: CountUnit, area: AreaUnit, value: u64) -> bool {
        match self.minimum(unit, area) {
            Minimum::NoCounts => true,
            Minimum::AtLeast(minimum) => value > 0 && value < minimum,
        }
    }

    /// The protection a cell needs when showing it would break the rule: the width of the
    /// interval an attacker must be left with, equal to the cell's minimum (a municipality
    /// without counts gets the person minimum). None when the cell may be shown.
    pub fn primary_protection(&self, unit: CountUnit, area: AreaUnit, value: u64) -> Option<u64> {
        if !self.violates(unit, area, value) {
            return None;
        }
        Some(match self.minimum(unit, area) {
            Minimum::NoCounts => self.person_minimum,
            Minimum::AtLeast(minimum) => minimum,
        })
    }

    /// True when a rate over `events` numerator events is too unstable to read alone.
    pub fn is_unstable_rate(&self, events: u64) -> bool {
        events < self.unstable_rate_events
    }
}

/// True for an age class the rules allow: the 5-year bands 65–69 … 90–94 and the open classes
/// "<65" and "95+", which are exactly the labels `kaigo_codes::calendar::age_band` gives.
pub fn is_allowed_age_band(label: &str) -> bool {
    (0..=130).any(|age| kaigo_codes::calendar::age_band(age) == label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_minimum_depends_on_municipal_population() {
        let rules = Rules::default();
        let municipality = |population| AreaUnit::Municipality { population };
        let persons = CountUnit::Persons;
        // Prefecture or nation: 1..9 suppressed, 0 and 10 shown.
        assert_eq!(rules.primary_protection(persons, AreaUnit::Wider, 0), None);
        assert_eq!(rules.primary_protection(persons, AreaUnit::Wider, 9), Some(10));
        assert_eq!(rules.primary_protection(persons, AreaUnit::Wider, 10), None);
        // Under 2,000 people: nothing shown, not even 0 or a large count.
        assert_eq!(rules.primary_protection(persons, municipality(1_999), 0), Some(10));
        assert_eq!(rules.primary_protection(persons, municipality(1_999), 500), Some(10));
        // 2,000–24,999: 19 suppressed, 20 shown.
        assert_eq!(rules.primary_protection(persons, municipality(2_000), 19), Some(20));
        assert_eq!(rules.primary_protection(persons, municipality(24_999), 20), None);
        assert_eq!(rules.primary_protection(persons, municipality(2_000), 0), None);
        // 25,000 and over: back to 10.
        assert_eq!(rules.primary_protection(persons, municipality(25_000), 19), None);
        assert_eq!(rules.primary_protection(persons, municipality(25_000), 9), Some(10));
    }

    #[test]
    fn attribute_counts_need_three() {
        let rules = Rules::default();
        let small_town = AreaUnit::Municipality { population: 1_000 };
        assert_eq!(rules.primary_protection(CountUnit::Providers, small_town, 2), Some(3));
        assert_eq!(rules.primary_protection(CountUnit::Providers, small_town, 3), None);
        assert_eq!(
            rules.primary_protection(CountUnit::Municipalities, AreaUnit::Wider, 0),
            None
        );
        assert_eq!(
            rules.primary_protection(CountUnit::Municipalities, AreaUnit::Wider, 1),
            Some(3)
        );
    }

    #[test]
    fn rates_on_fewer_than_twenty_events_are_unstable() {
        let rules = Rules::default();
        assert!(rules.is_unstable_rate(19));
        assert!(!rules.is_unstable_rate(20));
    }

    #[test]
    fn age_bands_are_five_years_with_open_ends() {
        assert!(is_allowed_age_band("<65") && is_allowed_age_band("95+"));
        assert!(is_allowed_age_band("80-84"));
        assert!(!is_allowed_age_band("60-64") && !is_allowed_age_band("95-99"));
    }
}
