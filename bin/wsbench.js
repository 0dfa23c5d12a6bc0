#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/src/cli/main.js')
  .then(({ main }) => main())
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
      process.stderr.write('wsbench: not built yet: run `npm install` (or `npm run build`) in the wsbench folder\n');
    } else {
      process.stderr.write(`wsbench: internal error: ${error && error.stack ? error.stack : error}\n`);
    }
    process.exit(70);
  });
