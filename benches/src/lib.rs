//! Synthetic organizations for benchmarks: N domains × M topics and M queues, as manifest texts.
//!
//! The organization is valid by construction, so every benchmark measures the happy path:
//! FIFO queues subscribe only to FIFO topics and standard queues only to standard topics (no
//! warnings either), a queue has at most 4 of the 19 subscriptions a queue policy allows,
//! physical names stay far below the SQS limit of 80 characters, no two names give the
//! same logical ID, and no subscriptions form a cycle between domains. Everything is derived from the seed: the same spec gives the same bytes.

use std::fmt::Write as _;
use std::path::Path;

/// What to generate.
#[derive(Clone, Debug)]
pub struct OrgSpec {
    pub domains: usize,
    /// Topics per domain; each domain also has this many queues.
    pub topics: usize,
    pub seed: u64,
    /// The stages of `fanout.yaml`; one stage matches the CDK reference app (one stack per domain).
    pub stages: Vec<String>,
    /// The share of subscriptions, in percent, that go to another domain's topic; 0 gives
    /// independent domains, which deploy in any order.
    pub cross_domain_percent: u64,
}

impl OrgSpec {
    pub fn new(domains: usize, topics: usize) -> Self {
        Self { domains, topics, seed: 1, stages: vec!["dev".to_string()], cross_domain_percent: 67 }
    }
}

/// A generated organization: `fanout.yaml` and one manifest per domain.
#[derive(Clone, Debug)]
pub struct Org {
    pub settings: String,
    /// `(file name, text)`, sorted by file name.
    pub manifests: Vec<(String, String)>,
}

impl Org {
    /// The manifests as the library reads them, with paths under `domains/`.
    pub fn sources(&self) -> Vec<fanout::Source> {
        self.manifests
            .iter()
            .map(|(file, text)| fanout::Source { path: Path::new("domains").join(file), text: text.clone() })
            .collect()
    }

    pub fn settings_source(&self) -> fanout::Source {
        fanout::Source { path: "fanout.yaml".into(), text: self.settings.clone() }
    }

    /// Writes `fanout.yaml` and `domains/*.yaml` into `root`, which must not hold other manifests.
    pub fn write(&self, root: &Path) -> std::io::Result<()> {
        let domains = root.join("domains");
        std::fs::create_dir_all(&domains)?;
        std::fs::write(root.join("fanout.yaml"), &self.settings)?;
        for (file, text) in &self.manifests {
            std::fs::write(domains.join(file), text)?;
        }
        Ok(())
    }

    pub fn manifest_bytes(&self) -> usize {
        self.manifests.iter().map(|(_, text)| text.len()).sum()
    }
}

/// splitmix64: tiny, seeded, and enough to vary manifests; not for anything else.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const AREAS: &[&str] = &[
    "billing",
    "catalog",
    "checkout",
    "claims",
    "fraud",
    "fulfillment",
    "identity",
    "inventory",
    "ledger",
    "loyalty",
    "payments",
    "pricing",
    "reporting",
    "returns",
    "scoring",
    "shipping",
];
const NOUNS: &[&str] =
    &["order", "invoice", "customer", "payment", "parcel", "score", "refund", "account", "item", "quote"];
const EVENTS: &[&str] = &["created", "updated", "cancelled", "settled", "published", "expired", "approved", "rejected"];
const CONSUMERS: &[&str] = &["sync", "audit", "projection", "notifier", "indexer", "archiver", "scorer", "mailer"];
const EVENT_TYPES: &[&str] = &["Created", "Updated", "Deleted", "Settled", "Retried", "Approved"];
const SEGMENTS: &[&str] = &["retail", "premium", "enterprise", "public", "partner"];
const TIMEOUTS: &[&str] = &["30s", "1m", "5m", "15m"];
const RETENTIONS: &[&str] = &["1d", "4d", "7d", "14d"];

/// `d`'s name: an area and a number, like `fulfillment-742`.
fn domain_name(d: usize) -> String {
    format!("{}-{d}", AREAS[d % AREAS.len()])
}

/// Topic `t` of a domain: FIFO for every third topic, so every domain with 2 or more topics
/// has FIFO and standard topics, and the kind of any topic is known from its index.
fn topic_is_fifo(t: usize) -> bool {
    t % 3 == 1
}

fn topic_name(d: usize, t: usize) -> String {
    // The domain number varies the noun between domains; `t` keeps names unique.
    format!("{}-{}-{t}", NOUNS[(d + t) % NOUNS.len()], EVENTS[t % EVENTS.len()])
}

fn queue_name(d: usize, q: usize) -> String {
    format!("{}-{}-{q}", NOUNS[(d * 7 + q) % NOUNS.len()], CONSUMERS[q % CONSUMERS.len()])
}

