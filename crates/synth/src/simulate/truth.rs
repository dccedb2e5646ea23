//! The ground truth: who each generated record belongs to, and the noise applied to it.

use std::{fs, io::Write, path::Path};

use super::Simulation;
use crate::SynthError;

/// Concatenate the per-insurer truth parts in insurer order, with headers, and add the registry truth.
pub(super) fn write_truth(world: &Simulation<'_>, out: &Path, parts: &Path) -> Result<(), SynthError> {
    let truth = out.join("truth");
    let headers = [
        ("records", "file,first_line,last_line,person_id"),
        ("noise", "file,line,person_id,field,kind"),
        ("invalid", "file,line,field,rule"),
        ("events", "person_id,month,event,detail"),
        (
            "persons",
            "person_id,insurer_number,sex,birth_date,kana_name,kanji_name,tier,entry_month,entry_level,homonym_of,twin_of",
        ),
    ];
    for (name, header) in headers {
        let path = truth.join(format!("{name}.csv"));
        let mut file =
            std::io::BufWriter::new(fs::File::create(&path).map_err(|source| SynthError::io(&path, source))?);
        writeln!(file, "{header}").map_err(|source| SynthError::io(&path, source))?;
        for insurer in 0..world.insurers.len() {
            let part = parts.join(format!("{insurer:05}.{name}"));
            let bytes = fs::read(&part).map_err(|source| SynthError::io(&part, source))?;
            file.write_all(&bytes).map_err(|source| SynthError::io(&path, source))?;
        }
        file.flush().map_err(|source| SynthError::io(&path, source))?;
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
