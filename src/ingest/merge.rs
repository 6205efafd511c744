//! Part of stage 1: parts (files, or a large file's chunks and slices) become one table.
//!
//! Each part has its own string pool and shapes. Mapping them into the table's pools is
//! sequential and small (a part has a few thousand strings and shapes); copying the rows is
//! the big part, and goes in parallel: the table's columns are sized once, cut into one range
//! per part, and each range is filled by its own task. The result is the parts' rows in the
//! order given, whatever the thread count.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::builder::Part;
use crate::model::{Calls, Shape, ShapeId, StrId};

/// Whose `files` the parts' file indices refer to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Files {
    /// Each part lists its own files, appended to the table's (parts of different files).
    Own,
    /// Every part is of the table's one file: indices are kept, the parts' lists dropped.
    Shared,
}

/// A table put together from parts in order (files, a data file's row groups), each part's
/// string and shape ids re-mapped into the table's pools. The table's shapes are indexed once
/// for all the appends: indexed afresh at each, a table of a million distinct callers cost a
/// million hash inserts per file appended.
pub struct Concat {
    calls: Calls,
    known: ShapeIndex,
}

impl Concat {
    /// A table starting as `calls` (empty, or sized with [`Calls::reserve`]).
    pub fn new(calls: Calls) -> Concat {
        let known = ShapeIndex::of(&calls);
        Concat { calls, known }
    }

    /// Appends the parts' rows in order; each part's files follow the table's.
    pub fn append(&mut self, parts: Vec<Calls>) {
        append(&mut self.calls, &mut self.known, parts, Files::Own);
    }

    /// The table.
    pub fn finish(self) -> Calls {
        self.calls
    }
}

/// One file's parts (chunks or slices, in file order) as one part: rows concatenated, tallies
/// added. An empty part when there are none.
pub fn merge_parts(parts: Vec<Part>, empty: impl FnOnce() -> Part) -> Part {
    let mut parts = parts.into_iter();
    let Some(mut whole) = parts.next() else {
        return empty();
    };
    let mut rest = Vec::new();
    for part in parts {
        whole.tally.merge(part.tally);
        rest.push(part.calls);
    }
    let mut known = ShapeIndex::of(&whole.calls);
    append(&mut whole.calls, &mut known, rest, Files::Shared);
    whole
}

/// Appends every part's rows to `into`, whose shapes `known` indexes, in order.
fn append(into: &mut Calls, known: &mut ShapeIndex, mut parts: Vec<Calls>, files: Files) {
    let maps: Vec<IdMaps> = {
        let mut next_file = into.files.len() as u32;
        parts
            .iter()
            .map(|part| {
                let file_base = match files {
                    Files::Own => next_file,
                    Files::Shared => 0,
                };
                next_file += part.files.len() as u32;
                IdMaps::new(into, known, part, file_base)
            })
            .collect()
    };
    if files == Files::Own {
        for part in &parts {
            into.files.extend(part.files.iter().cloned());
        }
    }
    // Column by column, each part's column taken out and dropped once copied: the table
    // grows by one column while the parts shrink by it, so the peak is the parts plus one
    // column, not twice the rows.
    fill(&mut into.ts, taken(&mut parts, |p| &mut p.ts), |_, v| v);
    fill(&mut into.shape, taken(&mut parts, |p| &mut p.shape), |i, s| {
        maps[i].shapes[s as usize]
    });
    fill(
        &mut into.resource,
        taken(&mut parts, |p| &mut p.resource),
        |i, r| maps[i].strings[r as usize],
    );
    fill(
        &mut into.rows_processed,
        taken(&mut parts, |p| &mut p.rows_processed),
        |_, v| v,
    );
    fill(&mut into.flags, taken(&mut parts, |p| &mut p.flags), |_, v| v);
    fill(&mut into.key, taken(&mut parts, |p| &mut p.key), |_, v| v);
    fill(&mut into.file, taken(&mut parts, |p| &mut p.file), |i, f| {
        f + maps[i].file_base
    });
    fill(&mut into.line, taken(&mut parts, |p| &mut p.line), |_, v| v);
}

/// One column taken out of every part.
fn taken<T>(parts: &mut [Calls], column: impl Fn(&mut Calls) -> &mut Vec<T>) -> Vec<Vec<T>> {
    parts.iter_mut().map(|p| std::mem::take(column(p))).collect()
}