/// Generates the organization of `spec`.
pub fn generate(spec: &OrgSpec) -> Org {
    let mut settings =
        String::from("# A synthetic organization generated by `fanout-bench gen-org`\nssm_prefix: /fanout\n");
    let _ = writeln!(settings, "stages: [{}]", spec.stages.join(", "));
    let mut manifests = (0..spec.domains)
        .map(|d| {
            let name = domain_name(d);
            // One stream per domain, from the seed and the domain's number.
            let mut rng = Rng(spec.seed ^ (d as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            (format!("{name}.yaml"), domain_manifest(spec, d, &mut rng))
        })
        .collect::<Vec<_>>();
    manifests.sort();
    Org { settings, manifests }
}

fn domain_manifest(spec: &OrgSpec, d: usize, rng: &mut Rng) -> String {
    let area = AREAS[d % AREAS.len()];
    let mut out = String::with_capacity(256 * spec.topics);
    let _ = writeln!(out, "domain: {}", domain_name(d));
    let _ = writeln!(out, "description: Synthetic {area} domain number {d} of the benchmark organization");
    let _ = writeln!(out, "owner: team-{area}");
    let _ = writeln!(out, "tags: {{ cost-center: \"{}\" }}", 4000 + d % 900);
    if rng.chance(15) {
        out.push_str("encryption: service-managed\n");
    }
    if spec.topics > 0 {
        out.push_str("topics:\n");
    }
    for t in 0..spec.topics {
        let mut body = String::new();
        if rng.chance(60) {
            let _ = writeln!(body, "    description: {} events of {area}", EVENTS[t % EVENTS.len()]);
        }
        if topic_is_fifo(t) {
            body.push_str("    fifo: true\n");
            if rng.chance(50) {
                body.push_str("    content_based_deduplication: true\n");
            }
        }
        // An entry without settings is a standard topic with defaults.
        let _ = writeln!(out, "  {}:", topic_name(d, t));
        out.push_str(&body);
    }
    if spec.topics > 0 {
        out.push_str("queues:\n");
    }
    let has_fifo_topics = spec.topics >= 2;
    for q in 0..spec.topics {
        let fifo = has_fifo_topics && rng.chance(25);
        let _ = writeln!(out, "  {}:", queue_name(d, q));
        if rng.chance(50) {
            let _ = writeln!(out, "    description: Feeds the {} of {area}", CONSUMERS[q % CONSUMERS.len()]);
        }
        if fifo {
            out.push_str("    fifo: true\n");
            if rng.chance(50) {
                out.push_str("    content_based_deduplication: true\n");
            }
            if rng.chance(20) {
                out.push_str("    high_throughput: true\n");
            }
        }
        if rng.chance(50) {
            let _ = writeln!(out, "    visibility_timeout: {}", rng.pick(TIMEOUTS));
        }
        if rng.chance(30) {
            let _ = writeln!(out, "    retention: {}", rng.pick(RETENTIONS));
        }
        match rng.below(10) {
            0 => out.push_str("    dead_letter: false\n"),
            1 | 2 => {
                let _ = writeln!(out, "    dead_letter: {{ max_receive_count: {}, retention: 7d }}", 3 + rng.below(8));
            }
            _ => {}
        }
        subscriptions(spec, d, fifo, rng, &mut out);
    }
    out
}

fn subscriptions(spec: &OrgSpec, d: usize, fifo: bool, rng: &mut Rng, out: &mut String) {
    let wanted = 1 + rng.below(4);
    let mut taken: Vec<(usize, usize)> = Vec::with_capacity(wanted);
    for _ in 0..wanted * 3 {
        if taken.len() == wanted {
            break;
        }
        // By default two in three subscriptions cross domains, as fan-out between teams does,
        // always to a domain generated earlier: domains that subscribe to each other in a
        // cycle cannot be deployed in any order, and validate refuses them.
        let owner = if d > 0 && rng.chance(spec.cross_domain_percent) { rng.below(d) } else { d };
        let topic = rng.below(spec.topics);
        if topic_is_fifo(topic) != fifo || taken.contains(&(owner, topic)) {
            continue;
        }
        taken.push((owner, topic));
    }
    if taken.is_empty() {
        return;
    }
    out.push_str("    subscriptions:\n");
    for (owner, topic) in taken {
        if owner == d {
            let _ = writeln!(out, "      - topic: {}", topic_name(owner, topic));
        } else {
            let _ = writeln!(out, "      - topic: {}/{}", domain_name(owner), topic_name(owner, topic));
        }
        if rng.chance(50) {
            out.push_str("        raw_message_delivery: true\n");
        }
        match rng.below(20) {
            0..=6 => {
                let first = rng.below(EVENT_TYPES.len());
                let (first, second) = (EVENT_TYPES[first], EVENT_TYPES[(first + 1 + rng.below(3)) % EVENT_TYPES.len()]);
                let _ = writeln!(out, "        filter: {{ attributes: {{ event_type: [{first}, {second}] }} }}");
            }
            7 | 8 => {
                let _ = writeln!(
                    out,
                    "        filter:\n          attributes:\n            event_type: [{}]",
                    rng.pick(EVENT_TYPES)
                );
                let first = rng.below(SEGMENTS.len());
                let _ = writeln!(
                    out,
                    "            segment: [{}, {}]",
                    SEGMENTS[first],
                    SEGMENTS[(first + 1) % SEGMENTS.len()]
                );
            }
            9 | 10 => {
                let _ =
                    writeln!(out, "        filter: {{ body: {{ detail: {{ segment: [{}] }} }} }}", rng.pick(SEGMENTS));
            }
            _ => {}
        }
    }
}
