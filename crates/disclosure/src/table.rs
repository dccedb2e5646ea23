//! A count table over hierarchical dimensions, with every total it implies.
//!
//! A published release is many tables — municipality × month, prefecture × month, the nation ×
//! fiscal year… — and an attacker combines them. They are all slices of one cube whose
//! dimensions are hierarchies (nation ⊃ prefecture ⊃ municipality; fiscal year ⊃ month), so the
//! cube holds every cell any of those tables shows, and its additive relations (a total equals
//! the sum of its parts, along each dimension, at every level of the others) are exactly what
//! the attacker can write down. Suppressing cells of the cube suppresses them in every table that
//! shows them, which is what makes linked tables consistent.
//!
//! A cell can be *not available*: no one has its value (an outcome whose follow-up the data does
//! not cover yet, a month the claims do not reach). It is not published and needs no protection,
//! and every relation through it is dropped: with one of its terms free, such a relation says
//! nothing about the others. A cell can be *public*: its value is known without the release (a
//! structural zero the public registry implies), so it is published whatever the rules say and
//! never hidden.

use crate::{DisclosureError, Result};

/// One dimension: a tree of codes, a total at the root and parts below it.
#[derive(Debug, Clone)]
pub struct Hierarchy {
    name: String,
    codes: Vec<String>,
    parents: Vec<Option<usize>>,
    children: Vec<Vec<usize>>,
}

impl Hierarchy {
    /// An empty hierarchy; add the root first, then parts under parents already added.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            codes: Vec::new(),
            parents: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Adds a node under `parent` (None: a root) and returns its index. Parents come before
    /// their children, which is what lets totals be summed in one backward pass.
    pub fn add(&mut self, code: impl Into<String>, parent: Option<usize>) -> Result<usize> {
        let code = code.into();
        if let Some(parent) = parent
            && parent >= self.codes.len()
        {
            return Err(DisclosureError::Table {
                reason: format!(
                    "dimension {}: node {code} names parent {parent}, which is not added yet",
                    self.name
                ),
            });
        }
        if self.codes.contains(&code) {
            return Err(DisclosureError::Table {
                reason: format!("dimension {}: code {code} is added twice", self.name),
            });
        }
        let index = self.codes.len();
        self.codes.push(code);
        self.parents.push(parent);
        self.children.push(Vec::new());
        if let Some(parent) = parent {
            self.children[parent].push(index);
        }
        Ok(index)
    }

    /// The dimension's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.codes.len()
    }

    /// True when no node is added.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }

    /// The code of a node.
    pub fn code(&self, node: usize) -> &str {
        &self.codes[node]
    }

    /// The index of a code.
    pub fn index_of(&self, code: &str) -> Option<usize> {
        self.codes.iter().position(|candidate| candidate == code)
    }

    /// The parent of a node (None for a root).
    pub fn parent(&self, node: usize) -> Option<usize> {
        self.parents[node]
    }

    /// The parts of a node (empty for a leaf).
    pub fn children(&self, node: usize) -> &[usize] {
        &self.children[node]
    }

    /// True for a node without parts.
    pub fn is_leaf(&self, node: usize) -> bool {
        self.children[node].is_empty()
    }
}

/// An additive relation: `total` = Σ `parts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    /// The total cell.
    pub total: usize,
    /// The part cells.
    pub parts: Vec<usize>,
}

impl Relation {
    /// Every cell of the relation, the total first.
    pub fn cells(&self) -> impl Iterator<Item = usize> + '_ {
        std::iter::once(self.total).chain(self.parts.iter().copied())
    }
}

/// A dense cube of non-negative counts over hierarchies, with the minimum protection each cell
/// needs (set by the rules).
#[derive(Debug, Clone)]
pub struct Table {
    dimensions: Vec<Hierarchy>,
    strides: Vec<usize>,
    values: Vec<u64>,
    protection: Vec<Option<u64>>,
    unavailable: Vec<bool>,
    public: Vec<bool>,
}

impl Table {
    /// A table of zeros over the dimensions (row-major: the last dimension varies fastest).
    pub fn new(dimensions: Vec<Hierarchy>) -> Result<Self> {
        if dimensions.is_empty() || dimensions.iter().any(Hierarchy::is_empty) {
            return Err(DisclosureError::Table {
                reason: "a table needs at least one dimension and each dimension a node".into(),
            });
        }
        let mut strides = vec![1; dimensions.len()];
        for axis in (0..dimensions.len() - 1).rev() {
            strides[axis] = strides[axis + 1] * dimensions[axis + 1].len();
        }
        let n_cells = strides[0] * dimensions[0].len();
        Ok(Self {
            dimensions,
            strides,
            values: vec![0; n_cells],
            protection: vec![None; n_cells],
            unavailable: vec![false; n_cells],
            public: vec![false; n_cells],
        })
    }

