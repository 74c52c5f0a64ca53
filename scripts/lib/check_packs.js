// Runs the cdk-nag rule packs and the AWS Control Tower proactive controls (cfn-guard) over
// CloudFormation templates, in one Node process, and prints one JSON report on stdout.
//
// Usage: node scripts/lib/check_packs.js TOOLS_DIR TEMPLATE...
//   TOOLS_DIR  the npm prefix scripts/bootstrap-tools installed the packs into (.tools/packs)
//
// Each template is loaded into a stack of one CDK app with cloudformation-include's CfnInclude,
// so logical IDs and Metadata stay as written. The packs plug in as CDK validation plugins
// (`Validations.of(app).addPlugins(...)`); synthesis runs them and writes their report.
// Every finding is then matched with the justifications the template itself carries:
//   cdk-nag    Metadata.cdk_nag.rules_to_suppress[] (the form cdk-nag writes: `id`, and a `reason`
//              of ten characters at least, without which the entry justifies nothing)
//   cfn-guard  Metadata.guard.SuppressedRules (the Control Tower control or its guard rule name)
// A finding without one is unjustified; a justification no finding needs is stale. Both fail the
// check (scripts/lib/check_templates.py decides and prints). Nothing is acknowledged through the
// CDK, so the report lists every finding the packs make.
//
// Exit: 0 with a report (whatever it finds), 2 when the tools cannot run.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { createRequire } = require('module');

function fail(message) {
  process.stderr.write(`check_packs: error: ${message}\n`);
  process.exit(2);
}

const [toolsDir, ...files] = process.argv.slice(2);
if (!toolsDir || files.length === 0) {
  fail('usage: node scripts/lib/check_packs.js TOOLS_DIR TEMPLATE...');
}
const requireTool = createRequire(path.join(path.resolve(toolsDir), 'package.json'));
let cdk, CfnInclude, nag, CfnGuardValidator;
try {
  cdk = requireTool('aws-cdk-lib');
  ({ CfnInclude } = requireTool('aws-cdk-lib/cloudformation-include'));
  nag = requireTool('cdk-nag');
  ({ CfnGuardValidator } = requireTool('@cdklabs/cdk-validator-cfnguard'));
} catch (err) {
  fail(`cannot load the packs from ${toolsDir}: ${err.message} (hint: run scripts/bootstrap-tools)`);
}

function version(pkg) {
  return JSON.parse(fs.readFileSync(requireTool.resolve(`${pkg}/package.json`), 'utf8')).version;
}

