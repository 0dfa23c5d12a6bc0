#!/usr/bin/env node
// Entry point: the compiled CLI in dist/ (shipped in the package; in a checkout, built by
// scripts/setup.sh or `npm run build`).
import('../dist/src/cli/main.js')
  .then(({ main }) => main())
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
      process.stderr.write('wsbench: not built yet: run scripts/setup.sh (or npm ci && npm run build) in the wsbench folder\n');
    } else {
      process.stderr.write(`wsbench: internal error: ${error && error.stack ? error.stack : error}\n`);
    }
    process.exit(70);
  });
