//! The ground truth: who each generated record belongs to, and the noise applied to it.

use std::{fs, io::Write, path::Path};

use kaigo_codes::calendar::YearMonth;

use super::Simulation;
use crate::SynthError;

/// `truth/persons.csv`: every person of the whole run, whatever the selection.
const PERSONS: &str =
    "person_id,insurer_number,sex,birth_date,kana_name,kanji_name,tier,entry_month,entry_level,homonym_of,twin_of";

/// Truth files of one delivery folder, `truth/<YYYYMM>/<name>.csv`.
const PER_DELIVERY: [(&str, &str); 4] = [
    ("records", "file,first_line,last_line,person_id"),
    ("noise", "file,line,person_id,field,kind"),
    ("invalid", "file,line,field,rule"),
    ("events", "person_id,month,event,detail"),
];

/// Concatenate the per-insurer truth parts in insurer order, with headers: the persons and one
/// folder per delivery written; then the registry truth (insurers, parameters).
pub(super) fn write_truth(
    world: &Simulation<'_>,
    out: &Path,
    parts: &Path,
    deliveries: &[YearMonth],
) -> Result<(), SynthError> {
    let truth = out.join("truth");
    concatenate(world, &truth.join("persons.csv"), PERSONS, |insurer| {
        parts.join(format!("{insurer:05}.persons"))
    })?;
    for delivery in deliveries {
        let folder = truth.join(delivery.compact());
        fs::create_dir_all(&folder).map_err(|source| SynthError::io(&folder, source))?;
        for (name, header) in PER_DELIVERY {
            concatenate(world, &folder.join(format!("{name}.csv")), header, |insurer| {
                parts.join(delivery.compact()).join(format!("{insurer:05}.{name}"))
            })?;
        }
    }
    fs::remove_dir_all(parts).map_err(|source| SynthError::io(parts, source))?;
    let path = truth.join("insurers.csv");
    let mut text = String::from(
        "insurer_number,name,prefecture,size_class,population_65_plus_real,certified_real,initial_persons,standardisation_fiscal_year,planned_start,actual_start,slipped\n",
    );
    for insurer in &world.insurers {
        let rollout = &insurer.rollout;
        text.push_str(&format!(
            "{},{},{:02},{},{},{},{},{},{},{},{}\n",
            insurer.number,
            insurer.name,
            insurer.prefecture,
            insurer.size_class.code(),
            insurer.population_65_plus_real,
            insurer.certified_real,
            insurer.initial_persons,
            rollout
                .standardisation_fiscal_year
                .map(|year| year.to_string())
                .unwrap_or_default(),
            rollout.planned_start.map(|month| month.to_string()).unwrap_or_default(),
            rollout.actual_start,
            rollout.slipped
        ));
    }
    fs::write(&path, text).map_err(|source| SynthError::io(&path, source))?;
    let path = truth.join("params.json");
    let params = serde_json::json!({ "config": world.config, "simulated_insurers": world.insurers.len(), "providers": world.providers.len() });
    fs::write(&path, serde_json::to_vec_pretty(&params).expect("serialisable"))
        .map_err(|source| SynthError::io(&path, source))?;
    Ok(())
}

/// Write `header` and every insurer's part (those that exist) to `path`, streaming.
fn concatenate(
    world: &Simulation<'_>,
    path: &Path,
    header: &str,
    part: impl Fn(usize) -> std::path::PathBuf,
) -> Result<(), SynthError> {
    let mut file = std::io::BufWriter::new(fs::File::create(path).map_err(|source| SynthError::io(path, source))?);
    writeln!(file, "{header}").map_err(|source| SynthError::io(path, source))?;
    for insurer in 0..world.insurers.len() {
        let part = part(insurer);
        match fs::File::open(&part) {
            Ok(mut input) => {
                std::io::copy(&mut input, &mut file).map_err(|source| SynthError::io(path, source))?;
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(SynthError::io(&part, source)),
        }
    }
    file.flush().map_err(|source| SynthError::io(path, source))
}
