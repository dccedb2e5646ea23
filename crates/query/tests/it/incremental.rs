//! An incremental build equals a full one: a warehouse loaded, linked and built delivery by
//! delivery holds the same rows in every model as one loaded at once and built whole.

use arrow::util::display::array_value_to_string;
use kaigo_fixtures::{Hub, generated_hub, link, load};
use kaigo_pseudonymize::key::SecretKey;
use kaigo_query::{
    increment::Scope,
    model::Layer,
    runner::{Built, Refresh, build},
    session::Session,
};
use kaigo_testkit::runtime;
use kaigo_warehouse::Warehouse;

/// Every row of `table`, each as text, sorted.
fn sorted_rows(warehouse: &Warehouse, table: &str) -> Vec<String> {
    runtime().block_on(async {
        let session = Session::open(warehouse).await.unwrap();
        let batches = session
            .query(&format!("select * from {table}"))
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let mut rows = Vec::new();
        for batch in batches {
            for row in 0..batch.num_rows() {
                let values: Vec<String> = batch
                    .columns()
                    .iter()
                    .map(|column| array_value_to_string(column, row).unwrap())
                    .collect();
                rows.push(values.join("|"));
            }
        }
        rows.sort_unstable();
        rows
    })
}

/// Whether two rows are equal, a float up to rounding: a sum of floats depends on the order it
/// reads its rows in, and an incremental build leaves them in other files. A difference of sums
/// cancels to a value near 0 whose rounding is that of the row's largest float.
fn same_row(left: &str, right: &str) -> bool {
    let float = |value: &str| value.contains('.').then(|| value.parse::<f64>().ok()).flatten();
    let (left, right): (Vec<&str>, Vec<&str>) = (left.split('|').collect(), right.split('|').collect());
    let scale = left
        .iter()
        .chain(&right)
        .filter_map(|value| float(value))
        .fold(1.0_f64, |scale, value| scale.max(value.abs()));
    left.len() == right.len() && left.iter().zip(&right).all(|(left, right)| {
        left == right
            || matches!((float(left), float(right)), (Some(left), Some(right)) if (left - right).abs() <= 1e-12 * scale)
    })
}

fn panel_scope(built: &[Built]) -> Scope {
    built
        .iter()
        .find(|built| built.name == "fct_person_months")
        .and_then(|built| built.scope.clone())
        .expect("the panel is incremental")
}

#[test]
fn an_incremental_build_equals_a_full_one() {
    let key = SecretKey::from_bytes([8; 32]);
    // Nine deliveries, 202611–202707: each brings new insurers' back-filled histories, so each
    // increment has persons rewritten in every month as well as the latest months.
    let hub = Hub {
        persons: 600,
        from: (2026, 4),
        to: (2027, 6),
        seed: 11,
    };
    let (dir, hub_folder) = generated_hub("incremental", hub);
    let folders = kaigo_formats::delivery_folders(&hub_folder).unwrap();
    assert_eq!(folders.len(), 9);

    let stepwise = Warehouse::new(dir.path().join("stepwise"));
    let mut scopes = Vec::new();
    for (index, folder) in folders.iter().enumerate() {
        load(&stepwise, folder.clone(), &key);
        if index >= 5 {
            link(&stepwise, &key);
            let built = runtime()
                .block_on(build(&stepwise, None, Refresh::Incremental))
                .unwrap();
            scopes.push(panel_scope(&built));
        }
    }
    // The first build has nothing to go on; the later ones rewrite a part.
    assert!(matches!(scopes[0], Scope::Full(_)), "{:?}", scopes[0]);
    for scope in &scopes[1..] {
        let Scope::Rows { from_month, .. } = scope else {
            panic!("not incremental: {scope:?}");
        };
        assert!(from_month.is_some(), "{scope:?}");
    }
    assert!(
        scopes[1..]
            .iter()
            .any(|scope| matches!(scope, Scope::Rows { persons, .. } if *persons > 0)),
        "some increment rewrote whole persons: {scopes:?}"
    );
    // Nothing new: nothing rewritten.
    let again = runtime()
        .block_on(build(&stepwise, None, Refresh::Incremental))
        .unwrap();
    assert_eq!(
        panel_scope(&again),
        Scope::Rows {
            predicate: "false".into(),
            from_month: None,
            persons: 0
        }
    );

    let whole = Warehouse::new(dir.path().join("whole"));
    for folder in &folders {
        load(&whole, folder.clone(), &key);
    }
    link(&whole, &key);
    let built = runtime().block_on(build(&whole, None, Refresh::Full)).unwrap();
    assert!(matches!(panel_scope(&built), Scope::Full(_)));

    assert_eq!(sorted_rows(&stepwise, "person_map"), sorted_rows(&whole, "person_map"));
    let models = kaigo_query::model::shipped(&kaigo_query::runner::sources()).unwrap();
    for model in models.iter().filter(|model| model.layer != Layer::Staging) {
        let (incremental, full) = (sorted_rows(&stepwise, &model.name), sorted_rows(&whole, &model.name));
        assert!(!full.is_empty(), "{} is empty", model.name);
        assert_eq!(incremental.len(), full.len(), "{}", model.name);
        for (left, right) in incremental.iter().zip(&full) {
            assert!(same_row(left, right), "{}: {left} is not {right}", model.name);
        }
    }
}
