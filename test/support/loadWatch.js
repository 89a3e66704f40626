// Preloaded with `node -r`: says on stderr when a Redis module (ioredis, bullmq) is loaded, once per module.
'use strict';
const Module = require('node:module');
const seen = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  if ((request === 'ioredis' || request === 'bullmq') && !seen.has(request)) {
    seen.add(request);
    process.stderr.write(`loadWatch: loaded ${request}\n`);
  }
  return load.call(this, request, ...rest);
};