function guardVersion() {
  const file = requireTool.resolve('@cdklabs/cdk-validator-cfnguard/guard-version.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'fanout-packs-'));
const app = new cdk.App({
  outdir,
  builtinCloudFormationValidation: false,
  context: { '@aws-cdk/core:validationReportJson': true },
});
const templates = files.map((file, index) => {
  const stackId = `Template${index}`;
  const body = JSON.parse(fs.readFileSync(file, 'utf8'));
  // No bootstrap parameter or rule and no CDK metadata resource: the stack is the template.
  const stack = new cdk.Stack(app, stackId, {
    synthesizer: new cdk.BootstraplessSynthesizer(),
    analyticsReporting: false,
  });
  new CfnInclude(stack, 'Template', { templateFile: file });
  return { file, stackId, resources: body.Resources || {} };
});

const nagPacks = [
  new nag.AwsSolutionsChecks(app),
  new nag.NIST80053R5Checks(app),
  new nag.HIPAASecurityChecks(app),
  new nag.PCIDSS321Checks(app),
  new nag.ServerlessChecks(app),
];
const guard = new CfnGuardValidator();
cdk.Validations.of(app).addPlugins(...nagPacks, guard);

// The CDK prints its own report of the violations to the console; ours is the JSON below.
const write = process.stdout.write.bind(process.stdout);
const quiet = () => true;
console.log = console.error = console.warn = console.info = quiet;
try {
  app.synth();
} catch (err) {
  if (!fs.existsSync(path.join(outdir, 'validation-report.json'))) {
    fail(`synthesis failed: ${err.stack || err}`);
  }
}
const reportFile = path.join(outdir, 'validation-report.json');
const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : { pluginReports: [] };
fs.rmSync(outdir, { recursive: true, force: true });

const byStack = new Map(templates.map((template) => [template.stackId, template]));
const findings = [];
const unattributed = [];
for (const plugin of report.pluginReports || []) {
  if (plugin.conclusion === 'failure' && !(plugin.violations || []).length) {
    fail(`plugin ${plugin.pluginName} failed: ${JSON.stringify(plugin).slice(0, 2000)}`);
  }
  const isGuard = plugin.pluginName === guard.name;
  for (const violation of plugin.violations || []) {
    const control = (/^\[(CT\.[A-Z0-9.]+)\]/.exec(violation.description || '') || [])[1];
    for (const construct of violation.violatingConstructs || []) {
      const [stackId, , logicalId] = (construct.constructPath || '').split('/');
      const template = byStack.get(stackId);
      const finding = {
        checker: isGuard ? 'cfn-guard' : 'cdk-nag',
        pack: isGuard ? 'Control Tower' : plugin.pluginName,
        rule: isGuard && control ? control : violation.ruleName,
        names: isGuard ? [violation.ruleName, control].filter(Boolean) : [violation.ruleName],
        message: violation.description,
      };
      if (!template || !logicalId || !template.resources[logicalId]) {
        unattributed.push(finding);
        continue;
      }
      findings.push({ ...finding, file: template.file, resource: logicalId, metadata: template.resources[logicalId].Metadata });
    }
  }
}

// Match findings with the justifications of their resources; the rest are unjustified, and a
// justification no finding matched is stale.
const used = new Set();
for (const finding of findings) {
  const metadata = finding.metadata || {};
  if (finding.checker === 'cdk-nag') {
    // A justification names its reason; cdk-nag has asked for ten characters at least.
    const entries = ((metadata.cdk_nag || {}).rules_to_suppress || []).filter(
      (e) => e && e.id === finding.rule && typeof e.reason === 'string' && e.reason.trim().length >= 10,
    );
    if (entries.length) {
      finding.reason = entries[0].reason;
      used.add(`${finding.file}\0${finding.resource}\0cdk_nag\0${finding.rule}`);
    }
  } else {
    const suppressed = (metadata.guard || {}).SuppressedRules || [];
    const names = finding.names.filter((name) => suppressed.includes(name));
    if (names.length) {
      finding.reason = 'named in the resource\'s Metadata.guard.SuppressedRules';
      for (const name of names) used.add(`${finding.file}\0${finding.resource}\0guard\0${name}`);
    }
  }
  delete finding.names;
  delete finding.metadata;
}
const stale = [];
for (const template of templates) {
  for (const [resource, body] of Object.entries(template.resources)) {
    const metadata = (body && body.Metadata) || {};
    const entries = [
      ...((metadata.cdk_nag || {}).rules_to_suppress || []).map((e) => ['cdk_nag', e && e.id]),
      ...((metadata.guard || {}).SuppressedRules || []).map((name) => ['guard', name]),
    ];
    for (const [form, rule] of entries) {
      if (!used.has(`${template.file}\0${resource}\0${form}\0${rule}`)) {
        stale.push({ file: template.file, resource, checker: form === 'cdk_nag' ? 'cdk-nag' : 'cfn-guard', rule });
      }
    }
  }
}

write(
  JSON.stringify({
    versions: {
      'cdk-nag': version('cdk-nag'),
      'aws-cdk-lib': version('aws-cdk-lib'),
      'cdk-validator-cfnguard': version('@cdklabs/cdk-validator-cfnguard'),
      'cfn-guard': guardVersion(),
    },
    packs: [...nagPacks.map((pack) => pack.readPackName), 'Control Tower'],
    templates: templates.length,
    resources: templates.reduce((sum, template) => sum + Object.keys(template.resources).length, 0),
    findings,
    unattributed,
    stale,
  }) + '\n',
);
