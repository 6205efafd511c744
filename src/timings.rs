//! `--timings`: wall and CPU time of each pipeline stage, printed on stderr after the run so
//! the next bottleneck is visible without a profiler.
//!
//! Beside the pipeline, not in it: [`crate::run`] wraps each stage in [`Timings::stage`]; the
//! stages themselves never read a clock, and nothing measured here reaches a report. CPU time
//! is the whole process' (user + system, all threads, from `getrusage`), so a stage that keeps
//! both cores busy shows about twice its wall time.

use std::time::{Duration, Instant};

/// The pipeline's stages in the order they run for one table; the table lists them so
/// (a store, read a group of orgs at a time, runs findings after every group's later stages).
const ORDER: [&str; 8] = [
    "ingest",
    "dedup",
    "attribute",
    "usage",
    "findings",
    "recommend",
    "capacity",
    "render",
];

/// The stages measured so far, in run order.
#[derive(Debug, Default)]
pub struct Timings {
    stages: Vec<Stage>,
}

#[derive(Debug)]
struct Stage {
    name: &'static str,
    wall: Duration,
    cpu: Duration,
}

impl Timings {
    /// Runs `f` as the stage `name` (a stage run twice adds up).
    pub fn stage<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let (wall0, cpu0) = (Instant::now(), process_cpu());
        let out = f();
        let (wall, cpu) = (wall0.elapsed(), process_cpu().saturating_sub(cpu0));
        match self.stages.iter_mut().find(|s| s.name == name) {
            Some(s) => {
                s.wall += wall;
                s.cpu += cpu;
            }
            None => self.stages.push(Stage { name, wall, cpu }),
        }
        out
    }

    /// The table printed on stderr: one line per stage, then the total, with each stage's
    /// share of the total wall time.
    pub fn lines(&self) -> Vec<String> {
        let total_wall: Duration = self.stages.iter().map(|s| s.wall).sum();
        let total_cpu: Duration = self.stages.iter().map(|s| s.cpu).sum();
        let mut out = vec![format!(
            "{:<10} {:>9} {:>9} {:>6} {:>7}",
            "stage", "wall s", "cpu s", "cpu/w", "share"
        )];
        let row = |name: &str, wall: Duration, cpu: Duration| {
            let (w, c) = (wall.as_secs_f64(), cpu.as_secs_f64());
            let share = if total_wall.is_zero() {
                0.0
            } else {
                100.0 * w / total_wall.as_secs_f64()
            };
            let ratio = if w > 0.0 { c / w } else { 0.0 };
            format!("{name:<10} {w:>9.3} {c:>9.3} {ratio:>6.2} {share:>6.1}%")
        };
        let mut stages: Vec<&Stage> = self.stages.iter().collect();
        // Stable: a stage outside the pipeline's list keeps its place after those in it.
        stages.sort_by_key(|s| ORDER.iter().position(|o| *o == s.name).unwrap_or(ORDER.len()));
        out.extend(stages.iter().map(|s| row(s.name, s.wall, s.cpu)));
        out.push(row("total", total_wall, total_cpu));
        out
    }
}

/// User + system CPU time of the whole process so far.
fn process_cpu() -> Duration {
    // SAFETY: getrusage writes into the zeroed struct it is given and reads nothing else.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        if libc::getrusage(libc::RUSAGE_SELF, &mut usage) != 0 {
            return Duration::ZERO;
        }
        usage
    };
    let time = |t: libc::timeval| Duration::new(t.tv_sec.max(0) as u64, (t.tv_usec.max(0) as u32) * 1_000);
    time(usage.ru_utime) + time(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_stages_add_up() {
        let mut t = Timings::default();
        t.stage("ingest", || ());
        t.stage("usage", || ());
        let x = t.stage("ingest", || 7);
        assert_eq!(x, 7);
        let lines = t.lines();
        let names: Vec<&str> = lines
            .iter()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(names, ["stage", "ingest", "usage", "total"]);
    }

    #[test]
    fn stages_are_listed_in_pipeline_order_whatever_order_they_ran_in() {
        let mut t = Timings::default();
        for name in ["ingest", "usage", "capacity", "spin", "findings", "ingest"] {
            t.stage(name, || ());
        }
        let lines = t.lines();
        let names: Vec<&str> = lines
            .iter()
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(
            names,
            ["stage", "ingest", "usage", "findings", "capacity", "spin", "total"]
        );
    }

    #[test]
    fn cpu_time_counts_work_done_in_the_stage() {
        let mut t = Timings::default();
        t.stage("spin", || {
            let start = process_cpu();
            while process_cpu().saturating_sub(start) < Duration::from_millis(20) {
                std::hint::black_box(0u64.wrapping_add(1));
            }
        });
        let cpu: f64 = t.lines()[1].split_whitespace().nth(2).unwrap().parse().unwrap();
        assert!(cpu >= 0.02, "{cpu}");
    }
}
