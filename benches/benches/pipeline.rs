//! In-process benchmarks of each step of `fanout synth` on a synthetic 50×10 organization:
//! parsing, lowering, project validation, synthesis and rendering to JSON.
//!
//! Run with `cargo bench -p fanout-bench` (or through `scripts/bench`). Each benchmark covers
//! the whole organization, so its time compares directly with the whole-process figures.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fanout::{Domain, Project, parse_manifest, parse_settings};
use fanout_bench::{OrgSpec, generate};

#[expect(clippy::panic, reason = "a generated organization with errors would measure nothing; stop loudly")]
fn pipeline(c: &mut Criterion) {
    let org = generate(&OrgSpec::new(50, 10));
    let sources = org.sources();
    let settings = org.settings_source();
    let (project, diagnostics) = Project::from_sources(Some(&settings), &sources);
    let Some(project) = project else {
        panic!("the generated organization is invalid:\n{diagnostics:?}");
    };
    let stage = project.settings.stages[0].clone();
    let manifests: Vec<_> = sources.iter().filter_map(|s| parse_manifest(&s.text, &s.path).0).collect();
    let templates: Vec<_> = project.domains.values().map(|d| fanout::synth(&project, d, &stage)).collect();
    let output_bytes: usize = templates.iter().map(|t| t.to_json().len()).sum();

    let mut group = c.benchmark_group("50x10");
    group.throughput(Throughput::Bytes(org.manifest_bytes() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| {
            for source in &sources {
                black_box(parse_manifest(&source.text, &source.path));
            }
            black_box(parse_settings(&settings.text, &settings.path));
        });
    });
    group.bench_function("lower", |b| {
        b.iter(|| {
            for manifest in &manifests {
                black_box(Domain::from_manifest(manifest));
            }
        });
    });
    group.bench_function("load (parse + lower + validate)", |b| {
        b.iter(|| black_box(Project::from_sources(Some(&settings), &sources)));
    });
    group.bench_function("validate", |b| b.iter(|| black_box(project.validate())));
    group.throughput(Throughput::Bytes(output_bytes as u64));
    group.bench_function("synth", |b| {
        b.iter(|| {
            for domain in project.domains.values() {
                black_box(fanout::synth(&project, domain, &stage));
            }
        });
    });
    group.bench_function("render", |b| {
        b.iter(|| {
            for template in &templates {
                black_box(template.to_json());
            }
        });
    });
    group.bench_function("synth + render", |b| {
        b.iter(|| {
            for domain in project.domains.values() {
                black_box(fanout::synth(&project, domain, &stage).to_json());
            }
        });
    });
    group.finish();
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