/// A part's ids in the table's terms.
struct IdMaps {
    strings: Vec<StrId>,
    shapes: Vec<ShapeId>,
    file_base: u32,
}

impl IdMaps {
    /// Interns the part's strings and shapes into `into`; its file indices shift by `file_base`.
    fn new(into: &mut Calls, known: &mut ShapeIndex, part: &Calls, file_base: u32) -> IdMaps {
        let strings: Vec<StrId> = (0..part.strings.len())
            .map(|i| into.strings.intern(part.strings.get(i as StrId)))
            .collect();
        let shapes = part
            .shapes
            .iter()
            .map(|s| known.id(into, remap_shape(s, &strings)))
            .collect();
        IdMaps {
            strings,
            shapes,
            file_base,
        }
    }
}

/// Appends the parts' `sources` to `column`, each value through `map(part, value)`, the parts
/// in parallel, each source dropped once copied.
fn fill<T: Copy + Default + Send>(
    column: &mut Vec<T>,
    sources: Vec<Vec<T>>,
    map: impl Fn(usize, T) -> T + Sync,
) {
    let start = column.len();
    column.resize(start + sources.iter().map(Vec::len).sum::<usize>(), T::default());
    let mut rest = &mut column[start..];
    let mut ranges = Vec::with_capacity(sources.len());
    for source in &sources {
        let (range, after) = rest.split_at_mut(source.len());
        ranges.push(range);
        rest = after;
    }
    sources
        .into_par_iter()
        .zip(ranges)
        .enumerate()
        .for_each(|(i, (source, range))| {
            for (out, value) in range.iter_mut().zip(source) {
                *out = map(i, value);
            }
        });
}

/// The shapes of a table by value, for adding a part's shapes without repeating any.
struct ShapeIndex {
    ids: FxHashMap<Shape, ShapeId>,
}

impl ShapeIndex {
    fn of(calls: &Calls) -> ShapeIndex {
        ShapeIndex {
            ids: calls
                .shapes
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, i as ShapeId))
                .collect(),
        }
    }

    /// The id of `shape` in `calls`, added when new.
    fn id(&mut self, calls: &mut Calls, shape: Shape) -> ShapeId {
        let next = calls.shapes.len() as ShapeId;
        *self.ids.entry(shape).or_insert_with(|| {
            calls.shapes.push(shape);
            next
        })
    }
}

/// Appends rows `rows` of `part` to `into`: only the strings and shapes those rows use are
/// added to `into`'s pools (a partition takes a few of a big source's rows).
pub fn merge_rows(into: &mut Calls, part: &Calls, rows: &[usize]) {
    let file_base = into.files.len() as u32;
    into.files.extend(part.files.iter().cloned());
    let mut strings = vec![StrId::MAX; part.strings.len()];
    let mut string = |id: StrId, into: &mut Calls| -> StrId {
        let slot = &mut strings[id as usize];
        if *slot == StrId::MAX {
            *slot = into.strings.intern(part.strings.get(id));
        }
        *slot
    };
    let mut known = ShapeIndex::of(into);
    let mut shapes = vec![ShapeId::MAX; part.shapes.len()];
    into.reserve(rows.len());
    for &r in rows {
        let old = part.shape[r] as usize;
        if shapes[old] == ShapeId::MAX {
            let mapped = remap_shape_by(&part.shapes[old], |id| string(id, into));
            shapes[old] = known.id(into, mapped);
        }
        let resource = string(part.resource[r], into);
        into.ts.push(part.ts[r]);
        into.shape.push(shapes[old]);
        into.resource.push(resource);
        into.rows_processed.push(part.rows_processed[r]);
        into.flags.push(part.flags[r]);
        into.key.push(part.key[r]);
        into.file.push(part.file[r] + file_base);
        into.line.push(part.line[r]);
    }
}

fn remap_shape(s: &Shape, strings: &[StrId]) -> Shape {
    remap_shape_by(s, |id| strings[id as usize])
}

fn remap_shape_by(s: &Shape, mut m: impl FnMut(StrId) -> StrId) -> Shape {
    Shape {
        org: m(s.org),
        user_id: m(s.user_id),
        user_name: m(s.user_name),
        app_id: m(s.app_id),
        app_name: m(s.app_name),
        client: m(s.client),
        client_ip: m(s.client_ip),
        family: m(s.family),
        version: m(s.version),
        method: m(s.method),
        entity: m(s.entity),
        ..*s
    }
}