    /// The dimensions.
    pub fn dimensions(&self) -> &[Hierarchy] {
        &self.dimensions
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True for a table without cells (never: every dimension has a node).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The cell at node coordinates (one node per dimension).
    pub fn cell(&self, coordinates: &[usize]) -> usize {
        coordinates
            .iter()
            .zip(&self.strides)
            .map(|(node, stride)| node * stride)
            .sum()
    }

    /// The node coordinates of a cell.
    pub fn coordinates(&self, cell: usize) -> Vec<usize> {
        self.strides
            .iter()
            .zip(&self.dimensions)
            .map(|(stride, dimension)| (cell / stride) % dimension.len())
            .collect()
    }

    /// The value of a cell.
    pub fn value(&self, cell: usize) -> u64 {
        self.values[cell]
    }

    /// Every value, by cell.
    pub fn values(&self) -> &[u64] {
        &self.values
    }

    /// Sets a cell's value.
    pub fn set(&mut self, coordinates: &[usize], value: u64) {
        let cell = self.cell(coordinates);
        self.values[cell] = value;
    }

    /// Marks a cell not available (see the module docs): it loses any protection set.
    pub fn set_unavailable(&mut self, cell: usize) {
        self.unavailable[cell] = true;
        self.protection[cell] = None;
    }

    /// False for a cell no one has the value of.
    pub fn is_available(&self, cell: usize) -> bool {
        !self.unavailable[cell]
    }

    /// Marks a cell public (see the module docs): it loses any protection set.
    pub fn set_public(&mut self, cell: usize) {
        self.public[cell] = true;
        self.protection[cell] = None;
    }

    /// True for a cell whose value is known without the release.
    pub fn is_public(&self, cell: usize) -> bool {
        self.public[cell]
    }

    /// Recomputes every total from the leaf cells, so the relations hold exactly whatever was set
    /// on totals before.
    pub fn aggregate(&mut self) {
        for cell in 0..self.len() {
            if !self.is_leaf_cell(cell) {
                self.values[cell] = 0;
            }
        }
        // Dimension by dimension, children before parents (a child's index exceeds its parent's):
        // after axis k, totals along axes 0..=k hold sums over the leaves below them.
        for axis in 0..self.dimensions.len() {
            let stride = self.strides[axis];
            for cell in (0..self.len()).rev() {
                let node = (cell / stride) % self.dimensions[axis].len();
                if let Some(parent) = self.dimensions[axis].parent(node) {
                    let parent_cell = cell - node * stride + parent * stride;
                    self.values[parent_cell] += self.values[cell];
                }
            }
        }
    }

    /// The cell-by-cell difference `superset − subset` of two tables of one shape whose counts
    /// nest (see [`crate::Within`]), without protection: apply the rule for what it counts. A
    /// difference is not available where either count is not.
    pub fn difference(superset: &Table, subset: &Table) -> Result<Table> {
        let same_shape = superset.dimensions.len() == subset.dimensions.len()
            && superset
                .dimensions
                .iter()
                .zip(&subset.dimensions)
                .all(|(left, right)| left.codes == right.codes && left.parents == right.parents);
        if !same_shape {
            return Err(DisclosureError::Table {
                reason: "a difference needs two tables over the same dimensions".into(),
            });
        }
        let values = superset
            .values
            .iter()
            .zip(&subset.values)
            .map(|(large, small)| large.checked_sub(*small))
            .collect::<Option<Vec<u64>>>()
            .ok_or_else(|| DisclosureError::Table {
                reason: "a subset count exceeds its superset's, so they do not nest".into(),
            })?;
        let unavailable = superset
            .unavailable
            .iter()
            .zip(&subset.unavailable)
            .map(|(large, small)| *large || *small)
            .collect();
        let public = superset
            .public
            .iter()
            .zip(&subset.public)
            .map(|(large, small)| *large && *small)
            .collect();
        Ok(Table {
            dimensions: superset.dimensions.clone(),
            strides: superset.strides.clone(),
            protection: vec![None; values.len()],
            values,
            unavailable,
            public,
        })
    }

    /// True when the cell is a leaf on every dimension (an input cell, not a total).
    pub fn is_leaf_cell(&self, cell: usize) -> bool {
        self.n_total_dimensions(cell) == 0
    }

    /// On how many dimensions the cell is a total: suppressing a total costs more, because it
    /// sits in relations at more levels.
    pub fn n_total_dimensions(&self, cell: usize) -> usize {
        self.coordinates(cell)
            .iter()
            .zip(&self.dimensions)
            .filter(|(node, dimension)| !dimension.is_leaf(**node))
            .count()
    }

    /// Sets the protection each cell needs from the rules: `rule(coordinates, value)` returns the
    /// width of the interval an attacker must be left with when the cell is sensitive. A cell not
    /// available or public needs none.
    pub fn apply_rule(&mut self, mut rule: impl FnMut(&[usize], u64) -> Option<u64>) {
        for cell in 0..self.len() {
            let coordinates = self.coordinates(cell);
            let is_ordinary = !self.unavailable[cell] && !self.public[cell];
            self.protection[cell] = rule(&coordinates, self.values[cell]).filter(|_| is_ordinary);
        }
    }

    /// The protection a sensitive cell needs (None: not sensitive).
    pub fn protection(&self, cell: usize) -> Option<u64> {
        self.protection[cell]
    }

    /// Every additive relation: for each dimension, each node with parts, and every node of the
    /// other dimensions; none through a cell not available.
    pub fn relations(&self) -> Vec<Relation> {
        let mut relations = Vec::new();
        for axis in 0..self.dimensions.len() {
            let stride = self.strides[axis];
            let dimension = &self.dimensions[axis];
            for cell in 0..self.len() {
                let node = (cell / stride) % dimension.len();
                let children = dimension.children(node);
                if children.is_empty() {
                    continue;
                }
                let base = cell - node * stride;
                let relation = Relation {
                    total: cell,
                    parts: children.iter().map(|child| base + child * stride).collect(),
                };
                if relation.cells().all(|cell| !self.unavailable[cell]) {
                    relations.push(relation);
                }
            }
        }
        relations
    }
}
