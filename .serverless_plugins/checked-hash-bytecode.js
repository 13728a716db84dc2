'use strict';
// Ships hash-checked bytecode for the app and its requirements (see workshop/lambda_builds.py).
// Lambda's /var/task is read-only, so Python cannot cache the bytecode it compiles: without
// valid .pyc in the package every cold start compiles every module it imports. pip's .pyc are
// timestamp-based and go stale in a zip (it keeps times to 2 s); hash-checked ones stay valid.
// Runs after serverless-python-requirements has installed into .serverless/requirements and
// before the package is zipped. `make bench` measures the difference.
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

class CheckedHashBytecode {
  constructor(serverless) {
    this.serverless = serverless;
    this.hooks = {
      'before:package:createDeploymentArtifacts': () => this.compile(),
    };
  }

  compile() {
    const root = this.serverless.serviceDir;
    const dirs = [path.join(root, '.serverless', 'requirements'), path.join(root, 'workshop_app')]
      .filter((dir) => fs.existsSync(dir));
    this.serverless.cli.log(`Compiling hash-checked bytecode: ${dirs.map((d) => path.relative(root, d)).join(', ')}`);
    // python3.12 is the project's venv interpreter (the Makefile puts .venv/bin first on PATH).
    execFileSync('python3.12', ['-m', 'workshop.lambda_builds', 'bytecode', ...dirs], { stdio: 'inherit' });
  }
}

module.exports = CheckedHashBytecode;
