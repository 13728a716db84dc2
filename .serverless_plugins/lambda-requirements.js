'use strict';
// One artifact per function: each function lists the packages it imports (`requirements:`), and
// this plugin puts exactly those, with their pinned dependencies (custom.lambdaRequirements
// .constraints), into that function's zip, as Lambda's wheels for the function's architecture.
// It also ships hash-checked bytecode for the app and the requirements, so a cold start compiles
// nothing (Lambda's /var/task is read-only). The work is done by lambda_requirements.py, run with
// python3.12 from PATH (the Makefile puts the project's venv first).
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

class LambdaRequirements {
  constructor(serverless) {
    this.serverless = serverless;
    serverless.configSchemaHandler.defineFunctionProperties('aws', {
      properties: { requirements: { type: 'array', items: { type: 'string' } } },
    });
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.install(),
      'after:package:createDeploymentArtifacts': () => this.inject(),
    };
  }

  python(...args) {
    const script = path.join(__dirname, 'lambda_requirements.py');
    return execFileSync('python3.12', [script, ...args], {
      cwd: this.serverless.serviceDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
  }

  settings() {
    const custom = this.serverless.service.custom.lambdaRequirements || {};
    return {
      constraints: custom.constraints || 'requirements/lambda.txt',
      cache: process.env.LAMBDA_REQUIREMENTS_CACHE || custom.cacheLocation || '.cache/lambda-requirements',
      services: custom.botocoreData || [],
    };
  }

  functions() {
    const service = this.serverless.service;
    return service.getAllFunctions().map((name) => ({ name, fn: service.getFunction(name) }));
  }

  install() {
    const root = this.serverless.serviceDir;
    // The app, and serverless-wsgi's handler (written into the service folder before this hook
    // runs): compiled in one call.
    const compiled = ['workshop_app', 'wsgi_handler.py', 'serverless_wsgi.py'].map((f) => path.join(root, f))
      .filter((f) => fs.existsSync(f));
    if (compiled.length) this.python('bytecode', ...compiled);
    const { constraints, cache } = this.settings();
    const provider = this.serverless.service.provider;
    this.trees = {};
    for (const { name, fn } of this.functions()) {
      const packages = fn.requirements || [];
      if (!packages.length) continue;
      const arch = fn.architecture || provider.architecture || 'x86_64';
      this.serverless.cli.log(`Lambda requirements for ${name} (${arch}): ${packages.join(', ')}`);
      this.trees[name] = this.python('install', '--arch', arch, '--constraints', constraints,
        '--cache', cache, ...packages);
    }
  }

  inject() {
    for (const { name, fn } of this.functions()) {
      const tree = this.trees && this.trees[name];
      if (!tree) continue;
      const artifact = fn.package && fn.package.artifact;
      if (!artifact) {
        throw new Error(`lambda-requirements: ${name} has no artifact of its own (set package.individually)`);
      }
      // The function's own "!pattern" excludes apply to its requirements too.
      const excludes = ((fn.package && fn.package.patterns) || [])
        .filter((p) => p.startsWith('!')).map((p) => p.slice(1));
      const zip = path.resolve(this.serverless.serviceDir, artifact);
      const { services } = this.settings();
      const added = this.python('inject', zip, tree, ...excludes.flatMap((p) => ['--exclude', p]),
        ...services.flatMap((s) => ['--botocore-data', s]));
      this.serverless.cli.log(`Injected ${added} files of requirements into ${path.basename(zip)}`);
    }
  }
}

module.exports = LambdaRequirements;
