//! criterion benches for the two halves of `verify`: reading (encoding,
//! dialect, records with line numbers, parsed on all cores) and the rules, per file size, with
//! throughput in rows so the per-row cost reads off directly.
//!
//! `cargo bench --bench verify`

#[path = "support/generate.rs"]
mod generate;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use onboard::ingest::encoding::sniff;
use onboard::ingest::{CsvInput, Source};
use onboard::progress::Meter;
use onboard::rules::TenantView;
use onboard::rules::verify;

fn file(rows: usize) -> Source {
    let mut bytes = Vec::new();
    generate::write_users(&mut bytes, rows, 5, 1).expect("generate");
    Source::from_bytes("bench.csv", bytes)
}

fn tenant() -> TenantView {
    let mut t = TenantView::new("contoso", "contoso.onmicrosoft.com");
    t.add_domain("contoso.com", false);
    t
}

fn reading(c: &mut Criterion) {
    let mut g = c.benchmark_group("read");
    for rows in [1_000, 10_000, 100_000] {
        let source = file(rows);
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::from_parameter(rows), &source, |b, source| {
            b.iter(|| {
                let s = sniff(source, false).expect("sniff");
                let mut input = CsvInput::open(source, &s, &Meter::hidden()).expect("open");
                let mut n = 0;
                while let Some(pieces) = input.next_pieces().expect("read") {
                    n += pieces.iter().map(|p| p.len()).sum::<usize>();
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

fn rules(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    let t = tenant();
    for rows in [1_000, 10_000, 100_000] {
        let source = file(rows);
        g.throughput(Throughput::Elements(rows as u64));
        g.bench_with_input(BenchmarkId::from_parameter(rows), &source, |b, source| {
            b.iter(|| {
                let s = sniff(source, false).expect("sniff");
                let mut input = CsvInput::open(source, &s, &Meter::hidden()).expect("open");
                let out = verify::run(&mut input, &t, false, |_, _| Ok(())).expect("verify");
                black_box(out.log.errors)
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = reading, rules
}
criterion_main!(benches);
