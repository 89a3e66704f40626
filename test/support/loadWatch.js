// Preloaded with `node -r`: says on stderr when a watched module is loaded, once per module.
// Watched: the require requests in LOAD_WATCH (comma-separated); default the Redis modules.
'use strict';
const Module = require('node:module');
const watched = new Set((process.env.LOAD_WATCH || 'ioredis,bullmq').split(','));
const seen = new Set();
const load = Module._load;
Module._load = function (request, ...rest) {
  if (watched.has(request) && !seen.has(request)) {
    seen.add(request);
    process.stderr.write(`loadWatch: loaded ${request}\n`);
  }
  return load.call(this, request, ...rest);
};
