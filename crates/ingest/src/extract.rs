//! Which extract a file of a delivery is, from its place and name.

use std::path::Path;

/// The extract types of a hub delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Extract {
    /// `insurers.csv` (delivery root).
    Insurers,
    /// `providers.csv` (delivery root).
    Providers,
    /// Claims interchange file (`d<eeMM><letter>.csv`); its data kind is read from the control record.
    Claims,
    /// `certification.csv`.
    Certification,
    /// `life.csv`.
    Life,
    /// `register.csv`.
    Register,
    /// `provider_activity.csv`.
    ProviderActivity,
    /// `UP1KYO_*.CSV`.
    PlanSheet1,
    /// `UP2KYO_*.CSV`.
    PlanSheet2,
    /// `UPPLAN_*.CSV` (planned) or `UPJSK_*.CSV` (actual).
    PlanUses,
    /// `UPHOSOKU_*.CSV`.
    PlanSupplement,
}

impl Extract {
    /// Stable name (tables and manifests).
    pub fn name(self) -> &'static str {
        match self {
            Self::Insurers => "insurers",
            Self::Providers => "providers",
            Self::Claims => "claims",
            Self::Certification => "certification",
            Self::Life => "life",
            Self::Register => "register",
            Self::ProviderActivity => "provider_activity",
            Self::PlanSheet1 => "care_plan_sheet1",
            Self::PlanSheet2 => "care_plan_sheet2",
            Self::PlanUses => "care_plan_uses",
            Self::PlanSupplement => "care_plan_supplement",
        }
    }

    /// Classify a file by name. `at_root` is true for files directly in the delivery folder.
    pub fn classify(path: &Path, at_root: bool) -> Option<Self> {
        let name = path.file_name()?.to_str()?;
        let upper = name.to_ascii_uppercase();
        Some(match name {
            "insurers.csv" if at_root => Self::Insurers,
            "providers.csv" if at_root => Self::Providers,
            _ if at_root => return None,
            "certification.csv" => Self::Certification,
            "life.csv" => Self::Life,
            "register.csv" => Self::Register,
            "provider_activity.csv" => Self::ProviderActivity,
            _ if upper.starts_with("UP1KYO_") && upper.ends_with(".CSV") => Self::PlanSheet1,
            _ if upper.starts_with("UP2KYO_") && upper.ends_with(".CSV") => Self::PlanSheet2,
            _ if (upper.starts_with("UPPLAN_") || upper.starts_with("UPJSK_")) && upper.ends_with(".CSV") => {
                Self::PlanUses
            }
            _ if upper.starts_with("UPHOSOKU_") && upper.ends_with(".CSV") => Self::PlanSupplement,
            _ if is_claims_name(name) => Self::Claims,
            _ => return None,
        })
    }
}

/// `[fmd]` + four digits (和暦 year and month) + a letter + `.csv` (QKAN naming).
fn is_claims_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    bytes.len() == 10
        && matches!(bytes[0], b'f' | b'm' | b'd')
        && bytes[1..5].iter().all(u8::is_ascii_digit)
        && bytes[5].is_ascii_lowercase()
        && name.ends_with(".csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_classify() {
        let classify = |name: &str, root| Extract::classify(Path::new(name), root);
        assert_eq!(classify("insurers.csv", true), Some(Extract::Insurers));
        assert_eq!(classify("insurers.csv", false), None);
        assert_eq!(classify("d0811a.csv", false), Some(Extract::Claims));
        assert_eq!(classify("d0811.csv", false), None);
        assert_eq!(
            classify("UPJSK_202611_0000131011_0000000000_20261101000000.CSV", false),
            Some(Extract::PlanUses)
        );
        assert_eq!(classify("notes.txt", false), None);
        assert_eq!(classify("certification.csv", false), Some(Extract::Certification));
    }
}
