fn main() {
    let root = std::path::Path::new(".");
    let (project, diags) = fanout::load::load_project(Some(&root.join("fanout.yaml")), &root.join(std::env::args().nth(1).unwrap_or("domains".into()))).unwrap();
    for d in &diags { eprintln!("{d}"); }
    if let Some(p) = project { let d = p.domains.values().nth(1).unwrap(); print!("{}", fanout::synth(&p, d, &p.settings.stages[0]).to_json()); }
}
