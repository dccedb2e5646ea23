//! Building a model in slices of its key, so that its joins, windows and sorts fit in the memory
//! budget however large the warehouse: each slice is the model's rows whose key hashes to it, a
//! filter on the model's output that DataFusion pushes down to every scan the key comes from.
//! The slices together are exactly the model, whatever it computes.

use std::sync::Arc;

use arrow::{
    array::{ArrayRef, AsArray, BooleanArray},
    datatypes::DataType,
};
use deltalake::datafusion::{
    logical_expr::{ColumnarValue, Expr, Volatility, create_udf},
    prelude::col,
};

/// Memory a sliced model's plan holds per row of its inputs, in bytes: `fct_person_months` at
/// 355,000 persons × 36 months reads 34.96 M rows and, in one piece, did not fit a pool of
/// 8.8 GB (benches/README.md, "Building the models").
const BYTES_PER_INPUT_ROW: u64 = 300;

/// The share of the memory pool one slice is planned to need: the rest absorbs the estimate's
/// error and what the scans and writers hold beside the plan's operators.
const POOL_SHARE_PER_SLICE: f64 = 0.4;

/// How many slices a model reading `input_rows` rows is built in under a pool of `pool` bytes.
pub(crate) fn count(input_rows: u64, pool: usize) -> usize {
    let needed = input_rows.saturating_mul(BYTES_PER_INPUT_ROW) as f64;
    let per_slice = (pool as f64 * POOL_SHARE_PER_SLICE).max(1.0);
    ((needed / per_slice).ceil() as usize).max(1)
}

/// Which of `slices` slices a key falls in: FNV-1a of its bytes, so the same key lands in the
/// same slice in every run.
fn slice_of(key: &str, slices: u64) -> u64 {
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    hash % slices
}

/// The filter keeping the rows of slice `slice` of `slices` by `column`. It is NULL on a null
/// key, so that DataFusion may also apply it to the inner side of an outer join on the key (a
/// row there with a key outside the slice can only join rows outside it); the caller slices
/// only by a column that cannot be null.
pub(crate) fn filter(column: &str, slice: usize, slices: usize) -> Expr {
    let (slice, slices) = (slice as u64, slices as u64);
    let keep = move |arguments: &[ColumnarValue]| {
        let arrays = ColumnarValue::values_to_arrays(arguments)?;
        // The optimizer evaluates the filter on an untyped NULL to learn that it rejects nulls.
        let keys = arrow::compute::cast(&arrays[0], &DataType::Utf8)?;
        let kept: BooleanArray = keys
            .as_string::<i32>()
            .iter()
            .map(|key| key.map(|key| slice_of(key, slices) == slice))
            .collect();
        Ok(ColumnarValue::Array(Arc::new(kept) as ArrayRef))
    };
    let function = create_udf(
        &format!("kaigo_slice_{slice}_of_{slices}"),
        vec![DataType::Utf8],
        DataType::Boolean,
        Volatility::Immutable,
        Arc::new(keep),
    );
    function.call(vec![col(column)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_falls_in_exactly_one_slice_and_the_slices_are_even() {
        let slices = 4;
        let mut sizes = [0_u32; 4];
        for number in 0..4000 {
            let key = format!("{number:064x}");
            sizes[slice_of(&key, slices) as usize] += 1;
        }
        assert!(sizes.iter().all(|size| (800..1200).contains(size)), "{sizes:?}");
        assert_eq!(slice_of("a", 1), 0);
    }

    #[test]
    fn the_slice_count_grows_with_the_inputs_and_shrinks_with_the_pool() {
        assert_eq!(count(0, 1 << 30), 1);
        assert_eq!(count(1_000, 1 << 30), 1);
        let small = count(30_000_000, 8 << 30);
        let large = count(300_000_000, 8 << 30);
        assert!(small >= 1 && large >= 9 * small, "{small} {large}");
        assert!(count(30_000_000, 1 << 30) > small);
    }
}
